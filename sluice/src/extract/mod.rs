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
//! | [`Json<T>`](crate::Json) (last) | a JSON body | 422 `loc: ["body", ...]` |
//! | `String`, `Bytes` (last) | the whole body | 413 when too large |
//! | [`Body`](crate::Body) (last) | the body as a stream, unread | |
//! | [`Request`] (last) | the whole request | |
//! | [`State<T>`] | a value given to [`App::state`](crate::App::state) | 500 if missing |
//! | [`Extension<T>`] | a value a middleware put in the request's state | 500 if missing |
//! | [`BackgroundTasks`](crate::BackgroundTasks) | tasks that run after the response is sent | |
//! | [`Dep<T>`](crate::Dep) | a [`Dependency`](crate::Dependency), with cleanup | its error |
//! | `HeaderMap`, `Method`, `Uri` | those parts of the request | |
//! | [`OriginalUri`] | the absolute URL asked for, before any mount took its prefix off | |
//! | `Option<T>` | `None` instead of rejecting | |
//!
//! Implement [`FromRequestParts`] (or [`FromRequest`] for body readers) to
//! write your own.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use http::request::Parts;
use http::{HeaderMap, Method, Uri};

use crate::app::Shared;
use crate::error::Error;
use crate::lifecycle::Lifecycle;
use crate::request::{ConnectionInfo, Request, RouteMatch};
use crate::response::IntoResponse;

mod body;
mod de;
mod original_uri;
mod params;

pub use original_uri::OriginalUri;
pub use params::{Headers, Path, Query};

/// What sluice knows about the request beyond its head: the app's state,
/// the matched route, the connection. Every extractor gets it.
pub struct RequestContext {
    shared: Arc<Shared>,
    route: Option<Arc<RouteMatch>>,
    conn: ConnectionInfo,
    body_limit: usize,
    lifecycle: OnceLock<Arc<Lifecycle>>,
}

impl RequestContext {
    pub(crate) fn new(
        shared: Arc<Shared>,
        route: Option<Arc<RouteMatch>>,
        conn: ConnectionInfo,
        body_limit: usize,
    ) -> Self {
        RequestContext {
            shared,
            route,
            conn,
            body_limit,
            lifecycle: OnceLock::new(),
        }
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

    /// The client's address, when known.
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
            .get_or_init(|| Arc::new(Lifecycle::new(self.shared.tracker().clone())))
    }

    pub(crate) fn take_lifecycle(&mut self) -> Option<Arc<Lifecycle>> {
        self.lifecycle.take()
    }

    pub(crate) fn rebuild_request(&self, parts: Parts, body: crate::Body) -> Request {
        let mut req = Request::from_parts_internal(
            http::Request::from_parts(parts, body),
            self.conn,
            self.body_limit,
        );
        if let Some(route) = &self.route {
            req.set_route(route.clone());
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

/// An extractor that reads only the request head (method, URI, headers,
/// extensions) and the [`RequestContext`]. Any number of them may appear in
/// a handler's arguments.
///
/// ```
/// use sluice::extract::{FromRequestParts, RequestContext};
/// use sluice::HttpError;
/// use http::request::Parts;
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
    message = "`{Self}` cannot be extracted from the request head",
    label = "this handler argument is not an extractor",
    note = "handler arguments must implement `FromRequestParts` (or `FromRequest`, for the last one); see `sluice::extract`"
)]
pub trait FromRequestParts: Sized + Send {
    /// What the client gets when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request_parts(
        parts: &mut Parts,
        cx: &RequestContext,
    ) -> impl std::future::Future<Output = Result<Self, Self::Rejection>> + Send;
}

/// An extractor that may consume the request body. It must be the last
/// argument of a handler. Every [`FromRequestParts`] type is also one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be extracted from the request",
    label = "this handler argument is not an extractor",
    note = "handler arguments must implement `FromRequestParts`; only the last one may implement `FromRequest` (a body extractor)"
)]
pub trait FromRequest<M = private::ViaRequest>: Sized + Send {
    /// What the client gets when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request(
        req: Request,
        cx: &RequestContext,
    ) -> impl std::future::Future<Output = Result<Self, Self::Rejection>> + Send;
}

#[allow(unreachable_pub)]
mod private {
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
        let (inner, _) = req.into_inner();
        let (mut parts, _body) = inner.into_parts();
        T::from_request_parts(&mut parts, cx).await
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

/// A value a middleware put in the request's state with
/// [`Request::insert_state`], cloned for the handler.
///
/// ```
/// use sluice::extract::Extension;
/// use sluice::{App, Next, Request, Response};
///
/// #[derive(Clone)]
/// struct Trail(Vec<&'static str>);
///
/// async fn start_trail(mut req: Request, next: Next) -> Response {
///     req.insert_state(Trail(vec!["mw"]));
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
                "Extension<{}> was asked for, but no middleware put one in the request's state",
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
