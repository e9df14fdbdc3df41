//! The `auth` scenario: the tutorial's authentication middleware, with the
//! built-in `Authentication`.

use serde_json::{json, Value};
use sluice::middleware::{Authentication, StaticToken};
use sluice::{App, Json, Method};

async fn protected() -> Json<Value> {
    Json(json!({"message": "This is a protected route"}))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The tutorial's check: the whole `Authorization` value must be
/// `Bearer valid_token` (so `bearer valid_token` is refused, unlike
/// `Authentication::static_bearer`, which follows RFC 9110), and only
/// `GET /health` (so `HEAD /health`) is public: `POST /health` without the
/// token is a 401, with it the router's 405.
pub(crate) fn tutorial_authentication() -> Authentication<StaticToken> {
    Authentication::api_key_header("authorization", StaticToken::new("Bearer valid_token"))
        .challenge("Bearer")
        .exempt_route(Method::GET, "/health")
}

pub(crate) fn auth() -> App {
    App::new()
        .get("/protected", protected)
        .get("/health", health)
        .add_middleware(tutorial_authentication())
}
