//! [`JsonLines`]: a stream of values as `application/jsonl`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use http::header::{HeaderValue, CONTENT_TYPE};
use serde::Serialize;

use crate::body::Body;
use crate::error::BoxError;
use crate::floats;
use crate::openapi::ResponseDoc;
use crate::response::{IntoResponse, Response};

/// The media type FastAPI streams JSON Lines with.
const MEDIA_TYPE: &str = "application/jsonl";

/// A stream of values sent as JSON Lines: `application/jsonl`, one JSON
/// text per line, as FastAPI streams what a generator path operation
/// yields.
///
/// Return a `JsonLines` from a handler, built from any stream of values
/// that serde can write ([`JsonLines::new`]), or of `Result`s of them
/// ([`JsonLines::try_new`]). Each value is sent as soon as the stream
/// yields it, as compact UTF-8 JSON followed by `\n`: the bytes FastAPI
/// 0.165 sends for a generator annotated with its item model
/// (`AsyncIterable[Item]`). An unannotated generator's dicts get
/// `json.dumps`' spaces and `\u` escapes there instead. Floats are written
/// as sluice's [`Json`](crate::Json) writes them (`1e-05`, where pydantic
/// writes `0.00001`).
///
/// The response is `200` with `content-type: application/jsonl` (no
/// charset: JSON is UTF-8), streamed without `content-length`.
///
/// ```
/// use futures::stream;
/// use serde::Serialize;
/// use sluice::testing::TestClient;
/// use sluice::{App, JsonLines};
///
/// #[derive(Serialize)]
/// struct Item {
///     name: &'static str,
///     price: f64,
/// }
///
/// async fn items() -> JsonLines {
///     JsonLines::new(stream::iter([
///         Item { name: "café", price: 1.5 },
///         Item { name: "tea", price: 2.0 },
///     ]))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().get("/items", items));
/// let res = client.get("/items").await;
/// assert_eq!(res.header("content-type"), Some("application/jsonl"));
/// assert_eq!(
///     res.text(),
///     "{\"name\":\"café\",\"price\":1.5}\n{\"name\":\"tea\",\"price\":2.0}\n"
/// );
/// # }
/// ```
///
/// An item that is an `Err`, or a value serde cannot write as JSON (a map
/// whose keys are not strings), ends the stream there, as an exception in
/// FastAPI's generator does: the client sees the connection end before the
/// last chunk, and the error is logged.
///
/// In the OpenAPI document the response is `application/jsonl` content
/// without a schema: FastAPI describes the items with OpenAPI 3.2's
/// `itemSchema`, which the 3.1 document sluice writes cannot hold.
#[must_use]
pub struct JsonLines {
    lines: BoxStream<'static, Result<Bytes, BoxError>>,
}

impl fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLines").finish_non_exhaustive()
    }
}

impl JsonLines {
    /// Sends each value of `stream` as one line of JSON.
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream + Send + 'static,
        S::Item: Serialize,
    {
        JsonLines {
            lines: stream.map(|value| line(&value)).boxed(),
        }
    }

    /// Sends each `Ok` value of `stream` as one line of JSON; an `Err`
    /// ends the stream there, and is logged.
    ///
    /// ```
    /// use futures::stream;
    /// use sluice::testing::TestClient;
    /// use sluice::{App, JsonLines};
    ///
    /// async fn rows() -> JsonLines {
    ///     JsonLines::try_new(stream::iter([Ok(1), Err("the database went away"), Ok(3)]))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // The error would fail the test, as a server exception; here it is
    /// // what is checked.
    /// let client = TestClient::new(App::new().get("/rows", rows)).raise_server_exceptions(false);
    /// let res = client.get("/rows").await;
    /// // The stream ended after the first line, cut short.
    /// assert_eq!(res.text(), "1\n");
    /// assert!(res.body_error().is_some());
    /// # }
    /// ```
    pub fn try_new<S, T, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: Into<BoxError>,
    {
        JsonLines {
            lines: stream
                .map(|item| item.map_err(Into::into).and_then(|value| line(&value)))
                .boxed(),
        }
    }
}

/// One value as a line: its JSON, then `\n`.
fn line<T: Serialize + ?Sized>(value: &T) -> Result<Bytes, BoxError> {
    let mut out = Vec::with_capacity(64);
    floats::to_writer(&mut out, value)?;
    out.push(b'\n');
    Ok(Bytes::from(out))
}

impl IntoResponse for JsonLines {
    fn into_response(self) -> Response {
        let lines = UntilError {
            lines: self.lines,
            ended: false,
        };
        let mut response = Response::new(Body::from_stream(lines));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        response
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        doc.content(MEDIA_TYPE, None);
    }
}

/// The lines, ending at the first error, which is logged and makes the
/// body fail (the client sees the stream cut short).
struct UntilError {
    lines: BoxStream<'static, Result<Bytes, BoxError>>,
    ended: bool,
}

impl Stream for UntilError {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        let next = this.lines.poll_next_unpin(cx);
        match &next {
            Poll::Ready(Some(Err(error))) => {
                tracing::error!(target: "sluice", %error, "JSON Lines stream failed; ending it");
                this.ended = true;
            }
            Poll::Ready(None) => this.ended = true,
            _ => {}
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_line_is_compact_utf8_json_and_a_newline() {
        let value = serde_json::json!({"name": "caf\u{e9}", "q": "b\n\"q\"", "n": [1, 2.5]});
        assert_eq!(
            line(&value).expect("JSON"),
            "{\"name\":\"caf\u{e9}\",\"q\":\"b\\n\\\"q\\\"\",\"n\":[1,2.5]}\n"
        );
        assert_eq!(line("plain").expect("JSON"), "\"plain\"\n");
    }

    #[test]
    fn a_value_serde_cannot_write_is_an_error() {
        let mut map = BTreeMap::new();
        map.insert(vec![1], 2);
        assert!(line(&map).is_err());
    }
}
