//! [`App`]: routes, the middleware stack, exception handlers and state.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::Extensions;
use tokio_util::task::TaskTracker;

use crate::body::Body;
use crate::error::{BoxError, ConfigError};
use crate::handler::Handler;
use crate::head::RequestHead;
use crate::lifecycle;
use crate::openapi::{DocBuilder, DocsKind, OpenApi};
use crate::request::{ConnectionInfo, Locals, Request, DEFAULT_MAX_BODY_SIZE};
use crate::response::{IntoResponse, Response};
use crate::router::{get, MethodRouter, Router};
use crate::shared::{ErasedHandler, ExceptionHandler, Shared};
use crate::stack::{
    build_stack, from_fn, panic_response, settle, HttpService, Middleware, Next, NextService, Node,
    StackItem,
};

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
    exception_handlers: Vec<ErasedHandler>,
    max_body_size: usize,
    openapi: Option<OpenApi>,
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
            openapi: None,
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
        self.stack.push(StackItem::native(middleware));
        self
    }

    /// Adds a tower [`Layer`](tower_layer::Layer), e.g. from tower-http, to
    /// the same stack and under the same ordering rule as native
    /// middleware.
    ///
    /// The layer wraps the rest of the stack, seen as a [`NextService`];
    /// the service it builds must be an [`HttpService`]. Native middleware
    /// is cheaper per request; this is for reusing what the tower
    /// ecosystem already has.
    pub fn add_layer<L>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<NextService> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.stack.push(StackItem::layer(layer));
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
    /// It runs where the error is raised (inside the route, or around the
    /// middleware that returned it), so the response it builds still
    /// passes out through every outer middleware, and it carries the
    /// original error. Handlers are tried in the order registered. A
    /// handler for [`HttpError`](crate::HttpError) also sees 404 and 405;
    /// one for [`ValidationError`](crate::ValidationError) sees 422s.
    ///
    /// A handler is synchronous (`|err: &E| ...`) or an `async fn` taking a
    /// [`Caught<E>`](crate::Caught), and may also take the request's
    /// [`RequestHead`] (method, path, headers); see [`ExceptionHandler`].
    /// Asking for the request makes every request keep a copy of its head,
    /// so only ask when you use it.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Caught, HttpError, Json, RequestHead, StatusCode};
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
    /// async fn unicorn(err: Caught<UnicornError>, req: RequestHead) -> (StatusCode, Json<serde_json::Value>) {
    ///     let message = format!("Oops! {err} at {} {}", req.method(), req.path());
    ///     (StatusCode::IM_A_TEAPOT, Json(json!({ "message": message })))
    /// }
    ///
    /// async fn handler() -> sluice::Result<&'static str> {
    ///     Err(UnicornError { name: "yolo".into() })?
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/unicorns", handler)
    ///     .exception_handler(unicorn)
    ///     .exception_handler(|err: &HttpError| (err.status(), "plain text error"));
    /// let client = TestClient::new(app);
    /// let response = client.get("/unicorns").await;
    /// assert_eq!(response.status(), 418);
    /// assert_eq!(response.json::<serde_json::Value>()["message"], "Oops! yolo did something at GET /unicorns");
    /// assert_eq!(client.get("/nope").await.text(), "plain text error");
    /// # }
    /// ```
    pub fn exception_handler<E, M, H>(mut self, handler: H) -> Self
    where
        H: ExceptionHandler<E, M>,
    {
        self.exception_handlers.push(handler.into_erased());
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

    /// Serves the app's OpenAPI 3.1 document at `/openapi.json`, Swagger UI
    /// at `/docs` and ReDoc at `/redoc` (FastAPI's defaults; see
    /// [`OpenApi`] to change them). The document is built once, from the
    /// handlers' types, when the app is built; see [`crate::openapi`].
    ///
    /// ```
    /// use sluice::openapi::OpenApi;
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// async fn health() -> &'static str { "ok" }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().get("/health", health).openapi(OpenApi::new().title("Status"));
    /// let client = TestClient::new(app);
    /// let doc: serde_json::Value = client.get("/openapi.json").await.json();
    /// assert_eq!(doc["paths"]["/health"]["get"]["responses"]["200"]["content"]["text/plain"]["schema"]["type"], "string");
    /// assert!(doc["paths"].get("/docs").is_none());
    /// assert_eq!(client.get("/docs").await.status(), 200);
    /// assert_eq!(client.get("/redoc").await.header("content-type"), Some("text/html; charset=utf-8"));
    /// # }
    /// ```
    pub fn openapi(mut self, openapi: OpenApi) -> Self {
        self.openapi = Some(openapi);
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
        let shared = Arc::new(Shared::new(self.states, self.exception_handlers));
        let mut router = self.router;
        let mut builder = None;
        let slot: Arc<OnceLock<Bytes>> = Arc::default();
        if let Some(config) = &self.openapi {
            router = add_docs_routes(router, config, &slot);
            builder = Some(DocBuilder::new());
        }
        let table = router.build(&shared, builder.as_mut())?;
        let mut openapi = None;
        if let (Some(mut builder), Some(config)) = (builder, &self.openapi) {
            builder.describe_all(|operation| {
                for item in &self.stack {
                    item.describe(operation);
                }
            });
            let document = builder.finish(config)?;
            let bytes = serde_json::to_vec(&document).map_err(|e| ConfigError::OpenApi {
                reason: e.to_string(),
            })?;
            let _ = slot.set(Bytes::from(bytes));
            openapi = Some(document);
        }
        let root = build_stack(&self.stack, Arc::new(table), &shared);
        Ok(AppService {
            inner: Arc::new(AppInner {
                root,
                shared,
                max_body_size: self.max_body_size,
                description,
                openapi,
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

/// Adds the routes of the document and the docs pages, left out of the
/// document; the document's route serves what `slot` will hold.
fn add_docs_routes(mut router: Router, config: &OpenApi, slot: &Arc<OnceLock<Bytes>>) -> Router {
    for route in config.routes() {
        let methods = match route.kind {
            DocsKind::Document => {
                let slot = slot.clone();
                get(move || {
                    let document = slot.get().cloned().unwrap_or_default();
                    async move { bytes_response("application/json", document) }
                })
            }
            DocsKind::Html(page) => {
                let page = Bytes::from(page);
                get(move || {
                    let page = page.clone();
                    async move { bytes_response("text/html; charset=utf-8", page) }
                })
            }
            DocsKind::Asset(content_type, bytes) => {
                get(move || async move { bytes_response(content_type, Bytes::from_static(bytes)) })
            }
        };
        router = router.route(&route.path, methods.include_in_schema(false));
    }
    router
}

fn bytes_response(content_type: &'static str, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

struct AppInner {
    root: Arc<Node>,
    shared: Arc<Shared>,
    max_body_size: usize,
    description: String,
    openapi: Option<serde_json::Value>,
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

    /// The app's OpenAPI document, if it serves one
    /// ([`App::openapi`]): to write it to a file, or check it in a test.
    pub fn openapi(&self) -> Option<&serde_json::Value> {
        self.inner.openapi.as_ref()
    }

    /// Handles one request.
    pub async fn handle(&self, mut req: Request) -> Response {
        let inner = &*self.inner;
        if inner.shared.needs_head() && req.locals_if_any().is_none() {
            let head = RequestHead::new(
                req.method().clone(),
                req.uri().clone(),
                req.version(),
                req.headers().clone(),
            );
            req.set_locals(Locals::with_head(Some(head)));
        }
        let locals = req.locals_if_any().cloned();
        let response = match AssertUnwindSafe(inner.root.call(req)).catch_unwind().await {
            Ok(response) => response,
            Err(payload) => panic_response(&*payload, "router", "router"),
        };
        let mut response = settle(&inner.shared, response, locals.as_ref()).await;
        inner.shared.report_unhandled(&mut response);
        lifecycle::into_body(&mut response);
        response
    }

    pub(crate) fn request_from_hyper(
        &self,
        req: http::Request<hyper::body::Incoming>,
        conn: ConnectionInfo,
        body_idle_timeout: Option<std::time::Duration>,
    ) -> Request {
        let req = req.map(|body| Body::from_incoming(body, body_idle_timeout));
        Request::from_parts_internal(
            req,
            conn,
            self.inner.max_body_size,
            Some(self.inner.shared.clone()),
        )
    }

    pub(crate) fn request_from_body(
        &self,
        req: http::Request<Body>,
        conn: ConnectionInfo,
    ) -> Request {
        Request::from_parts_internal(
            req,
            conn,
            self.inner.max_body_size,
            Some(self.inner.shared.clone()),
        )
    }

    pub(crate) fn tracker(&self) -> &TaskTracker {
        self.inner.shared.tracker()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
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
