//! [`App`]: routes, the middleware stack, exception handlers and state.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use http::Extensions;
use tokio_util::task::TaskTracker;

use crate::body::Body;
use crate::error::{BoxError, ConfigError, Error};
use crate::handler::Handler;
use crate::middleware::{
    from_fn, panic_response, short_type_name, BoxedLayerService, Middleware, Next, NextService,
    Node,
};
use crate::request::{ConnectionInfo, Request, DEFAULT_MAX_BODY_SIZE};
use crate::response::{IntoResponse, Response, Unresolved};
use crate::router::{build_stack, MethodRouter, Router, StackItem};

type ExceptionHandler = Box<dyn Fn(&Error) -> Option<Response> + Send + Sync>;

/// A sluice application: routes, middleware, exception handlers and state.
///
/// Build it with chained calls, then serve it ([`App::run`],
/// [`Server`](crate::Server)) or test it
/// ([`TestClient`](crate::testing::TestClient)).
///
/// ```
/// use std::time::Instant;
/// use sluice::{App, Json, Next, Request, Response};
/// use serde_json::{json, Value};
///
/// async fn add_process_time_header(req: Request, next: Next) -> Response {
///     let start = Instant::now();
///     let mut response = next.run(req).await;
///     let elapsed = start.elapsed().as_secs_f64().to_string();
///     response.headers_mut().insert("x-process-time", elapsed.parse().unwrap());
///     response
/// }
///
/// async fn root() -> Json<Value> {
///     Json(json!({"Hello": "World"}))
/// }
///
/// let app = App::new()
///     .get("/", root)
///     .middleware(add_process_time_header);
/// ```
#[must_use]
pub struct App {
    router: Router,
    stack: Vec<StackItem>,
    states: Extensions,
    exception_handlers: Vec<ExceptionHandler>,
    max_body_size: usize,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("router", &self.router)
            .field(
                "middleware",
                &self.stack.iter().map(StackItem::name).collect::<Vec<_>>(),
            )
            .field("exception_handlers", &self.exception_handlers.len())
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

macro_rules! app_method_fns {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name<H, T>(mut self, path: &str, handler: H) -> Self
            where
                H: Handler<T>,
                T: 'static,
            {
                self.router = self.router.$name(path, handler);
                self
            }
        )*
    };
}

impl App {
    /// An app with no routes and no middleware.
    pub fn new() -> Self {
        App {
            router: Router::new(),
            stack: Vec::new(),
            states: Extensions::new(),
            exception_handlers: Vec::new(),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }

    app_method_fns! {
        /// Adds a GET route (which also answers HEAD).
        get,
        /// Adds a POST route.
        post,
        /// Adds a PUT route.
        put,
        /// Adds a DELETE route.
        delete,
        /// Adds a PATCH route.
        patch,
        /// Adds a HEAD route.
        head,
        /// Adds an OPTIONS route.
        options,
    }

    /// Adds the handlers of `methods` at `path`, with the route's own
    /// middleware (see [`routing::get`](crate::routing::get)).
    pub fn route(mut self, path: &str, methods: MethodRouter) -> Self {
        self.router = self.router.route(path, methods);
        self
    }

    /// Includes a [`Router`] under `prefix` (`""` for none).
    pub fn include_router(mut self, prefix: &str, router: Router) -> Self {
        self.router = self.router.include_router(prefix, router);
        self
    }

    /// Mounts a tower service at `prefix`: it answers `prefix` and every
    /// path under it, whatever the method, as Starlette's `app.mount`
    /// does. The usual case is [`StaticFiles`](crate::StaticFiles); any
    /// `Service<http::Request<Body>>` works (a sub-application, another
    /// framework's router, a proxy). See [`Router::mount`] for the details.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Body, Response};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // Any tower service: this one answers with the path it sees.
    /// let legacy = tower::service_fn(|req: http::Request<Body>| async move {
    ///     Ok::<_, Infallible>(Response::new(Body::from(req.uri().to_string())))
    /// });
    /// let app = App::new().mount("/legacy", legacy);
    /// let client = TestClient::new(app);
    ///
    /// // The service sees the path without the prefix.
    /// assert_eq!(client.get("/legacy/users?page=2").await.text(), "/users?page=2");
    /// // The prefix alone is redirected to the prefix with a slash.
    /// let res = client.get("/legacy").await;
    /// assert_eq!(res.status(), 307);
    /// assert_eq!(res.header("location"), Some("http://testserver/legacy/"));
    /// # }
    /// ```
    pub fn mount<S, ResBody>(mut self, prefix: &str, service: S) -> Self
    where
        S: tower_service::Service<http::Request<Body>, Response = http::Response<ResBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
        ResBody: http_body::Body + Send + 'static,
        ResBody::Data: Into<Bytes>,
        ResBody::Error: Into<BoxError>,
    {
        self.router = self.router.mount(prefix, service);
        self
    }

    /// Adds a function middleware, FastAPI's `@app.middleware("http")`:
    /// an `async fn(Request, Next) -> impl IntoResponse`.
    ///
    /// It goes on the same stack as [`App::add_middleware`] and
    /// [`App::add_layer`]: the middleware added last runs first.
    pub fn middleware<F, Fut, R>(self, f: F) -> Self
    where
        F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.add_middleware(from_fn(f))
    }

    /// Adds a [`Middleware`] value, FastAPI's `app.add_middleware(...)`:
    /// the built-ins in [`crate::middleware`], or your own.
    pub fn add_middleware<M: Middleware>(mut self, middleware: M) -> Self {
        self.stack.push(StackItem::Native(Arc::new(middleware)));
        self
    }

    /// Adds a tower [`Layer`](tower_layer::Layer), e.g. from tower-http, to
    /// the same stack and under the same ordering rule as native
    /// middleware.
    ///
    /// The layer wraps the rest of the stack, seen as a [`NextService`].
    /// Native middleware is cheaper per request; this is for reusing what
    /// the tower ecosystem already has.
    pub fn add_layer<L, S, ResBody>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<NextService, Service = S> + Send + Sync + 'static,
        S: tower_service::Service<http::Request<Body>, Response = http::Response<ResBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
        ResBody: http_body::Body + Send + 'static,
        ResBody::Data: Into<Bytes>,
        ResBody::Error: Into<BoxError>,
    {
        self.stack.push(make_layer_item(layer));
        self
    }

    /// Stores a value for the [`State`](crate::State) extractor (FastAPI's
    /// `app.state`). One value per type; a second call with the same type
    /// replaces the first.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Registers an exception handler for errors of type `E`, FastAPI's
    /// `@app.exception_handler(E)`.
    ///
    /// It runs where the error is raised (inside the route, or in the
    /// middleware that returned it), so the response it builds still passes
    /// out through every outer middleware, and it carries the original
    /// error. Handlers are tried in the order registered. A handler for
    /// [`HttpError`](crate::HttpError) also sees 404 and 405; one for
    /// [`ValidationError`](crate::ValidationError) sees 422s.
    ///
    /// ```
    /// use sluice::{App, Json};
    /// use serde_json::json;
    ///
    /// #[derive(Debug)]
    /// struct UnicornError { name: String }
    /// impl std::fmt::Display for UnicornError {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         write!(f, "{} did something", self.name)
    ///     }
    /// }
    /// impl std::error::Error for UnicornError {}
    ///
    /// let app = App::new().exception_handler(|err: &UnicornError| {
    ///     (sluice::StatusCode::IM_A_TEAPOT, Json(json!({"message": format!("Oops! {err}")})))
    /// });
    /// ```
    pub fn exception_handler<E, F, R>(mut self, handler: F) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(&E) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.exception_handlers.push(Box::new(move |error: &Error| {
            error
                .downcast_ref::<E>()
                .map(|e| handler(e).into_response())
        }));
        self
    }

    /// The largest request body that [`Request::bytes`] and the body
    /// extractors read (16 MiB by default). A larger body is answered with
    /// `413 Content Too Large`. For a limit enforced before the handler
    /// runs, use [`middleware::BodyLimit`](crate::middleware).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The middleware stack, outermost first, and the routes, as text. The
    /// server logs it at debug level when it starts.
    ///
    /// ```
    /// use sluice::{App, Next, Request, Response};
    ///
    /// async fn timing(req: Request, next: Next) -> Response { next.run(req).await }
    /// async fn auth(req: Request, next: Next) -> Response { next.run(req).await }
    ///
    /// let app = App::new().middleware(timing).middleware(auth);
    /// assert!(app.describe().starts_with("middleware (outermost first):\n  1. auth\n  2. timing\n"));
    /// ```
    pub fn describe(&self) -> String {
        let mut out = String::from("middleware (outermost first):");
        for (i, item) in self.stack.iter().rev().enumerate() {
            out.push_str(&format!("\n  {}. {}", i + 1, item.name()));
        }
        out.push_str("\n  -> router\nroutes:");
        self.router.describe_routes(&mut out);
        out
    }

    /// Checks the configuration and builds the service that handles
    /// requests.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for a route declared twice, an invalid path, or a
    /// middleware whose settings can never work.
    pub fn build(self) -> Result<AppService, ConfigError> {
        for item in &self.stack {
            item.validate()?;
        }
        let description = self.describe();
        let shared = Arc::new(Shared {
            states: self.states,
            exception_handlers: self.exception_handlers,
            tracker: TaskTracker::new(),
        });
        let table = self.router.build(&shared)?;
        let root = build_stack(&self.stack, Node::Router(Arc::new(table)), &shared);
        Ok(AppService {
            inner: Arc::new(AppInner {
                root,
                shared,
                max_body_size: self.max_body_size,
                description,
            }),
        })
    }

    /// Builds the app and serves it on `addr` until SIGINT or SIGTERM, as
    /// [`serve`](crate::serve) does.
    ///
    /// # Errors
    ///
    /// When the configuration is invalid or the address cannot be bound.
    pub async fn run(
        self,
        addr: impl tokio::net::ToSocketAddrs + std::fmt::Debug,
    ) -> Result<(), crate::ServeError> {
        crate::serve(self, addr).await
    }
}

pub(crate) fn make_layer_item<L, S, ResBody>(layer: L) -> StackItem
where
    L: tower_layer::Layer<NextService, Service = S> + Send + Sync + 'static,
    S: tower_service::Service<http::Request<Body>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    ResBody: http_body::Body + Send + 'static,
    ResBody::Data: Into<Bytes>,
    ResBody::Error: Into<BoxError>,
{
    let name = Cow::Borrowed(short_type_name(std::any::type_name::<L>()));
    StackItem::Layer {
        build: Arc::new(move |next: NextService| adapt_service(layer.layer(next))),
        name,
    }
}

/// A tower service made infallible and boxed for the stack: its errors
/// become error responses (see [`LayerAdapter`]). Layers and mounted
/// services go through here.
pub(crate) fn adapt_service<S, ResBody>(service: S) -> BoxedLayerService
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    ResBody: http_body::Body + Send + 'static,
    ResBody::Data: Into<Bytes>,
    ResBody::Error: Into<BoxError>,
{
    tower::util::BoxCloneSyncService::new(LayerAdapter {
        inner: service,
        failed: None,
    })
}

/// A tower service from a layer, made infallible: its errors (from
/// `poll_ready` or the call) become error responses, like any other error.
#[derive(Clone)]
struct LayerAdapter<S> {
    inner: S,
    failed: Option<Error>,
}

impl<S, ResBody> tower_service::Service<http::Request<Body>> for LayerAdapter<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<ResBody>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    ResBody: http_body::Body + Send + 'static,
    ResBody::Data: Into<Bytes>,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                self.failed = Some(Error::from_boxed(e.into()));
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        if let Some(error) = self.failed.take() {
            return Box::pin(std::future::ready(Ok(error.into_response())));
        }
        let future = self.inner.call(req);
        Box::pin(async move {
            Ok(match future.await {
                Ok(response) => response.map(Body::new),
                Err(error) => Error::from_boxed(error.into()).into_response(),
            })
        })
    }
}

/// What the built app shares with every request: state, exception
/// handlers, and the tracker of background work.
pub(crate) struct Shared {
    states: Extensions,
    exception_handlers: Vec<ExceptionHandler>,
    tracker: TaskTracker,
}

impl Shared {
    pub(crate) fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.states.get::<T>()
    }

    pub(crate) fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// Offers a response's fresh error to the exception handlers (once), and
    /// logs a server error nobody handled. Cheap when there is no error: the
    /// response has no extensions at all.
    #[inline]
    pub(crate) fn resolve(&self, response: &mut Response) {
        if response.extensions().get::<Unresolved>().is_some() {
            self.resolve_error(response);
        }
    }

    #[cold]
    fn resolve_error(&self, response: &mut Response) {
        response.extensions_mut().remove::<Unresolved>();
        let Some(error) = response.extensions().get::<Error>().cloned() else {
            return;
        };
        for handler in &self.exception_handlers {
            if let Some(mut handled) = handler(&error) {
                handled.extensions_mut().remove::<Unresolved>();
                handled.extensions_mut().insert(error);
                *response = handled;
                return;
            }
        }
        if response.status().is_server_error() && !error.is::<crate::error::Panic>() {
            tracing::error!(target: "sluice", error = %error, status = response.status().as_u16(), "request failed");
        }
    }
}

struct AppInner {
    root: Arc<Node>,
    shared: Arc<Shared>,
    max_body_size: usize,
    description: String,
}

/// A built [`App`]: a cheap-to-clone [`tower::Service`] that handles
/// requests. [`App::build`] makes one; the server and the test client use
/// it.
///
/// It accepts `http::Request<B>` for any body type, so it runs under any
/// hyper or tower based server. Put a [`ConnectionInfo`] in the request's
/// extensions to tell it the client's address.
#[derive(Clone)]
pub struct AppService {
    inner: Arc<AppInner>,
}

impl fmt::Debug for AppService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppService")
            .field("description", &self.inner.description)
            .finish()
    }
}

impl AppService {
    /// What [`App::describe`] said about this app.
    pub fn describe(&self) -> &str {
        &self.inner.description
    }

    /// Handles one request.
    pub async fn handle(&self, req: Request) -> Response {
        let inner = &*self.inner;
        let mut response = match AssertUnwindSafe(inner.root.call(req)).catch_unwind().await {
            Ok(response) => response,
            Err(payload) => panic_response(&*payload, "router", "router"),
        };
        inner.shared.resolve(&mut response);
        response
    }

    pub(crate) fn request_from_hyper(
        &self,
        req: http::Request<hyper::body::Incoming>,
        conn: ConnectionInfo,
        body_idle_timeout: Option<std::time::Duration>,
    ) -> Request {
        let req = req.map(|body| Body::from_incoming(body, body_idle_timeout));
        Request::from_parts_internal(req, conn, self.inner.max_body_size)
    }

    pub(crate) fn request_from_body(
        &self,
        req: http::Request<Body>,
        conn: ConnectionInfo,
    ) -> Request {
        Request::from_parts_internal(req, conn, self.inner.max_body_size)
    }

    pub(crate) fn tracker(&self) -> &TaskTracker {
        self.inner.shared.tracker()
    }
}

impl<B> tower_service::Service<http::Request<B>> for AppService
where
    B: http_body::Body + Send + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let mut req = req.map(Body::new);
            let conn = req
                .extensions_mut()
                .remove::<ConnectionInfo>()
                .unwrap_or_default();
            let req = this.request_from_body(req, conn);
            Ok(this.handle(req).await)
        })
    }
}
