//! Middleware: code that sees every request before any route does, and every
//! response before it leaves.
//!
//! # The stacking rule
//!
//! **The middleware added last runs first on the way in, and last on the way
//! out**, exactly as FastAPI documents for `app.add_middleware` and
//! `@app.middleware("http")`. Both ways of adding middleware to sluice,
//! [`App::middleware`](crate::App::middleware) (an async function) and
//! [`App::add_middleware`](crate::App::add_middleware) (a value implementing
//! [`Middleware`]), push onto the same stack, and so does
//! [`App::add_layer`](crate::App::add_layer) (any tower `Layer`). There is no
//! other order. [`App::describe`](crate::App::describe) prints the stack.
//!
//! ```
//! use sluice::testing::TestClient;
//! use sluice::{App, Next, Request, Response};
//!
//! async fn first(req: Request, next: Next) -> Response {
//!     let mut res = next.run(req).await;
//!     res.headers_mut().append("x-out", "first".parse().unwrap());
//!     res
//! }
//! async fn second(req: Request, next: Next) -> Response {
//!     let mut res = next.run(req).await;
//!     res.headers_mut().append("x-out", "second".parse().unwrap());
//!     res
//! }
//!
//! # tokio_test();
//! # #[tokio::main(flavor = "current_thread")] async fn tokio_test() {
//! let app = App::new()
//!     .get("/", || async { "hi" })
//!     .middleware(first)
//!     .middleware(second); // added last: outermost
//! let res = TestClient::new(app).get("/").await;
//! let out: Vec<_> = res.headers().get_all("x-out").iter().collect();
//! // `first` is innermost, so it saw the response first.
//! assert_eq!(out, ["first", "second"]);
//! # }
//! ```
//!
//! # Errors never unwind through middleware
//!
//! `next.run(req).await` always returns a [`Response`](crate::Response). When a handler fails
//! or panics, the innermost layer turns that into the proper response (404,
//! 405, 422, 500 or the status of an [`HttpError`](crate::HttpError)) and
//! attaches the error to it ([`ResponseExt::error`](crate::ResponseExt::error)),
//! so every middleware still sees, decorates and may rewrite it. A middleware
//! that fails (returns `Err`, or panics) is treated the same way by the layer
//! around it.
//!
//! # Built-in middleware
//!
//! | middleware | does |
//! |---|---|
//! | [`from_fn`] | turns an async function into a [`Middleware`] value |
//! | [`Cors`] | answers CORS preflights and adds CORS headers to every response |
//! | [`GZip`], [`Compression`] | compress responses (`gzip`; `gzip`, `br`, `zstd`) for clients that accept it ([more](compression)) |
//! | [`TrustedHost`] | refuses requests for hosts that are not yours (400), Starlette's `TrustedHostMiddleware` |
//! | [`HttpsRedirect`] | redirects plain-`http` requests to `https` (307), Starlette's `HTTPSRedirectMiddleware` |
//! | [`ProxyHeaders`] | the client address and scheme a trusted proxy reports (`X-Forwarded-For`/`-Proto`, RFC 7239 `Forwarded`), uvicorn's `ProxyHeadersMiddleware` |
//! | [`Sessions`] ([`Session`]) | per-user data in a signed cookie or a server-side store, Starlette's `SessionMiddleware` |
//! | [`ProcessTime`] | `X-Process-Time` (seconds) and optionally `Server-Timing` on every response |
//! | [`RequestId`] | takes a valid `X-Request-ID` or makes one; request extensions ([`ReqId`]), tracing span, response |
//! | [`AccessLog`] | one structured `tracing` event per request, nothing formatted when the level is off |
//! | [`Authentication`] | bearer token or API key checked by your async verifier; principal in request extensions; 401 otherwise |
//! | [`ErrorHandler`] ([`CatchPanic`]) | rewrites the responses of panics and unhandled errors; maps error types to responses |
//! | [`Timeout`] | cancels requests that take too long: 504 |
//! | [`BodyLimit`] | refuses request bodies over a size: 413 `Content Too Large`, without reading them |
//! | `Metrics` (feature `metrics`) | OpenTelemetry's HTTP server metrics, served to Prometheus in its text format or OpenMetrics ([more](metrics)) |
//! | `Tracing` (feature `otel`) | one OpenTelemetry `SERVER` span per request, W3C trace context in and out, OTLP export (module `otel`) |
//! | [`RateLimit`] | a quota of requests per client (GCRA), in memory or in Redis across instances: 429 ([more](rate_limit)) |
//! | [`App::add_layer`](crate::App::add_layer) | any tower `Layer` (e.g. tower-http's) in the same stack |

mod access_log;
mod authentication;
mod body_limit;
pub mod compression;
pub mod cors;
mod error_handler;
#[cfg(test)]
mod hook_tests;
pub mod https_redirect;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(any(feature = "metrics", feature = "otel"))]
pub(crate) mod observe;
#[cfg(feature = "otel")]
pub mod otel;
mod process_time;
pub mod proxy_headers;
pub mod rate_limit;
mod request_id;
pub mod sessions;
mod timeout;
pub mod trusted_host;

pub use access_log::{AccessLog, ACCESS_LOG_TARGET};
pub use authentication::{Authenticated, Authentication, Rejection, StaticToken, Verify};
pub use body_limit::BodyLimit;
pub use compression::{Compression, GZip};
pub use cors::Cors;
pub use error_handler::{CatchPanic, ErrorHandler};
pub use https_redirect::HttpsRedirect;
#[cfg(feature = "metrics")]
pub use metrics::Metrics;
#[cfg(feature = "otel")]
pub use otel::Tracing;
pub use process_time::ProcessTime;
pub use proxy_headers::ProxyHeaders;
pub use rate_limit::RateLimit;
pub use request_id::{ReqId, RequestId, DEFAULT_MAX_REQUEST_ID_LEN};
pub use sessions::{Session, Sessions};
pub use timeout::{TimedOut, Timeout};
pub use trusted_host::TrustedHost;

pub use crate::stack::{
    from_fn, FromFn, HttpService, Middleware, MiddlewareFn, Next, NextService, NextServiceFuture,
    TowerLayer,
};
