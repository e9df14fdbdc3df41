//! `middleware::Timeout`: slow requests get 504 and their work is cancelled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sluice::middleware::{ErrorHandler, TimedOut, Timeout};
use sluice::testing::TestClient;
use sluice::{App, ConfigError, Json, State, StatusCode};

#[derive(Clone, Default)]
struct Flags {
    finished: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
}

/// Sets `dropped` when the handler's future is dropped before it finished.
struct DropGuard(Arc<AtomicBool>, bool);

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.1 {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

async fn slow(State(flags): State<Flags>) -> &'static str {
    let mut guard = DropGuard(flags.dropped.clone(), false);
    tokio::time::sleep(Duration::from_secs(10)).await;
    flags.finished.store(true, Ordering::SeqCst);
    guard.1 = true;
    "slow"
}

async fn fast() -> &'static str {
    tokio::time::sleep(Duration::from_millis(100)).await;
    "fast"
}

fn app(timeout: Timeout, flags: &Flags) -> App {
    App::new()
        .get("/slow", slow)
        .get("/fast", fast)
        .state(flags.clone())
        .add_middleware(timeout)
}

#[tokio::test(start_paused = true)]
async fn a_slow_request_gets_504_json() {
    let flags = Flags::default();
    let client = TestClient::new(app(Timeout::new(Duration::from_secs(1)), &flags));
    let res = client.get("/slow").await;
    assert_eq!(res.status(), 504);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.json::<Value>(), json!({"detail": "Gateway Timeout"}));
}

#[tokio::test(start_paused = true)]
async fn the_slow_work_is_cancelled() {
    let flags = Flags::default();
    let client = TestClient::new(app(Timeout::new(Duration::from_secs(1)), &flags));
    let started = tokio::time::Instant::now();
    let res = client.get("/slow").await;
    assert_eq!(res.status(), 504);
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert!(flags.dropped.load(Ordering::SeqCst));
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert!(!flags.finished.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn a_request_within_the_deadline_is_untouched() {
    let flags = Flags::default();
    let client = TestClient::new(app(Timeout::new(Duration::from_secs(1)), &flags));
    let res = client.get("/fast").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "fast");
    assert!(res.error().is_none());
}

#[tokio::test(start_paused = true)]
async fn the_response_carries_a_timed_out_error() {
    let flags = Flags::default();
    let client = TestClient::new(app(Timeout::new(Duration::from_secs(2)), &flags));
    let res = client.get("/slow").await;
    let timed_out = res
        .error()
        .and_then(|e| e.downcast_ref::<TimedOut>())
        .expect("a TimedOut error");
    assert_eq!(timed_out.after(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn the_response_is_configurable() {
    let flags = Flags::default();
    let timeout = Timeout::new(Duration::from_secs(1))
        .response(|| (StatusCode::SERVICE_UNAVAILABLE, "try again"));
    let res = TestClient::new(app(timeout, &flags)).get("/slow").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.text(), "try again");
    assert!(res.error().is_some_and(|e| e.is::<TimedOut>()));
}

#[tokio::test(start_paused = true)]
async fn an_exception_handler_can_answer_timeouts() {
    let flags = Flags::default();
    let app =
        app(Timeout::new(Duration::from_secs(1)), &flags).exception_handler(|err: &TimedOut| {
            (
                StatusCode::GATEWAY_TIMEOUT,
                Json(json!({"detail": format!("gave up after {}s", err.after().as_secs())})),
            )
        });
    let res = TestClient::new(app).get("/slow").await;
    assert_eq!(res.status(), 504);
    assert_eq!(res.json::<Value>(), json!({"detail": "gave up after 1s"}));
}

#[tokio::test(start_paused = true)]
async fn an_error_handler_outside_leaves_the_504_alone() {
    let flags = Flags::default();
    let app = app(Timeout::new(Duration::from_secs(1)), &flags)
        .add_middleware(ErrorHandler::new().debug(true));
    let res = TestClient::new(app).get("/slow").await;
    assert_eq!(res.status(), 504);
    assert_eq!(res.json::<Value>(), json!({"detail": "Gateway Timeout"}));
}

#[tokio::test]
async fn a_zero_duration_fails_when_the_app_is_built() {
    let err = TestClient::try_new(app(Timeout::new(Duration::ZERO), &Flags::default()))
        .expect_err("the configuration is invalid");
    assert!(matches!(err, ConfigError::Middleware { .. }), "{err}");
    assert!(err.to_string().contains("Timeout"), "{err}");
}
