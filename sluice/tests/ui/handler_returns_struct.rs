// A handler returning a plain struct: wrap it in `Json`.
use serde::Serialize;
use sluice::App;

#[derive(Serialize)]
struct Item {
    name: String,
}

async fn read_item() -> Item {
    Item { name: "Foo".into() }
}

fn main() {
    let _app = App::new().get("/items", read_item);
}
