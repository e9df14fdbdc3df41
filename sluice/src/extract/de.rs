//! A serde deserializer over text parameters (path parameters, query pairs,
//! headers) that reports failures the way FastAPI (pydantic) does: which
//! parameter, what was wrong (`int_parsing`, `missing`, ...), and the input.

// Errors are rare and short-lived here; boxing them buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::hash_map::{Entry, HashMap};
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::upload::{FileDeserializer, UploadFile};
use crate::error::{Error, ValidationError, ValidationIssue};

/// Where the parameters come from; the first element of `loc`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    Path,
    Query,
    Header,
    Cookie,
    /// Form fields.
    Body,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Path => "path",
            Source::Query => "query",
            Source::Header => "header",
            Source::Cookie => "cookie",
            Source::Body => "body",
        }
    }
}

/// A failure while deserializing parameters.
#[derive(Debug)]
pub(crate) struct ParamError {
    kind: &'static str,
    msg: String,
    name: Option<String>,
    input: Option<Value>,
    ctx: Option<Value>,
    /// A mistake in the program (the target type does not fit the route),
    /// not in the request: a 500, not a 422. The build-time checks
    /// (`check.rs`) refuse every type that could get here from a query or
    /// headers, so for those a failure is always the client's.
    internal: bool,
    /// The position of the value in a list parameter (`?ids=1&ids=x` is
    /// `["query", "ids", 1]`).
    index: Option<usize>,
}

impl ParamError {
    fn invalid(kind: &'static str, msg: impl Into<String>, input: &str) -> Self {
        ParamError {
            kind,
            msg: msg.into(),
            name: None,
            input: Some(Value::from(input)),
            ctx: None,
            internal: false,
            index: None,
        }
    }

    fn internal(msg: impl Into<String>) -> Self {
        ParamError {
            kind: "internal",
            msg: msg.into(),
            name: None,
            input: None,
            ctx: None,
            internal: true,
            index: None,
        }
    }

    fn named(mut self, name: &str) -> Self {
        if self.name.is_none() {
            self.name = Some(name.to_owned());
        }
        self
    }

    /// pydantic's type of the issue (`missing`, `int_parsing`, ...).
    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }

    /// The parameter at fault, as the deserializer names it (a header's
    /// field name, `x_token`), when known.
    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The position of the bad value in a list parameter.
    pub(crate) fn index(&self) -> Option<usize> {
        self.index
    }

    /// Whether this is a mistake in the program rather than in the request.
    pub(crate) fn is_internal(&self) -> bool {
        self.internal
    }

    /// The response-ready error: a [`ValidationError`] for bad input, a
    /// plain 500 [`Error`] for a program mistake.
    pub(crate) fn into_error(self, source: Source, name_map: fn(&str) -> String) -> Error {
        match self.into_issue(source, name_map) {
            Ok(issue) => Error::new(ValidationError::single(issue)),
            Err(error) => error,
        }
    }

    /// The client's issue at `source`, its name `name_map`ped; the
    /// program's error (a 500) when the mistake is not the client's.
    pub(crate) fn into_issue(
        self,
        source: Source,
        name_map: fn(&str) -> String,
    ) -> Result<ValidationIssue, Error> {
        if self.internal {
            return Err(Error::msg(format!(
                "cannot deserialize {} parameters: {}",
                source.as_str(),
                self.msg
            )));
        }
        let mut loc = vec![Value::from(source.as_str())];
        if let Some(name) = &self.name {
            loc.push(Value::from(name_map(name)));
        }
        if let Some(index) = self.index {
            loc.push(Value::from(index));
        }
        let mut issue =
            ValidationIssue::new(self.kind, loc, self.msg, self.input.unwrap_or(Value::Null));
        issue.ctx = self.ctx;
        Ok(issue)
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for ParamError {}

impl de::Error for ParamError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ParamError {
            kind: "value_error",
            msg: msg.to_string(),
            name: None,
            input: None,
            ctx: None,
            internal: false,
            index: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        ParamError {
            kind: "missing",
            msg: "Field required".to_owned(),
            name: Some(field.to_owned()),
            input: None,
            ctx: None,
            internal: false,
            index: None,
        }
    }

    /// A struct with `#[serde(deny_unknown_fields)]` given a name it does
    /// not know: pydantic's `extra="forbid"`.
    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        ParamError {
            kind: "extra_forbidden",
            msg: "Extra inputs are not permitted".to_owned(),
            name: Some(field.to_owned()),
            input: None,
            ctx: None,
            internal: false,
            index: None,
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let listed = choices(expected);
        ParamError {
            kind: "enum",
            msg: format!("Input should be {listed}"),
            name: None,
            input: Some(Value::from(variant)),
            ctx: Some(serde_json::json!({ "expected": listed })),
            internal: false,
            index: None,
        }
    }
}

/// Pydantic's list of an enum's choices: `'a'`, `'a' or 'b'`, `'a', 'b' or
/// 'c'`.
pub(crate) fn choices(variants: &[&str]) -> String {
    let quoted: Vec<String> = variants.iter().map(|v| format!("'{v}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// How values are read from text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Reading {
    /// Whether a scalar takes the first of repeated values (headers, as
    /// Starlette's `Headers.get`) rather than the last (query strings).
    first_wins: bool,
    /// Whether an integer is only an optional sign and digits (a path
    /// parameter, as SCENARIOS.md asks), rather than what pydantic's lax
    /// mode reads (`" 5 "`, `"1_000"`, `"5.0"`). Floats are read the lax
    /// way everywhere, as FastAPI reads them.
    strict_integers: bool,
}

impl Reading {
    /// How parameters from `source` are read.
    pub(crate) fn of(source: Source) -> Self {
        Reading {
            first_wins: matches!(source, Source::Header),
            strict_integers: matches!(source, Source::Path),
        }
    }
}

/// Parameters grouped by name, in order of first appearance (a struct's
/// fields and a tuple's positions are read in that order).
pub(crate) struct Params<'a> {
    groups: Vec<Group<'a>>,
    reading: Reading,
    /// The fields whose values are files (a form's `UploadFile`s).
    files: &'a [FileGroup<'a>],
}

/// A form field read as files, and the files it was given (for a single
/// `UploadFile`, the last counts).
pub(crate) struct FileGroup<'a> {
    pub(crate) name: &'a str,
    pub(crate) files: Vec<&'a UploadFile>,
}

/// One name and every value it was given.
struct Group<'a> {
    name: &'a str,
    values: Values<'a>,
}

/// Most names come once: their value is kept inline, so grouping allocates
/// nothing per name.
enum Values<'a> {
    One(&'a str),
    Many(Vec<&'a str>),
}

impl<'a> Group<'a> {
    fn new(name: &'a str, value: &'a str) -> Self {
        Group {
            name,
            values: Values::One(value),
        }
    }

    fn push(&mut self, value: &'a str) {
        match &mut self.values {
            Values::One(first) => self.values = Values::Many(vec![*first, value]),
            Values::Many(values) => values.push(value),
        }
    }

    fn values(&self) -> &[&'a str] {
        match &self.values {
            Values::One(value) => std::slice::from_ref(value),
            Values::Many(values) => values,
        }
    }

    fn deserializer(&self, reading: Reading) -> ValueDeserializer<'_, 'a> {
        ValueDeserializer {
            name: self.name,
            values: self.values(),
            reading,
        }
    }
}

/// Up to this many distinct names, a linear search finds a name's group
/// faster than hashing it; past it, a hash map keeps grouping linear in the
/// number of pairs however many distinct names a client sends.
const LINEAR_GROUPS: usize = 16;

/// Distinct names in order of first appearance, each found by its
/// position: a linear search among few, a hash map past [`LINEAR_GROUPS`]
/// (a client chooses how many). For the 422's listings; [`Params::new`]
/// groups its own, without a list of names aside.
#[derive(Default)]
pub(crate) struct Names<'a> {
    names: Vec<&'a str>,
    /// Filled once there are more than [`LINEAR_GROUPS`] names.
    index: HashMap<&'a str, usize>,
}

impl<'a> Names<'a> {
    /// Where `name` is, if it is one of these.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        if self.names.len() <= LINEAR_GROUPS {
            self.names.iter().position(|known| *known == name)
        } else {
            self.index.get(name).copied()
        }
    }

    /// Where `name` is, added last if new; whether it was.
    pub(crate) fn place(&mut self, name: &'a str) -> (usize, bool) {
        if let Some(at) = self.position(name) {
            return (at, false);
        }
        let at = self.names.len();
        self.names.push(name);
        if self.names.len() == LINEAR_GROUPS + 1 {
            let known = self.names.iter().enumerate().map(|(i, known)| (*known, i));
            self.index.extend(known);
        } else if self.names.len() > LINEAR_GROUPS {
            self.index.insert(name, at);
        }
        (at, true)
    }

    /// The names, in order of first appearance.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.names.iter().copied()
    }
}

impl<'a> FromIterator<&'a str> for Names<'a> {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> Self {
        let mut all = Names::default();
        for name in names {
            all.place(name);
        }
        all
    }
}

impl<'a> Params<'a> {
    pub(crate) fn new(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut pairs = pairs.into_iter();
        let mut groups: Vec<Group<'a>> = Vec::with_capacity(pairs.size_hint().0);
        while groups.len() < LINEAR_GROUPS {
            let Some((name, value)) = pairs.next() else {
                return Params {
                    groups,
                    reading: Reading::default(),
                    files: &[],
                };
            };
            match groups.iter_mut().find(|g| g.name == name) {
                Some(group) => group.push(value),
                None => groups.push(Group::new(name, value)),
            }
        }
        // Many names: the client's own choice, so a hasher it cannot
        // predict (std's keyed SipHash).
        let mut index: HashMap<&'a str, usize> =
            HashMap::with_capacity(groups.len() + pairs.size_hint().0);
        index.extend(groups.iter().enumerate().map(|(i, g)| (g.name, i)));
        for (name, value) in pairs {
            match index.entry(name) {
                Entry::Occupied(slot) => groups[*slot.get()].push(value),
                Entry::Vacant(slot) => {
                    slot.insert(groups.len());
                    groups.push(Group::new(name, value));
                }
            }
        }
        Params {
            groups,
            reading: Reading::default(),
            files: &[],
        }
    }

    /// These parameters, and `files` for the fields that read files.
    pub(crate) fn with_files(mut self, files: &'a [FileGroup<'a>]) -> Self {
        self.files = files;
        self
    }

    /// These parameters, read as parameters from `source` are.
    pub(crate) fn read_as(mut self, source: Source) -> Self {
        self.reading = Reading::of(source);
        self
    }

    /// The name of parameters that hold one name ([`Params::each_alone`]).
    pub(crate) fn only_name(&self) -> Option<&'a str> {
        match self.groups.as_slice() {
            [group] => Some(group.name),
            _ => None,
        }
    }

    /// Each name with its values, as parameters of their own (read as
    /// these are, without files), in order of first appearance.
    pub(crate) fn each_alone(&self) -> impl Iterator<Item = Params<'a>> + '_ {
        self.groups.iter().map(|group| Params {
            groups: vec![Group {
                name: group.name,
                values: match &group.values {
                    Values::One(value) => Values::One(value),
                    Values::Many(values) => Values::Many(values.clone()),
                },
            }],
            reading: self.reading,
            files: &[],
        })
    }
}

/// Deserializes the whole set of parameters: a struct or map by name, a
/// tuple or sequence by position, a single value when there is exactly one.
pub(crate) struct ParamsDeserializer<'p, 'a> {
    params: &'p Params<'a>,
    /// An `Option` of the whole is `Some` even with nothing given.
    sent: bool,
}

impl<'p, 'a> ParamsDeserializer<'p, 'a> {
    pub(crate) fn new(params: &'p Params<'a>) -> Self {
        ParamsDeserializer {
            params,
            sent: false,
        }
    }

    /// Reads an optional model as sent, whatever `params` hold: to list
    /// every issue of one that was read as sent and failed.
    pub(crate) fn sent(params: &'p Params<'a>) -> Self {
        ParamsDeserializer { params, sent: true }
    }

    fn single(&self) -> Result<ValueDeserializer<'p, 'a>, ParamError> {
        match self.params.groups.as_slice() {
            [group] => Ok(group.deserializer(self.params.reading)),
            [] => Err(ParamError::internal(
                "the route has no parameter to extract a single value from",
            )),
            more => Err(ParamError::internal(format!(
                "expected one parameter, the route has {}; extract a tuple or a struct",
                more.len()
            ))),
        }
    }
}

macro_rules! forward_to_single {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
                let single = self.single()?;
                let name = single.name;
                single.$method(visitor).map_err(|e| e.named(name))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for ParamsDeserializer<'_, '_> {
    type Error = ParamError;

    forward_to_single! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_identifier
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        if !self.sent && self.params.groups.is_empty() && self.params.files.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_seq(GroupSeq {
            groups: self.params.groups.iter(),
            reading: self.params.reading,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        if len != self.params.groups.len() {
            return Err(ParamError::internal(format!(
                "a tuple of {len} was asked for, the route has {} parameter(s)",
                self.params.groups.len()
            )));
        }
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_map(GroupMap {
            groups: self.params.groups.iter(),
            files: self.params.files.iter(),
            current: None,
            current_files: None,
            reading: self.params.reading,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        let single = self.single()?;
        let param = single.name;
        single
            .deserialize_enum(name, variants, visitor)
            .map_err(|e| e.named(param))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }
}

struct GroupSeq<'p, 'a> {
    groups: std::slice::Iter<'p, Group<'a>>,
    reading: Reading,
}

impl<'de> SeqAccess<'de> for GroupSeq<'_, '_> {
    type Error = ParamError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ParamError> {
        match self.groups.next() {
            Some(group) => seed
                .deserialize(group.deserializer(self.reading))
                .map(Some)
                .map_err(|e| e.named(group.name)),
            None => Ok(None),
        }
    }
}

struct GroupMap<'p, 'a> {
    groups: std::slice::Iter<'p, Group<'a>>,
    /// Served after the text groups.
    files: std::slice::Iter<'p, FileGroup<'a>>,
    current: Option<&'p Group<'a>>,
    current_files: Option<&'p FileGroup<'a>>,
    reading: Reading,
}

impl<'de> MapAccess<'de> for GroupMap<'_, '_> {
    type Error = ParamError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ParamError> {
        match self.groups.next() {
            Some(group) => {
                self.current = Some(group);
                let key: de::value::StrDeserializer<'_, ParamError> =
                    group.name.into_deserializer();
                seed.deserialize(key).map(Some).map_err(|mut e| {
                    if e.kind == "extra_forbidden" {
                        // A repeated one is all its values, as FastAPI
                        // groups repeated extras.
                        e.input = Some(match group.values() {
                            [one] => Value::from(*one),
                            many => Value::from(many.to_vec()),
                        });
                    }
                    e
                })
            }
            None => match self.files.next() {
                Some(group) => {
                    self.current_files = Some(group);
                    let key: de::value::StrDeserializer<'_, ParamError> =
                        group.name.into_deserializer();
                    seed.deserialize(key).map(Some)
                }
                None => Ok(None),
            },
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ParamError> {
        if let Some(group) = self.current_files.take() {
            return seed
                .deserialize(FilesDeserializer {
                    files: &group.files,
                })
                .map_err(|e| e.named(group.name));
        }
        let group = self
            .current
            .take()
            .ok_or_else(|| ParamError::internal("a value was asked for before its key"))?;
        seed.deserialize(group.deserializer(self.reading))
            .map_err(|e| e.named(group.name))
    }
}

/// The files of one form field: an `UploadFile` (the last), an `Option`
/// of one, or a `Vec` of them.
struct FilesDeserializer<'p, 'a> {
    files: &'p [&'a UploadFile],
}

impl<'de> de::Deserializer<'de> for FilesDeserializer<'_, '_> {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ParamError> {
        Err(ParamError::internal(
            "a file part of a form can only be read as sluice::extract::UploadFile",
        ))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        match self.files.last() {
            Some(file) => FileDeserializer::new(file).deserialize_newtype_struct(name, visitor),
            None => Err(ParamError::internal("a file field was given no file")),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_seq(FileSeq {
            files: self.files.iter(),
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct FileSeq<'p, 'a> {
    files: std::slice::Iter<'p, &'a UploadFile>,
}

impl<'de> SeqAccess<'de> for FileSeq<'_, '_> {
    type Error = ParamError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ParamError> {
        self.files
            .next()
            .map(|file| seed.deserialize(FileDeserializer::new(file)))
            .transpose()
    }
}

/// One parameter (with every value it was given, for lists).
struct ValueDeserializer<'p, 'a> {
    name: &'a str,
    values: &'p [&'a str],
    /// See [`Reading`].
    reading: Reading,
}

impl<'a> ValueDeserializer<'_, 'a> {
    /// The value a scalar takes of repeated ones, as Starlette does: the
    /// last in a query string, the first of headers.
    fn scalar(&self) -> &'a str {
        let value = if self.reading.first_wins {
            self.values.first()
        } else {
            self.values.last()
        };
        value.copied().unwrap_or("")
    }
}

macro_rules! parse_int {
    ($($method:ident => $visit:ident : $ty:ty),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
                let raw = self.scalar();
                let lax = || {
                    super::objects::lax_integer_text(raw).and_then(|n| <$ty>::try_from(n).ok())
                };
                let parsed = match raw.parse::<$ty>() {
                    Ok(n) => Some(n),
                    Err(_) if self.reading.strict_integers => None,
                    Err(_) => lax(),
                };
                match parsed {
                    Some(n) => visitor.$visit(n),
                    None => Err(ParamError::invalid(
                        "int_parsing",
                        "Input should be a valid integer, unable to parse string as an integer",
                        raw,
                    )),
                }
            }
        )*
    };
}

macro_rules! parse_float {
    ($($method:ident => $visit:ident : $ty:ty),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
                let raw = self.scalar();
                match super::objects::lax_float_text(raw).map(|n| n as $ty) {
                    Some(n) => visitor.$visit(n),
                    _ => Err(ParamError::invalid(
                        "float_parsing",
                        "Input should be a valid number, unable to parse string as a number",
                        raw,
                    )),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'_, '_> {
    type Error = ParamError;

    parse_int! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
    }

    parse_float! {
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.scalar())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        // pydantic's lax booleans.
        let raw = self.scalar();
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => visitor.visit_bool(true),
            "false" | "0" | "no" | "off" | "f" | "n" => visitor.visit_bool(false),
            _ => Err(ParamError::invalid(
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
                raw,
            )),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        let raw = self.scalar();
        let mut chars = raw.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(ParamError::invalid(
                "string_type",
                "Input should be a single character",
                raw,
            )),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.scalar())
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.scalar())
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_bytes(self.scalar().as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_bytes(self.scalar().as_bytes())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        if self.values.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_seq(ValueSeq {
            name: self.name,
            values: self.values.iter().enumerate(),
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ParamError> {
        Err(ParamError::internal(format!(
            "parameter {:?} cannot be read as a map",
            self.name
        )))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ParamError> {
        let raw: de::value::StrDeserializer<'_, ParamError> = self.scalar().into_deserializer();
        visitor.visit_enum(raw).map_err(|mut e| {
            if e.kind == "enum" {
                e.input = Some(Value::from(self.scalar()));
            }
            e
        })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_str(self.scalar())
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ParamError> {
        visitor.visit_unit()
    }
}

struct ValueSeq<'p, 'a> {
    name: &'a str,
    values: std::iter::Enumerate<std::slice::Iter<'p, &'a str>>,
}

impl<'de> SeqAccess<'de> for ValueSeq<'_, '_> {
    type Error = ParamError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ParamError> {
        match self.values.next() {
            Some((index, value)) => seed
                .deserialize(ValueDeserializer {
                    name: self.name,
                    values: std::slice::from_ref(value),
                    reading: Reading::default(),
                })
                .map(Some)
                .map_err(|mut e| {
                    e.index.get_or_insert(index);
                    e
                }),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn de<T: for<'de> Deserialize<'de>>(pairs: &[(&str, &str)]) -> Result<T, ParamError> {
        let params = Params::new(pairs.iter().copied());
        T::deserialize(ParamsDeserializer::new(&params))
    }

    fn grouped<'a>(params: &Params<'a>) -> Vec<(&'a str, Vec<&'a str>)> {
        params
            .groups
            .iter()
            .map(|g| (g.name, g.values().to_vec()))
            .collect()
    }

    #[test]
    fn groups_keep_first_appearance_order_past_the_linear_search() {
        let names: Vec<String> = (0..LINEAR_GROUPS * 3).map(|i| format!("k{i}")).collect();
        // Every name, then every name again in reverse, then the first once
        // more: three values each for the first, two for the others.
        let mut pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "a")).collect();
        pairs.extend(names.iter().rev().map(|n| (n.as_str(), "b")));
        pairs.push((names[0].as_str(), "c"));
        let params = Params::new(pairs);
        let groups = grouped(&params);
        assert_eq!(groups.len(), names.len());
        for (i, (name, values)) in groups.iter().enumerate() {
            assert_eq!(*name, names[i]);
            let expected: &[&str] = if i == 0 {
                &["a", "b", "c"]
            } else {
                &["a", "b"]
            };
            assert_eq!(values, expected, "{name}");
        }
    }

    #[test]
    fn names_are_found_where_first_placed_past_the_linear_search() {
        let names: Vec<String> = (0..LINEAR_GROUPS * 3).map(|i| format!("k{i}")).collect();
        let mut all = Names::default();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(all.place(name), (i, true), "{name}");
        }
        // Placed again, each is where it was; the order is unchanged.
        for (i, name) in names.iter().enumerate().rev() {
            assert_eq!(all.place(name), (i, false), "{name}");
            assert_eq!(all.position(name), Some(i), "{name}");
        }
        assert_eq!(all.position("k-1"), None);
        assert!(all.iter().eq(names.iter().map(String::as_str)));
        let few: Names<'_> = ["a", "b", "a"].into_iter().collect();
        assert_eq!(
            (few.position("a"), few.position("b"), few.position("c")),
            (Some(0), Some(1), None)
        );
    }

    #[test]
    fn many_distinct_names_group_in_linear_time() {
        // 100,000 distinct names: a linear search per name makes this five
        // billion string comparisons (minutes); a hash index, milliseconds.
        let names: Vec<String> = (0..100_000).map(|i| format!("k{i}")).collect();
        let started = std::time::Instant::now();
        let params = Params::new(names.iter().map(|n| (n.as_str(), "")));
        let elapsed = started.elapsed();
        assert_eq!(params.groups.len(), names.len());
        assert!(
            elapsed < std::time::Duration::from_secs(5),
            "grouping took {elapsed:?}"
        );
    }

    #[test]
    fn single_integer() {
        assert_eq!(de::<i64>(&[("item_id", "-42")]).expect("valid"), -42);
        assert_eq!(de::<i64>(&[("item_id", "+7")]).expect("valid"), 7);
        let err = de::<i64>(&[("item_id", "abc")]).expect_err("invalid");
        assert_eq!(err.kind, "int_parsing");
        assert_eq!(err.name.as_deref(), Some("item_id"));
        assert_eq!(err.input, Some(Value::from("abc")));
    }

    fn path<T: for<'de> Deserialize<'de>>(pairs: &[(&str, &str)]) -> Result<T, ParamError> {
        let params = Params::new(pairs.iter().copied()).read_as(Source::Path);
        T::deserialize(ParamsDeserializer::new(&params))
    }

    #[test]
    fn integers_must_fit_in_the_type() {
        let err = de::<i64>(&[("n", "9223372036854775808")]).expect_err("too big");
        assert_eq!(err.kind, "int_parsing");
        let err = de::<u8>(&[("n", " 256 ")]).expect_err("too big");
        assert_eq!(err.kind, "int_parsing");
    }

    /// A path parameter is a sign and digits (SCENARIOS.md); a query
    /// parameter or a header is what pydantic's lax mode reads, as in
    /// FastAPI (recorded with pydantic 2.14's `TypeAdapter(int)`).
    #[test]
    fn integers_are_strict_in_a_path_and_lax_elsewhere() {
        for (text, lax) in [
            (" 5 ", Some(5)),
            ("\t-7\n", Some(-7)),
            ("1_000", Some(1000)),
            ("5.0", Some(5)),
            ("+5", Some(5)),
            ("", None),
            ("5.5", None),
            ("5.", None),
            ("1e3", None),
            ("0x10", None),
            ("1__0", None),
        ] {
            assert_eq!(de::<i64>(&[("n", text)]).ok(), lax, "{text:?}");
            let strict = text.trim() == text && text.parse::<i64>().is_ok();
            assert_eq!(
                path::<i64>(&[("n", text)]).is_ok(),
                strict,
                "{text:?} in a path"
            );
        }
        for (text, lax) in [
            (" 2.5 ", Some(2.5)),
            ("1_0.5", Some(10.5)),
            ("1e3", Some(1000.0)),
            (".", None),
        ] {
            assert_eq!(de::<f64>(&[("x", text)]).ok(), lax, "{text:?}");
            // A float is pydantic's in a path too, as FastAPI reads it.
            assert_eq!(path::<f64>(&[("x", text)]).ok(), lax, "{text:?} in a path");
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Filter {
        q: Option<String>,
        limit: u32,
        tags: Vec<String>,
        #[serde(default)]
        flag: bool,
    }

    #[test]
    fn struct_with_lists_and_options() {
        let f: Filter = de(&[
            ("limit", "10"),
            ("tags", "a"),
            ("tags", "b"),
            ("flag", "yes"),
        ])
        .expect("valid");
        assert_eq!(
            f,
            Filter {
                q: None,
                limit: 10,
                tags: vec!["a".into(), "b".into()],
                flag: true
            }
        );
    }

    #[test]
    fn missing_field_is_reported_by_name() {
        let err = de::<Filter>(&[("tags", "a")]).expect_err("missing");
        assert_eq!(err.kind, "missing");
        assert_eq!(err.name.as_deref(), Some("limit"));
        assert!(err.input.is_none());
    }

    #[test]
    fn last_value_wins_for_scalars() {
        #[derive(Deserialize)]
        struct One {
            a: i32,
        }
        assert_eq!(de::<One>(&[("a", "1"), ("a", "2")]).expect("valid").a, 2);
    }

    #[test]
    fn tuple_by_position() {
        let (a, b): (String, u8) = de(&[("name", "x"), ("n", "3")]).expect("valid");
        assert_eq!((a.as_str(), b), ("x", 3));
        let err = de::<(String, u8)>(&[("name", "x")]).expect_err("wrong arity");
        assert!(err.internal);
    }

    #[test]
    fn enums_list_the_choices() {
        #[derive(Deserialize, Debug)]
        #[serde(rename_all = "lowercase")]
        enum Model {
            Alexnet,
            Resnet,
        }
        let err = de::<Model>(&[("model", "vgg")]).expect_err("unknown");
        assert_eq!(err.kind, "enum");
        assert_eq!(err.msg, "Input should be 'alexnet' or 'resnet'");
        assert_eq!(err.input, Some(Value::from("vgg")));
        assert!(matches!(
            de::<Model>(&[("model", "resnet")]),
            Ok(Model::Resnet)
        ));
    }
}
