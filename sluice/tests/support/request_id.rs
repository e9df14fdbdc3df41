//! The app both `RequestId` test files check: one logs through `tracing`,
//! so it is a test binary of its own.

use sluice::extract::Extension;
use sluice::middleware::{ReqId, RequestId};
use sluice::App;

/// Answers with the request's id.
pub async fn show(Extension(id): Extension<ReqId>) -> String {
    id.to_string()
}

/// Logs one event, target `handler`, from inside the handler.
pub async fn log_something() -> &'static str {
    tracing::info!(target: "handler", "inside the handler");
    "logged"
}

/// `/` shows the id, `/log` logs an event, under `middleware`.
pub fn app(middleware: RequestId) -> App {
    App::new()
        .get("/", show)
        .get("/log", log_something)
        .add_middleware(middleware)
}
