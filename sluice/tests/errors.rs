//! Errors: HttpError, handler failures, exception handlers.

use serde_json::{json, Value};
use sluice::error::Panic;
use sluice::testing::TestClient;
use sluice::{App, Error, HttpError, Json, Next, Request, Response, StatusCode, ValidationError};

#[derive(Debug)]
struct UnicornError {
    name: String,
}

impl std::fmt::Display for UnicornError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} did something", self.name)
    }
}

impl std::error::Error for UnicornError {}

async fn unicorn() -> sluice::Result<&'static str> {
    Err(UnicornError {
        name: "yolo".into(),
    }
    .into())
}

#[tokio::test]
async fn http_error_carries_status_detail_and_headers() {
    async fn teapot() -> Result<&'static str, HttpError> {
        Err(HttpError::new(418, "I'm a teapot").with_header("x-error", "brewing"))
    }
    let res = TestClient::new(App::new().get("/", teapot)).get("/").await;
    assert_eq!(res.status(), 418);
    assert_eq!(res.header("x-error"), Some("brewing"));
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.json::<Value>(), json!({"detail": "I'm a teapot"}));
    assert!(res.error().is_some_and(|e| e.is::<HttpError>()));
}

#[tokio::test]
async fn http_error_detail_can_be_any_json() {
    async fn conflict() -> Result<&'static str, HttpError> {
        Err(HttpError::new(
            409,
            json!({"field": "name", "problem": "taken"}),
        ))
    }
    let res = TestClient::new(App::new().get("/", conflict))
        .get("/")
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": {"field": "name", "problem": "taken"}})
    );
}

#[tokio::test]
async fn http_error_with_a_bodiless_status_has_no_body() {
    async fn not_modified() -> Result<&'static str, HttpError> {
        Err(HttpError::new(304, "ignored"))
    }
    let res = TestClient::new(App::new().get("/", not_modified))
        .get("/")
        .await;
    assert_eq!(res.status(), 304);
    assert!(res.bytes().is_empty());
}

#[tokio::test]
async fn an_ordinary_handler_error_is_a_500_that_keeps_the_error() {
    let res = TestClient::new(App::new().get("/", unicorn))
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
    let error = res.error().expect("the error is attached");
    assert_eq!(
        error
            .downcast_ref::<UnicornError>()
            .map(|e| e.name.as_str()),
        Some("yolo")
    );
    assert!(!res.text().contains("yolo"));
}

#[tokio::test]
async fn question_mark_works_on_any_std_error() {
    async fn parse() -> sluice::Result<String> {
        let n: i32 = "not a number".parse()?;
        Ok(n.to_string())
    }
    let res = TestClient::new(App::new().get("/", parse))
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    assert!(res
        .error()
        .is_some_and(|e| e.is::<std::num::ParseIntError>()));
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_the_app_keeps_serving() {
    async fn boom() -> &'static str {
        panic!("secret detail")
    }
    let client = TestClient::new(App::new().get("/boom", boom).get("/", || async { "fine" }))
        .raise_server_exceptions(false);
    let res = client.get("/boom").await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
    assert_eq!(
        res.error()
            .and_then(|e| e.downcast_ref::<Panic>())
            .map(Panic::message),
        Some("secret detail")
    );
    assert_eq!(client.get("/").await.text(), "fine");
}

#[tokio::test]
async fn exception_handler_answers_for_its_error_type() {
    let app = App::new()
        .get("/", unicorn)
        .exception_handler(|err: &UnicornError| {
            (
                StatusCode::IM_A_TEAPOT,
                Json(json!({"message": format!("Oops! {err}")})),
            )
        });
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 418);
    assert_eq!(
        res.json::<Value>(),
        json!({"message": "Oops! yolo did something"})
    );
    assert!(
        res.error().is_some_and(|e| e.is::<UnicornError>()),
        "the original error stays attached"
    );
}

#[tokio::test]
async fn exception_handler_response_passes_out_through_middleware() {
    async fn stamp(req: Request, next: Next) -> Response {
        let mut res = next.run(req).await;
        res.headers_mut()
            .insert("x-stamp", "1".parse().expect("valid"));
        res
    }
    let app = App::new()
        .get("/", unicorn)
        .exception_handler(|_: &UnicornError| StatusCode::IM_A_TEAPOT)
        .middleware(stamp);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 418);
    assert_eq!(res.header("x-stamp"), Some("1"));
}

#[tokio::test]
async fn exception_handler_for_http_error_covers_404_and_405() {
    let app = App::new()
        .get("/", || async { "root" })
        .exception_handler(|err: &HttpError| {
            (err.status(), format!("custom {}", err.status().as_u16()))
        });
    let client = TestClient::new(app);
    let res = client.get("/nope").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (404, "custom 404".to_owned())
    );
    let res = client.post("/").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (405, "custom 405".to_owned())
    );
}

#[tokio::test]
async fn exception_handler_can_reshape_validation_errors() {
    async fn item(sluice::Path(id): sluice::Path<u32>) -> String {
        id.to_string()
    }
    let app = App::new()
        .get("/items/{id}", item)
        .exception_handler(|err: &ValidationError| {
            (
                StatusCode::BAD_REQUEST,
                format!("{} problem(s)", err.issues().len()),
            )
        });
    let res = TestClient::new(app).get("/items/x").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (400, "1 problem(s)".to_owned())
    );
}

#[tokio::test]
async fn exception_handler_applies_to_errors_returned_by_middleware() {
    async fn guard(_req: Request, _next: Next) -> sluice::Result<Response> {
        Err(Error::new(UnicornError { name: "mw".into() }))
    }
    let app = App::new()
        .get("/", || async { "never" })
        .middleware(guard)
        .exception_handler(|err: &UnicornError| (StatusCode::FORBIDDEN, err.name.clone()));
    let res = TestClient::new(app).get("/").await;
    assert_eq!((res.status().as_u16(), res.text()), (403, "mw".to_owned()));
}

#[tokio::test]
async fn handlers_registered_first_win() {
    let app = App::new()
        .get("/", unicorn)
        .exception_handler(|_: &UnicornError| "first")
        .exception_handler(|_: &UnicornError| "second");
    assert_eq!(TestClient::new(app).get("/").await.text(), "first");
}

#[tokio::test]
async fn an_async_exception_handler_sees_the_request() {
    async fn handle_unicorn(
        err: sluice::Caught<UnicornError>,
        req: sluice::RequestHead,
    ) -> (StatusCode, Json<Value>) {
        tokio::task::yield_now().await;
        let message = format!(
            "Oops! {} did something, on {} {} for {}",
            err.name,
            req.method(),
            req.path(),
            req.header("x-client").unwrap_or("?")
        );
        (StatusCode::IM_A_TEAPOT, Json(json!({ "message": message })))
    }
    let app = App::new()
        .get("/unicorns/yolo", unicorn)
        .exception_handler(handle_unicorn);
    let res = TestClient::new(app)
        .get("/unicorns/yolo")
        .header("x-client", "tests")
        .await;
    assert_eq!(res.status(), 418);
    assert_eq!(
        res.json::<Value>(),
        json!({"message": "Oops! yolo did something, on GET /unicorns/yolo for tests"})
    );
    assert!(res.error().is_some_and(|e| e.is::<UnicornError>()));
}

#[tokio::test]
async fn exception_handlers_may_be_async_or_see_the_request_synchronously() {
    async fn async_only(err: sluice::Caught<UnicornError>) -> String {
        format!("async: {err}")
    }
    let app = App::new()
        .get("/unicorn", unicorn)
        .get("/teapot", || async {
            Err::<(), _>(HttpError::new(418, "teapot"))
        })
        .exception_handler(async_only)
        .exception_handler(|err: &HttpError, req: &sluice::RequestHead| {
            (err.status(), format!("{} at {}", err.detail(), req.path()))
        });
    let client = TestClient::new(app);
    assert_eq!(
        client.get("/unicorn").await.text(),
        "async: yolo did something"
    );
    let res = client.get("/teapot").await;
    assert_eq!(res.status(), 418);
    assert_eq!(res.text(), "\"teapot\" at /teapot");
    assert_eq!(client.get("/nope").await.text(), "\"Not Found\" at /nope");
}

#[tokio::test]
async fn the_request_an_exception_handler_sees_is_the_one_that_arrived() {
    async fn rewrite(mut req: Request, next: Next) -> Response {
        req.headers_mut()
            .insert("x-client", "rewritten".parse().expect("a value"));
        next.run(req).await
    }
    let app = App::new()
        .get("/", unicorn)
        .middleware(rewrite)
        .exception_handler(|_: &UnicornError, req: &sluice::RequestHead| {
            req.header("x-client").unwrap_or("none").to_owned()
        });
    let res = TestClient::new(app)
        .get("/")
        .header("x-client", "original")
        .await;
    assert_eq!(res.text(), "original");
}

mod struct_middleware {
    use super::*;
    use sluice::middleware::Middleware;

    /// Refuses requests without a key, with `?`.
    struct RequireKey;

    impl Middleware for RequireKey {
        async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
            let key = req
                .header("x-key")
                .ok_or_else(|| HttpError::new(401, "Unauthorized"))?;
            if key == "unicorn" {
                Err(UnicornError {
                    name: "the key".into(),
                })?;
            }
            Ok(next.run(req).await)
        }
    }

    fn app() -> App {
        App::new()
            .get("/", || async { "in" })
            .add_middleware(RequireKey)
            .exception_handler(|err: &UnicornError| (StatusCode::IM_A_TEAPOT, err.to_string()))
    }

    #[tokio::test]
    async fn an_http_error_raised_with_question_mark_keeps_its_status() {
        let res = TestClient::new(app()).get("/").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.json::<Value>(), json!({"detail": "Unauthorized"}));
    }

    #[tokio::test]
    async fn another_error_raised_with_question_mark_reaches_the_exception_handlers() {
        let res = TestClient::new(app())
            .get("/")
            .header("x-key", "unicorn")
            .await;
        assert_eq!(res.status(), 418);
        assert_eq!(res.text(), "the key did something");
    }

    #[tokio::test]
    async fn the_happy_path_passes_through() {
        let res = TestClient::new(app()).get("/").header("x-key", "k").await;
        assert_eq!(res.text(), "in");
    }
}
