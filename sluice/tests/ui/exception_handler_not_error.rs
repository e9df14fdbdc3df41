// An exception handler for a type that is not an error.
use sluice::{App, StatusCode};

struct Unicorn;

fn main() {
    let _app = App::new().exception_handler(|_: &Unicorn| StatusCode::IM_A_TEAPOT);
}
