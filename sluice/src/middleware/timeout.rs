//! [`Timeout`]: a request that takes too long gets `504` and its work is
//! cancelled.
//!
//! ```
//! use std::time::Duration;
//! use sluice::middleware::Timeout;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! async fn slow() -> &'static str {
//!     tokio::time::sleep(Duration::from_secs(60)).await;
//!     "finally"
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/slow", slow)
//!     .add_middleware(Timeout::new(Duration::from_millis(10)));
//! let res = TestClient::new(app).get("/slow").await;
//! assert_eq!(res.status(), 504);
//! assert_eq!(res.text(), r#"{"detail":"Gateway Timeout"}"#);
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::error::{ConfigError, Error};
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::{attach_error, detail_response, IntoResponse, Response};

type MakeResponse = Arc<dyn Fn() -> Response + Send + Sync>;

/// Gives the rest of the stack a deadline to produce a response.
///
/// When the deadline passes, the work further in (middleware, extractors,
/// the handler) is cancelled: its future is dropped at its current
/// `.await`, so it does not go on using resources for a client that has
/// been answered. The client gets
/// [`504 Gateway Timeout`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/504)
/// with `{"detail":"Gateway Timeout"}` (FastAPI's error shape), or what
/// [`response`](Timeout::response) builds. The response carries a
/// [`TimedOut`] error, so an
/// [`exception handler`](crate::App::exception_handler) or
/// [`ErrorHandler::map`](super::ErrorHandler::map) can rewrite it and
/// access logs see it.
///
/// Why 504: the app answered on behalf of a handler that did not answer in
/// time, which is what 504 says. `408 Request Timeout` would tell the
/// client that *it* was too slow sending the request (and browsers retry
/// it), and `503` suggests the server is overloaded or down.
///
/// Only the time until the response head is limited: a streamed body that
/// the handler has started is not cut off. Blocking code that never
/// reaches an `.await` cannot be cancelled (run it with
/// `tokio::task::spawn_blocking`). The dependencies a cancelled handler had
/// entered are still cleaned up, in the background, with a
/// [`Cancelled`](crate::Cancelled) error in their outcome; its background
/// tasks are dropped.
#[derive(Clone)]
#[must_use]
pub struct Timeout {
    duration: Duration,
    response: Option<MakeResponse>,
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("duration", &self.duration)
            .field("response", &self.response.is_some())
            .finish()
    }
}

impl Timeout {
    /// Cancels requests that take longer than `duration` (which must not
    /// be zero; that is reported when the app is built).
    pub fn new(duration: Duration) -> Self {
        Timeout {
            duration,
            response: None,
        }
    }

    /// Answers timed-out requests with what `f` returns instead of the
    /// JSON 504.
    pub fn response<F, R>(mut self, f: F) -> Self
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.response = Some(Arc::new(move || f().into_response()));
        self
    }
}

impl Middleware for Timeout {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        Ok(
            match tokio::time::timeout(self.duration, next.run(req)).await {
                Ok(response) => response,
                Err(_elapsed) => {
                    let mut response = match &self.response {
                        Some(make) => make(),
                        None => detail_response(StatusCode::GATEWAY_TIMEOUT, &"Gateway Timeout"),
                    };
                    attach_error(
                        &mut response,
                        Error::new(TimedOut {
                            after: self.duration,
                        }),
                    );
                    response
                }
            },
        )
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("Timeout")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.duration.is_zero() {
            return Err(ConfigError::middleware(
                "Timeout",
                "the duration must be more than zero",
            ));
        }
        Ok(())
    }
}

/// The error carried by the response of a request that [`Timeout`]
/// cancelled.
#[derive(Debug, Clone)]
pub struct TimedOut {
    after: Duration,
}

impl TimedOut {
    /// The deadline that passed.
    pub fn after(&self) -> Duration {
        self.after
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request timed out after {:?}", self.after)
    }
}

impl std::error::Error for TimedOut {}
