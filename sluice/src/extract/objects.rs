//! Reading a parsed JSON body the way pydantic does in one respect serde
//! does not: a model (a struct) is read only from a JSON object.
//!
//! serde's derived `Deserialize` also reads a struct from a list of its
//! fields' values, so `["hammer", 9.5]` would be an `Item`. pydantic
//! answers `model_attributes_type`, and so must we: [`Objects`] wraps a
//! `&Value` and refuses a struct from an array, at any depth (in lists,
//! maps, `Option`s and other structs). Everything else is read as
//! `serde_json` reads a `Value`.

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
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
        self.0.deserialize_enum(name, variants, visitor)
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

    // Numbers, booleans and characters read as `serde_json` reads them.
    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
    }
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
}
