// A function middleware taking `&Request`: it must take the request by value
// to pass it on.
use sluice::{App, Next, Request, Response};

async fn log_request(req: &Request, next: Next) -> Response {
    println!("{}", req.uri());
    let _ = next;
    Response::new(sluice::Body::empty())
}

fn main() {
    let _app = App::new().middleware(log_request);
}
