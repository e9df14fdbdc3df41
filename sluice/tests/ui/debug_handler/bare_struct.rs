// `#[debug_handler]` points at the argument that is not an extractor, among
// several that are.
use schemars::JsonSchema;
use serde::Deserialize;
use sluice::{debug_handler, App, HeaderMap, Json, Path};

#[derive(Deserialize, JsonSchema)]
struct Filter {
    q: String,
}

#[derive(Deserialize, JsonSchema)]
struct Item {
    name: String,
}

#[debug_handler]
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
