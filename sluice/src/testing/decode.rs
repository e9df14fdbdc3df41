//! Undoing a response's `content-encoding`, for [`TestClient::decompress`].
//!
//! [`TestClient::decompress`]: super::TestClient::decompress

use std::io::Read as _;

use bytes::Bytes;
use http::header::{HeaderMap, CONTENT_ENCODING};

/// Undoes the `content-encoding` of a body, last coding first.
pub(super) fn decode(headers: &HeaderMap, body: Bytes) -> Result<Bytes, String> {
    let mut codings: Vec<String> = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| "its content-encoding is not text".to_owned())?;
        codings.extend(
            value
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty() && c != "identity"),
        );
    }
    let mut body = body;
    for coding in codings.iter().rev() {
        body = decode_one(coding, &body)
            .map(Bytes::from)
            .map_err(|e| format!("it is not valid {coding} ({e})"))?;
    }
    Ok(body)
}

fn decode_one(coding: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    match coding {
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(data)
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?,
        // RFC 9110's "deflate" is zlib; some servers send raw deflate,
        // which httpx accepts too.
        "deflate" => match flate2::read::ZlibDecoder::new(data).read_to_end(&mut out) {
            Ok(n) => n,
            Err(_) => {
                out.clear();
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut out)
                    .map_err(|e| e.to_string())?
            }
        },
        #[cfg(feature = "br")]
        "br" => brotli::Decompressor::new(data, 4096)
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?,
        #[cfg(feature = "zstd")]
        "zstd" => {
            out = zstd::stream::decode_all(data).map_err(|e| e.to_string())?;
            0
        }
        #[cfg(not(feature = "br"))]
        "br" => return Err("decoding br needs sluice's `br` feature".to_owned()),
        #[cfg(not(feature = "zstd"))]
        "zstd" => return Err("decoding zstd needs sluice's `zstd` feature".to_owned()),
        other => {
            return Err(format!(
                "the client decodes gzip, deflate, br and zstd, not {other:?}"
            ))
        }
    };
    Ok(out)
}
