// An `Rc` held across an `.await`: the handler's future is not `Send`.
use std::rc::Rc;

use sluice::App;

async fn tick() {}

async fn names() -> String {
    let names = Rc::new(vec!["a", "b"]);
    tick().await;
    names.join(",")
}

fn main() {
    let _app = App::new().get("/names", names);
}
