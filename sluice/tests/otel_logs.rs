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

/// The app of the unsampled tests: logs one event and answers with the
/// `traceparent` it would send on.
fn passes_on(tracing: Tracing) -> App {
    App::new()
        .get("/outgoing", || async {
            tracing::info!(target: "handler", "inside the handler");
            let mut headers = sluice::HeaderMap::new();
            otel::inject(&mut headers);
            headers
                .get("traceparent")
                .map(|v| v.to_str().unwrap_or("not ascii").to_owned())
                .unwrap_or_default()
        })
        .add_middleware(tracing)
}

/// The trace and span id an unsampled request passes on are those its
/// logs carry, and the sampled flag is off.
async fn check_unsampled(tracing: Tracing, parent: Option<&str>) -> String {
    let (events, _guard) = support::record(Level::INFO);
    let client = TestClient::new(passes_on(tracing));
    let mut req = client.get("/outgoing");
    if let Some(parent) = parent {
        req = req.header("traceparent", parent);
    }
    let traceparent = req.await.text();
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent:?}");
    assert_eq!(parts[0], "00");
    assert_eq!(parts[3], "00", "not sampled: {traceparent}");
    let handler = events.with_target("handler");
    assert_eq!(handler.len(), 1);
    assert_eq!(handler[0].span_field("trace", "trace_id"), Some(parts[1]));
    assert_eq!(handler[0].span_field("trace", "span_id"), Some(parts[2]));
    assert_ne!(parts[1], "00000000000000000000000000000000");
    assert_ne!(parts[2], "0000000000000000");
    traceparent
}

#[tokio::test]
async fn an_unsampled_request_passes_on_the_trace_its_logs_carry() {
    // Sampling off: no span is built, the ids are made for the trace.
    let off = || {
        Tracing::otlp("http://127.0.0.1:9")
            .sample_ratio(0.0)
            .build()
            .expect("valid")
    };
    let first = check_unsampled(off(), None).await;
    let second = check_unsampled(off(), None).await;
    assert_ne!(first[3..35], second[3..35], "each request is a new trace");
    // The caller's unsampled trace goes on, with a span id of ours.
    let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let ours = check_unsampled(off(), Some(caller)).await;
    assert!(ours.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
    assert!(!ours.contains("00f067aa0ba902b7"));
    // A provider of the user's, whose (default) sampler keeps the caller's
    // decision: the SDK decides, and the request is passed on the same way.
    let provider = otel::SdkTracerProvider::builder().build();
    let ours = check_unsampled(Tracing::new(provider), Some(caller)).await;
    assert!(ours.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
    assert!(!ours.contains("00f067aa0ba902b7"));
}
