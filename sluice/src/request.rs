//! The [`Request`] a middleware or handler receives.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use http::header::{AsHeaderName, HeaderMap};
use http::{Extensions, Method, Uri, Version};

use crate::background::BackgroundTasks;
use crate::body::Body;
use crate::error::{BodyError, UrlForError};
use crate::head::RequestHead;
use crate::lifecycle::Lifecycle;
use crate::shared::{Shared, SharedHandle};

/// The default for [`App::max_body_size`](crate::App::max_body_size): 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 16 * 1024 * 1024;

/// An HTTP request on its way through the middleware stack to a handler.
///
/// It wraps an [`http::Request`] and adds what a web framework knows about
/// it: the client's address, the scheme, the matched route and its path
/// parameters (inside the router), the app's state, the request's
/// [`Locals`], and a body that can be read more than once.
///
/// Three kinds of state, one word each:
///
/// | | set with | read with |
/// |---|---|---|
/// | app state, one per app | [`App::state`](crate::App::state) | [`Request::state`], the [`State`](crate::State) extractor |
/// | locals, one set per request, shared by every layer | [`Request::locals`] | [`Request::locals`], the [`Local`](crate::extract::Local) extractor |
/// | extensions, travel with this request value | [`Request::extensions_mut`] | [`Request::extensions`], the [`Extension`](crate::Extension) extractor |
///
/// Locals are FastAPI's `request.state`: a value a handler puts there is
/// still there for the middleware that called `next`, once `next.run`
/// returns. Extensions move with the request into `next.run` and are gone
/// from the middleware's point of view; tower layers use them.
///
/// ```
/// use sluice::extract::Local;
/// use sluice::{App, Next, Request, Response};
///
/// #[derive(Clone)]
/// struct User(String);
///
/// async fn load_user(req: Request, next: Next) -> Response {
///     let name = req.header("x-user").unwrap_or("anonymous").to_owned();
///     req.locals().insert(User(name));
///     next.run(req).await
/// }
///
/// async fn whoami(Local(user): Local<User>) -> String {
///     user.0
/// }
///
/// let app = App::new().get("/whoami", whoami).middleware(load_user);
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
    /// The app handling it; `None` for a request made by hand.
    app: Option<SharedHandle>,
    /// Created on first use.
    locals: OnceLock<Locals>,
    /// Known to have no `Upgrade` header (see [`Request::may_upgrade`]).
    no_upgrade: bool,
}

impl Inner {
    /// Takes the `http::Request` out, leaving an empty one.
    fn take_http(&mut self) -> http::Request<Body> {
        std::mem::replace(&mut self.http, http::Request::new(Body::empty()))
    }
}

impl Drop for Inner {
    #[inline]
    fn drop(&mut self) {
        let extensions = self.http.extensions_mut();
        if !extensions.is_empty() {
            spare_extensions::keep(extensions);
        }
    }
}

/// Emptied extension maps of finished requests, kept for the next
/// requests on the same thread: a middleware that puts a value in the
/// extensions (a principal, a request id) then costs no allocation.
mod spare_extensions {
    use std::cell::RefCell;

    use http::Extensions;

    /// How many a thread keeps.
    const KEEP: usize = 32;

    thread_local! {
        static SPARE: RefCell<Vec<Extensions>> = const { RefCell::new(Vec::new()) };
    }

    /// Swaps an emptied map into `extensions`, an empty one, if there is one.
    pub(super) fn reuse(extensions: &mut Extensions) {
        let spare = SPARE.try_with(|spare| spare.try_borrow_mut().ok()?.pop());
        if let Ok(Some(spare)) = spare {
            *extensions = spare;
        }
    }

    /// Empties `extensions` and keeps its map.
    #[inline(never)]
    pub(super) fn keep(extensions: &mut Extensions) {
        extensions.clear();
        let extensions = std::mem::take(extensions);
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                if spare.len() < KEEP {
                    spare.push(extensions);
                }
            }
        });
    }
}

/// The URL of the request as the app received it: Starlette's
/// `request.url`, whatever mounts the request went through.
///
/// A service mounted with [`App::mount`](crate::App::mount) sees the
/// request with the mount's prefix taken off its path (and the router of an
/// app with a [`root_path`](crate::App::root_path), without the root
/// path); this extension holds the whole URL, so the service can build
/// absolute links and redirects.
/// It is absolute (`http://example.com/static/a.txt?v=1`): the scheme is
/// the request's ([`Request::scheme`](crate::Request::scheme)), the host is
/// the `Host` header when it is well-formed (else the server's address, as
/// for sluice's redirects), the path and query are as sent, still
/// percent-encoded. Only when no host is safe to name (two `Host` headers
/// that disagree, no server address) is it the path and query alone.
///
/// As an extractor it works in any handler, mounted or not.
///
/// ```
/// use sluice::extract::OriginalUri;
/// use sluice::testing::TestClient;
/// use sluice::{App, Request};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // A mounted app: its handler sees the path without the prefix.
/// let files = App::new()
///     .get("/{name}", |req: Request| async move {
///         let original = &req.extensions().get::<OriginalUri>().unwrap().0;
///         format!("{} {}", req.uri(), original)
///     })
///     .build()
///     .unwrap();
/// let app = App::new()
///     .mount("/files", files)
///     .get("/here", |OriginalUri(uri): OriginalUri| async move { uri.to_string() });
/// let client = TestClient::new(app);
///
/// let res = client.get("/files/a%20b.txt?v=1").await;
/// assert_eq!(res.text(), "/a%20b.txt?v=1 http://testserver/files/a%20b.txt?v=1");
/// assert_eq!(client.get("/here").await.text(), "http://testserver/here");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalUri(pub Uri);

/// The root path of the app a request came in by
/// ([`App::root_path`](crate::App::root_path)), for the URLs it builds.
#[derive(Debug, Clone)]
pub(crate) struct RootPath(pub(crate) Arc<str>);

/// The app that mounted the sluice app serving a request (the outermost,
/// through several mounts), whose names [`Request::url_for`] looks up
/// first.
#[derive(Clone)]
pub(crate) struct OuterApp(pub(crate) Arc<crate::shared::Shared>);

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
    /// The route's path as OpenTelemetry's `http.route` names it: the
    /// app's root path, then the template as declared.
    pub(crate) template: Arc<str>,
    /// Where the declared template starts in `template`.
    pub(crate) declared_from: u32,
    /// Whether this is a mount's match, which a mounted app's route may
    /// complete (see [`crate::route_watch`]).
    pub(crate) mount: bool,
    pub(crate) params: Vec<(Arc<str>, String)>,
}

impl RouteMatch {
    /// A match of `template` as declared, under `root` (the app's root
    /// path, or empty).
    pub(crate) fn new(root: &str, template: &str, params: Vec<(Arc<str>, String)>) -> Self {
        let full: Arc<str> = if root.is_empty() {
            Arc::from(template)
        } else {
            Arc::from(format!("{root}{template}"))
        };
        RouteMatch {
            template: full,
            // A root path longer than 4 GiB is not a root path.
            declared_from: u32::try_from(root.len()).unwrap_or(0),
            mount: false,
            params,
        }
    }

    /// The route's path as declared, e.g. `/items/{item_id}`.
    pub fn template(&self) -> &str {
        self.template
            .get(self.declared_from as usize..)
            .unwrap_or(&self.template)
    }

    /// The route as OpenTelemetry's `http.route` names it: the template
    /// after the app's root path
    /// ([`App::root_path`](crate::App::root_path)), and, for a route of a
    /// mounted app as the mounting app sees it, after the mount's path.
    #[cfg_attr(not(any(feature = "metrics", feature = "otel")), allow(dead_code))]
    pub(crate) fn http_route(&self) -> &Arc<str> {
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
        let carried = ext.remove::<Carried>().unwrap_or_else(|| Carried {
            conn: ext.remove::<ConnectionInfo>().unwrap_or_default(),
            route: None,
            body_limit: DEFAULT_MAX_BODY_SIZE,
            app: None,
            locals: None,
        });
        let locals = OnceLock::new();
        if let Some(carried_locals) = carried.locals {
            let _ = locals.set(carried_locals);
        }
        Request {
            inner: Box::new(Inner {
                http: inner,
                conn: carried.conn,
                route: carried.route,
                body_limit: carried.body_limit,
                app: carried.app,
                locals,
                no_upgrade: false,
            }),
        }
    }

    #[inline]
    pub(crate) fn from_parts_internal(
        inner: http::Request<Body>,
        conn: ConnectionInfo,
        body_limit: usize,
        app: Option<SharedHandle>,
    ) -> Self {
        Request {
            inner: Box::new(Inner {
                http: inner,
                conn,
                route: None,
                body_limit,
                app,
                locals: OnceLock::new(),
                no_upgrade: false,
            }),
        }
    }

    /// Turns it back into an `http::Request`, keeping what sluice knows
    /// about it in the extensions (so [`Request::from_http`] restores it).
    pub fn into_http(mut self) -> http::Request<Body> {
        let inner = &mut *self.inner;
        let mut http = inner.take_http();
        http.extensions_mut().insert(Carried {
            conn: inner.conn,
            route: inner.route.take(),
            body_limit: inner.body_limit,
            app: inner.app.take(),
            locals: inner.locals.take(),
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
        // An `Upgrade` header may be added.
        self.inner.no_upgrade = false;
        self.inner.http.headers_mut()
    }

    /// Whether the request may have an `Upgrade` header, and so be a
    /// WebSocket handshake: `false` only when the server read it over
    /// HTTP/1.1 and hyper saw none (it prepares an upgrade for any), and
    /// no one has changed its headers since. Every request is asked
    /// whether it is a handshake, by the router and by some middleware;
    /// this spares them a look through its headers.
    pub(crate) fn may_upgrade(&self) -> bool {
        !self.inner.no_upgrade
    }

    /// Records that hyper saw no `Upgrade` header (see
    /// [`Request::may_upgrade`]).
    pub(crate) fn set_no_upgrade(&mut self) {
        self.inner.no_upgrade = true;
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
        let extensions = self.inner.http.extensions_mut();
        if extensions.is_empty() {
            spare_extensions::reuse(extensions);
        }
        extensions
    }

    /// A value given to [`App::state`](crate::App::state): the app's
    /// state, as the [`State`](crate::State) extractor reads it (FastAPI's
    /// `request.app.state`). `None` when the app has no value of that type.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use sluice::{App, Next, Request, Response};
    ///
    /// struct Config { banner: &'static str }
    ///
    /// async fn banner(req: Request, next: Next) -> Response {
    ///     let banner = req.state::<Arc<Config>>().map(|c| c.banner);
    ///     let mut response = next.run(req).await;
    ///     if let Some(banner) = banner {
    ///         response.headers_mut().insert("x-banner", banner.parse().unwrap());
    ///     }
    ///     response
    /// }
    ///
    /// let app = App::new()
    ///     .state(Arc::new(Config { banner: "hello" }))
    ///     .middleware(banner);
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.app.as_deref()?.state::<T>()
    }

    /// The absolute URL of the route named `name` with `params` in place of
    /// its path parameters: Starlette's `request.url_for(name, **params)`,
    /// e.g. for a `Location` or a link in a body.
    ///
    /// A route's name is its handler function's name (FastAPI's default),
    /// or the one given with [`MethodRouter::name`](crate::routing::MethodRouter::name);
    /// routes of routers included with
    /// [`App::include_router`](crate::App::include_router) count, with
    /// their prefix. A mount named with
    /// [`App::mount_named`](crate::App::mount_named) gives the URL of a
    /// `path` under it (`url_for("static", [("path", "css/site.css")])`).
    /// The routes of a mounted sluice app are found through the mount, as
    /// Starlette finds them: under their own names for an unnamed mount,
    /// as `mount:route` for a named one (`url_for("api:list_users", ..)`).
    /// A mounted app looks up the names of the app that mounted it first,
    /// then its own.
    /// The URL has the request's scheme and host (as sluice's
    /// redirects name them), the app's [`root_path`](crate::App::root_path)
    /// if it has one and, in an app mounted under a prefix, the prefix. Parameter values are written as they are (a `{name:path}`
    /// one may hold `/`), as Starlette writes them; [`Redirect`](crate::Redirect)
    /// percent-encodes what it must.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Path, Redirect, Request};
    ///
    /// async fn read_item(Path(item_id): Path<u32>) -> String {
    ///     format!("item {item_id}")
    /// }
    ///
    /// async fn create_item(req: Request) -> sluice::Result<Redirect> {
    ///     Ok(Redirect::see_other(req.url_for("read_item", [("item_id", 42)])?))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/items/{item_id}", read_item)
    ///     .post("/items", create_item);
    /// let res = TestClient::new(app).post("/items").await;
    /// assert_eq!(res.status(), 303);
    /// assert_eq!(res.header("location"), Some("http://testserver/items/42"));
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`UrlForError`] (Starlette's `NoMatchFound`) when no route has the
    /// name, the parameters are not exactly the route's, or one that is
    /// not a `{name:path}` holds a `/`.
    pub fn url_for<K, V>(
        &self,
        name: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, UrlForError>
    where
        K: AsRef<str>,
        V: fmt::Display,
    {
        let params: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.to_string()))
            .collect();
        let pairs = || params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        // In a mounted app, the outermost app's names come first; their
        // paths hold the mounts' prefixes already.
        let outer = self
            .extensions()
            .get::<OuterApp>()
            .and_then(|OuterApp(outer)| outer.route_names())
            .and_then(|names| names.path_for(name, pairs()).ok());
        let (mut full, path) = match outer {
            Some(path) => {
                let root = match self.extensions().get::<RootPath>() {
                    Some(RootPath(root)) => root.to_string(),
                    None => String::new(),
                };
                (root, path)
            }
            None => (
                self.root_path().into_owned(),
                self.url_path_for(name, pairs())?,
            ),
        };
        full.push_str(&path);
        Ok(match self.netloc() {
            Some(netloc) => crate::url::absolute_url(self.scheme(), false, &netloc, &full, None),
            None => full,
        })
    }

    /// The path of the route named `name` within its app, as
    /// [`Request::url_for`] finds it, without the scheme, the host or the
    /// prefix of a mount (Starlette's `app.url_path_for`).
    ///
    /// # Errors
    ///
    /// As [`Request::url_for`].
    pub fn url_path_for<K, V>(
        &self,
        name: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, UrlForError>
    where
        K: AsRef<str>,
        V: fmt::Display,
    {
        match self.inner.app.as_deref().and_then(|app| app.route_names()) {
            Some(names) => names.path_for(name, params),
            None => crate::route_names::RouteNames::default().path_for(name, params),
        }
    }

    /// The URL the request was sent to, as Starlette's `str(request.url)`
    /// gives it: the scheme, the host it was sent to (a malformed `Host`
    /// gives way to the server's address), the whole path (a mount's
    /// prefix included) percent-decoded with `?`, `#` and `\\` escaped
    /// again, and the query as sent. E.g. for logging.
    ///
    /// Decoded as Starlette decodes it, the path may hold spaces and
    /// characters beyond ASCII (`/a%20b` is `/a b`): it is for people to
    /// read, not a URL to follow. For one, build it from
    /// [`uri`](Self::uri), or use [`url_for`](Self::url_for). It holds
    /// whatever the client percent-encoded, control characters included
    /// (`%0A` is a line break): log it escaped (`{:?}`, or as a `tracing`
    /// field), and never put it in a header.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Request};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().get("/items/{name}", |req: Request| async move {
    ///     format!("{} {}", req.url(), req.base_url())
    /// });
    /// let client = TestClient::new(app);
    /// let res = client.get("/items/caf%C3%A9%3F?page=2").header("host", "example.com:8080").await;
    /// assert_eq!(res.text(), "http://example.com:8080/items/café%3F?page=2 http://example.com:8080/");
    /// # }
    /// ```
    pub fn url(&self) -> String {
        let uri = match self.extensions().get::<OriginalUri>() {
            Some(OriginalUri(original)) => original,
            None => self.uri(),
        };
        let decoded = crate::url::decode_path(uri.path());
        let mut path = String::with_capacity(decoded.len());
        for c in decoded.chars() {
            match c {
                '?' => path.push_str("%3F"),
                '#' => path.push_str("%23"),
                '\\' => path.push_str("%5C"),
                c => path.push(c),
            }
        }
        match self.netloc() {
            Some(netloc) => {
                crate::url::absolute_url(self.scheme(), false, &netloc, &path, uri.query())
            }
            None => {
                // Without a host, a leading `//` would read as one.
                if let Some(rest) = path.strip_prefix("//") {
                    path = format!("/%2F{rest}");
                }
                let mut url = String::new();
                crate::url::push_path_and_query(&mut url, &path, uri.query());
                url
            }
        }
    }

    /// The app's root URL, as Starlette's `str(request.base_url)` gives
    /// it: the scheme and host of [`url`](Self::url), the app's
    /// [`root_path`](crate::App::root_path) if it has one, and `/` (the
    /// outermost app's root, also in a mounted app, as in Starlette).
    pub fn base_url(&self) -> String {
        let mut root = match self.extensions().get::<RootPath>() {
            Some(RootPath(root)) => crate::url::decode_path(root).into_owned(),
            None => String::new(),
        };
        root.push('/');
        match self.netloc() {
            Some(netloc) => crate::url::absolute_url(self.scheme(), false, &netloc, &root, None),
            None => root,
        }
    }

    /// The authority the request was sent to, as the URLs sluice builds
    /// name it (`None` for conflicting `Host` headers and no address).
    fn netloc(&self) -> Option<Cow<'_, str>> {
        crate::url::redirect_netloc(
            self.headers(),
            self.uri().authority(),
            self.inner.conn.local_addr,
            false,
        )
    }

    /// The path as the app's router routes it: after the app's
    /// [`root_path`](crate::App::root_path) when it starts with it, at a
    /// segment's end; `None` when it does not, or the app has none.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn path_after_root(&self) -> Option<&str> {
        let RootPath(root) = self.extensions().get::<RootPath>()?;
        crate::url::rest_after(self.path(), root).filter(|rest| rest.starts_with('/'))
    }

    /// What the URLs the app builds start with (Starlette's `root_path`):
    /// the app's root path, and the prefixes of the mounts the request
    /// came through, as sent; "" for neither.
    pub(crate) fn root_path(&self) -> Cow<'_, str> {
        let mounts = self.mount_prefix();
        let Some(RootPath(root)) = self.extensions().get::<RootPath>() else {
            return Cow::Borrowed(mounts);
        };
        // The request came with the root path (so it is in the mount
        // prefix), or a proxy took it off.
        match crate::url::rest_after(mounts, root) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                Cow::Owned(format!("{root}{rest}"))
            }
            _ => Cow::Owned(format!("{root}{mounts}")),
        }
    }

    /// The prefix a mount took off this request's path (as sent), or "".
    pub(crate) fn mount_prefix(&self) -> &str {
        let Some(OriginalUri(original)) = self.extensions().get::<OriginalUri>() else {
            return "";
        };
        original
            .path()
            .strip_suffix(self.uri().path())
            .map_or("", |prefix| prefix.trim_end_matches('/'))
    }

    /// This request's [`Locals`]: values shared by every middleware, the
    /// extractors and the handler of this request, FastAPI's
    /// `request.state`. Created on first use.
    ///
    /// A value put there further in is visible to a middleware after
    /// `next.run(req)` returns, as long as it took the locals before
    /// handing the request on:
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Next, Request, Response};
    ///
    /// #[derive(Clone)]
    /// struct User(&'static str);
    ///
    /// async fn log_user(req: Request, next: Next) -> Response {
    ///     let locals = req.locals().clone();
    ///     let mut response = next.run(req).await;
    ///     if let Some(User(name)) = locals.get::<User>() {
    ///         response.headers_mut().insert("x-user", name.parse().unwrap());
    ///     }
    ///     response
    /// }
    ///
    /// async fn handler(req: Request) -> &'static str {
    ///     req.locals().insert(User("alice"));
    ///     "hi"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().get("/", handler).middleware(log_user);
    /// let response = TestClient::new(app).get("/").await;
    /// assert_eq!(response.header("x-user"), Some("alice"));
    /// # }
    /// ```
    pub fn locals(&self) -> &Locals {
        self.inner.locals.get_or_init(Locals::new)
    }

    /// The locals, if anything created them.
    pub(crate) fn locals_if_any(&self) -> Option<&Locals> {
        self.inner.locals.get()
    }

    /// Uses `locals` as this request's locals (shared with another
    /// request value of the same request).
    pub(crate) fn set_locals(&mut self, locals: Locals) {
        self.inner.locals = OnceLock::from(locals);
    }

    /// This request's [`BackgroundTasks`], the same the handler gets: tasks
    /// a middleware adds run after the response has been sent, after the
    /// ones added before them (Starlette's `response.background`). Take
    /// them before calling `next` to add tasks on the way out.
    ///
    /// ```
    /// use sluice::{App, Next, Request, Response};
    ///
    /// async fn audit(req: Request, next: Next) -> Response {
    ///     let tasks = req.background_tasks();
    ///     let response = next.run(req).await;
    ///     let status = response.status();
    ///     tasks.add(async move {
    ///         // write the audit record, after the response has been sent
    ///         let _ = status;
    ///     });
    ///     response
    /// }
    ///
    /// let app = App::new().middleware(audit);
    /// ```
    pub fn background_tasks(&self) -> BackgroundTasks {
        BackgroundTasks::new(self.lifecycle().clone())
    }

    /// The request's lifecycle, created on first use.
    pub(crate) fn lifecycle(&self) -> &Arc<Lifecycle> {
        self.locals().lifecycle_or_init(|| {
            let app = self
                .inner
                .app
                .as_deref()
                .cloned()
                .unwrap_or_else(|| Arc::new(Shared::new(Extensions::new(), Vec::new())));
            Arc::new(Lifecycle::new(app))
        })
    }

    /// The path as the router matches it: percent-decoded, invalid UTF-8
    /// replaced (Starlette's `request.url.path`). Borrowed when there is
    /// nothing to decode. Use it to compare paths the way routing does.
    ///
    /// ```
    /// # let req = sluice::Request::from_http(sluice::http::Request::get("/a%20b/c%2Fd").body(sluice::Body::empty()).unwrap());
    /// assert_eq!(req.decoded_path(), "/a b/c/d");
    /// ```
    pub fn decoded_path(&self) -> Cow<'_, str> {
        crate::url::decode_path(self.path())
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

    /// The handle on the app the request came in by, if any.
    pub(crate) fn app_handle(&self) -> Option<&SharedHandle> {
        self.inner.app.as_ref()
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

    pub(crate) fn into_http_request(mut self) -> http::Request<Body> {
        self.inner.take_http()
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
/// through tower layers in one extension (one insertion, not several).
#[derive(Clone)]
struct Carried {
    conn: ConnectionInfo,
    route: Option<Arc<RouteMatch>>,
    body_limit: usize,
    app: Option<SharedHandle>,
    locals: Option<Locals>,
}

/// Values shared by every layer of one request: FastAPI's `request.state`.
///
/// One set per request, typed (one value per type, like
/// [`Extensions`]), cheap to clone (clones share the values). Middleware,
/// extractors and the handler see the same set; take a clone before
/// calling `next` to read, after it returns, what was put there further
/// in. See [`Request::locals`].
///
/// It also records the route the router matched, for middleware that run
/// before routing: [`Locals::route`].
#[derive(Clone)]
pub struct Locals {
    inner: Arc<LocalsInner>,
}

struct LocalsInner {
    values: Mutex<LocalValues>,
    lifecycle: OnceLock<Arc<Lifecycle>>,
    head: Option<RequestHead>,
}

#[derive(Default)]
struct LocalValues {
    map: Extensions,
    route: Option<Arc<RouteMatch>>,
}

impl Locals {
    fn new() -> Self {
        Locals::with_head(None)
    }

    pub(crate) fn with_head(head: Option<RequestHead>) -> Self {
        Locals {
            inner: Arc::new(LocalsInner {
                values: Mutex::new(LocalValues::default()),
                lifecycle: OnceLock::new(),
                head,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, LocalValues> {
        // No code that can panic runs under this lock (user closures run
        // on a value taken out of it), so a poisoned lock is consistent.
        self.inner
            .values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Puts a value in, returning the one of the same type it replaces.
    pub fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.lock().map.insert(value)
    }

    /// A copy of the value of type `T`, if there is one.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.lock().map.get::<T>().cloned()
    }

    /// Whether there is a value of type `T`.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.lock().map.get::<T>().is_some()
    }

    /// Takes the value of type `T` out.
    pub fn remove<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.lock().map.remove::<T>()
    }

    /// Changes the value of type `T` in place with `f`, inserting
    /// `T::default()` first when there is none, and returns what `f`
    /// returns.
    ///
    /// ```
    /// # #[derive(Clone, Default)] struct Trail(Vec<&'static str>);
    /// # let req = sluice::Request::from_http(sluice::http::Request::new(sluice::Body::empty()));
    /// req.locals().update(|trail: &mut Trail| trail.0.push("auth"));
    /// req.locals().update(|trail: &mut Trail| trail.0.push("handler"));
    /// assert_eq!(req.locals().get::<Trail>().unwrap().0, ["auth", "handler"]);
    /// ```
    pub fn update<T, R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Clone + Default + Send + Sync + 'static,
    {
        // `f` runs outside the lock, so it may use the locals itself.
        let mut value = self.remove::<T>().unwrap_or_default();
        let out = f(&mut value);
        self.insert(value);
        out
    }

    /// The route the router matched for this request (its template, e.g.
    /// `/items/{item_id}`, and parameters), once routing has happened;
    /// `None` before, and when no route matched (a 404). A middleware that
    /// runs before routing reads it after `next.run` returns:
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Next, Request, Response};
    ///
    /// async fn route_header(req: Request, next: Next) -> Response {
    ///     let locals = req.locals().clone();
    ///     let mut response = next.run(req).await;
    ///     let route = locals.route().map_or("none".to_owned(), |r| r.template().to_owned());
    ///     response.headers_mut().insert("x-route", route.parse().unwrap());
    ///     response
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/items/{item_id}", || async { "item" })
    ///     .middleware(route_header);
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/items/7").await.header("x-route"), Some("/items/{item_id}"));
    /// assert_eq!(client.get("/nope").await.header("x-route"), Some("none"));
    /// # }
    /// ```
    pub fn route(&self) -> Option<Arc<RouteMatch>> {
        self.lock().route.clone()
    }

    pub(crate) fn set_route(&self, route: Arc<RouteMatch>) {
        self.lock().route = Some(route);
    }

    pub(crate) fn lifecycle(&self) -> Option<&Arc<Lifecycle>> {
        self.inner.lifecycle.get()
    }

    fn lifecycle_or_init(&self, make: impl FnOnce() -> Arc<Lifecycle>) -> &Arc<Lifecycle> {
        self.inner.lifecycle.get_or_init(make)
    }

    /// The copy of the request head taken for exception handlers.
    pub(crate) fn head(&self) -> Option<&RequestHead> {
        self.inner.head.as_ref()
    }
}

impl fmt::Debug for Locals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.lock();
        f.debug_struct("Locals")
            .field("values", &values.map.len())
            .field("route", &values.route)
            .finish_non_exhaustive()
    }
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
