// `#[debug_handler]` on a function that is not `async`.
use sluice::debug_handler;

#[debug_handler]
fn root() -> &'static str {
    "hi"
}

fn main() {
    let _ = root();
}
