//! The JSON Schemas of the document's models, from `schemars`.
//!
//! Two generators: one describes what the app reads (request bodies and
//! parameters, serde's deserialize contract), one what it writes
//! (responses, the serialize contract). A model that reads and writes
//! alike gets one component schema named after it; one whose two schemas
//! differ (a `skip_serializing` field, a rename in one direction) gets two,
//! `Name-Input` and `Name-Output`, as FastAPI names them.
//!
//! As pydantic does by default, a field with a default is not required in
//! the written schema either, and a model whose written schema only
//! requires more fields than its read one (an `Option` is always written,
//! but need not be sent) stays one schema, the read one.

use std::collections::{BTreeMap, BTreeSet};

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::transform::{transform_subschemas, ReplaceBoolSchemas, Transform};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

/// Where component schemas live in the document.
pub(crate) const COMPONENTS: &str = "#/components/schemas/";

/// Which side of the exchange a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// What the app reads: parameters and request bodies.
    Input,
    /// What the app writes: responses.
    Output,
}

/// The generators of one document.
#[derive(Debug)]
pub(crate) struct Schemas {
    input: SchemaGenerator,
    output: SchemaGenerator,
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas::new()
    }
}

fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        // `true` (any value) is `{}` in the document, as FastAPI writes it
        // and as every OpenAPI tool reads it.
        .with_transform({
            let mut replace = ReplaceBoolSchemas::default();
            replace.skip_additional_properties = true;
            replace
        })
}

impl Schemas {
    pub(crate) fn new() -> Self {
        Schemas {
            input: settings().for_deserialize().into_generator(),
            output: settings()
                .for_serialize()
                .with_transform(DefaultsNotRequired)
                .into_generator(),
        }
    }

    fn generator(&mut self, side: Side) -> &mut SchemaGenerator {
        match side {
            Side::Input => &mut self.input,
            Side::Output => &mut self.output,
        }
    }

    /// `T`'s schema for a body or a single value: a `$ref` to its
    /// component for a named model, the schema itself for others.
    pub(crate) fn schema_for<T: JsonSchema + ?Sized>(&mut self, side: Side) -> Value {
        let generator = self.generator(side);
        let mut schema = generator.subschema_for::<T>();
        apply_transforms(generator, &mut schema);
        schema.to_value()
    }

    /// `T`'s own schema, never a `$ref` at its top: what parameters are
    /// read from (each property of a struct is one parameter).
    pub(crate) fn inline_schema_for<T: JsonSchema + ?Sized>(&mut self, side: Side) -> Value {
        let generator = self.generator(side);
        let mut schema = T::json_schema(generator);
        apply_transforms(generator, &mut schema);
        schema.to_value()
    }

    /// Follows a `$ref` to a component, and a nullable `anyOf` to what is
    /// not null: the object a parameter type's properties are in.
    pub(crate) fn resolve<'s>(&'s self, side: Side, mut schema: &'s Value) -> &'s Value {
        let definitions = match side {
            Side::Input => self.input.definitions(),
            Side::Output => self.output.definitions(),
        };
        for _ in 0..8 {
            if let Some(name) = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(COMPONENTS))
            {
                match definitions.get(name) {
                    Some(target) => schema = target,
                    None => break,
                }
            } else if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
                let not_null: Vec<&Value> = variants.iter().filter(|v| !is_null(v)).collect();
                match not_null.as_slice() {
                    [only] if not_null.len() < variants.len() => schema = only,
                    _ => break,
                }
            } else {
                break;
            }
        }
        schema
    }

    /// The component schemas, each side's refs renamed where a model's two
    /// schemas differ, and the renames to apply to the operations' own
    /// schemas.
    pub(crate) fn finish(mut self) -> Finished {
        let input = self.input.take_definitions(true);
        let output = self.output.take_definitions(true);
        let mut renames = Renames::default();
        for (name, schema) in &input {
            if let Some(other) = output.get(name) {
                if !same_model(schema, other) {
                    renames.input.insert(name.clone(), format!("{name}-Input"));
                    renames
                        .output
                        .insert(name.clone(), format!("{name}-Output"));
                }
            }
        }
        // The read side first: where a model is one, its read schema wins.
        let mut components = BTreeMap::new();
        for (side, definitions) in [(Side::Input, input), (Side::Output, output)] {
            for (name, mut schema) in definitions {
                renames.apply(side, &mut schema);
                let name = renames.name(side, &name).to_owned();
                components.entry(name).or_insert(schema);
            }
        }
        Finished {
            components,
            renames,
        }
    }
}

/// Whether a model's read and written schemas are one, as pydantic sees
/// them: alike, except that the written one may require fields the read
/// one lets a client leave out (an `Option` without a default is always
/// written, but need not be sent). The read schema then stands for both.
fn same_model(input: &Value, output: &Value) -> bool {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            let required = |m: &Map<String, Value>| -> Vec<Value> {
                m.get("required")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let (read, written) = (required(a), required(b));
            read.iter().all(|r| written.contains(r))
                && a.keys()
                    .chain(b.keys())
                    .filter(|k| *k != "required")
                    .all(|k| match (a.get(k), b.get(k)) {
                        (Some(x), Some(y)) => same_model(x, y),
                        _ => false,
                    })
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_model(x, y))
        }
        _ => input == output,
    }
}

/// What [`Schemas::finish`] gives.
#[derive(Debug)]
pub(crate) struct Finished {
    /// Every component schema, by name.
    pub(crate) components: BTreeMap<String, Value>,
    pub(crate) renames: Renames,
}

/// The component names that changed on each side.
#[derive(Debug, Default)]
pub(crate) struct Renames {
    input: BTreeMap<String, String>,
    output: BTreeMap<String, String>,
}

impl Renames {
    fn name<'n>(&'n self, side: Side, name: &'n str) -> &'n str {
        let map = match side {
            Side::Input => &self.input,
            Side::Output => &self.output,
        };
        map.get(name).map_or(name, String::as_str)
    }

    /// Renames the `$ref`s in `schema` that point at a renamed component.
    pub(crate) fn apply(&self, side: Side, schema: &mut Value) {
        let map = match side {
            Side::Input => &self.input,
            Side::Output => &self.output,
        };
        if map.is_empty() {
            return;
        }
        visit_refs(schema, &mut |reference| {
            if let Some(new) = reference
                .strip_prefix(COMPONENTS)
                .and_then(|name| map.get(name))
            {
                *reference = format!("{COMPONENTS}{new}");
            }
        });
    }
}

/// Calls `f` on every `$ref` string in `value`.
pub(crate) fn visit_refs(value: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(reference) if key == "$ref" => f(reference),
                    _ => visit_refs(child, f),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| visit_refs(v, f)),
        _ => {}
    }
}

/// The component names `value` refers to.
pub(crate) fn referenced(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match child {
                    Value::String(reference) if key == "$ref" => {
                        if let Some(name) = reference.strip_prefix(COMPONENTS) {
                            out.insert(name.to_owned());
                        }
                    }
                    _ => referenced(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| referenced(v, out)),
        _ => {}
    }
}

fn is_null(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

fn apply_transforms(generator: &mut SchemaGenerator, schema: &mut Schema) {
    for transform in generator.transforms_mut() {
        transform.transform(schema);
    }
}

/// Drops from `required` every property that has a `default`: pydantic's
/// serialization schemas, unless told otherwise, do not require fields
/// with defaults, and neither does FastAPI's document.
#[derive(Debug, Clone, Copy)]
struct DefaultsNotRequired;

impl Transform for DefaultsNotRequired {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(object) = schema.as_object_mut() {
            let defaulted: Vec<String> = object
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| {
                    properties
                        .iter()
                        .filter(|(_, p)| p.get("default").is_some())
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            if !defaulted.is_empty() {
                if let Some(Value::Array(required)) = object.get_mut("required") {
                    required
                        .retain(|r| !r.as_str().is_some_and(|r| defaulted.iter().any(|d| d == r)));
                    if required.is_empty() {
                        object.remove("required");
                    }
                }
            }
        }
        transform_subschemas(self, schema);
    }
}

/// FastAPI's `HTTPValidationError` and `ValidationError` component
/// schemas: the body of every 422 sluice sends (`{"detail": [...]}`, each
/// entry with `loc`, `msg`, `type`, and the `input` and `ctx` that
/// FastAPI 0.165 documents).
pub(crate) fn validation_components() -> [(&'static str, Value); 2] {
    let http_validation_error = serde_json::json!({
        "properties": {
            "detail": {
                "items": { "$ref": format!("{COMPONENTS}ValidationError") },
                "type": "array",
                "title": "Detail"
            }
        },
        "type": "object",
        "title": "HTTPValidationError"
    });
    let validation_error = serde_json::json!({
        "properties": {
            "loc": {
                "items": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
                "type": "array",
                "title": "Location"
            },
            "msg": { "type": "string", "title": "Message" },
            "type": { "type": "string", "title": "Error Type" },
            "input": { "title": "Input" },
            "ctx": { "type": "object", "title": "Context" }
        },
        "type": "object",
        "required": ["loc", "msg", "type"],
        "title": "ValidationError"
    });
    [
        ("HTTPValidationError", http_validation_error),
        ("ValidationError", validation_error),
    ]
}

/// An object's properties and which are required, if `schema` is one.
pub(crate) fn object_properties(schema: &Value) -> Option<(&Map<String, Value>, Vec<&str>)> {
    let properties = schema.get("properties")?.as_object()?;
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Some((properties, required))
}
