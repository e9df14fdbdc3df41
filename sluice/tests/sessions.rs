//! `Sessions`: Starlette 1.10's `SessionMiddleware` (each header below was
//! checked against it), signed-cookie and server-side sessions, and what
//! sluice does beyond it.

use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};
use sluice::extract::Path;
use sluice::middleware::sessions::{MemoryStore, SameSite, Session, SessionError, Sessions};
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, HttpError, Json, ResponseExt};

const SECRET: &str = "a test secret that is at least 32 bytes long";
const SET: &str = "; path=/; Max-Age=1209600; httponly; samesite=lax";
const CLEAR: &str =
    "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax";

async fn get_session(session: Session) -> Json<Value> {
    Json(json!({ "session": session.to_map() }))
}

async fn put_session(
    Path(key): Path<String>,
    session: Session,
    Json(value): Json<Value>,
) -> sluice::Result<Json<Value>> {
    session.insert(key, value)?;
    Ok(Json(json!({ "session": session.to_map() })))
}

async fn delete_session(session: Session) -> Json<Value> {
    session.clear();
    Json(json!({ "session": {} }))
}

async fn login(session: Session) -> sluice::Result<&'static str> {
    session.regenerate();
    session.insert("user", "alice")?;
    Ok("in")
}

async fn remove_user(session: Session) -> String {
    format!("{:?}", session.remove("user"))
}

async fn fail_after_change(session: Session) -> sluice::Result<&'static str> {
    session.insert("user", "mallory")?;
    Err(sluice::Error::msg("database down"))
}

async fn http_error_after_change(session: Session) -> Result<&'static str, HttpError> {
    let _ = session.insert("user", "bob");
    Err(HttpError::new(403, "Forbidden"))
}

fn routes() -> App {
    App::new()
        .get("/session", get_session)
        .put("/session/{key}", put_session)
        .delete("/session", delete_session)
        .post("/login", login)
        .post("/remove", remove_user)
        .post("/fail", fail_after_change)
        .post("/forbidden", http_error_after_change)
        .get("/public", || async { "ok" })
        .get("/untouched", |_session: Session| async { "ok" })
}

fn client_with(sessions: Sessions) -> TestClient {
    TestClient::new(routes().add_middleware(sessions))
}

fn client() -> TestClient {
    client_with(Sessions::new(SECRET))
}

/// `session=<value>` from a response's `set-cookie`.
fn cookie(res: &TestResponse) -> String {
    let header = res.header("set-cookie").expect("a set-cookie header");
    header.split(';').next().expect("a pair").to_owned()
}

async fn put(client: &TestClient, key: &str, value: Value, cookie: Option<&str>) -> TestResponse {
    let mut req = client.put(&format!("/session/{key}")).json(&value);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    req.await
}

async fn session_of(client: &TestClient, cookie: &str) -> Value {
    client
        .get("/session")
        .header("cookie", cookie)
        .await
        .json::<Value>()["session"]
        .clone()
}

#[tokio::test]
async fn reading_adds_vary_cookie_and_sets_nothing() {
    let res = client().get("/session").await;
    assert_eq!(res.json::<Value>(), json!({"session": {}}));
    assert_eq!(res.header("vary"), Some("Cookie"));
    assert_eq!(res.header("set-cookie"), None);
}

#[tokio::test]
async fn a_change_sets_the_cookie_with_starlettes_attributes() {
    let res = put(&client(), "user", json!("alice"), None).await;
    assert_eq!(res.json::<Value>(), json!({"session": {"user": "alice"}}));
    assert_eq!(res.header("vary"), Some("Cookie"));
    let set_cookie = res.header("set-cookie").expect("set-cookie");
    assert!(set_cookie.starts_with("session="), "{set_cookie}");
    assert!(set_cookie.ends_with(SET), "{set_cookie}");
    assert_eq!(res.header_all("set-cookie").len(), 1);
}

#[tokio::test]
async fn the_cookie_sent_back_holds_the_session() {
    let client = client();
    let first = cookie(&put(&client, "user", json!("alice"), None).await);
    let second = cookie(&put(&client, "n", json!([1, null]), Some(&first)).await);
    assert_eq!(
        session_of(&client, &second).await,
        json!({"user": "alice", "n": [1, null]})
    );
    // As in Starlette, the cookie is the session: the older one still works.
    assert_eq!(session_of(&client, &first).await, json!({"user": "alice"}));
}

#[tokio::test]
async fn reading_a_carried_session_sets_no_cookie() {
    let client = client();
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    let res = client.get("/session").header("cookie", &carried).await;
    assert_eq!(res.header("vary"), Some("Cookie"));
    assert_eq!(res.header("set-cookie"), None);
}

#[tokio::test]
async fn an_untouched_session_sets_no_header() {
    let client = client();
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    for path in ["/public", "/untouched"] {
        let res = client.get(path).header("cookie", &carried).await;
        assert_eq!(res.text(), "ok");
        assert_eq!(res.header("vary"), None, "{path}");
        assert_eq!(res.header("set-cookie"), None, "{path}");
    }
}

#[tokio::test]
async fn clearing_a_carried_session_expires_the_cookie() {
    let client = client();
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    let res = client.delete("/session").header("cookie", &carried).await;
    assert_eq!(res.json::<Value>(), json!({"session": {}}));
    assert_eq!(res.header("vary"), Some("Cookie"));
    assert_eq!(res.header("set-cookie"), Some(CLEAR));
}

#[tokio::test]
async fn clearing_without_a_session_sets_nothing() {
    let res = client().delete("/session").await;
    assert_eq!(res.header("vary"), Some("Cookie"));
    assert_eq!(res.header("set-cookie"), None);
}

#[tokio::test]
async fn removing_the_last_key_expires_the_cookie_and_a_missing_key_changes_nothing() {
    let client = client();
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    let res = client.post("/remove").header("cookie", &carried).await;
    assert_eq!(res.text(), "Some(String(\"alice\"))");
    assert_eq!(res.header("set-cookie"), Some(CLEAR));
    let res = client.post("/remove").await;
    assert_eq!(res.text(), "None");
    assert_eq!(res.header("vary"), Some("Cookie"));
    assert_eq!(res.header("set-cookie"), None);
}

#[tokio::test]
async fn a_tampered_cookie_is_an_empty_session() {
    let client = client();
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    let value = carried.trim_start_matches("session=");
    let middle = value.len() / 2;
    let mut flipped = value.to_owned().into_bytes();
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    for bad in [
        flipped.as_str(),
        &value[..value.len() - 1],
        &format!("{value}x"),
        "garbage",
        "a.b.c",
        "",
        "null",
    ] {
        let res = client
            .get("/session")
            .header("cookie", format!("session={bad}"))
            .await;
        assert_eq!(res.status(), 200, "{bad}");
        assert_eq!(res.json::<Value>(), json!({"session": {}}), "{bad}");
        // Nothing was carried, so clearing sets no cookie either.
        let res = client
            .delete("/session")
            .header("cookie", format!("session={bad}"))
            .await;
        assert_eq!(res.header("set-cookie"), None, "{bad}");
    }
}

#[tokio::test]
async fn a_cookie_signed_with_another_secret_is_an_empty_session() {
    let other = client_with(Sessions::new("another secret that is 32 bytes or more"));
    let foreign = cookie(&put(&other, "user", json!("mallory"), None).await);
    assert_eq!(session_of(&client(), &foreign).await, json!({}));
}

#[tokio::test]
async fn the_last_session_cookie_counts() {
    let client = client();
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    let value = carried.trim_start_matches("session=");
    assert_eq!(
        session_of(&client, &format!("session={value}; session=garbage")).await,
        json!({})
    );
    assert_eq!(
        session_of(&client, &format!("session=garbage; a=1; session={value}")).await,
        json!({"user": "alice"})
    );
    let res = client
        .get("/session")
        .header("cookie", "session=garbage")
        .header("cookie", format!("other=1; session={value}"))
        .await;
    assert_eq!(res.json::<Value>()["session"], json!({"user": "alice"}));
    assert_eq!(
        session_of(&client, &format!("session=\"{value}\"")).await,
        json!({"user": "alice"}),
        "a quoted value is unquoted, as Python's cookie parser does"
    );
}

#[tokio::test]
async fn an_expired_cookie_is_an_empty_session() {
    let client = client_with(Sessions::new(SECRET).max_age(Duration::from_secs(1)));
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    assert_eq!(
        session_of(&client, &carried).await,
        json!({"user": "alice"})
    );
    // Signing times are whole seconds: 1 s of age may still be accepted.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(session_of(&client, &carried).await, json!({}));
}

#[tokio::test]
async fn options_shape_the_set_cookie_header() {
    let sessions = Sessions::new(SECRET)
        .cookie_name("sid")
        .max_age(Duration::from_secs(60))
        .path("/app")
        .same_site(SameSite::None)
        .https_only(true)
        .domain("example.com")
        .partitioned(true);
    let res = put(&client_with(sessions), "k", json!(1), None).await;
    let set_cookie = res.header("set-cookie").expect("set-cookie");
    assert!(set_cookie.starts_with("sid="), "{set_cookie}");
    assert!(
        set_cookie.ends_with(
            "; path=/app; Max-Age=60; httponly; samesite=none; secure; domain=example.com; partitioned"
        ),
        "{set_cookie}"
    );
}

#[tokio::test]
async fn a_browser_session_cookie_has_no_max_age() {
    let client = client_with(Sessions::new(SECRET).browser_session());
    let res = put(&client, "k", json!(1), None).await;
    let set_cookie = res.header("set-cookie").expect("set-cookie");
    assert!(
        set_cookie.ends_with("; path=/; httponly; samesite=lax"),
        "{set_cookie}"
    );
    assert_eq!(session_of(&client, &cookie(&res)).await, json!({"k": 1}));
}

#[tokio::test]
async fn key_rotation_keeps_old_cookies_valid() {
    let old = client_with(Sessions::new("the old secret, thirty-two bytes or more"));
    let issued = cookie(&put(&old, "user", json!("alice"), None).await);
    let rotated = client_with(
        Sessions::new(SECRET).fallback_secrets(["the old secret, thirty-two bytes or more"]),
    );
    assert_eq!(
        session_of(&rotated, &issued).await,
        json!({"user": "alice"})
    );
    // New cookies are signed with the new secret only.
    let reissued = cookie(&put(&rotated, "n", json!(2), Some(&issued)).await);
    assert_eq!(
        session_of(&client(), &reissued).await,
        json!({"user": "alice", "n": 2})
    );
}

#[tokio::test]
async fn a_session_too_large_for_a_cookie_is_a_500_with_a_typed_error() {
    let lenient = client().raise_server_exceptions(false);
    let res = put(&lenient, "big", json!("x".repeat(4000)), None).await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("set-cookie"), None);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
    // Just under the limit is fine.
    let res = put(&client(), "big", json!("x".repeat(2900)), None).await;
    assert_eq!(res.status(), 200);
    assert!(res.header("set-cookie").expect("cookie").len() > 3900);
}

#[tokio::test]
async fn the_too_large_error_reaches_outer_middleware() {
    async fn inspect(req: sluice::Request, next: sluice::Next) -> sluice::Response {
        let mut res = next.run(req).await;
        let size = match res.error().and_then(|e| e.downcast_ref::<SessionError>()) {
            Some(SessionError::TooLarge { size, limit }) => format!("{size}>{limit}"),
            _ => "none".to_owned(),
        };
        res.headers_mut()
            .insert("x-session-error", size.parse().expect("ascii"));
        res
    }
    let client = TestClient::new(
        routes()
            .add_middleware(Sessions::new(SECRET))
            .middleware(inspect),
    )
    .raise_server_exceptions(false);
    let res = put(&client, "big", json!("x".repeat(5000)), None).await;
    let seen = res.header("x-session-error").expect("header");
    assert!(seen.ends_with(">4096"), "{seen}");
    assert!(seen.starts_with("67"), "{seen}");
}

#[tokio::test]
async fn an_unhandled_failure_saves_nothing_but_an_http_error_does() {
    let client = client().raise_server_exceptions(false);
    let res = client.post("/fail").await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.header("set-cookie"), None);
    assert_eq!(res.header("vary"), None);
    let res = client.post("/forbidden").await;
    assert_eq!(res.status(), 403);
    assert!(res.header("set-cookie").is_some());
}

#[derive(Debug)]
struct DbDown;

impl std::fmt::Display for DbDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("db down")
    }
}

impl std::error::Error for DbDown {}

/// Starlette's exception middleware, where a handler for an error type
/// runs, sits inside its session middleware: what the handler answers,
/// even a 503, carries the session's cookie.
#[tokio::test]
async fn an_error_an_exception_handler_answers_with_a_5xx_still_saves() {
    async fn db_down(session: Session) -> sluice::Result<&'static str> {
        session.insert("user", "alice")?;
        Err(DbDown)?
    }
    let app = App::new()
        .post("/login", db_down)
        .exception_handler(|_: &DbDown| (sluice::StatusCode::SERVICE_UNAVAILABLE, "db down"))
        .add_middleware(Sessions::new(SECRET));
    let res = TestClient::new(app).post("/login").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.text(), "db down");
    assert_eq!(res.header("vary"), Some("Cookie"));
    let set_cookie = res.header("set-cookie").expect("the session's cookie");
    assert!(set_cookie.starts_with("session="), "{set_cookie}");
}

#[tokio::test]
async fn a_validation_error_before_the_handler_does_not_touch_the_session() {
    let res = client()
        .put("/session/user")
        .header("content-type", "application/json")
        .body("{")
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.header("vary"), None);
}

#[tokio::test]
async fn without_the_middleware_the_extractor_is_a_500() {
    let res = TestClient::new(routes())
        .raise_server_exceptions(false)
        .get("/session")
        .await;
    assert_eq!(res.status(), 500);
}

#[test]
fn a_short_secret_fails_the_build_with_how_to_make_one() {
    let err = TestClient::try_new(routes().add_middleware(Sessions::new("short")))
        .expect_err("short secret");
    let message = err.to_string();
    assert!(message.contains("32 bytes"), "{message}");
    assert!(message.contains("openssl rand"), "{message}");
    let err = TestClient::try_new(
        routes().add_middleware(Sessions::new(SECRET).fallback_secrets(["old"])),
    )
    .expect_err("short fallback");
    assert!(err.to_string().contains("32 bytes"));
}

#[test]
fn settings_browsers_refuse_fail_the_build() {
    for sessions in [
        Sessions::new(SECRET).same_site(SameSite::None),
        Sessions::new(SECRET).partitioned(true),
        Sessions::new(SECRET).domain("example.com; samesite=none"),
        Sessions::new(SECRET).cookie_name("a b"),
        Sessions::new(SECRET).path("/a;b"),
        Sessions::new(SECRET).max_age(Duration::from_millis(500)),
    ] {
        assert!(TestClient::try_new(routes().add_middleware(sessions)).is_err());
    }
}

#[tokio::test]
async fn a_starlette_compatible_session_accepts_a_short_secret() {
    let client = client_with(Sessions::starlette_compatible("conformance-secret"));
    let res = put(&client, "user", json!("alice"), None).await;
    let value = cookie(&res);
    // Starlette's format: standard base64 of Python's json.dumps.
    assert!(
        value.starts_with("session=eyJ1c2VyIjogImFsaWNlIn0=."),
        "{value}"
    );
    assert_eq!(session_of(&client, &value).await, json!({"user": "alice"}));
}

/// A cookie that Starlette 1.10 (`SessionMiddleware(secret_key=
/// "conformance-secret")`) set, made by itsdangerous with a fixed signing
/// time (see `src/middleware/sessions/tests.rs`): read with no expiry.
#[tokio::test]
async fn a_cookie_written_by_starlette_is_read() {
    let client =
        client_with(Sessions::starlette_compatible("conformance-secret").browser_session());
    let cookie = "session=eyJ1c2VyIjogImFsaWNlIn0=.ZVPxAA.SNpiBTJm5j41wkUhe0rHn1PCZAE";
    assert_eq!(session_of(&client, cookie).await, json!({"user": "alice"}));
    // The same cookie with the default max_age is long expired.
    let strict = client_with(Sessions::starlette_compatible("conformance-secret"));
    assert_eq!(session_of(&strict, cookie).await, json!({}));
}

// ---------------------------------------------------------------- the store

fn store_client() -> TestClient {
    client_with(Sessions::new(SECRET).store(MemoryStore::new()))
}

#[tokio::test]
async fn with_a_store_the_cookie_holds_only_a_signed_id() {
    let client = store_client();
    let res = put(
        &client,
        "user",
        json!("a long value that stays on the server"),
        None,
    )
    .await;
    let value = cookie(&res);
    let parts: Vec<&str> = value.trim_start_matches("session=").split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].len(), 43, "256 random bits");
    assert!(!value.contains("eyJ"), "no JSON in the cookie");
    assert!(res.header("set-cookie").expect("cookie").ends_with(SET));
    assert_eq!(
        session_of(&client, &value).await,
        json!({"user": "a long value that stays on the server"})
    );
}

#[tokio::test]
async fn with_a_store_an_older_cookie_sees_the_latest_data() {
    let client = store_client();
    let first = cookie(&put(&client, "a", json!(1), None).await);
    let second = cookie(&put(&client, "b", json!(2), Some(&first)).await);
    assert_eq!(session_of(&client, &first).await, json!({"a": 1, "b": 2}));
    assert_eq!(session_of(&client, &second).await, json!({"a": 1, "b": 2}));
}

#[tokio::test]
async fn regenerate_moves_the_data_to_a_new_id() {
    let client = store_client();
    let before = cookie(&put(&client, "cart", json!([1]), None).await);
    let res = client.post("/login").header("cookie", &before).await;
    let after = cookie(&res);
    let id = |c: &str| c.split('.').next().map(str::to_owned);
    assert_ne!(id(&before), id(&after));
    assert_eq!(
        session_of(&client, &after).await,
        json!({"cart": [1], "user": "alice"})
    );
    assert_eq!(
        session_of(&client, &before).await,
        json!({}),
        "the old id is gone"
    );
}

#[tokio::test]
async fn with_a_store_clearing_deletes_the_data() {
    let client = store_client();
    let carried = cookie(&put(&client, "user", json!("alice"), None).await);
    let res = client.delete("/session").header("cookie", &carried).await;
    assert_eq!(res.header("set-cookie"), Some(CLEAR));
    assert_eq!(session_of(&client, &carried).await, json!({}));
}

#[tokio::test]
async fn with_a_store_size_is_not_limited_by_the_cookie() {
    let client = store_client();
    let res = put(&client, "big", json!("x".repeat(10_000)), None).await;
    assert_eq!(res.status(), 200);
    let value = cookie(&res);
    assert_eq!(
        session_of(&client, &value).await["big"]
            .as_str()
            .map(str::len),
        Some(10_000)
    );
}

#[tokio::test]
async fn a_data_cookie_is_no_id_and_an_id_cookie_is_no_data() {
    let cookie_sessions = client();
    let data = cookie(&put(&cookie_sessions, "user", json!("alice"), None).await);
    assert_eq!(session_of(&store_client(), &data).await, json!({}));
}

// ---------------------------------------------------------------- properties

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fn shared() -> &'static (TestClient, String) {
    static SHARED: OnceLock<(TestClient, String)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let client = client();
        let value =
            runtime().block_on(async { cookie(&put(&client, "user", json!("alice"), None).await) });
        (client, value.trim_start_matches("session=").to_owned())
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any change to a valid cookie (one byte replaced, bytes cut off or
    /// added) yields an empty session, never the data and never an error.
    #[test]
    fn a_tampered_cookie_never_yields_data(
        at in any::<prop::sample::Index>(),
        byte in 0x21u8..0x7f,
        cut in 0usize..8,
        tail in "[A-Za-z0-9_=.-]{0,4}",
    ) {
        let (client, value) = shared();
        let mut bytes = value.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte && byte != b';');
        bytes[i] = byte;
        let replaced = String::from_utf8(bytes).expect("ascii");
        let keep = value.len().saturating_sub(cut + 1);
        let shortened = format!("{}{tail}", &value[..keep]);
        for tampered in [replaced, shortened] {
            prop_assume!(tampered != *value);
            let res = runtime().block_on(async {
                client.get("/session").header("cookie", format!("session={tampered}")).await
            });
            prop_assert_eq!(res.status(), 200);
            prop_assert_eq!(res.json::<Value>(), json!({"session": {}}));
        }
    }
}
