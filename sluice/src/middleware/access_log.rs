//! [`AccessLog`]: one structured `tracing` event per request.
//!
//! The tutorial's logging middleware as a built-in. Each request yields one
//! event on the target `sluice::access` with the fields `method`, `path`,
//! `status`, `latency_ms`, `bytes`, `request_id` (when
//! [`RequestId`](super::RequestId) runs outside it) and `client`. When the
//! level is not enabled, it does nothing at all: no clock, no copies, no
//! formatting.
//!
//! ```
//! use sluice::middleware::AccessLog;
//! use sluice::testing::TestClient;
//! use sluice::App;
//! use tracing::Level;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // With a subscriber such as `tracing_subscriber::fmt().init()`, this logs e.g.
//! // INFO sluice::access: request completed method=GET path=/ status=200 latency_ms=0.02 bytes=2 client=127.0.0.1:50000
//! let app = App::new()
//!     .get("/", || async { "hi" })
//!     .add_middleware(AccessLog::new().level(Level::INFO));
//! let res = TestClient::new(app).get("/").await;
//! assert_eq!(res.text(), "hi");
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Method, StatusCode, Uri};
use http_body::{Frame, SizeHint};
use tracing::Level;

use super::request_id::ReqId;
use crate::body::Body;
use crate::error::BoxError;
use crate::hook::{self, Before, Hook, Slot, Stash};
use crate::middleware::{Middleware, Next};
use crate::request::{ClientAddr, Request, RouteMatch};
use crate::response::Response;
use crate::stack::StackEntry;

/// The `tracing` target of the access log events: filter on it, e.g.
/// `RUST_LOG=sluice::access=info`.
pub const ACCESS_LOG_TARGET: &str = "sluice::access";

/// Logs one structured `tracing` event per request.
///
/// | field | value |
/// |---|---|
/// | `method` | the request method |
/// | `path` | the path as sent (percent-encoded), **without the query string**, which may carry credentials |
/// | `status` | the response status |
/// | `latency_ms` | milliseconds until the response head came back; for a streamed body, until its last byte was produced |
/// | `bytes` | body bytes sent (0 for HEAD) |
/// | `request_id` | the [`ReqId`] put in the request's extensions by [`RequestId`](super::RequestId), when present |
/// | `client` | the client ([`Request::client`]: as [`ProxyHeaders`](super::ProxyHeaders) reports it, else the peer's socket address), when known |
///
/// The level is [`Level::INFO`] unless set with [`AccessLog::level`]. The
/// event is emitted when the response head is ready if the body's size is
/// known, and when the body has been sent (or dropped, if the client went
/// away) for a streamed body.
///
/// Nothing a client controls is logged unescaped: headers are not logged
/// at all, and the path (which the HTTP parser already limits to visible
/// characters) is logged with anything other than visible ASCII, `"` and
/// `\` escaped, so no client can start a new line or a fake field. Put it
/// inside [`RequestId`](super::RequestId) (add it first) so that the event
/// carries the request id and sits in the request span.
#[derive(Debug, Clone)]
#[must_use]
pub struct AccessLog {
    level: Level,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog::new()
    }
}

impl AccessLog {
    /// Logs at `INFO`.
    pub fn new() -> Self {
        AccessLog { level: Level::INFO }
    }

    /// The level of the events.
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

impl Stash for (Record, bool) {
    fn stash(self) -> Slot {
        Slot::Other(Box::new(self))
    }

    fn unstash(slot: Slot) -> Option<Self> {
        slot.take_other()
    }
}

impl Hook for AccessLog {
    /// What is known of the request, and whether it is a `HEAD`.
    type State<'a> = (Record, bool);

    fn before(&self, req: &mut Request) -> Before<(Record, bool)> {
        let record = Record {
            level: self.level,
            method: req.method().clone(),
            uri: req.uri().clone(),
            status: StatusCode::OK,
            start: Instant::now(),
            request_id: req.extensions().get::<ReqId>().cloned(),
            client: req.client(),
        };
        Before::Pass((record, req.method() == Method::HEAD))
    }

    fn after<'a>(
        &'a self,
        (mut record, head): (Record, bool),
        response: &mut Response,
        _route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'a, Response>> {
        record.status = response.status();
        let known = if head {
            Some(0)
        } else {
            http_body::Body::size_hint(response.body()).exact()
        };
        match known {
            Some(bytes) => record.emit(bytes),
            None => {
                let body = std::mem::take(response.body_mut());
                *response.body_mut() = Body::new(Counted {
                    inner: body,
                    sent: 0,
                    record: Some(record),
                });
            }
        }
        None
    }
}

impl Middleware for AccessLog {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("AccessLog")
    }

    /// While its level is disabled, nothing would be written: the request
    /// passes without a layer's cost. Checked per request, so a level
    /// enabled later (a reloaded filter) takes effect at once.
    fn skips(&self, _req: &Request) -> bool {
        !level_enabled(self.level)
    }
}

fn level_enabled(level: Level) -> bool {
    if level == Level::ERROR {
        tracing::enabled!(target: ACCESS_LOG_TARGET, Level::ERROR)
    } else if level == Level::WARN {
        tracing::enabled!(target: ACCESS_LOG_TARGET, Level::WARN)
    } else if level == Level::INFO {
        tracing::enabled!(target: ACCESS_LOG_TARGET, Level::INFO)
    } else if level == Level::DEBUG {
        tracing::enabled!(target: ACCESS_LOG_TARGET, Level::DEBUG)
    } else {
        tracing::enabled!(target: ACCESS_LOG_TARGET, Level::TRACE)
    }
}

/// What one event says, gathered while the request is handled.
pub(crate) struct Record {
    level: Level,
    method: Method,
    uri: Uri,
    status: StatusCode,
    start: Instant,
    request_id: Option<ReqId>,
    client: Option<ClientAddr>,
}

macro_rules! access_event {
    ($level:expr, $record:expr, $bytes:expr) => {{
        let record = $record;
        tracing::event!(
            target: ACCESS_LOG_TARGET,
            $level,
            method = %record.method,
            path = %Escaped(record.uri.path()),
            status = record.status.as_u16(),
            latency_ms = record.start.elapsed().as_secs_f64() * 1000.0,
            bytes = $bytes,
            request_id = record.request_id.as_ref().map(ReqId::as_str),
            client = record.client.as_ref().map(|c| tracing::field::display(EscapedClient(c))),
            "request completed"
        )
    }};
}

impl Record {
    fn emit(&self, bytes: u64) {
        if self.level == Level::ERROR {
            access_event!(Level::ERROR, self, bytes);
        } else if self.level == Level::WARN {
            access_event!(Level::WARN, self, bytes);
        } else if self.level == Level::INFO {
            access_event!(Level::INFO, self, bytes);
        } else if self.level == Level::DEBUG {
            access_event!(Level::DEBUG, self, bytes);
        } else {
            access_event!(Level::TRACE, self, bytes);
        }
    }
}

/// Text from the client, written with everything but visible ASCII (and
/// `"`, `\`) escaped, so that it cannot break a log line or fake a field.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let safe = |c: char| c.is_ascii_graphic() && c != '"' && c != '\\';
        let mut rest = self.0;
        while let Some(pos) = rest.find(|c: char| !safe(c)) {
            f.write_str(&rest[..pos])?;
            let c = rest[pos..]
                .chars()
                .next()
                .expect("find returned the position of a char");
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c => write!(f, "{}", c.escape_unicode())?,
            }
            rest = &rest[pos + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// The client for the log: a proxy-reported host is text from the client,
/// escaped like the path.
struct EscapedClient<'a>(&'a ClientAddr);

impl fmt::Display for EscapedClient<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.text() {
            None => self.0.fmt(f),
            Some(_) => Escaped(&self.0.to_string()).fmt(f),
        }
    }
}

/// A streamed response body that counts what is sent and emits the event
/// when it ends or is dropped.
struct Counted {
    inner: Body,
    sent: u64,
    record: Option<Record>,
}

impl Counted {
    fn finish(&mut self) {
        if let Some(record) = self.record.take() {
            record.emit(self.sent);
        }
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.sent += data.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.finish();
                }
            }
            Poll::Ready(None | Some(Err(_))) => this.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::Escaped;

    #[test]
    fn escapes_what_could_forge_a_line_or_a_field() {
        let show = |s: &str| Escaped(s).to_string();
        assert_eq!(show("/items/42?x"), "/items/42?x");
        assert_eq!(show("/a\nb"), "/a\\u{a}b");
        assert_eq!(show("/a b"), "/a\\u{20}b");
        assert_eq!(show("/a\"b\\c"), "/a\\\"b\\\\c");
        assert_eq!(show("/caf\u{e9}"), "/caf\\u{e9}");
        assert_eq!(
            show("/\u{85}\u{2028}\u{202e}"),
            "/\\u{85}\\u{2028}\\u{202e}"
        );
    }
}
