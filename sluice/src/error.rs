//! Public error types.
//!
//! - [`HttpError`] is FastAPI's `HTTPException`: return it (or `?` it) from a
//!   handler or a middleware and the client gets its status, detail and
//!   headers.
//! - [`Error`] carries any failure out of a handler or middleware. Unless it
//!   holds an [`HttpError`], [`ValidationError`] or a type with a registered
//!   exception handler, it becomes `500 {"detail":"Internal Server Error"}`.
//!   The response keeps the original error in its extensions, so outer
//!   middleware can inspect it (see [`ResponseExt::error`](crate::ResponseExt::error)).
//! - [`ValidationError`] is FastAPI's `RequestValidationError`: the 422 with a
//!   `detail` list.
//! - [`ConfigError`] reports a configuration mistake when the app is built.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::{HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::Value;

/// A boxed error, as used by bodies and tower services.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Any failure raised by a handler, a middleware or a dependency.
///
/// Every `std::error::Error + Send + Sync + 'static` converts into it, so `?`
/// works on any fallible call. It is cheap to clone (the original error is
/// shared), which is how a response can carry it in its extensions.
///
/// ```
/// use sluice::{Error, HttpError};
///
/// let err = Error::from(HttpError::new(404, "no such item"));
/// assert_eq!(err.status().as_u16(), 404);
/// assert!(err.downcast_ref::<HttpError>().is_some());
///
/// let err = Error::msg("database is gone");
/// assert_eq!(err.status().as_u16(), 500);
/// assert_eq!(err.to_string(), "database is gone");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Arc<dyn std::error::Error + Send + Sync>,
}

impl Error {
    /// Wraps an error.
    pub fn new<E>(error: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Error {
            inner: Arc::new(error),
        }
    }

    /// An error made of a message only.
    pub fn msg(message: impl fmt::Display) -> Self {
        Error::new(Message(message.to_string()))
    }

    pub(crate) fn from_boxed(error: BoxError) -> Self {
        Error {
            inner: Arc::from(error),
        }
    }

    /// The original error, if it is a `T`.
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.inner.downcast_ref::<T>()
    }

    /// Whether the original error is a `T`.
    pub fn is<T: std::error::Error + 'static>(&self) -> bool {
        self.inner.is::<T>()
    }

    /// The status this error turns into when nothing else handles it: the
    /// status of an [`HttpError`], 422 for a [`ValidationError`], 413 for a
    /// body over the limit, 408 for a body that stalled, 400 for a body that
    /// broke off, 500 otherwise.
    pub fn status(&self) -> StatusCode {
        if let Some(http) = self.downcast_ref::<HttpError>() {
            http.status()
        } else if self.is::<ValidationError>() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else if let Some(body) = self.downcast_ref::<BodyError>() {
            if body.is_too_large() {
                StatusCode::PAYLOAD_TOO_LARGE
            } else if body.is_timeout() {
                StatusCode::REQUEST_TIMEOUT
            } else {
                StatusCode::BAD_REQUEST
            }
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }

    /// The original error as a trait object, e.g. to walk its `source()` chain.
    pub fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.inner
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Error::new(error)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.inner, f)
    }
}

#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

/// An HTTP error with a status, a `detail` and optional headers: FastAPI's
/// `HTTPException`.
///
/// Its response is `{"detail": <detail>}` as JSON with the given status and
/// headers (no body for statuses that forbid one, such as 204 and 304).
///
/// ```
/// use sluice::{HttpError, IntoResponse};
///
/// let err = HttpError::new(401, "Unauthorized").with_header("www-authenticate", "Bearer");
/// let response = err.into_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], "Bearer");
/// ```
#[derive(Debug, Clone)]
pub struct HttpError {
    status: StatusCode,
    detail: Value,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl HttpError {
    /// An error with this status and detail. The detail may be any JSON
    /// value: a string (the usual case), an object or a list.
    ///
    /// # Panics
    ///
    /// When `status` is a `u16` outside 100..=999, which is a programming
    /// mistake.
    #[track_caller]
    pub fn new(status: impl IntoStatusCode, detail: impl Into<Value>) -> Self {
        HttpError {
            status: status.into_status_code(),
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// An error whose detail is the status's reason phrase, as FastAPI does
    /// when no detail is given (`404` gives `"Not Found"`).
    #[track_caller]
    pub fn from_status(status: impl IntoStatusCode) -> Self {
        let status = status.into_status_code();
        HttpError::new(status, status.canonical_reason().unwrap_or(""))
    }

    /// Adds a header to the error's response.
    ///
    /// # Panics
    ///
    /// When the name or value is not a valid header name or value. Use
    /// [`HttpError::try_with_header`] for values that come from outside.
    #[must_use]
    #[track_caller]
    pub fn with_header<K, V>(self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Debug,
    {
        let (name, value) = crate::headers::header_pair(name, value);
        self.with_typed_header(name, value)
    }

    /// Adds a header, failing when the name or value is invalid.
    ///
    /// # Errors
    ///
    /// [`http::Error`] when the name or the value is not valid in a header.
    pub fn try_with_header<K, V>(self, name: K, value: V) -> Result<Self, http::Error>
    where
        K: TryInto<HeaderName>,
        K::Error: Into<http::Error>,
        V: TryInto<HeaderValue>,
        V::Error: Into<http::Error>,
    {
        let name = name.try_into().map_err(Into::into)?;
        let value = value.try_into().map_err(Into::into)?;
        Ok(self.with_typed_header(name, value))
    }

    fn with_typed_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The detail sent as `{"detail": ...}`.
    pub fn detail(&self) -> &Value {
        &self.detail
    }

    /// The extra headers of the response.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.headers.iter().map(|(k, v)| (k, v))
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Value::String(detail) => write!(f, "{}: {detail}", self.status.as_u16()),
            other => write!(f, "{}: {other}", self.status.as_u16()),
        }
    }
}

impl std::error::Error for HttpError {}

/// Something that names an HTTP status: a [`StatusCode`] or a `u16`.
pub trait IntoStatusCode {
    /// The status code.
    ///
    /// # Panics
    ///
    /// For a `u16` outside 100..=999.
    fn into_status_code(self) -> StatusCode;
}

impl IntoStatusCode for StatusCode {
    fn into_status_code(self) -> StatusCode {
        self
    }
}

impl IntoStatusCode for u16 {
    #[track_caller]
    fn into_status_code(self) -> StatusCode {
        match StatusCode::from_u16(self) {
            Ok(status) => status,
            Err(_) => panic!("{self} is not an HTTP status code (100..=999)"),
        }
    }
}

/// One entry of a 422 response's `detail` list, in FastAPI's (pydantic's)
/// shape: `{"type", "loc", "msg", "input"}` plus an optional `ctx`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ValidationIssue {
    /// The machine-readable kind, e.g. `int_parsing`, `missing`, `json_invalid`.
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Where the input was: `["path", "item_id"]`, `["query", "q"]`,
    /// `["body", "name"]`.
    pub loc: Vec<Value>,
    /// A human-readable message.
    pub msg: Cow<'static, str>,
    /// The offending input (`null` when it is missing).
    pub input: Value,
    /// Extra context, e.g. the JSON decoder's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl ValidationIssue {
    /// An issue with no context.
    pub fn new(
        kind: impl Into<Cow<'static, str>>,
        loc: Vec<Value>,
        msg: impl Into<Cow<'static, str>>,
        input: Value,
    ) -> Self {
        ValidationIssue {
            kind: kind.into(),
            loc,
            msg: msg.into(),
            input,
            ctx: None,
        }
    }
}

/// Invalid request input (path, query, headers or body): FastAPI's
/// `RequestValidationError`, answered with `422 {"detail":[...]}`.
///
/// Register an exception handler for it on the app to change that answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationError {
    issues: Vec<ValidationIssue>,
}

impl ValidationError {
    /// An error made of these issues.
    pub fn new(issues: Vec<ValidationIssue>) -> Self {
        ValidationError { issues }
    }

    /// An error with a single issue.
    pub fn single(issue: ValidationIssue) -> Self {
        ValidationError {
            issues: vec![issue],
        }
    }

    /// The issues, in the order they were found.
    pub fn issues(&self) -> &[ValidationIssue] {
        &self.issues
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} validation error(s)", self.issues.len())?;
        for issue in &self.issues {
            let loc: Vec<String> = issue
                .loc
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            write!(f, "; {}: {}", loc.join("."), issue.msg)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// A handler, middleware, background task or cleanup panicked.
///
/// The client gets a 500 without the message; the response carries this
/// error so that middleware can log it.
#[derive(Debug, Clone)]
pub struct Panic {
    message: String,
}

impl Panic {
    pub(crate) fn from_payload(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a non-string panic payload".to_owned()
        };
        Panic { message }
    }

    /// The panic message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panicked: {}", self.message)
    }
}

impl std::error::Error for Panic {}

/// [`Request::url_for`](crate::Request::url_for) found no route: no route
/// has the name, the parameters are not exactly the route's, or a
/// parameter other than a `{name:path}` holds a `/`. Starlette's
/// `NoMatchFound`, with its message; returned with `?`, a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlForError {
    message: String,
}

impl UrlForError {
    pub(crate) fn no_route<'a>(name: &str, params: impl Iterator<Item = &'a str>) -> Self {
        let params: Vec<&str> = params.collect();
        UrlForError {
            message: format!(
                "No route exists for name \"{name}\" and params \"{}\".",
                params.join(", ")
            ),
        }
    }

    pub(crate) fn separator(name: &str, param: &str, value: &str) -> Self {
        UrlForError {
            message: format!(
                "the parameter {param:?} of route \"{name}\" may not hold a path separator: {value:?}"
            ),
        }
    }
}

impl fmt::Display for UrlForError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UrlForError {}

/// Reading a body failed: the stream broke or it was larger than allowed.
#[derive(Debug)]
pub struct BodyError {
    kind: BodyErrorKind,
}

#[derive(Debug)]
enum BodyErrorKind {
    TooLarge { limit: usize },
    TimedOut { after: std::time::Duration },
    Stream(BoxError),
}

impl BodyError {
    pub(crate) fn too_large(limit: usize) -> Self {
        BodyError {
            kind: BodyErrorKind::TooLarge { limit },
        }
    }

    pub(crate) fn timed_out(after: std::time::Duration) -> Self {
        BodyError {
            kind: BodyErrorKind::TimedOut { after },
        }
    }

    pub(crate) fn from_box(error: BoxError) -> Self {
        // A body wrapper (e.g. `middleware::BodyLimit`) may fail with a
        // `BodyError` itself: keep it, so "too large" stays a 413.
        match error.downcast::<BodyError>() {
            Ok(body_error) => *body_error,
            Err(error) => BodyError {
                kind: BodyErrorKind::Stream(error),
            },
        }
    }

    /// Whether the body was larger than the limit in force.
    pub fn is_too_large(&self) -> bool {
        matches!(self.kind, BodyErrorKind::TooLarge { .. })
    }

    /// Whether the client stopped sending the body for longer than the
    /// server's body idle timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, BodyErrorKind::TimedOut { .. })
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyErrorKind::TooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            BodyErrorKind::TimedOut { after } => {
                write!(f, "the client sent no body data for {after:?}")
            }
            BodyErrorKind::Stream(e) => write!(f, "failed to read the body: {e}"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            BodyErrorKind::TooLarge { .. } | BodyErrorKind::TimedOut { .. } => None,
            BodyErrorKind::Stream(e) => Some(&**e),
        }
    }
}

/// A configuration mistake, found when the app is built.
///
/// ```
/// use sluice::{App, ConfigError};
///
/// async fn handler() -> &'static str { "hi" }
///
/// let app = App::new().get("/a", handler).get("/a", handler);
/// let err = app.build().unwrap_err();
/// assert!(matches!(err, ConfigError::DuplicateRoute { .. }));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConfigError {
    /// Two routes claim the same method and path.
    DuplicateRoute {
        /// The method.
        method: http::Method,
        /// The path.
        path: String,
    },
    /// A path the router cannot accept (bad syntax, or it conflicts with
    /// another route).
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// A middleware's settings can never work.
    Middleware {
        /// The middleware's name.
        middleware: String,
        /// The offending setting or input.
        reason: String,
    },
    /// The OpenAPI document cannot be right (e.g. two operations with the
    /// same id).
    OpenApi {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A handler whose arguments cannot work on its route (e.g. a
    /// `Query<T>` whose `T` does not read named parameters, or a `Path<T>`
    /// that names a parameter the route lacks).
    Handler {
        /// The route's method.
        method: http::Method,
        /// The route's path.
        path: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

impl ConfigError {
    /// A middleware setting that can never work.
    pub fn middleware(middleware: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::Middleware {
            middleware: middleware.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::DuplicateRoute { method, path } => {
                write!(f, "route {method} {path} is declared twice")
            }
            ConfigError::InvalidPath { path, reason } => {
                write!(f, "invalid route path {path:?}: {reason}")
            }
            ConfigError::Middleware { middleware, reason } => {
                write!(f, "invalid {middleware} configuration: {reason}")
            }
            ConfigError::OpenApi { reason } => {
                write!(f, "the OpenAPI document cannot be built: {reason}")
            }
            ConfigError::Handler {
                method,
                path,
                reason,
            } => write!(f, "the handler of {method} {path} cannot work: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}
