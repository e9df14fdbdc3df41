//! Numbers with a fraction, written into JSON as Python writes them.
//!
//! FastAPI answers with `json.dumps`, which writes a float as its `repr`:
//! the shortest digits that read back to the same value (as serde_json
//! finds them, with `zmij`), laid out by Python's rule. Between `1e-4`
//! and `1e16` the number is written out in full, with at least one digit
//! after the point (`0.0001`, `1000000000000000.0`); outside, with an
//! exponent of at least two digits and its sign (`1e-05`, `1.5e-07`,
//! `1e+16`). serde_json writes `0.00001` and `1.5e-7` for the first two.
//! sluice's JSON bodies, OpenAPI document and WebSocket messages use
//! [`to_writer`] so that each byte is the one FastAPI sends.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// Compact JSON (serde_json's default formatter), with floats as Python
/// writes them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PythonFloats;

impl Formatter for PythonFloats {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        write_f64(writer, value)
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        let mut buffer = zmij::Buffer::new();
        write_shortest(writer, buffer.format_finite(value))
    }
}

/// `value` as compact JSON into `writer`, floats as Python writes them.
pub(crate) fn to_writer<W, T>(writer: W, value: &T) -> serde_json::Result<()>
where
    W: io::Write,
    T: ?Sized + Serialize,
{
    value.serialize(&mut serde_json::Serializer::with_formatter(
        writer,
        PythonFloats,
    ))
}

/// `value` as compact JSON, floats as Python writes them.
pub(crate) fn to_vec<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

/// `value` as compact JSON text, floats as Python writes them.
pub(crate) fn to_string<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let bytes = to_vec(value)?;
    // serde_json writes UTF-8 only, and the floats are ASCII.
    String::from_utf8(bytes).map_err(<serde_json::Error as serde::ser::Error>::custom)
}

/// A finite `value` as Python's `repr` writes it. serde_json writes
/// `null` for the others and never asks for them.
pub(crate) fn write_f64<W: ?Sized + io::Write>(writer: &mut W, value: f64) -> io::Result<()> {
    let mut buffer = zmij::Buffer::new();
    write_shortest(writer, buffer.format_finite(value))
}

/// Python's layout for the shortest digits `zmij` found, which it writes
/// as `[-]DIGITS[.DIGITS][e[+-]EXP]` (`1e+20`, `1.5e-7`, `0.00001`, `2.0`).
/// Most floats need no change: written out in full, between `1e-4` and
/// `1e16`, both write them alike.
fn write_shortest<W: ?Sized + io::Write>(writer: &mut W, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    let unsigned = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let whole_digits = unsigned.iter().position(|&b| b == b'.');
    let in_full = !unsigned.contains(&b'e')
        && whole_digits.is_some_and(|whole| whole <= 16)
        && !unsigned.starts_with(b"0.0000");
    if in_full {
        return writer.write_all(bytes);
    }
    relayout(writer, text)
}

/// [`write_shortest`] for the floats whose layout differs: the digits and
/// the point's place are read from `text`, then written as Python would.
fn relayout<W: ?Sized + io::Write>(writer: &mut W, text: &str) -> io::Result<()> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The significant digits, and how many of them come before the point
    // (negative: that many zeros come first after it).
    let mut digits = [0u8; 40];
    let mut count = 0;
    let mut point = i32::try_from(whole.len()).unwrap_or(0) + exponent;
    for &digit in whole.as_bytes().iter().chain(fraction.as_bytes()) {
        if count == 0 && digit == b'0' {
            point -= 1;
            continue;
        }
        if count < digits.len() {
            digits[count] = digit;
            count += 1;
        }
    }
    while count > 0 && digits[count - 1] == b'0' {
        count -= 1;
    }
    if count == 0 {
        // Zero.
        return writer.write_all(if negative { b"-0.0" } else { b"0.0" });
    }
    let digits = &digits[..count];
    if negative {
        writer.write_all(b"-")?;
    }
    let places = i32::try_from(count).unwrap_or(i32::MAX);
    if point <= -4 || point > 16 {
        writer.write_all(&digits[..1])?;
        if count > 1 {
            writer.write_all(b".")?;
            writer.write_all(&digits[1..])?;
        }
        let exponent = point - 1;
        let sign = if exponent < 0 { '-' } else { '+' };
        write!(writer, "e{sign}{:02}", exponent.unsigned_abs())
    } else if point <= 0 {
        writer.write_all(b"0.")?;
        for _ in point..0 {
            writer.write_all(b"0")?;
        }
        writer.write_all(digits)
    } else if point >= places {
        writer.write_all(digits)?;
        for _ in places..point {
            writer.write_all(b"0")?;
        }
        writer.write_all(b".0")
    } else {
        let split = usize::try_from(point).unwrap_or(0);
        writer.write_all(&digits[..split])?;
        writer.write_all(b".")?;
        writer.write_all(&digits[split..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python(value: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, value).expect("writes");
        String::from_utf8(out).expect("ascii")
    }

    /// Each pair is `repr(value)` in CPython 3.11.
    #[test]
    fn floats_are_written_as_python_writes_them() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (2.5, "2.5"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-1.5e-7, "-1.5e-07"),
            (1e-300, "1e-300"),
            (5e-324, "5e-324"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1234567890123456.7, "1234567890123456.8"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1e20, "1e+20"),
            (9.223372036854776e18, "9.223372036854776e+18"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (0.30000000000000004, "0.30000000000000004"),
            (100.0, "100.0"),
            (1e5, "100000.0"),
        ];
        for &(value, expected) in cases {
            assert_eq!(python(value), expected, "{value:e}");
        }
    }

    /// Whatever the layout, the text reads back to the same float, and
    /// through serde_json too.
    #[test]
    fn every_float_written_reads_back_the_same() {
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            // xorshift: spread over every exponent and sign.
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let value = f64::from_bits(bits);
            if !value.is_finite() {
                continue;
            }
            let text = python(value);
            assert_eq!(text.parse::<f64>().ok(), Some(value), "{text}");
            let read: f64 = serde_json::from_str(&text).expect("JSON");
            assert_eq!(read.to_bits(), value.to_bits(), "{text}");
        }
    }

    #[test]
    fn values_are_compact_json_with_python_floats() {
        let value = serde_json::json!({"a": [1, 1e-5, 2.0, "x"], "b": {"c": 1e16, "d": null}});
        assert_eq!(
            to_string(&value).expect("serializes"),
            r#"{"a":[1,1e-05,2.0,"x"],"b":{"c":1e+16,"d":null}}"#
        );
        assert_eq!(to_string(&0.1f32).expect("serializes"), "0.1");
        assert_eq!(to_string(&1e-7f32).expect("serializes"), "1e-07");
    }
}
