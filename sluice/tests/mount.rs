//! Mounting a tower service under a prefix (`App::mount`, `Router::mount`),
//! as Starlette's `Mount` does.

use std::convert::Infallible;

use serde_json::{json, Value};
use sluice::extract::OriginalUri;
use sluice::testing::TestClient;
use sluice::{App, Body, ConfigError, Next, Request, Response, Router};

/// A service that answers with its method, the URI it saw and the
/// original URL.
fn echo() -> tower::util::BoxCloneSyncService<http::Request<Body>, Response, Infallible> {
    let service = tower::service_fn(|req: http::Request<Body>| async move {
        let original = req
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| "-".to_owned(), |o| o.0.to_string());
        let text = format!("{} {} {}", req.method(), req.uri(), original);
        Ok::<_, Infallible>(Response::new(Body::from(text)))
    });
    tower::util::BoxCloneSyncService::new(service)
}

#[tokio::test]
async fn the_service_sees_the_path_without_the_prefix_still_encoded() {
    let client = TestClient::new(App::new().mount("/files", echo()));
    for (path, seen) in [
        ("/files/a%20b.txt?v=1", "/a%20b.txt?v=1"),
        ("/files/", "/"),
        ("/files/x/y/", "/x/y/"),
        ("/f%69les/x", "/x"),
        ("/files%2Fx", "/x"),
        ("/files/%2e%2e/x", "/%2e%2e/x"),
    ] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let text = res.text();
        let got = text.split(' ').nth(1).expect("the uri");
        assert_eq!(got, seen, "{path}");
    }
}

#[tokio::test]
async fn the_original_url_is_in_an_extension() {
    let client = TestClient::new(App::new().mount("/files", echo()));
    let res = client
        .get("/files/a.txt?v=1")
        .header("host", "example.com:8080")
        .await;
    assert_eq!(
        res.text(),
        "GET /a.txt?v=1 http://example.com:8080/files/a.txt?v=1"
    );
}

#[tokio::test]
async fn a_malformed_host_never_reaches_the_original_url() {
    let client = TestClient::new(App::new().mount("/files", echo()));
    for host in ["user@evil.example", "evil.example:99999", "evil example"] {
        let res = client.get("/files/a.txt").header("host", host).await;
        let text = res.text();
        assert!(text.starts_with("GET /a.txt "), "{host}: {text}");
        assert!(!text.contains("evil"), "{host}: {text}");
    }
}

#[tokio::test]
async fn original_uri_is_an_extractor_in_any_handler() {
    let app = App::new().get("/here", |OriginalUri(uri): OriginalUri| async move {
        uri.to_string()
    });
    let client = TestClient::new(app);
    assert_eq!(
        client.get("/here?x=1").await.text(),
        "http://testserver/here?x=1"
    );
}

#[tokio::test]
async fn the_prefix_alone_redirects_to_it_with_a_slash() {
    let client = TestClient::new(App::new().mount("/files", echo()));
    let res = client.get("/files?q=1").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("http://testserver/files/?q=1"));
}

/// A mounted sluice app's slash redirects stay under the mount, as
/// Starlette's do: each location is what Starlette 1.10 sent for the same
/// mounts and request.
#[tokio::test]
async fn slash_redirects_in_a_mounted_app_keep_the_prefix() {
    let inner = App::new().get("/deep", || async { "deep" });
    let legacy = App::new()
        .get("/users", || async { "users" })
        .get("/dir/", || async { "dir" })
        .mount("/in", inner.build().expect("builds"));
    let client = TestClient::new(App::new().mount("/legacy", legacy.build().expect("builds")));
    for (path, location) in [
        ("/legacy/users/", "http://testserver/legacy/users"),
        ("/legacy/dir", "http://testserver/legacy/dir/"),
        ("/leg%61cy/users/?q=1", "http://testserver/legacy/users?q=1"),
        ("/legacy/in/deep/", "http://testserver/legacy/in/deep"),
    ] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 307, "{path}");
        assert_eq!(res.header("location"), Some(location), "{path}");
    }
    assert_eq!(client.get("/legacy/users").await.text(), "users");
    assert_eq!(client.get("/legacy/nope/").await.status(), 404);
}

#[tokio::test]
async fn every_method_reaches_the_service() {
    let client = TestClient::new(App::new().mount("/files", echo()));
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
        let res = client
            .request(method.parse().expect("a method"), "/files/x")
            .await;
        assert_eq!(res.status(), 200, "{method}");
        if method != "HEAD" {
            assert!(res.text().starts_with(method), "{method}: {}", res.text());
        }
    }
}

#[tokio::test]
async fn a_path_outside_the_prefix_is_not_the_mount() {
    let client = TestClient::new(App::new().mount("/files", echo()));
    let res = client.get("/filesx").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>(), json!({"detail": "Not Found"}));
}

async fn tag(req: Request, next: Next) -> Response {
    let route = req.route().map(|r| r.template().to_owned());
    let path = req.path().to_owned();
    let mut res = next.run(req).await;
    res.headers_mut().append(
        "x-seen",
        format!("{path} {route:?}").parse().expect("a header"),
    );
    res
}

async fn outer(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .append("x-seen", "app".parse().expect("a header"));
    res
}

#[tokio::test]
async fn a_mount_runs_inside_the_app_and_router_middleware() {
    let api = Router::new().mount("/files", echo()).middleware(tag);
    let app = App::new().include_router("/api", api).middleware(outer);
    let res = TestClient::new(app).get("/api/files/x").await;
    assert_eq!(res.text(), "GET /x http://testserver/api/files/x");
    // The router's middleware saw the whole path and the mount as the route.
    assert_eq!(
        res.header_all("x-seen"),
        ["/api/files/x Some(\"/api/files\")", "app"]
    );
}

#[tokio::test]
async fn an_error_from_the_service_becomes_an_error_response() {
    let failing = tower::service_fn(|_req: http::Request<Body>| async {
        Err::<Response, _>(std::io::Error::other("disk on fire"))
    });
    let app = App::new().mount("/broken", failing);
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/broken/x")
        .await;
    assert_eq!(res.status(), 500);
    assert!(res
        .error()
        .is_some_and(|e| e.to_string().contains("disk on fire")));
}

#[tokio::test]
async fn a_root_mount_answers_what_no_route_matches() {
    let app = App::new()
        .get("/api/items", || async { "items" })
        .mount("/", echo());
    let client = TestClient::new(app);
    assert_eq!(client.get("/api/items").await.text(), "items");
    assert_eq!(client.get("/").await.text(), "GET / http://testserver/");
    assert_eq!(
        client.get("/app.js").await.text(),
        "GET /app.js http://testserver/app.js"
    );
}

#[test]
fn a_route_under_a_mount_fails_the_build() {
    let err = App::new()
        .mount("/files", echo())
        .get("/files/special", || async { "x" })
        .build()
        .expect_err("a conflict");
    assert!(
        matches!(&err, ConfigError::InvalidPath { path, .. } if path == "/files/special"),
        "{err:?}"
    );
    assert!(err.to_string().contains("/files"), "{err}");
}

#[test]
fn a_route_at_the_prefix_itself_is_allowed() {
    assert!(App::new()
        .get("/files", || async { "listing" })
        .mount("/files", echo())
        .build()
        .is_ok());
}

#[test]
fn overlapping_mounts_fail_the_build() {
    for (a, b) in [("/files", "/files"), ("/files", "/files/img"), ("/", "/")] {
        let err = App::new().mount(a, echo()).mount(b, echo()).build();
        assert!(err.is_err(), "{a} and {b}");
    }
    assert!(App::new()
        .mount("/", echo())
        .mount("/files", echo())
        .build()
        .is_ok());
    assert!(App::new()
        .mount("/files", echo())
        .mount("/filesx", echo())
        .build()
        .is_ok());
}

#[test]
fn a_bad_prefix_fails_the_build() {
    for prefix in ["files", "/files/", "/{x}"] {
        let err = App::new().mount(prefix, echo()).build();
        assert!(
            matches!(err, Err(ConfigError::InvalidPath { .. })),
            "{prefix}"
        );
    }
}

#[test]
fn describe_lists_the_mounts() {
    let app = App::new().get("/", || async { "hi" }).include_router(
        "/api",
        Router::new().mount("/files", echo()).middleware(tag),
    );
    let text = app.describe();
    assert!(text.contains("\n  MOUNT /api/files -> "), "{text}");
    assert!(text.contains("[tag]"), "{text}");
}

#[tokio::test]
async fn a_mounted_app_sees_its_own_paths() {
    let inner = App::new()
        .get("/users", |OriginalUri(uri): OriginalUri| async move {
            uri.to_string()
        })
        .build()
        .expect("valid");
    let client = TestClient::new(App::new().mount("/v1", inner));
    assert_eq!(
        client.get("/v1/users").await.text(),
        "http://testserver/v1/users"
    );
}

#[tokio::test]
async fn a_mounted_app_answers_with_its_own_state() {
    async fn whose(sluice::State(name): sluice::State<&'static str>) -> &'static str {
        name
    }
    let inner = App::new()
        .state("inner")
        .get("/whose", whose)
        .build()
        .expect("valid");
    let app = App::new()
        .state("outer")
        .get("/whose", whose)
        .mount("/sub", inner);
    let client = TestClient::new(app);
    assert_eq!(client.get("/whose").await.text(), "outer");
    assert_eq!(client.get("/sub/whose").await.text(), "inner");
}
