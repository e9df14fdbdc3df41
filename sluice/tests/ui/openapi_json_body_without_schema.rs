// A model read from a JSON body has no JSON Schema: the OpenAPI document is
// made from it, so the handler is refused, and a note names the derive.
use serde::Deserialize;
use sluice::{App, Json};

#[derive(Deserialize)]
struct Item {
    name: String,
}

async fn create_item(Json(item): Json<Item>) -> String {
    item.name
}

fn main() {
    let _app = App::new().post("/items", create_item);
}
