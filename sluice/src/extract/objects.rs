//! Reading a parsed JSON body the way pydantic does, where serde does
//! not:
//!
//! - a model (a struct) is read only from a JSON object. serde's derived
//!   `Deserialize` also reads a struct from a list of its fields' values,
//!   so `["hammer", 9.5]` would be an `Item`; pydantic answers
//!   `model_attributes_type`, and so must we, at any depth (in lists,
//!   maps, `Option`s and other structs);
//! - numbers and booleans are read as pydantic's lax mode reads them
//!   (its default, and FastAPI's): `" 5 "` or `5.0` for an integer,
//!   `"2.5"` for a float, `"yes"` or `1` for a boolean (see
//!   [`lax_integer`], [`lax_float`], [`lax_bool`]).
//!
//! Everything else is read as `serde_json` reads a `Value`.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

/// A `&Value` to deserialize from, structs only from objects.
pub(crate) struct Objects<'a>(pub(crate) &'a Value);

type Error = serde_json::Error;

impl<'de> Deserializer<'de> for Objects<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(fields) => visit_object(fields, visitor),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            Value::Object(fields) => visit_object(fields, visitor),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(fields) => visit_object(fields, visitor),
            other => other.deserialize_map(visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visit_array(items, visitor),
            other => other.deserialize_seq(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            // The tagged form, `{"Variant": content}`, for a variant with
            // data; a variant without data is only ever its name, as
            // pydantic reads an `Enum` (see `Tagged`).
            Value::Object(fields) => visitor.visit_enum(Tagged(fields)),
            other => other.deserialize_enum(name, variants, visitor),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_unit(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_identifier(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_str(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_bytes(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_byte_buf(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match lax_bool(self.0) {
            Some(flag) => visitor.visit_bool(flag),
            None => self.0.deserialize_bool(visitor),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match lax_float(self.0) {
            Some(number) => visitor.visit_f64(number),
            None => self.0.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    lax_integers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    // Characters read as `serde_json` reads them.
    forward_to_deserialize_any! {
        char
    }
}

/// An integer target: what pydantic's lax mode also takes for an `int`
/// (see [`lax_integer`]) is handed over as a number, the rest read as
/// `serde_json` reads it (whose errors name the type).
macro_rules! lax_integers {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                match lax_integer(self.0) {
                    Some(number) => match (i64::try_from(number), u64::try_from(number)) {
                        (Ok(small), _) => visitor.visit_i64(small),
                        (_, Ok(large)) => visitor.visit_u64(large),
                        _ => visitor.visit_i128(number),
                    },
                    None => self.0.deserialize_any(visitor),
                }
            }
        )*
    };
}
use lax_integers;

/// What pydantic's lax mode reads as an `int` beyond a JSON integer: a
/// whole float (`5.0`), a boolean (`true` is 1), and a string of digits,
/// trimmed, with a sign, `_` between digits, and a fraction of zeros
/// (`" 5 "`, `"+1_000"`, `"5.0"`).
fn lax_integer(value: &Value) -> Option<i128> {
    match value {
        Value::Number(number) if !number.is_f64() => None,
        Value::Number(number) => {
            let float = number.as_f64()?;
            whole_i64(float).then_some(float as i128)
        }
        Value::Bool(flag) => Some(i128::from(*flag)),
        Value::String(text) => lax_integer_text(text),
        _ => None,
    }
}

/// Whether pydantic reads the float `value` as a 64-bit integer: whole,
/// and strictly between -2^63 and 2^63 (pydantic 2.14 calls `9.3e18` and
/// `-9223372036854775808.0` too large for an `int`, and no integer for a
/// `bool`).
pub(super) fn whole_i64(value: f64) -> bool {
    /// 2^63, exactly, as a float.
    const BOUND: f64 = 9_223_372_036_854_775_808.0;
    value.fract() == 0.0 && -BOUND < value && value < BOUND
}

/// What pydantic's lax mode reads as an integer from text: trimmed, with
/// a sign, `_` between digits, and a fraction of zeros (`" 5 "`,
/// `"+1_000"`, `"5.0"`).
pub(super) fn lax_integer_text(text: &str) -> Option<i128> {
    let text = text.trim();
    let (digits, fraction) = match text.split_once('.') {
        Some((digits, fraction)) => (digits, Some(fraction)),
        None => (text, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || f.bytes().any(|b| b != b'0')) {
        return None;
    }
    let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
    if !python_digits(unsigned) {
        return None;
    }
    digits.replace('_', "").parse().ok()
}

/// What pydantic's lax mode reads as a `float` beyond a JSON number: a
/// boolean, and a string Python's `float()` reads, trimmed (`" 2.5 "`,
/// `"1_000.5"`, `"1e5"`, `"inf"`, `"nan"`).
fn lax_float(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(flag) => Some(if *flag { 1.0 } else { 0.0 }),
        Value::String(text) => lax_float_text(text),
        _ => None,
    }
}

/// What pydantic's lax mode reads as a `float` from text: what Python's
/// `float()` reads, trimmed (`" 2.5 "`, `"1_000.5"`, `"1e5"`, `"inf"`).
pub(super) fn lax_float_text(text: &str) -> Option<f64> {
    let text = text.trim();
    // `_` only between two digits, as Python allows it.
    let bytes = text.as_bytes();
    let underscores_fit = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'_'
            || (i > 0
                && bytes[i - 1].is_ascii_digit()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
    });
    if !underscores_fit {
        return None;
    }
    text.replace('_', "").parse().ok()
}

/// What pydantic's lax mode reads as a `bool` beyond a JSON boolean: `0`
/// and `1` (also `0.0`, `1.0`), and the words of `str_to_bool`, in any
/// case: `true`, `yes`, `on`, `1`, `t`, `y` and their opposites.
fn lax_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(0.0) => Some(false),
            Some(1.0) => Some(true),
            _ => None,
        },
        Value::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" | "t" | "y" => Some(true),
            "false" | "no" | "off" | "0" | "f" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// ASCII digits, with single `_` between them.
fn python_digits(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('_')
        && !text.ends_with('_')
        && !text.contains("__")
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

fn visit_array<'de, V: Visitor<'de>>(items: &'de [Value], visitor: V) -> Result<V::Value, Error> {
    let mut seq = Items { iter: items.iter() };
    let value = visitor.visit_seq(&mut seq)?;
    match seq.iter.len() {
        0 => Ok(value),
        _ => Err(de::Error::invalid_length(
            items.len(),
            &"fewer elements in array",
        )),
    }
}

fn visit_object<'de, V: Visitor<'de>>(
    fields: &'de Map<String, Value>,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut map = Fields {
        iter: fields.iter(),
        value: None,
    };
    visitor.visit_map(&mut map)
}

/// An enum given as an object: one key, the variant, and its content,
/// read under the rule. serde_json also takes `{"red": null}` for a
/// variant without data; pydantic takes only `"red"`, so the object form
/// of such a variant is refused (`expected unit variant`), as an object
/// of other than one key is (`expected map with a single key`). Both are
/// a 422 `enum` issue at the enum's place.
struct Tagged<'a>(&'a Map<String, Value>);

impl<'de> EnumAccess<'de> for Tagged<'de> {
    type Error = Error;
    type Variant = Content<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Content<'de>), Error> {
        let mut fields = self.0.iter();
        let (Some((variant, content)), None) = (fields.next(), fields.next()) else {
            return Err(de::Error::invalid_value(
                Unexpected::Map,
                &"map with a single key",
            ));
        };
        let variant = seed.deserialize(BorrowedStrDeserializer::<Error>::new(variant))?;
        Ok((variant, Content(content)))
    }
}

/// The content of a [`Tagged`] variant.
struct Content<'a>(&'a Value);

impl<'de> VariantAccess<'de> for Content<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Err(de::Error::invalid_type(Unexpected::Map, &"unit variant"))
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(Objects(self.0))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        Objects(self.0).deserialize_tuple(len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        Objects(self.0).deserialize_struct("", fields, visitor)
    }
}

/// The items of an array, each under the rule.
struct Items<'a> {
    iter: std::slice::Iter<'a, Value>,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.iter
            .next()
            .map(|item| seed.deserialize(Objects(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The fields of an object, each value under the rule.
struct Fields<'a> {
    iter: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key: de::value::StrDeserializer<'_, Error> = key.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Objects(value)),
            None => Err(de::Error::custom(
                "a map value was asked for before its key",
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use std::collections::HashMap;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Point {
        x: i64,
        y: i64,
    }

    fn read<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, String> {
        T::deserialize(Objects(value)).map_err(|e| e.to_string())
    }

    #[test]
    fn a_struct_is_read_from_an_object_only() {
        assert_eq!(
            read::<Point>(&json!({"x": 1, "y": 2})),
            Ok(Point { x: 1, y: 2 })
        );
        let refused = read::<Point>(&json!([1, 2])).expect_err("a list is not a model");
        assert_eq!(refused, "invalid type: sequence, expected struct Point");
    }

    #[test]
    fn the_rule_holds_inside_lists_maps_and_options() {
        assert!(read::<Vec<Point>>(&json!([[1, 2]])).is_err());
        assert!(read::<HashMap<String, Point>>(&json!({"a": [1, 2]})).is_err());
        assert!(read::<Option<Point>>(&json!([1, 2])).is_err());
        assert_eq!(read::<Option<Point>>(&json!(null)), Ok(None));
        assert_eq!(
            read::<Vec<Point>>(&json!([{"x": 1, "y": 2}])),
            Ok(vec![Point { x: 1, y: 2 }])
        );
    }

    #[test]
    fn other_values_read_as_serde_json_reads_them() {
        assert_eq!(
            read::<(i64, String)>(&json!([1, "a"])),
            Ok((1, "a".to_owned()))
        );
        assert_eq!(
            read::<Value>(&json!({"a": [1, {"b": null}]})),
            Ok(json!({"a": [1, {"b": null}]}))
        );
        assert!(read::<(i64, i64)>(&json!([1, 2, 3])).is_err());
        assert_eq!(read::<u8>(&json!(7)), Ok(7));
        // serde_json's own map reads `null` as empty through
        // `deserialize_any`; asked for a map, `null` is not one.
        assert!(read::<Map<String, Value>>(&json!(null)).is_err());
        assert!(read::<u8>(&json!(300)).is_err());
        assert!(read::<String>(&json!(1)).is_err());
    }

    /// pydantic 2.14's answers (`TypeAdapter(int | float | bool)`, lax).
    #[test]
    fn lax_values_are_those_pydantic_takes() {
        let int = |v: Value| lax_integer(&v);
        assert_eq!(int(json!(" 5 ")), Some(5));
        assert_eq!(int(json!("+5")), Some(5));
        assert_eq!(int(json!("-5")), Some(-5));
        assert_eq!(int(json!("5.0")), Some(5));
        assert_eq!(int(json!("1_000")), Some(1000));
        assert_eq!(int(json!("05")), Some(5));
        assert_eq!(int(json!(5.0)), Some(5));
        assert_eq!(int(json!(true)), Some(1));
        for refused in ["5.5", "1__0", "_1", "0x10", "", "  ", "1e3", "inf"] {
            assert_eq!(int(json!(refused)), None, "{refused:?}");
        }
        assert_eq!(int(json!(5.5)), None);

        let float = |v: Value| lax_float(&v);
        assert_eq!(float(json!(" 2.5 ")), Some(2.5));
        assert_eq!(float(json!("1_000.5")), Some(1000.5));
        assert_eq!(float(json!(".5")), Some(0.5));
        assert_eq!(float(json!("5.")), Some(5.0));
        assert_eq!(float(json!("1e5")), Some(100_000.0));
        assert_eq!(float(json!("-inf")), Some(f64::NEG_INFINITY));
        assert!(float(json!("NaN")).is_some_and(f64::is_nan));
        assert_eq!(float(json!(true)), Some(1.0));
        for refused in ["", "0x10", "1__0", "_1"] {
            assert_eq!(float(json!(refused)), None, "{refused:?}");
        }

        let flag = |v: Value| lax_bool(&v);
        for yes in ["true", "TRUE", "yes", "on", "1", "t", "y"] {
            assert_eq!(flag(json!(yes)), Some(true), "{yes}");
        }
        for no in ["false", "no", "off", "0", "f", "n"] {
            assert_eq!(flag(json!(no)), Some(false), "{no}");
        }
        assert_eq!(flag(json!(1)), Some(true));
        assert_eq!(flag(json!(0.0)), Some(false));
        for refused in [json!(" true"), json!("2"), json!(2), json!(1.5)] {
            assert_eq!(flag(refused.clone()), None, "{refused}");
        }
    }
}
