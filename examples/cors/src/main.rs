//! The tutorial's CORS setup: a front end on `http://localhost:8080` may
//! call this API with cookies, and read `X-Process-Time`.
//!
//! CORS is added last, so it is the outermost middleware: it answers
//! preflights before anything else runs, and its headers land on every
//! response, including the 500 of a failing handler (which Starlette's
//! `CORSMiddleware` misses, hiding the error from the page).
//!
//! ```sh
//! cargo run -p example-cors
//! curl -i -H 'Origin: http://localhost:8080' http://127.0.0.1:8000/
//! curl -i -X OPTIONS -H 'Origin: http://localhost:8080' \
//!      -H 'Access-Control-Request-Method: POST' http://127.0.0.1:8000/items
//! ```

use serde_json::{json, Value};
use sluice::middleware::{Cors, ProcessTime};
use sluice::{App, Error, Json, StatusCode};

async fn root() -> Json<Value> {
    Json(json!({"Hello": "World"}))
}

async fn create_item(Json(item): Json<Value>) -> (StatusCode, Json<Value>) {
    (StatusCode::CREATED, Json(item))
}

async fn boom() -> sluice::Result<Json<Value>> {
    Err(Error::msg("the database went away"))
}

fn app() -> App {
    App::new()
        .get("/", root)
        .post("/items", create_item)
        .get("/boom", boom)
        .add_middleware(ProcessTime::new())
        .add_middleware(
            Cors::new()
                .allow_origins(["http://localhost", "http://localhost:8080"])
                .allow_credentials(true)
                .allow_methods(["*"])
                .allow_headers(["*"])
                .expose_headers(["X-Process-Time"])
                .max_age(600),
        )
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::TestClient;

    const FRONT: &str = "http://localhost:8080";

    #[tokio::test]
    async fn an_allowed_origin_gets_its_cors_headers() {
        let res = TestClient::new(app())
            .get("/")
            .header("origin", FRONT)
            .await;
        assert_eq!(res.json::<Value>(), json!({"Hello": "World"}));
        assert_eq!(res.header("access-control-allow-origin"), Some(FRONT));
        assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            res.header("access-control-expose-headers"),
            Some("X-Process-Time")
        );
        assert!(res.header("x-process-time").is_some());
    }

    #[tokio::test]
    async fn a_preflight_is_answered_before_the_app() {
        let res = TestClient::new(app())
            .options("/items")
            .header("origin", FRONT)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.text(), "OK");
        assert_eq!(res.header("access-control-allow-origin"), Some(FRONT));
        assert_eq!(
            res.header("access-control-allow-headers"),
            Some("content-type")
        );
        assert_eq!(res.header("access-control-max-age"), Some("600"));
    }

    #[tokio::test]
    async fn another_origin_is_not_allowed() {
        let res = TestClient::new(app())
            .get("/")
            .header("origin", "https://evil.example")
            .await;
        assert_eq!(res.header("access-control-allow-origin"), None);
    }

    #[tokio::test]
    async fn a_failing_handler_still_carries_cors_headers() {
        let res = TestClient::new(app())
            .raise_server_exceptions(false)
            .get("/boom")
            .header("origin", FRONT)
            .await;
        assert_eq!(res.status(), 500);
        assert_eq!(res.header("access-control-allow-origin"), Some(FRONT));
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Internal Server Error"})
        );
    }
}
