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
//! `next.run(req).await` always returns a [`Response`]. When a handler fails
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
//! | [`ProcessTime`] | `X-Process-Time` (seconds) and optionally `Server-Timing` on every response |
//! | [`RequestId`] | takes a valid `X-Request-ID` or makes one; request state ([`ReqId`]), tracing span, response |
//! | [`AccessLog`] | one structured `tracing` event per request, nothing formatted when the level is off |
//! | [`Authentication`] | bearer token or API key checked by your async verifier; principal in request state; 401 otherwise |
//! | [`ErrorHandler`] ([`CatchPanic`]) | rewrites the responses of panics and unhandled errors; maps error types to responses |
//! | [`Timeout`] | cancels requests that take too long: 504 |
//! | [`BodyLimit`] | refuses request bodies over a size: 413 `Content Too Large`, without reading them |
//! | [`RateLimit`] | a quota of requests per client (GCRA), in memory or in Redis across instances: 429 ([more](rate_limit)) |
//! | [`App::add_layer`](crate::App::add_layer) | any tower `Layer` (e.g. tower-http's) in the same stack |

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;

use crate::app::Shared;
use crate::error::{ConfigError, Error, Panic};
use crate::handler::ErasedHandler;
use crate::request::Request;
use crate::response::{attach_error, internal_error_response, IntoResponse, Response};
use crate::router::RouterTable;

mod access_log;
mod authentication;
mod body_limit;
pub mod compression;
pub mod cors;
mod error_handler;
mod host;
pub mod https_redirect;
mod process_time;
pub mod rate_limit;
mod request_id;
mod timeout;
pub mod trusted_host;

pub use access_log::{AccessLog, ACCESS_LOG_TARGET};
pub use authentication::{Authenticated, Authentication, Rejection, StaticToken, Verify};
pub use body_limit::BodyLimit;
pub use compression::{Compression, GZip};
pub use cors::Cors;
pub use error_handler::{CatchPanic, ErrorHandler};
pub use https_redirect::HttpsRedirect;
pub use process_time::ProcessTime;
pub use rate_limit::RateLimit;
pub use request_id::{ReqId, RequestId, DEFAULT_MAX_REQUEST_ID_LEN};
pub use timeout::{TimedOut, Timeout};
pub use trusted_host::TrustedHost;

/// A middleware value: what [`App::add_middleware`](crate::App::add_middleware)
/// takes.
///
/// Implement [`Middleware::handle`] with an `async fn`. Call
/// `next.run(req).await` to pass the request on, or return a response
/// without calling it to answer early: anything that implements
/// [`IntoResponse`], such as an [`HttpError`](crate::HttpError), via
/// `.into_response()`. (Function middleware, [`from_fn`], may return any
/// `impl IntoResponse`, including a `Result`, so `?` works there.)
///
/// ```
/// use sluice::middleware::Middleware;
/// use sluice::{App, HttpError, IntoResponse, Next, Request, Response};
///
/// /// Refuses requests without an `x-api-key` header.
/// struct RequireKey;
///
/// impl Middleware for RequireKey {
///     async fn handle(&self, req: Request, next: Next) -> Response {
///         if req.header("x-api-key").is_none() {
///             return HttpError::new(401, "Unauthorized").into_response();
///         }
///         next.run(req).await
///     }
/// }
///
/// let app = App::new().add_middleware(RequireKey);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sluice middleware",
    label = "`add_middleware` takes a value implementing `Middleware`",
    note = "for an `async fn(Request, Next) -> impl IntoResponse`, use `App::middleware` or `sluice::middleware::from_fn`",
    note = "for a tower `Layer`, use `App::add_layer`"
)]
pub trait Middleware: Send + Sync + 'static {
    /// Handles one request: do work, call `next.run(req).await` (or not),
    /// then work on the response.
    fn handle(&self, req: Request, next: Next) -> impl Future<Output = Response> + Send;

    /// The name shown by [`App::describe`](crate::App::describe) and in
    /// logs. Defaults to the type's name.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(short_type_name(std::any::type_name::<Self>()))
    }

    /// Checks the settings when the app is built. A middleware whose
    /// settings can never work returns the reason here, and building the
    /// app fails with it.
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] describing what is wrong.
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// The rest of the stack, from a middleware's point of view.
///
/// [`Next::run`] passes the request to the next middleware (or to the
/// router, for the innermost one) and resolves to its response. It always
/// resolves to a response: errors and panics further in have already been
/// turned into one.
#[must_use = "a middleware must call `next.run(req).await` to pass the request on"]
pub struct Next {
    node: Arc<Node>,
}

impl Next {
    /// Passes the request on and waits for the response.
    pub async fn run(self, req: Request) -> Response {
        self.node.call(req).await
    }

    pub(crate) fn new(node: Arc<Node>) -> Self {
        Next { node }
    }
}

impl fmt::Debug for Next {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("to", &self.node.name())
            .finish()
    }
}

/// Wraps an async function `fn(Request, Next) -> impl IntoResponse` as a
/// [`Middleware`] value, for places that take one (routers, routes,
/// `add_middleware`). [`App::middleware`](crate::App::middleware) does this
/// for you.
///
/// ```
/// use sluice::middleware::from_fn;
/// use sluice::{Next, Request, Response, Router};
///
/// async fn tag(req: Request, next: Next) -> Response {
///     let mut res = next.run(req).await;
///     res.headers_mut().insert("x-api", "v1".parse().unwrap());
///     res
/// }
///
/// let router = Router::new().add_middleware(from_fn(tag));
/// ```
pub fn from_fn<F, Fut, R>(f: F) -> FromFn<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    FromFn { f }
}

/// A function middleware; see [`from_fn`].
#[derive(Clone, Copy)]
pub struct FromFn<F> {
    f: F,
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FromFn")
            .field(&short_type_name(std::any::type_name::<F>()))
            .finish()
    }
}

impl<F, Fut, R> Middleware for FromFn<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    fn handle(&self, req: Request, next: Next) -> impl Future<Output = Response> + Send {
        let output = (self.f)(req, next);
        async move { output.await.into_response() }
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(short_type_name(std::any::type_name::<F>()))
    }
}

/// `a::b::Cors` -> `Cors`, `a::b::func` -> `func`, `a::b::C<x::Y>` -> `C`.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    match base
        .rsplit("::")
        .find(|s| !s.is_empty() && *s != "{{closure}}")
    {
        Some(last) if base.ends_with("{{closure}}") => {
            // A closure: name it after the function that defines it.
            let trimmed = base.trim_end_matches("::{{closure}}");
            trimmed.rsplit("::").next().unwrap_or(last)
        }
        Some(last) => last,
        None => full,
    }
}

/// The object-safe form of [`Middleware`], used inside the stack.
pub(crate) trait DynMiddleware: Send + Sync + 'static {
    fn call<'a>(&'a self, req: Request, next: Next, shared: &'a Shared) -> BoxFuture<'a, Response>;
    fn name(&self) -> Cow<'static, str>;
    fn validate(&self) -> Result<(), ConfigError>;
}

impl<M: Middleware> DynMiddleware for M {
    fn call<'a>(&'a self, req: Request, next: Next, shared: &'a Shared) -> BoxFuture<'a, Response> {
        Box::pin(Guarded {
            inner: self.handle(req, next),
            middleware: self,
            shared,
        })
    }

    fn name(&self) -> Cow<'static, str> {
        Middleware::name(self)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        Middleware::validate(self)
    }
}

pin_project_lite::pin_project! {
    /// One middleware's future, as the stack runs it: a panic inside becomes
    /// a 500 carrying the [`Panic`], and the response's fresh error is
    /// offered to the app's exception handlers. Written out rather than as
    /// an `async` block so that the box holds the middleware's own future
    /// and nothing more.
    struct Guarded<'a, F, M> {
        #[pin]
        inner: F,
        middleware: &'a M,
        shared: &'a Shared,
    }
}

impl<F, M> Future for Guarded<'_, F, M>
where
    F: Future<Output = Response>,
    M: Middleware,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.project();
        let inner = this.inner;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(mut response)) => {
                this.shared.resolve(&mut response);
                Poll::Ready(response)
            }
            Err(payload) => {
                let name = Middleware::name(*this.middleware);
                let mut response = panic_response(&*payload, "middleware", &name);
                this.shared.resolve(&mut response);
                Poll::Ready(response)
            }
        }
    }
}

/// The 500 for a panic, carrying a [`Panic`] error.
pub(crate) fn panic_response(
    payload: &(dyn std::any::Any + Send),
    what: &str,
    name: &str,
) -> Response {
    let panic = Panic::from_payload(payload);
    tracing::error!(target: "sluice", %what, %name, panic = %panic.message(), "panicked while handling a request");
    let mut response = internal_error_response();
    attach_error(&mut response, Error::new(panic));
    response
}

/// The boxed form of a tower service in the stack.
pub(crate) type BoxedLayerService = tower::util::BoxCloneSyncService<
    http::Request<crate::Body>,
    Response,
    std::convert::Infallible,
>;

/// One link of a built stack. Requests enter at the outermost node and move
/// inwards; each node holds the next.
pub(crate) enum Node {
    /// A native middleware and the rest of the stack.
    Middleware {
        middleware: Arc<dyn DynMiddleware>,
        next: Arc<Node>,
        shared: Arc<Shared>,
    },
    /// A tower service built from a layer wrapped around the rest of the stack.
    Layer {
        service: BoxedLayerService,
        name: Cow<'static, str>,
    },
    /// The app's router: the end of the app-level stack.
    Router(Arc<RouterTable>),
    /// A handler: the end of a route's stack.
    Handler {
        handler: Arc<dyn ErasedHandler>,
        shared: Arc<Shared>,
    },
}

impl Node {
    pub(crate) fn call(&self, req: Request) -> BoxFuture<'_, Response> {
        match self {
            Node::Middleware {
                middleware,
                next,
                shared,
            } => middleware.call(req, Next::new(next.clone()), shared),
            Node::Layer { service, .. } => {
                let service = service.clone();
                Box::pin(async move {
                    match tower::ServiceExt::oneshot(service, req.into_http()).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                })
            }
            Node::Router(router) => router.dispatch(req),
            Node::Handler { handler, shared } => handler.call(req, shared),
        }
    }

    pub(crate) fn name(&self) -> Cow<'static, str> {
        match self {
            Node::Middleware { middleware, .. } => middleware.name(),
            Node::Layer { name, .. } => name.clone(),
            Node::Router(_) => Cow::Borrowed("router"),
            Node::Handler { .. } => Cow::Borrowed("handler"),
        }
    }
}

/// The rest of the stack as a tower [`Service`](tower::Service): what a
/// tower `Layer` added with [`App::add_layer`](crate::App::add_layer)
/// wraps.
#[derive(Clone)]
pub struct NextService {
    node: Arc<Node>,
}

impl NextService {
    pub(crate) fn new(node: Arc<Node>) -> Self {
        NextService { node }
    }
}

impl fmt::Debug for NextService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NextService")
            .field("to", &self.node.name())
            .finish()
    }
}

/// Any request body is accepted, so layers that change the body type (e.g.
/// tower-http's `RequestBodyLimitLayer` or `RequestDecompressionLayer`)
/// work too.
impl<B> tower::Service<http::Request<B>> for NextService
where
    B: http_body::Body + Send + 'static,
    B::Data: Into<bytes::Bytes>,
    B::Error: Into<crate::error::BoxError>,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = NextServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let node = self.node.clone();
        NextServiceFuture {
            inner: Box::pin(async move { Ok(node.call(Request::from_http(req)).await) }),
        }
    }
}

/// The future returned by [`NextService`].
pub struct NextServiceFuture {
    inner: BoxFuture<'static, Result<Response, std::convert::Infallible>>,
}

impl fmt::Debug for NextServiceFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NextServiceFuture")
    }
}

impl Future for NextServiceFuture {
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("sluice::middleware::cors::Cors"), "Cors");
        assert_eq!(
            short_type_name("app::add_process_time_header"),
            "add_process_time_header"
        );
        assert_eq!(short_type_name("a::B<c::D>"), "B");
        assert_eq!(short_type_name("app::main::{{closure}}"), "main");
    }
}
