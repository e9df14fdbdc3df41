// `#[debug_handler]` points at the body whose model has no JSON Schema and
// names the missing derive.
use serde::{Deserialize, Serialize};
use sluice::{debug_handler, App, Json};

#[derive(Deserialize, Serialize)]
struct Item {
    name: String,
}

#[debug_handler]
async fn create_item(Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

fn main() {
    let _app = App::new().post("/items", create_item);
}
