//! The opening handshake ([RFC 6455 §4.2](https://www.rfc-editor.org/rfc/rfc6455#section-4.2)):
//! which requests are handshakes, which are valid, and the responses that
//! accept or refuse one, as uvicorn gives them.

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_TYPE, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version};

use crate::body::Body;
use crate::request::Request;
use crate::response::Response;

/// Up to this many names, looking through them beats a hash lookup.
const FEW_HEADERS: usize = 16;

/// [`is_websocket_request`] for a request in the stack, which can often
/// tell it has no `Upgrade` header without looking (see
/// [`Request::may_upgrade`]).
pub(crate) fn is_handshake(req: &Request) -> bool {
    req.may_upgrade() && is_websocket_request(req.headers())
}

/// Whether `headers` ask for a WebSocket: `Connection` lists `upgrade` and
/// `Upgrade` is `websocket` (both case-insensitive), as uvicorn decides.
/// Any other request, `GET` to a WebSocket route included, is plain HTTP.
pub fn is_websocket_request(headers: &HeaderMap) -> bool {
    // Every request is asked, and almost none has an `Upgrade` header: a
    // look at a few names costs less than hashing one.
    if headers.keys_len() <= FEW_HEADERS && !headers.keys().any(|name| name == UPGRADE) {
        return false;
    }
    let Some(upgrade) = headers.get_all(UPGRADE).iter().next_back() else {
        return false;
    };
    upgrade.as_bytes().eq_ignore_ascii_case(b"websocket")
        && headers.get_all(CONNECTION).iter().any(|value| {
            value
                .as_bytes()
                .split(|b| *b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
        })
}

/// Why a handshake is refused with `400`, in the words of the `websockets`
/// library that uvicorn answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    message: String,
    wrong_version: bool,
}

/// Checks a handshake request (RFC 6455 §4.2.1) and returns its key.
pub(crate) fn check(
    method: &Method,
    version: Version,
    headers: &HeaderMap,
) -> Result<HeaderValue, Invalid> {
    let invalid = |message: String| Invalid {
        message,
        wrong_version: false,
    };
    if method != Method::GET || version != Version::HTTP_11 {
        return Err(invalid("did not receive a valid HTTP request".to_owned()));
    }
    let key = single(headers, &SEC_WEBSOCKET_KEY, "Sec-WebSocket-Key").map_err(invalid)?;
    if let Err(cause) = decode_key(key.as_bytes()) {
        let shown = String::from_utf8_lossy(key.as_bytes());
        let mut message = header_problem("Sec-WebSocket-Key", &shown);
        if let Some(cause) = cause {
            message.push_str("; ");
            message.push_str(cause);
        }
        return Err(invalid(message));
    }
    let version =
        single(headers, &SEC_WEBSOCKET_VERSION, "Sec-WebSocket-Version").map_err(invalid)?;
    if version.as_bytes() != b"13" {
        return Err(Invalid {
            message: header_problem(
                "Sec-WebSocket-Version",
                &String::from_utf8_lossy(version.as_bytes()),
            ),
            wrong_version: true,
        });
    }
    Ok(key.clone())
}

/// The one value of a header that must appear once.
fn single<'a>(
    headers: &'a HeaderMap,
    name: &http::HeaderName,
    shown: &str,
) -> Result<&'a HeaderValue, String> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(format!("missing {shown} header")),
        (Some(_), Some(_)) => Err(format!("invalid {shown} header: multiple values")),
    }
}

fn header_problem(name: &str, value: &str) -> String {
    if value.is_empty() {
        format!("empty {name} header")
    } else {
        format!("invalid {name} header: {value}")
    }
}

/// A key is the base64 of 16 bytes. On failure, the decoder's complaint
/// when the text is not base64 at all.
fn decode_key(key: &[u8]) -> Result<(), Option<&'static str>> {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    if key.iter().any(|&b| !alphabet(b) && b != b'=') {
        return Err(Some("Only base64 data is allowed"));
    }
    let data = key.iter().filter(|&&b| b != b'=').count();
    if data % 4 == 1 {
        return Err(Some(
            "Invalid base64-encoded string: number of data characters cannot be 1 more than a multiple of 4",
        ));
    }
    match base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key) {
        Ok(raw) if raw.len() == 16 => Ok(()),
        Ok(_) => Err(None),
        Err(_) => Err(Some("Incorrect padding")),
    }
}

impl Invalid {
    /// uvicorn's `400`: a `text/plain` explanation, the connection closed;
    /// for a wrong version also `Sec-WebSocket-Version: 13`, the version
    /// this server speaks (RFC 6455 §4.4).
    pub(crate) fn into_response(self) -> Response {
        let body = format!("Failed to open a WebSocket connection: {}.\n", self.message);
        let mut response = plain(StatusCode::BAD_REQUEST, Bytes::from(body));
        if self.wrong_version {
            response
                .headers_mut()
                .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        }
        response
    }
}

/// uvicorn's refusal of a handshake the app closed before accepting (or
/// that matched no WebSocket route): `403` with an empty `text/plain` body.
pub(crate) fn refusal() -> Response {
    plain(StatusCode::FORBIDDEN, Bytes::new())
}

fn plain(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The `101 Switching Protocols` that accepts a handshake with `key`.
pub(crate) fn switching_protocols(key: &HeaderValue) -> Response {
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(http::header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    const VALID: &[(&str, &str)] = &[
        ("connection", "keep-alive, Upgrade"),
        ("upgrade", "WebSocket"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("sec-websocket-version", "13"),
    ];

    #[test]
    fn detects_upgrade_case_insensitively() {
        assert!(is_websocket_request(&headers(VALID)));
        assert!(!is_websocket_request(&headers(&[("upgrade", "websocket")])));
        assert!(!is_websocket_request(&headers(&[
            ("connection", "upgrade"),
            ("upgrade", "h2c")
        ])));
    }

    #[test]
    fn accepts_a_valid_key_and_version() {
        let key = check(&Method::GET, Version::HTTP_11, &headers(VALID)).expect("valid");
        assert_eq!(key, "dGhlIHNhbXBsZSBub25jZQ==");
    }

    #[test]
    fn rfc_6455_sample_accept_key() {
        let response = switching_protocols(&HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="));
        assert_eq!(
            response.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn refuses_bad_keys_and_versions() {
        let with = |name: &'static str, value: &'static str| {
            let mut map = headers(VALID);
            map.insert(name, HeaderValue::from_static(value));
            check(&Method::GET, Version::HTTP_11, &map).expect_err("invalid")
        };
        assert_eq!(
            with("sec-websocket-key", "dGVzdA==").message,
            "invalid Sec-WebSocket-Key header: dGVzdA=="
        );
        assert_eq!(
            with("sec-websocket-key", "not-a-key!").message,
            "invalid Sec-WebSocket-Key header: not-a-key!; Only base64 data is allowed"
        );
        let wrong = with("sec-websocket-version", "8");
        assert!(wrong.wrong_version);
        assert_eq!(
            wrong.into_response().headers()["sec-websocket-version"],
            "13"
        );
        let mut map = headers(VALID);
        map.remove("sec-websocket-key");
        assert_eq!(
            check(&Method::GET, Version::HTTP_11, &map)
                .expect_err("missing")
                .message,
            "missing Sec-WebSocket-Key header"
        );
    }
}
