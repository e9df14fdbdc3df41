//! Bodies the compression tests send and check: streams of chunks, 4 MiB
//! of text, and decoding a compressed response independently of the code
//! under test.

use std::convert::Infallible;
use std::io::Read;

use futures_util::stream;
use sluice::testing::TestResponse;
use sluice::{Body, Bytes};

/// A stream of `count` chunks of `size` bytes of `x`.
pub fn chunks(size: usize, count: usize) -> Body {
    Body::from_stream(stream::iter(
        (0..count).map(move |_| Ok::<_, Infallible>(Bytes::from(vec![b'x'; size]))),
    ))
}

/// 4 MiB of text that does not compress to nothing.
pub fn four_mib() -> Vec<u8> {
    let mut data = Vec::with_capacity(4 << 20);
    let mut i: u64 = 0;
    while data.len() < 4 << 20 {
        data.extend_from_slice(
            format!("line {i}: {}\n", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).as_bytes(),
        );
        i += 1;
    }
    data.truncate(4 << 20);
    data
}

/// Decodes a gzip body, or panics.
pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("a valid gzip body");
    out
}

/// Decodes a response's body by its `Content-Encoding` (none, `gzip`, `br`
/// or `zstd`), or panics.
pub fn decode(res: &TestResponse) -> Vec<u8> {
    let data = &res.bytes()[..];
    match res.header("content-encoding") {
        None => data.to_vec(),
        Some("gzip") => gunzip(data),
        #[cfg(feature = "br")]
        Some("br") => {
            let mut out = Vec::new();
            brotli::Decompressor::new(data, 4096)
                .read_to_end(&mut out)
                .expect("valid brotli");
            out
        }
        #[cfg(feature = "zstd")]
        Some("zstd") => zstd::decode_all(data).expect("valid zstd"),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
}

/// The content type of the multipart bodies [`multipart`] makes.
pub const MULTIPART: &str = "multipart/form-data; boundary=b";

/// One part of a multipart body: its headers (`head`, lines joined by
/// CRLF) and its content.
pub fn part(head: &str, content: &[u8]) -> Vec<u8> {
    let mut part = format!("--b\r\n{head}\r\n\r\n").into_bytes();
    part.extend_from_slice(content);
    part.extend_from_slice(b"\r\n");
    part
}

/// A multipart body of `parts`, with the closing boundary.
pub fn multipart(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = parts.concat();
    body.extend_from_slice(b"--b--\r\n");
    body
}

/// POSTs `body` to `path` as `content_type`: the status and the JSON
/// answer.
pub async fn post_as(
    client: &sluice::testing::TestClient,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let res = client
        .post(path)
        .header("content-type", content_type)
        .body(body)
        .await;
    (res.status().as_u16(), res.json())
}
