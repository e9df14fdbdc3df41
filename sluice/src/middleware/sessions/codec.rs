//! The session's data in a cookie: JSON, base64-encoded, signed. sluice's
//! format writes compact JSON in unpadded URL-safe base64; Starlette's
//! writes `json.dumps` (`", "` and `": "`, non-ASCII escaped) in standard
//! padded base64, so that the cookie is the one Starlette would write.

use std::io;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::{Map, Value};

/// Which cookie format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Native,
    Starlette,
}

/// The payload for a session's data.
pub(super) fn encode(
    data: &Map<String, Value>,
    format: Format,
) -> Result<String, serde_json::Error> {
    match format {
        Format::Native => Ok(URL_SAFE_NO_PAD.encode(serde_json::to_vec(data)?)),
        Format::Starlette => {
            let mut json = Vec::with_capacity(128);
            let mut ser = serde_json::Serializer::with_formatter(&mut json, PythonJson);
            data.serialize(&mut ser)?;
            Ok(STANDARD.encode(json))
        }
    }
}

/// The data in a verified payload: `None` when it is not base64 of a JSON
/// object.
pub(super) fn decode(payload: &[u8], format: Format) -> Option<Map<String, Value>> {
    let json = match format {
        Format::Native => URL_SAFE_NO_PAD.decode(payload).ok()?,
        Format::Starlette => STANDARD.decode(payload).ok()?,
    };
    match serde_json::from_slice::<Value>(&json).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Python's `json.dumps` defaults: `", "` between items, `": "` after
/// keys, everything outside printable ASCII as `\uXXXX` (lower-case hex,
/// surrogate pairs above the BMP), floats as Python writes them.
struct PythonJson;

impl Formatter for PythonJson {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        crate::floats::PythonFloats.write_f64(writer, value)
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        crate::floats::PythonFloats.write_f32(writer, value)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(pos) = rest.find(|c: char| c > '~') {
            writer.write_all(&rest.as_bytes()[..pos])?;
            let c = rest[pos..].chars().next().expect("a char at pos");
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            rest = &rest[pos + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn python(value: &Value) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonJson);
        value.serialize(&mut ser).expect("serializes");
        String::from_utf8(out).expect("ascii")
    }

    #[test]
    fn json_is_written_as_python_writes_it() {
        // json.dumps({"user": "alice", "n": [1, 2], "e": {}, "t": true, "z": None})
        let value = json!({"user": "alice", "n": [1, 2], "e": {}, "t": true, "z": null});
        assert_eq!(
            python(&value),
            r#"{"user": "alice", "n": [1, 2], "e": {}, "t": true, "z": null}"#
        );
        // json.dumps({"k": "é\x7f😀\n\"\\"})
        let value = json!({"k": "é\u{7f}😀\n\"\\"});
        assert_eq!(python(&value), r#"{"k": "\u00e9\u007f\ud83d\ude00\n\"\\"}"#);
    }

    #[test]
    fn floats_are_written_as_python_writes_them() {
        // json.dumps({"f": [1e-05, 2.0, 1e+16, 0.1]})
        let value = json!({"f": [1e-5, 2.0, 1e16, 0.1]});
        assert_eq!(python(&value), r#"{"f": [1e-05, 2.0, 1e+16, 0.1]}"#);
    }

    #[test]
    fn only_objects_decode() {
        for format in [Format::Native, Format::Starlette] {
            let mut map = Map::new();
            map.insert("a".into(), json!(1));
            let payload = encode(&map, format).expect("encodes");
            assert_eq!(decode(payload.as_bytes(), format), Some(map));
        }
        assert_eq!(
            decode(URL_SAFE_NO_PAD.encode("[1]").as_bytes(), Format::Native),
            None
        );
        assert_eq!(decode(b"!!", Format::Native), None);
    }
}
