// A function given to `add_middleware`: use `App::middleware`.
use sluice::{App, Next, Request, Response};

async fn log_request(req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {
    let _app = App::new().add_middleware(log_request);
}
