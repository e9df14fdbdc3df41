//! What an extractor's type asks a deserializer for, found without any
//! input, so that a type that can never fit its source (a bare `String` for
//! named query parameters, a tuple longer than the route's parameters) is
//! refused when the app is built rather than failing on requests.
//!
//! [`Probe`] is a serde `Deserializer` that answers every `deserialize_*`
//! call with an error carrying what was asked for. Single-child wrappers
//! (`Option`, newtypes, a sequence's elements, a map's values) are looked
//! through in the same run; a struct's fields and a tuple's positions are
//! explored one per run, following a plan of indexes. [`Synth`] makes up a
//! plausible value where a run must get past one (a tuple's earlier
//! positions, a struct's fields when finding which are required).

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

/// What a type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One value read from text: `"bool"`, `"i64"`, `"string"`, ...
    Scalar(&'static str),
    /// Whatever the input holds (`serde_json::Value`, untagged enums).
    Any,
    /// `()` or a unit struct.
    Unit,
    Option(Box<Shape>),
    Newtype(&'static str, Box<Shape>),
    /// A sequence and the shape of its elements.
    Seq(Box<Shape>),
    /// A tuple or tuple struct (named) and the shape of each position.
    Tuple {
        name: Option<&'static str>,
        elements: Vec<Shape>,
    },
    /// A map and the shape of its values (also a struct with a
    /// `#[serde(flatten)]` field, which serde reads as a map).
    Map(Box<Shape>),
    /// A struct: its fields' names as read (after `rename`) and shapes.
    Struct {
        name: &'static str,
        fields: Vec<(&'static str, Shape)>,
    },
    Enum {
        name: &'static str,
        variants: &'static [&'static str],
    },
    /// The type's `Deserialize` did not say (it failed, or did without).
    Unknown,
}

impl Shape {
    /// What this shape reads once `Option`s (`None` when nothing is given)
    /// and newtypes are looked through.
    pub(crate) fn unwrapped(&self) -> &Shape {
        match self {
            Shape::Option(inner) | Shape::Newtype(_, inner) => inner.unwrapped(),
            other => other,
        }
    }

    /// Whether this shape collects several values (`Vec<T>`,
    /// `Option<Vec<T>>`).
    pub(crate) fn is_sequence(&self) -> bool {
        matches!(self.unwrapped(), Shape::Seq(_))
    }
}

/// How deep the probe follows wrappers and plans; recursive types stop
/// here as [`Shape::Unknown`].
const MAX_DEPTH: usize = 16;
/// How many struct or tuple levels [`shape_of`] explores.
const MAX_PLAN: usize = 3;

/// The shape of `T`, its struct fields and tuple positions explored a few
/// levels deep.
pub(crate) fn shape_of<T: DeserializeOwned>() -> Shape {
    explore::<T>(&mut Vec::new())
}

fn explore<T: DeserializeOwned>(plan: &mut Vec<usize>) -> Shape {
    let mut shape = match T::deserialize(Probe { plan, depth: 0 }) {
        Err(ProbeError::Found(shape)) => shape,
        _ => Shape::Unknown,
    };
    if plan.len() < MAX_PLAN {
        fill::<T>(&mut shape, plan);
    }
    shape
}

/// Explores the children of the container a run stopped at.
fn fill<T: DeserializeOwned>(shape: &mut Shape, plan: &mut Vec<usize>) {
    let children: Vec<&mut Shape> = match shape {
        Shape::Option(inner) | Shape::Newtype(_, inner) | Shape::Seq(inner) | Shape::Map(inner) => {
            return fill::<T>(inner, plan);
        }
        Shape::Struct { fields, .. } => fields.iter_mut().map(|(_, s)| s).collect(),
        Shape::Tuple { elements, .. } => elements.iter_mut().collect(),
        _ => return,
    };
    for (i, child) in children.into_iter().enumerate() {
        plan.push(i);
        *child = explore::<T>(plan);
        plan.pop();
    }
}

/// What stops a probing run.
#[derive(Debug)]
enum ProbeError {
    /// The shape at the end of the plan.
    Found(Shape),
    /// serde's report that a field was not given.
    Missing(&'static str),
    /// [`Synth`] ran out of values to try.
    Exhausted,
    /// Anything else the type reported.
    Other(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Found(shape) => write!(f, "found {shape:?}"),
            ProbeError::Missing(field) => write!(f, "missing field `{field}`"),
            ProbeError::Exhausted => f.write_str("no value to try is left"),
            ProbeError::Other(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ProbeError::Other(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        ProbeError::Missing(field)
    }
}

type Probed<T> = Result<T, ProbeError>;

fn found<T>(shape: Shape) -> Probed<T> {
    Err(ProbeError::Found(shape))
}

/// A deserializer that reports what it is asked for.
#[derive(Clone, Copy)]
struct Probe<'p> {
    /// Which child to enter at each struct or tuple on the way down; the
    /// shape is reported where the plan ends.
    plan: &'p [usize],
    depth: usize,
}

impl<'p> Probe<'p> {
    fn inner(self) -> Option<Self> {
        (self.depth < MAX_DEPTH).then_some(Probe {
            plan: self.plan,
            depth: self.depth + 1,
        })
    }

    /// The child to enter at this struct or tuple, and the probe for it.
    fn step(self) -> Option<(usize, Self)> {
        let (&index, rest) = self.plan.split_first()?;
        (self.depth < MAX_DEPTH).then_some((
            index,
            Probe {
                plan: rest,
                depth: self.depth + 1,
            },
        ))
    }

    /// The result of a run through a single-child wrapper: below the plan's
    /// end, the child's shape wrapped; above it, the result as it came.
    fn through<T>(self, result: Probed<T>, wrap: impl FnOnce(Shape) -> Shape) -> Probed<T> {
        match result {
            Err(ProbeError::Found(inner)) if self.plan.is_empty() => found(wrap(inner)),
            Err(e) => Err(e),
            // The type made a value without the child's (it swallowed the
            // probe's error).
            Ok(_) if self.plan.is_empty() => found(wrap(Shape::Unknown)),
            Ok(_) => Err(ProbeError::Other("the plan was not followed".to_owned())),
        }
    }
}

macro_rules! probe_scalars {
    ($($method:ident => $kind:literal),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, _visitor: V) -> Probed<V::Value> {
                found(Shape::Scalar($kind))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = ProbeError;

    probe_scalars! {
        deserialize_bool => "bool",
        deserialize_i8 => "i8",
        deserialize_i16 => "i16",
        deserialize_i32 => "i32",
        deserialize_i64 => "i64",
        deserialize_i128 => "i128",
        deserialize_u8 => "u8",
        deserialize_u16 => "u16",
        deserialize_u32 => "u32",
        deserialize_u64 => "u64",
        deserialize_u128 => "u128",
        deserialize_f32 => "f32",
        deserialize_f64 => "f64",
        deserialize_char => "char",
        deserialize_str => "string",
        deserialize_string => "string",
        deserialize_bytes => "bytes",
        deserialize_byte_buf => "bytes",
        deserialize_identifier => "string",
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Probed<V::Value> {
        found(Shape::Any)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Probed<V::Value> {
        found(Shape::Any)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, _visitor: V) -> Probed<V::Value> {
        found(Shape::Unit)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Probed<V::Value> {
        found(Shape::Unit)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        let Some(inner) = self.inner() else {
            return found(Shape::Unknown);
        };
        self.through(visitor.visit_some(inner), |s| Shape::Option(Box::new(s)))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Probed<V::Value> {
        let Some(inner) = self.inner() else {
            return found(Shape::Unknown);
        };
        self.through(visitor.visit_newtype_struct(inner), |s| {
            Shape::Newtype(name, Box::new(s))
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        let Some(inner) = self.inner() else {
            return found(Shape::Unknown);
        };
        let elements = ProbeSeq {
            before: 0,
            synth_depth: inner.depth,
            probe: Some(inner),
        };
        self.through(visitor.visit_seq(elements), |s| Shape::Seq(Box::new(s)))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Probed<V::Value> {
        self.tuple(None, len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Probed<V::Value> {
        self.tuple(Some(name), len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        let Some(inner) = self.inner() else {
            return found(Shape::Unknown);
        };
        let entry = ProbeEntry {
            probe: Some(inner),
            key_given: false,
        };
        self.through(visitor.visit_map(entry), |s| Shape::Map(Box::new(s)))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Probed<V::Value> {
        let Some((index, inner)) = self.step() else {
            return found(Shape::Struct {
                name,
                fields: fields.iter().map(|f| (*f, Shape::Unknown)).collect(),
            });
        };
        let field = fields
            .get(index)
            .ok_or_else(|| ProbeError::Other("no such field".to_owned()))?;
        let result = visitor.visit_map(ProbeField {
            name: Some(field),
            probe: inner,
        });
        // Only the field's value can end the run with a shape.
        match result {
            Ok(_) => Err(ProbeError::Other("the field was not read".to_owned())),
            Err(e) => Err(e),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Probed<V::Value> {
        found(Shape::Enum { name, variants })
    }
}

impl Probe<'_> {
    fn tuple<'de, V: Visitor<'de>>(
        self,
        name: Option<&'static str>,
        len: usize,
        visitor: V,
    ) -> Probed<V::Value> {
        let Some((index, inner)) = self.step() else {
            return found(Shape::Tuple {
                name,
                elements: vec![Shape::Unknown; len],
            });
        };
        if index >= len {
            return Err(ProbeError::Other("no such position".to_owned()));
        }
        let elements = ProbeSeq {
            before: index,
            synth_depth: inner.depth,
            probe: Some(inner),
        };
        match visitor.visit_seq(elements) {
            Ok(_) => Err(ProbeError::Other("the position was not read".to_owned())),
            Err(e) => Err(e),
        }
    }
}

/// A sequence whose first `before` elements are made up and whose next one
/// is probed.
struct ProbeSeq<'p> {
    before: usize,
    synth_depth: usize,
    probe: Option<Probe<'p>>,
}

impl<'de> SeqAccess<'de> for ProbeSeq<'_> {
    type Error = ProbeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Probed<Option<T::Value>> {
        if self.before > 0 {
            self.before -= 1;
            let synth = Synth {
                attempt: 0,
                depth: self.synth_depth,
            };
            // An earlier position that cannot be made up hides this one.
            return match seed.deserialize(synth) {
                Ok(value) => Ok(Some(value)),
                Err(_) => found(Shape::Unknown),
            };
        }
        match self.probe.take() {
            Some(probe) => seed.deserialize(probe).map(Some),
            None => Ok(None),
        }
    }
}

/// A map of one made-up key whose value is probed.
struct ProbeEntry<'p> {
    probe: Option<Probe<'p>>,
    key_given: bool,
}

impl<'de> MapAccess<'de> for ProbeEntry<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Probed<Option<K::Value>> {
        if self.key_given || self.probe.is_none() {
            return Ok(None);
        }
        self.key_given = true;
        let depth = self.probe.map_or(0, |p| p.depth);
        match seed.deserialize(Synth { attempt: 0, depth }) {
            Ok(key) => Ok(Some(key)),
            // A key that cannot be made up hides the values.
            Err(_) => found(Shape::Unknown),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Probed<V::Value> {
        match self.probe.take() {
            Some(probe) => seed.deserialize(probe),
            None => Err(ProbeError::Other("a value without a key".to_owned())),
        }
    }
}

/// A struct's map with one field, whose value is probed.
struct ProbeField<'p> {
    name: Option<&'static str>,
    probe: Probe<'p>,
}

impl<'de> MapAccess<'de> for ProbeField<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Probed<Option<K::Value>> {
        match self.name.take() {
            Some(name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Probed<V::Value> {
        seed.deserialize(self.probe)
    }
}

/// Strings tried in turn where a type reads text: empty, then forms that
/// common parsed types (numbers, UUIDs, dates, times) accept.
const STRINGS: &[&str] = &[
    "",
    "0",
    "00000000-0000-0000-0000-000000000000",
    "1970-01-01",
    "1970-01-01T00:00:00Z",
    "00:00:00",
    "a",
];

/// A deserializer that makes up a plausible value of whatever it is asked
/// for; `attempt` picks among the candidates for a scalar.
#[derive(Clone, Copy)]
struct Synth {
    attempt: usize,
    depth: usize,
}

impl Synth {
    fn pick<T: Copy>(self, candidates: &[T]) -> Probed<T> {
        candidates
            .get(self.attempt)
            .copied()
            .ok_or(ProbeError::Exhausted)
    }

    fn first(self) -> Probed<Self> {
        if self.depth >= MAX_DEPTH {
            return Err(ProbeError::Exhausted);
        }
        Ok(Synth {
            attempt: 0,
            depth: self.depth + 1,
        })
    }
}

macro_rules! synth_numbers {
    ($($method:ident => $visit:ident : $zero:literal, $one:literal),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
                visitor.$visit(self.pick(&[$zero, $one])?)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Synth {
    type Error = ProbeError;

    synth_numbers! {
        deserialize_i8 => visit_i8: 0i8, 1i8,
        deserialize_i16 => visit_i16: 0i16, 1i16,
        deserialize_i32 => visit_i32: 0i32, 1i32,
        deserialize_i64 => visit_i64: 0i64, 1i64,
        deserialize_i128 => visit_i128: 0i128, 1i128,
        deserialize_u8 => visit_u8: 0u8, 1u8,
        deserialize_u16 => visit_u16: 0u16, 1u16,
        deserialize_u32 => visit_u32: 0u32, 1u32,
        deserialize_u64 => visit_u64: 0u64, 1u64,
        deserialize_u128 => visit_u128: 0u128, 1u128,
        deserialize_f32 => visit_f32: 0f32, 1f32,
        deserialize_f64 => visit_f64: 0f64, 1f64,
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_bool(self.pick(&[false, true])?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_char(self.pick(&['a', '0'])?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_str(self.pick(STRINGS)?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_str(self.pick(STRINGS)?)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_str(self.pick(STRINGS)?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_bytes(self.pick(STRINGS)?.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_bytes(self.pick(STRINGS)?.as_bytes())
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        match self.attempt {
            0 => visitor.visit_unit(),
            1 => visitor.visit_str(""),
            _ => Err(ProbeError::Exhausted),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Probed<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        match self.attempt {
            0 => visitor.visit_none(),
            1 => visitor.visit_some(self.first()?),
            _ => Err(ProbeError::Exhausted),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Probed<V::Value> {
        if self.depth >= MAX_DEPTH {
            return Err(ProbeError::Exhausted);
        }
        visitor.visit_newtype_struct(Synth {
            attempt: self.attempt,
            depth: self.depth + 1,
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        let len = self.pick(&[0, 1])?;
        visitor.visit_seq(SynthSeq {
            remaining: len,
            synth: self.first()?,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Probed<V::Value> {
        visitor.visit_seq(SynthSeq {
            remaining: len,
            synth: self.first()?,
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Probed<V::Value> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        visitor.visit_map(SynthFields {
            fields: &[],
            synth: self.first()?,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Probed<V::Value> {
        visitor.visit_map(SynthFields {
            fields,
            synth: self.first()?,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Probed<V::Value> {
        visitor.visit_enum(SynthVariant {
            variant: self.pick(variants)?,
            synth: self.first()?,
        })
    }
}

struct SynthSeq {
    remaining: usize,
    synth: Synth,
}

impl<'de> SeqAccess<'de> for SynthSeq {
    type Error = ProbeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Probed<Option<T::Value>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        seed.deserialize(self.synth).map(Some)
    }
}

/// Every field of a struct, each with a made-up value.
struct SynthFields {
    fields: &'static [&'static str],
    synth: Synth,
}

impl<'de> MapAccess<'de> for SynthFields {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Probed<Option<K::Value>> {
        let Some((first, rest)) = self.fields.split_first() else {
            return Ok(None);
        };
        self.fields = rest;
        seed.deserialize(first.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Probed<V::Value> {
        seed.deserialize(self.synth)
    }
}

struct SynthVariant {
    variant: &'static str,
    synth: Synth,
}

impl<'de> EnumAccess<'de> for SynthVariant {
    type Error = ProbeError;
    type Variant = Synth;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Probed<(V::Value, Synth)> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, self.synth))
    }
}

impl<'de> VariantAccess<'de> for Synth {
    type Error = ProbeError;

    fn unit_variant(self) -> Probed<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Probed<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Probed<V::Value> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Probed<V::Value> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

/// The fields of `T`'s struct (through `Option` and newtypes) that must be
/// given, found by giving made-up values to the fields serde reports
/// missing until it reports none. `None` when `T` is no struct.
///
/// When a field's value cannot be made up, the fields serde would check
/// after it stay unknown and are left out: the list may be short, never
/// wrong.
pub(crate) fn required_fields<T: DeserializeOwned>() -> Option<Vec<&'static str>> {
    let mut given: Vec<&'static str> = Vec::new();
    let mut attempts: Vec<usize> = Vec::new();
    // Each run either finds one more required field or tries one more
    // candidate value for one of them.
    for _ in 0..256 {
        let failed = Cell::new(None);
        let run = Given {
            fields: &given,
            attempts: &attempts,
            failed: &failed,
            depth: 0,
        };
        match T::deserialize(run) {
            Ok(_) => return Some(given),
            Err(ProbeError::Missing(field)) if !given.contains(&field) => {
                given.push(field);
                attempts.push(0);
            }
            Err(ProbeError::Other(msg)) if msg == NOT_A_STRUCT => return None,
            Err(ProbeError::Exhausted) => return Some(given),
            Err(_) => match failed.get() {
                Some(i) => attempts[i] += 1,
                // Every given field took its value and serde checked them
                // all; the type refused what it was given (`try_from`, a
                // validation): the list is complete.
                None => return Some(given),
            },
        }
    }
    Some(given)
}

const NOT_A_STRUCT: &str = "not a struct";

/// A deserializer for `T`'s struct that gives only the named fields, each a
/// made-up value (attempt `attempts[i]` for field `i`).
#[derive(Clone, Copy)]
struct Given<'g> {
    fields: &'g [&'static str],
    attempts: &'g [usize],
    /// Which field's value could not be made up, if one.
    failed: &'g Cell<Option<usize>>,
    depth: usize,
}

impl<'de> de::Deserializer<'de> for Given<'_> {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Probed<V::Value> {
        Err(ProbeError::Other(NOT_A_STRUCT.to_owned()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Probed<V::Value> {
        if self.depth >= MAX_DEPTH {
            return Err(ProbeError::Other(NOT_A_STRUCT.to_owned()));
        }
        visitor.visit_some(Given {
            depth: self.depth + 1,
            ..self
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Probed<V::Value> {
        if self.depth >= MAX_DEPTH {
            return Err(ProbeError::Other(NOT_A_STRUCT.to_owned()));
        }
        visitor.visit_newtype_struct(Given {
            depth: self.depth + 1,
            ..self
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Probed<V::Value> {
        visitor.visit_map(GivenFields { run: self, next: 0 })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

struct GivenFields<'g> {
    run: Given<'g>,
    next: usize,
}

impl<'de> MapAccess<'de> for GivenFields<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Probed<Option<K::Value>> {
        let Some(field) = self.run.fields.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(field.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Probed<V::Value> {
        let i = self.next;
        self.next += 1;
        let synth = Synth {
            attempt: self.run.attempts.get(i).copied().unwrap_or(0),
            depth: self.run.depth + 1,
        };
        seed.deserialize(synth).inspect_err(|e| {
            if !matches!(e, ProbeError::Exhausted) {
                self.run.failed.set(Some(i));
            }
        })
    }
}

/// A struct's fields (serde's names, as read), and whether the struct is
/// inside an `Option`.
#[derive(Debug)]
pub(crate) struct StructFields {
    pub(crate) names: &'static [&'static str],
    pub(crate) optional: bool,
}

/// The fields of `T` when it is a struct or an `Option` of one, else
/// `None`: one call that reads nothing, cheap enough for every request,
/// where [`shape_of`] is for building the app.
pub(crate) fn struct_fields<T: DeserializeOwned>() -> Option<StructFields> {
    match T::deserialize(OptionProbe { inside: false }) {
        Err(FieldsFound(fields)) => fields,
        Ok(_) => None,
    }
}

/// The error of [`OptionProbe`]: the fields of the struct found, if that
/// is what was asked for.
#[derive(Debug)]
struct FieldsFound(Option<StructFields>);

impl fmt::Display for FieldsFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for FieldsFound {}

impl de::Error for FieldsFound {
    fn custom<M: fmt::Display>(_: M) -> Self {
        FieldsFound(None)
    }
}

/// Answers a struct, or an `Option` of one, with its fields; anything
/// else with nothing.
struct OptionProbe {
    inside: bool,
}

impl<'de> de::Deserializer<'de> for OptionProbe {
    type Error = FieldsFound;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, FieldsFound> {
        Err(FieldsFound(None))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsFound> {
        if self.inside {
            return Err(FieldsFound(None));
        }
        visitor.visit_some(OptionProbe { inside: true })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, FieldsFound> {
        Err(FieldsFound(Some(StructFields {
            names: fields,
            optional: self.inside,
        })))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct
        map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::num::NonZeroU32;

    use serde::Deserialize;

    use super::*;

    fn scalar(kind: &'static str) -> Shape {
        Shape::Scalar(kind)
    }

    fn boxed(shape: Shape) -> Box<Shape> {
        Box::new(shape)
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Page {
        q: Option<String>,
        limit: u32,
        tags: Vec<String>,
    }

    #[test]
    fn a_struct_gives_its_fields_and_their_shapes() {
        assert_eq!(
            shape_of::<Page>(),
            Shape::Struct {
                name: "Page",
                fields: vec![
                    ("q", Shape::Option(boxed(scalar("string")))),
                    ("limit", scalar("u32")),
                    ("tags", Shape::Seq(boxed(scalar("string")))),
                ],
            }
        );
    }

    #[test]
    fn renamed_fields_are_given_as_read() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        #[serde(rename_all = "kebab-case")]
        struct Renamed {
            user_agent: String,
            #[serde(rename = "X-Token")]
            token: i64,
        }
        assert_eq!(
            shape_of::<Renamed>(),
            Shape::Struct {
                name: "Renamed",
                fields: vec![("user-agent", scalar("string")), ("X-Token", scalar("i64"))],
            }
        );
    }

    #[test]
    fn maps_give_the_shape_of_their_values() {
        assert_eq!(
            shape_of::<HashMap<String, String>>(),
            Shape::Map(boxed(scalar("string")))
        );
        assert_eq!(
            shape_of::<BTreeMap<String, Vec<u8>>>(),
            Shape::Map(boxed(Shape::Seq(boxed(scalar("u8")))))
        );
        assert_eq!(
            shape_of::<HashMap<String, Page>>(),
            Shape::Map(boxed(shape_of::<Page>()))
        );
    }

    #[test]
    fn a_flattened_struct_reads_a_map_of_anything() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            a: String,
            #[serde(flatten)]
            rest: Page,
        }
        assert_eq!(shape_of::<Outer>(), Shape::Map(boxed(Shape::Any)));
    }

    #[test]
    fn options_and_newtypes_are_looked_through() {
        assert_eq!(
            shape_of::<Option<String>>(),
            Shape::Option(boxed(scalar("string")))
        );
        let Shape::Option(inner) = shape_of::<Option<Page>>() else {
            panic!("an option");
        };
        assert_eq!(*inner, shape_of::<Page>());

        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Id(u64);
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Wrapped(Page);
        assert_eq!(shape_of::<Id>(), Shape::Newtype("Id", boxed(scalar("u64"))));
        assert_eq!(
            shape_of::<Wrapped>(),
            Shape::Newtype("Wrapped", boxed(shape_of::<Page>()))
        );
    }

    #[test]
    fn scalars_tuples_sequences_and_enums() {
        assert_eq!(shape_of::<String>(), scalar("string"));
        assert_eq!(shape_of::<bool>(), scalar("bool"));
        assert_eq!(shape_of::<f64>(), scalar("f64"));
        assert_eq!(shape_of::<()>(), Shape::Unit);
        assert_eq!(shape_of::<serde_json::Value>(), Shape::Any);
        assert_eq!(
            shape_of::<(String, u8, Option<i32>)>(),
            Shape::Tuple {
                name: None,
                elements: vec![
                    scalar("string"),
                    scalar("u8"),
                    Shape::Option(boxed(scalar("i32")))
                ],
            }
        );
        assert_eq!(
            shape_of::<Vec<(String, u32)>>(),
            Shape::Seq(boxed(Shape::Tuple {
                name: None,
                elements: vec![scalar("string"), scalar("u32")],
            }))
        );

        #[derive(Deserialize)]
        #[allow(dead_code)]
        #[serde(rename_all = "lowercase")]
        enum Model {
            Alexnet,
            Resnet,
        }
        assert_eq!(
            shape_of::<Model>(),
            Shape::Enum {
                name: "Model",
                variants: &["alexnet", "resnet"],
            }
        );
    }

    #[test]
    fn a_tuple_position_after_one_that_cannot_be_made_up_is_unknown() {
        /// Accepts only "yes".
        #[derive(Debug)]
        struct Picky;
        impl<'de> Deserialize<'de> for Picky {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                if s == "yes" {
                    Ok(Picky)
                } else {
                    Err(de::Error::custom("not yes"))
                }
            }
        }
        assert_eq!(
            shape_of::<(Picky, u8)>(),
            Shape::Tuple {
                name: None,
                elements: vec![scalar("string"), Shape::Unknown],
            }
        );
    }

    #[test]
    fn recursive_types_end_in_unknown() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Chain(Option<Box<Chain>>);
        let mut shape = shape_of::<Chain>();
        let mut depth = 0;
        loop {
            shape = match shape {
                Shape::Newtype(_, inner) | Shape::Option(inner) => *inner,
                other => break assert_eq!(other, Shape::Unknown),
            };
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH + 1, "{depth}");
    }

    #[test]
    fn required_fields_leave_out_options_and_defaults() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Mixed {
            a: String,
            b: Option<u32>,
            #[serde(default)]
            c: u32,
            #[serde(rename = "D")]
            d: NonZeroU32,
            e: Vec<String>,
        }
        assert_eq!(required_fields::<Mixed>(), Some(vec!["a", "D", "e"]));
        assert_eq!(
            required_fields::<Option<Mixed>>(),
            Some(vec!["a", "D", "e"])
        );

        #[derive(Deserialize)]
        #[allow(dead_code)]
        #[serde(default)]
        struct AllDefault {
            a: String,
        }
        impl Default for AllDefault {
            fn default() -> Self {
                AllDefault { a: "x".into() }
            }
        }
        assert_eq!(required_fields::<AllDefault>(), Some(vec![]));
        assert_eq!(required_fields::<String>(), None);
        assert_eq!(required_fields::<HashMap<String, String>>(), None);
    }

    #[test]
    fn required_fields_get_past_values_that_parse_text() {
        /// Stands for a UUID: accepts only its hyphenated form.
        #[derive(Debug)]
        struct Uuid;
        impl<'de> Deserialize<'de> for Uuid {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                if s.len() == 36 && s.matches('-').count() == 4 {
                    Ok(Uuid)
                } else {
                    Err(de::Error::custom("invalid length"))
                }
            }
        }
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Ids {
            org: Uuid,
            #[serde(default)]
            page: u32,
            item: u64,
        }
        assert_eq!(required_fields::<Ids>(), Some(vec!["org", "item"]));
    }

    #[test]
    fn required_fields_stop_short_at_a_value_that_cannot_be_made_up() {
        #[derive(Debug)]
        struct Never;
        impl<'de> Deserialize<'de> for Never {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?;
                Err(de::Error::custom("never"))
            }
        }
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Blocked {
            a: u8,
            never: Never,
            after: u8,
        }
        assert_eq!(required_fields::<Blocked>(), Some(vec!["a", "never"]));
    }
}
