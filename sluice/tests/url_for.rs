//! `Request::url_for`: the URL of a named route or mount. Each expected URL and
//! message is what FastAPI 0.165 (Starlette 1.10) gave for the same routes
//! and `request.url_for(...)` call.

use serde_json::{json, Value};
use sluice::routing::get;
use sluice::testing::TestClient;
use sluice::{App, Json, Path, Request, Router, StaticFiles};

async fn read_item(Path(_id): Path<u32>) -> &'static str {
    "item"
}

async fn file(Path(_rest): Path<String>) -> &'static str {
    "file"
}

async fn user(Path(_name): Path<String>) -> &'static str {
    "user"
}

/// A handler of the mounted app, naming its own route.
async fn inner(req: Request) -> String {
    req.url_for("inner", [("x", "2")])
        .unwrap_or_else(|e| e.to_string())
}

/// Every `url_for` of the FastAPI twin, answered as its `/t` did.
async fn urls(req: Request) -> Json<Value> {
    let show = |r: Result<String, sluice::error::UrlForError>| match r {
        Ok(url) => url,
        Err(e) => e.to_string(),
    };
    Json(json!({
        "read_item": show(req.url_for("read_item", [("item_id", 42)])),
        "file": show(req.url_for("file", [("rest", "a b/c")])),
        "user": show(req.url_for("user", [("name", "ann")])),
        "no_params": show(req.url_for("read_item", [("item_id", 0); 0])),
        "nope": show(req.url_for("nope", [("a", 1), ("b", 2)])),
        "named": show(req.url_for("by-name", [("id", 7)])),
        "path_only": show(req.url_path_for("user", [("name", "ann")])),
        "static": show(req.url_for("static", [("path", "css/site.css")])),
        "static_slash": show(req.url_for("static", [("path", "/css/site.css")])),
        "static_slashes": show(req.url_for("static", [("path", "//css/a b.css")])),
        "static_empty": show(req.url_for("static", [("path", "")])),
        "static_none": show(req.url_for("static", [("path", ""); 0])),
        "static_extra": show(req.url_for("static", [("path", "a"), ("v", "1")])),
        "root": show(req.url_for("root", [("path", "/x/y")])),
        "unnamed": show(req.url_for("StaticFiles", [("path", "a")])),
        "router_mount": show(req.url_for("assets", [("path", "logo.png")])),
    }))
}

fn app() -> App {
    let sub = App::new().get("/inner/{x}", inner);
    let files = std::env::temp_dir().join(format!("sluice-url-for-{}", std::process::id()));
    std::fs::create_dir_all(&files).expect("a temp dir");
    App::new()
        .get("/items/{item_id}", read_item)
        .get("/files/{rest:path}", file)
        .include_router(
            "/api",
            Router::new().get("/users/{name}", user).mount_named(
                "/assets",
                "assets",
                StaticFiles::new(&files),
            ),
        )
        .route("/named/{id}", get(|| async { "named" }).name("by-name"))
        .get("/t", urls)
        .mount("/sub", sub.build().expect("the mounted app builds"))
        .mount_named("/static", "static", StaticFiles::new(&files))
        .mount_named("/", "root", StaticFiles::new(&files))
        .mount("/other", StaticFiles::new(&files))
}

#[tokio::test]
async fn urls_are_built_as_starlette_builds_them() {
    let client = TestClient::new(app());
    assert_eq!(
        client.get("/t").await.json::<Value>(),
        json!({
            "read_item": "http://testserver/items/42",
            "file": "http://testserver/files/a b/c",
            "user": "http://testserver/api/users/ann",
            "no_params": "No route exists for name \"read_item\" and params \"\".",
            "nope": "No route exists for name \"nope\" and params \"a, b\".",
            "named": "http://testserver/named/7",
            "path_only": "/api/users/ann",
            "static": "http://testserver/static/css/site.css",
            "static_slash": "http://testserver/static/css/site.css",
            "static_slashes": "http://testserver/static/css/a b.css",
            "static_empty": "http://testserver/static/",
            "static_none": "No route exists for name \"static\" and params \"\".",
            "static_extra": "No route exists for name \"static\" and params \"path, v\".",
            "root": "http://testserver/x/y",
            // A mount without a name has none (not even its type's).
            // Mounted in a router: under the router's prefix too.
            "router_mount": "http://testserver/api/assets/logo.png",
            "unnamed": "No route exists for name \"StaticFiles\" and params \"path\".",
        })
    );
}

#[tokio::test]
async fn the_host_and_the_mount_come_from_the_request() {
    let client = TestClient::new(app());
    let res = client.get("/t").header("host", "example.com:8080").await;
    assert_eq!(
        res.json::<Value>()["read_item"],
        "http://example.com:8080/items/42"
    );
    // In a mounted app: its own routes, under the mount's prefix.
    assert_eq!(
        client.get("/sub/inner/1").await.text(),
        "http://testserver/sub/inner/2"
    );
}

#[tokio::test]
async fn a_separator_in_a_plain_parameter_fails_with_a_500() {
    async fn bad(req: Request) -> sluice::Result<String> {
        Ok(req.url_for("user", [("name", "a/b")])?)
    }
    let app = App::new()
        .include_router("/api", Router::new().get("/users/{name}", user))
        .get("/bad", bad);
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/bad")
        .await;
    assert_eq!(res.status(), 500);
    let error = res.error().expect("the error").to_string();
    assert!(error.contains("path separator"), "{error}");
}

/// The app of the FastAPI twin with mounted apps: `v1` unnamed at `/v1`,
/// `api` named at `/api`, with `deep` named in it at `/deep`.
fn mounting_app() -> App {
    async fn read_item(Path(_id): Path<u32>) -> &'static str {
        "item"
    }
    async fn list_users() -> &'static str {
        "users"
    }
    async fn leaf(Path(_x): Path<String>) -> &'static str {
        "leaf"
    }
    async fn home(req: Request) -> Json<Value> {
        let show = |r: Result<String, sluice::error::UrlForError>| match r {
            Ok(url) => url,
            Err(e) => e.to_string(),
        };
        Json(json!({
            "read_item": show(req.url_for("read_item", [("item_id", 5)])),
            "api:list_users": show(req.url_for("api:list_users", [("", ""); 0])),
            "list_users": show(req.url_for("list_users", [("", ""); 0])),
            "api": show(req.url_for("api", [("path", "/x")])),
            "api:deep:leaf": show(req.url_for("api:deep:leaf", [("x", "a")])),
            "api:leaf": show(req.url_for("api:leaf", [("x", "a")])),
            "read_item_no_params": show(req.url_for("read_item", [("", ""); 0])),
            "read_item_extra": show(req.url_for("read_item", [("item_id", 5), ("extra", 1)])),
        }))
    }
    async fn names_in_v1(req: Request) -> Json<Value> {
        let show = |r: Result<String, sluice::error::UrlForError>| match r {
            Ok(url) => url,
            Err(e) => e.to_string(),
        };
        Json(json!({
            "read_item": show(req.url_for("read_item", [("item_id", 7)])),
            "api:list_users": show(req.url_for("api:list_users", [("", ""); 0])),
            "home": show(req.url_for("home", [("", ""); 0])),
        }))
    }
    let v1 = App::new()
        .get("/items/{item_id}", read_item)
        .get("/names", names_in_v1);
    let deep = App::new().get("/leaf/{x}", leaf);
    let api = App::new().get("/users", list_users).mount_named(
        "/deep",
        "deep",
        deep.build().expect("deep builds"),
    );
    App::new()
        .get("/", home)
        .mount("/v1", v1.build().expect("v1 builds"))
        .mount_named("/api", "api", api.build().expect("api builds"))
}

#[tokio::test]
async fn the_routes_of_mounted_apps_are_found_as_starlette_finds_them() {
    let client = TestClient::new(mounting_app());
    // FastAPI 0.165's answers for the same app.
    assert_eq!(
        client.get("/").await.json::<Value>(),
        json!({
            // An unnamed mount's routes under their own names.
            "read_item": "http://testserver/v1/items/5",
            // A named mount's as `mount:route`, and only so.
            "api:list_users": "http://testserver/api/users",
            "list_users": "No route exists for name \"list_users\" and params \"\".",
            "api": "http://testserver/api/x",
            "api:deep:leaf": "http://testserver/api/deep/leaf/a",
            "api:leaf": "No route exists for name \"api:leaf\" and params \"x\".",
            "read_item_no_params": "No route exists for name \"read_item\" and params \"\".",
            "read_item_extra": "No route exists for name \"read_item\" and params \"item_id, extra\".",
        })
    );
    // In the mounted app, the outermost app's names, as in Starlette.
    assert_eq!(
        client.get("/v1/names").await.json::<Value>(),
        json!({
            "read_item": "http://testserver/v1/items/7",
            "api:list_users": "http://testserver/api/users",
            "home": "http://testserver/",
        })
    );
}
