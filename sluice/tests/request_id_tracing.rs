//! `middleware::RequestId` in `tracing`: the id on the request span and in
//! the access log. Its own test binary: every test here installs a
//! subscriber, so no test without one can leave a callsite cached as
//! "never enabled".

mod support;

use sluice::middleware::{AccessLog, RequestId};
use sluice::testing::TestClient;
use sluice::App;
use support::request_id::{app, show};
use tracing::Level;

#[tokio::test]
async fn events_further_in_are_in_the_request_span() {
    let (events, _guard) = support::record(Level::INFO);
    let client = TestClient::new(app(RequestId::new()));
    let res = client.get("/log").header("x-request-id", "span-1").await;
    assert_eq!(res.text(), "logged");
    let handler_events = events.with_target("handler");
    assert_eq!(handler_events.len(), 1);
    assert_eq!(
        handler_events[0].span_field("request", "request_id"),
        Some("span-1")
    );
}

#[tokio::test]
async fn access_log_inside_logs_the_id() {
    let (events, _guard) = support::record(Level::INFO);
    let app = App::new()
        .get("/", show)
        .add_middleware(AccessLog::new())
        .add_middleware(RequestId::new());
    let res = TestClient::new(app)
        .get("/")
        .header("x-request-id", "logged-id")
        .await;
    assert_eq!(res.status(), 200);
    let access = events.with_target("sluice::access");
    assert_eq!(access.len(), 1);
    assert_eq!(access[0].field("request_id"), Some("logged-id"));
}
