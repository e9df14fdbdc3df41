// `#[debug_handler]` on FastAPI's `item: Item`: the body needs `Json<Item>`.
use schemars::JsonSchema;
use serde::Deserialize;
use sluice::{debug_handler, App};

#[derive(Deserialize, JsonSchema)]
struct Item {
    name: String,
}

#[debug_handler]
async fn create_item(item: Item) -> String {
    item.name
}

fn main() {
    let _app = App::new().post("/items", create_item);
}
