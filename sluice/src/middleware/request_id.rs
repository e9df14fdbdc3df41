//! [`RequestId`]: one id per request, in the request's extensions, the tracing
//! span and the response.
//!
//! The id comes from the client's `X-Request-ID` when it is a safe,
//! reasonably short string (so that a proxy's or a caller's id carries
//! through), and is a fresh UUID v4 otherwise. Handlers read it as a
//! [`ReqId`]; every `tracing` event emitted while the request is handled
//! carries it as the `request_id` field of the `request` span; the response
//! echoes it. Under [`Tracing`](super::Tracing) (feature `otel`), the
//! server span records it as `http.response.header.x-request-id`.
//!
//! ```
//! use sluice::extract::Extension;
//! use sluice::middleware::{ReqId, RequestId};
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! async fn show(Extension(id): Extension<ReqId>) -> String {
//!     id.to_string()
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().get("/", show).add_middleware(RequestId::new()));
//!
//! let res = client.get("/").header("x-request-id", "abc-123").await;
//! assert_eq!(res.header("x-request-id"), Some("abc-123"));
//! assert_eq!(res.text(), "abc-123");
//!
//! // A hostile id is never echoed: it is replaced by a fresh UUID.
//! let res = client.get("/").header("x-request-id", "<script>").await;
//! assert_eq!(res.header("x-request-id").unwrap().len(), 36);
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;

use http::header::{HeaderName, HeaderValue};
use tracing::Instrument;

use crate::error::ConfigError;
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::Response;

/// The longest client-supplied id accepted by default.
pub const DEFAULT_MAX_REQUEST_ID_LEN: usize = 128;

/// Gives each request an id: the client's `X-Request-ID` when it is valid,
/// a new UUID v4 otherwise.
///
/// | setting | default | effect |
/// |---|---|---|
/// | [`header`](RequestId::header) | `x-request-id` | the request and response header |
/// | [`max_len`](RequestId::max_len) | 128 | longer client ids are replaced |
/// | [`trust_incoming`](RequestId::trust_incoming) | `true` | `false` always generates a new id |
///
/// A client id is used only when it is 1 to `max_len` characters of
/// `A-Z a-z 0-9 - _ . : ; = + / @` and the header appears once. Anything
/// else (spaces, quotes, control characters, non-ASCII bytes, a 10 KB
/// value, two headers) is replaced by a generated id, so a client can never
/// put text of its choosing into logs or responses through it.
///
/// The id is put in the request's extensions as a [`ReqId`] (read it in a
/// handler with `Extension<ReqId>`), recorded as `request_id` on a
/// `request` span (at `INFO` level, target `sluice::request`) around the
/// rest of the stack, and set on the response unless an inner layer already
/// set that header. [`AccessLog`](super::AccessLog) logs it when it runs
/// inside this middleware.
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestId {
    header: HeaderName,
    max_len: usize,
    trust_incoming: bool,
    invalid: Option<String>,
    /// `http.response.header.<name>`: the attribute the id is recorded as
    /// on the OpenTelemetry span of the request (see `Tracing`).
    #[cfg(feature = "otel")]
    otel_key: opentelemetry::Key,
}

impl Default for RequestId {
    fn default() -> Self {
        RequestId::new()
    }
}

impl RequestId {
    /// `X-Request-ID`, client ids up to 128 characters trusted.
    pub fn new() -> Self {
        RequestId {
            header: HeaderName::from_static("x-request-id"),
            max_len: DEFAULT_MAX_REQUEST_ID_LEN,
            trust_incoming: true,
            invalid: None,
            #[cfg(feature = "otel")]
            otel_key: opentelemetry::Key::from_static_str("http.response.header.x-request-id"),
        }
    }

    /// The header read from the request and set on the response (e.g.
    /// `x-correlation-id`). An invalid name is reported when the app is
    /// built.
    pub fn header(mut self, name: &str) -> Self {
        match HeaderName::try_from(name) {
            Ok(name) => {
                #[cfg(feature = "otel")]
                {
                    self.otel_key =
                        opentelemetry::Key::from(format!("http.response.header.{}", name.as_str()));
                }
                self.header = name;
            }
            Err(_) => self.invalid = Some(format!("{name:?} is not a valid header name")),
        }
        self
    }

    /// The longest client id accepted; longer ones are replaced. Must be
    /// at least 1 (reported when the app is built).
    pub fn max_len(mut self, max_len: usize) -> Self {
        if max_len == 0 {
            self.invalid = Some("max_len must be at least 1".to_owned());
        }
        self.max_len = max_len;
        self
    }

    /// Whether a valid client id is used (`true`, the default) or every
    /// request gets a new one (`false`, for apps facing untrusted clients
    /// that must not choose the ids in your logs).
    pub fn trust_incoming(mut self, trust: bool) -> Self {
        self.trust_incoming = trust;
        self
    }

    fn incoming(&self, req: &Request) -> Option<ReqId> {
        if !self.trust_incoming {
            return None;
        }
        let mut values = req.headers().get_all(&self.header).iter();
        let value = values.next()?;
        if values.next().is_some() {
            tracing::debug!(target: "sluice::request", "several request id headers; generating an id");
            return None;
        }
        if is_valid_id(value.as_bytes(), self.max_len) {
            Some(ReqId(value.clone()))
        } else {
            tracing::debug!(target: "sluice::request", "invalid request id header; generating an id");
            None
        }
    }
}

impl RequestId {
    /// Records the id on the current OpenTelemetry span (the server span
    /// of `Tracing`, when it runs further out), as the response header
    /// it will be.
    #[cfg(feature = "otel")]
    fn record_on_otel_span(&self, id: &ReqId) {
        use opentelemetry::trace::TraceContextExt;
        let cx = opentelemetry::Context::current();
        let span = cx.span();
        if span.is_recording() {
            let value = opentelemetry::Array::String(vec![id.as_str().to_owned().into()]);
            span.set_attribute(opentelemetry::KeyValue::new(
                self.otel_key.clone(),
                opentelemetry::Value::Array(value),
            ));
        }
    }
}

/// Whether `id` is 1..=`max_len` bytes of the safe set.
pub(crate) fn is_valid_id(id: &[u8], max_len: usize) -> bool {
    !id.is_empty()
        && id.len() <= max_len
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:;=+/@".contains(b))
}

impl Middleware for RequestId {
    async fn handle(&self, mut req: Request, next: Next) -> crate::Result<Response> {
        let id = match self.incoming(&req) {
            Some(id) => id,
            None => ReqId::generate(),
        };
        req.extensions_mut().insert(id.clone());
        #[cfg(feature = "otel")]
        self.record_on_otel_span(&id);
        let span = tracing::info_span!(target: "sluice::request", "request", request_id = %id);
        let mut response = next.run(req).instrument(span).await;
        if !response.headers().contains_key(&self.header) {
            response.headers_mut().insert(self.header.clone(), id.0);
        }
        Ok(response)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("RequestId")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match &self.invalid {
            Some(reason) => Err(ConfigError::middleware("RequestId", reason.clone())),
            None => Ok(()),
        }
    }
}

/// The id of the request being handled, put in the request's extensions by
/// [`RequestId`]. Read it in a handler with
/// [`Extension<ReqId>`](crate::extract::Extension), or in a middleware
/// further in with `req.extensions().get::<ReqId>()`.
///
/// It is always 1 to 128 (or the configured maximum) characters of
/// `A-Z a-z 0-9 - _ . : ; = + / @`, safe to log and to put in headers.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReqId(HeaderValue);

impl ReqId {
    /// A new random id: a UUID v4 in its hyphenated form.
    pub fn generate() -> Self {
        let mut buf = uuid::Uuid::encode_buffer();
        let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
        ReqId(HeaderValue::from_str(text).expect("a UUID is a valid header value"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        self.0
            .to_str()
            .expect("ids are checked to be ASCII when they are made")
    }

    /// The id as a header value.
    pub fn as_header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl fmt::Display for ReqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ReqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReqId").field(&self.as_str()).finish()
    }
}

impl AsRef<str> for ReqId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_id_formats() {
        for id in [
            "abc-123",
            "550e8400-e29b-41d4-a716-446655440000",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "8a1b2c3d4e5f6a7b-SJC",
            "dGVzdA==",
        ] {
            assert!(is_valid_id(id.as_bytes(), 128), "{id}");
        }
    }

    #[test]
    fn refuses_unsafe_or_oversized_ids() {
        for id in [
            &b""[..],
            b"has space",
            b"quote\"d",
            b"<script>",
            b"line\nbreak",
            b"tab\there",
            b"caf\xc3\xa9",
            b"percent%0a",
            b"back\\slash",
        ] {
            assert!(!is_valid_id(id, 128), "{id:?}");
        }
        assert!(is_valid_id(&[b'a'; 128], 128));
        assert!(!is_valid_id(&[b'a'; 129], 128));
    }

    #[test]
    fn generated_ids_are_uuids_and_differ() {
        let a = ReqId::generate();
        let b = ReqId::generate();
        assert_eq!(a.as_str().len(), 36);
        assert!(is_valid_id(a.as_str().as_bytes(), 128));
        assert_ne!(a, b);
    }
}
