// A handler returning `Result<_, std::io::Error>`: the error type must be a
// response too; `sluice::Result<T>` takes any error.
use sluice::App;

async fn read_config() -> Result<String, std::io::Error> {
    std::fs::read_to_string("config.toml")
}

fn main() {
    let _app = App::new().get("/config", read_config);
}
