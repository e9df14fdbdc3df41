//! The observability workloads: `perf-bare` with metrics, and with metrics
//! and traces, in sluice (its `Metrics` and `Tracing` middleware) and in
//! axum (axum-prometheus, tower-http's `TraceLayer` and
//! tracing-opentelemetry, as an axum user would set them up).
//!
//! | workload | what is added to `GET /hello` |
//! |---|---|
//! | `perf-metrics` | the HTTP server metrics, served on `/metrics` |
//! | `perf-tracing` | the metrics, and one server span per request, all sampled, exported over OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` |
//! | `perf-tracing-off` | the same with sampling off (trace context still read and passed on) |
//! | `perf-tracing-off-alone` | the span layer with sampling off, without the metrics: what the tracing layer costs by itself |
//!
//! Both frameworks export through the same exporter (opentelemetry-otlp,
//! protobuf over HTTP, a batch processor sending at least every second), so
//! only the instrumentation differs. `otlp-sink` (served by `bench-sluice`)
//! is the collector the benchmark points them at: it answers every export
//! with an empty success.
//!
//! ```
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = sluice_bench::observe::sluice_app("perf-metrics", None).unwrap();
//! let client = sluice::testing::TestClient::new(app);
//! assert_eq!(client.get("/hello").await.status(), 200);
//! assert!(client.get("/metrics").await.text().contains("http_server_request_duration_seconds"));
//! # }
//! ```

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use sluice::middleware::{Metrics, Tracing};
use tower_http::trace::TraceLayer;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::axum_apps::hello;

/// The workloads, as `bench-sluice` and `bench-axum` serve them.
pub const NAMES: &[&str] = &[
    "perf-metrics",
    "perf-tracing",
    "perf-tracing-off",
    "perf-tracing-off-alone",
];

/// The share of new traces a workload samples, `None` for no tracing.
pub fn sample_ratio(name: &str) -> Option<f64> {
    match name {
        "perf-tracing" => Some(1.0),
        "perf-tracing-off" | "perf-tracing-off-alone" => Some(0.0),
        _ => None,
    }
}

/// Whether a workload has the metrics layer (all but `perf-tracing-off-alone`).
pub fn has_metrics(name: &str) -> bool {
    name != "perf-tracing-off-alone"
}

/// The collector's base URL, from `OTEL_EXPORTER_OTLP_ENDPOINT` (the
/// standard variable).
///
/// # Errors
///
/// When it is not set.
pub fn otlp_endpoint() -> Result<String, String> {
    std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").map_err(|_| {
        "the tracing workloads need OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://127.0.0.1:4318)"
            .to_owned()
    })
}

/// The OTLP-exporting `Tracing` of a workload: call inside the runtime.
///
/// # Errors
///
/// When the endpoint is missing or invalid.
pub fn sluice_tracing(name: &str) -> Result<Option<Tracing>, String> {
    let Some(ratio) = sample_ratio(name) else {
        return Ok(None);
    };
    Tracing::otlp(otlp_endpoint()?)
        .service_name("bench-sluice")
        .sample_ratio(ratio)
        .build()
        .map(Some)
        .map_err(|e| e.to_string())
}

/// sluice: `GET /hello` with `Metrics` (outermost, but for
/// `perf-tracing-off-alone`) and, when given, `Tracing`; `None` for an
/// unknown workload.
pub fn sluice_app(name: &str, tracing: Option<Tracing>) -> Option<sluice::App> {
    if !NAMES.contains(&name) {
        return None;
    }
    let mut app = sluice::App::new().get("/hello", sluice_hello);
    if let Some(tracing) = tracing {
        let flush = tracing.clone();
        app = app.add_middleware(tracing).on_shutdown(move || async move {
            let _ = flush.shutdown().await;
        });
    }
    if has_metrics(name) {
        app = app.add_middleware(Metrics::new());
    }
    Some(app)
}

/// The collector the tracing workloads export to: every `POST
/// /v1/traces` gets an empty success, as a collector that keeps up.
pub fn otlp_sink() -> sluice::App {
    sluice::App::new().post("/v1/traces", |body: sluice::Bytes| async move {
        drop(body);
        (
            [("content-type", "application/x-protobuf")],
            sluice::Bytes::new(),
        )
    })
}

#[derive(serde::Serialize, sluice::schemars::JsonSchema)]
#[schemars(crate = "sluice::schemars")]
struct Message {
    message: &'static str,
}

async fn sluice_hello() -> sluice::Json<Message> {
    sluice::Json(Message {
        message: "Hello, World!",
    })
}

/// axum: `GET /hello` behind axum-prometheus' `PrometheusMetricLayer` (its
/// `/metrics` route included; not for `perf-tracing-off-alone`) and, for
/// the tracing workloads, tower-http's `TraceLayer` making a server span
/// with the conventions' fields for tracing-opentelemetry (see
/// [`axum_subscriber`]).
///
/// # Panics
///
/// When called twice in a process: axum-prometheus installs a global
/// recorder.
pub fn axum_app(name: &str) -> Option<Router> {
    if !NAMES.contains(&name) {
        return None;
    }
    let (metrics, handle) = axum_prometheus::PrometheusMetricLayer::pair();
    let router = Router::new()
        .route("/hello", get(hello))
        .route("/metrics", get(move || async move { handle.render() }));
    let router = if sample_ratio(name).is_some() {
        router.layer(
            TraceLayer::new_for_http()
                .make_span_with(server_span)
                .on_response(record_response),
        )
    } else {
        router
    };
    Some(if has_metrics(name) {
        router.layer(metrics)
    } else {
        router
    })
}

/// The span an axum user writes for tracing-opentelemetry: its special
/// `otel.*` fields and the conventions' attributes, parented by the
/// request's `traceparent`.
fn server_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let method = req.method().as_str();
    let span = tracing::info_span!(
        "request",
        otel.name = %match route { Some(route) => format!("{method} {route}"), None => method.to_owned() },
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        http.route = route,
        url.path = req.uri().path(),
        url.scheme = "http",
        http.response.status_code = tracing::field::Empty,
    );
    let parent =
        TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(req.headers()));
    let _ = span.set_parent(parent);
    span
}

fn record_response(res: &Response, _latency: std::time::Duration, span: &tracing::Span) {
    span.record("http.response.status_code", res.status().as_u16());
    if res.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
}

/// The subscriber of the axum tracing workloads: warnings to stderr (as
/// every benchmark server), and the `INFO` spans to tracing-opentelemetry
/// with an OTLP provider built like sluice's (same exporter, batch
/// settings and sampler). Call inside the runtime.
///
/// # Errors
///
/// When the endpoint is missing or invalid.
pub fn axum_subscriber(name: &str) -> Result<Option<Tracing>, String> {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;

    let Some(ratio) = sample_ratio(name) else {
        return Ok(None);
    };
    let exporter = Tracing::otlp(otlp_endpoint()?)
        .service_name("bench-axum")
        .sample_ratio(ratio)
        .build()
        .map_err(|e| e.to_string())?;
    let tracer = exporter.provider().tracer("bench-axum");
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(tracing_subscriber::filter::LevelFilter::WARN),
        )
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
        )
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(Some(exporter))
}
