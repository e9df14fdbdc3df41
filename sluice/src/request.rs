//! The [`Request`] a middleware or handler receives.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
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
///
/// These are facts about the socket. Behind a reverse proxy the peer is
/// the proxy: the client and scheme the app should believe are
/// [`Request::client`] and [`Request::scheme`], which
/// [`ProxyHeaders`](crate::middleware::ProxyHeaders) sets from the proxy's
/// headers.
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

    /// The scheme the client used: the one a middleware set with
    /// [`Request::set_scheme`] (e.g. [`ProxyHeaders`](crate::middleware::ProxyHeaders)
    /// from a trusted proxy's `X-Forwarded-Proto`); else `https` on an
    /// encrypted connection or when the request target says so (HTTP/2
    /// `:scheme`, absolute-form targets); else `http`.
    ///
    /// Everything that builds a URL for the client (the HTTPS redirect, the
    /// trailing-slash and `www` redirects) reads it here.
    pub fn scheme(&self) -> &str {
        if let Some(scheme) = self.seen().and_then(|seen| seen.scheme) {
            return scheme.as_str();
        }
        match self.inner.http.uri().scheme_str() {
            Some(scheme) => scheme,
            None if self.inner.conn.secure => "https",
            None => "http",
        }
    }

    /// Sets the scheme the client used, for every later reader of
    /// [`Request::scheme`] (inner middleware, the router, handlers).
    pub fn set_scheme(&mut self, scheme: Scheme) {
        self.seen_mut().scheme = Some(scheme);
    }

    /// The client as the app should see it: the one a middleware set with
    /// [`Request::set_client`] (e.g. [`ProxyHeaders`](crate::middleware::ProxyHeaders)
    /// from a trusted proxy's `X-Forwarded-For`), else the connection's
    /// peer. `None` when neither is known.
    ///
    /// Handlers read the same with the [`ClientAddr`] extractor; the access
    /// log and anything keyed by client (rate limits) read it here.
    ///
    /// ```
    /// use sluice::{App, ClientAddr, Next, Request, Response};
    ///
    /// async fn whoami(client: Option<ClientAddr>) -> String {
    ///     client.map(|c| c.host().into_owned()).unwrap_or_default()
    /// }
    ///
    /// async fn pretend(mut req: Request, next: Next) -> Response {
    ///     req.set_client(ClientAddr::new("203.0.113.7", None));
    ///     next.run(req).await
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().get("/", whoami).middleware(pretend);
    /// let res = sluice::testing::TestClient::new(app).get("/").await;
    /// assert_eq!(res.text(), "203.0.113.7");
    /// # }
    /// ```
    pub fn client(&self) -> Option<ClientAddr> {
        client_of(self.extensions(), &self.inner.conn)
    }

    /// Sets the client, for every later reader of [`Request::client`] and
    /// of the [`ClientAddr`] extractor.
    pub fn set_client(&mut self, client: ClientAddr) {
        self.seen_mut().client = Some(client);
    }

    fn seen(&self) -> Option<&Seen> {
        self.inner.http.extensions().get::<Seen>()
    }

    fn seen_mut(&mut self) -> &mut Seen {
        self.inner
            .http
            .extensions_mut()
            .get_or_insert_with(Seen::default)
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

    /// The socket address of the connection's peer, when the server knows
    /// it. Behind a reverse proxy that is the proxy: use
    /// [`Request::client`] for the client.
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

/// What a middleware said about the client and scheme, kept in the
/// request's extensions (absent, and free, until someone sets it).
#[derive(Debug, Clone, Default)]
struct Seen {
    client: Option<ClientAddr>,
    scheme: Option<Scheme>,
}

/// The client of a request: what a middleware set, else the peer.
pub(crate) fn client_of(extensions: &Extensions, conn: &ConnectionInfo) -> Option<ClientAddr> {
    if let Some(client) = extensions
        .get::<Seen>()
        .and_then(|seen| seen.client.as_ref())
    {
        return Some(client.clone());
    }
    conn.remote_addr.map(ClientAddr::from)
}

/// The scheme of a request: `http`, `https`, `ws` or `wss`.
///
/// What [`Request::set_scheme`] takes; [`Request::scheme`] returns its
/// text. Parsing ignores ASCII case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `http`
    Http,
    /// `https`
    Https,
    /// `ws` (WebSocket)
    Ws,
    /// `wss` (WebSocket over TLS)
    Wss,
}

impl Scheme {
    /// The scheme as URLs write it, lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        }
    }

    /// `https` or `wss`.
    pub fn is_secure(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Wss)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Scheme`] other than `http`, `https`, `ws` or `wss`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScheme;

impl fmt::Display for UnknownScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("scheme is not http, https, ws or wss")
    }
}

impl std::error::Error for UnknownScheme {}

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(s: &str) -> Result<Self, UnknownScheme> {
        [Scheme::Http, Scheme::Https, Scheme::Ws, Scheme::Wss]
            .into_iter()
            .find(|scheme| scheme.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownScheme)
    }
}

/// Who sent a request, as far as the app can tell: a host and, when known,
/// a port.
///
/// Usually the connection's peer address. Behind a reverse proxy,
/// [`ProxyHeaders`](crate::middleware::ProxyHeaders) replaces it with the
/// address the proxy reports, which is text as the proxy sent it: most
/// often an IP address, but possibly anything (`unknown`, an obfuscated
/// `_hidden` identifier, a unix socket path), as uvicorn keeps it.
/// [`ClientAddr::ip`] is the address when the host is one.
///
/// It is also an extractor (any number of times, never rejecting when
/// wrapped in `Option`): `None` when neither a middleware nor the server
/// knows the client.
///
/// ```
/// use std::net::SocketAddr;
/// use sluice::ClientAddr;
///
/// let peer = ClientAddr::from("192.0.2.1:5000".parse::<SocketAddr>().unwrap());
/// assert_eq!(peer.host(), "192.0.2.1");
/// assert_eq!(peer.port(), Some(5000));
/// assert_eq!(peer.to_string(), "192.0.2.1:5000");
///
/// let forwarded = ClientAddr::new("2001:DB8::1", Some(443));
/// assert_eq!(forwarded.host(), "2001:DB8::1"); // the text as sent
/// assert_eq!(forwarded.ip(), "2001:db8::1".parse().ok());
/// assert_eq!(forwarded.to_string(), "[2001:DB8::1]:443");
///
/// let hidden = ClientAddr::new("_hidden", None);
/// assert_eq!(hidden.ip(), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientAddr {
    host: ClientHost,
    port: Option<u16>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum ClientHost {
    /// From a socket address: no text until someone asks for it.
    Ip(IpAddr),
    /// As a proxy (or a middleware) wrote it.
    Text { text: Arc<str>, ip: Option<IpAddr> },
}

impl ClientAddr {
    /// A client named by text (kept as given) and an optional port. When
    /// the text is an IP address (IPv6 with or without brackets), it is
    /// also [`ClientAddr::ip`].
    pub fn new(host: impl Into<Arc<str>>, port: Option<u16>) -> Self {
        let text: Arc<str> = host.into();
        let bare = text
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(&text);
        let ip = bare.parse::<IpAddr>().ok();
        ClientAddr {
            host: ClientHost::Text { text, ip },
            port,
        }
    }

    /// The IP address, when the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match &self.host {
            ClientHost::Ip(ip) => Some(*ip),
            ClientHost::Text { ip, .. } => *ip,
        }
    }

    /// The host as text: the address for a socket peer, the text as the
    /// proxy sent it otherwise.
    pub fn host(&self) -> Cow<'_, str> {
        match &self.host {
            ClientHost::Ip(ip) => Cow::Owned(ip.to_string()),
            ClientHost::Text { text, .. } => Cow::Borrowed(text),
        }
    }

    /// The port, when known.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The host text, when it came as text rather than from a socket.
    pub(crate) fn text(&self) -> Option<&str> {
        match &self.host {
            ClientHost::Ip(_) => None,
            ClientHost::Text { text, .. } => Some(text),
        }
    }

    /// The IP address and port as a socket address, when both are known.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.ip()?, self.port?))
    }
}

impl From<SocketAddr> for ClientAddr {
    fn from(addr: SocketAddr) -> Self {
        ClientAddr {
            host: ClientHost::Ip(addr.ip()),
            port: Some(addr.port()),
        }
    }
}

impl From<IpAddr> for ClientAddr {
    fn from(ip: IpAddr) -> Self {
        ClientAddr {
            host: ClientHost::Ip(ip),
            port: None,
        }
    }
}

/// `host`, or `host:port` (`[host]:port` when the host has a `:`, as IPv6
/// addresses do).
impl fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host, self.port) {
            (ClientHost::Ip(ip), Some(port)) => SocketAddr::new(*ip, port).fmt(f),
            (ClientHost::Ip(ip), None) => ip.fmt(f),
            (ClientHost::Text { text, .. }, None) => f.write_str(text),
            (ClientHost::Text { text, .. }, Some(port)) => {
                if text.contains(':') && !text.starts_with('[') {
                    write!(f, "[{text}]:{port}")
                } else {
                    write!(f, "{text}:{port}")
                }
            }
        }
    }
}

impl fmt::Debug for ClientAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAddr")
            .field("host", &self.host())
            .field("port", &self.port)
            .finish()
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
