//! The `auth` scenario: the tutorial's authentication middleware, with the
//! built-in `Authentication`.

use serde_json::{json, Value};
use sluice::middleware::{Authentication, StaticToken};
use sluice::{App, Json};

async fn protected() -> Json<Value> {
    Json(json!({"message": "This is a protected route"}))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The tutorial's check: the whole `Authorization` value must be
/// `Bearer valid_token` (so `bearer valid_token` is refused, unlike
/// `Authentication::static_bearer`, which follows RFC 9110), and the path
/// `/health` is public whatever the method.
pub(crate) fn tutorial_authentication() -> Authentication<StaticToken> {
    Authentication::api_key_header("authorization", StaticToken::new("Bearer valid_token"))
        .challenge("Bearer")
        .exempt("/health")
}

pub(crate) fn auth() -> App {
    App::new()
        .get("/protected", protected)
        .get("/health", health)
        .add_middleware(tutorial_authentication())
}
