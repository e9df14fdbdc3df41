//! `middleware::ProcessTime`: the tutorial's `X-Process-Time` as a built-in.

use std::time::Duration;

use sluice::middleware::ProcessTime;
use sluice::testing::TestClient;
use sluice::{App, ConfigError, Json};

async fn hello() -> &'static str {
    "hello"
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(30)).await;
    "slow"
}

async fn boom() -> Json<()> {
    panic!("boom")
}

fn app(middleware: ProcessTime) -> App {
    App::new()
        .get("/", hello)
        .get("/slow", slow)
        .get("/boom", boom)
        .add_middleware(middleware)
}

/// `digits.dddddd`: a non-negative decimal with microsecond precision.
fn assert_seconds(value: Option<&str>) -> f64 {
    let value = value.expect("the header is present");
    let (whole, fraction) = value.split_once('.').expect("a decimal point");
    assert!(
        !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()),
        "{value}"
    );
    assert!(
        fraction.len() == 6 && fraction.bytes().all(|b| b.is_ascii_digit()),
        "{value}"
    );
    value.parse().expect("a number")
}

#[tokio::test]
async fn adds_x_process_time_in_seconds() {
    let client = TestClient::new(app(ProcessTime::new()));
    let res = client.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "hello");
    assert!(assert_seconds(res.header("x-process-time")) >= 0.0);
}

#[tokio::test]
async fn measures_the_time_spent_further_in() {
    let client = TestClient::new(app(ProcessTime::new()));
    let res = client.get("/slow").await;
    assert!(assert_seconds(res.header("x-process-time")) >= 0.030);
}

#[tokio::test]
async fn not_found_and_panics_are_timed_too() {
    let client = TestClient::new(app(ProcessTime::new())).raise_server_exceptions(false);
    let res = client.get("/nope").await;
    assert_eq!(res.status(), 404);
    assert_seconds(res.header("x-process-time"));
    let res = client.get("/boom").await;
    assert_eq!(res.status(), 500);
    assert_seconds(res.header("x-process-time"));
}

#[tokio::test]
async fn header_name_is_configurable() {
    let client = TestClient::new(app(ProcessTime::new().header("x-elapsed")));
    let res = client.get("/").await;
    assert_seconds(res.header("x-elapsed"));
    assert_eq!(res.header("x-process-time"), None);
}

#[tokio::test]
async fn server_timing_is_off_by_default() {
    let client = TestClient::new(app(ProcessTime::new()));
    assert_eq!(client.get("/").await.header("server-timing"), None);
}

#[tokio::test]
async fn server_timing_gives_milliseconds_under_the_metric_name() {
    let client = TestClient::new(app(ProcessTime::new().server_timing("app")));
    let res = client.get("/slow").await;
    let timing = res.header("server-timing").expect("server-timing");
    let millis: f64 = timing
        .strip_prefix("app;dur=")
        .expect("metric;dur=")
        .parse()
        .expect("a number");
    assert!(millis >= 30.0, "{timing}");
    assert_seconds(res.header("x-process-time"));
}

#[tokio::test]
async fn server_timing_is_appended_to_existing_entries() {
    async fn with_timing() -> ([(&'static str, &'static str); 1], &'static str) {
        ([("server-timing", "db;dur=1.5")], "ok")
    }
    let app = App::new()
        .get("/", with_timing)
        .add_middleware(ProcessTime::new().server_timing("total"));
    let res = TestClient::new(app).get("/").await;
    let all = res.header_all("server-timing");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], "db;dur=1.5");
    assert!(all[1].starts_with("total;dur="));
}

#[tokio::test]
async fn without_header_sends_only_server_timing() {
    let client = TestClient::new(app(ProcessTime::new()
        .without_header()
        .server_timing("app")));
    let res = client.get("/").await;
    assert_eq!(res.header("x-process-time"), None);
    assert!(res.header("server-timing").is_some());
}

#[tokio::test]
async fn invalid_names_fail_when_the_app_is_built() {
    let err = TestClient::try_new(app(ProcessTime::new().header("x bad")))
        .expect_err("the configuration is invalid");
    assert!(matches!(err, ConfigError::Middleware { .. }), "{err}");
    assert!(err.to_string().contains("ProcessTime"), "{err}");
    let err = TestClient::try_new(app(ProcessTime::new().server_timing("a;b")))
        .expect_err("the configuration is invalid");
    assert!(err.to_string().contains("Server-Timing"), "{err}");
}
