//! `openapi`: a small typed API, as a FastAPI user writes it, with its
//! OpenAPI document at `/openapi.json`, Swagger UI at `/docs` and ReDoc at
//! `/redoc`. `conformance/reference/openapi/app.py` is the same app in
//! FastAPI; `tests/openapi.rs` compares the two documents.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::extract::{Headers, Path, Query};
use sluice::openapi::OpenApi;
use sluice::routing::{get, post};
use sluice::{App, Json, Router, StatusCode};

#[derive(Serialize, Deserialize, JsonSchema)]
struct Dimensions {
    width: f64,
    height: f64,
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Item {
    name: String,
    price: f64,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    dimensions: Option<Dimensions>,
}

fn ten() -> i64 {
    10
}

#[derive(Deserialize, JsonSchema)]
struct ItemQuery {
    #[allow(dead_code)]
    q: Option<String>,
    #[serde(default = "ten")]
    #[allow(dead_code)]
    limit: i64,
}

#[derive(Deserialize, JsonSchema)]
struct TokenHeader {
    #[allow(dead_code)]
    x_token: String,
}

async fn read_item(Path(item_id): Path<i64>, Query(_query): Query<ItemQuery>) -> Json<Item> {
    Json(Item {
        name: format!("item {item_id}"),
        price: 1.0,
        tags: Vec::new(),
        dimensions: None,
    })
}

async fn create_item(Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

async fn update_item(Path(_item_id): Path<i64>, Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

async fn delete_item(Path(_item_id): Path<i64>) {}

async fn read_me(Headers(_headers): Headers<TokenHeader>) -> Json<Value> {
    Json(json!({ "user": "me" }))
}

pub(crate) fn openapi() -> App {
    let items = Router::new()
        .route(
            "",
            post(create_item)
                .summary("Create an item")
                .status(StatusCode::CREATED),
        )
        .route(
            "/{item_id}",
            get(read_item)
                .summary("Read an item")
                .put(update_item)
                .summary("Replace an item")
                .delete(delete_item)
                .summary("Delete an item")
                .status(StatusCode::NO_CONTENT),
        )
        .tag("items");
    App::new()
        .route("/users/me", get(read_me).summary("Read the current user"))
        .include_router("/items", items)
        .openapi(
            OpenApi::new()
                .title("sluice conformance: openapi")
                .version("0.1.0"),
        )
}
