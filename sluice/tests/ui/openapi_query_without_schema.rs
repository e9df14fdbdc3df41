// Query parameters read into a struct without a JSON Schema: the note
// names the derive.
use serde::Deserialize;
use sluice::extract::Query;
use sluice::App;

#[derive(Deserialize)]
struct Page {
    limit: u32,
}

async fn list(Query(page): Query<Page>) -> String {
    page.limit.to_string()
}

fn main() {
    let _app = App::new().get("/items", list);
}
