//! `App::root_path`: an app served under a prefix behind a proxy, as
//! FastAPI serves one with `root_path="/api/v1"`. Each expected status,
//! location and URL is what FastAPI 0.165 gave for the same app and
//! request.

use serde_json::{json, Value};
use sluice::openapi::OpenApi;
use sluice::testing::TestClient;
use sluice::{App, ConfigError, Json, Path, Request};

async fn read_item(Path(item_id): Path<i64>, req: Request) -> Json<Value> {
    let _ = item_id;
    Json(json!({
        "url": req.url(),
        "base": req.base_url(),
        "for": req.url_for("read_item", [("item_id", 5)]).unwrap_or_else(|e| e.to_string()),
    }))
}

async fn inner(Path(_x): Path<String>, req: Request) -> Json<Value> {
    Json(json!({
        "url": req.url(),
        "for": req.url_for("inner", [("x", "2")]).unwrap_or_else(|e| e.to_string()),
    }))
}

async fn home(req: Request) -> Json<Value> {
    Json(json!({"url": req.url()}))
}

fn client() -> TestClient {
    let sub = App::new().get("/inner/{x}", inner);
    TestClient::new(
        App::new()
            .root_path("/api/v1")
            .get("/items/{item_id}", read_item)
            .get("/", home)
            .mount("/sub", sub.build().expect("the mounted app builds"))
            .openapi(OpenApi::new()),
    )
}

#[tokio::test]
async fn paths_with_and_without_the_prefix_are_routed_as_fastapi_routes_them() {
    let client = client();
    let item = |url: &str| {
        json!({
            "url": url,
            "base": "http://testserver/api/v1/",
            "for": "http://testserver/api/v1/items/5",
        })
    };
    for (path, body) in [
        // A proxy that took the prefix off, and one that passed it on.
        ("/items/1", item("http://testserver/items/1")),
        ("/api/v1/items/1", item("http://testserver/api/v1/items/1")),
        (
            "/ap%69/v1/items/1",
            item("http://testserver/api/v1/items/1"),
        ),
        ("/api/v1/", json!({"url": "http://testserver/api/v1/"})),
        ("/", json!({"url": "http://testserver/"})),
        (
            "/api/v1/sub/inner/1",
            json!({
                "url": "http://testserver/api/v1/sub/inner/1",
                "for": "http://testserver/api/v1/sub/inner/2",
            }),
        ),
    ] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.json::<Value>(), body, "{path}");
    }
    for (path, location) in [
        ("/api/v1", "http://testserver/api/v1/"),
        ("/api/v1?q=1", "http://testserver/api/v1/?q=1"),
        ("/items/1/", "http://testserver/items/1"),
        ("/api/v1/items/1/", "http://testserver/api/v1/items/1"),
        ("/api/v1/sub", "http://testserver/api/v1/sub/"),
    ] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 307, "{path}");
        assert_eq!(res.header("location"), Some(location), "{path}");
    }
    // The prefix goes at a segment's end, and only once.
    for path in ["/api/v1x/items/1", "/api/v1/api/v1/items/1"] {
        assert_eq!(client.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_mount_is_also_reached_without_the_prefix() {
    // FastAPI answers 404 here (its mounted app looks for the root path in
    // a path a proxy took it off); sluice serves the mount as the proxy
    // meant.
    let res = client().get("/sub/inner/1").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>()["for"],
        "http://testserver/api/v1/sub/inner/2"
    );
}

#[tokio::test]
async fn the_docs_name_the_root_path() {
    let client = client();
    for path in ["/openapi.json", "/api/v1/openapi.json"] {
        let doc = client.get(path).await.json::<Value>();
        assert_eq!(doc["servers"], json!([{"url": "/api/v1"}]), "{path}");
    }
    for path in ["/docs", "/api/v1/docs"] {
        let page = client.get(path).await.text();
        // FastAPI's page says `url: '/api/v1/openapi.json'` and the same
        // redirect URL.
        assert!(
            page.contains("\"url\":\"/api/v1/openapi.json\""),
            "{path}: {page}"
        );
        assert!(
            page.contains("window.location.origin + \"/api/v1/docs/oauth2-redirect\""),
            "{path}"
        );
    }
    let page = client.get("/redoc").await.text();
    assert!(page.contains("spec-url=\"/api/v1/openapi.json\""), "{page}");
}

#[tokio::test]
async fn the_root_path_alone_without_a_root_route_is_not_found() {
    let client = TestClient::new(App::new().root_path("/api").get("/x", home));
    assert_eq!(client.get("/api").await.status(), 404);
    assert_eq!(client.get("/api/x").await.status(), 200);
}

#[test]
fn a_malformed_root_path_is_refused_when_the_app_is_built() {
    for path in ["api", "/api/", "/api/{v}"] {
        let err = App::new().root_path(path).build().expect_err(path);
        assert!(
            matches!(&err, ConfigError::InvalidPath { reason, .. } if reason.contains("root path")),
            "{path}: {err}"
        );
    }
    for path in ["", "/"] {
        assert!(App::new().root_path(path).build().is_ok(), "{path}");
    }
}

#[tokio::test]
async fn middleware_builds_urls_under_the_root_path_too() {
    let app = App::new()
        .root_path("/api/v1")
        .get("/items/{item_id}", read_item)
        .middleware(|req: Request, next: sluice::Next| async move {
            let base = req.base_url();
            let item = req
                .url_for("read_item", [("item_id", 5)])
                .unwrap_or_else(|e| e.to_string());
            let mut response = next.run(req).await;
            let headers = response.headers_mut();
            headers.insert("x-base", base.parse().expect("a header value"));
            headers.insert("x-item", item.parse().expect("a header value"));
            response
        });
    let client = TestClient::new(app);
    // FastAPI 0.165, the same middleware: either way the request came.
    for path in ["/api/v1/items/1", "/items/1"] {
        let response = client.get(path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.header("x-base"), Some("http://testserver/api/v1/"));
        assert_eq!(
            response.header("x-item"),
            Some("http://testserver/api/v1/items/5")
        );
    }
}
