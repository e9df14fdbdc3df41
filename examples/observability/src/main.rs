//! Observability: Prometheus metrics and OpenTelemetry traces for every
//! request, and the trace passed on to the services a handler calls.
//!
//! `app()` adds `Tracing` (one `SERVER` span per request, exported over
//! OTLP/HTTP) and `Metrics` (OpenTelemetry's HTTP server metrics on
//! `/metrics`, for Prometheus). `GET /checkout` calls another service,
//! `GET /inventory/{item_id}`, with the trace context in its headers, so
//! both spans land in the same trace; here the other service is this same
//! app, so one process shows it all. The spans are flushed when the server
//! shuts down (Ctrl-C, SIGTERM).
//!
//! ```sh
//! # a collector listening for OTLP/HTTP on 4318 (see README.md), then:
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 RUST_LOG=info cargo run -p example-observability
//! curl -i http://127.0.0.1:8000/checkout
//! curl http://127.0.0.1:8000/metrics
//! ```

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use sluice::middleware::{otel, AccessLog, Metrics, RequestId, Tracing};
use sluice::{App, HttpError, Json, Path, State};

/// Where `/checkout` finds the inventory service, and how it calls it.
#[derive(Clone)]
struct Inventory {
    url: String,
    client: Client<HttpConnector, Empty<Bytes>>,
}

/// Calls the inventory service, passing the trace on: `otel::inject` puts
/// `traceparent` (and `tracestate`) for the current span, the server span
/// of this request, into the outgoing request's headers.
async fn checkout(State(inventory): State<Inventory>) -> Result<Json<Value>, HttpError> {
    let mut request = sluice::http::Request::get(format!("{}/inventory/7", inventory.url))
        .body(Empty::<Bytes>::new())
        .map_err(|_| HttpError::new(500, "bad inventory URL"))?;
    otel::inject(request.headers_mut());
    let response = inventory
        .client
        .request(request)
        .await
        .map_err(|_| HttpError::new(502, "inventory unreachable"))?;
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|_| HttpError::new(502, "inventory failed"))?
        .to_bytes();
    let stock: Value =
        serde_json::from_slice(&body).map_err(|_| HttpError::new(502, "inventory garbled"))?;
    Ok(Json(json!({ "ordered": 7, "inventory": stock })))
}

/// The other service: reports the `traceparent` it was called with.
async fn inventory(Path(item_id): Path<i64>, req: sluice::Request) -> Json<Value> {
    tracing::info!(item_id, "stock looked up");
    Json(json!({
        "item_id": item_id,
        "in_stock": 3,
        "traceparent": req.header("traceparent"),
    }))
}

/// The app: traces outside the request id and the access log (so their
/// events carry the trace id), metrics outermost (so `/metrics` is neither
/// recorded nor traced).
fn app(tracing: Tracing, inventory_url: String) -> App {
    let flush = tracing.clone();
    App::new()
        .get("/checkout", checkout)
        .get("/inventory/{item_id}", inventory)
        .state(Inventory {
            url: inventory_url,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
        .add_middleware(AccessLog::new())
        .add_middleware(RequestId::new())
        .add_middleware(tracing)
        .add_middleware(Metrics::new())
        .on_shutdown(move || async move {
            if let Err(e) = flush.shutdown().await {
                tracing::warn!(error = %e, "pending spans could not be sent");
            }
        })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        // Colours only for a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:4318".to_owned());
    let tracing = Tracing::otlp(endpoint)
        .service_name("example-observability")
        .build()?;
    let server = sluice::Server::bind("127.0.0.1:8000").await?;
    let url = format!("http://{}", server.local_addr());
    // Built before saying it listens: a misconfigured app says only that.
    let service = app(tracing, url.clone()).build()?;
    tracing::info!("listening on {url}");
    server.serve_service(service).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_trace_goes_on_to_the_next_service_and_metrics_are_served() {
        let tracing = Tracing::new(otel::SdkTracerProvider::builder().build());
        let server = sluice::Server::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!("http://{}", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = server.with_shutdown_signal(async {
            let _ = stopped.await;
        });
        let serving = tokio::spawn(server.serve(app(tracing, url.clone())));

        let client: Client<HttpConnector, Empty<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let request = sluice::http::Request::get(format!("{url}/checkout"))
            .header(
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            )
            .body(Empty::new())
            .expect("a request");
        let response = client.request(request).await.expect("answered");
        assert_eq!(response.status(), 200);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body: Value = serde_json::from_slice(&body).expect("JSON");
        let passed_on = body["inventory"]["traceparent"].as_str().expect("sent on");
        // The caller's trace, carried through /checkout to /inventory.
        assert!(passed_on.starts_with("00-0af7651916cd43dd8448eb211c80319c-"));
        assert!(!passed_on.contains("b7ad6b7169203331"));

        let metrics = sluice::http::Request::get(format!("{url}/metrics"))
            .body(Empty::new())
            .expect("a request");
        let metrics = client.request(metrics).await.expect("answered");
        let text = metrics
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&text);
        assert!(text.contains(r#"http_route="/checkout""#));
        assert!(text.contains(r#"http_route="/inventory/{item_id}""#));

        let _ = stop.send(());
        serving.await.expect("joined").expect("served");
    }
}
