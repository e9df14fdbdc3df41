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
//! cleanup) panics with that failure, so the test fails with it. A test
//! that checks the 500 response turns this off with
//! [`TestClient::raise_server_exceptions`].
//!
//! Requests carry `host: testserver` unless they set a host, and come from
//! `127.0.0.1:50000` over `http` (see [`TestClient::base_url`] and
//! [`TestClient::client_addr`]). The response is what the server would
//! send: for HEAD no body, and a `content-length` when the body's size is
//! known.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING,
};
use http::{Extensions, Method, StatusCode, Uri, Version};
use http_body::Body as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::app::{App, AppService};
use crate::body::Body;
use crate::error::{ConfigError, Error};
use crate::request::ConnectionInfo;

/// An in-process client for an [`App`].
#[derive(Clone)]
pub struct TestClient {
    app: AppService,
    scheme: String,
    host: String,
    conn: ConnectionInfo,
    raise_server_exceptions: bool,
}

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("conn", &self.conn)
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
            app,
            scheme: "http".to_owned(),
            host: "testserver".to_owned(),
            conn: ConnectionInfo {
                remote_addr: Some(SocketAddr::from(([127, 0, 0, 1], 50000))),
                local_addr: Some(SocketAddr::from(([127, 0, 0, 1], 80))),
                secure: false,
            },
        }
    }

    /// Sends requests as if to `url` (`"https://example.com:8443"`): the
    /// scheme decides whether the connection counts as secure, the rest is
    /// the default `host` header.
    ///
    /// # Panics
    ///
    /// When `url` has no scheme or host.
    #[must_use]
    #[track_caller]
    pub fn base_url(mut self, url: &str) -> Self {
        let (scheme, host) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("base_url needs a scheme and a host: {url:?}"));
        self.scheme = scheme.to_owned();
        self.host = host.trim_end_matches('/').to_owned();
        self.conn.secure = scheme == "https";
        let port = match self.host.rsplit_once(':') {
            Some((_, port)) => port.parse().unwrap_or(80),
            None if self.conn.secure => 443,
            None => 80,
        };
        self.conn.local_addr = Some(SocketAddr::from(([127, 0, 0, 1], port)));
        self
    }

    /// Whether a request during which the app failed panics with the
    /// failure (`true`, the default, as Starlette's `TestClient`), or
    /// returns the response the client would get (usually a 500), so that
    /// the test can check it.
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
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &self.headers)
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
        let name = name.try_into().expect("a valid header name");
        let value = value.try_into().expect("a valid header value");
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

    async fn send(self) -> TestResponse {
        let body = match self.body {
            Ok(body) => body,
            Err(e) => panic!("the request body could not be serialised: {e}"),
        };
        let uri: Uri = match self.path.parse() {
            Ok(uri) => uri,
            Err(e) => panic!("invalid request path {:?}: {e}", self.path),
        };
        let mut headers = self.headers;
        if !self.no_host && !headers.contains_key(HOST) {
            if let Ok(host) = HeaderValue::from_str(&self.client.host) {
                headers.insert(HOST, host);
            }
        }
        if !headers.contains_key(CONTENT_LENGTH) && !headers.contains_key(TRANSFER_ENCODING) {
            if let Some(len) = body.size_hint().exact() {
                if len > 0 || matches!(self.method, Method::POST | Method::PUT | Method::PATCH) {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
                }
            }
        }
        let mut request = http::Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        *request.version_mut() = self.version;
        *request.headers_mut() = headers;
        let app = &self.client.app;
        let request = app.request_from_body(request, self.client.conn);
        let response = app.handle(request).await;
        let (mut parts, body) = response.into_parts();
        let known_len = body.size_hint().exact();
        let bytes = match body.collect().await {
            Ok(bytes) => bytes,
            Err(e) => panic!("the response body failed: {e}"),
        };
        // The body is gone: background tasks and cleanups start now. Wait
        // for them, as FastAPI's TestClient does.
        let tracker = app.tracker();
        tracker.close();
        tracker.wait().await;
        tracker.reopen();
        let failures = app.shared().take_failures();
        if self.client.raise_server_exceptions {
            if let Some(failure) = failures.first() {
                panic!(
                    "the app failed while handling {} {}: {failure}\n\
                     (to check the response the client gets instead, use \
                     TestClient::raise_server_exceptions(false))",
                    self.method, self.path
                );
            }
        }
        let bodyless = self.method == Method::HEAD
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
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            extensions: parts.extensions,
            body: if bodyless { Bytes::new() } else { bytes },
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

/// A response received by the [`TestClient`], with its whole body.
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
}

impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
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

    /// The body.
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

    /// The response's extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}
