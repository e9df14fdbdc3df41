// A bare struct among other arguments: the trait system cannot say which
// argument is wrong (see `debug_handler_*` for the attribute that can).
use schemars::JsonSchema;
use serde::Deserialize;
use sluice::{App, HeaderMap, Json, Path};

#[derive(Deserialize, JsonSchema)]
struct Filter {
    q: String,
}

#[derive(Deserialize, JsonSchema)]
struct Item {
    name: String,
}

async fn update_item(
    Path(item_id): Path<u32>,
    filter: Filter,
    headers: HeaderMap,
    Json(item): Json<Item>,
) -> String {
    format!("{item_id} {} {} {}", filter.q, headers.len(), item.name)
}

fn main() {
    let _app = App::new().put("/items/{item_id}", update_item);
}
