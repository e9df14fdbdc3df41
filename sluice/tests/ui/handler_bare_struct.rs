// A bare struct argument: FastAPI reads `item: Item` as the JSON body, sluice
// needs `Json<Item>`.
use schemars::JsonSchema;
use serde::Deserialize;
use sluice::App;

#[derive(Deserialize, JsonSchema)]
struct Item {
    name: String,
}

async fn create_item(item: Item) -> String {
    item.name
}

fn main() {
    let _app = App::new().post("/items", create_item);
}
