//! `Request::url` and `Request::base_url`: each expected value is what
//! Starlette 1.10's `str(request.url)` and `str(request.base_url)` gave for
//! the same request through its TestClient.

use serde_json::{json, Value};
use sluice::testing::TestClient;
use sluice::{App, Json, Request};

async fn urls(req: Request) -> Json<Value> {
    Json(json!({"url": req.url(), "base": req.base_url()}))
}

fn client() -> TestClient {
    let sub = App::new().get("/{p:path}", urls);
    TestClient::new(
        App::new()
            .get("/{p:path}", urls)
            .mount("/sub", sub.build().expect("the mounted app builds")),
    )
}

#[tokio::test]
async fn urls_are_as_starlette_gives_them() {
    let client = client();
    for (path, host, url, base) in [
        (
            "/a/b?x=1&y=%20",
            None,
            "http://testserver/a/b?x=1&y=%20",
            "http://testserver/",
        ),
        // Decoded, but for what would change the URL's parts.
        (
            "/a%20b%3Fc%23d%5Ce",
            None,
            "http://testserver/a b%3Fc%23d%5Ce",
            "http://testserver/",
        ),
        (
            "/caf%C3%A9/%FF",
            None,
            "http://testserver/café/\u{fffd}",
            "http://testserver/",
        ),
        (
            "/",
            Some("example.com:8080"),
            "http://example.com:8080/",
            "http://example.com:8080/",
        ),
        ("/x", Some("[::1]:9"), "http://[::1]:9/x", "http://[::1]:9/"),
        // An empty query is no query.
        ("/x?", None, "http://testserver/x", "http://testserver/"),
        // In a mounted app: the whole path, and the outermost root.
        (
            "/sub/in?q=1",
            None,
            "http://testserver/sub/in?q=1",
            "http://testserver/",
        ),
    ] {
        let mut req = client.get(path);
        if let Some(host) = host {
            req = req.header("host", host);
        }
        let got = req.await.json::<Value>();
        assert_eq!(got, json!({"url": url, "base": base}), "{path} {host:?}");
    }
}

/// A `Host` that cannot be used gives way to the server's address, as in
/// Starlette (whose TestClient's address is `testserver`; over a socket,
/// the address the connection came in on).
#[tokio::test]
async fn a_malformed_host_gives_way_to_the_servers_address() {
    let client = client();
    let plain = client
        .get("/x")
        .header("host", "ok.test")
        .await
        .json::<Value>();
    assert_eq!(plain["url"], "http://ok.test/x");
    // sluice's TestClient serves on 127.0.0.1, port 80.
    for host in ["bad host", "example.com:99999", "a/b"] {
        let got = client.get("/x").header("host", host).await.json::<Value>();
        assert_eq!(
            got,
            json!({"url": "http://127.0.0.1/x", "base": "http://127.0.0.1/"}),
            "{host}"
        );
    }
}
