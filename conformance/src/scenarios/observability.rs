//! The `observability` scenario: OpenTelemetry's HTTP server metrics on
//! `/metrics`, and one server span per request exported over OTLP/HTTP
//! when `--otlp URL` is given.

use serde_json::{json, Value};
use sluice::extract::Path;
use sluice::middleware::{otel, Metrics, Tracing};
use sluice::{App, Error, Json};

use super::core::hello;

async fn read_item(Path(item_id): Path<i64>) -> Json<Value> {
    Json(json!({ "item_id": item_id }))
}

/// An unhandled failure: a 500.
async fn boom() -> sluice::Result<Json<Value>> {
    Err(Error::msg("boom"))
}

/// The app; with `otlp`, spans go to that collector (a base URL such as
/// `http://127.0.0.1:4318`), otherwise they are made and dropped. Must be
/// called inside the tokio runtime that serves it.
pub(crate) fn observability(otlp: Option<&str>) -> Result<App, String> {
    let tracing = match otlp {
        Some(url) => Tracing::otlp(url)
            .service_name("conformance-app")
            .build()
            .map_err(|e| e.to_string())?,
        None => Tracing::new(otel::SdkTracerProvider::builder().build()),
    };
    let flush = tracing.clone();
    Ok(App::new()
        .get("/hello", hello)
        .get("/items/{item_id}", read_item)
        .get("/boom", boom)
        .add_middleware(tracing)
        // Outermost: it answers `/metrics` itself, so scrapes are neither
        // recorded nor traced, and it times everything else.
        .add_middleware(Metrics::new())
        .on_shutdown(move || async move {
            if let Err(e) = flush.shutdown().await {
                tracing::warn!(error = %e, "spans pending at shutdown could not be sent");
            }
        }))
}
