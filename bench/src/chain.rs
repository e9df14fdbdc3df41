//! Chains of N no-op middlewares in front of a handler, in each of the ways
//! the chain benchmarks compare (`benches/chain.rs` times them with
//! criterion; the `bench-chain` binary runs them under callgrind to count
//! instructions per layer).
//!
//! | variant | the N no-op middlewares |
//! |---|---|
//! | `sluice-fn` | `App::middleware(noop)`, an `async fn(Request, Next)` |
//! | `sluice-struct` | `App::add_middleware(Noop)`, a `Middleware` value |
//! | `sluice-tower` | [`NoopLayer`] added with `App::add_layer` |
//! | `axum-from_fn` | `Router::layer(from_fn(noop))` |
//! | `axum-tower` | [`NoopLayer`] added with `Router::layer` |
//! | `tower` | [`NoopLayer`] nested statically around the axum router, what a `ServiceBuilder` stack compiles to: the floor |
//!
//! The handler returns a short text. [`Chain::call`] sends one `GET /hello`
//! the way a server does: it builds the request, clones the service (hyper-
//! util's tower adapter clones the tower service per request; sluice's
//! server clones its `AppService`) and awaits the response.
//!
//! ```
//! use sluice_bench::chain::Chain;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! for variant in sluice_bench::chain::VARIANTS {
//!     let chain = Chain::new(variant, 4).unwrap();
//!     assert_eq!(chain.call().await, 200);
//! }
//! # }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::http::StatusCode;
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceExt};

/// The numbers of middlewares the benchmarks measure.
pub const SIZES: [usize; 5] = [0, 1, 4, 16, 64];

/// The variants, in the order the tables show them.
pub const VARIANTS: [&str; 6] = [
    "sluice-fn",
    "sluice-struct",
    "sluice-tower",
    "axum-from_fn",
    "axum-tower",
    "tower",
];

/// A hand-written no-op tower layer, as the tower guide writes one: its own
/// service and its own future, passing everything through.
#[derive(Clone, Copy, Debug)]
pub struct NoopLayer;

impl<S> Layer<S> for NoopLayer {
    type Service = NoopService<S>;

    fn layer(&self, inner: S) -> NoopService<S> {
        NoopService { inner }
    }
}

/// The service of [`NoopLayer`].
#[derive(Clone, Debug)]
pub struct NoopService<S> {
    inner: S,
}

impl<S, R> Service<R> for NoopService<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = NoopFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        NoopFuture {
            inner: self.inner.call(req),
        }
    }
}

pin_project! {
    /// The future of [`NoopService`].
    #[derive(Debug)]
    pub struct NoopFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for NoopFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

type X4<S> = NoopService<NoopService<NoopService<NoopService<S>>>>;
type X16<S> = X4<X4<X4<X4<S>>>>;
type X64<S> = X16<X16<X16<X16<S>>>>;

fn x1<S>(s: S) -> NoopService<S> {
    NoopLayer.layer(s)
}

fn x4<S>(s: S) -> X4<S> {
    x1(x1(x1(x1(s))))
}

fn x16<S>(s: S) -> X16<S> {
    x4(x4(x4(x4(s))))
}

fn x64<S>(s: S) -> X64<S> {
    x16(x16(x16(x16(s))))
}

mod sluice_side {
    use sluice::middleware::Middleware;
    use sluice::{App, AppService, Next, Request, Response};

    use super::NoopLayer;

    async fn hello() -> &'static str {
        "Hello, World!"
    }

    async fn noop(req: Request, next: Next) -> Response {
        next.run(req).await
    }

    struct Noop;

    impl Middleware for Noop {
        async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
            Ok(next.run(req).await)
        }
    }

    fn build(app: App) -> AppService {
        app.build().expect("a valid app")
    }

    pub(super) fn with_fn(n: usize) -> AppService {
        build((0..n).fold(App::new().get("/hello", hello), |app, _| {
            app.middleware(noop)
        }))
    }

    pub(super) fn with_struct(n: usize) -> AppService {
        build((0..n).fold(App::new().get("/hello", hello), |app, _| {
            app.add_middleware(Noop)
        }))
    }

    pub(super) fn with_tower(n: usize) -> AppService {
        build((0..n).fold(App::new().get("/hello", hello), |app, _| {
            app.add_layer(NoopLayer)
        }))
    }

    pub(super) async fn call(app: &AppService) -> Response {
        let req = http_request().body(sluice::Body::default());
        app.clone()
            .handle(Request::from_http(req.expect("a valid request")))
            .await
    }

    fn http_request() -> sluice::http::request::Builder {
        sluice::http::Request::get("/hello")
    }
}

mod axum_side {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::middleware::{from_fn, Next};
    use axum::response::Response;
    use axum::routing::get;
    use axum::Router;

    use super::NoopLayer;

    async fn hello() -> &'static str {
        "Hello, World!"
    }

    async fn noop(req: Request, next: Next) -> Response {
        next.run(req).await
    }

    pub(super) fn bare() -> Router {
        Router::new().route("/hello", get(hello))
    }

    pub(super) fn with_from_fn(n: usize) -> Router {
        (0..n).fold(bare(), |router, _| router.layer(from_fn(noop)))
    }

    pub(super) fn with_tower(n: usize) -> Router {
        (0..n).fold(bare(), |router, _| router.layer(NoopLayer))
    }

    pub(super) fn request() -> Request {
        axum::http::Request::get("/hello")
            .body(Body::empty())
            .expect("a valid request")
    }
}

/// One chain of no-op middlewares, ready to call.
pub enum Chain {
    /// A sluice app.
    Sluice(sluice::AppService),
    /// An axum router.
    Axum(axum::Router),
    /// The static tower stack with 0 layers (the bare router).
    Tower0(axum::Router),
    /// ... with 1 layer.
    Tower1(NoopService<axum::Router>),
    /// ... with 4 layers.
    Tower4(X4<axum::Router>),
    /// ... with 16 layers.
    Tower16(X16<axum::Router>),
    /// ... with 64 layers.
    Tower64(X64<axum::Router>),
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Chain::Sluice(_) => "Chain::Sluice",
            Chain::Axum(_) => "Chain::Axum",
            _ => "Chain::Tower",
        })
    }
}

impl Chain {
    /// The chain of `variant` (one of [`VARIANTS`]) with `n` no-op
    /// middlewares; `None` for an unknown variant, or a `tower` size not in
    /// [`SIZES`].
    pub fn new(variant: &str, n: usize) -> Option<Chain> {
        Some(match variant {
            "sluice-fn" => Chain::Sluice(sluice_side::with_fn(n)),
            "sluice-struct" => Chain::Sluice(sluice_side::with_struct(n)),
            "sluice-tower" => Chain::Sluice(sluice_side::with_tower(n)),
            "axum-from_fn" => Chain::Axum(axum_side::with_from_fn(n)),
            "axum-tower" => Chain::Axum(axum_side::with_tower(n)),
            "tower" => match n {
                0 => Chain::Tower0(axum_side::bare()),
                1 => Chain::Tower1(x1(axum_side::bare())),
                4 => Chain::Tower4(x4(axum_side::bare())),
                16 => Chain::Tower16(x16(axum_side::bare())),
                64 => Chain::Tower64(x64(axum_side::bare())),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Sends one `GET /hello` through the chain; the response's status.
    pub async fn call(&self) -> StatusCode {
        match self {
            Chain::Sluice(app) => sluice_side::call(app).await.status(),
            Chain::Axum(router) | Chain::Tower0(router) => oneshot(router).await,
            Chain::Tower1(svc) => oneshot(svc).await,
            Chain::Tower4(svc) => oneshot(svc).await,
            Chain::Tower16(svc) => oneshot(svc).await,
            Chain::Tower64(svc) => oneshot(svc).await,
        }
    }
}

async fn oneshot<S>(svc: &S) -> StatusCode
where
    S: Service<axum::extract::Request, Response = axum::response::Response, Error = Infallible>
        + Clone,
{
    match svc.clone().oneshot(axum_side::request()).await {
        Ok(response) => response.status(),
        Err(never) => match never {},
    }
}
