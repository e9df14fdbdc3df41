//! `Sessions` logs a session too large for a cookie with its size, and a
//! short Starlette-compatible secret with a warning. Its own test binary:
//! it records every event (see `authentication_logs.rs`).

mod support;

use sluice::middleware::sessions::{Session, Sessions};
use sluice::testing::TestClient;
use sluice::App;
use tracing::Level;

#[tokio::test]
async fn a_session_too_large_for_a_cookie_is_logged_with_its_size() {
    let (events, _guard) = support::record(Level::TRACE);
    let app = App::new()
        .get("/", |session: Session| async move {
            session.insert("big", "x".repeat(5000))?;
            Ok::<_, sluice::Error>("stored")
        })
        .add_middleware(Sessions::new(
            "a test secret that is at least 32 bytes long",
        ));
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    let logged: Vec<_> = events
        .all()
        .into_iter()
        .filter(|e| e.level == Level::ERROR && e.field("size").is_some())
        .collect();
    assert_eq!(logged.len(), 1, "{logged:?}");
    let size: usize = logged[0]
        .field("size")
        .expect("size")
        .parse()
        .expect("a number");
    assert!(size > 6000, "{size}");
    assert_eq!(logged[0].field("limit"), Some("4096"));
}

#[tokio::test]
async fn a_short_starlette_secret_is_accepted_with_a_warning() {
    let (events, _guard) = support::record(Level::TRACE);
    let app = App::new()
        .get("/", || async { "ok" })
        .add_middleware(Sessions::starlette_compatible("conformance-secret"));
    assert!(TestClient::try_new(app).is_ok());
    let warned = events
        .all()
        .into_iter()
        .any(|e| e.level == Level::WARN && e.field("len") == Some("18"));
    assert!(warned);
}
