// A `Middleware` value given to `App::middleware`, which takes a function:
// use `App::add_middleware`.
use sluice::middleware::Cors;
use sluice::App;

fn main() {
    let _app = App::new().middleware(Cors::new());
}
