//! The body type shared by requests and responses.
//!
//! [`Body`] is an [`http_body::Body`] with `Bytes` frames. Whole bodies (the
//! common case: JSON, text, an echoed upload) are kept as a single `Bytes`
//! without boxing; the request body that the server receives is kept as is;
//! anything else (streams, bodies produced by middleware) is boxed.

use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::Stream;
use http_body::Body as _;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use sync_wrapper::SyncWrapper;

use crate::error::{BodyError, BoxError};

type BoxBody = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send + 'static>>;

/// An HTTP body: the request body a handler reads, or the response body sent
/// to the client.
///
/// Build one from anything that holds bytes (`&'static str`, `String`,
/// `Vec<u8>`, [`Bytes`]), from a stream with [`Body::from_stream`], or from
/// any [`http_body::Body`] with [`Body::new`].
///
/// ```
/// use sluice::Body;
///
/// let body = Body::from("hello");
/// assert_eq!(body.as_bytes().map(|b| b.len()), Some(5));
/// ```
pub struct Body {
    kind: Kind,
}

enum Kind {
    Empty,
    Full(Bytes),
    /// Boxed so that a `Body` stays small: bodies are moved through every
    /// layer of the stack inside requests and responses.
    Incoming(Box<SyncWrapper<IncomingState>>, CompactHint),
    Boxed(SyncWrapper<BoxBody>, CompactHint),
}

/// A body's exact length when it is known: `SizeHint` in 8 bytes instead
/// of 24 (only exact lengths matter to the server and the middleware).
#[derive(Clone, Copy)]
struct CompactHint(u64);

impl CompactHint {
    const UNKNOWN: CompactHint = CompactHint(u64::MAX);

    fn from_hint(hint: &SizeHint) -> Self {
        match hint.exact() {
            Some(len) if len != u64::MAX => CompactHint(len),
            _ => CompactHint::UNKNOWN,
        }
    }

    fn to_hint(self) -> SizeHint {
        if self.0 == u64::MAX {
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.0)
        }
    }
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body { kind: Kind::Empty }
    }

    /// Wraps any [`http_body::Body`] whose frames are `Bytes`-like.
    ///
    /// A `Body` passed in is returned as is, without another layer of boxing.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body + Send + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        if let Some(same) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Body>>() {
            return same.take().expect("the slot was just filled");
        }
        let body = slot.expect("the slot is only emptied when B is Body");
        let hint = CompactHint::from_hint(&body.size_hint());
        let mapped = body
            .map_frame(|frame| frame.map_data(Into::into))
            .map_err(Into::into);
        Body {
            kind: Kind::Boxed(SyncWrapper::new(Box::pin(mapped)), hint),
        }
    }

    /// A body that sends each item of `stream` as a chunk, as it comes.
    ///
    /// Streamed bodies have no `content-length`; the server sends them with
    /// chunked encoding (HTTP/1.1) or as DATA frames (HTTP/2).
    pub fn from_stream<S, T, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes> + 'static,
        E: Into<BoxError> + 'static,
    {
        use futures_util::TryStreamExt;
        let frames = stream
            .map_ok(|chunk| Frame::data(chunk.into()))
            .map_err(Into::into);
        Body::new(http_body_util::StreamBody::new(frames))
    }

    /// The body of a request received by the server. When `idle` is set,
    /// the body fails with a timeout once the client has sent nothing for
    /// that long while it is being read.
    pub(crate) fn from_incoming(body: hyper::body::Incoming, idle: Option<Duration>) -> Self {
        if body.is_end_stream() {
            // No body at all (most GETs): nothing to box or time.
            return Body::empty();
        }
        let hint = CompactHint::from_hint(&body.size_hint());
        Body {
            kind: Kind::Incoming(
                Box::new(SyncWrapper::new(IncomingState {
                    body,
                    idle: idle.map(|after| IdleTimeout { after, sleep: None }),
                })),
                hint,
            ),
        }
    }

    /// The whole body, when it is held in memory as one piece.
    ///
    /// `Some` for bodies built from bytes or strings (and for a request body
    /// already read by [`Request::bytes`](crate::Request::bytes)), `None` for
    /// streams. Middleware such as GZip uses this to tell a whole response
    /// from a streamed one.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            Kind::Full(bytes) => Some(bytes),
            Kind::Empty => {
                static EMPTY: Bytes = Bytes::from_static(b"");
                Some(&EMPTY)
            }
            _ => None,
        }
    }

    /// Reads the whole body into memory.
    ///
    /// # Errors
    ///
    /// Fails when the underlying stream fails (for a request body: the client
    /// went away or sent a malformed chunk).
    pub async fn collect(self) -> Result<Bytes, BodyError> {
        self.collect_limited(usize::MAX).await
    }

    /// Reads the whole body into memory, giving up as soon as it grows past
    /// `limit` bytes (the rest is never read).
    ///
    /// # Errors
    ///
    /// [`BodyError::is_too_large`] is true when the limit was passed; other
    /// errors come from the underlying stream.
    pub async fn collect_limited(self, limit: usize) -> Result<Bytes, BodyError> {
        match self.kind {
            Kind::Empty => return Ok(Bytes::new()),
            Kind::Full(bytes) => {
                return if bytes.len() > limit {
                    Err(BodyError::too_large(limit))
                } else {
                    Ok(bytes)
                };
            }
            _ => {}
        }
        if let Some(upper) = self.size_hint().upper() {
            if upper == 0 {
                return Ok(Bytes::new());
            }
        }
        if self.size_hint().lower() > limit as u64 {
            return Err(BodyError::too_large(limit));
        }
        let mut body = self;
        let mut first: Option<Bytes> = None;
        let mut buf = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(BodyError::from_box)?;
            let Ok(mut data) = frame.into_data() else {
                continue; // trailers are not part of the content
            };
            let seen = first.as_ref().map_or(0, Bytes::len) + buf.len() + data.len();
            if seen > limit {
                return Err(BodyError::too_large(limit));
            }
            match &first {
                None if buf.is_empty() => first = Some(data.copy_to_bytes(data.remaining())),
                _ => {
                    if let Some(head) = first.take() {
                        buf.reserve(seen);
                        buf.extend_from_slice(&head);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
        Ok(match first {
            Some(head) => head,
            None => buf.freeze(),
        })
    }
}

/// The request body as the server hands it over, with its idle timer.
struct IncomingState {
    body: hyper::body::Incoming,
    idle: Option<IdleTimeout>,
}

/// A timer armed only while the body is waiting for the client, so that a
/// body whose bytes are already there costs nothing.
struct IdleTimeout {
    after: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl IncomingState {
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Pending => {
                if let Some(idle) = &mut self.idle {
                    let after = idle.after;
                    let sleep = idle
                        .sleep
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(after)));
                    if sleep.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Some(Err(Box::new(BodyError::timed_out(after)))));
                    }
                }
                Poll::Pending
            }
            ready @ Poll::Ready(_) => {
                if let Some(idle) = &mut self.idle {
                    idle.sleep = None;
                }
                ready.map_err(|e| Box::new(e) as BoxError)
            }
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("Body::Empty"),
            Kind::Full(bytes) => f.debug_tuple("Body::Full").field(&bytes.len()).finish(),
            Kind::Incoming(..) => f.write_str("Body::Incoming"),
            Kind::Boxed(..) => f.write_str("Body::Stream"),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match &mut this.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(_) => {
                let Kind::Full(bytes) = std::mem::replace(&mut this.kind, Kind::Empty) else {
                    unreachable!("matched Full just above")
                };
                if bytes.is_empty() {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(Frame::data(bytes))))
                }
            }
            Kind::Incoming(inner, _) => inner.get_mut().poll_frame(cx),
            Kind::Boxed(body, _) => body.get_mut().as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.is_empty(),
            Kind::Incoming(_, hint) | Kind::Boxed(_, hint) => hint.0 == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            Kind::Incoming(_, hint) | Kind::Boxed(_, hint) => hint.to_hint(),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body {
            kind: Kind::Full(bytes),
        }
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Bytes::from_static(bytes).into()
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<()> for Body {
    fn from((): ()) -> Self {
        Body::empty()
    }
}

/// Something to do when a response body has been sent, or dropped unsent.
pub(crate) trait OnEnd: Send + Unpin + 'static {
    /// The body ended: `complete` is `false` when it failed or was dropped
    /// before its end (the client went away).
    fn end(self, complete: bool);
}

/// A response body that runs an [`OnEnd`] when it ends or is dropped. It
/// keeps the inner body's size hint.
pub(crate) struct Ending<E: OnEnd> {
    inner: Body,
    on_end: Option<E>,
}

impl<E: OnEnd> Ending<E> {
    pub(crate) fn wrap(inner: Body, on_end: E) -> Body {
        Body::new(Ending {
            inner,
            on_end: Some(on_end),
        })
    }

    fn finish(&mut self, complete: bool) {
        if let Some(on_end) = self.on_end.take() {
            on_end.end(complete);
        }
    }
}

impl<E: OnEnd> http_body::Body for Ending<E> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.finish(true),
            Poll::Ready(Some(Err(_))) => this.finish(false),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.finish(true),
            _ => {}
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

impl<E: OnEnd> Drop for Ending<E> {
    fn drop(&mut self) {
        self.finish(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn body_is_send_and_sync() {
        assert_send_sync::<Body>();
    }

    #[tokio::test]
    async fn streamed_body_collects_in_order() {
        let chunks = vec![Ok::<_, std::io::Error>("ab"), Ok("cd"), Ok("ef")];
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        assert!(body.as_bytes().is_none());
        assert_eq!(body.collect().await.expect("no error"), "abcdef");
    }

    #[tokio::test]
    async fn collect_limited_stops_past_the_limit() {
        let chunks = vec![Ok::<_, std::io::Error>("abcd"), Ok("efgh")];
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let err = body.collect_limited(6).await.expect_err("over the limit");
        assert!(err.is_too_large());
        let err = Body::from("0123456789")
            .collect_limited(3)
            .await
            .expect_err("over");
        assert!(err.is_too_large());
    }

    #[tokio::test]
    async fn wrapping_a_body_does_not_box_it_again() {
        let body = Body::new(Body::from("x"));
        assert_eq!(body.as_bytes().map(|b| &b[..]), Some(&b"x"[..]));
    }
}
