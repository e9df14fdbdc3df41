//! The `sessions` scenario: Starlette's `SessionMiddleware` with its
//! defaults, and four routes that read, change and clear the session. With
//! `--redis URL` the data lives in that Redis (shared by every instance
//! started with the same URL) and the cookie holds only a signed id.

use serde_json::{json, Value};
use sluice::extract::Path;
use sluice::middleware::sessions::{RedisSessionStore, Session, Sessions};
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

/// The app; `Err` with a one-line reason when `--redis` is not a Redis URL.
pub(crate) fn sessions(redis: Option<&str>) -> Result<App, String> {
    let sessions = match redis {
        Some(url) => {
            Sessions::new(SECRET).store(RedisSessionStore::open(url).map_err(|e| e.to_string())?)
        }
        None => Sessions::new(SECRET),
    };
    Ok(App::new()
        .get("/session", get_session)
        .put("/session/{key}", put_session)
        .delete("/session", delete_session)
        .get("/public", public)
        .add_middleware(sessions))
}
