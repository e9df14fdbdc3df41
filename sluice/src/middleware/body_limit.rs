//! [`BodyLimit`]: refuses request bodies over a size, without reading them.
//!
//! FastAPI's `max_body_size` as a middleware: a body over the limit gets
//! `413 text/plain "Content Too Large"`. A declared
//! [`Content-Length`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Length)
//! over the limit is refused at once, before anything reads the body; a
//! body without one (chunked) is counted while it is read, and reading
//! stops with a 413 as soon as it passes the limit.
//!
//! ```
//! use sluice::middleware::BodyLimit;
//! use sluice::testing::TestClient;
//! use sluice::{App, Bytes};
//!
//! async fn upload(body: Bytes) -> String {
//!     format!("{} bytes", body.len())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .post("/upload", upload)
//!     .add_middleware(BodyLimit::new(1024));
//! let client = TestClient::new(app);
//!
//! assert_eq!(client.post("/upload").body(vec![0u8; 1024]).await.text(), "1024 bytes");
//!
//! let res = client.post("/upload").body(vec![0u8; 1025]).await;
//! assert_eq!(res.status(), 413);
//! assert_eq!(res.text(), "Content Too Large");
//! # }
//! ```

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::HeaderMap;
use http_body::{Body as _, Frame, SizeHint};

use crate::body::Body;
use crate::error::{BodyError, BoxError, Error};
use crate::hook::{self, Before, Hook};
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::stack::StackEntry;

/// Limits the size of request bodies.
///
/// - A `content-length` over the limit: `413 text/plain` `Content Too
///   Large` at once. The body is never read (with `Expect: 100-continue`
///   the client is never even asked to send it).
/// - A streamed body (without a length, or within it): passed on, wrapped so that reading it fails
///   as soon as more than the limit has arrived; the handler (or a
///   middleware reading it) then answers 413 in the same way. A body that
///   nobody reads is never counted, as in Starlette.
/// - The request's [`body_limit`](Request::body_limit) is lowered to the
///   limit, so `Request::bytes` and the body extractors agree with it.
///
/// The response carries a [`BodyError`] for which
/// [`is_too_large`](BodyError::is_too_large) is true, so an exception
/// handler for `BodyError` can change the answer.
/// [`App::max_body_size`](crate::App::max_body_size) sets the app-wide limit
/// of the extractors; this middleware is for a stricter limit enforced
/// before any route runs, or a different one per router.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct BodyLimit {
    limit: usize,
}

impl BodyLimit {
    /// Refuses bodies of more than `bytes` bytes.
    pub fn new(bytes: usize) -> Self {
        BodyLimit { limit: bytes }
    }

    fn too_large(&self) -> Response {
        Error::new(BodyError::too_large(self.limit)).into_response()
    }
}

/// The declared length, when every `content-length` value is the same
/// number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    let mut length = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        let parsed: u64 = value.to_str().ok()?.trim().parse().ok()?;
        if length.is_some_and(|seen| seen != parsed) {
            return None;
        }
        length = Some(parsed);
    }
    length
}

/// It only looks at (and wraps) request bodies, then passes the request
/// straight on.
impl Hook for BodyLimit {
    type State<'a> = ();
    const AFTER: bool = false;

    fn before(&self, req: &mut Request) -> Before<()> {
        let limit = self.limit;
        let declared = declared_length(req.headers());
        if declared.is_some_and(|len| len > limit as u64) {
            return Before::Answer(self.too_large());
        }
        if let Some(bytes) = req.body().as_bytes() {
            if bytes.len() > limit {
                return Before::Answer(self.too_large());
            }
        } else if !req.body().is_end_stream() {
            // Count a streamed body as it is read, whether or not it
            // declared a length.
            let body = req.take_body();
            *req.body_mut() = Body::new(Limited {
                inner: body,
                remaining: limit,
                limit,
                failed: false,
            });
        }
        if req.body_limit() > limit {
            req.set_body_limit(limit);
        }
        Before::Pass(())
    }
}

impl Middleware for BodyLimit {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("BodyLimit")
    }
}

/// A request body that fails with "too large" once more than `limit`
/// bytes have come.
struct Limited {
    inner: Body,
    remaining: usize,
    limit: usize,
    failed: bool,
}

impl http_body::Body for Limited {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                match this.remaining.checked_sub(data.len()) {
                    Some(left) => this.remaining = left,
                    None => {
                        this.failed = true;
                        return Poll::Ready(Some(Err(Box::new(BodyError::too_large(this.limit)))));
                    }
                }
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let hint = self.inner.size_hint();
        let mut limited = SizeHint::new();
        let cap = self.remaining as u64 + 1;
        limited.set_lower(hint.lower().min(cap));
        if let Some(upper) = hint.upper() {
            limited.set_upper(upper);
        }
        limited
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn declared_length_needs_one_consistent_number() {
        let mut headers = HeaderMap::new();
        assert_eq!(declared_length(&headers), None);
        headers.append(CONTENT_LENGTH, HeaderValue::from_static("10"));
        assert_eq!(declared_length(&headers), Some(10));
        headers.append(CONTENT_LENGTH, HeaderValue::from_static("10"));
        assert_eq!(declared_length(&headers), Some(10));
        headers.append(CONTENT_LENGTH, HeaderValue::from_static("11"));
        assert_eq!(declared_length(&headers), None);
        let mut bad = HeaderMap::new();
        bad.insert(CONTENT_LENGTH, HeaderValue::from_static("ten"));
        assert_eq!(declared_length(&bad), None);
    }

    #[tokio::test]
    async fn limited_body_fails_past_the_limit_with_too_large() {
        let chunks = vec![Ok::<_, std::io::Error>("abcd"), Ok("efgh")];
        let body = Body::new(Limited {
            inner: Body::from_stream(futures_util::stream::iter(chunks)),
            remaining: 6,
            limit: 6,
            failed: false,
        });
        let err = body.collect().await.expect_err("over the limit");
        assert!(err.is_too_large(), "{err}");
    }
}
