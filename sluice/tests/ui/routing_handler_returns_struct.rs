// `routing::get(handler)` reports a wrong handler as `App::get` does.
use schemars::JsonSchema;
use serde::Serialize;
use sluice::routing::get;
use sluice::Router;

#[derive(Serialize, JsonSchema)]
struct Item {
    name: String,
}

async fn read_item() -> Item {
    Item { name: "Foo".into() }
}

fn main() {
    let _router = Router::new().route("/items", get(read_item));
}
