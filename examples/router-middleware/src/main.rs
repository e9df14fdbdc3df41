//! Per-router and per-route middleware: middleware that runs only for a
//! group of routes (FastAPI's `APIRouter` with dependencies) or for one
//! route.
//!
//! The `/admin` router requires a bearer token with the built-in
//! `Authentication`, and tags its responses; `/items` has a route-level
//! middleware; the app-level middleware runs outside all of them, for every
//! request. The `x-out` header shows the order on the way out.
//!
//! ```sh
//! cargo run -p example-router-middleware
//! curl -i http://127.0.0.1:8000/admin/users
//! curl -i -H 'Authorization: Bearer admin-token' http://127.0.0.1:8000/admin/users
//! ```

use serde_json::{json, Value};
use sluice::middleware::Authentication;
use sluice::routing::get;
use sluice::{App, HeaderValue, Json, Next, Request, Response, Router};

fn tag(response: &mut Response, name: &'static str) {
    response
        .headers_mut()
        .append("x-out", HeaderValue::from_static(name));
}

async fn app_wide(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    tag(&mut response, "app");
    response
}

async fn admin_only(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    tag(&mut response, "admin-router");
    response
}

async fn items_route(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    tag(&mut response, "items-route");
    response
}

async fn list_users() -> Json<Value> {
    Json(json!({"users": ["alice", "bob"]}))
}

async fn list_items() -> Json<Value> {
    Json(json!({"items": [1, 2, 3]}))
}

async fn root() -> Json<Value> {
    Json(json!({"Hello": "World"}))
}

fn admin_router() -> Router {
    Router::new()
        .get("/users", list_users)
        .middleware(admin_only)
        // Added last: outermost within the router, so unauthenticated
        // requests never reach `admin_only`.
        .add_middleware(Authentication::static_bearer("admin-token"))
}

fn app() -> App {
    App::new()
        .get("/", root)
        .route("/items", get(list_items).middleware(items_route))
        .include_router("/admin", admin_router())
        .middleware(app_wide)
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::TestClient;

    #[tokio::test]
    async fn router_middleware_runs_only_for_its_routes() {
        let client = TestClient::new(app());
        let res = client.get("/").await;
        assert_eq!(res.json::<Value>(), json!({"Hello": "World"}));
        assert_eq!(res.header_all("x-out"), ["app"]);
    }

    #[tokio::test]
    async fn the_admin_router_requires_a_token() {
        let client = TestClient::new(app());
        let res = client.get("/admin/users").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        assert_eq!(res.header_all("x-out"), ["app"]);

        let res = client
            .get("/admin/users")
            .header("authorization", "Bearer admin-token")
            .await;
        assert_eq!(res.json::<Value>(), json!({"users": ["alice", "bob"]}));
        // Inner first on the way out: the router's, then the app's.
        assert_eq!(res.header_all("x-out"), ["admin-router", "app"]);
    }

    #[tokio::test]
    async fn route_middleware_runs_only_for_its_route() {
        let client = TestClient::new(app());
        let res = client.get("/items").await;
        assert_eq!(res.json::<Value>(), json!({"items": [1, 2, 3]}));
        assert_eq!(res.header_all("x-out"), ["items-route", "app"]);
    }
}
