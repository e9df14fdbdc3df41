//! The tutorial's first middleware: `X-Process-Time`, the seconds the app
//! took to answer.
//!
//! `app()` is the tutorial's hand-written function middleware;
//! `builtin_app()` does the same with the built-in
//! `sluice::middleware::ProcessTime`, which can also send a `Server-Timing`
//! entry for browsers' developer tools.
//!
//! ```sh
//! cargo run -p example-process-time
//! curl -i http://127.0.0.1:8000/
//! ```

use std::time::Instant;

use serde_json::{json, Value};
use sluice::middleware::ProcessTime;
use sluice::{App, HeaderValue, Json, Next, Request, Response};

/// Times the rest of the app and reports it in seconds.
async fn add_process_time_header(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut response = next.run(req).await;
    let elapsed = start.elapsed().as_secs_f64();
    if let Ok(value) = HeaderValue::from_str(&elapsed.to_string()) {
        response.headers_mut().insert("x-process-time", value);
    }
    response
}

async fn root() -> Json<Value> {
    Json(json!({"Hello": "World"}))
}

/// The tutorial's app, with the hand-written middleware.
fn app() -> App {
    App::new()
        .get("/", root)
        .middleware(add_process_time_header)
}

/// The same with the built-in, plus `Server-Timing: app;dur=<ms>`.
#[allow(dead_code)] // shown for comparison; `main` serves `app()`
fn builtin_app() -> App {
    App::new()
        .get("/", root)
        .add_middleware(ProcessTime::new().server_timing("app"))
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::TestClient;

    fn seconds(value: Option<&str>) -> f64 {
        value
            .expect("x-process-time is set")
            .parse()
            .expect("a decimal number of seconds")
    }

    #[tokio::test]
    async fn hand_written_middleware_adds_the_header() {
        let res = TestClient::new(app()).get("/").await;
        assert_eq!(res.json::<Value>(), json!({"Hello": "World"}));
        assert!(seconds(res.header("x-process-time")) >= 0.0);
    }

    #[tokio::test]
    async fn the_header_is_on_errors_too() {
        let res = TestClient::new(app()).get("/missing").await;
        assert_eq!(res.status(), 404);
        assert!(seconds(res.header("x-process-time")) >= 0.0);
    }

    #[tokio::test]
    async fn built_in_adds_the_header_and_server_timing() {
        let res = TestClient::new(builtin_app()).get("/").await;
        assert!(seconds(res.header("x-process-time")) >= 0.0);
        let timing = res.header("server-timing").expect("server-timing");
        assert!(timing.starts_with("app;dur="), "{timing}");
    }
}
