//! Logging every request: the tutorial's logging middleware, written by
//! hand, and the built-ins `RequestId` and `AccessLog`.
//!
//! `app()` logs a line before and after each request with a function
//! middleware. `builtin_app()` gives each request an id (`X-Request-ID`,
//! taken from the client when it is safe) and logs one structured event per
//! request on the `sluice::access` target.
//!
//! ```sh
//! RUST_LOG=info cargo run -p example-request-logging
//! curl -i http://127.0.0.1:8000/items/42
//! ```

use std::time::Instant;

use serde_json::{json, Value};
use sluice::middleware::{AccessLog, RequestId};
use sluice::{App, Json, Next, Path, Request, Response};

/// Logs the request on the way in and the status and time on the way out.
///
/// The path comes from the client: it is logged with `?` (Debug), which
/// quotes and escapes it, so that it cannot fake a log line.
async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    tracing::info!(%method, path = ?path, "request");
    let start = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        %method,
        path = ?path,
        status = response.status().as_u16(),
        elapsed_ms = start.elapsed().as_secs_f64() * 1000.0,
        "response"
    );
    response
}

async fn read_item(Path(item_id): Path<i64>) -> Json<Value> {
    Json(json!({ "item_id": item_id }))
}

/// The tutorial's app, with the hand-written middleware.
fn app() -> App {
    App::new()
        .get("/items/{item_id}", read_item)
        .middleware(log_requests)
}

/// The built-ins: `AccessLog` inside `RequestId`, so that each event
/// carries the request id.
#[allow(dead_code)] // shown for comparison; `main` serves `app()`
fn builtin_app() -> App {
    App::new()
        .get("/items/{item_id}", read_item)
        .add_middleware(AccessLog::new())
        .add_middleware(RequestId::new())
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    tracing_subscriber::fmt().init();
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use sluice::testing::TestClient;

    /// Collects what the `fmt` subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
        }
    }

    fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        // Tests run in parallel, some with no subscriber: make sure no event
        // of ours stays cached as "never enabled" from one of those.
        tracing::callsite::rebuild_interest_cache();
        (captured, guard)
    }

    #[tokio::test]
    async fn hand_written_middleware_logs_request_and_response() {
        let (logs, _guard) = capture();
        let res = TestClient::new(app()).get("/items/42").await;
        assert_eq!(res.json::<Value>(), json!({"item_id": 42}));
        let text = logs.text();
        assert!(
            text.contains(r#"request method=GET path="/items/42""#),
            "{text}"
        );
        assert!(text.contains("status=200"), "{text}");
    }

    #[tokio::test]
    async fn built_ins_log_one_event_with_the_request_id() {
        let (logs, _guard) = capture();
        let res = TestClient::new(builtin_app())
            .get("/items/7")
            .header("x-request-id", "req-7")
            .await;
        assert_eq!(res.header("x-request-id"), Some("req-7"));
        let text = logs.text();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("sluice::access"), "{text}");
        assert!(text.contains("request_id=req-7"), "{text}");
        assert!(text.contains("status=200"), "{text}");
    }

    #[tokio::test]
    async fn a_hostile_request_id_is_replaced() {
        let (_logs, _guard) = capture();
        let res = TestClient::new(builtin_app())
            .get("/items/7")
            .header("x-request-id", "fake status=500")
            .await;
        let id = res.header("x-request-id").expect("an id");
        assert_eq!(id.len(), 36, "{id}");
    }
}
