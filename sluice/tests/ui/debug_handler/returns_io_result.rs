// `#[debug_handler]` on `Result<_, std::io::Error>`: the error type must be
// a response too.
use sluice::{debug_handler, App};

#[debug_handler]
async fn read_config() -> Result<String, std::io::Error> {
    std::fs::read_to_string("config.toml")
}

fn main() {
    let _app = App::new().get("/config", read_config);
}
