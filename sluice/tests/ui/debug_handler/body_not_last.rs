// `#[debug_handler]` points at the body extractor that is not last.
use schemars::JsonSchema;
use serde::Deserialize;
use sluice::{debug_handler, App, Json, Path};

#[derive(Deserialize, JsonSchema)]
struct Item {
    name: String,
}

#[debug_handler]
async fn update_item(Json(item): Json<Item>, Path(item_id): Path<u32>) -> String {
    format!("{item_id}: {}", item.name)
}

fn main() {
    let _app = App::new().put("/items/{item_id}", update_item);
}
