//! Small header helpers shared by the built-in middleware, the errors and
//! the test client.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use bytes::BytesMut;
use http::header::{Entry, HeaderMap, HeaderName, HeaderValue, COOKIE, VARY};

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

/// A header value made afresh for each response (a duration, an id),
/// cut from a buffer the thread keeps: the values share one allocation
/// per few hundred of them, where `HeaderValue::from_bytes` makes one
/// each. The buffer's memory is freed once every value cut from it is.
/// `None` for bytes a header value cannot hold.
pub(crate) fn fresh_value(bytes: &[u8]) -> Option<HeaderValue> {
    /// The size of each buffer.
    const CHUNK: usize = 4096;
    thread_local! {
        static BUFFER: RefCell<BytesMut> = RefCell::new(BytesMut::new());
    }
    let cut = BUFFER.try_with(|buffer| {
        let mut buffer = buffer.try_borrow_mut().ok()?;
        if buffer.capacity() < bytes.len() {
            // The values of the last buffer keep it alive; this one is new.
            buffer.reserve(CHUNK.max(bytes.len()));
        }
        buffer.extend_from_slice(bytes);
        Some(buffer.split().freeze())
    });
    match cut {
        Ok(Some(cut)) => HeaderValue::from_maybe_shared(cut).ok(),
        // Only while the thread's storage is being torn down.
        _ => HeaderValue::from_bytes(bytes).ok(),
    }
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

/// Whether Python's `str.strip()` takes this (Latin-1) byte away.
pub(crate) fn python_space(b: u8) -> bool {
    matches!(b, 0x09..=0x0D | 0x1C..=0x20 | 0x85 | 0xA0)
}

/// The cookies of a request, in order, as Starlette's `cookie_parser`
/// reads a `Cookie` header: split at `;`, then at the first `=` (a chunk
/// without one is a value with an empty name), both sides stripped as
/// Python strips text. Every `Cookie` header is read, one after the other,
/// as Starlette 1.10 reads them (HTTP/2 may split the cookies over several). A chunk with neither name
/// nor value is skipped. Values are still quoted: see [`unquote_cookie`].
pub(crate) fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .filter_map(|chunk| {
            let (name, value) = match chunk.iter().position(|&b| b == b'=') {
                Some(eq) => (&chunk[..eq], &chunk[eq + 1..]),
                None => (&b""[..], chunk),
            };
            let (name, value) = (trim_by(name, python_space), trim_by(value, python_space));
            (!name.is_empty() || !value.is_empty()).then_some((name, value))
        })
}

/// A cookie's value as `http.cookies._unquote` reads it: `"..."` loses its
/// quotes, `\"` and `\\` their backslash, `\ooo` becomes that octal byte.
pub(crate) fn unquote_cookie(value: &[u8]) -> Cow<'_, [u8]> {
    let [b'"', inner @ .., b'"'] = value else {
        return Cow::Borrowed(value);
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' {
            let octal = inner.get(i + 1..i + 4).filter(|d| {
                (b'0'..=b'3').contains(&d[0]) && d[1..].iter().all(|b| (b'0'..=b'7').contains(b))
            });
            if let Some(d) = octal {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
                continue;
            }
            if let Some(&next) = inner.get(i + 1) {
                out.push(next);
                i += 2;
                continue;
            }
        }
        out.push(inner[i]);
        i += 1;
    }
    Cow::Owned(out)
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
    fn fresh_values_keep_their_bytes_across_buffers() {
        // Enough values to fill several of the thread's buffers, all kept
        // alive, and one longer than a buffer.
        let texts: Vec<String> = (0..3_000)
            .map(|i| format!("{i}.{:06}", i * 7))
            .chain(["y".repeat(5_000)])
            .collect();
        let values: Vec<HeaderValue> = texts
            .iter()
            .map(|text| fresh_value(text.as_bytes()).expect("a valid value"))
            .collect();
        for (text, value) in texts.iter().zip(&values) {
            assert_eq!(value.as_bytes(), text.as_bytes());
        }
        assert!(fresh_value(b"two\nlines").is_none());
        assert_eq!(fresh_value(b"after").expect("valid"), "after");
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
