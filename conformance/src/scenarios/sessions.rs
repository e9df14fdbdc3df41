//! The `sessions` scenario: Starlette's `SessionMiddleware` with its
//! defaults, and four routes that read, change and clear the session.

use serde_json::{json, Value};
use sluice::extract::Path;
use sluice::middleware::sessions::{Session, Sessions};
use sluice::{App, Json};

/// The scenario's own secret (SCENARIOS.md: nothing depends on the
/// cookie's format, so it need not be Starlette's `conformance-secret`).
const SECRET: &str = "conformance-app sessions scenario secret, 32+ bytes";

/// `{"session": request.session}`.
async fn get_session(session: Session) -> Json<Value> {
    Json(json!({ "session": session.to_map() }))
}

/// `request.session[key] = value` with `value: Any = Body()`.
async fn put_session(
    Path(key): Path<String>,
    session: Session,
    Json(value): Json<Value>,
) -> sluice::Result<Json<Value>> {
    session.insert(key, value)?;
    Ok(Json(json!({ "session": session.to_map() })))
}

/// `request.session.clear()`.
async fn delete_session(session: Session) -> Json<Value> {
    session.clear();
    Json(json!({ "session": {} }))
}

/// Never touches the session.
async fn public() -> Json<Value> {
    Json(json!({ "ok": true }))
}

pub(crate) fn sessions() -> App {
    App::new()
        .get("/session", get_session)
        .put("/session/{key}", put_session)
        .delete("/session", delete_session)
        .get("/public", public)
        .add_middleware(Sessions::new(SECRET))
}
