// A function middleware without its `Next` argument.
use sluice::{App, Request, Response};

async fn log_request(req: Request) -> Response {
    println!("{}", req.uri());
    Response::new(sluice::Body::empty())
}

fn main() {
    let _app = App::new().middleware(log_request);
}
