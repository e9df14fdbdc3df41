//! `Tracing` and `tracing` logs: events logged while a request is handled
//! carry its trace id, and `RequestId` and `AccessLog` join the span. Its
//! own test binary, as every test here installs a subscriber.
#![cfg(feature = "otel")]

mod support;

use sluice::middleware::{otel, AccessLog, RequestId, Tracing};
use sluice::testing::TestClient;
use sluice::App;
use tracing::Level;

#[tokio::test]
async fn events_further_in_carry_the_trace_id() {
    let (events, _guard) = support::record(Level::INFO);
    let tracing = Tracing::new(otel::SdkTracerProvider::builder().build());
    let app = App::new()
        .get("/log", || async {
            tracing::info!(target: "handler", "inside the handler");
            "logged"
        })
        .add_middleware(AccessLog::new())
        .add_middleware(RequestId::new())
        .add_middleware(tracing);
    let res = TestClient::new(app)
        .get("/log")
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .header("x-request-id", "req-1")
        .await;
    assert_eq!(res.text(), "logged");

    let handler = events.with_target("handler");
    assert_eq!(handler.len(), 1);
    assert_eq!(
        handler[0].span_field("trace", "trace_id"),
        Some("0af7651916cd43dd8448eb211c80319c")
    );
    let span_id = handler[0]
        .span_field("trace", "span_id")
        .expect("a span id");
    assert_eq!(span_id.len(), 16);
    assert_ne!(
        span_id, "b7ad6b7169203331",
        "our own span, not the caller's"
    );
    assert_eq!(
        handler[0].span_field("request", "request_id"),
        Some("req-1")
    );

    let access = events.with_target(sluice::middleware::ACCESS_LOG_TARGET);
    assert_eq!(access.len(), 1);
    assert_eq!(
        access[0].span_field("trace", "trace_id"),
        Some("0af7651916cd43dd8448eb211c80319c")
    );
}
