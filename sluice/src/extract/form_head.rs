//! What the headers of a form say, read as Starlette (with
//! python-multipart) reads them: the body's media type, a multipart
//! body's boundary and charset, and each part's name and file name.

use std::borrow::Cow;

use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use http::HeaderMap;

pub(super) use crate::headers::latin1;
use crate::headers::trim_by;

/// A header value's media type (lower-case) and its parameters, in order.
/// Parameters are split at `;` outside double quotes; a name is compared
/// case-insensitively; a quoted value loses its quotes and its `\`
/// escapes; a `name*` (RFC 2231) parameter is left out, as RFC 7578
/// forbids it in a form. Bytes are Latin-1, as Starlette reads headers.
pub(super) struct Options<'h> {
    pub(super) media_type: String,
    params: Vec<(String, Cow<'h, [u8]>)>,
}

impl<'h> Options<'h> {
    pub(super) fn parse(value: &'h [u8]) -> Self {
        let mut segments = split_outside_quotes(value).into_iter();
        let media_type = latin1(trim(segments.next().unwrap_or_default())).to_lowercase();
        let params = segments
            .filter_map(|segment| {
                let equals = segment.iter().position(|&b| b == b'=')?;
                let name = latin1(trim(&segment[..equals])).to_lowercase();
                if name.contains('*') {
                    return None;
                }
                let value = trim(&segment[equals + 1..]);
                Some((name, unquote(value)))
            })
            .collect();
        Options { media_type, params }
    }

    /// The value of the last parameter called `name` (lower-case).
    pub(super) fn get(&self, name: &str) -> Option<&[u8]> {
        self.params
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| &**value)
    }
}

/// The `Content-Type`'s options: media type and parameters.
pub(super) fn content_type(headers: &HeaderMap) -> Options<'_> {
    Options::parse(headers.get(CONTENT_TYPE).map_or(&[][..], |v| v.as_bytes()))
}

/// How a multipart body's names and values are decoded: the `charset` of
/// its `Content-Type` (UTF-8 by default), falling back to Latin-1 for
/// bytes that are not in it, and for a charset other than these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Charset {
    Utf8,
    Latin1,
}

impl Charset {
    pub(super) fn of(options: &Options<'_>) -> Self {
        match options.get("charset") {
            None => Charset::Utf8,
            Some(label) => {
                let label = latin1(label).to_ascii_lowercase().replace('_', "-");
                match label.as_str() {
                    "utf-8" | "utf8" | "u8" | "utf" => Charset::Utf8,
                    _ => Charset::Latin1,
                }
            }
        }
    }

    /// `bytes` as text in this charset, or else in Latin-1.
    pub(super) fn decode(self, bytes: &[u8]) -> String {
        match (self, std::str::from_utf8(bytes)) {
            (Charset::Utf8, Ok(text)) => text.to_owned(),
            _ => latin1(bytes).into_owned(),
        }
    }
}

/// A part's name and, for a file, its file name, from its
/// `Content-Disposition`; `None` without a name.
pub(super) fn part_names(
    headers: &HeaderMap,
    charset: Charset,
) -> Option<(String, Option<String>)> {
    let value = headers.get(CONTENT_DISPOSITION)?.as_bytes();
    let options = Options::parse(value);
    let name = charset.decode(options.get("name")?);
    let file_name = options
        .get("filename")
        .map(|f| charset.decode(without_windows_path(f)));
    Some((name, file_name))
}

/// A file name sent with its Windows path (`C:\dir\a.txt`, `\\host\a.txt`,
/// as old browsers did) loses the path, as python-multipart strips it.
fn without_windows_path(file_name: &[u8]) -> &[u8] {
    let has_path = file_name.get(1..3) == Some(b":\\") || file_name.starts_with(b"\\\\");
    match file_name.iter().rposition(|&b| b == b'\\') {
        Some(slash) if has_path => &file_name[slash + 1..],
        _ => file_name,
    }
}

/// Trims spaces and tabs, as python-multipart trims a parameter.
fn trim(bytes: &[u8]) -> &[u8] {
    trim_by(bytes, |b| b == b' ' || b == b'\t')
}

/// Splits at `;` where the `"`s before it (not counting `\"`) are even.
fn split_outside_quotes(value: &[u8]) -> Vec<&[u8]> {
    let mut segments = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, &b) in value.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                segments.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    segments.push(&value[start..]);
    segments
}

/// A parameter's value without its quotes and `\` escapes, if quoted.
fn unquote(value: &[u8]) -> Cow<'_, [u8]> {
    match value {
        [b'"', inner @ .., b'"'] => {
            if !inner.contains(&b'\\') {
                return Cow::Borrowed(inner);
            }
            let mut out = Vec::with_capacity(inner.len());
            let mut bytes = inner.iter();
            while let Some(&b) = bytes.next() {
                match (b, bytes.as_slice().first()) {
                    (b'\\', Some(&next @ (b'\\' | b'"'))) => {
                        out.push(next);
                        bytes.next();
                    }
                    _ => out.push(b),
                }
            }
            Cow::Owned(out)
        }
        other => Cow::Borrowed(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(disposition: &[u8]) -> Option<(String, Option<String>)> {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_DISPOSITION,
            http::HeaderValue::from_bytes(disposition).expect("a header value"),
        );
        part_names(&headers, Charset::Utf8)
    }

    /// Each case as python-multipart 0.0.34's `parse_options_header` reads
    /// it (recorded through FastAPI).
    #[test]
    fn part_names_are_read_as_python_multipart_reads_them() {
        let name = |n: &str| Some((n.to_owned(), None));
        assert_eq!(names(b"form-data; name=\"username\""), name("username"));
        assert_eq!(names(b"form-data; Name=\"username\""), name("username"));
        assert_eq!(
            names(b"form-data; name=\"foo\"; name=\"username\""),
            name("username")
        );
        assert_eq!(names(b"form-data; name=user name"), name("user name"));
        assert_eq!(names(b"form-data; name=\"a;b\""), name("a;b"));
        assert_eq!(names(b"form-data; name=\"a\\\"b\""), name("a\"b"));
        assert_eq!(names(b"form-data; name=\"\xff\""), name("ÿ"));
        assert_eq!(names(b"form-data; name*=utf-8''x"), None);
        assert_eq!(names(b"form-data"), None);
        assert_eq!(
            names(b"form-data; name=\"f\"; FILENAME=\"a.txt\""),
            Some(("f".to_owned(), Some("a.txt".to_owned())))
        );
        // A Windows path loses its directories; other backslashes stay.
        let file = |f: &str| Some(("f".to_owned(), Some(f.to_owned())));
        assert_eq!(
            names(b"form-data; name=f; filename=\"C:\\x\\y.txt\""),
            file("y.txt")
        );
        assert_eq!(
            names(b"form-data; name=f; filename=\"C:\\\\x\\\\y.txt\""),
            file("y.txt")
        );
        assert_eq!(
            names(b"form-data; name=f; filename=\\\\host\\a.txt"),
            file("a.txt")
        );
        assert_eq!(
            names(b"form-data; name=f; filename=\"a\\b.txt\""),
            file("a\\b.txt")
        );
        assert_eq!(
            names(b"form-data; name=f; filename=\"dir/a.txt\""),
            file("dir/a.txt")
        );
    }

    #[test]
    fn a_content_type_s_boundary_and_charset() {
        let options = Options::parse(b"Multipart/Form-Data ; boundary = b; charset=Latin-1");
        assert_eq!(options.media_type, "multipart/form-data");
        assert_eq!(options.get("boundary"), Some(&b"b"[..]));
        assert_eq!(Charset::of(&options), Charset::Latin1);
        let options = Options::parse(b"multipart/form-data; boundary=b; boundary=c");
        assert_eq!(options.get("boundary"), Some(&b"c"[..]));
        assert_eq!(Charset::of(&options), Charset::Utf8);
        assert_eq!(Charset::Latin1.decode(b"\xc3\xa9"), "Ã©");
        assert_eq!(Charset::Utf8.decode(b"\xc3\xa9"), "é");
        assert_eq!(Charset::Utf8.decode(b"\xe9"), "é");
    }
}
