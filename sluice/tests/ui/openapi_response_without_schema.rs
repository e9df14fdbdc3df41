// A JSON response of a model without a JSON Schema, outside a handler:
// the error names the trait to derive, `JsonSchema`.
use serde::Serialize;
use sluice::{IntoResponse, Json, Response};

#[derive(Serialize)]
struct Item {
    name: String,
}

fn respond(item: Item) -> Response {
    Json(item).into_response()
}

fn main() {
    let _ = respond(Item { name: "x".into() });
}
