// `impl Middleware` with the wrong `handle` signature.
use sluice::middleware::Middleware;
use sluice::{App, Request, Response};

struct LogRequests;

impl Middleware for LogRequests {
    async fn handle(&self, req: Request) -> sluice::Result<Response> {
        println!("{}", req.uri());
        Ok(Response::new(sluice::Body::empty()))
    }
}

fn main() {
    let _app = App::new().add_middleware(LogRequests);
}
