//! `middleware::Authentication` never puts a credential in the logs. Its own
//! test binary: it records every event, and a test without a subscriber
//! running beside it could leave a callsite cached as "never enabled".

mod support;

use sluice::middleware::Authentication;
use sluice::testing::TestClient;
use sluice::App;

#[tokio::test]
async fn tokens_never_reach_the_logs() {
    let (events, _guard) = support::record(tracing::Level::TRACE);
    let app = App::new()
        .get("/", || async { "in" })
        .add_middleware(Authentication::static_bearer("s3cret-token-value"))
        .add_middleware(sluice::middleware::AccessLog::new().level(tracing::Level::INFO))
        .add_middleware(sluice::middleware::RequestId::new());
    let client = TestClient::new(app);
    for value in [
        "Bearer s3cret-token-value",
        "Bearer wrong-guess-token-value",
        "Basic s3cret-token-value",
        "Bearer s3cret-token-value extra",
    ] {
        client
            .get("/?api_key=s3cret-token-value")
            .header("authorization", value)
            .await;
    }
    let recorded = events.all();
    assert!(!recorded.is_empty(), "the requests were logged");
    for event in recorded {
        let everything = format!("{:?} {:?}", event.fields, event.spans);
        assert!(
            !everything.contains("s3cret-token-value"),
            "a token was logged: {everything}"
        );
        assert!(
            !everything.contains("wrong-guess"),
            "a guess was logged: {everything}"
        );
    }
}
