//! Signing, formats and cookie reading, below the middleware.

use std::time::Duration;

use http::header::{HeaderMap, HeaderValue, COOKIE};
use serde_json::{json, Map, Value};

use super::codec::{self, Format};
use super::find_cookie;
use super::signer::{Purpose, Signer};
use crate::headers::unquote_cookie as unquote;

/// Cookies written by Starlette's `SessionMiddleware`, made by itsdangerous
/// 2.2.0 itself (Python 3.11) with the signing time fixed at 1700000000:
///
/// ```python
/// import json, base64, itsdangerous
/// class FixedSigner(itsdangerous.TimestampSigner):
///     def get_timestamp(self): return 1700000000
/// def cookie(secret, session):  # what SessionMiddleware does
///     data = base64.b64encode(json.dumps(session).encode("utf-8"))
///     return FixedSigner(secret).sign(data).decode()
/// ```
const STARLETTE_VECTORS: &[(&str, &str, &str)] = &[
    (
        "conformance-secret",
        r#"{"user": "alice"}"#,
        "eyJ1c2VyIjogImFsaWNlIn0=.ZVPxAA.SNpiBTJm5j41wkUhe0rHn1PCZAE",
    ),
    (
        "conformance-secret",
        r#"{"user": "alice", "n": [1, 2.5, null, true], "nested": {"k": "v"}}"#,
        "eyJ1c2VyIjogImFsaWNlIiwgIm4iOiBbMSwgMi41LCBudWxsLCB0cnVlXSwgIm5lc3RlZCI6IHsiayI6ICJ2In19.ZVPxAA.AROQiu2Y-TcZM6S6TWTyx6EJzRU",
    ),
    (
        "short",
        r#"{"name": "Zoë 😀", "quote": "a\"b\\c"}"#,
        "eyJuYW1lIjogIlpvXHUwMGViIFx1ZDgzZFx1ZGUwMCIsICJxdW90ZSI6ICJhXCJiXFxjIn0=.ZVPxAA.W6G3zplrkVI8oWXpL0nlTyg1iqE",
    ),
    (
        "a-much-longer-secret-of-at-least-thirty-two-bytes!!",
        r#"{"cart": [{"id": 7, "qty": 2}]}"#,
        "eyJjYXJ0IjogW3siaWQiOiA3LCAicXR5IjogMn1dfQ==.ZVPxAA.boNfuBp6zf6BbBvH3StRFaHJD7k",
    ),
];

const SIGNED_AT: u64 = 1_700_000_000;

fn map(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json).expect("json") {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

#[test]
fn starlette_cookies_are_written_byte_for_byte() {
    for (secret, session, cookie) in STARLETTE_VECTORS {
        let signer = Signer::starlette(&[secret.as_bytes().to_vec()]);
        let payload = codec::encode(&map(session), Format::Starlette).expect("encodes");
        assert_eq!(signer.sign_at(&payload, SIGNED_AT), *cookie, "{session}");
    }
}

#[test]
fn starlette_cookies_are_read() {
    for (secret, session, cookie) in STARLETTE_VECTORS {
        let signer = Signer::starlette(&[secret.as_bytes().to_vec()]);
        let payload = signer
            .unsign_at(
                cookie.as_bytes(),
                Some(Duration::from_secs(60)),
                SIGNED_AT + 60,
            )
            .expect("valid");
        assert_eq!(
            codec::decode(payload, Format::Starlette),
            Some(map(session))
        );
    }
}

#[test]
fn a_starlette_cookie_expires_after_max_age() {
    let (secret, _, cookie) = STARLETTE_VECTORS[0];
    let signer = Signer::starlette(&[secret.as_bytes().to_vec()]);
    let max_age = Some(Duration::from_secs(60));
    assert!(signer
        .unsign_at(cookie.as_bytes(), max_age, SIGNED_AT + 61)
        .is_none());
    assert!(signer
        .unsign_at(cookie.as_bytes(), None, SIGNED_AT + 10_000_000)
        .is_some());
}

#[test]
fn a_signature_from_the_future_is_refused_beyond_the_clock_skew() {
    let signer = Signer::native(&[vec![7; 32]], Purpose::Data);
    let value = signer.sign_at("e30", SIGNED_AT);
    assert!(signer
        .unsign_at(value.as_bytes(), None, SIGNED_AT - 60)
        .is_some());
    assert!(signer
        .unsign_at(value.as_bytes(), None, SIGNED_AT - 61)
        .is_none());
}

#[test]
fn any_changed_byte_breaks_the_signature() {
    let signer = Signer::native(&[vec![7; 32]], Purpose::Data);
    let value = signer.sign_at("eyJ1c2VyIjoiYWxpY2UifQ", SIGNED_AT);
    assert!(signer
        .unsign_at(value.as_bytes(), None, SIGNED_AT)
        .is_some());
    for i in 0..value.len() {
        for replacement in [b'A', b'_', b'-', b'.', b'0', b'z', b'='] {
            let mut bytes = value.clone().into_bytes();
            if bytes[i] == replacement {
                continue;
            }
            bytes[i] = replacement;
            assert!(
                signer.unsign_at(&bytes, None, SIGNED_AT).is_none(),
                "{i} {replacement}"
            );
        }
        let truncated = &value.as_bytes()[..i];
        assert!(
            signer.unsign_at(truncated, None, SIGNED_AT).is_none(),
            "{i}"
        );
    }
    let appended = format!("{value}x");
    assert!(signer
        .unsign_at(appended.as_bytes(), None, SIGNED_AT)
        .is_none());
}

#[test]
fn the_first_secret_signs_and_every_secret_verifies() {
    let old = vec![1; 32];
    let new = vec![2; 32];
    let before =
        Signer::native(std::slice::from_ref(&old), Purpose::Data).sign_at("e30", SIGNED_AT);
    let rotated = Signer::native(&[new.clone(), old], Purpose::Data);
    assert!(rotated
        .unsign_at(before.as_bytes(), None, SIGNED_AT)
        .is_some());
    let after = rotated.sign_at("e30", SIGNED_AT);
    assert!(Signer::native(&[new], Purpose::Data)
        .unsign_at(after.as_bytes(), None, SIGNED_AT)
        .is_some());
}

#[test]
fn an_id_signature_is_not_a_data_signature() {
    let secret = [vec![3; 32]];
    let id = Signer::native(&secret, Purpose::Id).sign_at("e30", SIGNED_AT);
    assert!(Signer::native(&secret, Purpose::Data)
        .unsign_at(id.as_bytes(), None, SIGNED_AT)
        .is_none());
}

fn headers(lines: &[&'static str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in lines {
        headers.append(COOKIE, HeaderValue::from_static(line));
    }
    headers
}

fn found(lines: &[&'static str]) -> Option<String> {
    find_cookie(&headers(lines), "session")
        .map(|v| String::from_utf8(v.into_owned()).expect("utf-8"))
}

#[test]
fn the_last_session_cookie_counts_across_headers() {
    assert_eq!(found(&[]), None);
    assert_eq!(found(&["a=1; session=x; b=2"]), Some("x".into()));
    assert_eq!(found(&["session=x; session=y"]), Some("y".into()));
    assert_eq!(
        found(&["session=x", "other=1; session=z"]),
        Some("z".into())
    );
    assert_eq!(found(&[" session = spaced ; b=1"]), Some("spaced".into()));
    assert_eq!(found(&["session="]), Some(String::new()));
    assert_eq!(found(&["session"]), None);
    assert_eq!(found(&["sessions=x; xsession=y"]), None);
    assert_eq!(found(&["session=a=b"]), Some("a=b".into()));
}

#[test]
fn quoted_values_are_unquoted_as_python_does() {
    assert_eq!(found(&["session=\"abc\""]), Some("abc".into()));
    assert_eq!(&*unquote(br#""a\"b\\c""#), b"a\"b\\c");
    assert_eq!(&*unquote(br#""\101\x""#), b"Ax");
    assert_eq!(&*unquote(b"\"unterminated"), b"\"unterminated");
    assert_eq!(&*unquote(b"\""), b"\"");
    assert_eq!(&*unquote(br#""ends\""#), b"ends\\");
}

#[test]
fn data_that_is_not_an_object_is_no_session() {
    let signer = Signer::native(&[vec![7; 32]], Purpose::Data);
    let list = codec::encode(&Map::new(), Format::Native).expect("encodes");
    assert_eq!(list, "e30");
    let value = signer.sign_at("WzFd", SIGNED_AT); // base64url of `[1]`
    let payload = signer
        .unsign_at(value.as_bytes(), None, SIGNED_AT)
        .expect("signed");
    assert_eq!(codec::decode(payload, Format::Native), None);
    assert_eq!(json!({}), Value::Object(Map::new()));
}
