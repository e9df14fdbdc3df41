//! Error handling: a middleware that turns every failure further in into a
//! clean JSON answer, as the tutorial's error-handling middleware does.
//!
//! In sluice, errors and panics never unwind through middleware: the
//! response a middleware gets back carries the original error
//! (`response.error()`). `app()` rewrites server errors by hand;
//! `builtin_app()` uses `sluice::middleware::ErrorHandler`, which can also
//! map error types to responses and show the error while debugging.
//!
//! ```sh
//! cargo run -p example-error-handling
//! curl -i http://127.0.0.1:8000/panic
//! ```

use serde_json::{json, Value};
use sluice::middleware::ErrorHandler;
use sluice::{
    App, Error, HttpError, IntoResponse, Json, Next, Request, Response, ResponseExt, StatusCode,
};

/// Logs any server error further in and answers a plain JSON 500.
async fn handle_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    match response.error() {
        Some(error) if response.status().is_server_error() => {
            tracing::error!(%error, "unhandled error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"detail": "Internal Server Error"})),
            )
                .into_response()
        }
        _ => response,
    }
}

/// An error of the app's own.
#[derive(Debug)]
struct DatabaseDown;

impl std::fmt::Display for DatabaseDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the database went away")
    }
}

impl std::error::Error for DatabaseDown {}

async fn root() -> Json<Value> {
    Json(json!({"Hello": "World"}))
}

async fn fail() -> sluice::Result<Json<Value>> {
    Err(Error::new(DatabaseDown))
}

async fn explode() -> Json<Value> {
    panic!("the handler panicked")
}

async fn teapot() -> Result<Json<Value>, HttpError> {
    Err(HttpError::new(418, "I'm a teapot"))
}

fn routes() -> App {
    App::new()
        .get("/", root)
        .get("/error", fail)
        .get("/panic", explode)
        .get("/http-error", teapot)
}

/// The tutorial's app: the hand-written middleware, outermost.
fn app() -> App {
    routes().middleware(handle_errors)
}

/// The built-in: the same default answer, and a 503 for `DatabaseDown`.
#[allow(dead_code)] // shown for comparison; `main` serves `app()`
fn builtin_app() -> App {
    routes().add_middleware(ErrorHandler::new().map(|_: &DatabaseDown| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"detail": "Try again later"})),
        )
    }))
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::TestClient;

    #[tokio::test]
    async fn errors_and_panics_become_a_json_500() {
        let client = TestClient::new(app()).raise_server_exceptions(false);
        for path in ["/error", "/panic"] {
            let res = client.get(path).await;
            assert_eq!(res.status(), 500);
            assert_eq!(
                res.json::<Value>(),
                json!({"detail": "Internal Server Error"})
            );
        }
        // The server keeps serving.
        assert_eq!(
            client.get("/").await.json::<Value>(),
            json!({"Hello": "World"})
        );
    }

    #[tokio::test]
    async fn http_errors_keep_their_status_and_detail() {
        for client in [
            TestClient::new(app()).raise_server_exceptions(false),
            TestClient::new(builtin_app()).raise_server_exceptions(false),
        ] {
            let res = client.get("/http-error").await;
            assert_eq!(res.status(), 418);
            assert_eq!(res.json::<Value>(), json!({"detail": "I'm a teapot"}));
        }
    }

    #[tokio::test]
    async fn built_in_maps_an_error_type() {
        let client = TestClient::new(builtin_app()).raise_server_exceptions(false);
        let res = client.get("/error").await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.json::<Value>(), json!({"detail": "Try again later"}));
        let res = client.get("/panic").await;
        assert_eq!(res.status(), 500);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Internal Server Error"})
        );
    }
}
