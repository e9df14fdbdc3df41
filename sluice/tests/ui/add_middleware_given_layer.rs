// A tower layer given to `add_middleware`: use `App::add_layer`.
use sluice::App;
use tower_http::cors::CorsLayer;

fn main() {
    let _app = App::new().add_middleware(CorsLayer::permissive());
}
