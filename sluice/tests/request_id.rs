//! `middleware::RequestId`: an id per request, from the client when it is
//! safe, generated otherwise.

mod support;

use sluice::middleware::RequestId;
use sluice::testing::TestClient;
use sluice::{App, ConfigError, Next, Request, Response};
use support::request_id::{app, show};

fn is_uuid_v4(id: &str) -> bool {
    let bytes = id.as_bytes();
    id.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-')
        && bytes[14] == b'4'
        && id
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn generates_a_uuid_when_the_client_sends_none() {
    let client = TestClient::new(app(RequestId::new()));
    let res = client.get("/").await;
    let id = res.header("x-request-id").expect("an id").to_owned();
    assert!(is_uuid_v4(&id), "{id}");
    // The handler saw the same id.
    assert_eq!(res.text(), id);
    // The next request gets another one.
    let other = client.get("/").await;
    assert_ne!(other.header("x-request-id"), Some(id.as_str()));
}

#[tokio::test]
async fn keeps_a_valid_client_id() {
    let client = TestClient::new(app(RequestId::new()));
    let id = "Root=1-5759e988-bd862e3f;Parent=53995c3f42cd8ad8";
    let res = client.get("/").header("x-request-id", id).await;
    assert_eq!(res.header("x-request-id"), Some(id));
    assert_eq!(res.text(), id);
}

#[tokio::test]
async fn replaces_an_id_with_unsafe_characters() {
    let client = TestClient::new(app(RequestId::new()));
    for hostile in [
        "abc status=500 forged=true",
        "\"quoted\"",
        "<script>alert(1)</script>",
        "line%0D%0Abreak",
        "tab\there",
        "",
    ] {
        let res = client.get("/").header("x-request-id", hostile).await;
        let id = res.header("x-request-id").expect("an id");
        assert!(is_uuid_v4(id), "{hostile:?} gave {id:?}");
        assert_eq!(res.text(), id);
    }
}

#[tokio::test]
async fn replaces_an_id_that_is_not_ascii() {
    let client = TestClient::new(app(RequestId::new()));
    let res = client
        .get("/")
        .raw_header("x-request-id", b"caf\xc3\xa9\xff")
        .await;
    assert!(is_uuid_v4(res.header("x-request-id").expect("an id")));
}

#[tokio::test]
async fn replaces_an_oversized_id() {
    let client = TestClient::new(app(RequestId::new()));
    let ten_kb = "a".repeat(10 * 1024);
    let res = client
        .get("/")
        .header("x-request-id", ten_kb.as_str())
        .await;
    assert!(is_uuid_v4(res.header("x-request-id").expect("an id")));

    let just_fits = "b".repeat(128);
    let res = client
        .get("/")
        .header("x-request-id", just_fits.as_str())
        .await;
    assert_eq!(res.header("x-request-id"), Some(just_fits.as_str()));
    let one_more = "b".repeat(129);
    let res = client
        .get("/")
        .header("x-request-id", one_more.as_str())
        .await;
    assert!(is_uuid_v4(res.header("x-request-id").expect("an id")));
}

#[tokio::test]
async fn max_len_is_configurable() {
    let client = TestClient::new(app(RequestId::new().max_len(8)));
    let res = client.get("/").header("x-request-id", "12345678").await;
    assert_eq!(res.header("x-request-id"), Some("12345678"));
    let res = client.get("/").header("x-request-id", "123456789").await;
    assert!(is_uuid_v4(res.header("x-request-id").expect("an id")));
}

#[tokio::test]
async fn replaces_ids_sent_twice() {
    let client = TestClient::new(app(RequestId::new()));
    let res = client
        .get("/")
        .header("x-request-id", "first")
        .header("x-request-id", "second")
        .await;
    assert!(is_uuid_v4(res.header("x-request-id").expect("an id")));
    assert_eq!(res.header_all("x-request-id").len(), 1);
}

#[tokio::test]
async fn untrusted_clients_never_choose_the_id() {
    let client = TestClient::new(app(RequestId::new().trust_incoming(false)));
    let res = client
        .get("/")
        .header("x-request-id", "chosen-by-client")
        .await;
    assert!(is_uuid_v4(res.header("x-request-id").expect("an id")));
}

#[tokio::test]
async fn header_name_is_configurable() {
    let client = TestClient::new(app(RequestId::new().header("x-correlation-id")));
    let res = client.get("/").header("x-correlation-id", "corr-1").await;
    assert_eq!(res.header("x-correlation-id"), Some("corr-1"));
    assert_eq!(res.header("x-request-id"), None);
    assert_eq!(res.text(), "corr-1");
}

#[tokio::test]
async fn an_id_set_further_in_is_kept() {
    async fn own_id(req: Request, next: Next) -> Response {
        let mut res = next.run(req).await;
        res.headers_mut()
            .insert("x-request-id", "from-inside".parse().expect("valid"));
        res
    }
    let app = App::new()
        .get("/", show)
        .middleware(own_id)
        .add_middleware(RequestId::new());
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.header("x-request-id"), Some("from-inside"));
}

#[tokio::test]
async fn not_found_responses_carry_the_id() {
    let client = TestClient::new(app(RequestId::new()));
    let res = client.get("/nope").header("x-request-id", "r-404").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("x-request-id"), Some("r-404"));
}

#[tokio::test]
async fn invalid_settings_fail_when_the_app_is_built() {
    let err = TestClient::try_new(app(RequestId::new().header("bad header")))
        .expect_err("the configuration is invalid");
    assert!(matches!(err, ConfigError::Middleware { .. }), "{err}");
    let err = TestClient::try_new(app(RequestId::new().max_len(0)))
        .expect_err("the configuration is invalid");
    assert!(err.to_string().contains("max_len"), "{err}");
}
