// `String` reads the whole body, so it must be the last argument.
use sluice::{App, HeaderMap};

async fn echo(body: String, headers: HeaderMap) -> String {
    format!("{body} {}", headers.len())
}

fn main() {
    let _app = App::new().post("/echo", echo);
}
