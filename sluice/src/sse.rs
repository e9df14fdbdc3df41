//! Server-sent events: [`Sse`] streams [`Event`]s as `text/event-stream`,
//! as FastAPI's `EventSourceResponse` does.
//!
//! Return an `Sse` from a handler, built from any stream whose items are
//! [`Event`]s, [`Json`] values (each sent as the JSON of one event's
//! `data`, as FastAPI sends what a generator yields) or `Result`s of
//! either. The JSON is compact and UTF-8, as FastAPI writes the items of a
//! generator annotated with their model (`AsyncIterable[Item]`); an
//! unannotated generator's dicts get `json.dumps`' spaces and `\u`
//! escapes there. Floats are written as sluice's [`Json`] writes them
//! (`1e-05`, where pydantic writes `0.00001`). The response is FastAPI's:
//!
//! - `content-type: text/event-stream; charset=utf-8`,
//!   `cache-control: no-cache` and `x-accel-buffering: no` (so that nginx
//!   passes each event on at once);
//! - each event written as FastAPI's `format_sse_event` writes it: `: `
//!   comment lines, `event:`, one `data:` line per line of the data, `id:`,
//!   `retry:`, then a blank line;
//! - `: ping` sent after 15 seconds without an event (FastAPI's interval;
//!   [`Sse::keep_alive`] changes it), so that proxies do not close an idle
//!   stream.
//!
//! ```
//! use futures::stream;
//! use serde::Serialize;
//! use sluice::sse::{Event, Sse, Stream};
//! use sluice::testing::TestClient;
//! use sluice::{App, Json};
//!
//! #[derive(Serialize)]
//! struct Item {
//!     name: &'static str,
//! }
//!
//! async fn items() -> Sse<impl Stream<Item = Json<Item>>> {
//!     Sse::new(stream::iter([Json(Item { name: "a" }), Json(Item { name: "b" })]))
//! }
//!
//! async fn updates() -> Sse<impl Stream<Item = Event>> {
//!     Sse::new(stream::iter([
//!         Event::data("line 1\nline 2").event("update").id("7"),
//!     ]))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().get("/items", items).get("/updates", updates));
//! let res = client.get("/items").await;
//! assert_eq!(res.header("content-type"), Some("text/event-stream; charset=utf-8"));
//! assert_eq!(res.text(), "data: {\"name\":\"a\"}\n\ndata: {\"name\":\"b\"}\n\n");
//! let res = client.get("/updates").await;
//! assert_eq!(res.text(), "event: update\ndata: line 1\ndata: line 2\nid: 7\n\n");
//! # }
//! ```
//!
//! An item that is an `Err`, or an event that cannot be written (an
//! `event` or `id` holding a line break, an `id` holding a NUL), ends the
//! stream there, as an exception in FastAPI's generator does: the client
//! sees the connection end before the last chunk, and the error is
//! logged.
//!
//! In the OpenAPI document the response is `text/event-stream` content
//! without a schema: FastAPI describes the items with OpenAPI 3.2's
//! `itemSchema`, which the 3.1 document sluice writes cannot hold.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
/// The trait of what an [`Sse`] sends (futures' `Stream`), for writing
/// `Sse<impl Stream<Item = Event>>`.
pub use futures_util::Stream;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::HeaderName;
use serde::Serialize;

use crate::body::Body;
use crate::error::BoxError;
use crate::floats;
use crate::openapi::ResponseDoc;
use crate::response::{IntoResponse, Json, Response};

/// FastAPI's interval between keep-alive comments.
const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// What is sent when the stream has been idle for the keep-alive interval.
const KEEP_ALIVE: &[u8] = b": ping\n\n";

static X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

/// One server-sent event: FastAPI's `ServerSentEvent`.
///
/// ```
/// use std::time::Duration;
/// use sluice::sse::Event;
///
/// let event = Event::json(&[1, 2])
///     .unwrap()
///     .event("numbers")
///     .id("42")
///     .retry(Duration::from_secs(3))
///     .comment("two of them");
/// assert_eq!(
///     event.to_bytes().unwrap(),
///     ": two of them\nevent: numbers\ndata: [1,2]\nid: 42\nretry: 3000\n\n"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Event {
    comment: Option<String>,
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    retry: Option<u128>,
}

impl Event {
    /// An event whose `data` is `text` as it is (FastAPI's `raw_data`): one
    /// `data:` line per line of it.
    pub fn data(text: impl Into<String>) -> Self {
        Event {
            data: Some(text.into()),
            ..Event::default()
        }
    }

    /// An event whose `data` is `value` as compact JSON, floats written as
    /// Python writes them (as a yielded item in FastAPI; a string is
    /// quoted).
    ///
    /// # Errors
    ///
    /// serde's error for a value that cannot be written as JSON.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Self> {
        let mut out = Vec::new();
        floats::to_writer(&mut out, value)?;
        // serde_json writes UTF-8.
        let text = String::from_utf8(out).map_err(serde::ser::Error::custom)?;
        Ok(Event::data(text))
    }

    /// An event with only a comment: `: text` lines, which clients ignore.
    pub fn comment_only(text: impl Into<String>) -> Self {
        Event::default().comment(text)
    }

    /// The event type (`event:`), which `addEventListener` listens for.
    /// Without one, clients dispatch a `message` event. A single line.
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.event = Some(name.into());
        self
    }

    /// The event id (`id:`), which a reconnecting `EventSource` sends back
    /// in `Last-Event-ID`. A single line, without NUL.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// How long a client waits before reconnecting (`retry:`, in
    /// milliseconds).
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after.as_millis());
        self
    }

    /// A comment (`: ` lines), sent before the fields.
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// The event as it goes on the wire.
    ///
    /// # Errors
    ///
    /// [`InvalidEvent`] for an `event` or `id` holding a line break, or an
    /// `id` holding a NUL.
    pub fn to_bytes(&self) -> Result<Bytes, InvalidEvent> {
        let single_line =
            |v: &Option<String>| v.as_deref().is_none_or(|v| !v.contains(['\r', '\n']));
        if !single_line(&self.event) {
            return Err(InvalidEvent("an SSE event name must be a single line"));
        }
        if !single_line(&self.id) || self.id.as_deref().is_some_and(|id| id.contains('\0')) {
            return Err(InvalidEvent("an SSE id must be a single line without NUL"));
        }
        let mut out = Vec::new();
        if let Some(comment) = &self.comment {
            for line in lines(comment) {
                field(&mut out, ":", line);
            }
        }
        if let Some(event) = &self.event {
            field(&mut out, "event:", event);
        }
        if let Some(data) = &self.data {
            for line in lines(data) {
                field(&mut out, "data:", line);
            }
        }
        if let Some(id) = &self.id {
            field(&mut out, "id:", id);
        }
        if let Some(retry) = self.retry {
            field(&mut out, "retry:", itoa::Buffer::new().format(retry));
        }
        // The blank line that ends the event (alone, for an event with no
        // field, as FastAPI writes one).
        out.push(b'\n');
        Ok(Bytes::from(out))
    }
}

/// Writes `name value\n` (`name` with its colon).
fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// The lines of `text`, split at `\r\n`, `\r` and `\n` as the SSE format
/// reads them; a trailing line break gives a last empty line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(at) => {
                let skip = if text[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[at + skip..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// An event that cannot be written (see [`Event::to_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEvent(&'static str);

impl fmt::Display for InvalidEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InvalidEvent {}

/// What an [`Sse`] stream may yield: an [`Event`], a [`Json`] value (the
/// data of one event), or a `Result` of either, whose error ends the
/// stream.
pub trait IntoEvent: Send + 'static {
    /// The event, or why the stream ends here.
    ///
    /// # Errors
    ///
    /// What ends the stream: the item's own error, or one writing it.
    fn into_event(self) -> Result<Event, BoxError>;
}

impl IntoEvent for Event {
    fn into_event(self) -> Result<Event, BoxError> {
        Ok(self)
    }
}

impl<T: Serialize + Send + 'static> IntoEvent for Json<T> {
    fn into_event(self) -> Result<Event, BoxError> {
        Ok(Event::json(&self.0)?)
    }
}

impl<T: IntoEvent, E: Into<BoxError> + Send + 'static> IntoEvent for Result<T, E> {
    fn into_event(self) -> Result<Event, BoxError> {
        self.map_err(Into::into)?.into_event()
    }
}

/// A `text/event-stream` response (see the [module docs](self)): FastAPI's
/// `EventSourceResponse`.
#[must_use]
pub struct Sse<S> {
    stream: S,
    keep_alive: Option<Duration>,
}

impl<S> fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<S> Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoEvent,
{
    /// The events of `stream`, with a `: ping` after every 15 idle seconds.
    pub fn new(stream: S) -> Self {
        Sse {
            stream,
            keep_alive: Some(DEFAULT_KEEP_ALIVE),
        }
    }

    /// Sends `: ping` after `interval` without an event (default 15
    /// seconds, as FastAPI).
    pub fn keep_alive(mut self, interval: Duration) -> Self {
        self.keep_alive = Some(interval);
        self
    }

    /// Sends no keep-alive comments.
    pub fn no_keep_alive(mut self) -> Self {
        self.keep_alive = None;
        self
    }
}

impl<S> IntoResponse for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoEvent,
{
    fn into_response(self) -> Response {
        let events = Events {
            stream: Box::pin(self.stream),
            interval: self.keep_alive,
            idle: self
                .keep_alive
                .map(|every| Box::pin(tokio::time::sleep(every))),
            ended: false,
        };
        let mut response = Response::new(Body::from_stream(events));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream; charset=utf-8"),
        );
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(X_ACCEL_BUFFERING.clone(), HeaderValue::from_static("no"));
        response
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        doc.content("text/event-stream", None);
    }
}

/// The body's chunks: each event written, and a ping whenever the stream
/// has been idle for the interval.
struct Events<S> {
    stream: Pin<Box<S>>,
    interval: Option<Duration>,
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
    ended: bool,
}

impl<S> Stream for Events<S>
where
    S: Stream,
    S::Item: IntoEvent,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        match this.stream.as_mut().poll_next(cx) {
            Poll::Ready(Some(item)) => {
                if let (Some(idle), Some(every)) = (this.idle.as_mut(), this.interval) {
                    idle.as_mut().reset(tokio::time::Instant::now() + every);
                }
                let written = item
                    .into_event()
                    .and_then(|event| event.to_bytes().map_err(Into::into));
                if let Err(error) = &written {
                    tracing::error!(target: "sluice", %error, "server-sent event stream failed; ending it");
                    this.ended = true;
                }
                Poll::Ready(Some(written))
            }
            Poll::Ready(None) => {
                this.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let (Some(idle), Some(every)) = (this.idle.as_mut(), this.interval) else {
                    return Poll::Pending;
                };
                ready!(idle.as_mut().poll(cx));
                idle.as_mut().reset(tokio::time::Instant::now() + every);
                Poll::Ready(Some(Ok(Bytes::from_static(KEEP_ALIVE))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(event: &Event) -> String {
        String::from_utf8(event.to_bytes().expect("valid").to_vec()).expect("UTF-8")
    }

    /// What FastAPI 0.165's `format_sse_event` wrote for the same fields
    /// (the data given as compact JSON, as FastAPI writes a yielded item).
    #[test]
    fn events_are_written_as_fastapi_writes_them() {
        assert_eq!(
            wire(
                &Event::json(&serde_json::json!({"x": 1}))
                    .expect("JSON")
                    .event("update")
                    .id("7")
                    .retry(Duration::from_millis(3000))
                    .comment("hi\nthere")
            ),
            ": hi\n: there\nevent: update\ndata: {\"x\":1}\nid: 7\nretry: 3000\n\n"
        );
        assert_eq!(
            wire(&Event::data("line1\r\nline2").event("raw")),
            "event: raw\ndata: line1\ndata: line2\n\n"
        );
        assert_eq!(
            wire(&Event::json("plain").expect("JSON")),
            "data: \"plain\"\n\n"
        );
        assert_eq!(wire(&Event::data("a\rb\n")), "data: a\ndata: b\ndata: \n\n");
        assert_eq!(wire(&Event::data("")), "data: \n\n");
        assert_eq!(wire(&Event::comment_only("ping")), ": ping\n\n");
        assert_eq!(wire(&Event::default()), "\n");
    }

    #[test]
    fn a_field_that_would_break_the_framing_is_refused() {
        assert!(Event::data("x").event("a\nb").to_bytes().is_err());
        assert!(Event::data("x").id("1\r").to_bytes().is_err());
        assert!(Event::data("x").id("1\0").to_bytes().is_err());
        assert!(Event::data("x").id("1").event("ok").to_bytes().is_ok());
    }
}
