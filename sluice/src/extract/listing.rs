//! Every issue of a JSON body, listed as pydantic lists them.
//!
//! serde stops at the first field that does not fit; pydantic, and so
//! FastAPI, reports every one (`{}` for an `Item` is two `missing`
//! issues, for `name` and for `price`). To list them with serde still
//! the judge of what fits, the body is mended where serde failed and read
//! again: a missing field gets a stand-in value made from the model's JSON
//! Schema, a field of the wrong type gets one in its place, an unknown
//! field is taken out. Each new failure is another issue, until the body
//! reads or nothing more can be mended. The issues are then put in
//! pydantic's order: the model's fields as declared, unknown fields after
//! them, list items by position.
//!
//! A stand-in the schema describes wrongly (a custom `Deserialize`, a
//! number with a range the schema does not give) fails where it was put;
//! such a failure is not the client's, so the listing stops there with
//! the issues found so far. Reading a body again costs its length each
//! time, so a hostile body's listing is cut at [`MAX_ISSUES`] issues, or
//! when [`WORK_BUDGET`] bytes have been read again.

use std::borrow::Cow;
use std::sync::Arc;

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::de::{choices, FileGroup, Names, ParamError, Params, ParamsDeserializer, Source};
use super::objects::Objects;
use super::per_type::PerType;
use crate::error::ValidationIssue;

/// The most issues listed for one body.
pub(crate) const MAX_ISSUES: usize = 1000;

/// How many bytes of body may be read again to find more issues: each
/// reading costs the whole body, so this bounds what a hostile body with
/// many bad items costs (a few milliseconds), not what a client may send.
pub(crate) const WORK_BUDGET: usize = 256 << 10;

/// How deep a stand-in value may nest (a recursive model has no end).
const MAX_DEPTH: usize = 32;

/// How deep alternatives (`anyOf`, `oneOf`, `allOf`) are looked through
/// for a part of a schema. Each may name its own schema again, and every
/// level tries each alternative, so this stays small.
const MAX_ALTERNATIVES: usize = 8;

/// Every issue of `value` as a `T`, the first (`first`, already found)
/// included, in pydantic's order. `size` is the body's length in bytes.
/// `issue_of` makes the issue of a failure in the mended body, and says
/// where in it the issue's input is; the input is copied from what the
/// client sent there, or from the mended body where the client sent
/// nothing.
pub(crate) fn every_issue<T, F>(
    value: &Value,
    size: usize,
    first: ValidationIssue,
    mut issue_of: F,
) -> Vec<ValidationIssue>
where
    T: DeserializeOwned + JsonSchema + 'static,
    F: for<'v> FnMut(
        &'v Value,
        &serde_path_to_error::Error<serde_json::Error>,
    ) -> (ValidationIssue, Option<&'v Value>),
{
    let schema = schema_of::<T>();
    let schemas = Schemas { root: &schema };
    let mut mended: Option<Value> = None;
    let mut issues = vec![first];
    let mut read = size;
    loop {
        let last = issues.last().expect("at least the first issue");
        if issues.len() >= MAX_ISSUES || read > WORK_BUDGET {
            break;
        }
        // Copied only when it is to be read again: a body past the budget
        // is not.
        let mended = mended.get_or_insert_with(|| value.clone());
        if !schemas.mend(mended, last) {
            break;
        }
        read = read.saturating_add(size.max(1));
        let Err(error) = serde_path_to_error::deserialize::<_, T>(Objects(mended)) else {
            break;
        };
        let (mut issue, mended_input) = issue_of(mended, &error);
        // A failure at or inside a stand-in is the stand-in's, not the
        // client's.
        if issues
            .iter()
            .any(|earlier| issue.loc.starts_with(&earlier.loc))
        {
            break;
        }
        // What the client sent there: an object a field was added to
        // reads as it came.
        let input = at(value, body_path(&issue.loc, &issue.kind)).or(mended_input);
        issue.input = input.cloned().unwrap_or(Value::Null);
        issues.push(issue);
    }
    // An enum given a value of another type: serde does not name the
    // choices, the schema does.
    for issue in issues
        .iter_mut()
        .filter(|i| i.kind == "enum" && i.ctx.is_none())
    {
        let path = issue.loc.get(1..).unwrap_or_default();
        if let Some(names) = schemas.at(path).and_then(|s| schemas.variant_names(s, 0)) {
            let listed = choices(&names);
            issue.msg = format!("Input should be {listed}").into();
            issue.ctx = Some(serde_json::json!({ "expected": listed }));
        }
    }
    let mut keyed: Vec<_> = issues
        .into_iter()
        .map(|issue| (schemas.order_key(value, &issue.loc), issue))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
    keyed.into_iter().map(|(_, issue)| issue).collect()
}

/// Every issue of the parameters `pairs` (a query string's, or headers)
/// read as a struct `T`, the first (`first`) included, in the order of
/// `T`'s fields. Parameters are mended as a body is: a missing one added,
/// a bad value replaced; names `T` forbids are all found and taken out at
/// the first of them ([`forbid_every_unknown`]). `issue_of` makes the
/// issue of an error, `None` for a mistake in the program (which ends the
/// list).
pub(crate) fn every_param_issue<T, F>(
    pairs: &[(&str, &str)],
    files: &[FileGroup<'_>],
    source: Source,
    first: ParamError,
    issue_of: F,
) -> Vec<ValidationIssue>
where
    T: DeserializeOwned + JsonSchema + 'static,
    F: Fn(ParamError) -> Option<ValidationIssue>,
{
    let schema = schema_of::<T>();
    let schemas = Schemas { root: &schema };
    let size: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    // Borrowed as sent; only what is mended is owned.
    let mut mended: Vec<(Cow<'_, str>, Cow<'_, str>)> = pairs
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
        .collect();
    // Each issue, with the field it is about and the value's position.
    let mut found: Vec<(ValidationIssue, Option<String>, Option<usize>)> = Vec::new();
    let mut error = first;
    let mut read = size;
    loop {
        // A file's name is not among those swept: it is listed alone.
        let (swept, unswept) = if error.kind() == "extra_forbidden" {
            forbid_every_unknown::<T, _>(&mut mended, source, error, &mut found, &issue_of)
        } else {
            (false, Some(error))
        };
        let mended_more = if swept {
            true
        } else {
            let Some(error) = unswept else {
                break;
            };
            let (kind, name, index) =
                (error.kind(), error.name().map(str::to_owned), error.index());
            let Some(issue) = issue_of(error) else {
                break;
            };
            if found
                .iter()
                .any(|(earlier, ..)| issue.loc.starts_with(&earlier.loc))
            {
                break;
            }
            found.push((issue, name.clone(), index));
            name.is_some_and(|name| schemas.mend_params(&mut mended, kind, &name, index))
        };
        if !mended_more || found.len() >= MAX_ISSUES || read > WORK_BUDGET {
            break;
        }
        read = read.saturating_add(size.max(1));
        let params = Params::new(mended.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .read_as(source)
            .with_files(files);
        // The first reading failed, so any optional model was read as sent.
        match T::deserialize(ParamsDeserializer::sent(&params)) {
            Ok(_) => break,
            Err(next) => error = next,
        }
    }
    let fields: Vec<&String> = schemas
        .resolve(schemas.root)
        .and_then(|s| schemas.properties_of(s, 0))
        .map(|properties| properties.keys().collect())
        .unwrap_or_default();
    found.sort_by_key(|(_, name, index)| {
        let place = name
            .as_ref()
            .and_then(|name| fields.iter().position(|field| *field == name));
        (place.unwrap_or(usize::MAX), index.unwrap_or(0))
    });
    found.into_iter().map(|(issue, ..)| issue).collect()
}

/// Lists, and takes out of `pairs`, every name a `T` that forbids others
/// does not know, in the order sent; whether any was taken out. Read
/// alone, an unknown name fails on itself, so one pass finds them all,
/// where one reading of every pair per name would spend the budget on a
/// few of many. `first` is the `extra_forbidden` error of the whole
/// reading: its name is not read again, its issue standing for that
/// name's. It comes back when it named nothing swept (a file's name).
fn forbid_every_unknown<T, F>(
    pairs: &mut Vec<(Cow<'_, str>, Cow<'_, str>)>,
    source: Source,
    first: ParamError,
    found: &mut Vec<(ValidationIssue, Option<String>, Option<usize>)>,
    issue_of: &F,
) -> (bool, Option<ParamError>)
where
    T: DeserializeOwned,
    F: Fn(ParamError) -> Option<ValidationIssue>,
{
    let params = Params::new(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))).read_as(source);
    let mut first = Some(first);
    let mut unknown: Vec<String> = Vec::new();
    for alone in params.each_alone() {
        if found.len() >= MAX_ISSUES {
            break;
        }
        let error = match first.take_if(|first| first.name() == alone.only_name()) {
            Some(first) => first,
            None => match T::deserialize(ParamsDeserializer::sent(&alone)) {
                Err(error) if error.kind() == "extra_forbidden" => error,
                _ => continue,
            },
        };
        let Some(name) = error.name().map(str::to_owned) else {
            continue;
        };
        if let Some(issue) = issue_of(error) {
            found.push((issue, Some(name.clone()), None));
            unknown.push(name);
        }
    }
    drop(params);
    let unknown: Names<'_> = unknown.iter().map(String::as_str).collect();
    let before = pairs.len();
    pairs.retain(|(key, _)| unknown.position(key).is_none());
    (pairs.len() < before, first)
}

/// Gives the `missing` issues among `issues` the whole model's input, as
/// pydantic reports them for a model (FastAPI's form and parameter
/// models): `fields` (name, whether a list) in declared order with what
/// was sent for them (a list's values, else the first or the last value),
/// then the other names as sent, `name_map`ped (a repeated one as a list).
/// The input is made once, and only when an issue takes it.
pub(crate) fn with_model_input<'p>(
    issues: &mut [ValidationIssue],
    fields: &[(&str, bool)],
    pairs: impl IntoIterator<Item = (&'p str, Value)>,
    first_wins: bool,
    name_map: fn(&str) -> String,
) {
    let missing = issues
        .iter()
        .filter(|issue| issue.kind == "missing")
        .count();
    if missing == 0 {
        return;
    }
    // Every name's values, in one pass, names in order of appearance.
    let mut names = Names::default();
    let mut sent: Vec<Vec<Value>> = Vec::new();
    for (name, value) in pairs {
        match names.place(name) {
            (at, false) => sent[at].push(value),
            (_, true) => sent.push(vec![value]),
        }
    }
    let mut model = Map::new();
    for (name, list) in fields {
        let Some(values) = names.position(name).map(|at| &mut sent[at]) else {
            continue;
        };
        let value = match (list, first_wins) {
            (true, _) => Value::Array(std::mem::take(values)),
            (false, true) => values.first_mut().map(Value::take).unwrap_or_default(),
            (false, false) => values.last_mut().map(Value::take).unwrap_or_default(),
        };
        model.insert((*name).to_owned(), value);
    }
    let others = names
        .iter()
        .zip(sent)
        .filter(|(name, _)| !fields.iter().any(|(field, _)| field == name));
    model.extend(others.map(|(name, mut values)| {
        let value = if values.len() == 1 {
            values.remove(0)
        } else {
            Value::Array(values)
        };
        (name_map(name), value)
    }));
    let mut model = Some(Value::Object(model));
    let mut left = missing;
    for issue in issues.iter_mut().filter(|issue| issue.kind == "missing") {
        left -= 1;
        // The last one takes it; those before it, a copy.
        issue.input = if left == 0 {
            model.take().unwrap_or_default()
        } else {
            model.clone().unwrap_or_default()
        };
    }
}

/// `T`'s JSON Schema as it is read, with its definitions under `$defs`,
/// made once per type.
pub(crate) fn schema_of<T: JsonSchema + 'static>() -> Arc<Value> {
    static SCHEMAS: PerType<Arc<Value>> = PerType::new();
    SCHEMAS.get_or_make::<T>(|| {
        Arc::new(
            SchemaSettings::draft2020_12()
                .for_deserialize()
                .into_generator()
                .into_root_schema_for::<T>()
                .to_value(),
        )
    })
}

/// The member `name` of `value`, when it is an object. A schema's objects
/// hold a few names each, and a 422 looks names up in them dozens of
/// times: compared in order, a name is found several times faster than
/// through the map's hash (serde_json's map hashes with SipHash). A large
/// object (a model's many properties, a body's) is still looked up by
/// hash.
pub(crate) fn member<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    let object = value.as_object()?;
    if object.len() <= FEW_MEMBERS {
        object
            .iter()
            .find_map(|(key, member)| (key == name).then_some(member))
    } else {
        object.get(name)
    }
}

/// Up to this many members, [`member`] compares names in order.
const FEW_MEMBERS: usize = 12;

/// What the JSON Pointer `pointer` (RFC 6901) names in `root`, as
/// [`Value::pointer`] finds it, with each name looked up by [`member`].
fn pointer_in<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    pointer
        .strip_prefix('/')?
        .split('/')
        .try_fold(root, |value, token| {
            let token = if token.contains('~') {
                Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
            } else {
                Cow::Borrowed(token)
            };
            match value {
                Value::Object(_) => member(value, &token),
                // As `Value::pointer`: a plain decimal index, no sign, no
                // leading zero.
                Value::Array(items)
                    if !token.starts_with('+') && (token == "0" || !token.starts_with('0')) =>
                {
                    items.get(token.parse::<usize>().ok()?)
                }
                _ => None,
            }
        })
}

/// The path inside the body of an issue at `loc` (`["body", ...]`): where
/// its input is, the object for a `missing` field.
fn body_path<'a>(loc: &'a [Value], kind: &str) -> &'a [Value] {
    let path = loc.get(1..).unwrap_or_default();
    if kind == "missing" {
        path.split_last().map_or(path, |(_, parent)| parent)
    } else {
        path
    }
}

/// The value at `path` in `value`.
fn at<'v>(value: &'v Value, path: &[Value]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, step| match step {
        Value::String(key) => member(value, key),
        Value::Number(index) => value
            .as_array()?
            .get(usize::try_from(index.as_u64()?).ok()?),
        _ => None,
    })
}

/// The value at `path` in `value`, to change.
fn at_mut<'v>(value: &'v mut Value, path: &[Value]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Value::String(key) => value.as_object_mut()?.get_mut(key),
        Value::Number(index) => value
            .as_array_mut()?
            .get_mut(usize::try_from(index.as_u64()?).ok()?),
        _ => None,
    })
}

/// A string that a `string` schema of this `format` takes.
fn string_stand_in(schema: &Value) -> &'static str {
    match member(schema, "format").and_then(Value::as_str) {
        Some("uuid") => "00000000-0000-0000-0000-000000000000",
        Some("date-time") => "1970-01-01T00:00:00Z",
        Some("date") => "1970-01-01",
        Some("time") => "00:00:00",
        Some("ipv4" | "ip") => "0.0.0.0",
        Some("ipv6") => "::",
        Some("uri") => "http://localhost/",
        _ => "",
    }
}

/// Zero, or the schema's least value when that is above it.
fn number_stand_in(schema: &Value) -> Value {
    match member(schema, "minimum") {
        Some(least) if least.as_f64().is_some_and(|least| least > 0.0) => least.clone(),
        _ => Value::from(0),
    }
}

/// A scalar as a parameter's text.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A model's JSON Schema, with its definitions.
struct Schemas<'s> {
    root: &'s Value,
}

impl<'s> Schemas<'s> {
    /// Mends `body` where `issue` is, so that reading it again goes past
    /// it; `false` when it cannot be.
    fn mend(&self, body: &mut Value, issue: &ValidationIssue) -> bool {
        let Some(path) = issue.loc.get(1..) else {
            return false;
        };
        let Some((last, parent)) = path.split_last() else {
            // The whole body is wrong: nothing else can be said of it.
            return false;
        };
        match &*issue.kind {
            "missing" => {
                let Value::String(field) = last else {
                    return false;
                };
                let Some(stand_in) = self.at(path).and_then(|s| self.stand_in(s, 0)) else {
                    return false;
                };
                match at_mut(body, parent).and_then(Value::as_object_mut) {
                    Some(object) if !object.contains_key(field) => {
                        object.insert(field.clone(), stand_in);
                        true
                    }
                    _ => false,
                }
            }
            "extra_forbidden" => {
                let Value::String(field) = last else {
                    return false;
                };
                at_mut(body, parent)
                    .and_then(Value::as_object_mut)
                    .and_then(|object| object.shift_remove(field))
                    .is_some()
            }
            _ => {
                let Some(stand_in) = self.at(path).and_then(|s| self.stand_in(s, 0)) else {
                    return false;
                };
                match at_mut(body, path) {
                    Some(slot) if *slot != stand_in => {
                        *slot = stand_in;
                        true
                    }
                    _ => false,
                }
            }
        }
    }

    /// Mends parameters where the issue of `kind` about `name` (at
    /// `index` of a list) is; `false` when it cannot be.
    fn mend_params(
        &self,
        pairs: &mut Vec<(Cow<'_, str>, Cow<'_, str>)>,
        kind: &str,
        name: &str,
        index: Option<usize>,
    ) -> bool {
        if kind == "extra_forbidden" {
            let before = pairs.len();
            pairs.retain(|(key, _)| key != name);
            return pairs.len() < before;
        }
        // A struct's field by name; a tuple's (path parameters read by
        // position) by the place of the name among the parameters.
        let place = || {
            let mut names: Vec<&str> = Vec::new();
            for (key, _) in pairs.iter() {
                if !names.contains(&key.as_ref()) {
                    names.push(key);
                }
            }
            names.iter().position(|key| *key == name)
        };
        let field = self
            .at(&[Value::from(name)])
            .or_else(|| self.at(&[Value::from(place()?)]));
        let Some(field) = field else {
            return false;
        };
        let Some(stand_in) = self.param_stand_in(field, 0) else {
            return false;
        };
        if kind == "missing" {
            pairs.push((Cow::Owned(name.to_owned()), Cow::Owned(stand_in)));
            return true;
        }
        let mut changed = false;
        let values = pairs.iter_mut().filter(|(key, _)| key == name);
        for (at, (_, value)) in values.enumerate() {
            if index.is_none_or(|index| index == at) && *value != stand_in {
                *value = Cow::Owned(stand_in.clone());
                changed = true;
            }
        }
        changed
    }

    /// The schema of what is at `path` in the body.
    fn at(&self, path: &[Value]) -> Option<&'s Value> {
        path.iter()
            .try_fold(self.root, |schema, step| self.step(schema, step, 0))
    }

    /// The schema of the part `step` of a value of `schema`, looked for
    /// through alternatives up to [`MAX_ALTERNATIVES`] deep.
    fn step(&self, schema: &'s Value, step: &Value, depth: usize) -> Option<&'s Value> {
        if depth > MAX_ALTERNATIVES {
            return None;
        }
        let schema = self.resolve(schema)?;
        if let Some(found) = self
            .branches(schema)
            .find_map(|branch| self.step(branch, step, depth + 1))
        {
            return Some(found);
        }
        match step {
            Value::String(key) => member(schema, "properties")
                .and_then(|p| member(p, key))
                .or_else(|| member(schema, "additionalProperties").filter(|a| a.is_object())),
            Value::Number(index) => {
                let index = usize::try_from(index.as_u64()?).ok()?;
                member(schema, "prefixItems")
                    .and_then(|items| items.get(index))
                    .or_else(|| member(schema, "items"))
            }
            _ => None,
        }
    }

    /// The alternatives of `schema` that are not `null`.
    fn branches(&self, schema: &'s Value) -> impl Iterator<Item = &'s Value> + '_ {
        ["anyOf", "oneOf", "allOf"]
            .into_iter()
            .filter_map(|key| member(schema, key).and_then(Value::as_array))
            .flatten()
            .filter(|branch| member(branch, "type").and_then(Value::as_str) != Some("null"))
    }

    /// `schema` with its `$ref` followed.
    fn resolve(&self, mut schema: &'s Value) -> Option<&'s Value> {
        for _ in 0..MAX_DEPTH {
            let Some(reference) = member(schema, "$ref").and_then(Value::as_str) else {
                return Some(schema);
            };
            let pointer = reference.strip_prefix('#')?;
            schema = pointer_in(self.root, pointer)?;
        }
        None
    }

    /// A value that `schema` describes, as plain as can be: `null` where
    /// it is allowed, else an empty string, zero, `false`, an empty list,
    /// an object of its required fields.
    fn stand_in(&self, schema: &'s Value, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let schema = self.resolve(schema)?;
        if let Some(value) = member(schema, "const") {
            return Some(value.clone());
        }
        if let Some(first) = member(schema, "enum").and_then(|e| e.as_array()?.first()) {
            return Some(first.clone());
        }
        let types: Vec<&str> = match member(schema, "type") {
            Some(Value::String(kind)) => vec![kind.as_str()],
            Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"null") {
            return Some(Value::Null);
        }
        if let Some(kind) = types.first() {
            return match *kind {
                "string" => Some(Value::from(string_stand_in(schema))),
                "integer" | "number" => Some(number_stand_in(schema)),
                "boolean" => Some(Value::Bool(false)),
                "array" => match member(schema, "prefixItems").and_then(Value::as_array) {
                    Some(items) => items
                        .iter()
                        .map(|item| self.stand_in(item, depth + 1))
                        .collect::<Option<Vec<_>>>()
                        .map(Value::Array),
                    None => Some(Value::Array(Vec::new())),
                },
                "object" => {
                    let mut object = Map::new();
                    let required = member(schema, "required").and_then(Value::as_array);
                    for field in required.into_iter().flatten().filter_map(Value::as_str) {
                        let property =
                            member(schema, "properties").and_then(|p| member(p, field))?;
                        object.insert(field.to_owned(), self.stand_in(property, depth + 1)?);
                    }
                    Some(Value::Object(object))
                }
                _ => None,
            };
        }
        // An alternative: `null` when one allows it, else the first.
        let alternatives: Vec<&Value> = ["anyOf", "oneOf"]
            .into_iter()
            .filter_map(|key| member(schema, key).and_then(Value::as_array))
            .flatten()
            .collect();
        if alternatives
            .iter()
            .any(|branch| member(branch, "type").and_then(Value::as_str) == Some("null"))
        {
            return Some(Value::Null);
        }
        if let Some(first) = alternatives.first() {
            return self.stand_in(first, depth + 1);
        }
        if schema.as_bool() == Some(true) || schema.as_object().is_some_and(Map::is_empty) {
            // Any value.
            return Some(Value::Null);
        }
        None
    }

    /// A value for a parameter (a query string's or a header's) of
    /// `schema`, as text: its non-null alternative, its item's for a
    /// list.
    fn param_stand_in(&self, schema: &'s Value, depth: usize) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        let schema = self.resolve(schema)?;
        if let Some(branch) = self.branches(schema).next() {
            return self.param_stand_in(branch, depth + 1);
        }
        if let Some(first) = member(schema, "enum")
            .and_then(Value::as_array)
            .and_then(|values| values.iter().find(|v| !v.is_null()))
        {
            return text_of(first);
        }
        let kinds: Vec<&str> = match member(schema, "type") {
            Some(Value::String(kind)) => vec![kind.as_str()],
            Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        match kinds.into_iter().find(|kind| *kind != "null")? {
            "string" => Some(string_stand_in(schema).to_owned()),
            "integer" | "number" => text_of(&number_stand_in(schema)),
            "boolean" => Some("false".to_owned()),
            "array" => self.param_stand_in(member(schema, "items")?, depth + 1),
            _ => None,
        }
    }

    /// Where an issue at `loc` comes in pydantic's order: at each step,
    /// a field by its place in the model, an unknown field after them all
    /// (in the order sent), a list item by its index.
    fn order_key(&self, body: &Value, loc: &[Value]) -> Vec<(u8, usize)> {
        let mut key = Vec::new();
        let mut schema = Some(self.root);
        let mut value = Some(body);
        for step in loc.iter().skip(1) {
            let rank = match step {
                Value::String(field) => {
                    let declared = schema
                        .and_then(|s| self.resolve(s))
                        .and_then(|s| self.properties_of(s, 0))
                        .and_then(|properties| properties.keys().position(|k| k == field));
                    match declared {
                        Some(place) => (0, place),
                        None => {
                            let sent = value
                                .and_then(Value::as_object)
                                .and_then(|object| object.keys().position(|k| k == field));
                            (1, sent.unwrap_or(usize::MAX))
                        }
                    }
                }
                Value::Number(index) => (
                    0,
                    index
                        .as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .unwrap_or(usize::MAX),
                ),
                _ => (2, 0),
            };
            key.push(rank);
            schema = schema.and_then(|s| self.step(s, step, 0));
            value = value.and_then(|v| at(v, std::slice::from_ref(step)));
        }
        key
    }

    /// The names of an enum of names (`{"enum": [...]}`, or alternatives
    /// of one `const` each), through a `$ref` and past `null` (up to
    /// [`MAX_ALTERNATIVES`] deep).
    fn variant_names(&self, schema: &'s Value, depth: usize) -> Option<Vec<&'s str>> {
        if depth > MAX_ALTERNATIVES {
            return None;
        }
        let schema = self.resolve(schema)?;
        if let Some(values) = member(schema, "enum").and_then(Value::as_array) {
            return values
                .iter()
                .filter(|v| !v.is_null())
                .map(Value::as_str)
                .collect();
        }
        if let Some(value) = member(schema, "const") {
            return value.as_str().map(|name| vec![name]);
        }
        let branches: Vec<&Value> = self.branches(schema).collect();
        match branches.as_slice() {
            [] => None,
            [only] => self.variant_names(only, depth + 1),
            many => many
                .iter()
                .map(|branch| self.variant_names(branch, depth + 1))
                .collect::<Option<Vec<Vec<&str>>>>()
                .map(|names| names.concat()),
        }
    }

    /// The declared properties of an object schema, or of its object
    /// alternative (up to [`MAX_ALTERNATIVES`] deep).
    fn properties_of(&self, schema: &'s Value, depth: usize) -> Option<&'s Map<String, Value>> {
        if depth > MAX_ALTERNATIVES {
            return None;
        }
        member(schema, "properties")
            .and_then(Value::as_object)
            .or_else(|| {
                self.branches(schema).find_map(|branch| {
                    self.resolve(branch)
                        .and_then(|b| self.properties_of(b, depth + 1))
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Names are found as serde_json finds them, on both sides of the
    /// switch from comparing in order to hashing, and pointers name what
    /// `Value::pointer` names, escapes and indices included.
    #[test]
    fn members_and_pointers_are_found_as_serde_json_finds_them() {
        for size in [0, 1, FEW_MEMBERS, FEW_MEMBERS + 1, 40] {
            let object: Map<String, Value> = (0..size)
                .map(|i| (format!("k{i}"), Value::from(i)))
                .collect();
            let value = Value::Object(object);
            for i in 0..=size {
                let name = format!("k{i}");
                assert_eq!(member(&value, &name), value.get(&name), "{name} of {size}");
            }
        }
        assert_eq!(member(&json!([1, 2]), "0"), None);
        assert_eq!(member(&json!("text"), "k"), None);

        let root = json!({
            "$defs": {"a/b": {"x": 1}, "m~n": [10, 20], "": {"e": true}},
            "list": [{"y": 2}],
        });
        for pointer in [
            "",
            "/",
            "/$defs",
            "/$defs/a~1b",
            "/$defs/a~1b/x",
            "/$defs/m~0n/1",
            "/$defs/m~0n/01",
            "/$defs/m~0n/+1",
            "/$defs/m~0n/2",
            "/$defs//e",
            "/list/0/y",
            "/list/-",
            "/missing",
            "no-slash",
            "/$defs/a/b",
        ] {
            assert_eq!(
                pointer_in(&root, pointer),
                root.pointer(pointer),
                "{pointer:?}"
            );
        }
    }

    /// An alternative may name its own schema (an untagged enum with a
    /// variant of itself): looking through it ends, and at once.
    #[test]
    fn alternatives_that_name_themselves_are_looked_through_a_few_levels_only() {
        let root = json!({
            "type": "object",
            "properties": {"v": {"$ref": "#/$defs/V"}},
            "$defs": {"V": {"anyOf": [
                {"$ref": "#/$defs/V"}, {"$ref": "#/$defs/V"}, {"type": "integer"}
            ]}}
        });
        let schemas = Schemas { root: &root };
        let started = std::time::Instant::now();
        assert_eq!(schemas.at(&[json!("v"), json!("x")]), None);
        let v = schemas.at(&[json!("v")]).expect("the field");
        assert_eq!(schemas.properties_of(v, 0), None);
        assert_eq!(schemas.variant_names(v, 0), None);
        // The first alternative is taken, to the depth limit: no stand-in,
        // so a listing stops there.
        assert_eq!(schemas.stand_in(v, 0), None);
        assert_eq!(schemas.param_stand_in(v, 0), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
