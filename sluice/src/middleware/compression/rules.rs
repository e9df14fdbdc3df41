//! The rules shared by [`GZip`](super::GZip) and
//! [`Compression`](super::Compression): which responses are left alone,
//! which get `Vary: Accept-Encoding`, and how a body is compressed.

use futures_util::future::BoxFuture;
use http::header::{
    HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
};
use http::StatusCode;

use super::accept_encoding::Deferred;
use super::body::{offload, CompressedBody};
use super::encoder::Codec;
use crate::body::Body;
use crate::headers::append_vary;
use crate::response::Response;

/// `Accept-Encoding`, for the `Vary` header.
static VARY_ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("Accept-Encoding");

/// The media types that are never compressed by default: formats that are
/// already compressed, and `text/event-stream`, whose events must reach
/// the client one by one (Starlette 1.10's `DEFAULT_EXCLUDED_CONTENT_TYPES`).
///
/// An entry `type/subtype` also covers its structured-syntax variants
/// (`application/grpc` covers `application/grpc+proto`); `type/*` covers
/// every subtype.
pub const DEFAULT_EXCLUDED_CONTENT_TYPES: &[&str] = &[
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
];

/// Starlette's default `minimum_size`.
pub(crate) const DEFAULT_MINIMUM_SIZE: usize = 500;

/// Starlette's `thread_minimum_size`: chunks at least this large are
/// compressed off the async threads.
pub(crate) const DEFAULT_THREAD_MINIMUM_SIZE: usize = 128 * 1024;

/// The settings both middlewares share.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub(crate) minimum_size: usize,
    pub(crate) thread_minimum_size: usize,
    /// Lower-cased media ranges (`type/subtype` or `type/*`).
    excluded: Box<[Box<str>]>,
    /// The first excluded type that cannot be a media range, reported by
    /// `validate`.
    pub(crate) bad_excluded: Option<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            minimum_size: DEFAULT_MINIMUM_SIZE,
            thread_minimum_size: DEFAULT_THREAD_MINIMUM_SIZE,
            excluded: DEFAULT_EXCLUDED_CONTENT_TYPES
                .iter()
                .map(|&t| Box::from(t))
                .collect(),
            bad_excluded: None,
        }
    }
}

impl Rules {
    pub(crate) fn set_excluded<I, S>(&mut self, types: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.bad_excluded = None;
        let mut excluded = Vec::new();
        for media_type in types {
            let media_type = media_type.as_ref().trim().to_ascii_lowercase();
            // `type/subtype` or `type/*`; `*/*` would turn the middleware off.
            let valid = media_type
                .split_once('/')
                .is_some_and(|(kind, sub)| kind != "*" && is_token(kind) && is_token(sub));
            if !valid && self.bad_excluded.is_none() {
                self.bad_excluded = Some(media_type.clone());
            }
            excluded.push(media_type.into_boxed_str());
        }
        self.excluded = excluded.into_boxed_slice();
    }

    /// Whether the response is never to be touched, whatever the client
    /// accepts: it gets neither compression nor `Vary`.
    fn leaves_alone(&self, response: &Response) -> bool {
        let status = response.status();
        let headers = response.headers();
        status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::PARTIAL_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || headers.contains_key(CONTENT_ENCODING)
            || has_no_transform(headers)
            || self.is_excluded(headers)
    }

    pub(super) fn is_excluded(&self, headers: &HeaderMap) -> bool {
        let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim_matches([' ', '\t']);
        let Some((kind, _)) = media_type.split_once('/') else {
            return false;
        };
        self.excluded
            .iter()
            .any(|entry| match entry.strip_suffix("/*") {
                Some(entry_kind) => kind.eq_ignore_ascii_case(entry_kind),
                None => {
                    media_type.eq_ignore_ascii_case(entry)
                        || (media_type.len() > entry.len()
                            && media_type.as_bytes()[entry.len()] == b'+'
                            && media_type.as_bytes()[..entry.len()]
                                .eq_ignore_ascii_case(entry.as_bytes()))
                }
            })
    }

    /// Whether the response leaves untouched, with no `Vary`, whatever the
    /// client accepts: the cheap test that comes first on every response,
    /// the size of a whole body before anything else.
    pub(crate) fn passes_untouched(&self, response: &Response) -> bool {
        self.is_small(response) || self.leaves_alone(response)
    }

    /// Whether the body's exact size is known and below `minimum_size`.
    /// Decided on the size hint, not on the body being held whole, so that
    /// a body a middleware wrapped without changing its bytes (and
    /// keeping its exact size) is judged by its size, as Starlette judges
    /// a body that no function middleware re-streamed (see the module
    /// docs).
    fn is_small(&self, response: &Response) -> bool {
        http_body::Body::size_hint(response.body())
            .exact()
            .is_some_and(|len| len < self.minimum_size as u64)
    }

    /// Applies the rules to a response; `codec` is what the client accepts
    /// (`None`: identity only).
    /// The after half of a compressing middleware: nothing for a response
    /// these rules leave alone, else the response compressed with the
    /// coding `accept` prefers among `offered` (a future: the body may have
    /// to be read first).
    pub(crate) fn finish(
        &self,
        accept: Deferred,
        offered: &[Codec],
        response: &mut Response,
    ) -> Option<BoxFuture<'_, Response>> {
        if self.passes_untouched(response) {
            return None;
        }
        let codec = accept.parse().negotiate(offered);
        Some(Box::pin(self.apply(std::mem::take(response), codec)))
    }

    pub(crate) async fn apply(&self, mut response: Response, codec: Option<Codec>) -> Response {
        if self.leaves_alone(&response) {
            return response;
        }
        if self.is_small(&response) {
            return response;
        }
        let whole = response.body().as_bytes().cloned();
        // The response could have been compressed: caches must key it on
        // Accept-Encoding, whatever this client gets.
        append_vary(response.headers_mut(), &VARY_ACCEPT_ENCODING);
        let Some(codec) = codec else {
            return response;
        };
        match whole {
            Some(bytes) => {
                let compressed = if bytes.len() >= self.thread_minimum_size {
                    offload(move || codec.compress(&bytes)).await
                } else {
                    codec.compress(&bytes)
                };
                let compressed = match compressed {
                    Ok(compressed) => compressed,
                    Err(error) => {
                        tracing::warn!(target: "sluice", %error, "compression failed; sending the body as is");
                        return response;
                    }
                };
                let headers = response.headers_mut();
                headers.insert(CONTENT_LENGTH, HeaderValue::from(compressed.len()));
                mark_encoded(headers, codec);
                *response.body_mut() = Body::from(compressed);
            }
            None => {
                let encoder = match codec.encoder() {
                    Ok(encoder) => encoder,
                    Err(error) => {
                        tracing::warn!(target: "sluice", %error, "compression failed; sending the body as is");
                        return response;
                    }
                };
                let headers = response.headers_mut();
                headers.remove(CONTENT_LENGTH);
                mark_encoded(headers, codec);
                let body = std::mem::take(response.body_mut());
                *response.body_mut() =
                    Body::new(CompressedBody::new(body, encoder, self.thread_minimum_size));
            }
        }
        response
    }
}

/// Sets `Content-Encoding` and weakens a strong `ETag`: the compressed
/// bytes differ from the identity ones, so they are no longer the same
/// strong validator ([RFC 9110 §8.8.1]).
///
/// [RFC 9110 §8.8.1]: https://www.rfc-editor.org/rfc/rfc9110#section-8.8.1
pub(super) fn mark_encoded(headers: &mut HeaderMap, codec: Codec) {
    headers.insert(CONTENT_ENCODING, codec.coding.header_value());
    if let Some(etag) = headers.get(ETAG) {
        let bytes = etag.as_bytes();
        if bytes.first() == Some(&b'"') {
            let mut weak = Vec::with_capacity(bytes.len() + 2);
            weak.extend_from_slice(b"W/");
            weak.extend_from_slice(bytes);
            if let Ok(weak) = HeaderValue::from_bytes(&weak) {
                headers.insert(ETAG, weak);
            }
        }
    }
}

/// `Cache-Control: no-transform` ([RFC 9111 §5.2.2.6]): the sender asks
/// that the content be delivered exactly as is.
///
/// [RFC 9111 §5.2.2.6]: https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.6
pub(super) fn has_no_transform(headers: &HeaderMap) -> bool {
    headers.get_all(CACHE_CONTROL).iter().any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|directive| {
            let name = directive.split(|&b| b == b'=').next().unwrap_or_default();
            name.trim_ascii().eq_ignore_ascii_case(b"no-transform")
        })
    })
}

/// An RFC 9110 token (the characters a media type or subtype may use).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Rules {
    /// The settings error, if any, for `ConfigError`.
    pub(crate) fn validate(&self, middleware: &str) -> Result<(), crate::error::ConfigError> {
        match &self.bad_excluded {
            Some(entry) => Err(crate::error::ConfigError::middleware(
                middleware,
                format!("excluded content type {entry:?} is not `type/subtype` or `type/*`"),
            )),
            None => Ok(()),
        }
    }
}
