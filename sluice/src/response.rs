//! Responses: the [`Response`] type, the [`IntoResponse`] conversion every
//! handler and middleware result goes through, and the [`Json`], [`Html`] and
//! [`Redirect`] helpers.
//!
//! What each type becomes:
//!
//! | returned value | status | `content-type` | body |
//! |---|---|---|---|
//! | [`Json<T>`], [`serde_json::Value`] | 200 | `application/json` | compact JSON |
//! | `&'static str`, `String` | 200 | `text/plain; charset=utf-8` | the text |
//! | [`Html<T>`] | 200 | `text/html; charset=utf-8` | the text |
//! | `Vec<u8>`, [`Bytes`] | 200 | `application/octet-stream` | the bytes |
//! | `()` | 200 | none | empty |
//! | [`StatusCode`] | that status | none | empty |
//! | `(StatusCode, T)` | that status | as `T` | as `T` |
//! | `([(name, value); N], T)`, `(StatusCode, [...], T)` | | adds headers | |
//! | [`HttpError`] | its status | `application/json` | `{"detail": ...}` |
//! | [`Error`] | see [`Error::status`] | `application/json` | `{"detail": ...}` |
//! | `Result<T, E>` | as `T` or `E` | | |

use std::borrow::Cow;
use std::cell::RefCell;
use std::convert::Infallible;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use schemars::JsonSchema;
use serde::Serialize;

use crate::body::Body;
use crate::cookie::{Cookie, InvalidCookie};
use crate::error::{BodyError, Error, HttpError, ValidationError};
use crate::floats;
use crate::openapi::ResponseDoc;

/// An HTTP response with a sluice [`Body`].
///
/// This is `http::Response`, so everything in the `http` crate (status,
/// headers, extensions) applies, and tower middleware can handle it.
pub type Response<B = Body> = http::Response<B>;

pub(crate) static APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(crate) static TEXT_PLAIN_UTF8: HeaderValue =
    HeaderValue::from_static("text/plain; charset=utf-8");
static TEXT_HTML_UTF8: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
static OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// Turns a value into a [`Response`].
///
/// Everything a handler or a function middleware returns goes through this
/// trait. Implement it for your own types to return them directly.
///
/// ```
/// use sluice::{IntoResponse, Response, StatusCode};
///
/// struct Teapot;
///
/// impl IntoResponse for Teapot {
///     fn into_response(self) -> Response {
///         (StatusCode::IM_A_TEAPOT, "short and stout").into_response()
///     }
/// }
///
/// assert_eq!(Teapot.into_response().status(), 418);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be turned into a response",
    label = "does not implement `IntoResponse`",
    note = "for a struct, return `Json(value)` (it needs `#[derive(Serialize)]`); or a `String`, `&'static str`, `StatusCode`, `(StatusCode, T)`, `HttpError` or `Response`",
    note = "in a `Result<T, E>` both `T` and `E` must be responses: return `sluice::Result<T>` to use `?` on any error (it becomes a 500), or map the error to an `HttpError`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;

    /// Describes the response's content for the OpenAPI document, once
    /// when the app is built (see [`crate::openapi`]): [`Json<T>`] is
    /// `application/json` with `T`'s schema, text is `text/plain`, and so
    /// on. Describes no content by default.
    fn describe(doc: &mut ResponseDoc<'_>) {
        let _ = doc;
    }

    /// Whether [`IntoResponse::__into_response_ranged`] reads the request's
    /// `Range`: a handler returning such a type has them kept for it.
    #[doc(hidden)]
    const __HONOURS_RANGE: bool = false;

    /// Builds the response for a request with these `Range` and
    /// `If-Range` values ([`FileResponse`](crate::FileResponse) answers
    /// them as Starlette's does).
    #[doc(hidden)]
    fn __into_response_ranged(
        self,
        range: Option<&HeaderValue>,
        if_range: Option<&HeaderValue>,
    ) -> Response
    where
        Self: Sized,
    {
        let _ = (range, if_range);
        self.into_response()
    }
}

/// Helpers on [`Response`] that the `http` crate does not have.
pub trait ResponseExt {
    /// The error this response was made from, if any: what a handler or an
    /// inner middleware returned as `Err`, a panic ([`Panic`](crate::error::Panic)),
    /// a rejected input ([`ValidationError`]), a 404/405 ([`HttpError`]).
    ///
    /// An error-handling middleware uses it to log or rewrite failures:
    ///
    /// ```
    /// use sluice::{App, Next, Request, Response, ResponseExt};
    ///
    /// async fn report(req: Request, next: Next) -> Response {
    ///     let response = next.run(req).await;
    ///     if let Some(error) = response.error() {
    ///         eprintln!("request failed: {error}");
    ///     }
    ///     response
    /// }
    ///
    /// let app = App::new().middleware(report);
    /// ```
    fn error(&self) -> Option<&Error>;

    /// Adds a `Set-Cookie` field for `cookie`, as Starlette's
    /// `response.set_cookie(...)` does: each call adds one, beside those
    /// already there (see [`crate::cookie`] for how it is written).
    ///
    /// ```
    /// use sluice::cookie::Cookie;
    /// use sluice::{IntoResponse, Response, ResponseExt};
    ///
    /// let mut response = "hi".into_response();
    /// response.set_cookie(Cookie::new("a", "1"))?;
    /// response.set_cookie(Cookie::new("b", "2").http_only(true))?;
    /// let fields: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    /// assert_eq!(fields, ["a=1; Path=/; SameSite=lax", "b=2; HttpOnly; Path=/; SameSite=lax"]);
    /// # Ok::<(), sluice::cookie::InvalidCookie>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidCookie`] for a cookie that cannot be written; nothing is
    /// added then. Passed on with `?`, it is a 500, as Starlette's
    /// `CookieError` is.
    fn set_cookie(&mut self, cookie: Cookie) -> Result<(), InvalidCookie>;

    /// Tells the browser to drop the cookie `name` set with `Path=/` and
    /// no `Domain`, as Starlette's `response.delete_cookie(name)` does.
    /// For a cookie set with another path or a domain, set
    /// [`Cookie::removal`] with them instead.
    ///
    /// ```
    /// use sluice::{IntoResponse, ResponseExt};
    ///
    /// let mut response = "bye".into_response();
    /// response.delete_cookie("session")?;
    /// let field = response.headers()["set-cookie"].to_str().unwrap();
    /// assert!(field.starts_with("session=\"\"; expires="));
    /// assert!(field.ends_with("; Max-Age=0; Path=/; SameSite=lax"));
    /// # Ok::<(), sluice::cookie::InvalidCookie>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidCookie`] for a name that cannot be written.
    fn delete_cookie(&mut self, name: &str) -> Result<(), InvalidCookie>;
}

impl<B> ResponseExt for http::Response<B> {
    fn error(&self) -> Option<&Error> {
        self.extensions().get::<Error>()
    }

    fn set_cookie(&mut self, cookie: Cookie) -> Result<(), InvalidCookie> {
        let value = cookie.to_header_value()?;
        self.headers_mut().append(header::SET_COOKIE, value);
        Ok(())
    }

    fn delete_cookie(&mut self, name: &str) -> Result<(), InvalidCookie> {
        self.set_cookie(Cookie::removal(name.to_owned()))
    }
}

/// Marks a response whose error has not yet been offered to the app's
/// exception handlers (see `App::exception_handler`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unresolved;

/// Marks a response made from an error that no exception handler handled
/// and that became a 500: unless a middleware handles it on the way out
/// (replacing the response, or an [`ErrorHandler`](crate::middleware::ErrorHandler)
/// mapping), the test client reports it as a failure.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unhandled;

/// Attaches `error` to `response` so that outer middleware can see it.
pub(crate) fn attach_error(response: &mut Response, error: Error) {
    let ext = response.extensions_mut();
    ext.insert(error);
    ext.insert(Unresolved);
}

fn with_content_type(body: Body, content_type: &HeaderValue) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type.clone());
    response
}

/// A response with `status` and no body.
pub(crate) fn status_only(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// `{"detail": detail}` with `status`, as FastAPI's HTTP exception handler
/// sends it.
pub(crate) fn detail_response(status: StatusCode, detail: &impl Serialize) -> Response {
    #[derive(Serialize)]
    struct Detail<'a, T: Serialize> {
        detail: &'a T,
    }
    if !body_allowed(status) {
        return status_only(status);
    }
    let mut response = json_response(&Detail { detail });
    *response.status_mut() = status;
    response
}

/// Whether a response with this status may carry a body (not 1xx, 204, 205, 304).
pub(crate) fn body_allowed(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::RESET_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// FastAPI's answer to a body over `max_body_size`: `413 text/plain`.
pub(crate) fn content_too_large() -> Response {
    let mut response = with_content_type(Body::from("Content Too Large"), &TEXT_PLAIN_UTF8);
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response
}

/// The 500 response sent for an error nothing else handled.
pub(crate) fn internal_error_response() -> Response {
    detail_response(StatusCode::INTERNAL_SERVER_ERROR, &"Internal Server Error")
}

impl<B> IntoResponse for http::Response<B>
where
    B: http_body::Body + Send + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<crate::error::BoxError>,
{
    fn into_response(self) -> Response {
        self.map(Body::new)
    }
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        status_only(self)
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), &TEXT_PLAIN_UTF8)
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        String::describe(doc);
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), &TEXT_PLAIN_UTF8)
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        let schema = doc.schema_for::<String>();
        doc.content("text/plain", Some(schema));
    }
}

impl IntoResponse for Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(s) => s.into_response(),
            Cow::Owned(s) => s.into_response(),
        }
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        String::describe(doc);
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), &OCTET_STREAM)
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        doc.content("application/octet-stream", None);
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        Bytes::from(self).into_response()
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        Bytes::describe(doc);
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        Bytes::from_static(self).into_response()
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        Bytes::describe(doc);
    }
}

impl IntoResponse for serde_json::Value {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        doc.json::<serde_json::Value>();
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }

    /// The success's content: errors are not described.
    fn describe(doc: &mut ResponseDoc<'_>) {
        T::describe(doc);
    }

    const __HONOURS_RANGE: bool = T::__HONOURS_RANGE || E::__HONOURS_RANGE;

    fn __into_response_ranged(
        self,
        range: Option<&HeaderValue>,
        if_range: Option<&HeaderValue>,
    ) -> Response {
        match self {
            Ok(value) => value.__into_response_ranged(range, if_range),
            Err(error) => error.__into_response_ranged(range, if_range),
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        T::describe(doc);
    }
}

impl<T: IntoResponse> IntoResponse for (HeaderMap, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        response.headers_mut().extend(self.0);
        response
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        T::describe(doc);
    }

    // Headers added to a `FileResponse` keep its answer to `Range` (they
    // go on the 206 as on the 200).
    const __HONOURS_RANGE: bool = T::__HONOURS_RANGE;

    fn __into_response_ranged(
        self,
        range: Option<&HeaderValue>,
        if_range: Option<&HeaderValue>,
    ) -> Response {
        let mut response = self.1.__into_response_ranged(range, if_range);
        response.headers_mut().extend(self.0);
        response
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, HeaderMap, T) {
    fn into_response(self) -> Response {
        let mut response = (self.1, self.2).into_response();
        *response.status_mut() = self.0;
        response
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        T::describe(doc);
    }
}

impl<K, V, const N: usize, T> IntoResponse for ([(K, V); N], T)
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Display,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        with_header_pairs(self.1.into_response(), self.0)
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        T::describe(doc);
    }

    // As for `(HeaderMap, T)`: a `FileResponse` with headers added still
    // answers `Range`.
    const __HONOURS_RANGE: bool = T::__HONOURS_RANGE;

    fn __into_response_ranged(
        self,
        range: Option<&HeaderValue>,
        if_range: Option<&HeaderValue>,
    ) -> Response {
        with_header_pairs(self.1.__into_response_ranged(range, if_range), self.0)
    }
}

/// `response` with `pairs` set on it, each replacing the header of its
/// name; a name or value that is not valid makes the response a 500 that
/// says which.
fn with_header_pairs<K, V, const N: usize>(mut response: Response, pairs: [(K, V); N]) -> Response
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Display,
{
    for (name, value) in pairs {
        let name = match name.try_into() {
            Ok(name) => name,
            Err(e) => {
                return Error::msg(format!("invalid response header name: {e}")).into_response()
            }
        };
        let value = match value.try_into() {
            Ok(value) => value,
            Err(e) => {
                return Error::msg(format!("invalid value for response header {name}: {e}"))
                    .into_response()
            }
        };
        response.headers_mut().insert(name, value);
    }
    response
}

impl<K, V, const N: usize, T> IntoResponse for (StatusCode, [(K, V); N], T)
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Display,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        let mut response = (self.1, self.2).into_response();
        *response.status_mut() = self.0;
        response
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        T::describe(doc);
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = http_error_response(&self);
        attach_error(&mut response, Error::new(self));
        response
    }
}

pub(crate) fn http_error_response(error: &HttpError) -> Response {
    let mut response = detail_response(error.status(), error.detail());
    for (name, value) in error.headers() {
        response.headers_mut().append(name.clone(), value.clone());
    }
    response
}

pub(crate) fn validation_error_response(error: &ValidationError) -> Response {
    detail_response(StatusCode::UNPROCESSABLE_ENTITY, &error.issues())
}

impl IntoResponse for ValidationError {
    fn into_response(self) -> Response {
        let mut response = validation_error_response(&self);
        attach_error(&mut response, Error::new(self));
        response
    }
}

/// The response an unhandled error gets by default.
pub(crate) fn default_error_response(error: &Error) -> Response {
    if let Some(http) = error.downcast_ref::<HttpError>() {
        http_error_response(http)
    } else if let Some(validation) = error.downcast_ref::<ValidationError>() {
        validation_error_response(validation)
    } else if let Some(body) = error.downcast_ref::<BodyError>() {
        if body.is_too_large() {
            content_too_large()
        } else if body.is_timeout() {
            detail_response(StatusCode::REQUEST_TIMEOUT, &"Request Timeout")
        } else {
            detail_response(
                StatusCode::BAD_REQUEST,
                &"There was an error parsing the body",
            )
        }
    } else {
        internal_error_response()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = default_error_response(&self);
        attach_error(&mut response, self);
        response
    }
}

/// `value` as compact JSON, or a 500 when it cannot be serialised.
fn json_response(value: &impl Serialize) -> Response {
    match json_bytes(value) {
        Ok(bytes) => with_content_type(Body::from(bytes), &APPLICATION_JSON),
        Err(e) => Error::new(e).into_response(),
    }
}

/// A JSON response (and, as an extractor, a JSON request body).
///
/// Serialises `T` compactly with `content-type: application/json`. A value
/// that cannot be serialised gives a 500.
///
/// `T` derives [`JsonSchema`](schemars::JsonSchema) beside serde's trait,
/// whether the body is read or written: the OpenAPI document describes it
/// with it (see [`crate::openapi`]). `serde_json::Value` is any JSON.
///
/// ```
/// use sluice::{App, Json};
/// use schemars::JsonSchema;
/// use serde::Serialize;
///
/// #[derive(Serialize, JsonSchema)]
/// struct Hello { message: &'static str }
///
/// async fn hello() -> Json<Hello> {
///     Json(Hello { message: "Hello, World!" })
/// }
///
/// let app = App::new().get("/hello", hello);
/// ```
///
/// # Reading a body: where serde and pydantic differ
///
/// A request body is checked as FastAPI checks it (content type, empty and
/// malformed bodies, `loc` and pydantic's error types). As in FastAPI,
/// the 422 lists every problem, in the order of the model's fields, after
/// those of the path, query and headers: `{}` for a model with two
/// required fields is two `missing` issues. A struct is read only from a
/// JSON object, never from an array of its fields' values. Numbers and
/// booleans are read as pydantic's lax mode reads them: `" 5 "`,
/// `"1_000"`, `5.0` and `true` are integers, `"2.5"` and `"inf"` floats,
/// `"yes"`, `"off"`, `1` and `0` booleans. `T` is filled by serde, though,
/// and some inputs are still read differently:
///
/// - a string is only a string (as in pydantic), and other types than
///   numbers, booleans and strings are read as serde reads them (a tuple's
///   wrong length, say, is `list_type`, not pydantic's `too_long`);
/// - problems past the first are found by reading the body again with a
///   stand-in value where serde failed, made from `T`'s JSON Schema; where
///   a stand-in does not fit (a custom `Deserialize`), the list stops
///   there, and it is cut at 1,000 problems, or once 256 KiB have been read
///   again (a hostile body's list is not read to its end);
/// - in a `serde_json::Value`, an integer beyond 64 bits becomes the
///   nearest `f64` (Python keeps it exact);
/// - a body nested 128 levels or more is a 400 (FastAPI reads about 960
///   levels, and gives the same 400 from about 980), and `NaN`, `Infinity`
///   or `1e400` is a `json_invalid` (FastAPI takes them in, and fails to
///   send them back: a 500).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize + JsonSchema> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        json_response(&self.0)
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        doc.json::<T>();
    }
}

/// JSON bodies up to this size are written into a buffer kept by each
/// thread and copied out at their exact size; larger ones take the buffer.
const JSON_SCRATCH_KEEP: usize = 16 * 1024;

thread_local! {
    static JSON_SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `value` as compact JSON, floats as Python writes them (see
/// [`floats`]), in one allocation of the exact size: a `Vec` handed to
/// `Bytes` with spare capacity costs a second allocation.
fn json_bytes<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Bytes> {
    let from_scratch = JSON_SCRATCH.try_with(|cell| {
        let mut buf = cell.try_borrow_mut().ok()?;
        buf.clear();
        let bytes = floats::to_writer(&mut *buf, value).map(|()| {
            if buf.len() <= JSON_SCRATCH_KEEP {
                Bytes::copy_from_slice(&buf)
            } else {
                Bytes::from(std::mem::take(&mut *buf))
            }
        });
        if buf.capacity() > JSON_SCRATCH_KEEP {
            *buf = Vec::new();
        }
        Some(bytes)
    });
    match from_scratch {
        Ok(Some(bytes)) => bytes,
        // The buffer is in use further up this thread's stack (a
        // `Serialize` impl that builds a `Json` response), or the thread is
        // exiting.
        _ => {
            let mut buf = Vec::with_capacity(128);
            floats::to_writer(&mut buf, value).map(|()| Bytes::from(buf))
        }
    }
}

/// An HTML response: `content-type: text/html; charset=utf-8`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        with_content_type(self.0.into(), &TEXT_HTML_UTF8)
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        let schema = doc.schema_for::<String>();
        doc.content("text/html", Some(schema));
    }
}

/// The bytes Starlette's `RedirectResponse` percent-encodes in a
/// `location`: all but what Python's
/// `urllib.parse.quote(url, safe=":/%#?=@[]!$&'()*+,;")` leaves alone, that
/// is space, `"`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}` and controls
/// (and, as UTF-8 bytes, every non-ASCII character). `%` is left alone, so
/// a URL already encoded stays as it is.
const LOCATION_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A redirect: a status and a `location` header, with an empty body.
///
/// The location is percent-encoded as Starlette's `RedirectResponse`
/// encodes it: `/café x` goes out as `/caf%C3%A9%20x`, and a line break
/// cannot reach the header.
///
/// ```
/// use sluice::{IntoResponse, Redirect};
///
/// let response = Redirect::to("/login").into_response();
/// assert_eq!(response.status(), 307);
/// assert_eq!(response.headers()["location"], "/login");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Redirect {
    status: StatusCode,
    location: String,
}

impl Redirect {
    /// A 307 Temporary Redirect, the default of Starlette's `RedirectResponse`:
    /// the client repeats the same method and body.
    pub fn to(location: impl Into<String>) -> Self {
        Redirect::temporary(location)
    }

    /// 307 Temporary Redirect.
    pub fn temporary(location: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::TEMPORARY_REDIRECT,
            location: location.into(),
        }
    }

    /// 308 Permanent Redirect.
    pub fn permanent(location: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::PERMANENT_REDIRECT,
            location: location.into(),
        }
    }

    /// 303 See Other: the client follows with a GET.
    pub fn see_other(location: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::SEE_OTHER,
            location: location.into(),
        }
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        let location: Cow<'_, str> =
            percent_encoding::utf8_percent_encode(&self.location, LOCATION_UNSAFE).into();
        match HeaderValue::try_from(location.as_ref()) {
            Ok(location) => {
                let mut response = status_only(self.status);
                response.headers_mut().insert(header::LOCATION, location);
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
                response
            }
            Err(e) => Error::msg(format!("invalid redirect location: {e}")).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_quotes_its_location_as_starlette_does() {
        // Starlette's `RedirectResponse(url).headers["location"]`.
        for (url, location) in [
            ("/caf\u{e9} x", "/caf%C3%A9%20x"),
            (
                "/a\"b<c>{d}|e\\f^g`h",
                "/a%22b%3Cc%3E%7Bd%7D%7Ce%5Cf%5Eg%60h",
            ),
            ("/x\r\nSet-Cookie: a=1", "/x%0D%0ASet-Cookie:%20a=1"),
            (
                "/%41%2F?q=a b&r=\u{e9}#fr ag",
                "/%41%2F?q=a%20b&r=%C3%A9#fr%20ag",
            ),
            (
                "https://ex.com:8080/p;x=1?a=[1]",
                "https://ex.com:8080/p;x=1?a=[1]",
            ),
            ("/~user/\u{7f}", "/~user/%7F"),
            ("/tab\there", "/tab%09here"),
        ] {
            let response = Redirect::to(url).into_response();
            assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{url:?}");
            assert_eq!(response.headers()["location"], location, "{url:?}");
        }
    }

    #[test]
    fn json_is_compact_with_json_content_type() {
        let response = Json(serde_json::json!({"Hello": "World"})).into_response();
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            response.body().as_bytes().map(|b| &b[..]),
            Some(&br#"{"Hello":"World"}"#[..])
        );
    }

    fn body_of(response: &Response) -> Vec<u8> {
        response
            .body()
            .as_bytes()
            .map(|b| b.to_vec())
            .expect("a JSON body is whole")
    }

    #[test]
    fn json_bodies_of_every_size_come_out_whole_and_alone() {
        // Small, larger than the kept buffer, then small again: nothing of
        // one body may show up in the next.
        let big = "x".repeat(JSON_SCRATCH_KEEP + 10);
        let first = Json(serde_json::json!({"a": "bc"})).into_response();
        let large = Json(serde_json::json!({ "big": big })).into_response();
        let last = Json(serde_json::json!([1])).into_response();
        assert_eq!(body_of(&first), br#"{"a":"bc"}"#);
        assert_eq!(
            body_of(&large),
            format!(r#"{{"big":"{big}"}}"#).into_bytes()
        );
        assert_eq!(body_of(&last), b"[1]");
    }

    #[test]
    fn json_of_a_value_that_serialises_json_inside_its_own_serialisation() {
        #[derive(schemars::JsonSchema)]
        struct Nested;
        impl Serialize for Nested {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let inner = Json(serde_json::json!({"inner": true})).into_response();
                let text = String::from_utf8(body_of(&inner)).expect("JSON is UTF-8");
                serializer.serialize_str(&text)
            }
        }
        let response = Json(vec![Nested]).into_response();
        assert_eq!(body_of(&response), br#"["{\"inner\":true}"]"#);
    }

    #[test]
    fn http_error_without_body_for_304() {
        let response = HttpError::new(304, "ignored").into_response();
        assert_eq!(response.status(), 304);
        assert_eq!(response.body().as_bytes().map(|b| b.len()), Some(0));
        assert!(response.error().is_some());
    }

    #[test]
    fn invalid_header_in_tuple_becomes_500_with_the_error() {
        let response = ([("x-bad", "line\nbreak")], "body").into_response();
        assert_eq!(response.status(), 500);
        assert!(response.error().is_some());
    }

    #[test]
    fn plain_error_becomes_500_json() {
        let response = Error::msg("boom").into_response();
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.body().as_bytes().map(|b| &b[..]),
            Some(&br#"{"detail":"Internal Server Error"}"#[..])
        );
        assert_eq!(
            response.error().map(ToString::to_string).as_deref(),
            Some("boom")
        );
    }
}
