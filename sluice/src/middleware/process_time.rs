//! [`ProcessTime`]: how long the rest of the app took, in a response header.
//!
//! The tutorial's first middleware as a built-in: it times the call to
//! `next.run(req)` and puts the elapsed seconds in `X-Process-Time`
//! (e.g. `0.000153`), and optionally a
//! [`Server-Timing`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Server-Timing)
//! entry (`app;dur=0.153`, in milliseconds) so that browsers' developer
//! tools show it.
//!
//! ```
//! use sluice::middleware::ProcessTime;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/", || async { "hi" })
//!     .add_middleware(ProcessTime::new().server_timing("app"));
//! let res = TestClient::new(app).get("/").await;
//! let seconds: f64 = res.header("x-process-time").unwrap().parse().unwrap();
//! assert!(seconds >= 0.0);
//! assert!(res.header("server-timing").unwrap().starts_with("app;dur="));
//! # }
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use http::header::{HeaderName, HeaderValue};

use crate::error::ConfigError;
use crate::hook::{self, Before, Hook};
use crate::middleware::{Middleware, Next};
use crate::request::{Request, RouteMatch};
use crate::response::Response;
use crate::stack::StackEntry;

/// `Server-Timing` (not among `http`'s constants).
static SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Adds the time the rest of the app took to each response: FastAPI's
/// `add_process_time_header` as a configurable built-in.
///
/// The clock starts when the request reaches this middleware and stops when
/// the response head comes back from `next.run` (a streamed body is still
/// being produced then, as in the tutorial). Added last, it times the
/// whole stack; added first, only the route.
///
/// | setting | default | effect |
/// |---|---|---|
/// | [`header`](ProcessTime::header) | `x-process-time` | the header that carries the seconds, e.g. `0.000153` (microsecond precision) |
/// | [`server_timing`](ProcessTime::server_timing) | off | also appends `Server-Timing: <name>;dur=<milliseconds>` |
///
/// The header is set (replacing any value an inner layer set) on every
/// response, errors included. Remember to list it in CORS's
/// `expose_headers` if browser scripts should read it.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProcessTime {
    header: Option<HeaderName>,
    /// The `Server-Timing` metric name, checked to be a token.
    server_timing: Option<String>,
    /// A setting that can never work, reported by `validate`.
    invalid: Option<String>,
}

impl Default for ProcessTime {
    fn default() -> Self {
        ProcessTime::new()
    }
}

impl ProcessTime {
    /// `X-Process-Time` in seconds, no `Server-Timing`.
    pub fn new() -> Self {
        ProcessTime {
            header: Some(HeaderName::from_static("x-process-time")),
            server_timing: None,
            invalid: None,
        }
    }

    /// The name of the header that carries the seconds. An invalid name is
    /// reported when the app is built.
    pub fn header(mut self, name: &str) -> Self {
        match HeaderName::try_from(name) {
            Ok(name) => self.header = Some(name),
            Err(_) => self.invalid = Some(format!("{name:?} is not a valid header name")),
        }
        self
    }

    /// Sends only `Server-Timing` (see [`ProcessTime::server_timing`]), no
    /// seconds header.
    pub fn without_header(mut self) -> Self {
        self.header = None;
        self
    }

    /// Also appends a [`Server-Timing`](https://www.w3.org/TR/server-timing/)
    /// entry `<metric>;dur=<milliseconds>` (e.g. `app;dur=0.153`), which
    /// browsers' developer tools show in the network panel. `metric` must
    /// be an HTTP token (letters, digits, `-`, `_`, ...); an invalid one is
    /// reported when the app is built.
    pub fn server_timing(mut self, metric: &str) -> Self {
        let is_token = !metric.is_empty()
            && metric
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if is_token {
            self.server_timing = Some(metric.to_owned());
        } else {
            self.invalid = Some(format!(
                "{metric:?} is not a valid Server-Timing metric name (an HTTP token)"
            ));
        }
        self
    }
}

impl Hook for ProcessTime {
    type State<'a> = Instant;

    fn before(&self, _req: &mut Request) -> Before<Instant> {
        Before::Pass(Instant::now())
    }

    fn after(
        &self,
        start: Instant,
        response: &mut Response,
        _route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'_, Response>> {
        let elapsed = start.elapsed();
        if let Some(name) = &self.header {
            response
                .headers_mut()
                .insert(name.clone(), seconds_value(elapsed));
        }
        if let Some(metric) = &self.server_timing {
            response
                .headers_mut()
                .append(SERVER_TIMING.clone(), server_timing_value(metric, elapsed));
        }
        None
    }
}

impl Middleware for ProcessTime {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("ProcessTime")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match &self.invalid {
            Some(reason) => Err(ConfigError::middleware("ProcessTime", reason.clone())),
            None => Ok(()),
        }
    }
}

/// A small formatting buffer on the stack: the header value is then cut
/// from the thread's buffer (see `headers::fresh_value`).
struct StackBuf {
    bytes: [u8; 64],
    len: usize,
}

impl StackBuf {
    fn new() -> Self {
        StackBuf {
            bytes: [0; 64],
            len: 0,
        }
    }

    fn into_header_value(self) -> HeaderValue {
        crate::headers::fresh_value(&self.bytes[..self.len])
            .expect("digits, a dot, and a checked token are valid header bytes")
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `seconds.micros`, e.g. `0.000153`: exact integer formatting, never an
/// exponent.
fn seconds_value(elapsed: Duration) -> HeaderValue {
    // Formatted by hand rather than with `write!`: this runs on every
    // response, and the formatting machinery costs more than the rest of
    // the middleware.
    let mut seconds = itoa::Buffer::new();
    let seconds = seconds.format(elapsed.as_secs()).as_bytes();
    let mut text = [0u8; 27]; // 20 digits of u64, the dot, six digits
    text[..seconds.len()].copy_from_slice(seconds);
    text[seconds.len()] = b'.';
    let mut micros = elapsed.subsec_micros();
    let end = seconds.len() + 7;
    for slot in text[seconds.len() + 1..end].iter_mut().rev() {
        *slot = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    crate::headers::fresh_value(&text[..end]).expect("digits and a dot are a valid header value")
}

/// `metric;dur=millis.micros`, e.g. `app;dur=0.153`.
fn server_timing_value(metric: &str, elapsed: Duration) -> HeaderValue {
    let micros = elapsed.as_micros();
    let mut buf = StackBuf::new();
    if write!(buf, "{metric};dur={}.{:03}", micros / 1000, micros % 1000).is_err() {
        // A metric name too long for the stack buffer: format on the heap.
        let text = format!("{metric};dur={}.{:03}", micros / 1000, micros % 1000);
        return HeaderValue::from_str(&text).expect("a checked token and digits");
    }
    buf.into_header_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_have_microsecond_precision_and_no_exponent() {
        assert_eq!(seconds_value(Duration::from_nanos(153_417)), "0.000153");
        assert_eq!(seconds_value(Duration::from_nanos(999)), "0.000000");
        assert_eq!(seconds_value(Duration::from_millis(2_500)), "2.500000");
        assert_eq!(
            seconds_value(Duration::from_secs(u64::MAX)),
            "18446744073709551615.000000"
        );
    }

    #[test]
    fn server_timing_is_in_milliseconds() {
        assert_eq!(
            server_timing_value("app", Duration::from_micros(153)),
            "app;dur=0.153"
        );
        assert_eq!(
            server_timing_value("total", Duration::from_micros(12_345_678)),
            "total;dur=12345.678"
        );
        let long = "m".repeat(100);
        assert_eq!(
            server_timing_value(&long, Duration::from_micros(1)),
            format!("{long};dur=0.001").as_str()
        );
    }
}
