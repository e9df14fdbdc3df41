//! [`TestClient`]: drives an app in process, with no socket, like FastAPI's
//! `TestClient`.
//!
//! Every request runs through the whole stack: middleware, routing,
//! extractors, the handler, and then the background tasks and dependency
//! cleanups, which have all finished when the response is returned.
//!
//! ```
//! use sluice::testing::TestClient;
//! use sluice::{App, Json};
//! use serde_json::{json, Value};
//!
//! async fn root() -> Json<Value> { Json(json!({"Hello": "World"})) }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().get("/", root));
//! let response = client.get("/").await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.json::<Value>(), json!({"Hello": "World"}));
//! # }
//! ```
//!
//! As Starlette's `TestClient` does by default (`raise_server_exceptions`),
//! a request during which the app failed (a panic, or an error nothing
//! handled, in a handler, a middleware, a background task or a dependency
//! cleanup, or a response body stream that failed) panics with that
//! failure, so the test fails with it. A test that checks the 500 response,
//! or what a client received before the body broke off, turns this off
//! with [`TestClient::raise_server_exceptions`].
//!
//! Requests carry `host: testserver` and `user-agent: testclient` unless
//! they set their own, and come from `127.0.0.1:50000` over `http` (see
//! [`TestClient::base_url`], [`TestClient::header`] and
//! [`TestClient::client_addr`]). As with Starlette's, the client keeps the
//! cookies responses set and sends them with later requests
//! ([`TestClient::keep_cookies`]). The response is what the server would
//! send: for HEAD no body, and a `content-length` when the body's size is
//! known.
//!
//! Where sluice's client differs from Starlette's, it is on purpose and
//! switchable:
//!
//! | | Starlette 1.10 (httpx) | sluice |
//! |---|---|---|
//! | redirects | followed (`follow_redirects=True`; plain httpx: not followed) | returned as they are, [`TestClient::follow_redirects`] to follow |
//! | `accept-encoding` | `gzip, deflate` (and `br`, `zstd` when installed) sent on every request | sent only when the test sets it |
//! | compressed bodies | always decoded | as sent, [`TestClient::decompress`] to decode |
//! | a redirect to another host | sent to the app like any other | not followed |
//!
//! A test that checks a redirect or a compressed body sees it by default,
//! with nothing to turn off; a test ported from Starlette that relies on
//! its defaults turns them on once, on the client.

mod cookies;
mod decode;
mod redirect;
mod websocket;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::FutureExt as _;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST,
    TRANSFER_ENCODING, USER_AGENT,
};
use http::{Extensions, Method, StatusCode, Uri, Version};
use http_body::Body as _;
use http_body_util::BodyExt as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::app::{App, AppService};
use crate::body::Body;
use crate::error::{ConfigError, Error, Panic};
use crate::request::ConnectionInfo;
use cookies::Jar;
use decode::decode;
use redirect::{redirect, split_port, too_many_redirects, Hop, Url};

pub use websocket::{TestWebSocket, WebSocketRequest};

/// How many redirects a request follows by default before the client gives
/// up, as httpx (`DEFAULT_MAX_REDIRECTS`).
const DEFAULT_MAX_REDIRECTS: usize = 20;

/// An in-process client for an [`App`].
#[derive(Clone)]
pub struct TestClient {
    app: AppService,
    scheme: String,
    host: String,
    /// The path of the base URL, without its last `/`; empty for none.
    prefix: String,
    conn: ConnectionInfo,
    /// Sent with every request that does not set them itself.
    headers: HeaderMap,
    /// `None` when the client keeps no cookies.
    jar: Option<Jar>,
    raise_server_exceptions: bool,
    follow_redirects: bool,
    max_redirects: usize,
    decompress: bool,
}

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("prefix", &self.prefix)
            .field("conn", &self.conn)
            .field("headers", &self.headers)
            .field("keep_cookies", &self.jar.is_some())
            .field("raise_server_exceptions", &self.raise_server_exceptions)
            .field("follow_redirects", &self.follow_redirects)
            .field("max_redirects", &self.max_redirects)
            .field("decompress", &self.decompress)
            .finish_non_exhaustive()
    }
}

impl TestClient {
    /// Builds the app and wraps it.
    ///
    /// # Panics
    ///
    /// When the app's configuration is invalid; use
    /// [`TestClient::try_new`] to test for that.
    #[track_caller]
    pub fn new(app: App) -> Self {
        match TestClient::try_new(app) {
            Ok(client) => client,
            Err(e) => panic!("the app cannot be built: {e}"),
        }
    }

    /// Builds the app and wraps it, returning the configuration error if
    /// there is one.
    ///
    /// # Errors
    ///
    /// The app's [`ConfigError`].
    pub fn try_new(app: App) -> Result<Self, ConfigError> {
        Ok(TestClient::from_service(app.build()?))
    }

    /// Wraps an already built app.
    pub fn from_service(app: AppService) -> Self {
        app.shared().collect_failures();
        TestClient {
            raise_server_exceptions: true,
            follow_redirects: false,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            decompress: false,
            app,
            scheme: "http".to_owned(),
            host: "testserver".to_owned(),
            prefix: String::new(),
            headers: HeaderMap::from_iter([(USER_AGENT, HeaderValue::from_static("testclient"))]),
            jar: Some(Jar::default()),
            conn: ConnectionInfo {
                remote_addr: Some(SocketAddr::from(([127, 0, 0, 1], 50000))),
                local_addr: Some(SocketAddr::from(([127, 0, 0, 1], 80))),
                secure: false,
            },
        }
    }

    /// Sends requests as if to `url` (`http://testserver` by default), as
    /// httpx's `base_url`: the scheme decides whether the connection counts
    /// as secure, the host and port are the default `host` header, and a
    /// path goes before the path of every request.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Request};
    ///
    /// async fn whoami(req: Request) -> String {
    ///     format!("{} {} {}", req.scheme(), req.header("host").unwrap_or("-"), req.uri())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().get("/api/items", whoami))
    ///     .base_url("https://example.com:8443/api/");
    /// let response = client.get("/items?page=2").await;
    /// assert_eq!(response.text(), "https example.com:8443 /api/items?page=2");
    /// assert_eq!(response.url(), "https://example.com:8443/api/items?page=2");
    /// # }
    /// ```
    ///
    /// A request for an absolute URL (`client.get("http://other.test/x")`)
    /// is sent in absolute form, as to a proxy: that target as it is,
    /// without the base path, and by default that URL's `host`.
    ///
    /// # Panics
    ///
    /// When `url` is not an `http` or `https` URL with a host.
    #[must_use]
    #[track_caller]
    pub fn base_url(mut self, url: &str) -> Self {
        let parsed = match url::Url::parse(url) {
            Ok(parsed) if parsed.has_host() && matches!(parsed.scheme(), "http" | "https") => {
                parsed
            }
            _ => panic!(
                "base_url needs an http or https URL with a host, \
                 like \"https://example.com\": {url:?}"
            ),
        };
        let host = parsed.host_str().unwrap_or_default();
        self.host = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        self.scheme = parsed.scheme().to_owned();
        self.prefix = parsed.path().trim_end_matches('/').to_owned();
        self.conn = connection_to(self.conn, &self.scheme, &self.host);
        self
    }

    /// Sends a header with every request that does not set one of that
    /// name itself, as httpx's client `headers`; a second call with the
    /// same name replaces the value.
    ///
    /// As Starlette's `TestClient`, the client sends `user-agent:
    /// testclient` unless told otherwise.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Request};
    ///
    /// async fn token(req: Request) -> String {
    ///     format!("{} {}", req.header("x-token").unwrap_or("-"), req.header("user-agent").unwrap_or("-"))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().get("/", token)).header("x-token", "secret");
    /// assert_eq!(client.get("/").await.text(), "secret testclient");
    /// let response = client.get("/").header("x-token", "other").await;
    /// assert_eq!(response.text(), "other testclient");
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When the name or value is invalid.
    #[must_use]
    #[track_caller]
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Debug,
    {
        let (name, value) = crate::headers::header_pair(name, value);
        self.headers.insert(name, value);
        self
    }

    /// Sends no header called `name` unless a request sets it (e.g.
    /// `user-agent`, which the client sends by default).
    #[must_use]
    pub fn without_header(mut self, name: impl AsRef<str>) -> Self {
        self.headers.remove(name.as_ref());
        self
    }

    /// Whether the client keeps the cookies responses set and sends them
    /// with later requests (`true` by default, as Starlette's `TestClient`
    /// and httpx's client). A clone of the client shares its cookies.
    ///
    /// Cookies are kept and sent by the rules browsers follow (RFC 6265):
    /// by host and path, until they expire (`Max-Age`, `Expires`), and
    /// those marked `Secure` only over `https` (or to `localhost`). A
    /// request that sets its own `cookie` header is sent with that one
    /// alone; on a redirect the jar decides again, as in httpx. With
    /// `false`, a request carries the cookies it sets and no others.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, IntoResponse, Request};
    ///
    /// async fn login() -> impl IntoResponse {
    ///     ([("set-cookie", "user=alice; Path=/; HttpOnly")], "welcome")
    /// }
    /// async fn me(req: Request) -> String {
    ///     req.header("cookie").unwrap_or("nobody").to_owned()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().post("/login", login).get("/me", me);
    /// let client = TestClient::new(app);
    /// client.post("/login").await;
    /// assert_eq!(client.get("/me").await.text(), "user=alice");
    /// assert_eq!(client.cookie("user").as_deref(), Some("alice"));
    ///
    /// client.clear_cookies();
    /// assert_eq!(client.get("/me").await.text(), "nobody");
    /// # }
    /// ```
    #[must_use]
    pub fn keep_cookies(mut self, keep: bool) -> Self {
        self.jar = match (keep, self.jar) {
            (true, Some(jar)) => Some(jar),
            (true, None) => Some(Jar::default()),
            (false, _) => None,
        };
        self
    }

    /// The value of the cookie called `name` that the client keeps, as
    /// httpx's `client.cookies.get(name)`; `None` when it has none, or
    /// keeps no cookies.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.as_ref().and_then(|jar| jar.get(name))
    }

    /// Puts a cookie in the client's jar, as if the base URL's host had set
    /// it with `Path=/` (httpx's `client.cookies.set(name, value)`): it is
    /// sent with every request to that host that does not set its own
    /// `cookie` header.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Request};
    ///
    /// async fn me(req: Request) -> String {
    ///     req.header("cookie").unwrap_or("nobody").to_owned()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().get("/me", me));
    /// client.set_cookie("session", "abc");
    /// client.set_cookie("theme", "dark");
    /// assert_eq!(client.get("/me").await.text(), "session=abc; theme=dark");
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// When the client keeps no cookies ([`TestClient::keep_cookies`]), or
    /// `name` or `value` cannot be sent in a `cookie` header.
    #[track_caller]
    pub fn set_cookie(&self, name: &str, value: &str) {
        let Some(jar) = &self.jar else {
            panic!(
                "set_cookie on a client that keeps no cookies (TestClient::keep_cookies(false))"
            );
        };
        let url = match url::Url::parse(&format!("{}://{}/", self.scheme, self.host)) {
            Ok(url) => url,
            Err(e) => panic!("the client's base URL is not a URL: {e}"),
        };
        if let Err(e) = jar.set(name, value, &url) {
            panic!("cannot set the cookie {name}: {e}");
        }
    }

    /// Forgets every cookie the client keeps.
    pub fn clear_cookies(&self) {
        if let Some(jar) = &self.jar {
            jar.clear();
        }
    }

    /// Runs the app's [`App::on_shutdown`] hooks, as leaving Starlette's
    /// `with TestClient(app):` block runs its lifespan's shutdown; a second
    /// call runs none.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let closed = Arc::new(AtomicBool::new(false));
    /// let done = closed.clone();
    /// let app = App::new()
    ///     .get("/", || async { "ok" })
    ///     .on_shutdown(move || async move { done.store(true, Ordering::SeqCst) });
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/").await.text(), "ok");
    /// assert!(!closed.load(Ordering::SeqCst));
    /// client.shutdown().await;
    /// assert!(closed.load(Ordering::SeqCst));
    /// # }
    /// ```
    pub async fn shutdown(&self) {
        self.app.shutdown().await;
    }

    /// Whether a request during which the app failed panics with the
    /// failure (`true`, the default, as Starlette's `TestClient`), or
    /// returns the response the client would get (usually a 500), so that
    /// the test can check it.
    ///
    /// A response body stream that fails half-way is such a failure: with
    /// `false`, the response holds what was received before it, and
    /// [`TestResponse::body_error`] says why it stopped.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// async fn boom() -> sluice::Result<&'static str> {
    ///     Err(sluice::Error::msg("database is gone"))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().get("/", boom)).raise_server_exceptions(false);
    /// let response = client.get("/").await;
    /// assert_eq!(response.status(), 500);
    /// assert_eq!(response.text(), r#"{"detail":"Internal Server Error"}"#);
    /// # }
    /// ```
    #[must_use]
    pub fn raise_server_exceptions(mut self, raise: bool) -> Self {
        self.raise_server_exceptions = raise;
        self
    }

    /// Whether requests follow redirects (`false` by default; see
    /// [`RequestBuilder::follow_redirects`] for one request).
    ///
    /// Starlette's `TestClient` follows them by default
    /// (`follow_redirects=True`), plain httpx does not; sluice's does not,
    /// so that a test of a redirect sees it. A test ported from Starlette
    /// that relies on its default turns this on.
    ///
    /// A response with status 301, 302, 303, 307 or 308 and a `location`
    /// is followed as httpx follows it:
    ///
    /// - 303, and 302 (what browsers do), turn any method but HEAD into
    ///   a GET; 301 turns a POST into a GET. A request turned into a GET
    ///   loses its body and the headers that describe it (`content-type`,
    ///   `content-length`, `content-encoding`, `content-language`,
    ///   `content-location`, `transfer-encoding`), as in browsers.
    /// - 307 and 308, and 301/302 where the method stays, send the same
    ///   method and body again. A body that is a stream cannot be sent
    ///   twice: send bytes to follow such a redirect.
    /// - The `location` may be relative (`/items/`, `../list`, `?page=2`):
    ///   it is resolved against the URL of the request it answers
    ///   ([RFC 3986 §5](https://www.rfc-editor.org/rfc/rfc3986#section-5.2)).
    ///   An absolute `location` is followed when its host name is the
    ///   request's (its scheme and port may change: `HttpsRedirect`'s
    ///   redirect to `https://testserver/` is followed, over a connection
    ///   that counts as secure). A `location` on another host is left
    ///   alone: that response is the one returned, and the test can check
    ///   where it points. (httpx sends such a request to the test app as
    ///   well, where it usually meets a 404.)
    /// - Other headers are sent again, as they were, but for `cookie`:
    ///   the client's jar ([`TestClient::keep_cookies`]) decides it anew
    ///   for each request, so a `set-cookie` on a redirect is sent on, as
    ///   in httpx. When the origin changes, `host` becomes the new one and
    ///   `authorization` is dropped, unless the change is from `http` to
    ///   `https` on the default ports, as httpx does.
    ///
    /// The response returned is the last one;
    /// [`TestResponse::history`] holds the redirects on the way, oldest
    /// first. After [`TestClient::max_redirects`] redirects (20) the
    /// request panics, showing the chain.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Redirect};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/old", || async { Redirect::permanent("/new") })
    ///     .get("/new", || async { "new" });
    ///
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/old").await.status(), 308);
    ///
    /// let client = client.follow_redirects(true);
    /// let response = client.get("/old").await;
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.text(), "new");
    /// assert_eq!(response.url(), "http://testserver/new");
    /// assert_eq!(response.history()[0].status(), 308);
    /// assert_eq!(response.history()[0].header("location"), Some("/new"));
    /// # }
    /// ```
    #[must_use]
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow_redirects = follow;
        self
    }

    /// How many redirects one request may follow (20 by default, as
    /// httpx).
    ///
    /// # Panics
    ///
    /// A request redirected once more fails the test, with the chain it
    /// went through; a chain that came back to a URL it had visited is
    /// called a loop:
    ///
    /// ```text
    /// too many redirects: GET http://testserver/a was redirected more than 1 times (TestClient::max_redirects):
    ///   GET http://testserver/a -> 307 /b
    ///   GET http://testserver/b -> 307 /a
    /// (a loop: GET http://testserver/a was requested before)
    /// ```
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Redirect};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/a", || async { Redirect::to("/b") })
    ///     .get("/b", || async { Redirect::to("/c") })
    ///     .get("/c", || async { "c" });
    /// let client = TestClient::new(app).follow_redirects(true).max_redirects(2);
    /// assert_eq!(client.get("/a").await.text(), "c");
    /// # }
    /// ```
    #[must_use]
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// Whether bodies sent with a `content-encoding` of `gzip`, `deflate`,
    /// `br` or `zstd` are decoded before the test reads them (`false` by
    /// default; see [`RequestBuilder::decompress`] for one request).
    ///
    /// Off by default because this client, unlike httpx, sends no
    /// `accept-encoding` of its own: an app compresses only when a test
    /// asks it to, and such a test usually checks the bytes as sent. A test
    /// ported from Starlette, whose client always decodes, turns this on.
    ///
    /// The headers stay as the server sent them: `content-encoding` still
    /// names the coding and `content-length` is the length of the encoded
    /// body, as with httpx. Codings applied one after another
    /// (`gzip, br`) are undone in reverse order; `identity` is skipped.
    /// `br` and `zstd` need sluice's `br` and `zstd` features (on by
    /// default). A body that failed half-way
    /// ([`TestResponse::body_error`]) is left as received.
    ///
    /// # Panics
    ///
    /// The request panics when the body does not decode, or its coding is
    /// one this client cannot undo (httpx hands such a body over as it
    /// is; a test that asked for the decoded body would only fail later,
    /// on bytes it did not expect).
    ///
    /// ```
    /// use sluice::middleware::GZip;
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/", || async { "x".repeat(1000) })
    ///     .add_middleware(GZip::new());
    /// let client = TestClient::new(app).decompress(true);
    /// let response = client.get("/").header("accept-encoding", "gzip").await;
    /// assert_eq!(response.header("content-encoding"), Some("gzip"));
    /// assert_eq!(response.text(), "x".repeat(1000));
    /// # }
    /// ```
    #[must_use]
    pub fn decompress(mut self, decompress: bool) -> Self {
        self.decompress = decompress;
        self
    }

    /// Sends requests as if from `addr`.
    #[must_use]
    pub fn client_addr(mut self, addr: SocketAddr) -> Self {
        self.conn.remote_addr = Some(addr);
        self
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder {
            client: self.clone(),
            method,
            path: path.to_owned(),
            version: Version::HTTP_11,
            headers: HeaderMap::new(),
            body: Ok(Body::empty()),
            no_host: false,
            follow_redirects: self.follow_redirects,
            decompress: self.decompress,
        }
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// A HEAD request.
    pub fn head(&self, path: &str) -> RequestBuilder {
        self.request(Method::HEAD, path)
    }

    /// A POST request.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// A PUT request.
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// A PATCH request.
    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// A DELETE request.
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// An OPTIONS request.
    pub fn options(&self, path: &str) -> RequestBuilder {
        self.request(Method::OPTIONS, path)
    }
}

/// The connection a request to `scheme://authority` arrives on: secure for
/// `https`, on the authority's port or the scheme's default.
fn connection_to(mut conn: ConnectionInfo, scheme: &str, authority: &str) -> ConnectionInfo {
    conn.secure = scheme.eq_ignore_ascii_case("https");
    let port = match split_port(authority).1 {
        Some(port) => port.parse().unwrap_or(80),
        None if conn.secure => 443,
        None => 80,
    };
    conn.local_addr = Some(SocketAddr::from(([127, 0, 0, 1], port)));
    conn
}

/// A request being built; `.await` it to send it.
#[must_use = "a request is sent when it is awaited"]
pub struct RequestBuilder {
    client: TestClient,
    method: Method,
    path: String,
    version: Version,
    headers: HeaderMap,
    body: Result<Body, String>,
    no_host: bool,
    follow_redirects: bool,
    decompress: bool,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("follow_redirects", &self.follow_redirects)
            .field("decompress", &self.decompress)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    /// Appends a header (several calls with one name send several lines).
    ///
    /// # Panics
    ///
    /// When the name or value is invalid; use
    /// [`RequestBuilder::raw_header`] for bytes that are not text.
    #[track_caller]
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Debug,
    {
        let (name, value) = crate::headers::header_pair(name, value);
        self.headers.append(name, value);
        self
    }

    /// Appends a header whose value is arbitrary bytes (for testing how the
    /// app copes with values that are not text).
    ///
    /// # Panics
    ///
    /// When the bytes contain CR, LF or NUL, which cannot be sent at all.
    #[track_caller]
    pub fn raw_header(mut self, name: &'static str, value: &[u8]) -> Self {
        let value = HeaderValue::from_bytes(value).expect("no CR, LF or NUL in a header value");
        self.headers.append(HeaderName::from_static(name), value);
        self
    }

    /// Sends no `host` header at all.
    pub fn without_host(mut self) -> Self {
        self.no_host = true;
        self
    }

    /// Uses HTTP/2 (as the server would see a request over h2).
    pub fn http2(mut self) -> Self {
        self.version = Version::HTTP_2;
        self
    }

    /// The body, sent as is.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = Ok(body.into());
        self
    }

    /// A JSON body, with `content-type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = serde_json::to_vec(value)
            .map(Body::from)
            .map_err(|e| e.to_string());
        if !self.headers.contains_key(CONTENT_TYPE) {
            self.headers
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        self
    }

    /// A text body, with `content-type: text/plain; charset=utf-8`.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.body = Ok(Body::from(text.into()));
        if !self.headers.contains_key(CONTENT_TYPE) {
            self.headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
        }
        self
    }

    /// Whether this request follows redirects, whatever the client's
    /// [`TestClient::follow_redirects`] says (httpx's per-request
    /// `follow_redirects`). The rules are the client's.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Json, Redirect};
    /// use serde_json::{json, Value};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .post("/items", || async { Redirect::see_other("/items/1") })
    ///     .get("/items/{id}", || async { Json(json!({"id": 1})) });
    /// let client = TestClient::new(app);
    /// let response = client
    ///     .post("/items")
    ///     .json(&json!({"name": "x"}))
    ///     .follow_redirects(true)
    ///     .await;
    /// // 303 See Other: followed with a GET, without the body.
    /// assert_eq!(response.method(), "GET");
    /// assert_eq!(response.json::<Value>(), json!({"id": 1}));
    /// assert_eq!(response.history()[0].method(), "POST");
    /// assert_eq!(response.history()[0].status(), 303);
    /// # }
    /// ```
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow_redirects = follow;
        self
    }

    /// Whether this response's body is decoded by its `content-encoding`,
    /// whatever the client's [`TestClient::decompress`] says.
    ///
    /// # Panics
    ///
    /// The request panics when the body does not decode, or its coding is
    /// one this client cannot undo.
    ///
    /// ```
    /// use sluice::middleware::GZip;
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/", || async { "x".repeat(1000) })
    ///     .add_middleware(GZip::new());
    /// let client = TestClient::new(app);
    /// let response = client.get("/").header("accept-encoding", "gzip").await;
    /// assert_eq!(response.header("content-encoding"), Some("gzip"));
    /// assert!(response.bytes().len() < 1000);
    ///
    /// let response = client
    ///     .get("/")
    ///     .header("accept-encoding", "gzip")
    ///     .decompress(true)
    ///     .await;
    /// assert_eq!(response.header("content-encoding"), Some("gzip"));
    /// assert_eq!(response.text(), "x".repeat(1000));
    /// # }
    /// ```
    pub fn decompress(mut self, decompress: bool) -> Self {
        self.decompress = decompress;
        self
    }

    async fn send(self) -> TestResponse {
        let RequestBuilder {
            client,
            method,
            path,
            version,
            headers,
            body,
            no_host,
            follow_redirects,
            decompress,
        } = self;
        let body = match body {
            Ok(body) => body,
            Err(e) => panic!("the request body could not be serialised: {e}"),
        };
        let mut headers = headers;
        for name in client.headers.keys() {
            if !headers.contains_key(name) {
                for value in client.headers.get_all(name) {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        let path = if client.prefix.is_empty() || path.contains("://") {
            path
        } else {
            format!("{}/{}", client.prefix, path.trim_start_matches('/'))
        };
        let uri: Uri = match path.parse() {
            Ok(uri) => uri,
            Err(e) => panic!("invalid request path {path:?}: {e}"),
        };
        // Kept so that a 307/308 can send the body again; a stream cannot.
        let replay = if follow_redirects {
            body.as_bytes().cloned()
        } else {
            None
        };
        let url = Url::of_request(&client, &uri, &headers, no_host);
        let mut hop = Hop {
            method,
            uri,
            url,
            headers,
            body,
            no_host,
            conn: client.conn,
        };
        let mut history = Vec::new();
        loop {
            let prior = hop.clone_without_body();
            let mut response = client.exchange(hop, version, decompress).await;
            let next = if follow_redirects {
                redirect(&prior, &response, replay.as_ref())
            } else {
                None
            };
            let Some(next) = next else {
                response.history = history;
                return response;
            };
            history.push(response);
            if history.len() > client.max_redirects {
                panic!(
                    "{}",
                    too_many_redirects(&history, client.max_redirects, &next)
                );
            }
            hop = next;
            if client.jar.is_some() {
                // The jar decides which cookies go on, as in httpx.
                hop.headers.remove(COOKIE);
            }
        }
    }
}

impl IntoFuture for RequestBuilder {
    type Output = TestResponse;
    type IntoFuture = Pin<Box<dyn Future<Output = TestResponse> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl TestClient {
    /// Puts the jar's cookies for `url` on a request that sets no `cookie`
    /// of its own; returns the URL the jar knows the request by, for
    /// [`TestClient::keep_cookies_from`] (`None` when it keeps no cookies).
    fn send_cookies(&self, url: &str, headers: &mut HeaderMap) -> Option<url::Url> {
        let jar = self.jar.as_ref()?;
        let jar_url = url::Url::parse(url).ok()?;
        if !headers.contains_key(COOKIE) {
            if let Some(cookie) = jar.header_for(&jar_url) {
                headers.insert(COOKIE, cookie);
            }
        }
        Some(jar_url)
    }

    /// Keeps the cookies a response to the request at `jar_url` sets.
    fn keep_cookies_from(&self, headers: &HeaderMap, jar_url: Option<&url::Url>) {
        if let (Some(jar), Some(jar_url)) = (&self.jar, jar_url) {
            jar.store(headers, jar_url);
        }
    }

    /// Sends one request and reads its whole response; waits for the
    /// background tasks and cleanups it started.
    async fn exchange(&self, hop: Hop, version: Version, decompress: bool) -> TestResponse {
        let Hop {
            method,
            uri,
            url,
            mut headers,
            body,
            no_host,
            conn,
        } = hop;
        // The URL's authority: the base URL's, or an absolute-form
        // target's, as a client must send (RFC 9112 §3.2.2).
        if !no_host && !headers.contains_key(HOST) {
            if let Ok(host) = HeaderValue::from_str(url.authority()) {
                headers.insert(HOST, host);
            }
        }
        if !headers.contains_key(CONTENT_LENGTH) && !headers.contains_key(TRANSFER_ENCODING) {
            if let Some(len) = body.size_hint().exact() {
                if len > 0 || matches!(method, Method::POST | Method::PUT | Method::PATCH) {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
                }
            }
        }
        let jar_url = self.send_cookies(&url.to_string(), &mut headers);
        let mut request = http::Request::new(body);
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        *request.version_mut() = version;
        *request.headers_mut() = headers;
        let app = &self.app;
        let request = app.request_from_body(request, conn);
        let response = app.handle(request).await;
        let (mut parts, body) = response.into_parts();
        self.keep_cookies_from(&parts.headers, jar_url.as_ref());
        let known_len = body.size_hint().exact();
        let (bytes, body_error) = read_body(body).await;
        // The body is gone: background tasks and cleanups start now. Wait
        // for them, as FastAPI's TestClient does.
        app.shared().drain_background().await;
        let failures = app.shared().take_failures();
        if self.raise_server_exceptions {
            if let Some(failure) = failures.first() {
                panic!(
                    "the app failed while handling {method} {url}: {failure}\n\
                     (to check the response the client gets instead, use \
                     TestClient::raise_server_exceptions(false))",
                );
            }
            if let Some(error) = &body_error {
                panic!(
                    "the response body of {method} {url} failed after {} bytes: {error}\n\
                     (to check what the client received instead, use \
                     TestClient::raise_server_exceptions(false))",
                    bytes.len(),
                );
            }
        }
        let bodyless = method == Method::HEAD
            || parts.status.is_informational()
            || parts.status == StatusCode::NO_CONTENT
            || parts.status == StatusCode::NOT_MODIFIED;
        if !parts.headers.contains_key(CONTENT_LENGTH)
            && !parts.headers.contains_key(TRANSFER_ENCODING)
            && parts.status != StatusCode::NO_CONTENT
            && parts.status != StatusCode::NOT_MODIFIED
            && !parts.status.is_informational()
        {
            if let Some(len) = known_len {
                parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
        }
        let body = if bodyless {
            Bytes::new()
        } else if decompress && body_error.is_none() {
            match decode(&parts.headers, bytes) {
                Ok(decoded) => decoded,
                Err(e) => panic!("cannot decompress the response to {method} {url}: {e}"),
            }
        } else {
            bytes
        };
        TestResponse {
            method,
            url: url.to_string(),
            status: parts.status,
            headers: parts.headers,
            extensions: parts.extensions,
            body,
            body_error,
            history: Vec::new(),
        }
    }
}

/// Reads a response body to its end or to its first error, which a stream
/// may also raise by panicking.
async fn read_body(mut body: Body) -> (Bytes, Option<Error>) {
    let mut chunks: Vec<Bytes> = Vec::new();
    let error = loop {
        match AssertUnwindSafe(body.frame()).catch_unwind().await {
            Ok(None) => break None,
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    chunks.push(data);
                }
            }
            Ok(Some(Err(e))) => break Some(Error::from_boxed(e)),
            Err(payload) => break Some(Error::new(Panic::from_payload(&*payload))),
        }
    };
    let bytes = if chunks.len() == 1 {
        chunks.swap_remove(0)
    } else {
        Bytes::from(chunks.concat())
    };
    (bytes, error)
}

/// A response received by the [`TestClient`], with its whole body.
pub struct TestResponse {
    method: Method,
    url: String,
    status: StatusCode,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
    body_error: Option<Error>,
    history: Vec<TestResponse>,
}

impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TestResponse");
        debug
            .field("method", &self.method)
            .field("url", &self.url)
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body));
        if let Some(error) = &self.body_error {
            debug.field("body_error", error);
        }
        if !self.history.is_empty() {
            debug.field("history", &self.history);
        }
        debug.finish()
    }
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of a header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header, as text.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The body: as sent, or decoded when the request asked for it
    /// ([`TestClient::decompress`]); what arrived before the failure when
    /// the body failed ([`TestResponse::body_error`]).
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// When the body is not JSON of that shape.
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(&self.body) {
            Ok(value) => value,
            Err(e) => panic!("the body is not the JSON expected ({e}): {:?}", self.text()),
        }
    }

    /// The error the response was made from, if any (see
    /// [`ResponseExt::error`](crate::ResponseExt::error)).
    pub fn error(&self) -> Option<&Error> {
        self.extensions.get::<Error>()
    }

    /// Why the body stopped before its end: the error its stream failed
    /// with, or a [`Panic`] when polling it panicked. `None` for a body
    /// that arrived whole.
    ///
    /// A server sends the status and headers first, so a stream that fails
    /// half-way leaves the client with a cut-off body (the server then
    /// closes the connection). This is how a test sees that, once it has
    /// turned off [`TestClient::raise_server_exceptions`]; with it on (the
    /// default), as with Starlette's, the failure fails the test.
    ///
    /// ```
    /// use futures::stream;
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Body};
    ///
    /// async fn feed() -> Body {
    ///     Body::from_stream(stream::iter([
    ///         Ok("first line\n"),
    ///         Err(std::io::Error::other("the feed went away")),
    ///     ]))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().get("/", feed)).raise_server_exceptions(false);
    /// let response = client.get("/").await;
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.text(), "first line\n");
    /// let error = response.body_error().expect("the body failed");
    /// assert_eq!(error.to_string(), "the feed went away");
    /// assert!(error.is::<std::io::Error>());
    /// # }
    /// ```
    pub fn body_error(&self) -> Option<&Error> {
        self.body_error.as_ref()
    }

    /// The method of the request this response answers (after a redirect
    /// turned it into a GET, `GET`).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The absolute URL of the request this response answers, e.g.
    /// `http://testserver/items/1` (httpx's `response.url`): after
    /// redirects were followed, the last one.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().get("/items/", || async { "" }))
    ///     .base_url("https://example.com")
    ///     .follow_redirects(true);
    /// // The router redirects `/items` to `/items/`.
    /// let response = client.get("/items?page=2").await;
    /// assert_eq!(response.url(), "https://example.com/items/?page=2");
    /// assert_eq!(response.history()[0].url(), "https://example.com/items?page=2");
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redirects followed to reach this response, oldest first (httpx's
    /// `response.history`): each with its status, `location`, URL and
    /// body. Empty when the request was not redirected, or redirects were
    /// not followed.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Redirect};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/a", || async { Redirect::to("/b") })
    ///     .get("/b", || async { Redirect::permanent("/c") })
    ///     .get("/c", || async { "c" });
    /// let response = TestClient::new(app).follow_redirects(true).get("/a").await;
    /// let chain: Vec<_> = response
    ///     .history()
    ///     .iter()
    ///     .map(|r| (r.status().as_u16(), r.header("location")))
    ///     .collect();
    /// assert_eq!(chain, [(307, Some("/b")), (308, Some("/c"))]);
    /// assert_eq!(response.text(), "c");
    /// # }
    /// ```
    pub fn history(&self) -> &[TestResponse] {
        &self.history
    }

    /// The response's extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}
