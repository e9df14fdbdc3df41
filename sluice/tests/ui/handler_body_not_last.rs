// A body extractor (`Json<T>`) before another argument: only the last
// argument may read the body.
use schemars::JsonSchema;
use serde::Deserialize;
use sluice::{App, Json, Path};

#[derive(Deserialize, JsonSchema)]
struct Item {
    name: String,
}

async fn update_item(Json(item): Json<Item>, Path(item_id): Path<u32>) -> String {
    format!("{item_id}: {}", item.name)
}

fn main() {
    let _app = App::new().put("/items/{item_id}", update_item);
}
