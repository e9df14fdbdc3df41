// `#[debug_handler]` on a `Query<T>` whose `T` cannot be deserialized: the
// error names the missing derive.
use sluice::{debug_handler, App, Query};

struct Filter {
    q: String,
}

#[debug_handler]
async fn search(Query(filter): Query<Filter>) -> String {
    filter.q
}

fn main() {
    let _app = App::new().get("/search", search);
}
