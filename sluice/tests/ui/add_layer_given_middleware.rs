// A sluice middleware given to `add_layer`: use `App::add_middleware`.
use sluice::middleware::Cors;
use sluice::App;

fn main() {
    let _app = App::new().add_layer(Cors::new());
}
