//! [`ErrorHandler`] (alias [`CatchPanic`]): turns panics and unhandled
//! errors from further in into the response you configure.
//!
//! The tutorial's error-handling middleware as a built-in. sluice already
//! catches every panic and error and answers `500
//! {"detail":"Internal Server Error"}`; this middleware decides what those
//! responses look like: a fixed body of your choice, the error's message
//! while debugging, or a response per error type.
//!
//! ```
//! use sluice::middleware::ErrorHandler;
//! use sluice::testing::TestClient;
//! use sluice::{App, Json, StatusCode};
//! use serde_json::json;
//!
//! #[derive(Debug)]
//! struct DatabaseDown;
//! impl std::fmt::Display for DatabaseDown {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.write_str("the database is down")
//!     }
//! }
//! impl std::error::Error for DatabaseDown {}
//!
//! async fn boom() -> Json<()> { panic!("secret internals") }
//! async fn db() -> sluice::Result<Json<()>> { Err(DatabaseDown.into()) }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/boom", boom)
//!     .get("/db", db)
//!     .add_middleware(ErrorHandler::new().map(|_: &DatabaseDown| {
//!         (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"detail": "Try again later"})))
//!     }));
//! // The fallback 500 still counts as a failure for the test client (as in
//! // Starlette): look at the response instead.
//! let client = TestClient::new(app).raise_server_exceptions(false);
//!
//! let res = client.get("/boom").await;
//! assert_eq!(res.status(), 500);
//! assert_eq!(res.text(), r#"{"detail":"Internal Server Error"}"#); // no panic message
//!
//! let res = client.get("/db").await;
//! assert_eq!(res.status(), 503);
//! assert_eq!(res.text(), r#"{"detail":"Try again later"}"#);
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::StatusCode;
use serde_json::json;

use crate::error::{Error, HttpError};
use crate::hook::{self, Before, Hook};
use crate::middleware::{Middleware, Next};
use crate::request::{Request, RouteMatch};
use crate::response::{
    internal_error_response, IntoResponse, Json, Response, ResponseExt, Unhandled, Unresolved,
};
use crate::stack::StackEntry;

/// [`ErrorHandler`] under the name tower-http users look for. sluice
/// catches panics everywhere already; this decides how they are answered.
pub type CatchPanic = ErrorHandler;

type Mapper = Arc<dyn Fn(&Error) -> Option<Response> + Send + Sync>;
type Fallback = Arc<dyn Fn(&Error) -> Response + Send + Sync>;

/// Rewrites the responses of panics and unhandled errors.
///
/// A response coming back from `next.run` is rewritten when it carries an
/// error ([`ResponseExt::error`]):
///
/// 1. If a mapping registered with [`map`](ErrorHandler::map) matches the
///    error's type (tried in the order registered), its response replaces
///    the original, whatever the original status was. [`Panic`](crate::error::Panic)
///    is a type like any other, so `.map(|p: &Panic| ...)` handles panics.
/// 2. Otherwise, if the response is an unhandled error (status 500, and the
///    error is not an [`HttpError`], which the code raised on purpose), it
///    becomes the fallback: `500 {"detail":"Internal Server Error"}` by
///    default, the [`debug`](ErrorHandler::debug) body when debugging, or
///    what [`fallback`](ErrorHandler::fallback) builds.
/// 3. Everything else (404, 405, 422, `HttpError`s, a
///    [`Timeout`](super::Timeout)'s 504, successful responses) passes
///    through untouched.
///
/// The panic message and the error's text never reach the client unless
/// [`debug`](ErrorHandler::debug) is on. The rewritten response keeps the
/// headers that middleware further in added (CORS, `x-request-id`, ...)
/// except the body's own (`content-type`, `content-length`,
/// `content-encoding`), and still carries the error, so outer middleware
/// can log it. (The error itself is already logged by sluice when it
/// happens.)
///
/// A 500 that an [`App::exception_handler`](crate::App::exception_handler)
/// built for an error is an unhandled error too, and gets the fallback;
/// use [`map`](ErrorHandler::map) for those types instead.
///
/// Add it last, so that it is outermost and sees everything, as the
/// tutorial does.
#[derive(Clone)]
#[must_use]
pub struct ErrorHandler {
    mappers: Vec<Mapper>,
    fallback: Option<Fallback>,
    debug: bool,
}

impl fmt::Debug for ErrorHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorHandler")
            .field("mappers", &self.mappers.len())
            .field("fallback", &self.fallback.is_some())
            .field("debug", &self.debug)
            .finish()
    }
}

impl Default for ErrorHandler {
    fn default() -> Self {
        ErrorHandler::new()
    }
}

impl ErrorHandler {
    /// Unhandled errors and panics get `500 {"detail":"Internal Server Error"}`.
    pub fn new() -> Self {
        ErrorHandler {
            mappers: Vec::new(),
            fallback: None,
            debug: false,
        }
    }

    /// Answers errors of type `E` (anywhere in the stack further in, any
    /// status) with what `f` returns, like
    /// [`App::exception_handler`](crate::App::exception_handler) but only
    /// for the requests passing through this middleware.
    pub fn map<E, F, R>(mut self, f: F) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(&E) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.mappers.push(Arc::new(move |error: &Error| {
            error.downcast_ref::<E>().map(|e| f(e).into_response())
        }));
        self
    }

    /// Builds the response for unhandled errors that no
    /// [`map`](ErrorHandler::map) matched (instead of the JSON 500). It is
    /// used even when [`debug`](ErrorHandler::debug) is on.
    pub fn fallback<F, R>(mut self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.fallback = Some(Arc::new(move |error: &Error| f(error).into_response()));
        self
    }

    /// When `true`, the fallback 500 also says what went wrong:
    /// `{"detail":"Internal Server Error","error":"panicked: ...","causes":[...]}`.
    /// The content type stays JSON, so clients behave the same. Never turn
    /// it on in production: error text can hold internals. Off by default.
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// The replacement, and whether it handles the error (a mapping does;
    /// the fallback 500 leaves it unhandled, as Starlette's
    /// `ServerErrorMiddleware` re-raises after answering).
    fn rewrite(&self, error: &Error, status: StatusCode) -> Option<(Response, bool)> {
        if let Some(response) = self.mappers.iter().find_map(|map| map(error)) {
            return Some((response, true));
        }
        if status != StatusCode::INTERNAL_SERVER_ERROR || error.is::<HttpError>() {
            return None;
        }
        let response = if let Some(fallback) = &self.fallback {
            fallback(error)
        } else if self.debug {
            debug_response(error)
        } else {
            internal_error_response()
        };
        Some((response, false))
    }
}

fn debug_response(error: &Error) -> Response {
    let mut causes = Vec::new();
    let mut source = error.as_error().source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let body = json!({
        "detail": "Internal Server Error",
        "error": error.to_string(),
        "causes": causes,
    });
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

impl Hook for ErrorHandler {
    type State<'a> = ();

    fn before(&self, _req: &mut Request) -> Before<()> {
        Before::Pass(())
    }

    fn after(
        &self,
        (): (),
        response: &mut Response,
        _route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'_, Response>> {
        let error = response.error()?;
        let (mut replacement, handled) = self.rewrite(error, response.status())?;
        let (mut parts, _body) = std::mem::take(response).into_parts();
        for name in [
            CONTENT_TYPE,
            CONTENT_LENGTH,
            CONTENT_ENCODING,
            TRANSFER_ENCODING,
        ] {
            parts.headers.remove(name);
        }
        let new_headers = replacement.headers_mut();
        let mut last = None;
        for (name, value) in parts.headers {
            // `HeaderMap::into_iter` gives the name only with the first of
            // several values.
            if let Some(name) = name {
                last = (!new_headers.contains_key(&name)).then_some(name);
            }
            if let Some(name) = &last {
                new_headers.append(name.clone(), value);
            }
        }
        // The original response's extensions go on: its error has been
        // offered to the exception handlers already, so keep it for outer
        // middleware and the logs and do not offer it (or an error the
        // mapping raised) again; work pending on the original response
        // now waits for this one.
        parts.extensions.remove::<Unresolved>();
        if handled {
            parts.extensions.remove::<Unhandled>();
        }
        *replacement.extensions_mut() = parts.extensions;
        *response = replacement;
        None
    }
}

impl Middleware for ErrorHandler {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("ErrorHandler")
    }
}
