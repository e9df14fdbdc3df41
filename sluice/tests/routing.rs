//! Routing: FastAPI's answers for unknown paths and methods, HEAD, the
//! trailing-slash redirect, nesting, and configuration errors.

use serde_json::{json, Value};
use sluice::extract::Path;
use sluice::routing::{get, post};
use sluice::testing::TestClient;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sluice::{App, ConfigError, Next, Request, Router};

mod support;

async fn ok() -> &'static str {
    "ok"
}

#[tokio::test]
async fn unknown_path_is_404_with_fastapi_detail() {
    let res = TestClient::new(App::new().get("/", ok))
        .get("/missing")
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"detail":"Not Found"}"#);
}

#[tokio::test]
async fn wrong_method_is_405_with_allow_listing_get_and_head() {
    let res = TestClient::new(App::new().get("/", ok)).post("/").await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    assert_eq!(res.json::<Value>(), json!({"detail": "Method Not Allowed"}));
}

#[tokio::test]
async fn allow_lists_every_method_of_the_path_across_routes() {
    let app = App::new()
        .get("/items", ok)
        .post("/items", ok)
        .route("/items", sluice::routing::delete(ok));
    let res = TestClient::new(app).put("/items").await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("DELETE, GET, HEAD, POST"));
}

#[tokio::test]
async fn head_is_answered_for_get_routes_without_a_body() {
    let client = TestClient::new(App::new().get("/", || async { Json(json!({"a": 1})) }));
    let get = client.get("/").await;
    let head = client.head("/").await;
    assert_eq!(head.status(), 200);
    assert!(head.bytes().is_empty());
    assert_eq!(head.header("content-type"), get.header("content-type"));
    assert_eq!(head.header("content-length"), Some("7"));
}

use sluice::Json;

#[tokio::test]
async fn explicit_head_route_wins_over_get() {
    let app = App::new()
        .get("/", ok)
        .head("/", || async { ([("x-head", "1")], "") });
    let res = TestClient::new(app).head("/").await;
    assert_eq!(res.header("x-head"), Some("1"));
}

#[tokio::test]
async fn trailing_slash_is_redirected_to_the_route_keeping_the_query() {
    let app = App::new().get("/items", ok).get("/users/", ok);
    let client = TestClient::new(app);
    let res = client.get("/items/?q=1").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("http://testserver/items?q=1"));
    let res = client.get("/users").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("http://testserver/users/"));
}

/// Starlette takes every trailing slash off (`rstrip("/")`): `/items//`
/// goes to `/items`, and `//` to an empty path, which no route matches.
#[tokio::test]
async fn every_trailing_slash_is_taken_off_as_starlette_does() {
    let app = App::new().get("/", ok).get("/items", ok);
    let client = TestClient::new(app);
    for path in ["/items//", "/items///?q=1"] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 307, "{path}");
        let query = if path.ends_with("?q=1") { "?q=1" } else { "" };
        assert_eq!(
            res.header("location"),
            Some(format!("http://testserver/items{query}").as_str())
        );
    }
    let res = client.get("//").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.text(), r#"{"detail":"Not Found"}"#);
}

#[tokio::test]
async fn slash_redirect_uses_the_host_header_and_scheme() {
    let client =
        TestClient::new(App::new().get("/items", ok)).base_url("https://api.example.com:8443");
    let res = client.post("/items/").await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("https://api.example.com:8443/items")
    );
}

#[tokio::test]
async fn slash_redirect_without_host_uses_the_server_address() {
    let client = TestClient::new(App::new().get("/items", ok));
    let res = client.get("/items/").without_host().await;
    assert_eq!(res.header("location"), Some("http://127.0.0.1/items"));
}

#[tokio::test]
async fn slash_redirect_never_copies_a_malformed_host() {
    let client = TestClient::new(App::new().get("/items", ok));
    for bad in [
        "evil.com/phish",
        "user@evil.com",
        "ex ample.com",
        "evil.com?x",
    ] {
        let res = client.get("/items/").header("host", bad).await;
        assert_eq!(res.status(), 307, "{bad}");
        assert_eq!(
            res.header("location"),
            Some("http://127.0.0.1/items"),
            "a malformed Host {bad:?} falls back to the server address"
        );
    }
}

/// More than one `Host` line: which host the request was sent to cannot
/// be told, so it is a 400 before any middleware or route (RFC 9112,
/// section 3.2), in every app.
#[tokio::test]
async fn a_request_with_two_host_lines_is_a_400_before_any_middleware() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counted = seen.clone();
    let app = App::new()
        .get("/items", ok)
        .middleware(move |req: Request, next: Next| {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                next.run(req).await
            }
        });
    let client = TestClient::new(app);
    for path in ["/items", "/items/", "/nowhere"] {
        let res = client
            .get(path)
            .header("host", "a.example")
            .header("host", "a.example")
            .await;
        assert_eq!(res.status(), 400, "{path}");
        assert_eq!(res.text(), "Invalid host header");
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0);
    // Other repeated headers are not the matter.
    let res = client
        .get("/items")
        .header("accept", "a")
        .header("accept", "b")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn slash_redirect_keeps_ipv6_brackets_from_the_server_address() {
    use sluice::ConnectionInfo;
    use tower::ServiceExt;
    let app = App::new().get("/items", ok).build().expect("valid app");
    for (local, expected) in [
        ("[::1]:80", "http://[::1]/items"),
        ("[::1]:8000", "http://[::1]:8000/items"),
    ] {
        let mut req = sluice::http::Request::get("/items/")
            .body(sluice::Body::empty())
            .expect("a request");
        req.extensions_mut().insert(ConnectionInfo {
            remote_addr: None,
            local_addr: Some(local.parse().expect("an address")),
            secure: false,
        });
        let res = app.clone().oneshot(req).await.expect("infallible");
        assert_eq!(res.status(), 307);
        assert_eq!(res.headers()["location"], expected);
    }
}

#[tokio::test]
async fn slash_redirect_escapes_what_a_location_cannot_carry() {
    let client = TestClient::new(App::new().get("/a b/{x}", ok));
    let res = client.get("/a%20b/%22q%22/").await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("http://testserver/a%20b/%22q%22")
    );
}

#[tokio::test]
async fn root_path_is_never_redirected() {
    let res = TestClient::new(App::new().get("/x", ok)).get("/").await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn paths_are_matched_percent_decoded() {
    async fn echo(Path(name): Path<String>) -> String {
        name
    }
    let client = TestClient::new(App::new().get("/users/{name}", echo).get("/caf\u{e9}", ok));
    assert_eq!(client.get("/users/a%20b").await.text(), "a b");
    assert_eq!(client.get("/caf%C3%A9").await.text(), "ok");
}

#[tokio::test]
async fn path_converter_matches_the_rest_of_the_path() {
    async fn file(Path(path): Path<String>) -> String {
        path
    }
    let client = TestClient::new(App::new().get("/files/{file_path:path}", file));
    assert_eq!(client.get("/files/a/b/c.txt").await.text(), "a/b/c.txt");
}

#[tokio::test]
async fn path_converter_matches_an_empty_rest_as_starlette_does() {
    async fn file(Path(path): Path<String>) -> String {
        format!("[{path}]")
    }
    async fn user_file(Path((user, path)): Path<(String, String)>) -> String {
        format!("{user} [{path}]")
    }
    let app = App::new()
        .get("/files/{file_path:path}", file)
        .get("/u/{user}/files/{p:path}", user_file)
        .get("/docs/{p:path}", file)
        .get("/docs/", || async { "the docs' own page" });
    let client = TestClient::new(app);
    // FastAPI 0.165's answers.
    assert_eq!(client.get("/files/").await.text(), "[]");
    assert_eq!(client.get("/files//").await.text(), "[/]");
    assert_eq!(client.get("/files/a/").await.text(), "[a/]");
    assert_eq!(client.get("/u/ann/files/").await.text(), "ann []");
    let res = client.get("/files").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("http://testserver/files/"));
    let res = client.get("/u/ann/files").await;
    assert_eq!(
        res.header("location"),
        Some("http://testserver/u/ann/files/")
    );
    assert_eq!(client.get("/u//files/").await.status(), 404);
    // A path the app routes itself keeps its route.
    assert_eq!(client.get("/docs/").await.text(), "the docs' own page");
    assert_eq!(client.get("/docs/x").await.text(), "[x]");
}

#[tokio::test]
async fn static_segments_win_over_parameters() {
    async fn id(Path(id): Path<String>) -> String {
        format!("user {id}")
    }
    let app = App::new()
        .get("/users/{id}", id)
        .get("/users/me", || async { "me" });
    let client = TestClient::new(app);
    assert_eq!(client.get("/users/me").await.text(), "me");
    assert_eq!(client.get("/users/7").await.text(), "user 7");
}

#[tokio::test]
async fn routers_nest_under_prefixes() {
    let items = Router::new().get("/", ok).get("/{id}", ok);
    let v1 = Router::new().include_router("/items", items);
    let app = App::new().include_router("/api/v1", v1);
    let client = TestClient::new(app);
    assert_eq!(client.get("/api/v1/items/").await.status(), 200);
    assert_eq!(client.get("/api/v1/items/3").await.status(), 200);
    let res = client.get("/api/v1/items").await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("http://testserver/api/v1/items/")
    );
}

#[test]
fn a_route_declared_twice_is_a_build_error() {
    let err = App::new()
        .get("/a", ok)
        .route("/a", get(ok).post(ok))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::DuplicateRoute { ref path, .. } if path == "/a"),
        "{err}"
    );
    assert_eq!(err.to_string(), "route GET /a is declared twice");
}

#[test]
fn invalid_paths_and_prefixes_are_build_errors() {
    assert!(matches!(
        App::new().get("no-slash", ok).build().unwrap_err(),
        ConfigError::InvalidPath { .. }
    ));
    assert!(matches!(
        App::new()
            .include_router("/api/", Router::new().get("/", ok))
            .build()
            .unwrap_err(),
        ConfigError::InvalidPath { .. }
    ));
    assert!(matches!(
        App::new()
            .get("/a/{x}", ok)
            .get("/a/{y}", ok)
            .build()
            .unwrap_err(),
        ConfigError::InvalidPath { .. }
    ));
    assert!(TestClient::try_new(App::new().route("/ok", post(ok))).is_ok());
}

#[test]
fn requests_on_many_threads_see_their_route_and_the_apps_state() {
    // Each thread holds the app and the static routes' matches by handles
    // of its own: every one must still say the same thing.
    async fn whereami(req: sluice::Request) -> String {
        let route = req.route().map(|r| r.template().to_owned());
        let state = req.state::<&'static str>().copied();
        format!("{route:?} {state:?}")
    }
    async fn item(Path(id): Path<u32>, sluice::State(name): sluice::State<&'static str>) -> String {
        format!("{name} {id}")
    }
    let mounted = App::new().get("/inner", whereami).build().expect("valid");
    let service = App::new()
        .state("the app")
        .get("/here", whereami)
        .get("/items/{id}", item)
        .mount("/sub", mounted)
        .build()
        .expect("a valid app");
    support::on_threads(4, |thread| {
        let service = &service;
        async move {
            for i in 0..50 {
                let id = thread * 100 + i;
                for (path, expected) in [
                    (
                        "/here".to_owned(),
                        r#"Some("/here") Some("the app")"#.to_owned(),
                    ),
                    (format!("/items/{id}"), format!("the app {id}")),
                    ("/sub/inner".to_owned(), r#"Some("/inner") None"#.to_owned()),
                ] {
                    let (head, body) = support::get(service, &path).await;
                    assert_eq!(head.status, 200, "{path}");
                    assert_eq!(body, expected.as_bytes(), "{path}");
                }
            }
        }
    });
}
