//! OpenAPI docs: a typed items API whose `/openapi.json`, Swagger UI
//! (`/docs`) and ReDoc (`/redoc`) come from the handlers' types, as in
//! FastAPI's tutorial.
//!
//! The models derive `schemars::JsonSchema` beside serde's traits; the
//! extractors (`Path`, `Query`, `Json`) describe the parameters and bodies,
//! the return types the responses, and the route settings (`summary`,
//! `tag`, `status`, `response`) the rest. The bearer-token check shows its
//! security scheme on the routes it guards.
//!
//! ```sh
//! cargo run -p example-openapi
//! # open http://127.0.0.1:8000/docs, or:
//! curl http://127.0.0.1:8000/openapi.json
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sluice::extract::{Path, Query, State};
use sluice::middleware::Authentication;
use sluice::openapi::OpenApi;
use sluice::routing::get;
use sluice::{App, HttpError, Json, Router, StatusCode};

/// The size of an item, in centimetres.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
struct Dimensions {
    width: f64,
    height: f64,
}

/// An item for sale.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
struct Item {
    /// What it is called.
    name: String,
    /// Its price, in euros.
    price: f64,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    dimensions: Option<Dimensions>,
}

fn ten() -> usize {
    10
}

/// Which items to list.
#[derive(Deserialize, JsonSchema)]
struct ListQuery {
    /// Only items whose name contains this.
    q: Option<String>,
    /// At most this many.
    #[serde(default = "ten")]
    limit: usize,
}

/// Why a request failed.
#[derive(Serialize, JsonSchema)]
struct Message {
    detail: String,
}

type Store = Arc<Mutex<BTreeMap<u32, Item>>>;

async fn list_items(State(store): State<Store>, Query(query): Query<ListQuery>) -> Json<Vec<Item>> {
    let store = store.lock().unwrap_or_else(|e| e.into_inner());
    let items = store
        .values()
        .filter(|item| {
            query
                .q
                .as_ref()
                .is_none_or(|q| item.name.contains(q.as_str()))
        })
        .take(query.limit)
        .cloned()
        .collect();
    Json(items)
}

async fn read_item(
    State(store): State<Store>,
    Path(item_id): Path<u32>,
) -> Result<Json<Item>, HttpError> {
    let store = store.lock().unwrap_or_else(|e| e.into_inner());
    match store.get(&item_id) {
        Some(item) => Ok(Json(item.clone())),
        None => Err(HttpError::new(404, "Item not found")),
    }
}

async fn create_item(State(store): State<Store>, Json(item): Json<Item>) -> Json<Item> {
    let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
    let id = store.keys().next_back().map_or(1, |last| last + 1);
    store.insert(id, item.clone());
    Json(item)
}

async fn delete_item(
    State(store): State<Store>,
    Path(item_id): Path<u32>,
) -> Result<(), HttpError> {
    let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
    match store.remove(&item_id) {
        Some(_) => Ok(()),
        None => Err(HttpError::new(404, "Item not found")),
    }
}

async fn health() -> &'static str {
    "ok"
}

fn app() -> App {
    let items = Router::new()
        .route(
            "",
            get(list_items)
                .summary("List items")
                .post(create_item)
                .summary("Create an item")
                .status(StatusCode::CREATED),
        )
        .route(
            "/{item_id}",
            get(read_item)
                .summary("Read an item")
                .response::<Json<Message>>(404, "Item not found")
                .delete(delete_item)
                .summary("Delete an item")
                .status(StatusCode::NO_CONTENT)
                .response::<Json<Message>>(404, "Item not found"),
        )
        .tag("items");
    App::new()
        .state(Store::default())
        .include_router("/items", items)
        .route("/health", get(health).tag("status"))
        .add_middleware(
            Authentication::static_bearer("s3cret")
                .exempt("/health")
                .exempt("/docs")
                .exempt("/redoc")
                .exempt("/openapi.json"),
        )
        .openapi(
            OpenApi::new()
                .title("Items")
                .version("1.0.0")
                .description("Items for sale. Send `Authorization: Bearer s3cret`.")
                .tag("items", "Create, read, list and delete items"),
        )
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use sluice::testing::TestClient;

    use super::*;

    const TOKEN: &str = "Bearer s3cret";

    #[tokio::test]
    async fn the_document_describes_the_api_and_passes_the_validator() {
        let client = TestClient::new(app());
        let doc: Value = client.get("/openapi.json").await.json();
        let items = &doc["paths"]["/items"];
        assert_eq!(items["get"]["summary"], "List items");
        assert_eq!(items["get"]["parameters"][1]["schema"]["default"], 10);
        assert_eq!(
            items["get"]["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Item"}})
        );
        assert!(items["post"]["responses"]["201"].is_object());
        let read = &doc["paths"]["/items/{item_id}"]["get"];
        assert_eq!(read["tags"], json!(["items"]));
        assert_eq!(read["security"], json!([{"HTTPBearer": []}]));
        assert_eq!(read["responses"]["404"]["description"], "Item not found");
        let delete = &doc["paths"]["/items/{item_id}"]["delete"];
        assert_eq!(
            delete["responses"]["204"],
            json!({"description": "Successful Response"})
        );
        assert!(doc["paths"]["/health"]["get"].get("security").is_none());
        assert_eq!(
            doc["components"]["schemas"]["Item"]["properties"]["price"]["description"],
            "Its price, in euros."
        );
        test_support::validate_openapi(&doc, "examples/openapi");
    }

    #[tokio::test]
    async fn the_api_does_what_the_document_says() {
        let client = TestClient::new(app());
        let res = client
            .post("/items")
            .header("authorization", TOKEN)
            .json(&json!({"name": "lamp", "price": 12.5}))
            .await;
        assert_eq!(res.status(), 201);
        assert_eq!(
            res.json::<Value>(),
            json!({"name": "lamp", "price": 12.5, "tags": [], "dimensions": null})
        );
        let res = client.get("/items/1").header("authorization", TOKEN).await;
        assert_eq!(res.json::<Value>()["name"], "lamp");
        let res = client
            .get("/items?q=la&limit=1")
            .header("authorization", TOKEN)
            .await;
        assert_eq!(res.json::<Value>().as_array().map(Vec::len), Some(1));
        let res = client
            .get("/items?limit=x")
            .header("authorization", TOKEN)
            .await;
        assert_eq!(res.status(), 422);
        let res = client
            .delete("/items/1")
            .header("authorization", TOKEN)
            .await;
        assert_eq!(res.status(), 204);
        let res = client.get("/items/1").header("authorization", TOKEN).await;
        assert_eq!(res.status(), 404);
        assert_eq!(client.get("/items").await.status(), 401);
    }

    #[tokio::test]
    async fn the_docs_pages_need_no_token() {
        let client = TestClient::new(app());
        let docs = client.get("/docs").await;
        assert_eq!(docs.status(), 200);
        assert!(docs.text().contains("<title>Items - Swagger UI</title>"));
        assert_eq!(client.get("/redoc").await.status(), 200);
    }
}
