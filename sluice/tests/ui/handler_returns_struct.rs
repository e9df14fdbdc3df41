// A handler returning a plain struct: wrap it in `Json`.
use schemars::JsonSchema;
use serde::Serialize;
use sluice::App;

#[derive(Serialize, JsonSchema)]
struct Item {
    name: String,
}

async fn read_item() -> Item {
    Item { name: "Foo".into() }
}

fn main() {
    let _app = App::new().get("/items", read_item);
}
