//! `middleware::ErrorHandler` (alias `CatchPanic`): the responses of panics
//! and unhandled errors.

use serde_json::{json, Value};
use sluice::error::Panic;
use sluice::middleware::{CatchPanic, ErrorHandler};
use sluice::testing::TestClient;
use sluice::{App, Error, HttpError, Json, Next, Path, Request, Response, ResponseExt, StatusCode};

#[derive(Debug)]
struct DatabaseDown;

impl std::fmt::Display for DatabaseDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the database is down")
    }
}

impl std::error::Error for DatabaseDown {}

#[derive(Debug)]
struct QueryFailed(DatabaseDown);

impl std::fmt::Display for QueryFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the query failed")
    }
}

impl std::error::Error for QueryFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

async fn hello() -> Json<Value> {
    Json(json!({"Hello": "World"}))
}

async fn panics() -> Json<Value> {
    panic!("secret: the admin password is hunter2")
}

async fn fails() -> sluice::Result<Json<Value>> {
    Err(Error::new(QueryFailed(DatabaseDown)))
}

async fn db_down() -> sluice::Result<Json<Value>> {
    Err(DatabaseDown.into())
}

async fn teapot() -> Result<Json<Value>, HttpError> {
    Err(HttpError::new(418, "I'm a teapot"))
}

async fn unavailable() -> Result<Json<Value>, HttpError> {
    Err(HttpError::new(500, "Custom server detail"))
}

async fn item(Path(id): Path<i64>) -> Json<Value> {
    Json(json!({ "id": id }))
}

async fn tag(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-inner", "kept".parse().expect("valid"));
    res
}

fn app(handler: ErrorHandler) -> App {
    App::new()
        .get("/", hello)
        .get("/panic", panics)
        .get("/error", fails)
        .get("/db", db_down)
        .get("/teapot", teapot)
        .get("/custom-500", unavailable)
        .get("/items/{id}", item)
        .middleware(tag)
        .add_middleware(handler)
}

#[tokio::test]
async fn a_panic_becomes_the_json_500_without_its_message() {
    let res = TestClient::new(app(ErrorHandler::new()))
        .raise_server_exceptions(false)
        .get("/panic")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"detail":"Internal Server Error"}"#);
    assert!(!res.text().contains("hunter2"));
}

#[tokio::test]
async fn an_ordinary_error_becomes_the_json_500() {
    let res = TestClient::new(app(ErrorHandler::new()))
        .raise_server_exceptions(false)
        .get("/error")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
}

#[tokio::test]
async fn the_server_keeps_serving_after_a_panic() {
    let client = TestClient::new(app(ErrorHandler::new())).raise_server_exceptions(false);
    assert_eq!(client.get("/panic").await.status(), 500);
    assert_eq!(
        client.get("/").await.json::<Value>(),
        json!({"Hello": "World"})
    );
}

#[tokio::test]
async fn http_errors_pass_through_untouched() {
    let client = TestClient::new(app(ErrorHandler::new().debug(true)));
    let res = client.get("/teapot").await;
    assert_eq!(res.status(), 418);
    assert_eq!(res.json::<Value>(), json!({"detail": "I'm a teapot"}));
    let res = client.get("/custom-500").await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Custom server detail"})
    );
}

#[tokio::test]
async fn not_found_and_validation_errors_pass_through_untouched() {
    let client = TestClient::new(app(ErrorHandler::new()));
    let res = client.get("/nope").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>(), json!({"detail": "Not Found"}));
    let res = client.get("/items/abc").await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>()["detail"][0]["type"], "int_parsing");
}

#[tokio::test]
async fn successful_responses_are_untouched() {
    let res = TestClient::new(app(ErrorHandler::new())).get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"Hello": "World"}));
}

#[tokio::test]
async fn map_answers_one_error_type() {
    let handler = ErrorHandler::new().map(|_: &DatabaseDown| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"detail": "Try again later"})),
        )
    });
    let client = TestClient::new(app(handler)).raise_server_exceptions(false);
    let res = client.get("/db").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.json::<Value>(), json!({"detail": "Try again later"}));
    // Another type still gets the default.
    let res = client.get("/error").await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
}

#[tokio::test]
async fn map_sees_panics_as_the_panic_type() {
    let handler =
        ErrorHandler::new().map(|_: &Panic| (StatusCode::INTERNAL_SERVER_ERROR, "it broke"));
    let res = TestClient::new(app(handler))
        .raise_server_exceptions(false)
        .get("/panic")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "it broke");
}

#[tokio::test]
async fn map_applies_to_any_status() {
    let handler = ErrorHandler::new()
        .map(|err: &HttpError| (err.status(), format!("plain: {}", err.status().as_u16())));
    let res = TestClient::new(app(handler)).get("/teapot").await;
    assert_eq!(res.status(), 418);
    assert_eq!(res.text(), "plain: 418");
}

#[tokio::test]
async fn fallback_builds_the_500() {
    let handler = ErrorHandler::new().fallback(|_: &Error| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "oops"})),
        )
    });
    let client = TestClient::new(app(handler)).raise_server_exceptions(false);
    for path in ["/panic", "/error"] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 500);
        assert_eq!(res.json::<Value>(), json!({"error": "oops"}));
    }
}

#[tokio::test]
async fn debug_shows_the_error_and_its_causes() {
    let client =
        TestClient::new(app(ErrorHandler::new().debug(true))).raise_server_exceptions(false);
    let res = client.get("/error").await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.json::<Value>(),
        json!({
            "detail": "Internal Server Error",
            "error": "the query failed",
            "causes": ["the database is down"],
        })
    );
    let res = client.get("/panic").await;
    assert_eq!(
        res.json::<Value>()["error"],
        "panicked: secret: the admin password is hunter2"
    );
}

#[tokio::test]
async fn headers_added_further_in_are_kept() {
    let res = TestClient::new(app(ErrorHandler::new().map(|_: &Panic| "replaced")))
        .raise_server_exceptions(false)
        .get("/panic")
        .await;
    assert_eq!(res.header("x-inner"), Some("kept"));
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("content-length"), Some("8"));
}

#[tokio::test]
async fn outer_middleware_still_sees_the_original_error() {
    async fn report(req: Request, next: Next) -> Response {
        let mut res = next.run(req).await;
        let seen = match res.error() {
            Some(e) if e.is::<Panic>() => "panic",
            Some(_) => "other",
            None => "none",
        };
        res.headers_mut()
            .insert("x-error", seen.parse().expect("valid"));
        res
    }
    let app = app(ErrorHandler::new()).middleware(report);
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/panic")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("x-error"), Some("panic"));
}

#[tokio::test]
async fn a_panicking_middleware_further_in_is_handled_too() {
    async fn broken(_req: Request, _next: Next) -> Response {
        panic!("middleware bug")
    }
    let app = App::new()
        .get("/", hello)
        .middleware(broken)
        .add_middleware(ErrorHandler::new().fallback(|_: &Error| "fallback"));
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "fallback");
}

#[tokio::test]
async fn catch_panic_is_the_same_middleware() {
    let app = App::new()
        .get("/panic", panics)
        .add_middleware(CatchPanic::new());
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/panic")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.text(), r#"{"detail":"Internal Server Error"}"#);
}
