//! Extractors: the typed arguments of a handler.
//!
//! A handler is an async function whose arguments are extractors, in any
//! order, except that at most one may consume the body and it must come
//! last:
//!
//! | extractor | reads | on bad input |
//! |---|---|---|
//! | [`Path<T>`] | path parameters (`/items/{item_id}`) | 422 `loc: ["path", name]` |
//! | [`Query<T>`] | the query string | 422 `loc: ["query", name]` |
//! | [`Headers<T>`] | headers, `user_agent` read from `user-agent` | 422 `loc: ["header", name]` |
//! | [`Cookies<T>`] | cookies, by name | 422 `loc: ["cookie", name]` |
//! | [`Json<T>`](crate::Json) (last) | a JSON body | 422 `loc: ["body", ...]` |
//! | [`Form<T>`] (last) | a form body (urlencoded, or multipart with [`UploadFile`] fields) | 422 `loc: ["body", name]` |
//! | [`Multipart`] (last) | a multipart body part by part: files | 415, 400, 413 |
//! | `String`, `Bytes` (last) | the whole body | 413 when too large |
//! | [`Body`](crate::Body) (last) | the body as a stream, unread | |
//! | [`Request`] (last) | the whole request | |
//! | [`State<T>`] | a value given to [`App::state`](crate::App::state) | 500 if missing |
//! | [`Local<T>`] | a value put in the request's [`Locals`] | 500 if missing |
//! | [`Extension<T>`] | a value in the request's extensions | 500 if missing |
//! | [`BackgroundTasks`] | tasks that run after the response is sent | |
//! | [`Dep<T>`] | a [`Dependency`], with cleanup | its error |
//! | [`ClientAddr`] | the client (as [`ProxyHeaders`](crate::middleware::ProxyHeaders) says, else the peer) | 500 if unknown; use `Option<ClientAddr>` |
//! | `HeaderMap`, `Method`, `Uri` | those parts of the request | |
//! | [`OriginalUri`] | the absolute URL asked for, before any mount or root path took its prefix off | |
//! | `Option<T>` | `None` instead of rejecting | |
//! | `Option<Json<T>>`, `Option<Form<T>>` (last) | `None` when nothing is sent (an empty or `null` JSON body, a form naming none of `T`'s fields) | as `Json<T>`, `Form<T>` |
//!
//! Implement [`FromRequestParts`] (or [`FromRequest`] for body readers) to
//! write your own.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::background::BackgroundTasks;
use crate::error::Error;
use crate::lifecycle::Lifecycle;
use crate::openapi::OperationDoc;
use crate::request::{client_of, ClientAddr, ConnectionInfo, Locals, Request, RouteMatch};
use crate::response::{IntoResponse, Response};
use crate::shared::{SharedHandle, SharedHandles};

mod body;
mod check;
mod de;
mod dependency;
mod form;
mod form_head;
mod listing;
mod multipart;
mod objects;
mod original_uri;
mod params;
mod per_type;
mod pyjson;
mod shape;
mod upload;

pub use dependency::{Dep, Dependency};
pub use form::Form;
pub use multipart::{Field, Multipart};
pub use original_uri::OriginalUri;
pub use params::{Cookies, Headers, Path, Query};
pub use upload::UploadFile;

/// What sluice knows about the request beyond its head: the app's state,
/// the matched route, the connection, the request's locals. Every
/// extractor gets it.
pub struct RequestContext {
    /// A handle of this thread's own (see `SharedHandles`).
    shared: SharedHandle,
    route: Option<Arc<RouteMatch>>,
    conn: ConnectionInfo,
    body_limit: usize,
    locals: Option<Locals>,
    lifecycle: OnceLock<Arc<Lifecycle>>,
}

/// The request's `Range` and `If-Range`, kept in its locals for a handler
/// whose response honours them ([`IntoResponse::__HONOURS_RANGE`]).
#[derive(Clone)]
struct KeptRange([Option<HeaderValue>; 2]);

impl RequestContext {
    pub(crate) fn new(req: &Request, handles: &SharedHandles) -> Self {
        // The request's own handle, when it came in by this app (a mounted
        // app's handlers have an app of their own): no lookup needed.
        let shared = match req.app_handle() {
            Some(handle) if Arc::ptr_eq(&**handle, handles.shared()) => handle,
            _ => handles.handle(),
        };
        let locals = req.locals_if_any().cloned();
        let lifecycle = OnceLock::new();
        if let Some(existing) = locals.as_ref().and_then(Locals::lifecycle) {
            let _ = lifecycle.set(existing.clone());
        }
        RequestContext {
            shared: shared.clone(),
            route: req.route_arc().cloned(),
            conn: *req.connection(),
            body_limit: req.body_limit(),
            locals,
            lifecycle,
        }
    }

    /// Keeps `req`'s `Range` and `If-Range` for its response, before the
    /// handler takes the request: only for a handler whose response
    /// honours them, so that no other request pays for it, and only when
    /// the request has either (`If-Range` alone changes nothing, but is
    /// kept as it came).
    pub(crate) fn keep_range(req: &Request) {
        let first = |name| req.headers().get(name).cloned();
        let kept = [first(http::header::RANGE), first(http::header::IF_RANGE)];
        if kept.iter().any(Option::is_some) {
            req.locals().insert(KeptRange(kept));
        }
    }

    /// The handler's answer as a response, given the request's `Range` and
    /// `If-Range` if it honours them.
    pub(crate) fn respond<R: IntoResponse>(&self, answer: R) -> Response {
        if R::__HONOURS_RANGE {
            if let Some(KeptRange([range, if_range])) = self.locals().and_then(Locals::get) {
                return answer.__into_response_ranged(range.as_ref(), if_range.as_ref());
            }
        }
        answer.into_response()
    }

    /// The request's [`Locals`], if a middleware (or an earlier
    /// extractor) created them.
    pub fn locals(&self) -> Option<&Locals> {
        self.locals.as_ref()
    }

    /// A value given to [`App::state`](crate::App::state).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.shared.state::<T>()
    }

    /// The matched route and its path parameters.
    pub fn route(&self) -> Option<&RouteMatch> {
        self.route.as_deref()
    }

    /// The connection the request came on.
    pub fn connection(&self) -> &ConnectionInfo {
        &self.conn
    }

    /// The socket address of the connection's peer, when known. Behind a
    /// reverse proxy that is the proxy: extract [`ClientAddr`] for the
    /// client.
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.conn.remote_addr
    }

    /// The largest body the body extractors will read.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The request's background tasks and dependency cleanups, created on
    /// first use.
    pub(crate) fn lifecycle(&self) -> &Arc<Lifecycle> {
        self.lifecycle
            .get_or_init(|| Arc::new(Lifecycle::new(Arc::clone(&*self.shared))))
    }

    /// Whether the request's lifecycle has been created.
    pub(crate) fn has_lifecycle(&self) -> bool {
        self.lifecycle.get().is_some()
    }

    pub(crate) fn take_lifecycle(&mut self) -> Option<Arc<Lifecycle>> {
        self.lifecycle.take()
    }

    pub(crate) fn rebuild_request(&self, parts: Parts, body: crate::Body) -> Request {
        let mut req = Request::from_parts_internal(
            http::Request::from_parts(parts, body),
            self.conn,
            self.body_limit,
            Some(self.shared.clone()),
        );
        if let Some(route) = &self.route {
            req.set_route(route.clone());
        }
        if let Some(locals) = &self.locals {
            req.set_locals(locals.clone());
        }
        req
    }
}

impl Drop for RequestContext {
    fn drop(&mut self) {
        // Still here: the handler's future was dropped before it finished.
        if let Some(lifecycle) = self.lifecycle.take() {
            crate::lifecycle::cancel(lifecycle);
        }
    }
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("route", &self.route)
            .field("connection", &self.conn)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

/// What the app knows about a route when it is built. Each argument of the
/// route's handler gets it ([`FromRequestParts::declare`]) and checks that
/// it can work there; a problem it reports fails the build with a
/// [`ConfigError::Handler`](crate::ConfigError::Handler). When the app
/// serves an OpenAPI document, each argument also describes itself in it
/// ([`Declaration::openapi`]).
#[derive(Debug)]
pub struct Declaration<'a> {
    method: &'a Method,
    path: &'a str,
    path_params: &'a [Arc<str>],
    problems: Vec<String>,
    doc: Option<OperationDoc<'a>>,
}

impl<'a> Declaration<'a> {
    pub(crate) fn new(method: &'a Method, path: &'a str, path_params: &'a [Arc<str>]) -> Self {
        Declaration {
            method,
            path,
            path_params,
            problems: Vec::new(),
            doc: None,
        }
    }

    /// The same, describing the operation in the app's OpenAPI document.
    pub(crate) fn with_openapi(mut self, doc: OperationDoc<'a>) -> Self {
        self.doc = Some(doc);
        self
    }

    /// The route's method.
    pub fn method(&self) -> &Method {
        self.method
    }

    /// The route's path as declared, e.g. `/items/{item_id}`.
    pub fn path(&self) -> &str {
        self.path
    }

    /// The names of the route's path parameters, in order.
    pub fn path_params(&self) -> impl ExactSizeIterator<Item = &str> {
        self.path_params.iter().map(|name| &**name)
    }

    /// Reports that the extractor cannot work on this route; `message`
    /// says why and how to fix it.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// The operation's description in the OpenAPI document, where an
    /// extractor adds the parameters, body or security it reads; `None`
    /// when the app serves no document, or the route is left out of it.
    pub fn openapi(&mut self) -> Option<&mut OperationDoc<'a>> {
        self.doc.as_mut()
    }

    pub(crate) fn into_parts(self) -> (Vec<String>, Option<OperationDoc<'a>>) {
        (self.problems, self.doc)
    }
}

/// An extractor that reads only the request head (method, URI, headers,
/// extensions) and the [`RequestContext`]. Any number of them may appear in
/// a handler's arguments.
///
/// ```
/// use sluice::extract::{FromRequestParts, RequestContext};
/// use sluice::HttpError;
/// use sluice::http::request::Parts;
///
/// /// The caller's API key, from the `x-api-key` header.
/// struct ApiKey(String);
///
/// impl FromRequestParts for ApiKey {
///     type Rejection = HttpError;
///
///     async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, HttpError> {
///         match parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
///             Some(key) => Ok(ApiKey(key.to_owned())),
///             None => Err(HttpError::new(401, "Unauthorized")),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor, so it cannot be a handler argument",
    label = "not an extractor",
    note = "a struct argument needs a wrapper that says where it comes from: `Json<{Self}>` for a JSON body or `Form<{Self}>` for form fields (as the last argument), `Query<{Self}>`, `Path<{Self}>`, `Headers<{Self}>` or `Cookies<{Self}>`",
    note = "if it already is `Json<T>`, `Form<T>`, `Query<T>`, `Path<T>`, `Headers<T>` or `Cookies<T>`: its model `T` needs `#[derive(serde::Deserialize, schemars::JsonSchema)]`",
    note = "or make it an extractor: implement `FromRequestParts` for it (`FromRequest` if it reads the body); see `sluice::extract`"
)]
pub trait FromRequestParts: Sized + Send {
    /// What the client gets when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request_parts(
        parts: &mut Parts,
        cx: &RequestContext,
    ) -> impl std::future::Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Checks, once when the app is built, that this extractor can work on
    /// the route (reporting a [`Declaration::problem`] otherwise), and
    /// describes what it reads in the OpenAPI document
    /// ([`Declaration::openapi`]). Does nothing by default.
    fn declare(decl: &mut Declaration<'_>) {
        let _ = decl;
    }
}

/// An extractor that may consume the request body. It must be the last
/// argument of a handler. Every [`FromRequestParts`] type is also one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor, so it cannot be a handler argument",
    label = "not an extractor",
    note = "a struct argument needs a wrapper that says where it comes from: `Json<{Self}>` for a JSON body or `Form<{Self}>` for form fields (as the last argument), `Query<{Self}>`, `Path<{Self}>`, `Headers<{Self}>` or `Cookies<{Self}>`",
    note = "if it already is `Json<T>`, `Form<T>`, `Query<T>`, `Path<T>`, `Headers<T>` or `Cookies<T>`: its model `T` needs `#[derive(serde::Deserialize, schemars::JsonSchema)]`",
    note = "or make it an extractor: implement `FromRequestParts` for it (`FromRequest` if it reads the body); see `sluice::extract`"
)]
pub trait FromRequest<M = private::ViaRequest>: Sized + Send {
    /// What the client gets when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request(
        req: Request,
        cx: &RequestContext,
    ) -> impl std::future::Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Checks, once when the app is built, that this extractor can work on
    /// the route; see [`FromRequestParts::declare`].
    fn declare(decl: &mut Declaration<'_>) {
        let _ = decl;
    }
}

#[allow(unreachable_pub)]
pub(crate) mod private {
    /// Marks a [`super::FromRequest`] impl that reads the body.
    #[derive(Debug, Clone, Copy)]
    pub enum ViaRequest {}
    /// Marks a [`super::FromRequest`] impl that comes from [`super::FromRequestParts`].
    #[derive(Debug, Clone, Copy)]
    pub enum ViaParts {}
}

impl<T: FromRequestParts> FromRequest<private::ViaParts> for T {
    type Rejection = T::Rejection;

    async fn from_request(req: Request, cx: &RequestContext) -> Result<Self, Self::Rejection> {
        let (mut parts, _body) = req.into_http_request().into_parts();
        T::from_request_parts(&mut parts, cx).await
    }

    fn declare(decl: &mut Declaration<'_>) {
        T::declare(decl);
    }
}

impl FromRequest for Request {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, _cx: &RequestContext) -> Result<Self, Self::Rejection> {
        Ok(req)
    }
}

impl<T: FromRequestParts> FromRequestParts for Option<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(T::from_request_parts(parts, cx).await.ok())
    }

    /// `T`'s, with what it reads documented as optional (a path parameter
    /// stays required: OpenAPI has no other kind).
    fn declare(decl: &mut Declaration<'_>) {
        let mark = decl.openapi().map(|doc| doc.mark());
        T::declare(decl);
        if let (Some(mark), Some(doc)) = (mark, decl.openapi()) {
            doc.optional_since(mark);
        }
    }
}

impl<T: FromRequestParts> FromRequestParts for Result<T, T::Rejection>
where
    T::Rejection: Send,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(T::from_request_parts(parts, cx).await)
    }

    fn declare(decl: &mut Declaration<'_>) {
        T::declare(decl);
    }
}

impl FromRequestParts for HeaderMap {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.headers.clone())
    }
}

impl FromRequestParts for Method {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.method.clone())
    }
}

impl FromRequestParts for Uri {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.uri.clone())
    }
}

impl FromRequestParts for ConnectionInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(cx.conn)
    }
}

/// The client, as [`Request::client`] says: what a middleware such as
/// [`ProxyHeaders`](crate::middleware::ProxyHeaders) set, else the peer.
impl FromRequestParts for ClientAddr {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, cx: &RequestContext) -> Result<Self, Error> {
        client_of(&parts.extensions, &cx.conn)
            .ok_or_else(|| Error::msg("ClientAddr was asked for, but the client is not known"))
    }
}

/// A value given to [`App::state`](crate::App::state), cloned for the
/// handler (wrap large or shared values in an `Arc`).
///
/// ```
/// use std::sync::Arc;
/// use sluice::{App, State};
///
/// struct Config { greeting: String }
///
/// async fn greet(State(config): State<Arc<Config>>) -> String {
///     config.greeting.clone()
/// }
///
/// let app = App::new()
///     .state(Arc::new(Config { greeting: "hello".into() }))
///     .get("/", greet);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequestParts for State<T> {
    type Rejection = Error;

    async fn from_request_parts(_parts: &mut Parts, cx: &RequestContext) -> Result<Self, Error> {
        match cx.state::<T>() {
            Some(value) => Ok(State(value.clone())),
            None => Err(Error::msg(format!(
                "State<{}> was asked for, but App::state was never given one",
                std::any::type_name::<T>()
            ))),
        }
    }
}

impl<T> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A value in the request's extensions (put there by a middleware with
/// [`Request::extensions_mut`], or by a tower layer), cloned for the
/// handler. For values an outer middleware must read back after `next`
/// returns, use [`Locals`] and [`Local`] instead.
///
/// ```
/// use sluice::extract::Extension;
/// use sluice::{App, Next, Request, Response};
///
/// #[derive(Clone)]
/// struct Trail(Vec<&'static str>);
///
/// async fn start_trail(mut req: Request, next: Next) -> Response {
///     req.extensions_mut().insert(Trail(vec!["mw"]));
///     next.run(req).await
/// }
///
/// async fn show(Extension(trail): Extension<Trail>) -> String {
///     trail.0.join(",")
/// }
///
/// let app = App::new().get("/", show).middleware(start_trail);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Extension<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Extension<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, Error> {
        match parts.extensions.get::<T>() {
            Some(value) => Ok(Extension(value.clone())),
            None => Err(Error::msg(format!(
                "Extension<{}> was asked for, but nothing put one in the request's extensions",
                std::any::type_name::<T>()
            ))),
        }
    }
}

impl<T> std::ops::Deref for Extension<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A value in the request's [`Locals`] (put there by a middleware, an
/// earlier extractor or a dependency), cloned for the handler: FastAPI's
/// `request.state.<name>`.
///
/// ```
/// use sluice::extract::Local;
/// use sluice::testing::TestClient;
/// use sluice::{App, Next, Request, Response};
///
/// #[derive(Clone)]
/// struct User(String);
///
/// async fn load_user(req: Request, next: Next) -> Response {
///     req.locals().insert(User("alice".into()));
///     next.run(req).await
/// }
///
/// async fn whoami(Local(user): Local<User>) -> String {
///     user.0
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().get("/whoami", whoami).middleware(load_user);
/// assert_eq!(TestClient::new(app).get("/whoami").await.text(), "alice");
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Local<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Local<T> {
    type Rejection = Error;

    async fn from_request_parts(_parts: &mut Parts, cx: &RequestContext) -> Result<Self, Error> {
        match cx.locals().and_then(Locals::get::<T>) {
            Some(value) => Ok(Local(value)),
            None => Err(Error::msg(format!(
                "Local<{}> was asked for, but nothing put one in the request's locals",
                std::any::type_name::<T>()
            ))),
        }
    }
}

impl<T> std::ops::Deref for Local<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl FromRequestParts for BackgroundTasks {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(BackgroundTasks::new(cx.lifecycle().clone()))
    }
}
