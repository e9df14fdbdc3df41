// `#[debug_handler]` cannot check a generic handler.
use sluice::{debug_handler, Json};

#[debug_handler]
async fn echo<T: serde::Serialize>(value: Json<T>) -> Json<T> {
    value
}

fn main() {}
