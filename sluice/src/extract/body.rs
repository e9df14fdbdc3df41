//! Body extractors: `Json<T>`, `String`, `Bytes`, `Body`.
//!
//! JSON bodies follow FastAPI's rules: a body is parsed as JSON when its
//! `content-type` is `application/json` or `application/*+json` (not when
//! there is none: FastAPI's `strict_content_type`); any other body is handed to the
//! target type as a string (so a `serde_json::Value` target accepts it, and
//! a struct target reports `model_attributes_type`, as for a pydantic
//! model). A JSON `null` body is a value like any other: `Json<Value>`
//! gets `Value::Null`, `Json<Option<T>>` gets `None`, and a type that has
//! no room for it reports the type error FastAPI reports
//! (`model_attributes_type` for a struct, `dict_type` for a map). An empty
//! body is `missing`. Malformed JSON is
//! `422 json_invalid` with the character position; a body that does not fit
//! `T` is a 422 naming the field (`loc: ["body", "price"]`).

use std::borrow::Cow;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::HeaderMap;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::check::{check_no_endless_recursion, check_no_upload};
use super::objects::{whole_i64, Objects};
use super::{listing, pyjson, Declaration, FromRequest, RequestContext};
use crate::body::Body;
use crate::error::{Error, HttpError, ValidationError, ValidationIssue};
use crate::request::Request;
use crate::response::Json;

impl FromRequest for Bytes {
    type Rejection = Error;

    async fn from_request(mut req: Request, _cx: &RequestContext) -> Result<Self, Error> {
        Ok(req.bytes().await?)
    }
}

impl FromRequest for String {
    type Rejection = Error;

    async fn from_request(mut req: Request, _cx: &RequestContext) -> Result<Self, Error> {
        let bytes = req.bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|_| parse_failure())
    }
}

/// The raw body, to read it chunk by chunk (as the last argument).
impl FromRequest for Body {
    type Rejection = std::convert::Infallible;

    async fn from_request(mut req: Request, _cx: &RequestContext) -> Result<Self, Self::Rejection> {
        Ok(req.take_body())
    }
}

/// FastAPI's answer when a body cannot be decoded at all.
fn parse_failure() -> Error {
    Error::new(HttpError::new(400, "There was an error parsing the body"))
}

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequest for Json<T> {
    type Rejection = Error;

    async fn from_request(mut req: Request, _cx: &RequestContext) -> Result<Self, Error> {
        let bytes = req.bytes().await?;
        if bytes.is_empty() {
            return Err(missing_body());
        }
        let value = parse_json_value(req.headers(), &bytes)?;
        from_body::<T>(&value, bytes.len()).map(Json)
    }

    /// Refuses a type serde would recurse into without end (an untagged
    /// enum with a variant of itself); documents a required JSON body
    /// holding a `T`.
    fn declare(decl: &mut Declaration<'_>) {
        if let Err(problem) =
            check_no_upload::<T>("Json").and_then(|()| check_no_endless_recursion::<T>("Json"))
        {
            decl.problem(problem);
        }
        if let Some(doc) = decl.openapi() {
            doc.json_body::<T>(true);
        }
    }
}

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequest for Option<Json<T>> {
    type Rejection = Error;

    async fn from_request(mut req: Request, _cx: &RequestContext) -> Result<Self, Error> {
        let bytes = req.bytes().await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        match parse_json_value(req.headers(), &bytes)? {
            Value::Null => Ok(None),
            value => from_body::<T>(&value, bytes.len()).map(|v| Some(Json(v))),
        }
    }

    /// As `Json<T>`'s, for an optional body.
    fn declare(decl: &mut Declaration<'_>) {
        if let Err(problem) =
            check_no_upload::<T>("Json").and_then(|()| check_no_endless_recursion::<T>("Json"))
        {
            decl.problem(problem);
        }
        if let Some(doc) = decl.openapi() {
            doc.json_body::<T>(false);
        }
    }
}

/// A body that is not JSON and not UTF-8 either, for a target that wants
/// its text: pydantic's `string_unicode`, rather than text with the bad
/// bytes replaced (FastAPI fails to send such a body back: a 500).
fn not_unicode(bytes: &[u8]) -> Error {
    Error::new(ValidationError::single(ValidationIssue::new(
        "string_unicode",
        vec![Value::from("body")],
        "Input should be a valid string, unable to parse raw data as a unicode string",
        Value::String(String::from_utf8_lossy(bytes).into_owned()),
    )))
}

fn missing_body() -> Error {
    Error::new(ValidationError::single(ValidationIssue::new(
        "missing",
        vec![Value::from("body")],
        "Field required",
        Value::Null,
    )))
}

/// Whether FastAPI would parse a body with these headers as JSON: only
/// with a JSON `content-type` (FastAPI 0.165's `strict_content_type`, on by
/// default, leaves a body without one unparsed). The type is read as
/// Python's `email.message` reads it, which FastAPI uses: the part before
/// any `;`, trimmed, with exactly one `/` and nothing trimmed around it
/// (`application /json` is not JSON).
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mime = value.split(';').next().unwrap_or("").trim();
    let Some((main, sub)) = mime.split_once('/') else {
        return false;
    };
    !sub.contains('/') && main.eq_ignore_ascii_case("application") && {
        let sub = sub.to_ascii_lowercase();
        sub == "json" || sub.ends_with("+json")
    }
}

/// The body as FastAPI hands it to validation: parsed JSON when the
/// content type says JSON (or says nothing), the raw text otherwise.
fn parse_json_value(headers: &HeaderMap, bytes: &Bytes) -> Result<Value, Error> {
    if !is_json_content_type(headers) {
        return match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Ok(Value::String(text)),
            Err(_) => Err(not_unicode(bytes)),
        };
    }
    let Some(text) = decode_json(bytes) else {
        return Err(parse_failure());
    };
    serde_json::from_str::<Value>(&text).map_err(|e| unparsable(&text, &e))
}

/// The text of a JSON body as Python's `json.loads` decodes bytes
/// (`json.detect_encoding`): UTF-32 or UTF-16 by a byte order mark, or by
/// which of the first bytes are zero; else UTF-8, a byte order mark taken
/// off (`utf-8-sig`). Positions in errors count from after the mark, as in
/// Python. `None` for bytes that do not decode (FastAPI's 400); Python's
/// `surrogatepass` would keep a lone surrogate, which a Rust string cannot.
fn decode_json(bytes: &[u8]) -> Option<Cow<'_, str>> {
    enum Width {
        Sixteen,
        ThirtyTwo,
    }
    let (width, big_endian, skip) = match bytes {
        [0, 0, 0xFE, 0xFF, ..] => (Width::ThirtyTwo, true, 4),
        [0xFF, 0xFE, 0, 0, ..] => (Width::ThirtyTwo, false, 4),
        [0xFE, 0xFF, ..] => (Width::Sixteen, true, 2),
        [0xFF, 0xFE, ..] => (Width::Sixteen, false, 2),
        [0xEF, 0xBB, 0xBF, rest @ ..] => return std::str::from_utf8(rest).ok().map(Cow::Borrowed),
        [0, 0, _, _, ..] => (Width::ThirtyTwo, true, 0),
        [0, _, _, _, ..] | [0, _] => (Width::Sixteen, true, 0),
        [_, 0, 0, 0, ..] => (Width::ThirtyTwo, false, 0),
        [_, 0, _, _, ..] | [_, 0] => (Width::Sixteen, false, 0),
        _ => return std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
    };
    let bytes = &bytes[skip..];
    match width {
        Width::Sixteen => {
            let units = bytes.chunks(2).map(|unit| match unit {
                [a, b] if big_endian => Some(u16::from_be_bytes([*a, *b])),
                [a, b] => Some(u16::from_le_bytes([*a, *b])),
                _ => None,
            });
            let units: Option<Vec<u16>> = units.collect();
            String::from_utf16(&units?).ok().map(Cow::Owned)
        }
        Width::ThirtyTwo => bytes
            .chunks(4)
            .map(|unit| {
                let unit: [u8; 4] = unit.try_into().ok()?;
                let code = if big_endian {
                    u32::from_be_bytes(unit)
                } else {
                    u32::from_le_bytes(unit)
                };
                char::from_u32(code)
            })
            .collect::<Option<String>>()
            .map(Cow::Owned),
    }
}

/// Deserializes `T` from a parsed body of `size` bytes; when it does not
/// fit, lists every issue, as pydantic does (see [`listing`]).
fn from_body<T: DeserializeOwned + JsonSchema + 'static>(
    value: &Value,
    size: usize,
) -> Result<T, Error> {
    match serde_path_to_error::deserialize::<_, T>(Objects(value)) {
        Ok(parsed) => Ok(parsed),
        Err(e) => {
            let first = shape_issue(value, &e);
            let issues = listing::every_issue::<T, _>(value, size, first, shape_issue_at);
            Err(Error::new(ValidationError::new(issues)))
        }
    }
}

/// pydantic's issue for serde's `error` in reading `root`, with the
/// client's value where it is as its input.
fn shape_issue(
    root: &Value,
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> ValidationIssue {
    let (mut issue, input) = shape_issue_at(root, error);
    issue.input = input.cloned().unwrap_or(Value::Null);
    issue
}

/// The issue of [`shape_issue`] with a `null` input, and where in `root`
/// its input is: whoever makes the issue copies it, once, and may take it
/// from elsewhere (a mended body's issue takes what the client sent).
fn shape_issue_at<'v>(
    root: &'v Value,
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> (ValidationIssue, Option<&'v Value>) {
    use serde_path_to_error::Segment;
    let mut loc = vec![Value::from("body")];
    let mut at = Some(root);
    let mut in_variant = false;
    for segment in error.path().iter() {
        in_variant = matches!(segment, Segment::Enum { .. });
        match segment {
            Segment::Seq { index } => {
                loc.push(Value::from(*index));
                at = at.and_then(|v| v.get(*index));
            }
            Segment::Map { key } => {
                loc.push(Value::from(key.as_str()));
                at = at.and_then(|v| listing::member(v, key));
            }
            Segment::Enum { variant } => loc.push(Value::from(variant.as_str())),
            Segment::Unknown => {}
        }
    }
    let message = error.inner().to_string();
    if message.ends_with("expected unit variant") && in_variant {
        // A variant without data given as `{"name": ...}`: the enum's own
        // issue, where the enum is (its input is the object).
        loc.pop();
    }
    let input = at;
    if let Some(field) = missing_field(&message) {
        loc.push(Value::from(field));
        let issue = ValidationIssue::new("missing", loc, "Field required", Value::Null);
        return (issue, input);
    }
    if let Some(field) = unknown_field(&message) {
        // The path ends at the field when it was read as a map key.
        let (extra, at_field) = match loc.last() {
            Some(Value::String(last)) if last == field => (input, true),
            _ => (
                input.and_then(|parent| listing::member(parent, field)),
                false,
            ),
        };
        if !at_field {
            loc.push(Value::from(field));
        }
        let issue = ValidationIssue::new(
            "extra_forbidden",
            loc,
            "Extra inputs are not permitted",
            Value::Null,
        );
        return (issue, extra);
    }
    if message.ends_with("expected string or map")
        || message.ends_with("expected map with a single key")
        || message.ends_with("expected unit variant")
    {
        // serde_json's words for an enum given a number, a list, a
        // boolean, and `Objects`' for one given an object: the choices
        // come from the model's schema (see `listing::every_issue`).
        let issue = ValidationIssue::new(
            "enum",
            loc,
            "Input should be one of the allowed values",
            Value::Null,
        );
        return (issue, input);
    }
    if message.starts_with("unknown variant") {
        // serde lists the variants in backquotes after "expected", which
        // follows the client's value (that may hold anything).
        let expected = message.rsplit_once(", expected ").map_or("", |(_, e)| e);
        let variants: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let listed = super::de::choices(&variants);
        let mut issue = ValidationIssue::new(
            "enum",
            loc,
            format!("Input should be {listed}"),
            Value::Null,
        );
        issue.ctx = Some(serde_json::json!({ "expected": listed }));
        return (issue, input);
    }
    let (kind, msg) = classify(&message, input.unwrap_or(&Value::Null));
    (ValidationIssue::new(kind, loc, msg, Value::Null), input)
}

/// The client's key in serde's "unknown field `KEY`, expected `a`, `b`"
/// (or ", there are no fields"): the key may hold backquotes and serde's
/// own words itself, the struct's names are what follow it. A struct
/// without fields is told by the end of the message, which is serde's.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.strip_suffix("`, there are no fields")
        .or_else(|| rest.rsplit_once("`, expected ").map(|(field, _)| field))
}

/// The field in serde's "missing field `NAME`". Read from the start only:
/// another error's message quotes the client's value, which may hold the
/// same words (`{"price": "missing field `q`"}` is a bad number, not a
/// missing `q`).
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.rsplit_once('`').map(|(field, _)| field)
}

/// Whether pydantic reads `n` as a 64-bit integer, as it does before
/// trying a number as a `bool`: an integer of `i64`, or a whole float
/// that fits ([`whole_i64`]); `10000000000000000000` does not.
fn is_i64(n: &serde_json::Number) -> bool {
    n.is_i64() || (n.is_f64() && n.as_f64().is_some_and(whole_i64))
}

/// pydantic's issue for a value it tried to read as a `bool`, and could not.
const BOOL_PARSING: (&str, &str) = (
    "bool_parsing",
    "Input should be a valid boolean, unable to interpret input",
);

/// Maps serde's "invalid type/value, expected X" to pydantic's error types.
fn classify(message: &str, input: &Value) -> (&'static str, &'static str) {
    let expected = message.rsplit("expected ").next().unwrap_or("");
    let is_int = [
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "isize", "usize",
        "integer",
    ]
    .iter()
    .any(|t| {
        expected
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == *t)
    });
    if is_int {
        return match input {
            Value::String(_) => (
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
            // A whole float is read when it fits 64 bits; pydantic calls
            // one past them too large, not fractional.
            Value::Number(n) if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0) => (
                "int_parsing_size",
                "Unable to parse input string as an integer, exceeded maximum size",
            ),
            Value::Number(n) if n.is_f64() => (
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            ),
            _ => ("int_type", "Input should be a valid integer"),
        };
    }
    if expected.contains("f32") || expected.contains("f64") || expected.contains("floating") {
        return match input {
            Value::String(_) => (
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            ),
            _ => ("float_type", "Input should be a valid number"),
        };
    }
    if expected.contains("a boolean") {
        // A text or a whole number that is none of the words or 0 and 1.
        return match input {
            Value::String(_) => BOOL_PARSING,
            Value::Number(n) if is_i64(n) => BOOL_PARSING,
            _ => ("bool_type", "Input should be a valid boolean"),
        };
    }
    if expected.contains("string") || expected.contains("char") {
        return ("string_type", "Input should be a valid string");
    }
    if expected.contains("struct") {
        return (
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        );
    }
    if expected.contains("map") {
        return ("dict_type", "Input should be a valid dictionary");
    }
    if expected.contains("sequence") || expected.contains("tuple") || expected.contains("array") {
        return ("list_type", "Input should be a valid list");
    }
    if message.starts_with("unknown variant") {
        return ("enum", "Input should be one of the allowed values");
    }
    (
        "value_error",
        "Value error, the input does not have the expected shape",
    )
}

/// FastAPI's answer to a body that says it is JSON and is not: the
/// `json_invalid` issue, `loc: ["body", <char position>]`,
/// `msg: "JSON decode error"`, `input: {}`, `ctx.error`, where and as
/// Python's `json.loads` reports it ([`pyjson`]).
///
/// What Python reads and serde_json cannot hold is refused too: nesting
/// of 128 levels or more is FastAPI's answer past Python's own limit (a
/// 400), and `NaN`, `Infinity`, `1e400` or a lone surrogate escape, which
/// FastAPI takes in but cannot send back (its 500), are a `json_invalid`
/// where serde_json stopped.
fn unparsable(text: &str, error: &serde_json::Error) -> Error {
    let (position, reason) = match pyjson::python_json_error(text) {
        // Python's check for a mark is on `str` input only; from bytes, a
        // second mark is just a character that starts no value.
        Some((0, pyjson::BOM)) => (0, "Expecting value"),
        Some(found) => found,
        None if error.to_string().starts_with("recursion limit exceeded") => {
            return parse_failure()
        }
        None => (
            char_position(text, error.line(), error.column()),
            "Expecting value",
        ),
    };
    let mut issue = ValidationIssue::new(
        "json_invalid",
        vec![Value::from("body"), Value::from(position)],
        "JSON decode error",
        Value::Object(serde_json::Map::new()),
    );
    issue.ctx = Some(serde_json::json!({ "error": reason }));
    Error::new(ValidationError::single(issue))
}

/// serde_json's 1-based line and column (the column counts bytes and
/// points at the offending byte) as a 0-based character index.
fn char_position(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, piece) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let mut byte = offset + column.saturating_sub(1);
            byte = byte.min(text.len());
            while !text.is_char_boundary(byte) {
                byte -= 1;
            }
            return text[..byte].chars().count();
        }
        offset += piece.len();
    }
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position and message of the `json_invalid` answer to `text`.
    fn pos(text: &str) -> (u64, String) {
        let err = serde_json::from_str::<Value>(text).expect_err("malformed");
        let err = unparsable(text, &err);
        let issue = &err
            .downcast_ref::<ValidationError>()
            .expect("json_invalid")
            .issues()[0];
        let position = issue.loc[1].as_u64().expect("a position");
        let reason = issue.ctx.as_ref().expect("a reason")["error"].to_string();
        (position, reason)
    }

    fn said(position: u64, reason: &str) -> (u64, String) {
        (position, format!("{reason:?}"))
    }

    #[test]
    fn python_positions_for_common_mistakes() {
        assert_eq!(pos("abc"), said(0, "Expecting value"));
        assert_eq!(pos("{\"a\":"), said(5, "Expecting value"));
        assert_eq!(pos("{\"a\""), said(4, "Expecting ':' delimiter"));
        assert_eq!(pos("{\"a\":1"), said(6, "Expecting ',' delimiter"));
        assert_eq!(
            pos("{"),
            said(1, "Expecting property name enclosed in double quotes")
        );
        assert_eq!(pos("{\"a\":1} x"), said(8, "Extra data"));
        assert_eq!(pos("\"abc"), said(0, "Unterminated string starting at"));
        assert_eq!(pos("[1, \"x"), said(4, "Unterminated string starting at"));
        assert_eq!(pos("  "), said(2, "Expecting value"));
        // json.loads("nul"), json.loads("[1, tr"), json.loads("-")
        assert_eq!(pos("nul"), said(0, "Expecting value"));
        assert_eq!(pos("[1, tr"), said(4, "Expecting value"));
        assert_eq!(pos("-"), said(0, "Expecting value"));
        // Where serde_json's own words led astray (json.loads's answers).
        assert_eq!(pos("1."), said(1, "Extra data"));
        assert_eq!(pos("01"), said(1, "Extra data"));
        assert_eq!(pos("[1,2,3.]"), said(6, "Expecting ',' delimiter"));
        assert_eq!(pos("\"\\u00\""), said(2, "Invalid \\uXXXX escape"));
        assert_eq!(pos("{\"a\":[1,]}"), said(8, "Expecting value"));
        assert_eq!(pos("- 1"), said(0, "Expecting value"));
        assert_eq!(pos("\"a\nb\""), said(2, "Invalid control character at"));
    }

    #[test]
    fn what_python_reads_and_serde_json_cannot_hold_is_refused() {
        // Deeper than serde_json's 128 levels: FastAPI's 400 past Python's
        // own limit.
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let err = serde_json::from_str::<Value>(&deep).expect_err("too deep");
        let answer = crate::response::IntoResponse::into_response(unparsable(&deep, &err));
        assert_eq!(answer.status(), 400);
        // `NaN`: a json_invalid where serde_json stopped.
        assert_eq!(pos("[NaN]"), said(1, "Expecting value"));
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(
            !is_json_content_type(&h),
            "none: FastAPI's strict_content_type"
        );
        for (ct, json) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/vnd.api+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("json", false),
            (" application/json ; charset=utf-8", true),
            ("application /json", false),
            ("application/ json", false),
            ("application/json/x", false),
        ] {
            h.insert(CONTENT_TYPE, ct.parse().expect("valid"));
            assert_eq!(is_json_content_type(&h), json, "{ct}");
        }
    }

    #[test]
    fn missing_field_names_the_field_and_gives_the_object() {
        #[derive(serde::Deserialize, schemars::JsonSchema, Debug)]
        #[allow(dead_code)]
        struct Item {
            name: String,
            price: f64,
        }
        let err = from_body::<Item>(&serde_json::json!({"name": "x"}), 12).expect_err("missing");
        let v = err.downcast_ref::<ValidationError>().expect("validation");
        let issue = &v.issues()[0];
        assert_eq!(issue.kind, "missing");
        assert_eq!(issue.loc, vec![Value::from("body"), Value::from("price")]);
        assert_eq!(issue.input, serde_json::json!({"name": "x"}));

        let err = from_body::<Item>(&serde_json::json!({"name": "x", "price": "cheap"}), 28)
            .expect_err("bad");
        let v = err.downcast_ref::<ValidationError>().expect("validation");
        assert_eq!(v.issues()[0].kind, "float_parsing");
        assert_eq!(v.issues()[0].input, Value::from("cheap"));
    }
}
