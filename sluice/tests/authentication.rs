//! `middleware::Authentication`: bearer tokens and API keys checked by a
//! user-supplied verifier.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use sluice::extract::Extension;
use sluice::middleware::{Authenticated, Authentication, Rejection, StaticToken};
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, ConfigError, Json};

#[derive(Clone, Debug, PartialEq)]
struct User {
    name: String,
}

support::errors::error_type!(DatabaseDown: "the user database is down");

/// Knows two tokens; counts its calls.
#[derive(Clone, Default)]
struct Verifier {
    calls: Arc<AtomicUsize>,
}

impl Verifier {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn into_fn(
        self,
    ) -> impl Fn(
        String,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<User, Rejection>> + Send>,
    > + Send
           + Sync
           + 'static {
        move |token: String| {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                match token.as_str() {
                    "alice-token" => Ok(User {
                        name: "alice".to_owned(),
                    }),
                    "bob-token" => Err(Rejection::forbidden()),
                    "db-down" => Err(DatabaseDown)?,
                    _ => Err(Rejection::unauthorized()),
                }
            })
        }
    }
}

async fn me(Extension(user): Extension<User>) -> Json<Value> {
    Json(json!({ "user": user.name }))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

fn routes() -> App {
    App::new()
        .get("/me", me)
        .get("/health", health)
        .get("/public/docs", health)
        .get("/publicity", health)
}

fn assert_unauthorized(res: &TestResponse, challenge: &str) {
    assert_eq!(res.status(), 401);
    assert_eq!(res.header("www-authenticate"), Some(challenge));
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"detail":"Unauthorized"}"#);
}

#[tokio::test]
async fn valid_bearer_token_puts_the_principal_in_request_state() {
    let verifier = Verifier::default();
    let app = routes().add_middleware(Authentication::bearer(verifier.clone().into_fn()));
    let res = TestClient::new(app)
        .get("/me")
        .header("authorization", "Bearer alice-token")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
    assert_eq!(verifier.calls(), 1);
}

#[tokio::test]
async fn missing_token_gets_401_with_a_bearer_challenge() {
    let verifier = Verifier::default();
    let app = routes().add_middleware(Authentication::bearer(verifier.clone().into_fn()));
    let res = TestClient::new(app).get("/me").await;
    assert_unauthorized(&res, "Bearer");
    assert_eq!(verifier.calls(), 0);
}

#[tokio::test]
async fn unknown_token_gets_401() {
    let app = routes().add_middleware(Authentication::bearer(Verifier::default().into_fn()));
    let res = TestClient::new(app)
        .get("/me")
        .header("authorization", "Bearer mallory-token")
        .await;
    assert_unauthorized(&res, "Bearer");
}

#[tokio::test]
async fn malformed_authorization_headers_get_401_without_calling_the_verifier() {
    let verifier = Verifier::default();
    let app = routes().add_middleware(Authentication::bearer(verifier.clone().into_fn()));
    let client = TestClient::new(app);
    let long = format!("Bearer {}", "a".repeat(16 * 1024));
    for value in [
        "Bearer",
        "Bearer ",
        "Bearer alice-token extra",
        "Bearer alice\"token",
        "Bearer =alice",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearertoken",
        "Bearer\talice-token",
        "alice-token",
        "",
        "Bearer ,",
    ] {
        let res = client.get("/me").header("authorization", value).await;
        assert_unauthorized(&res, "Bearer");
    }
    // Not text at all.
    let res = client
        .get("/me")
        .raw_header("authorization", b"Bearer \xff\xfe\x80")
        .await;
    assert_unauthorized(&res, "Bearer");
    // Well formed but huge: the verifier decides (and refuses).
    let res = client
        .get("/me")
        .header("authorization", long.as_str())
        .await;
    assert_unauthorized(&res, "Bearer");
    assert_eq!(verifier.calls(), 1);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = routes().add_middleware(Authentication::bearer(Verifier::default().into_fn()));
    let client = TestClient::new(app);
    for value in [
        "bearer alice-token",
        "BEARER alice-token",
        "Bearer   alice-token",
    ] {
        let res = client.get("/me").header("authorization", value).await;
        assert_eq!(res.status(), 200, "{value}");
    }
}

#[tokio::test]
async fn the_first_authorization_header_is_used() {
    let app = routes().add_middleware(Authentication::bearer(Verifier::default().into_fn()));
    let client = TestClient::new(app);
    let res = client
        .get("/me")
        .header("authorization", "Bearer nope")
        .header("authorization", "Bearer alice-token")
        .await;
    assert_unauthorized(&res, "Bearer");
}

#[tokio::test]
async fn forbidden_rejection_gets_403_without_a_challenge() {
    let app = routes().add_middleware(Authentication::bearer(Verifier::default().into_fn()));
    let res = TestClient::new(app)
        .get("/me")
        .header("authorization", "Bearer bob-token")
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.header("www-authenticate"), None);
    assert_eq!(res.json::<Value>(), json!({"detail": "Forbidden"}));
}

#[tokio::test]
async fn a_failing_verifier_gives_a_500_carrying_its_error() {
    let app = routes().add_middleware(Authentication::bearer(Verifier::default().into_fn()));
    let res = TestClient::new(app)
        .raise_server_exceptions(false)
        .get("/me")
        .header("authorization", "Bearer db-down")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
    assert!(res.error().is_some_and(|e| e.is::<DatabaseDown>()));
}

#[tokio::test]
async fn exempt_paths_need_no_credential_whatever_the_method() {
    let verifier = Verifier::default();
    let app = routes()
        .add_middleware(Authentication::bearer(verifier.clone().into_fn()).exempt("/health"));
    let client = TestClient::new(app);
    let res = client.get("/health").await;
    assert_eq!(res.json::<Value>(), json!({"status": "ok"}));
    assert_eq!(client.head("/health").await.status(), 200);
    let res = client.post("/health").await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    // Only that exact path.
    assert_unauthorized(&client.get("/health/").await, "Bearer");
    assert_unauthorized(&client.get("/healthz").await, "Bearer");
    assert_eq!(verifier.calls(), 0);
}

#[tokio::test]
async fn exempt_paths_are_compared_percent_decoded_as_the_router_does() {
    let app = routes()
        .add_middleware(Authentication::bearer(Verifier::default().into_fn()).exempt("/health"));
    let res = TestClient::new(app).get("/%68ealth").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"status": "ok"}));
}

#[tokio::test]
async fn exempt_prefixes_cover_whole_segments_only() {
    let app = routes().add_middleware(
        Authentication::bearer(Verifier::default().into_fn()).exempt_prefix("/public/"),
    );
    let client = TestClient::new(app);
    assert_eq!(client.get("/public/docs").await.status(), 200);
    assert_eq!(client.get("/public").await.status(), 404);
    assert_unauthorized(&client.get("/publicity").await, "Bearer");
}

#[tokio::test]
async fn unknown_paths_are_refused_before_routing() {
    let app = routes().add_middleware(Authentication::bearer(Verifier::default().into_fn()));
    let client = TestClient::new(app);
    assert_unauthorized(&client.get("/nope").await, "Bearer");
    let res = client
        .get("/nope")
        .header("authorization", "Bearer alice-token")
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn api_key_from_a_header() {
    let app = routes().add_middleware(Authentication::api_key_header(
        "x-api-key",
        Verifier::default().into_fn(),
    ));
    let client = TestClient::new(app);
    let res = client.get("/me").header("x-api-key", "alice-token").await;
    assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
    assert_unauthorized(&client.get("/me").await, "APIKey");
    let res = client
        .get("/me")
        .raw_header("x-api-key", b"alice-token\xff")
        .await;
    assert_unauthorized(&res, "APIKey");
    // Spaces and tabs around the key are not part of it; a blank key is none.
    let res = client
        .get("/me")
        .raw_header("x-api-key", b" \talice-token\t ")
        .await;
    assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
    let res = client.get("/me").raw_header("x-api-key", b" \t ").await;
    assert_unauthorized(&res, "APIKey");
    // The bearer header is not an API key.
    let res = client
        .get("/me")
        .header("authorization", "Bearer alice-token")
        .await;
    assert_unauthorized(&res, "APIKey");
}

#[tokio::test]
async fn api_key_from_the_query_is_percent_decoded() {
    let app = routes().add_middleware(Authentication::api_key_query(
        "api_key",
        Verifier::default().into_fn(),
    ));
    let client = TestClient::new(app);
    let res = client.get("/me?x=1&api_key=alice%2Dtoken").await;
    assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
    assert_unauthorized(&client.get("/me?api_key=").await, "APIKey");
    assert_unauthorized(&client.get("/me?apikey=alice-token").await, "APIKey");
    assert_unauthorized(&client.get("/me?api_key=%FF%FE").await, "APIKey");
}

#[tokio::test]
async fn static_bearer_accepts_exactly_its_token() {
    async fn check(Extension(auth): Extension<Authenticated>) -> String {
        format!("{auth:?}")
    }
    let app = App::new()
        .get("/", check)
        .add_middleware(Authentication::static_bearer("valid_token"));
    let client = TestClient::new(app);
    let res = client
        .get("/")
        .header("authorization", "Bearer valid_token")
        .await;
    assert_eq!(res.text(), "Authenticated");
    for wrong in ["valid_toke", "valid_token2", "VALID_TOKEN", "x"] {
        let res = client
            .get("/")
            .header("authorization", format!("Bearer {wrong}").as_str())
            .await;
        assert_unauthorized(&res, "Bearer");
    }
}

#[tokio::test]
async fn whole_header_comparison_matches_the_tutorial_exactly() {
    // The tutorial compares the whole `Authorization` value with
    // `Bearer valid_token`.
    let app = routes().get("/protected", health).add_middleware(
        Authentication::api_key_header("authorization", StaticToken::new("Bearer valid_token"))
            .challenge("Bearer")
            .exempt("/health"),
    );
    let client = TestClient::new(app);
    let ok = client
        .get("/protected")
        .header("authorization", "Bearer valid_token")
        .await;
    assert_eq!(ok.status(), 200);
    for value in [
        "bearer valid_token",
        "Bearer  valid_token",
        "Bearer valid_token2",
    ] {
        let res = client
            .get("/protected")
            .header("authorization", value)
            .await;
        assert_unauthorized(&res, "Bearer");
    }
}

#[tokio::test]
async fn realm_and_challenge_are_configurable() {
    let app =
        routes().add_middleware(Authentication::bearer(Verifier::default().into_fn()).realm("api"));
    assert_unauthorized(
        &TestClient::new(app).get("/me").await,
        "Bearer realm=\"api\"",
    );

    let app = routes().add_middleware(
        Authentication::bearer(Verifier::default().into_fn())
            .challenge("Bearer realm=\"api\", error=\"invalid_token\""),
    );
    assert_unauthorized(
        &TestClient::new(app).get("/me").await,
        "Bearer realm=\"api\", error=\"invalid_token\"",
    );
}

#[tokio::test]
async fn the_401_goes_through_an_http_error_exception_handler() {
    let app = routes()
        .add_middleware(Authentication::bearer(Verifier::default().into_fn()))
        .exception_handler(|err: &sluice::HttpError| {
            (err.status(), Json(json!({"error": err.detail()})))
        });
    let res = TestClient::new(app).get("/me").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>(), json!({"error": "Unauthorized"}));
}

#[tokio::test]
async fn invalid_settings_fail_when_the_app_is_built() {
    let cases: Vec<App> = vec![
        routes().add_middleware(Authentication::api_key_header(
            "bad header",
            Verifier::default().into_fn(),
        )),
        routes().add_middleware(Authentication::api_key_query(
            "",
            Verifier::default().into_fn(),
        )),
        routes().add_middleware(Authentication::static_bearer("t").exempt("health")),
        routes().add_middleware(Authentication::static_bearer("t").realm("a\"b")),
        routes().add_middleware(Authentication::static_bearer("t").challenge("")),
    ];
    for app in cases {
        let err = TestClient::try_new(app).expect_err("the configuration is invalid");
        assert!(matches!(err, ConfigError::Middleware { .. }), "{err}");
        assert!(err.to_string().contains("Authentication"), "{err}");
    }
}
