// `#[debug_handler]` points at a return type that is not a response.
use schemars::JsonSchema;
use serde::Serialize;
use sluice::{debug_handler, App};

#[derive(Serialize, JsonSchema)]
struct Item {
    name: String,
}

#[debug_handler]
async fn read_item() -> Item {
    Item { name: "Foo".into() }
}

fn main() {
    let _app = App::new().get("/items", read_item);
}
