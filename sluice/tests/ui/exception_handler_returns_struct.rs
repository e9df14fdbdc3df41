// An exception handler returning something that is not a response.
use sluice::App;

#[derive(Debug)]
struct UnicornError;

impl std::fmt::Display for UnicornError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a unicorn")
    }
}

impl std::error::Error for UnicornError {}

struct Body {
    message: String,
}

fn main() {
    let _app = App::new().exception_handler(|err: &UnicornError| Body {
        message: err.to_string(),
    });
}
