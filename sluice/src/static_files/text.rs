//! The few rules of Python's `str` that Starlette's header parsing relies
//! on, so that sluice reads `Range` and `If-Modified-Since` exactly as it
//! does: headers decoded as Latin-1, `str.strip()`, `str.split()` and
//! `int()`.

use http::HeaderValue;

/// A header value as Starlette reads it: every byte one Latin-1 character.
pub(super) fn latin1(value: &HeaderValue) -> String {
    crate::headers::latin1(value.as_bytes()).into_owned()
}

/// Python's `str.isspace()`, for the characters a Latin-1 string can hold.
pub(super) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | '\u{1c}'..='\u{1f}' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// `str.strip()`.
pub(super) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.isdigit()` for one Latin-1 character: the ASCII digits and the
/// superscripts one, two and three.
pub(super) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '\u{b2}' | '\u{b3}' | '\u{b9}')
}

/// The most digits Python's `int()` reads from a string
/// (`sys.int_info.default_max_str_digits`, on every Python that Starlette
/// 1.10 runs on); more is a `ValueError`.
const MAX_STR_DIGITS: usize = 4300;

/// `int(s)`: surrounding whitespace, an optional sign, then ASCII digits
/// with single underscores between them, at most [`MAX_STR_DIGITS`] of
/// them. Values beyond `i128` saturate, which keeps every comparison with
/// a file size or a date right.
pub(super) fn int(s: &str) -> Option<i128> {
    let s = strip(s);
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let bytes = digits.as_bytes();
    if !bytes.first()?.is_ascii_digit() || !bytes.last()?.is_ascii_digit() {
        return None;
    }
    let mut value: i128 = 0;
    let mut count = 0;
    let mut previous_underscore = false;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                value = value
                    .saturating_mul(10)
                    .saturating_add(i128::from(b - b'0'));
                count += 1;
                previous_underscore = false;
            }
            b'_' if !previous_underscore => previous_underscore = true,
            _ => return None,
        }
    }
    // Underscores do not count; leading zeros do.
    (count <= MAX_STR_DIGITS).then_some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_reads_what_python_reads() {
        assert_eq!(int("42"), Some(42));
        assert_eq!(int(" +42 "), Some(42));
        assert_eq!(int("-0"), Some(0));
        assert_eq!(int("1_000"), Some(1000));
        assert_eq!(int("\u{a0}7\u{85}"), Some(7));
        assert_eq!(
            int("99999999999999999999999999999999999999999999"),
            Some(i128::MAX)
        );
        for bad in ["", "-", "+", "1__0", "_1", "1_", "0x10", "1.0", "- 1", "١"] {
            assert_eq!(int(bad), None, "{bad:?}");
        }
        // Python's limit on digits (a ValueError past it), underscores
        // not counted.
        assert_eq!(int(&"9".repeat(4300)), Some(i128::MAX));
        assert_eq!(int(&"0".repeat(4301)), None);
        assert_eq!(int(&format!("-{}", "1".repeat(4301))), None);
        let spaced = vec!["11"; 2150].join("_");
        assert_eq!(int(&spaced), Some(i128::MAX));
        assert_eq!(int(&format!("{spaced}_1")), None);
    }

    #[test]
    fn strip_and_latin1() {
        assert_eq!(strip("\u{1c} a b\u{a0}"), "a b");
        let value = HeaderValue::from_bytes(b"caf\xe9").expect("obs-text is allowed");
        assert_eq!(latin1(&value), "caf\u{e9}");
    }
}
