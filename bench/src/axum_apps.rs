//! The benchmark scenarios written with axum 0.8 and tower-http 0.7, as an
//! axum user would write them from the same tutorial.
//!
//! `perf-stack` is SCENARIOS.md's stack, outermost first: error handling,
//! CORS (as in the `cors` scenario), trusted host (`allowed_hosts=["*"]`),
//! compression (gzip, `minimum_size=500`), process time, logging at debug
//! level, and the bearer-token check. tower-http supplies what it has
//! ([`CorsLayer`], [`CompressionLayer`], [`TraceLayer`]); the rest are
//! `from_fn` middlewares, since tower-http has no trusted-host, process-time,
//! error-catching or token-checking layer that matches the tutorial's.
//!
//! ```
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let req = axum::http::Request::get("/hello")
//!     .header("authorization", "Bearer valid_token")
//!     .body(axum::body::Body::empty())
//!     .unwrap();
//! let res = sluice_bench::axum_apps::perf_stack().oneshot(req).await.unwrap();
//! assert_eq!(res.status(), 200);
//! assert!(res.headers().contains_key("x-process-time"));
//! # }
//! ```

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, WWW_AUTHENTICATE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::json;
use tower_http::compression::predicate::SizeAbove;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowHeaders, AllowMethods, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// The scenarios `bench-axum` serves.
pub const NAMES: &[&str] = &[
    "perf-bare",
    "perf-stack",
    "gzip",
    "websocket",
    "static-4k",
    "static-1m",
];

/// The app of a scenario, or `None` for an unknown name.
///
/// # Errors
///
/// For the static workloads, when `SLUICE_BENCH_STATIC_DIR` is not set
/// (see [`crate::static_files`]).
pub fn app(name: &str) -> std::io::Result<Option<Router>> {
    Ok(Some(match name {
        "perf-bare" => perf_bare(),
        "perf-stack" => perf_stack(),
        "gzip" => gzip(),
        "websocket" => websocket(),
        "static-4k" | "static-1m" => static_files(&crate::static_files::dir()?),
        _ => return Ok(None),
    }))
}

/// The static workloads: tower-http's [`ServeDir`] nested at `/static`, as
/// an axum user serves a directory.
pub fn static_files(dir: &std::path::Path) -> Router {
    Router::new().nest_service("/static", ServeDir::new(dir))
}

/// The body of `GET /hello`.
#[derive(Debug, Serialize)]
pub struct Message {
    message: &'static str,
}

/// `{"message":"Hello, World!"}`, the route of both perf scenarios (a
/// serialized struct, as in `conformance-app`).
pub async fn hello() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

/// `perf-bare`: `GET /hello`, no middleware.
pub fn perf_bare() -> Router {
    Router::new().route("/hello", get(hello))
}

/// `perf-stack`: `GET /hello` behind the whole tutorial stack.
///
/// axum, like sluice and FastAPI, runs the layer added last first, so the
/// layers are added innermost first.
pub fn perf_stack() -> Router {
    Router::new()
        .route("/hello", get(hello))
        .layer(from_fn(authenticate))
        .layer(TraceLayer::new_for_http())
        .layer(from_fn(add_process_time_header))
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(9))
                .compress_when(SizeAbove::new(GZIP_MINIMUM_SIZE)),
        )
        .layer(from_fn_with_state(
            Arc::new(TrustedHosts::new(&["*"])),
            trusted_host,
        ))
        .layer(cors())
        .layer(from_fn(catch_errors))
}

/// `websocket`, the part the WebSocket benchmark uses: `/ws` echoes text
/// as text and binary as binary, with axum's `WebSocketUpgrade` (default
/// settings, as an axum user writes it), behind the same trusted-host check
/// as the `websocket` scenario of `conformance-app`.
pub fn websocket() -> Router {
    Router::new()
        .route("/ws", get(ws_echo))
        .layer(from_fn_with_state(
            Arc::new(TrustedHosts::new(&["127.0.0.1", "localhost"])),
            trusted_host,
        ))
}

async fn ws_echo(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            match message {
                WsMessage::Text(_) | WsMessage::Binary(_) => {
                    if socket.send(message).await.is_err() {
                        return;
                    }
                }
                WsMessage::Close(_) => return,
                WsMessage::Ping(_) | WsMessage::Pong(_) => {}
            }
        }
    })
}

/// Starlette's `GZipMiddleware(minimum_size=500)`: smaller bodies are sent
/// as they are.
const GZIP_MINIMUM_SIZE: u64 = 500;

/// `gzip`, the part the compression benchmark uses: `GET /large`, 4000 bytes
/// of `x` as `text/plain`, behind tower-http's [`CompressionLayer`] (gzip,
/// level 9 as `GZipMiddleware(minimum_size=500, compresslevel=9)`).
pub fn gzip() -> Router {
    Router::new()
        .route("/large", get(large))
        .route("/small", get(small))
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(9))
                .compress_when(SizeAbove::new(GZIP_MINIMUM_SIZE)),
        )
}

async fn large() -> impl IntoResponse {
    ([(CONTENT_TYPE, TEXT_PLAIN)], "x".repeat(4000))
}

async fn small() -> impl IntoResponse {
    ([(CONTENT_TYPE, TEXT_PLAIN)], "x".repeat(10))
}

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// The `cors` scenario's `CORSMiddleware(allow_origins=["http://localhost",
/// "http://localhost:8080"], allow_credentials=True, allow_methods=["*"],
/// allow_headers=["*"], expose_headers=["X-Process-Time"], max_age=600)`.
///
/// tower-http refuses `*` together with credentials; mirroring the request
/// is what Starlette does in that case.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin([
            HeaderValue::from_static("http://localhost"),
            HeaderValue::from_static("http://localhost:8080"),
        ])
        .allow_credentials(true)
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([HeaderName::from_static("x-process-time")])
        .max_age(Duration::from_secs(600))
}

/// The tutorial's error-handling middleware: a failure further in (here, a
/// panic: axum handlers' errors are already responses) becomes a JSON 500.
pub async fn catch_errors(req: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"detail": "Internal Server Error"})),
        )
            .into_response(),
    }
}

/// The tutorial's first middleware: `X-Process-Time` in seconds.
pub async fn add_process_time_header(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut response = next.run(req).await;
    let elapsed = start.elapsed().as_secs_f64();
    if let Ok(value) = HeaderValue::from_str(&elapsed.to_string()) {
        response.headers_mut().insert("x-process-time", value);
    }
    response
}

/// The `auth` scenario: every request but `GET /health` needs
/// `Authorization: Bearer valid_token`, or gets a 401.
pub async fn authenticate(req: Request, next: Next) -> Response {
    if req.uri().path() == "/health"
        || req
            .headers()
            .get(AUTHORIZATION)
            .is_some_and(|v| v == "Bearer valid_token")
    {
        return next.run(req).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, "Bearer")],
        Json(json!({"detail": "Unauthorized"})),
    )
        .into_response()
}

/// Starlette's `TrustedHostMiddleware` settings, precomputed.
#[derive(Debug)]
pub struct TrustedHosts {
    any: bool,
    exact: Vec<String>,
    suffixes: Vec<String>,
}

impl TrustedHosts {
    /// `allowed_hosts` as Starlette takes them: names, `*.domain`, or `*`.
    pub fn new(allowed: &[&str]) -> Self {
        TrustedHosts {
            any: allowed.contains(&"*"),
            exact: allowed
                .iter()
                .filter(|h| !h.starts_with('*'))
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            suffixes: allowed
                .iter()
                .filter_map(|h| h.strip_prefix('*'))
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_lowercase)
                .collect(),
        }
    }

    fn allows(&self, host: &str) -> bool {
        self.any
            || self.exact.iter().any(|h| h.eq_ignore_ascii_case(host))
            || self.suffixes.iter().any(|s| {
                host.len() >= s.len()
                    && host.as_bytes()[host.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
            })
    }
}

/// A trusted-host check as an axum user writes it (tower-http has none):
/// a request whose `Host` is not allowed gets `400 Invalid host header`.
pub async fn trusted_host(
    State(hosts): State<Arc<TrustedHosts>>,
    req: Request,
    next: Next,
) -> Response {
    if hosts.any {
        return next.run(req).await;
    }
    let host = req
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h))
        .unwrap_or("");
    if hosts.allows(host) {
        next.run(req).await
    } else {
        (StatusCode::BAD_REQUEST, "Invalid host header").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    fn get(path: &str) -> axum::http::request::Builder {
        axum::http::Request::get(path)
    }

    #[tokio::test]
    async fn perf_stack_answers_with_the_token_through_every_layer() {
        let req = get("/hello")
            .header("authorization", "Bearer valid_token")
            .header("origin", "http://localhost")
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap();
        let res = perf_stack().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], "http://localhost");
        assert_eq!(h["access-control-expose-headers"], "x-process-time");
        assert!(h.contains_key("x-process-time"));
        // 27 bytes is below minimum_size: not compressed.
        assert!(!h.contains_key("content-encoding"));
    }

    #[tokio::test]
    async fn perf_stack_refuses_a_missing_token() {
        let req = get("/hello").body(Body::empty()).unwrap();
        let res = perf_stack().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
    }

    #[tokio::test]
    async fn gzip_compresses_large() {
        let req = get("/large")
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap();
        let res = gzip().oneshot(req).await.unwrap();
        assert_eq!(res.headers()["content-encoding"], "gzip");
    }

    #[tokio::test]
    async fn sluice_static_files_serve_inside_axum_too() {
        let dir = std::env::temp_dir().join(format!("sluice-bench-axum-{}", std::process::id()));
        crate::static_files::write_files(&dir).unwrap();
        // sluice's StaticFiles is a plain tower service: axum nests it.
        let app = Router::new().nest_service("/static", sluice::StaticFiles::new(&dir).html(true));
        let req = get("/static/4k.bin")
            .header("range", "bytes=0-9,100-109")
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 206);
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("multipart/byteranges; boundary="));
        let req = get("/static/1m.bin").body(Body::empty()).unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.headers()["content-length"], "1048576");
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(body[..] == crate::static_files::content(1024 * 1024)[..]);
    }

    #[test]
    fn trusted_hosts_match_as_starlette() {
        let hosts = TrustedHosts::new(&["example.com", "*.example.com"]);
        assert!(hosts.allows("example.com"));
        assert!(hosts.allows("api.Example.com"));
        assert!(!hosts.allows("example.org"));
        assert!(TrustedHosts::new(&["*"]).allows("anything"));
    }
}
