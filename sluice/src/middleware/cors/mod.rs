//! [`Cors`]: answers [CORS] preflight requests and adds the CORS headers to
//! every response, as Starlette's `CORSMiddleware` does.
//!
//! ```
//! use sluice::middleware::Cors;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new().get("/", || async { "Hello" }).add_middleware(
//!     Cors::new()
//!         .allow_origins(["https://app.example.com"])
//!         .allow_methods(["GET", "POST"])
//!         .allow_headers(["Authorization"])
//!         .allow_credentials(true),
//! );
//! let client = TestClient::new(app);
//!
//! // A request from an allowed origin: the origin is echoed.
//! let res = client.get("/").header("origin", "https://app.example.com").await;
//! assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example.com"));
//! assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
//! assert_eq!(res.header("vary"), Some("Origin"));
//!
//! // A preflight, for any path: answered by the middleware itself.
//! let res = client
//!     .options("/anything")
//!     .header("origin", "https://app.example.com")
//!     .header("access-control-request-method", "POST")
//!     .header("access-control-request-headers", "authorization")
//!     .await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.text(), "OK");
//! assert_eq!(res.header("access-control-allow-methods"), Some("GET, POST"));
//!
//! // Any other origin gets no `access-control-allow-origin`.
//! let res = client.get("/").header("origin", "https://evil.example").await;
//! assert_eq!(res.header("access-control-allow-origin"), None);
//! # }
//! ```
//!
//! # Options and defaults
//!
//! The defaults are Starlette's: nothing is allowed until you say so.
//!
//! | setter | default | what it does |
//! |---|---|---|
//! | [`allow_origins`](Cors::allow_origins) | none | origins allowed to read responses; `"*"` allows every origin |
//! | [`allow_origin_regex`](Cors::allow_origin_regex) | none | origins that **fully** match this regex are allowed too |
//! | [`allow_methods`](Cors::allow_methods) | `GET` | methods a preflight may ask for; `"*"` means `DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY` |
//! | [`allow_headers`](Cors::allow_headers) | none | request headers a preflight may ask for, besides the four [CORS-safelisted] ones; `"*"` allows any |
//! | [`allow_credentials`](Cors::allow_credentials) | `false` | sends [`Access-Control-Allow-Credentials: true`][ACAC] |
//! | [`allow_private_network`](Cors::allow_private_network) | `false` | answers [Private Network Access] preflights |
//! | [`expose_headers`](Cors::expose_headers) | none | response headers the page may read ([`Access-Control-Expose-Headers`][ACEH]) |
//! | [`max_age`](Cors::max_age) | `600` | seconds a browser may cache a preflight answer ([`Access-Control-Max-Age`][ACMA]) |
//!
//! [`Cors::permissive`] allows every origin, method and header, without
//! credentials.
//!
//! # What a response carries
//!
//! A request is a **preflight** when it is an `OPTIONS` request with an
//! [`Origin`] header and an [`Access-Control-Request-Method`][ACRM] header.
//! Every other request is a **simple** request: it goes on to the app, and
//! the CORS headers are added to whatever response comes back.
//!
//! ## Simple requests
//!
//! - Without an [`Origin`] header the request is not a CORS request: the
//!   response gets no `access-control-*` header, only `Vary: Origin`.
//! - With one, the response always gets
//!   [`Access-Control-Allow-Credentials: true`][ACAC] if credentials are
//!   allowed and [`Access-Control-Expose-Headers`][ACEH] if any are exposed,
//!   whether the origin is allowed or not (the browser ignores them without
//!   an allowed origin).
//! - [`Access-Control-Allow-Origin`][ACAO] is `*` when every origin is
//!   allowed (`allow_origins(["*"])`) and credentials are not. Otherwise it
//!   is the request's origin, echoed, and only when that origin is allowed.
//!   A wildcard *with* credentials echoes **every** origin, since browsers
//!   refuse `*` on credentialed requests: that gives every site on the web
//!   your users' credentials, and building such an app logs a warning.
//! - `Origin` is added to the response's [`Vary`] header, merged with what
//!   the app put there, on every response, since the headers depend on it.
//!   A name already there is not added again (Starlette appends to the
//!   text as it is: `Vary: Origin` becomes `Origin, Origin`).
//!
//! These headers are set on **every** response that passes out through the
//! middleware: 404s and 405s from the router, 500s from a failing or
//! panicking handler, 401s from an inner authentication middleware. (In
//! Starlette, errors raised in a handler or a middleware skip the user's
//! middleware, so their 500 carries no CORS headers and the browser hides
//! it from the page.) Add `Cors` last, so that it is the outermost
//! middleware and sees every response.
//!
//! ## Preflight requests
//!
//! A preflight never reaches the app, whatever its path. It is answered with
//! `200 text/plain "OK"` when every check passes, and otherwise with `400
//! text/plain "Disallowed CORS "` followed by the failed checks, in this
//! order, joined by `", "` (e.g. `Disallowed CORS origin, method, headers`):
//!
//! 1. `origin`: the [`Origin`] is not allowed;
//! 2. `method`: the [requested method][ACRM] is not one of the allowed
//!    methods, compared **case-sensitively** (`post` is not `POST`);
//! 3. `headers`: one of the [requested headers][ACRH] (split on `,`,
//!    trimmed, compared case-insensitively) is neither allowed nor
//!    safelisted; never when `allow_headers` has `"*"`;
//! 4. `private-network`: the request has
//!    `Access-Control-Request-Private-Network` but `allow_private_network`
//!    is off.
//!
//! Both answers carry:
//! - [`Access-Control-Allow-Origin`][ACAO]: `*` for a wildcard without
//!   credentials, otherwise the origin echoed when it is allowed;
//! - [`Access-Control-Allow-Methods`][ACAM]: the allowed methods, as given;
//! - [`Access-Control-Allow-Headers`][ACAH]: with `allow_headers(["*"])`,
//!   the request's `Access-Control-Request-Headers` echoed verbatim (absent
//!   when it sent none); otherwise the sorted union of `Accept,
//!   Accept-Language, Content-Language, Content-Type` and the allowed
//!   headers, as given;
//! - [`Access-Control-Max-Age`][ACMA];
//! - [`Access-Control-Allow-Credentials: true`][ACAC] when credentials are
//!   allowed;
//! - `Access-Control-Allow-Private-Network: true` when the request asked for
//!   it and `allow_private_network` is on;
//! - `Vary: Origin, Access-Control-Request-Method,
//!   Access-Control-Request-Headers, Access-Control-Request-Private-Network`,
//!   since each of them can change the answer.
//!
//! An `OPTIONS` request without `Access-Control-Request-Method` is not a
//! preflight: it goes to the app (usually a 405) and gets the simple
//! headers.
//!
//! # Configuration errors
//!
//! A setting that can never work makes building the app fail with a
//! [`ConfigError`] naming it, instead of silently never matching:
//!
//! - an origin that is not `"*"`, `"null"` or a serialized origin
//!   `scheme://host[:port]` exactly as a browser sends it: lower-case scheme
//!   and host, no path or trailing slash, no user info, no default port
//!   (`:80` for `http`, `:443` for `https`), and no wildcard inside (use
//!   [`allow_origin_regex`](Cors::allow_origin_regex) for patterns). IPv6
//!   hosts are written in brackets: `http://[::1]:8000`;
//! - a regex that does not compile;
//! - a method or a header name that is not a [token] (RFC 9110).
//!
//! ```
//! use sluice::middleware::Cors;
//! use sluice::{App, ConfigError};
//!
//! let app = App::new().add_middleware(Cors::new().allow_origins(["https://example.com/"]));
//! let err = app.build().unwrap_err();
//! assert!(matches!(err, ConfigError::Middleware { .. }));
//! assert!(err.to_string().contains("trailing slash"));
//! ```
//!
//! [CORS]: https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS
//! [CORS-safelisted]: https://developer.mozilla.org/en-US/docs/Glossary/CORS-safelisted_request_header
//! [Private Network Access]: https://developer.chrome.com/blog/private-network-access-preflight
//! [`Origin`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Origin
//! [`Vary`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Vary
//! [ACAO]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Origin
//! [ACAC]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Credentials
//! [ACAM]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Methods
//! [ACAH]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Headers
//! [ACEH]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Expose-Headers
//! [ACMA]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Max-Age
//! [ACRM]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Request-Method
//! [ACRH]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Request-Headers
//! [token]: https://www.rfc-editor.org/rfc/rfc9110#section-5.6.2

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_CREDENTIALS,
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, CONTENT_TYPE, ORIGIN, VARY,
};
use http::{Method, StatusCode};
use regex::Regex;

use crate::body::Body;
use crate::error::ConfigError;
use crate::headers::{append_vary, latin1, trim_by};
use crate::hook::{self, Before, Hook, Slot, Stash};
use crate::middleware::{Middleware, Next};
use crate::request::{Request, RouteMatch};
use crate::response::{Response, TEXT_PLAIN_UTF8};
use crate::stack::StackEntry;

/// `Origin`, for the `Vary` header.
static VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");

/// Python's `\Z` (the end of the text) as the `regex` crate writes it,
/// `\z`; every other escape is left as it is.
fn python_end_anchor(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains("\\Z") {
        return std::borrow::Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\\' {
            match chars.next() {
                Some('Z') => out.push('z'),
                Some(next) => out.push(next),
                None => {}
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests;

/// What `allow_methods(["*"])` stands for: Starlette 1.10's list.
const ALL_METHODS: [&str; 8] = [
    "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY",
];

/// The request headers a preflight may always ask for (the CORS-safelisted
/// request headers), as Starlette spells them in `Access-Control-Allow-Headers`.
const SAFELISTED_HEADERS: [&str; 4] = [
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Content-Type",
];

static ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");
static ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");

static ANY: HeaderValue = HeaderValue::from_static("*");
static TRUE: HeaderValue = HeaderValue::from_static("true");
/// Every request header that can change a preflight's answer.
static PREFLIGHT_VARY: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, \
     Access-Control-Request-Private-Network",
);

/// The CORS middleware; see the [module docs](self) for the behaviour.
///
/// Build it with [`Cors::new`] (nothing allowed, as Starlette's defaults) or
/// [`Cors::permissive`], then the setters, and add it last with
/// [`App::add_middleware`](crate::App::add_middleware) so that it is the
/// outermost middleware. Every setter replaces what an earlier call set.
#[derive(Debug, Clone)]
#[must_use]
pub struct Cors {
    /// `"*"` was among the origins.
    any_origin: bool,
    /// The listed origins, sorted, compared byte for byte with the
    /// request's (a binary search: no hashing per request).
    origins: Vec<Box<[u8]>>,
    /// `allow_origin_regex`, anchored at both ends.
    origin_regex: Option<Regex>,
    /// The allowed methods, as given (or [`ALL_METHODS`]).
    methods: Vec<Box<str>>,
    /// `Access-Control-Allow-Methods`: the methods joined by `", "`.
    methods_value: HeaderValue,
    /// `"*"` was among the allowed headers.
    any_header: bool,
    /// The allowed request headers, lower-cased, safelisted ones included.
    headers: Vec<Box<str>>,
    /// `Access-Control-Allow-Headers` when not `any_header`.
    headers_value: HeaderValue,
    credentials: bool,
    private_network: bool,
    /// `Access-Control-Expose-Headers`, when any header is exposed.
    expose_value: Option<HeaderValue>,
    /// `Access-Control-Max-Age`.
    max_age_value: HeaderValue,
    /// Settings that can never work, reported by `validate`.
    problems: Problems,
}

/// The first problem of each setting, kept until the app is built.
#[derive(Debug, Clone, Default)]
struct Problems {
    origins: Option<String>,
    regex: Option<String>,
    methods: Option<String>,
    headers: Option<String>,
    expose: Option<String>,
}

impl Default for Cors {
    fn default() -> Self {
        Cors::new()
    }
}

impl Cors {
    /// A middleware that allows nothing yet: no origin, the `GET` method,
    /// only the safelisted request headers, no credentials, no exposed
    /// headers, and a preflight max age of 600 seconds (Starlette's
    /// defaults).
    pub fn new() -> Self {
        Cors {
            any_origin: false,
            origins: Vec::new(),
            origin_regex: None,
            methods: Vec::new(),
            methods_value: HeaderValue::from_static(""),
            any_header: false,
            headers: Vec::new(),
            headers_value: HeaderValue::from_static(""),
            credentials: false,
            private_network: false,
            expose_value: None,
            max_age_value: HeaderValue::from(600u32),
            problems: Problems::default(),
        }
        .allow_methods(["GET"])
        .allow_headers(std::iter::empty::<&str>())
    }

    /// Allows every origin, method and request header, without
    /// credentials: `allow_origins(["*"])`, `allow_methods(["*"])`,
    /// `allow_headers(["*"])`. Handy for public, read-only APIs and for
    /// development.
    pub fn permissive() -> Self {
        Cors::new()
            .allow_origins(["*"])
            .allow_methods(["*"])
            .allow_headers(["*"])
    }

    /// The origins allowed to make cross-origin requests, e.g.
    /// `["https://example.com", "http://localhost:8080"]`; `"*"` among them
    /// allows every origin. Default: none.
    ///
    /// An origin is compared exactly, byte for byte, with the request's
    /// [`Origin`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Origin)
    /// header, so it must be written as browsers send it: see
    /// [Configuration errors](self#configuration-errors) for what is
    /// accepted. `"null"` is accepted, but allowing it lets any sandboxed
    /// iframe or `file:` page in.
    pub fn allow_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.any_origin = false;
        self.origins.clear();
        self.problems.origins = None;
        for origin in origins {
            let origin = origin.as_ref();
            if origin == "*" {
                self.any_origin = true;
                continue;
            }
            match check_origin(origin) {
                Ok(()) => self.origins.push(origin.as_bytes().into()),
                Err(reason) => {
                    self.problems.origins.get_or_insert_with(|| {
                        format!("allow_origins: {origin:?} is not an origin: {reason}")
                    });
                }
            }
        }
        self.origins.sort_unstable();
        self.origins.dedup();
        self
    }

    /// Also allows every origin that the regular expression matches
    /// **entirely** (Python's `re.fullmatch`): `r"https://.*\.example\.org"`
    /// allows `https://app.example.org` but not
    /// `https://app.example.org.evil.com`. Default: none.
    ///
    /// The syntax is the [`regex`](https://docs.rs/regex) crate's, which is
    /// Python's `re` for everything but look-around and back-references;
    /// Python's `\Z` (the end of the text) is read as the crate's `\z`.
    /// `\w` differs in one corner: Python's also takes the digits that are
    /// not decimal (`²`, `¼`), which no browser sends in an origin.
    /// The pattern is anchored as `\A(?:pattern)\z`; a pattern that does not
    /// compile is a configuration error.
    pub fn allow_origin_regex(mut self, pattern: impl AsRef<str>) -> Self {
        let pattern = python_end_anchor(pattern.as_ref());
        let pattern = pattern.as_ref();
        self.problems.regex = None;
        // Compile the pattern alone first, so that it cannot close the
        // anchoring group early (`a)|(b` would escape the anchors).
        let compiled = Regex::new(pattern).and_then(|_| Regex::new(&format!(r"\A(?:{pattern})\z")));
        match compiled {
            Ok(regex) => self.origin_regex = Some(regex),
            Err(e) => {
                self.origin_regex = None;
                self.problems.regex = Some(format!(
                    "allow_origin_regex: {pattern:?} does not compile: {e}"
                ));
            }
        }
        self
    }

    /// The methods a preflight may ask for, e.g. `["GET", "POST"]` or
    /// `[Method::GET, Method::POST]`; `"*"` among them means `DELETE, GET,
    /// HEAD, OPTIONS, PATCH, POST, PUT, QUERY`. Default: `GET`.
    ///
    /// Methods are compared case-sensitively, as HTTP says: write them in
    /// upper case, as browsers send them. They are sent in
    /// [`Access-Control-Allow-Methods`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Methods)
    /// in the order given. Simple requests are not filtered by method.
    pub fn allow_methods<I>(mut self, methods: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.problems.methods = None;
        let mut list: Vec<Box<str>> = Vec::new();
        let mut any = false;
        for method in methods {
            let method = method.as_ref();
            if method == "*" {
                any = true;
            } else if is_token(method) {
                list.push(method.into());
            } else {
                self.problems.methods.get_or_insert_with(|| {
                    format!("allow_methods: {method:?} is not a method name")
                });
            }
        }
        if any {
            list = ALL_METHODS.iter().map(|&m| m.into()).collect();
        }
        self.methods_value = joined_value(&list);
        self.methods = list;
        self
    }

    /// The request headers a preflight may ask for besides the
    /// [CORS-safelisted](https://developer.mozilla.org/en-US/docs/Glossary/CORS-safelisted_request_header)
    /// `Accept`, `Accept-Language`, `Content-Language` and `Content-Type`,
    /// e.g. `["Authorization", "X-Custom"]`; `"*"` among them allows any
    /// header. Default: none. Names are compared case-insensitively.
    ///
    /// See [`Access-Control-Allow-Headers`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Headers).
    pub fn allow_headers<I>(mut self, headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.problems.headers = None;
        self.any_header = false;
        // Sorted by code point, exact duplicates removed, as Starlette's
        // `sorted(set(...))`.
        let mut names: BTreeSet<Cow<'_, str>> = SAFELISTED_HEADERS
            .iter()
            .map(|&h| Cow::Borrowed(h))
            .collect();
        for header in headers {
            let header = header.as_ref();
            if header == "*" {
                self.any_header = true;
            } else if is_token(header) {
                names.insert(Cow::Owned(header.to_owned()));
            } else {
                self.problems.headers.get_or_insert_with(|| {
                    format!("allow_headers: {header:?} is not a header name")
                });
            }
        }
        let names: Vec<Cow<'_, str>> = names.into_iter().collect();
        self.headers_value = joined_value(&names);
        let mut lower: Vec<Box<str>> = names
            .iter()
            .map(|h| h.to_ascii_lowercase().into_boxed_str())
            .collect();
        lower.sort_unstable();
        lower.dedup();
        self.headers = lower;
        self
    }

    /// Sends
    /// [`Access-Control-Allow-Credentials: true`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Allow-Credentials),
    /// so that the browser sends cookies and shows the response to a
    /// request made with credentials. Default: `false`.
    ///
    /// With `allow_origins(["*"])` this makes every origin echoed instead
    /// of `*` (browsers refuse `*` with credentials), so every site gets
    /// credentialed access: list the origins instead.
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// Answers
    /// [Private Network Access](https://developer.chrome.com/blog/private-network-access-preflight)
    /// preflights (those with `Access-Control-Request-Private-Network`) with
    /// `Access-Control-Allow-Private-Network: true`; when off, such a
    /// preflight fails with `private-network`. Default: `false`.
    pub fn allow_private_network(mut self, allow: bool) -> Self {
        self.private_network = allow;
        self
    }

    /// The response headers the page's script may read, besides the
    /// [CORS-safelisted](https://developer.mozilla.org/en-US/docs/Glossary/CORS-safelisted_response_header)
    /// ones, e.g. `["X-Process-Time"]`. Sent as given, joined by `", "`, in
    /// [`Access-Control-Expose-Headers`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Expose-Headers)
    /// on every response to a request with an `Origin`. Default: none.
    pub fn expose_headers<I>(mut self, headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.problems.expose = None;
        let mut list: Vec<Cow<'_, str>> = Vec::new();
        for header in headers {
            let header = header.as_ref();
            if is_token(header) {
                list.push(Cow::Owned(header.to_owned()));
            } else {
                self.problems.expose.get_or_insert_with(|| {
                    format!("expose_headers: {header:?} is not a header name")
                });
            }
        }
        self.expose_value = (!list.is_empty()).then(|| joined_value(&list));
        self
    }

    /// How long, in seconds, a browser may cache a preflight's answer
    /// ([`Access-Control-Max-Age`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Access-Control-Max-Age)).
    /// Default: 600. Browsers cap it (Chromium at 7200, Firefox at 86400).
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age_value = HeaderValue::from(seconds);
        self
    }

    /// Whether this origin (the raw `Origin` header) is allowed.
    fn is_allowed(&self, origin: &[u8]) -> bool {
        self.any_origin
            || self.is_listed(origin)
            || self
                .origin_regex
                .as_ref()
                .is_some_and(|regex| regex.is_match(&latin1(origin)))
    }

    /// Whether `origin` is one of [`Cors::allow_origins`]. A short list is
    /// searched in order: comparing lengths first, it compares the bytes
    /// of at most the origins of the same length, where a binary search
    /// compares bytes at every step.
    fn is_listed(&self, origin: &[u8]) -> bool {
        const SHORT: usize = 8;
        if self.origins.len() <= SHORT {
            self.origins.iter().any(|allowed| **allowed == *origin)
        } else {
            self.origins
                .binary_search_by(|allowed| (**allowed).cmp(origin))
                .is_ok()
        }
    }

    /// Whether an allowed origin is echoed rather than answered with `*`.
    fn echoes_origin(&self) -> bool {
        !self.any_origin || self.credentials
    }

    /// What a simple request's response gets in `Access-Control-Allow-Origin`:
    /// decided before the request moves on, so that the origin is copied
    /// only when it is echoed.
    fn simple_allow_origin(&self, origin: &HeaderValue) -> Option<HeaderValue> {
        if !self.echoes_origin() {
            Some(ANY.clone())
        } else if self.is_allowed(origin.as_bytes()) {
            Some(origin.clone())
        } else {
            None
        }
    }

    /// Adds the CORS headers of a simple request to the app's response.
    fn decorate(&self, allow_origin: Option<HeaderValue>, headers: &mut HeaderMap) {
        if self.credentials {
            headers.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE.clone());
        }
        if let Some(expose) = &self.expose_value {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
        if let Some(allow_origin) = allow_origin {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        }
        append_vary(headers, &VARY_ORIGIN);
    }

    /// The answer to a preflight request.
    fn preflight(&self, origin: &HeaderValue, request: &HeaderMap) -> Response {
        let mut headers = HeaderMap::with_capacity(10);
        headers.insert(VARY, PREFLIGHT_VARY.clone());
        headers.insert(CONTENT_TYPE, TEXT_PLAIN_UTF8.clone());
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, self.methods_value.clone());
        headers.insert(ACCESS_CONTROL_MAX_AGE, self.max_age_value.clone());
        if self.credentials {
            headers.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE.clone());
        }
        let mut failures = Failures::default();

        if !self.echoes_origin() {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, ANY.clone());
        } else if self.is_allowed(origin.as_bytes()) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        } else {
            failures.origin = true;
        }

        let method = request
            .get(ACCESS_CONTROL_REQUEST_METHOD)
            .map_or(&b""[..], HeaderValue::as_bytes);
        failures.method = !self.methods.iter().any(|m| m.as_bytes() == method);

        let requested_headers = request.get(ACCESS_CONTROL_REQUEST_HEADERS);
        if self.any_header {
            if let Some(requested) = requested_headers {
                headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            }
        } else {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, self.headers_value.clone());
            if let Some(requested) = requested_headers {
                failures.headers = !requested
                    .as_bytes()
                    .split(|&b| b == b',')
                    .all(|name| self.allows_header(trim_python_space(name)));
            }
        }

        if request.contains_key(&ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK) {
            if self.private_network {
                headers.insert(ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK.clone(), TRUE.clone());
            } else {
                failures.private_network = true;
            }
        }

        let (status, body) = match failures.text() {
            None => (StatusCode::OK, Body::from("OK")),
            Some(text) => (StatusCode::BAD_REQUEST, Body::from(text)),
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }

    /// Whether a requested header name (trimmed) is allowed.
    fn allows_header(&self, name: &[u8]) -> bool {
        self.headers
            .iter()
            .any(|allowed| allowed.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// What [`Cors`] does to the response of a request it passed on.
pub(crate) enum CorsStep {
    /// Nothing (a WebSocket handshake).
    Untouched,
    /// Not a CORS request: only `Vary: Origin`.
    VaryOrigin,
    /// A simple CORS request: the CORS fields, with this origin allowed
    /// (`None`: not allowed).
    Decorate(Option<HeaderValue>),
}

impl Stash for CorsStep {
    fn stash(self) -> Slot {
        match self {
            CorsStep::Untouched => Slot::Tagged(0, None),
            CorsStep::VaryOrigin => Slot::Tagged(1, None),
            CorsStep::Decorate(origin) => Slot::Tagged(2, origin),
        }
    }

    fn unstash(slot: Slot) -> Option<Self> {
        match slot {
            Slot::Tagged(0, None) => Some(CorsStep::Untouched),
            Slot::Tagged(1, None) => Some(CorsStep::VaryOrigin),
            Slot::Tagged(2, origin) => Some(CorsStep::Decorate(origin)),
            _ => None,
        }
    }
}

impl Hook for Cors {
    type State<'a> = CorsStep;

    fn before(&self, req: &mut Request) -> Before<CorsStep> {
        if crate::websocket::is_handshake(req) {
            // Browsers do not apply CORS to WebSockets; Starlette's
            // middleware passes them through untouched too.
            return Before::Pass(CorsStep::Untouched);
        }
        let Some(origin) = req.headers().get(ORIGIN) else {
            // Not a CORS request, but the answer depends on `Origin` all
            // the same: a cache must not serve it to one that has it.
            return Before::Pass(CorsStep::VaryOrigin);
        };
        if req.method() == Method::OPTIONS
            && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Before::Answer(self.preflight(origin, req.headers()));
        }
        Before::Pass(CorsStep::Decorate(self.simple_allow_origin(origin)))
    }

    fn after(
        &self,
        step: CorsStep,
        response: &mut Response,
        _route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'_, Response>> {
        match step {
            CorsStep::Untouched => {}
            CorsStep::VaryOrigin => append_vary(response.headers_mut(), &VARY_ORIGIN),
            CorsStep::Decorate(allow_origin) => self.decorate(allow_origin, response.headers_mut()),
        }
        None
    }
}

impl Middleware for Cors {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let problems = &self.problems;
        let first = [
            &problems.origins,
            &problems.regex,
            &problems.methods,
            &problems.headers,
            &problems.expose,
        ]
        .into_iter()
        .find_map(Option::as_ref);
        if let Some(reason) = first {
            return Err(ConfigError::middleware("Cors", reason.clone()));
        }
        if self.any_origin && self.credentials {
            tracing::warn!(
                target: "sluice",
                "Cors allows every origin with credentials: every web site can make \
                 credentialed requests and read the responses; list the origins instead"
            );
        }
        Ok(())
    }
}

/// The preflight checks that failed.
#[derive(Default)]
struct Failures {
    origin: bool,
    method: bool,
    headers: bool,
    private_network: bool,
}

impl Failures {
    /// `None` when every check passed, else the body of the 400.
    fn text(&self) -> Option<String> {
        let names = [
            (self.origin, "origin"),
            (self.method, "method"),
            (self.headers, "headers"),
            (self.private_network, "private-network"),
        ];
        let mut text: Option<String> = None;
        for (failed, name) in names {
            if !failed {
                continue;
            }
            match &mut text {
                None => text = Some(format!("Disallowed CORS {name}")),
                Some(text) => {
                    text.push_str(", ");
                    text.push_str(name);
                }
            }
        }
        text
    }
}

/// `items` joined by `", "` as a header value. Only called with validated
/// tokens, which always make a valid value.
fn joined_value<S: AsRef<str>>(items: &[S]) -> HeaderValue {
    let joined = items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&joined).expect("tokens joined by \", \" are a valid header value")
}

/// Trims what Python's `str.strip()` trims from a Latin-1 string.
fn trim_python_space(bytes: &[u8]) -> &[u8] {
    trim_by(
        bytes,
        |b| matches!(b, b'\t'..=b'\r' | 0x1c..=0x1f | b' ' | 0x85 | 0xa0),
    )
}

/// A `token` of RFC 9110 §5.6.2: what a method or a header name is made of.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// Checks that `origin` is an origin as a browser serializes it (see the
/// module docs); the reason when it is not.
fn check_origin(origin: &str) -> Result<(), Cow<'static, str>> {
    if origin == "null" {
        return Ok(());
    }
    if origin.is_empty() {
        return Err("it is empty".into());
    }
    if origin
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err("it contains whitespace or control characters".into());
    }
    if !origin.is_ascii() {
        return Err("it is not ASCII (write an international domain name in punycode)".into());
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err("it has no scheme (expected scheme://host[:port])".into());
    };
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err("its scheme is invalid".into());
    }
    if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("browsers send the scheme in lower case".into());
    }
    if rest.ends_with('/') {
        return Err("an origin has no trailing slash".into());
    }
    if rest.contains(['/', '?', '#']) {
        return Err("an origin has no path, query or fragment".into());
    }
    if rest.contains('@') {
        return Err("an origin has no user info".into());
    }
    if rest.contains('*') {
        return Err("wildcards are not patterns here; use allow_origin_regex".into());
    }
    let (host, port) = if let Some(after_bracket) = rest.strip_prefix('[') {
        let Some((ip, after)) = after_bracket.split_once(']') else {
            return Err("its IPv6 address has no closing bracket".into());
        };
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("its IPv6 address is invalid".into());
        }
        if ip.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("browsers send the host in lower case".into());
        }
        match after.strip_prefix(':') {
            Some(port) => (ip, Some(port)),
            None if after.is_empty() => (ip, None),
            None => return Err("unexpected text after the IPv6 address".into()),
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err("it has no host".into());
    }
    if !rest.starts_with('[') {
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("browsers send the host in lower case".into());
        }
        let host_ok = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !host_ok {
            return Err("its host has characters a host name cannot have".into());
        }
    }
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err("its port is not a number".into());
        }
        if port.len() > 1 && port.starts_with('0') {
            return Err("browsers send the port without leading zeros".into());
        }
        let Ok(number) = port.parse::<u16>() else {
            return Err("its port is above 65535".into());
        };
        if (scheme == "http" && number == 80) || (scheme == "https" && number == 443) {
            return Err(
                "browsers leave out the default port (:80 for http, :443 for https)".into(),
            );
        }
    }
    Ok(())
}
