// An exception handler taking its error by value: it gets `&E`.
use sluice::{App, StatusCode};

#[derive(Debug)]
struct UnicornError;

impl std::fmt::Display for UnicornError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a unicorn")
    }
}

impl std::error::Error for UnicornError {}

fn unicorn(_err: UnicornError) -> StatusCode {
    StatusCode::IM_A_TEAPOT
}

fn main() {
    let _app = App::new().exception_handler(unicorn);
}
