// `#[debug_handler]` accepts every kind of valid handler and changes nothing.
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sluice::testing::TestClient;
use sluice::{
    debug_handler, App, BackgroundTasks, Bytes, HeaderMap, HttpError, IntoResponse, Json, Path,
    Query, Request, State, StatusCode,
};

#[derive(Deserialize, Serialize, JsonSchema)]
struct Item {
    name: String,
}

#[derive(Deserialize, JsonSchema)]
struct Filter {
    q: Option<String>,
}

#[debug_handler]
async fn root() -> &'static str {
    "hi"
}

#[debug_handler]
async fn no_return_type(_headers: HeaderMap) {}

#[debug_handler]
async fn update_item(
    Path(item_id): Path<u32>,
    Query(filter): Query<Filter>,
    State(hits): State<Arc<Mutex<u64>>>,
    _tasks: BackgroundTasks,
    Json(item): Json<Item>,
) -> Result<Json<Item>, HttpError> {
    {
        let mut guard = hits.lock().map_err(|_| HttpError::new(500, "poisoned"))?;
        *guard += 1;
    }
    let _ = (item_id, filter.q);
    Ok(Json(item))
}

#[debug_handler]
async fn raw(body: Bytes) -> impl IntoResponse {
    (StatusCode::CREATED, body)
}

#[debug_handler]
async fn whole(req: Request) -> sluice::Result<String> {
    Ok(req.uri().to_string())
}

#[tokio::main]
async fn main() {
    // A handler declared inside a function is checked too.
    #[debug_handler]
    async fn local(Path(name): Path<String>) -> String {
        name
    }

    let app = App::new()
        .state(Arc::new(Mutex::new(0_u64)))
        .get("/", root)
        .get("/empty", no_return_type)
        .put("/items/{item_id}", update_item)
        .post("/raw", raw)
        .get("/whole", whole)
        .get("/local/{name}", local);
    let client = TestClient::new(app);
    assert_eq!(client.get("/").await.text(), "hi");
    let res = client
        .put("/items/3")
        .json(&serde_json::json!({"name": "Foo"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), r#"{"name":"Foo"}"#);
    assert_eq!(client.post("/raw").body("abc").await.status(), 201);
    assert_eq!(client.get("/local/here").await.text(), "here");
}
