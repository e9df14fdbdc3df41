//! The gzip scenario: `GZipMiddleware(minimum_size=500, compresslevel=9)`
//! in front of whole, small, streamed, already encoded and server-sent
//! event responses.

use std::convert::Infallible;

use futures_util::stream;
use sluice::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use sluice::middleware::GZip;
use sluice::{App, Body, Bytes, IntoResponse, Response};

/// How FastAPI's `PlainTextResponse` and
/// `StreamingResponse(media_type="text/plain")` label text.
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// A streamed body: `count` chunks, each a copy of `chunk`.
fn repeated(chunk: Bytes, count: usize) -> Body {
    Body::from_stream(stream::iter(
        std::iter::repeat_n(chunk, count).map(Ok::<_, Infallible>),
    ))
}

async fn large() -> String {
    "x".repeat(4000)
}

async fn small() -> String {
    "x".repeat(10)
}

async fn streamed() -> Response {
    let body = repeated(Bytes::from(vec![b'x'; 100]), 10);
    ([(CONTENT_TYPE, TEXT_PLAIN)], body).into_response()
}

async fn encoded() -> Response {
    ([(CONTENT_ENCODING, "text")], "x".repeat(4000)).into_response()
}

/// 40 server-sent events, one chunk each.
async fn events() -> Response {
    let event = Bytes::from(format!("data: {}\n\n", "x".repeat(92)));
    let body = repeated(event, 40);
    ([(CONTENT_TYPE, "text/event-stream; charset=utf-8")], body).into_response()
}

pub(crate) fn gzip() -> App {
    App::new()
        .get("/large", large)
        .get("/small", small)
        .get("/stream", streamed)
        .get("/encoded", encoded)
        .get("/events", events)
        .add_middleware(GZip::new().minimum_size(500).compress_level(9))
}
