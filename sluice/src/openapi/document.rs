//! Putting the document together once every operation is described.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::operation::{Operation, OperationDoc, RouteDoc};
use super::schemas::{referenced, validation_components, Schemas, Side, COMPONENTS};
use super::OpenApi;
use crate::error::ConfigError;

/// One operation on its way into the document.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) path_params: Box<[Arc<str>]>,
    pub(crate) op: Operation,
    pub(crate) doc: RouteDoc,
}

/// The document as the app is built.
#[derive(Debug, Default)]
pub(crate) struct DocBuilder {
    pub(crate) schemas: Schemas,
    entries: Vec<Entry>,
}

impl DocBuilder {
    pub(crate) fn new() -> Self {
        DocBuilder::default()
    }

    /// Adds an operation, with the route's extra responses.
    pub(crate) fn push(&mut self, mut entry: Entry) {
        for extra in &entry.doc.responses {
            let mut doc = OperationDoc::new(
                &entry.method,
                &entry.path,
                &entry.path_params,
                &mut self.schemas,
                &mut entry.op,
            );
            doc.response(extra.status, extra.description.clone(), extra.describe);
        }
        self.entries.push(entry);
    }

    /// Lets `f` add to every operation (the app's own middleware).
    pub(crate) fn describe_all(&mut self, mut f: impl FnMut(&mut OperationDoc<'_>)) {
        for entry in &mut self.entries {
            let mut doc = OperationDoc::new(
                &entry.method,
                &entry.path,
                &entry.path_params,
                &mut self.schemas,
                &mut entry.op,
            );
            f(&mut doc);
        }
    }

    /// The document.
    pub(crate) fn finish(self, config: &OpenApi) -> Result<Value, ConfigError> {
        config.check()?;
        let finished = self.schemas.finish();
        let renames = finished.renames;
        let mut components = finished.components;
        let mut paths: Map<String, Value> = Map::new();
        let mut operation_ids: BTreeMap<String, String> = BTreeMap::new();
        let mut schemes: BTreeMap<String, Value> = BTreeMap::new();
        let mut any_validation = false;
        for entry in self.entries {
            let Entry {
                method,
                path,
                op,
                doc,
                ..
            } = entry;
            let mut operation = Map::new();
            if !doc.tags.is_empty() {
                let tags = doc.tags.iter().map(|t| Value::String(t.to_string()));
                operation.insert("tags".to_owned(), Value::Array(tags.collect()));
            }
            let summary = doc
                .summary
                .as_ref()
                .map(|s| s.to_string())
                .or_else(|| doc.handler_name.and_then(default_summary));
            if let Some(summary) = summary {
                operation.insert("summary".to_owned(), Value::String(summary));
            }
            if let Some(description) = &doc.description {
                operation.insert(
                    "description".to_owned(),
                    Value::String(description.to_string()),
                );
            }
            let id = match &doc.operation_id {
                Some(id) => id.to_string(),
                None => default_operation_id(doc.handler_name, &path, &method),
            };
            if let Some(first) = operation_ids.insert(id.clone(), format!("{method} {path}")) {
                return Err(ConfigError::OpenApi {
                    reason: format!(
                        "the operation id {id:?} is used by both {first} and {method} {path}; \
                         give one of them another with .operation_id(...)"
                    ),
                });
            }
            operation.insert("operationId".to_owned(), Value::String(id));
            if doc.deprecated {
                operation.insert("deprecated".to_owned(), Value::Bool(true));
            }
            if !op.parameters.is_empty() {
                let parameters = op.parameters.iter().map(|p| {
                    let mut value = p.to_value();
                    renames.apply(Side::Input, &mut value);
                    value
                });
                operation.insert("parameters".to_owned(), Value::Array(parameters.collect()));
            }
            if let Some((content, required)) = &op.request_body {
                let mut body = Map::new();
                let mut media = Map::new();
                for (media_type, schema) in content {
                    let mut entry = Map::new();
                    if let Some(schema) = schema {
                        let mut schema = schema.clone();
                        renames.apply(Side::Input, &mut schema);
                        entry.insert("schema".to_owned(), schema);
                    }
                    media.insert(media_type.to_string(), Value::Object(entry));
                }
                body.insert("content".to_owned(), Value::Object(media));
                body.insert("required".to_owned(), Value::Bool(*required));
                operation.insert("requestBody".to_owned(), Value::Object(body));
            }
            let mut responses = Map::new();
            let status = doc.status.unwrap_or(StatusCode::OK);
            let mut success = op.success.clone();
            if !body_allowed(status) {
                success.content.clear();
            }
            let mut value = success.to_value("Successful Response");
            renames.apply(Side::Output, &mut value);
            responses.insert(status.as_str().to_owned(), value);
            for (status, spec) in &op.responses {
                let mut value = spec.to_value(status.canonical_reason().unwrap_or("Response"));
                renames.apply(Side::Output, &mut value);
                responses.insert(status.as_str().to_owned(), value);
            }
            if op.validates && !responses.contains_key("422") {
                any_validation = true;
                responses.insert("422".to_owned(), validation_response());
            }
            operation.insert("responses".to_owned(), Value::Object(responses));
            if !op.security.is_empty() {
                let mut requirements = Vec::new();
                for (scheme, scopes) in &op.security {
                    if let Some(reason) = scheme.invalid() {
                        return Err(ConfigError::OpenApi {
                            reason: format!("security scheme {:?}: {reason}", scheme.name()),
                        });
                    }
                    let value = scheme.to_value();
                    match schemes.get(scheme.name()) {
                        Some(existing) if *existing != value => {
                            return Err(ConfigError::OpenApi {
                                reason: format!(
                                    "two different security schemes are named {:?}; name one \
                                     of them with SecurityScheme::named",
                                    scheme.name()
                                ),
                            });
                        }
                        _ => {
                            schemes.insert(scheme.name().to_owned(), value);
                        }
                    }
                    let mut requirement = Map::new();
                    let scopes = scopes.iter().map(|s| Value::String(s.clone()));
                    requirement.insert(scheme.name().to_owned(), Value::Array(scopes.collect()));
                    requirements.push(Value::Object(requirement));
                }
                operation.insert("security".to_owned(), Value::Array(requirements));
            }
            let item = paths
                .entry(openapi_path(&path))
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(item) = item {
                item.insert(
                    method.as_str().to_ascii_lowercase(),
                    Value::Object(operation),
                );
            }
        }

        if any_validation {
            for (name, schema) in validation_components() {
                if components.contains_key(name) {
                    return Err(ConfigError::OpenApi {
                        reason: format!(
                            "a model is named {name}, as FastAPI's 422 schema is; rename it \
                             with #[schemars(rename = \"...\")]"
                        ),
                    });
                }
                components.insert(name.to_owned(), schema);
            }
        }
        let paths = Value::Object(paths);
        let components = used_components(&paths, components);

        let mut document = Map::new();
        document.insert("openapi".to_owned(), Value::String("3.1.0".to_owned()));
        document.insert("info".to_owned(), config.info());
        if !config.servers.is_empty() {
            document.insert("servers".to_owned(), Value::Array(config.servers.clone()));
        }
        document.insert("paths".to_owned(), paths);
        let mut component_map = Map::new();
        if !components.is_empty() {
            component_map.insert(
                "schemas".to_owned(),
                Value::Object(components.into_iter().collect()),
            );
        }
        if !schemes.is_empty() {
            component_map.insert(
                "securitySchemes".to_owned(),
                Value::Object(schemes.into_iter().collect()),
            );
        }
        if !component_map.is_empty() {
            document.insert("components".to_owned(), Value::Object(component_map));
        }
        if !config.tags.is_empty() {
            document.insert("tags".to_owned(), Value::Array(config.tags.clone()));
        }
        Ok(Value::Object(document))
    }
}

/// The components the paths refer to, directly or through others.
fn used_components(
    paths: &Value,
    mut components: BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let mut used = BTreeSet::new();
    referenced(paths, &mut used);
    let mut todo: Vec<String> = used.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if let Some(schema) = components.get(&name) {
            let mut more = BTreeSet::new();
            referenced(schema, &mut more);
            for name in more {
                if used.insert(name.clone()) {
                    todo.push(name);
                }
            }
        }
    }
    components.retain(|name, _| used.contains(name));
    components
}

fn validation_response() -> Value {
    serde_json::json!({
        "description": "Validation Error",
        "content": {
            "application/json": {
                "schema": { "$ref": format!("{COMPONENTS}HTTPValidationError") }
            }
        }
    })
}

/// Statuses whose responses have no body (RFC 9110 §6.4.1).
fn body_allowed(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// `/files/{path:path}` and `/files/{*path}` are `/files/{path}` in the
/// document.
pub(crate) fn openapi_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        let name = inner.trim_start_matches('*');
        let name = name.split_once(':').map_or(name, |(n, _)| n);
        out.push('{');
        out.push_str(name);
        out.push('}');
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// FastAPI's default summary: the function's name in title case
/// (`read_item` is "Read Item").
fn default_summary(name: &str) -> Option<String> {
    if !is_identifier(name) {
        return None;
    }
    let words: Vec<String> = name
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// FastAPI's default operation id: the function's name, the path and the
/// method, with every character that is not a letter, digit or `_` as
/// `_` (`read_item_items__item_id__get`). A closure has no name: its id is
/// the path and the method.
fn default_operation_id(name: Option<&str>, path: &str, method: &Method) -> String {
    let name = name.filter(|n| is_identifier(n)).unwrap_or("");
    let raw = format!(
        "{name}{}_{}",
        openapi_path(path),
        method.as_str().to_ascii_lowercase()
    );
    let id: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        id.trim_start_matches('_').to_owned()
    } else {
        id
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_summaries_follow_fastapi() {
        assert_eq!(
            default_operation_id(Some("read_item"), "/items/{item_id}", &Method::GET),
            "read_item_items__item_id__get"
        );
        assert_eq!(
            default_operation_id(Some("create_item"), "/items", &Method::POST),
            "create_item_items_post"
        );
        assert_eq!(
            default_operation_id(Some("{{closure}}"), "/items", &Method::POST),
            "items_post"
        );
        assert_eq!(default_summary("read_item").as_deref(), Some("Read Item"));
        assert_eq!(default_summary("{{closure}}"), None);
        assert_eq!(openapi_path("/files/{rest:path}"), "/files/{rest}");
        assert_eq!(openapi_path("/files/{*rest}"), "/files/{rest}");
        assert_eq!(openapi_path("/a/{b}/c"), "/a/{b}/c");
    }
}
