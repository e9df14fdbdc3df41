// `impl Middleware` written with the old shape: `handle` returns a
// `Response` instead of `sluice::Result<Response>`.
use sluice::middleware::Middleware;
use sluice::{App, Next, Request, Response};

struct Pass;

impl Middleware for Pass {
    async fn handle(&self, req: Request, next: Next) -> Response {
        next.run(req).await
    }
}

fn main() {
    let _app = App::new().add_middleware(Pass);
}
