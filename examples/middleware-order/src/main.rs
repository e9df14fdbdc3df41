//! Middleware order: the middleware added last runs first on the way in
//! and last on the way out, whichever way it was added.
//!
//! `A` and `B` are `Middleware` values (`add_middleware`), `C` a function
//! (`middleware`), added in that order, so `C` is outermost. On the way in
//! each appends its name to a trail in the request's locals; on the way out,
//! to the `x-out` header. `GET /trail` shows `["C","B","A"]` with
//! `x-out: A,B,C`. `App::describe` prints the stack.
//!
//! ```sh
//! cargo run -p example-middleware-order
//! curl -i http://127.0.0.1:8000/trail
//! ```

use std::borrow::Cow;

use serde_json::{json, Value};
use sluice::extract::Local;
use sluice::middleware::Middleware;
use sluice::{App, HeaderValue, Json, Next, Request, Response};

/// The names of the middleware a request passed on its way in.
#[derive(Clone, Default)]
struct Trail(Vec<&'static str>);

fn mark_in(req: &Request, name: &'static str) {
    req.locals().update(|trail: &mut Trail| trail.0.push(name));
}

fn mark_out(response: &mut Response, name: &str) {
    let value = match response
        .headers()
        .get("x-out")
        .and_then(|v| v.to_str().ok())
    {
        Some(before) => format!("{before},{name}"),
        None => name.to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert("x-out", value);
    }
}

/// A middleware value, like Starlette's classes given to `add_middleware`.
struct Mark(&'static str);

impl Middleware for Mark {
    async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
        mark_in(&req, self.0);
        let mut response = next.run(req).await;
        mark_out(&mut response, self.0);
        Ok(response)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.0)
    }
}

/// A function middleware, like `@app.middleware("http")`.
async fn c(req: Request, next: Next) -> Response {
    mark_in(&req, "C");
    let mut response = next.run(req).await;
    mark_out(&mut response, "C");
    response
}

async fn trail(Local(trail): Local<Trail>) -> Json<Value> {
    Json(json!({ "trail": trail.0 }))
}

fn app() -> App {
    App::new()
        .get("/trail", trail)
        .add_middleware(Mark("A"))
        .add_middleware(Mark("B"))
        .middleware(c)
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    let app = app();
    println!("{}", app.describe());
    app.run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::TestClient;

    #[tokio::test]
    async fn last_added_runs_first_in_and_last_out() {
        let res = TestClient::new(app()).get("/trail").await;
        assert_eq!(res.json::<Value>(), json!({"trail": ["C", "B", "A"]}));
        assert_eq!(res.header("x-out"), Some("A,B,C"));
    }

    #[tokio::test]
    async fn middleware_runs_for_unknown_paths_too() {
        let res = TestClient::new(app()).get("/nope").await;
        assert_eq!(res.status(), 404);
        assert_eq!(res.header("x-out"), Some("A,B,C"));
    }

    #[test]
    fn describe_lists_the_stack_outermost_first() {
        let description = app().describe();
        assert!(
            description.starts_with("middleware (outermost first):\n  1. c\n  2. B\n  3. A\n"),
            "{description}"
        );
    }
}
