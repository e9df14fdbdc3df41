// `impl Middleware` whose future holds an `Rc` across `.await`.
use std::rc::Rc;

use sluice::middleware::Middleware;
use sluice::{App, Next, Request, Response};

struct Tag;

impl Middleware for Tag {
    async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
        let tag = Rc::new("x");
        let mut res = next.run(req).await;
        res.headers_mut().insert("x-tag", tag.parse().unwrap());
        Ok(res)
    }
}

fn main() {
    let _app = App::new().add_middleware(Tag);
}
