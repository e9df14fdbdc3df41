//! The [`Request`] a middleware or handler receives.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{AsHeaderName, HeaderMap};
use http::{Extensions, Method, Uri, Version};

use crate::body::Body;
use crate::error::BodyError;

/// The default for [`App::max_body_size`](crate::App::max_body_size): 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 16 * 1024 * 1024;

/// An HTTP request on its way through the middleware stack to a handler.
///
/// It wraps an [`http::Request`] and adds what a web framework knows about
/// it: the client's address, the scheme, the matched route and its path
/// parameters (inside the router), per-request state, and a body that can be
/// read more than once.
///
/// ```
/// use sluice::{App, Next, Request, Response};
///
/// #[derive(Clone)]
/// struct User(String);
///
/// async fn load_user(mut req: Request, next: Next) -> Response {
///     let name = req.header("x-user").unwrap_or("anonymous").to_owned();
///     req.insert_state(User(name));
///     next.run(req).await
/// }
///
/// let app = App::new().middleware(load_user);
/// ```
pub struct Request {
    // Boxed: a request is moved through every layer of the stack, and a
    // pointer moves for much less than the ~400 bytes it points to.
    inner: Box<Inner>,
}

struct Inner {
    http: http::Request<Body>,
    conn: ConnectionInfo,
    route: Option<Arc<RouteMatch>>,
    body_limit: usize,
}

/// What the server knows about the connection a request came on.
///
/// The server fills it in. When you run the app under another server, insert
/// it into the `http::Request`'s extensions before calling the app service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The peer's address.
    pub remote_addr: Option<SocketAddr>,
    /// The local address the connection was accepted on.
    pub local_addr: Option<SocketAddr>,
    /// Whether the connection is encrypted (TLS), making the scheme `https`.
    pub secure: bool,
}

/// The route a request matched, with its path parameters.
#[derive(Debug, Clone)]
pub struct RouteMatch {
    pub(crate) template: Arc<str>,
    pub(crate) params: Vec<(Arc<str>, String)>,
}

impl RouteMatch {
    /// The route's path as declared, e.g. `/items/{item_id}`.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The path parameters, percent-decoded, in the order they appear.
    pub fn params(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (&**k, v.as_str()))
    }

    /// One path parameter by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Request {
    /// Wraps an `http::Request`.
    ///
    /// A [`ConnectionInfo`] in its extensions is taken out and used.
    pub fn from_http<B>(req: http::Request<B>) -> Self
    where
        B: http_body::Body + Send + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<crate::error::BoxError>,
    {
        let mut inner = req.map(Body::new);
        let ext = inner.extensions_mut();
        let (conn, route, body_limit) = match ext.remove::<Carried>() {
            Some(carried) => (carried.conn, carried.route, carried.body_limit),
            None => (
                ext.remove::<ConnectionInfo>().unwrap_or_default(),
                None,
                DEFAULT_MAX_BODY_SIZE,
            ),
        };
        Request {
            inner: Box::new(Inner {
                http: inner,
                conn,
                route,
                body_limit,
            }),
        }
    }

    pub(crate) fn from_parts_internal(
        inner: http::Request<Body>,
        conn: ConnectionInfo,
        body_limit: usize,
    ) -> Self {
        Request {
            inner: Box::new(Inner {
                http: inner,
                conn,
                route: None,
                body_limit,
            }),
        }
    }

    /// Turns it back into an `http::Request`, keeping what sluice knows
    /// about it in the extensions (so [`Request::from_http`] restores it).
    pub fn into_http(self) -> http::Request<Body> {
        let Inner {
            mut http,
            conn,
            route,
            body_limit,
        } = *self.inner;
        http.extensions_mut().insert(Carried {
            conn,
            route,
            body_limit,
        });
        http
    }

    /// The method.
    pub fn method(&self) -> &Method {
        self.inner.http.method()
    }

    /// The request target as sent (origin form for HTTP/1.1, e.g. `/a?b=1`).
    pub fn uri(&self) -> &Uri {
        self.inner.http.uri()
    }

    /// Mutable access to the URI, e.g. to rewrite the path before routing.
    pub fn uri_mut(&mut self) -> &mut Uri {
        self.inner.http.uri_mut()
    }

    /// The path as sent, still percent-encoded.
    pub fn path(&self) -> &str {
        self.inner.http.uri().path()
    }

    /// The query string, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.inner.http.uri().query()
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.inner.http.version()
    }

    /// `https` on an encrypted connection or when the request target says
    /// so (HTTP/2 `:scheme`, absolute-form targets), `http` otherwise.
    pub fn scheme(&self) -> &str {
        match self.inner.http.uri().scheme_str() {
            Some(scheme) => scheme,
            None if self.inner.conn.secure => "https",
            None => "http",
        }
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.http.headers()
    }

    /// Mutable access to the headers.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.inner.http.headers_mut()
    }

    /// The first value of a header as text, or `None` when it is absent or
    /// not visible ASCII.
    pub fn header<K: AsHeaderName>(&self, name: K) -> Option<&str> {
        self.inner.http.headers().get(name)?.to_str().ok()
    }

    /// The extensions: typed values attached to this request.
    pub fn extensions(&self) -> &Extensions {
        self.inner.http.extensions()
    }

    /// Mutable access to the extensions.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        self.inner.http.extensions_mut()
    }

    /// A value put in this request's state by a middleware (FastAPI's
    /// `request.state`). Handlers read it with the
    /// [`Extension`](crate::extract::Extension) extractor.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.http.extensions().get::<T>()
    }

    /// Mutable access to a value in this request's state.
    pub fn state_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.inner.http.extensions_mut().get_mut::<T>()
    }

    /// Puts a value in this request's state, returning the one it replaces.
    pub fn insert_state<T: Clone + Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.inner.http.extensions_mut().insert(value)
    }

    /// The connection this request came on.
    pub fn connection(&self) -> &ConnectionInfo {
        &self.inner.conn
    }

    /// The client's address, when the server knows it.
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.inner.conn.remote_addr
    }

    /// The matched route. `None` before routing, i.e. in app-level
    /// middleware; set for router and route middleware and for handlers.
    pub fn route(&self) -> Option<&RouteMatch> {
        self.inner.route.as_deref()
    }

    pub(crate) fn set_route(&mut self, route: Arc<RouteMatch>) {
        self.inner.route = Some(route);
    }

    pub(crate) fn route_arc(&self) -> Option<&Arc<RouteMatch>> {
        self.inner.route.as_ref()
    }

    /// The body.
    pub fn body(&self) -> &Body {
        self.inner.http.body()
    }

    /// Mutable access to the body.
    pub fn body_mut(&mut self) -> &mut Body {
        self.inner.http.body_mut()
    }

    /// Takes the body, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(self.inner.http.body_mut())
    }

    /// The largest body [`Request::bytes`] and the body extractors will read
    /// (see [`App::max_body_size`](crate::App::max_body_size)).
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// Changes the body size limit for this request.
    pub fn set_body_limit(&mut self, limit: usize) {
        self.inner.body_limit = limit;
    }

    /// Reads the whole body and keeps it, so that it can be read again later
    /// (by another middleware or by the handler), as Starlette's
    /// `await request.body()` does.
    ///
    /// # Errors
    ///
    /// When the body is larger than [`Request::body_limit`] or the client
    /// breaks off the upload. A body that failed to read is gone.
    ///
    /// ```
    /// use sluice::{App, Next, Request, Response};
    ///
    /// async fn body_length(mut req: Request, next: Next) -> sluice::Result<Response> {
    ///     let len = req.bytes().await?.len();
    ///     let mut response = next.run(req).await;
    ///     response.headers_mut().insert("x-body-length", len.into());
    ///     Ok(response)
    /// }
    ///
    /// let app = App::new().middleware(body_length);
    /// ```
    pub async fn bytes(&mut self) -> Result<Bytes, BodyError> {
        if let Some(bytes) = self.inner.http.body().as_bytes() {
            if bytes.len() > self.inner.body_limit {
                return Err(BodyError::too_large(self.inner.body_limit));
            }
            return Ok(bytes.clone());
        }
        let body = self.take_body();
        let bytes = body.collect_limited(self.inner.body_limit).await?;
        *self.inner.http.body_mut() = Body::from(bytes.clone());
        Ok(bytes)
    }

    /// Reads the body as UTF-8 text (kept for later reads, like
    /// [`Request::bytes`]).
    ///
    /// # Errors
    ///
    /// As [`Request::bytes`], or when the body is not UTF-8.
    pub async fn text(&mut self) -> Result<String, crate::Error> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8(bytes.to_vec())?)
    }

    pub(crate) fn into_inner(self) -> (http::Request<Body>, Option<Arc<RouteMatch>>) {
        let Inner { http, route, .. } = *self.inner;
        (http, route)
    }
}

/// What sluice knows about a request beyond `http::Request`, carried
/// through tower layers in one extension (one insertion, not three).
#[derive(Debug, Clone)]
struct Carried {
    conn: ConnectionInfo,
    route: Option<Arc<RouteMatch>>,
    body_limit: usize,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("version", &self.version())
            .field("headers", self.headers())
            .field("connection", &self.inner.conn)
            .field("route", &self.inner.route)
            .field("body", self.body())
            .finish()
    }
}

impl<B> From<http::Request<B>> for Request
where
    B: http_body::Body + Send + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<crate::error::BoxError>,
{
    fn from(req: http::Request<B>) -> Self {
        Request::from_http(req)
    }
}

impl From<Request> for http::Request<Body> {
    fn from(req: Request) -> Self {
        req.into_http()
    }
}
