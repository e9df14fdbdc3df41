//! The `openapi` scenario, served by `conformance-app`: its `/openapi.json`
//! is equivalent to FastAPI 0.165's document for the same app
//! (`reference/openapi/`), it passes `openapi-spec-validator`, and the docs
//! pages are served beside it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use serde_json::{Map, Value};

/// `conformance-app openapi` on a free port, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_conformance-app"))
            .args(["openapi", "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("conformance-app starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the ready line");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    /// `GET path`: the status, the headers (lower-case) and the body.
    fn get(&self, path: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .expect("request sent");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("response read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let status = head[9..12].parse().expect("a status");
        (status, head.to_ascii_lowercase(), body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/reference/openapi/fastapi-0.165.0.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("the reference")).expect("JSON")
}

/// A schema in one spelling, for the spellings JSON Schema 2020-12 treats
/// alike: `type: [X, "null"]` is `anyOf: [{type: X}, {type: null}]`,
/// `default: null` is no default, a `format` restating a number's width
/// is dropped, and titles and descriptions are not compared.
fn normalize_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return match schema {
            Value::Bool(true) => Value::Object(Map::new()),
            other => other.clone(),
        };
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "title" | "description" => {}
            "default" if value.is_null() => {}
            "format"
                if matches!(
                    value.as_str(),
                    Some(
                        "int64"
                            | "int32"
                            | "double"
                            | "float"
                            | "uint"
                            | "uint8"
                            | "uint16"
                            | "uint32"
                            | "uint64"
                            | "int8"
                            | "int16"
                    )
                ) => {}
            "properties" => {
                let properties = value
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(k, v)| (k.clone(), normalize_schema(v)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(properties));
            }
            "required" => {
                let mut names: Vec<Value> = value.as_array().cloned().unwrap_or_default();
                names.sort_by_key(|v| v.to_string());
                out.insert(key.clone(), Value::Array(names));
            }
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                let mut items: Vec<Value> = value
                    .as_array()
                    .map(|a| a.iter().map(normalize_schema).collect())
                    .unwrap_or_default();
                if key != "prefixItems" {
                    items.sort_by_key(|v| v.to_string());
                }
                out.insert(key.clone(), Value::Array(items));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), normalize_schema(value));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    // `type: [X, "null"]` as `anyOf`.
    if let Some(Value::Array(types)) = out.get("type").cloned() {
        out.remove("type");
        let mut variants: Vec<Value> = Vec::new();
        for t in types {
            let mut variant = Map::new();
            variant.insert("type".to_owned(), t.clone());
            if t != "null" {
                for key in [
                    "items",
                    "properties",
                    "required",
                    "enum",
                    "additionalProperties",
                ] {
                    if let Some(v) = out.remove(key) {
                        variant.insert(key.to_owned(), v);
                    }
                }
            }
            variants.push(Value::Object(variant));
        }
        variants.sort_by_key(|v| v.to_string());
        out.insert("anyOf".to_owned(), Value::Array(variants));
    }
    Value::Object(out)
}

/// What the scenario compares of one operation.
fn normalize_operation(operation: &Value) -> Value {
    let mut out = Map::new();
    if let Some(tags) = operation.get("tags") {
        out.insert("tags".to_owned(), tags.clone());
    }
    if let Some(summary) = operation.get("summary") {
        out.insert("summary".to_owned(), summary.clone());
    }
    let mut parameters: Vec<Value> = operation
        .get("parameters")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|p| {
                    serde_json::json!({
                        "name": p["name"],
                        "in": p["in"],
                        "required": p.get("required").cloned().unwrap_or(Value::Bool(false)),
                        "schema": normalize_schema(&p["schema"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    parameters.sort_by_key(|p| format!("{}{}", p["in"], p["name"]));
    out.insert("parameters".to_owned(), Value::Array(parameters));
    if let Some(body) = operation.get("requestBody") {
        out.insert(
            "requestBody".to_owned(),
            serde_json::json!({
                "required": body.get("required").cloned().unwrap_or(Value::Bool(false)),
                "content": normalize_content(&body["content"]),
            }),
        );
    }
    let mut responses = Map::new();
    for (status, response) in operation["responses"].as_object().expect("responses") {
        let content = response
            .get("content")
            .map(normalize_content)
            .unwrap_or(Value::Null);
        responses.insert(status.clone(), content);
    }
    out.insert("responses".to_owned(), Value::Object(responses));
    Value::Object(out)
}

fn normalize_content(content: &Value) -> Value {
    let mut out = Map::new();
    for (media_type, media) in content.as_object().expect("content") {
        let schema = media
            .get("schema")
            .map(normalize_schema)
            .unwrap_or(Value::Null);
        out.insert(media_type.clone(), schema);
    }
    Value::Object(out)
}

/// The parts of a document the scenario compares.
fn normalize(document: &Value) -> Value {
    let mut paths = Map::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let mut methods = Map::new();
        for (method, operation) in item.as_object().expect("a path item") {
            methods.insert(method.clone(), normalize_operation(operation));
        }
        paths.insert(path.clone(), Value::Object(methods));
    }
    let mut schemas = Map::new();
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .expect("component schemas")
    {
        schemas.insert(name.clone(), normalize_schema(schema));
    }
    serde_json::json!({ "openapi": document["openapi"], "paths": paths, "schemas": schemas })
}

/// Where two values differ, as JSON pointers.
fn differences(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => differences(&format!("{path}/{key}"), value, other, out),
                    None => out.push(format!("{path}/{key}: only in sluice's: {value}")),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    out.push(format!("{path}/{key}: only in FastAPI's: {value}"));
                }
            }
        }
        _ if ours != theirs => out.push(format!("{path}: sluice {ours}, FastAPI {theirs}")),
        _ => {}
    }
}

#[test]
fn the_document_is_equivalent_to_fastapis_for_the_same_app() {
    let server = Server::start();
    let (status, head, body) = server.get("/openapi.json");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    let ours: Value = serde_json::from_str(&body).expect("the document is JSON");
    let mut diffs = Vec::new();
    differences("", &normalize(&ours), &normalize(&reference()), &mut diffs);
    assert!(
        diffs.is_empty(),
        "sluice's document differs from FastAPI's:\n  {}",
        diffs.join("\n  ")
    );
    test_support::validate_openapi(&ours, "the openapi scenario");
}

#[test]
fn the_comparison_notices_a_difference() {
    let reference = reference();
    let mut changed = reference.clone();
    changed["paths"]["/items/{item_id}"]["get"]["parameters"][2]["schema"]["default"] =
        Value::from(20);
    changed["paths"]["/items"]["post"]["responses"]
        .as_object_mut()
        .expect("responses")
        .remove("201");
    let mut diffs = Vec::new();
    differences("", &normalize(&changed), &normalize(&reference), &mut diffs);
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    // Spellings 2020-12 treats alike are alike.
    let a = serde_json::json!({ "type": ["string", "null"], "default": null });
    let b = serde_json::json!({ "anyOf": [{ "type": "null" }, { "type": "string" }] });
    assert_eq!(normalize_schema(&a), normalize_schema(&b));
}

#[test]
fn the_docs_pages_are_served_and_left_out_of_the_document() {
    let server = Server::start();
    let (status, head, body) = server.get("/docs");
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(body.contains("SwaggerUIBundle"), "{body}");
    assert!(body.contains(r#""url":"/openapi.json""#), "{body}");
    let (status, _, body) = server.get("/redoc");
    assert_eq!(status, 200);
    assert!(
        body.contains(r#"<redoc spec-url="/openapi.json">"#),
        "{body}"
    );
    let (_, _, document) = server.get("/openapi.json");
    let document: Value = serde_json::from_str(&document).expect("JSON");
    for path in ["/docs", "/redoc", "/openapi.json"] {
        assert!(
            document["paths"].get(path).is_none(),
            "{path} is documented"
        );
    }
    // The scenario's routes work as the document says.
    let (status, _, body) = server.get("/items/5?q=x");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        serde_json::json!({"name": "item 5", "price": 1.0, "tags": [], "dimensions": null})
    );
}
