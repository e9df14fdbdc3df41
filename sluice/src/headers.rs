//! Small header helpers shared by the built-in middleware, the errors and
//! the test client.

use std::borrow::Cow;
use std::fmt;

use http::header::{Entry, HeaderMap, HeaderName, HeaderValue, VARY};

/// A header the programmer wrote, converted; a typo in it is a bug in the
/// caller's code, so it panics there ([`HttpError::with_header`], the test
/// client's headers).
///
/// [`HttpError::with_header`]: crate::HttpError::with_header
#[track_caller]
pub(crate) fn header_pair<K, V>(name: K, value: V) -> (HeaderName, HeaderValue)
where
    K: TryInto<HeaderName>,
    K::Error: fmt::Debug,
    V: TryInto<HeaderValue>,
    V::Error: fmt::Debug,
{
    let name = name.try_into().expect("a valid header name");
    let value = value.try_into().expect("a valid header value");
    (name, value)
}

/// Header bytes as Python's ASGI servers and Starlette decode them:
/// Latin-1, every byte one character. Borrowed when they are ASCII.
pub(crate) fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.is_ascii() => Cow::Borrowed(text),
        _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// `bytes` without the leading and trailing bytes `is_space` takes.
pub(crate) fn trim_by(bytes: &[u8], is_space: impl Fn(u8) -> bool) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Adds `name` to the response's `Vary` header, keeping what is already
/// there, merged into one header line without duplicates (names compared
/// case-insensitively; `*` already covers every name). Starlette's
/// middlewares append to the text as it is (`Origin, Origin`,
/// `*, Origin`): the same meaning to a cache, tidier here. `name` is a ready-made value (a `static`)
/// so that the common case, no `Vary` yet, neither checks nor copies it.
pub(crate) fn append_vary(headers: &mut HeaderMap, name: &HeaderValue) {
    let mut existing = match headers.entry(VARY) {
        Entry::Vacant(vacant) => {
            // The common case, on every response: one lookup, nothing to
            // merge, nothing to allocate.
            vacant.insert(name.clone());
            return;
        }
        Entry::Occupied(existing) => existing,
    };
    let Ok(name) = name.to_str() else { return };
    let mut merged = String::new();
    for value in existing.iter() {
        let Ok(value) = value.to_str() else { continue };
        for token in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            push_token(&mut merged, token);
        }
    }
    let before = merged.len();
    push_token(&mut merged, name);
    if merged.len() == before {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&merged) {
        existing.insert(value);
    }
}

fn push_token(list: &mut String, token: &str) {
    let present = list
        .split(", ")
        .any(|existing| existing.eq_ignore_ascii_case(token) || existing == "*");
    if present {
        return;
    }
    if !list.is_empty() {
        list.push_str(", ");
    }
    list.push_str(token);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap_or("?"))
            .collect()
    }

    #[test]
    fn merges_into_existing_values() {
        let mut headers = HeaderMap::new();
        headers.append(VARY, HeaderValue::from_static("Cookie"));
        headers.append(VARY, HeaderValue::from_static("Accept-Language, origin"));
        append_vary(&mut headers, &HeaderValue::from_static("Origin"));
        append_vary(&mut headers, &HeaderValue::from_static("Accept-Encoding"));
        assert_eq!(
            vary(&headers),
            ["Cookie, Accept-Language, origin, Accept-Encoding"]
        );
    }

    #[test]
    fn adds_when_absent_and_skips_duplicates() {
        let mut headers = HeaderMap::new();
        append_vary(&mut headers, &HeaderValue::from_static("Origin"));
        append_vary(&mut headers, &HeaderValue::from_static("origin"));
        assert_eq!(vary(&headers), ["Origin"]);
    }
}
