//! The stacking rule and what a middleware can do: run code before and
//! after, change the request and the response, short-circuit, fail.

use std::borrow::Cow;

use serde_json::{json, Value};
use sluice::extract::{Extension, Local};
use sluice::middleware::{from_fn, Middleware};
use sluice::routing::get;
use sluice::testing::TestClient;
use sluice::{
    App, Error, HeaderValue, HttpError, IntoResponse, Json, Next, Request, Response, ResponseExt,
    Router, StatusCode,
};

#[derive(Clone, Default)]
struct Trail(Vec<&'static str>);

fn enter(req: &Request, name: &'static str) {
    req.locals().update(|trail: &mut Trail| trail.0.push(name));
}

fn leave(response: &mut Response, name: &'static str) {
    response
        .headers_mut()
        .append("x-out", HeaderValue::from_static(name));
}

struct Named(&'static str);

impl Middleware for Named {
    async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
        enter(&req, self.0);
        let mut response = next.run(req).await;
        leave(&mut response, self.0);
        Ok(response)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.0)
    }
}

async fn fn_c(req: Request, next: Next) -> Response {
    enter(&req, "C");
    let mut response = next.run(req).await;
    leave(&mut response, "C");
    response
}

async fn trail(Local(trail): Local<Trail>) -> Json<Value> {
    Json(json!({ "trail": trail.0 }))
}

fn ordered_app() -> App {
    App::new()
        .get("/trail", trail)
        .add_middleware(Named("A"))
        .add_middleware(Named("B"))
        .middleware(fn_c)
}

#[tokio::test]
async fn last_added_middleware_sees_the_request_first_and_the_response_last() {
    let res = TestClient::new(ordered_app()).get("/trail").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"trail": ["C", "B", "A"]}));
    assert_eq!(res.header_all("x-out"), ["A", "B", "C"]);
}

#[tokio::test]
async fn middleware_runs_for_not_found_and_method_not_allowed() {
    let client = TestClient::new(ordered_app());
    let res = client.get("/nope").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header_all("x-out"), ["A", "B", "C"]);
    let res = client.post("/trail").await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header_all("x-out"), ["A", "B", "C"]);
}

#[test]
fn describe_prints_the_stack_outermost_first() {
    let text = ordered_app().describe();
    let expected = "middleware (outermost first):\n  1. fn_c\n  2. B\n  3. A\n  -> router";
    assert!(text.starts_with(expected), "{text}");
    assert!(text.contains("GET /trail"), "{text}");
}

#[tokio::test]
async fn middleware_can_answer_without_calling_next() {
    let handler_ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = handler_ran.clone();
    let app = App::new()
        .get("/", move || {
            let seen = seen.clone();
            async move {
                seen.store(true, std::sync::atomic::Ordering::SeqCst);
                "handler"
            }
        })
        .middleware(|_req: Request, _next: Next| async {
            (StatusCode::SERVICE_UNAVAILABLE, "closed")
        });
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.text(), "closed");
    assert!(!handler_ran.load(std::sync::atomic::Ordering::SeqCst));
}

async fn require_token(req: Request, next: Next) -> Result<Response, HttpError> {
    if req.header("authorization") != Some("Bearer secret") {
        return Err(HttpError::new(401, "Unauthorized").with_header("www-authenticate", "Bearer"));
    }
    Ok(next.run(req).await)
}

#[tokio::test]
async fn question_mark_on_http_error_in_middleware_gives_that_error() {
    let app = App::new()
        .get("/", || async { "in" })
        .middleware(require_token);
    let client = TestClient::new(app);
    let res = client.get("/").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(res.json::<Value>(), json!({"detail": "Unauthorized"}));
    let res = client
        .get("/")
        .header("authorization", "Bearer secret")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "in");
}

/// Records the status and error the inner stack produced in `x-inner-*`.
async fn observe(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let error = response
        .error()
        .map(ToString::to_string)
        .unwrap_or_default();
    let headers = response.headers_mut();
    headers.insert("x-inner-status", status.parse().expect("digits"));
    headers.insert(
        "x-inner-error",
        HeaderValue::from_str(&error).expect("ascii message"),
    );
    response
}

#[tokio::test]
async fn an_error_returned_by_a_middleware_reaches_outer_middleware_as_a_response() {
    let app = App::new()
        .get("/", || async { "never" })
        .middleware(|_req: Request, _next: Next| async {
            Err::<Response, _>(Error::msg("inner middleware failed"))
        })
        .middleware(observe);
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
    assert_eq!(res.header("x-inner-status"), Some("500"));
    assert_eq!(res.header("x-inner-error"), Some("inner middleware failed"));
}

#[tokio::test]
async fn a_panicking_middleware_becomes_a_500_that_outer_middleware_decorates() {
    async fn explode(_req: Request, _next: Next) -> Response {
        panic!("middleware bug")
    }
    let app = App::new()
        .get("/", || async { "never" })
        .middleware(explode)
        .middleware(observe);
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("x-inner-status"), Some("500"));
    assert_eq!(
        res.header("x-inner-error"),
        Some("panicked: middleware bug")
    );
    assert!(
        !res.text().contains("middleware bug"),
        "the panic message must not reach the client"
    );
}

#[tokio::test]
async fn handler_errors_and_panics_pass_out_through_every_middleware() {
    async fn fails() -> sluice::Result<&'static str> {
        Err(Error::msg("handler failed"))
    }
    async fn panics() -> &'static str {
        panic!("handler bug")
    }
    let app = App::new()
        .get("/fails", fails)
        .get("/panics", panics)
        .middleware(observe);
    let client = TestClient::new(app).raise_server_exceptions(false);
    let res = client.get("/fails").await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("x-inner-error"), Some("handler failed"));
    let res = client.get("/panics").await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("x-inner-error"), Some("panicked: handler bug"));
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
}

#[tokio::test]
async fn middleware_can_change_the_request_before_the_handler() {
    async fn rewrite(mut req: Request, next: Next) -> Response {
        req.headers_mut()
            .insert("x-user", HeaderValue::from_static("alice"));
        req.headers_mut().remove("x-secret");
        next.run(req).await
    }
    async fn show(headers: sluice::HeaderMap) -> String {
        format!(
            "{}|{}",
            headers
                .get("x-user")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-"),
            headers.contains_key("x-secret")
        )
    }
    let app = App::new().get("/", show).middleware(rewrite);
    let res = TestClient::new(app).get("/").header("x-secret", "s").await;
    assert_eq!(res.text(), "alice|false");
}

#[tokio::test]
async fn middleware_can_replace_status_headers_and_body() {
    async fn rewrite(req: Request, next: Next) -> Response {
        let response = next.run(req).await;
        let (mut parts, body) = response.into_parts();
        let original = body.collect().await.unwrap_or_default();
        parts.status = StatusCode::ACCEPTED;
        parts
            .headers
            .insert("x-wrapped", HeaderValue::from_static("yes"));
        parts.headers.remove("content-length");
        let wrapped = format!("[{}]", String::from_utf8_lossy(&original));
        Response::from_parts(parts, sluice::Body::from(wrapped))
    }
    let app = App::new()
        .get("/", || async { "inner" })
        .middleware(rewrite);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.header("x-wrapped"), Some("yes"));
    assert_eq!(res.text(), "[inner]");
    assert_eq!(res.header("content-length"), Some("7"));
}

#[tokio::test]
async fn router_middleware_runs_inside_app_middleware_and_only_for_its_routes() {
    let admin = Router::new()
        .get("/users", trail)
        .add_middleware(Named("router"));
    let app = App::new()
        .get("/public", trail)
        .include_router("/admin", admin)
        .add_middleware(Named("app"));
    let client = TestClient::new(app);
    let res = client.get("/admin/users").await;
    assert_eq!(res.json::<Value>(), json!({"trail": ["app", "router"]}));
    assert_eq!(res.header_all("x-out"), ["router", "app"]);
    let res = client.get("/public").await;
    assert_eq!(res.json::<Value>(), json!({"trail": ["app"]}));
    let res = client.get("/admin/nope").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header_all("x-out"), ["app"]);
}

#[tokio::test]
async fn route_middleware_runs_innermost_and_nested_routers_stack_outwards() {
    let inner = Router::new()
        .route("/x", get(trail).add_middleware(Named("route")))
        .add_middleware(Named("inner"));
    let outer = Router::new()
        .include_router("/inner", inner)
        .add_middleware(Named("outer"));
    let app = App::new()
        .include_router("/outer", outer)
        .add_middleware(from_fn(fn_c));
    let res = TestClient::new(app).get("/outer/inner/x").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"trail": ["C", "outer", "inner", "route"]})
    );
}

#[tokio::test]
async fn route_middleware_sees_the_path_parameters() {
    async fn tag_id(req: Request, next: Next) -> Response {
        let id = req
            .route()
            .and_then(|r| r.param("id"))
            .unwrap_or("none")
            .to_owned();
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-id", HeaderValue::from_str(&id).expect("ascii"));
        response
    }
    let app = App::new().route("/items/{id}", get(|| async { "item" }).middleware(tag_id));
    let res = TestClient::new(app).get("/items/42").await;
    assert_eq!(res.header("x-id"), Some("42"));
}

#[tokio::test]
async fn extension_set_in_middleware_is_visible_to_the_handler() {
    #[derive(Clone)]
    struct User(&'static str);
    async fn who(Extension(user): Extension<User>) -> &'static str {
        user.0
    }
    let app = App::new()
        .get("/", who)
        .middleware(|mut req: Request, next: Next| async move {
            req.extensions_mut().insert(User("alice"));
            next.run(req).await
        });
    assert_eq!(TestClient::new(app).get("/").await.text(), "alice");
}

#[tokio::test]
async fn missing_state_is_a_server_error_not_a_crash() {
    #[derive(Clone)]
    struct User;
    async fn who(Extension(_user): Extension<User>) -> &'static str {
        "never"
    }
    let res = TestClient::new(App::new().get("/", who))
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    assert!(res
        .error()
        .is_some_and(|e| e.to_string().contains("Extension")));
}

#[tokio::test]
async fn into_response_types_cover_the_common_returns() {
    let app = App::new()
        .get("/created", || async {
            (StatusCode::CREATED, Json(json!({"id": 1})))
        })
        .get("/headers", || async { ([("x-a", "1")], "with header") })
        .get("/redirect", || async { sluice::Redirect::to("/created") })
        .get("/status", || async { StatusCode::NO_CONTENT })
        .get("/value", || async { json!({"a": [1, 2]}) })
        .get("/html", || async { sluice::Html("<p>hi</p>") })
        .get("/error", || async {
            HttpError::new(404, "Item not found").into_response()
        });
    let client = TestClient::new(app);
    let res = client.get("/created").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (201, r#"{"id":1}"#.to_owned())
    );
    let res = client.get("/headers").await;
    assert_eq!(res.header("x-a"), Some("1"));
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let res = client.get("/redirect").await;
    assert_eq!(
        (res.status().as_u16(), res.header("location")),
        (307, Some("/created"))
    );
    let res = client.get("/status").await;
    assert_eq!((res.status().as_u16(), res.bytes().len()), (204, 0));
    assert_eq!(client.get("/value").await.text(), r#"{"a":[1,2]}"#);
    assert_eq!(
        client.get("/html").await.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let res = client.get("/error").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>(), json!({"detail": "Item not found"}));
}

/// [`Named`], except for paths under `/quiet`, which it skips
/// ([`Middleware::skips`]).
struct SkipsQuiet(Named);

impl Middleware for SkipsQuiet {
    async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
        self.0.handle(req, next).await
    }

    fn skips(&self, req: &Request) -> bool {
        req.path().starts_with("/quiet")
    }
}

#[tokio::test]
async fn a_middleware_that_skips_a_request_is_left_out_for_that_request_alone() {
    let app = App::new()
        .get("/trail", trail)
        .get("/quiet/trail", trail)
        .add_middleware(Named("A"))
        .add_middleware(SkipsQuiet(Named("S")))
        .add_middleware(Named("B"));
    let client = TestClient::new(app);
    let res = client.get("/trail").await;
    assert_eq!(res.json::<Value>(), json!({"trail": ["B", "S", "A"]}));
    assert_eq!(res.header_all("x-out"), ["A", "S", "B"]);
    let res = client.get("/quiet/trail").await;
    assert_eq!(res.json::<Value>(), json!({"trail": ["B", "A"]}));
    assert_eq!(res.header_all("x-out"), ["A", "B"]);
}

#[derive(Debug)]
struct Teapot;

impl std::fmt::Display for Teapot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("short and stout")
    }
}

impl std::error::Error for Teapot {}

#[tokio::test]
async fn what_a_skipped_layer_wraps_still_has_its_errors_handled_and_its_tasks_run() {
    let (done, mut ran) = tokio::sync::mpsc::unbounded_channel();
    // The skipping middleware is the only one: nothing but the app's own
    // edge is left to settle the response.
    let app = App::new()
        .get("/quiet/fail", || async {
            Err::<&str, _>(Error::new(Teapot))
        })
        .get("/quiet/task", move |tasks: sluice::BackgroundTasks| {
            let done = done.clone();
            async move {
                tasks.add(async move {
                    let _ = done.send(());
                });
                "queued"
            }
        })
        .exception_handler(|_: &Teapot| (StatusCode::IM_A_TEAPOT, "handled"))
        .add_middleware(SkipsQuiet(Named("S")));
    let client = TestClient::new(app);
    let res = client.get("/quiet/fail").await;
    assert_eq!(res.status(), 418);
    assert_eq!(res.text(), "handled");
    assert!(res.header("x-out").is_none());
    let res = client.get("/quiet/task").await;
    assert_eq!(res.text(), "queued");
    tokio::time::timeout(std::time::Duration::from_secs(10), ran.recv())
        .await
        .expect("the background task ran")
        .expect("it said so");
}
