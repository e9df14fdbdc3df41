//! The body of a compressed stream: each chunk of the inner body is
//! compressed and flushed as it arrives, so nothing is held back (a
//! progress stream or a long poll reaches the client as it is produced).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};
use tokio::task::JoinHandle;

use super::encoder::Encoder;
use crate::body::Body;
use crate::error::BoxError;

/// Runs `work` on tokio's blocking pool when there is a runtime (so the
/// async threads keep serving other requests), or right here otherwise.
pub(crate) async fn offload<T, F>(work: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(work)
            .await
            .unwrap_or_else(|failed| Err(io::Error::other(failed))),
        Err(_) => work(),
    }
}

/// A stream compressed chunk by chunk with a flush after each.
pub(crate) struct CompressedBody {
    inner: Body,
    state: State,
    /// Chunks at least this large are compressed on the blocking pool.
    thread_minimum_size: usize,
}

enum State {
    /// Waiting for the next chunk of the inner body.
    Reading(Encoder),
    /// A large chunk is being compressed on the blocking pool.
    Offloaded(JoinHandle<(Encoder, io::Result<Bytes>)>),
    /// The compressed stream has ended; the inner body's trailers, if it
    /// had any, are still to be sent.
    Done(Option<HeaderMap>),
}

impl CompressedBody {
    pub(crate) fn new(inner: Body, encoder: Encoder, thread_minimum_size: usize) -> Self {
        CompressedBody {
            inner,
            state: State::Reading(encoder),
            thread_minimum_size,
        }
    }
}

impl fmt::Debug for CompressedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompressedBody")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

type Polled = Poll<Option<Result<Frame<Bytes>, BoxError>>>;

fn data(bytes: io::Result<Bytes>) -> Option<Polled> {
    match bytes {
        Ok(bytes) if bytes.is_empty() => None,
        Ok(bytes) => Some(Poll::Ready(Some(Ok(Frame::data(bytes))))),
        Err(e) => Some(Poll::Ready(Some(Err(e.into())))),
    }
}

impl http_body::Body for CompressedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Polled {
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, State::Done(None)) {
                State::Done(trailers) => {
                    return Poll::Ready(trailers.map(|t| Ok(Frame::trailers(t))))
                }
                State::Offloaded(mut task) => match Pin::new(&mut task).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Offloaded(task);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok((encoder, out))) => {
                        this.state = State::Reading(encoder);
                        if let Some(ready) = data(out) {
                            return ready;
                        }
                    }
                    Poll::Ready(Err(failed)) => {
                        return Poll::Ready(Some(Err(io::Error::other(failed).into())));
                    }
                },
                State::Reading(mut encoder) => match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Pending => {
                        this.state = State::Reading(encoder);
                        return Poll::Pending;
                    }
                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                        Ok(chunk) if chunk.is_empty() => this.state = State::Reading(encoder),
                        Ok(chunk) => {
                            if chunk.len() >= this.thread_minimum_size {
                                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                                    this.state =
                                        State::Offloaded(runtime.spawn_blocking(move || {
                                            let out = encoder.chunk(&chunk);
                                            (encoder, out)
                                        }));
                                    continue;
                                }
                            }
                            let out = encoder.chunk(&chunk);
                            this.state = State::Reading(encoder);
                            if let Some(ready) = data(out) {
                                return ready;
                            }
                        }
                        Err(frame) => {
                            // Trailers end the body: finish the stream
                            // first, then pass them on.
                            this.state = State::Done(frame.into_trailers().ok());
                            if let Some(ready) = data(encoder.finish()) {
                                return ready;
                            }
                        }
                    },
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(None) => {
                        if let Some(ready) = data(encoder.finish()) {
                            return ready;
                        }
                    }
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done(None))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
