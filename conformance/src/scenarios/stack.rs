//! The `perf-stack` scenario: the `perf-bare` route behind the whole
//! tutorial stack, each part the built-in a sluice user would reach for.

use sluice::middleware::{AccessLog, ErrorHandler, GZip, ProcessTime, TrustedHost};
use sluice::App;
use tracing::Level;

use super::auth::tutorial_authentication;
use super::core::hello;
use super::cors::tutorial_cors;

/// Outermost first: error handling, CORS, trusted host, GZip, process
/// time, logging (at debug level, so nothing is written by default), then
/// the authentication check. The last added runs first, so they are added
/// innermost first.
pub(crate) fn perf_stack() -> App {
    App::new()
        .get("/hello", hello)
        .add_middleware(tutorial_authentication())
        .add_middleware(AccessLog::new().level(Level::DEBUG))
        .add_middleware(ProcessTime::new())
        .add_middleware(GZip::new().minimum_size(500))
        .add_middleware(TrustedHost::new().allowed_hosts(["*"]))
        .add_middleware(tutorial_cors())
        .add_middleware(ErrorHandler::new())
}
