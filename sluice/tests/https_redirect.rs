//! `HttpsRedirect`: Starlette's `HTTPSRedirectMiddleware`, keeping the path
//! exactly as sent, refusing duplicate `Host` headers, and deciding on the
//! scheme `ProxyHeaders` reports from a trusted proxy.

mod support;

use std::sync::OnceLock;

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use sluice::middleware::{HttpsRedirect, ProxyHeaders};
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, Request};

fn app(middleware: HttpsRedirect) -> App {
    App::new()
        .get("/", || async { "secure hello" })
        .post("/", || async { "posted" })
        .add_middleware(middleware)
}

fn client() -> TestClient {
    TestClient::new(app(HttpsRedirect::new()))
}

fn behind_proxy(proxies: &[&str], peer: &str) -> TestClient {
    let app = app(HttpsRedirect::new()).add_middleware(ProxyHeaders::new().trusted(proxies));
    TestClient::new(app).client_addr(peer.parse().expect("a socket address"))
}

#[track_caller]
fn assert_redirect(res: &TestResponse, location: &str) {
    assert_eq!(res.status(), 307, "{res:?}");
    assert_eq!(res.header("location"), Some(location));
    assert_eq!(res.header("content-length"), Some("0"));
    assert_eq!(res.text(), "");
}

#[tokio::test]
async fn plain_http_request_gets_307_to_https_with_empty_body() {
    let res = client().get("/").header("host", "example.com").await;
    assert_redirect(&res, "https://example.com/");
    // A redirect carries nothing else a client could be misled by.
    let mut names: Vec<&str> = res.headers().keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["content-length", "location"]);
}

#[tokio::test]
async fn https_request_reaches_the_app() {
    let client = client().base_url("https://example.com");
    let res = client.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "secure hello");
}

#[tokio::test]
async fn https_request_target_reaches_the_app() {
    let res = client().get("https://example.com/").without_host().await;
    assert_eq!(res.text(), "secure hello");
}

#[tokio::test]
async fn query_is_kept() {
    let res = client()
        .get("/?q=1&r=a%20b")
        .header("host", "example.com")
        .await;
    assert_redirect(&res, "https://example.com/?q=1&r=a%20b");
}

#[tokio::test]
async fn empty_query_is_dropped() {
    let res = client().get("/?").header("host", "example.com").await;
    assert_redirect(&res, "https://example.com/");
}

#[tokio::test]
async fn default_ports_are_dropped() {
    let client = client();
    for host in ["example.com:80", "example.com:443", "example.com:000080"] {
        let res = client.get("/p").header("host", host).await;
        assert_redirect(&res, "https://example.com/p");
    }
}

#[tokio::test]
async fn other_ports_are_kept() {
    let client = client();
    let res = client
        .get("/p?a=1")
        .header("host", "example.com:8080")
        .await;
    assert_redirect(&res, "https://example.com:8080/p?a=1");
    let res = client.get("/").header("host", "example.com:123").await;
    assert_redirect(&res, "https://example.com:123/");
}

#[tokio::test]
async fn host_is_kept_as_sent() {
    let res = client().get("/").header("host", "Example.COM:8443").await;
    assert_redirect(&res, "https://Example.COM:8443/");
}

#[tokio::test]
async fn ipv6_host_keeps_its_brackets() {
    let client = client();
    for (host, location) in [
        ("[::1]", "https://[::1]/"),
        ("[::1]:80", "https://[::1]/"),
        ("[::1]:443", "https://[::1]/"),
        ("[::1]:8000", "https://[::1]:8000/"),
    ] {
        let res = client.get("/").header("host", host).await;
        assert_redirect(&res, location);
    }
}

#[tokio::test]
async fn missing_host_uses_the_address_the_server_listens_on() {
    let res = client().get("/p?a=1").without_host().await;
    assert_redirect(&res, "https://127.0.0.1/p?a=1");
    let client = TestClient::new(app(HttpsRedirect::new())).base_url("http://testserver:8080");
    let res = client.get("/").without_host().await;
    assert_redirect(&res, "https://127.0.0.1:8080/");
}

#[tokio::test]
async fn malformed_host_cannot_choose_where_the_client_goes() {
    let client = client();
    for host in [
        "evil.com/x",
        "evil.com?",
        "evil.com#",
        "user@evil.com",
        "example.com@evil.com",
        "example.com:80@evil.com",
        "example.com\\@evil.com",
        "evil.com:65536",
        "evil.com:",
        "evil.com:x",
        "[:::]",
        "[::1]evil.com",
        "a b",
        "evil.com\t",
        "",
    ] {
        let res = client.get("/p").raw_header("host", host.as_bytes()).await;
        assert_redirect(&res, "https://127.0.0.1/p");
    }
    let res = client.get("/p").raw_header("host", b"\xe9vil.com").await;
    assert_redirect(&res, "https://127.0.0.1/p");
}

#[tokio::test]
async fn no_host_and_no_server_address_gets_400() {
    let service = app(HttpsRedirect::new()).build().expect("the app builds");
    let request = sluice::http::Request::builder()
        .uri("/")
        .body(sluice::Body::empty())
        .expect("a request");
    let res = service.handle(Request::from_http(request)).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let body = res.body().as_bytes().expect("a whole body").clone();
    assert_eq!(&body[..], b"Invalid host header");
}

#[tokio::test]
async fn more_than_one_host_header_gets_400() {
    let res = client()
        .get("/")
        .header("host", "example.com")
        .header("host", "evil.com")
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "Invalid host header");
    assert_eq!(res.header("location"), None);
}

#[tokio::test]
async fn host_that_disagrees_with_the_request_target_gets_400() {
    let res = client()
        .get("http://example.com/")
        .header("host", "evil.com")
        .await;
    assert_eq!(res.status(), 400);
    let res = client()
        .get("http://example.com:8080/x")
        .without_host()
        .await;
    assert_redirect(&res, "https://example.com:8080/x");
}

#[tokio::test]
async fn path_is_kept_exactly_as_sent() {
    let client = client();
    for path in [
        "/a%2Fb",
        "/%7e",
        "/a%20b",
        "/a%25b",
        "//evil.com/x",
        "/a;b=c/@x:y",
    ] {
        let res = client.get(path).header("host", "example.com").await;
        assert_redirect(&res, &format!("https://example.com{path}"));
    }
}

#[tokio::test]
async fn unsafe_bytes_in_path_and_query_are_percent_encoded() {
    let res = client()
        .get("/\"quoted\"/{x}|^\\/caf\u{e9}?q={`'}|^&r=\u{e9}")
        .header("host", "example.com")
        .await;
    assert_redirect(
        &res,
        "https://example.com/%22quoted%22/%7Bx%7D%7C%5E%5C/caf%C3%A9?q=%7B%60'%7D%7C%5E&r=%C3%A9",
    );
}

#[tokio::test]
async fn unknown_paths_are_redirected_too() {
    let res = client()
        .get("/nope?x=1")
        .header("host", "example.com")
        .await;
    assert_redirect(&res, "https://example.com/nope?x=1");
}

#[tokio::test]
async fn post_gets_307_so_the_method_and_body_are_kept() {
    let res = client()
        .post("/submit")
        .header("host", "example.com")
        .json(&serde_json::json!({"a": 1}))
        .await;
    assert_redirect(&res, "https://example.com/submit");
}

#[tokio::test]
async fn forwarded_proto_is_ignored_without_trusted_proxies() {
    let res = client()
        .get("/")
        .header("host", "example.com")
        .header("x-forwarded-proto", "https")
        .await;
    assert_redirect(&res, "https://example.com/");
}

#[tokio::test]
async fn forwarded_https_from_a_trusted_proxy_is_served() {
    let client = behind_proxy(&["10.0.0.0/8"], "10.1.2.3:40000");
    let res = client
        .get("/")
        .header("host", "example.com")
        .header("x-forwarded-proto", "https")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "secure hello");
}

#[tokio::test]
async fn forwarded_http_from_a_trusted_proxy_is_redirected() {
    let client = behind_proxy(&["10.0.0.0/8"], "10.1.2.3:40000");
    let res = client
        .get("/p?a=1")
        .header("host", "example.com")
        .header("x-forwarded-proto", "http")
        .await;
    assert_redirect(&res, "https://example.com/p?a=1");
    // Even when the proxy reached the app over TLS.
    let res = client
        .clone()
        .base_url("https://example.com")
        .get("/")
        .header("x-forwarded-proto", "http")
        .await;
    assert_redirect(&res, "https://example.com/");
}

#[tokio::test]
async fn forwarded_proto_from_an_untrusted_peer_is_ignored() {
    let client = behind_proxy(&["10.0.0.0/8", "::1"], "192.0.2.7:40000");
    let res = client
        .get("/")
        .header("host", "example.com")
        .header("x-forwarded-proto", "https")
        .await;
    assert_redirect(&res, "https://example.com/");
}

#[tokio::test]
async fn only_an_exact_forwarded_https_is_served() {
    let client = behind_proxy(&["127.0.0.1"], "127.0.0.1:40000");
    let served = client
        .get("/")
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-proto", "https")
        .await;
    assert_eq!(served.status(), 200);
    for redirected in ["HTTPS", "http, https", "https,http", "gopher"] {
        let res = client
            .get("/")
            .header("x-forwarded-proto", redirected)
            .await;
        assert_eq!(res.status(), 307, "{redirected}");
    }
}

#[tokio::test]
async fn forwarded_ws_goes_to_wss_and_wss_is_served() {
    let client = behind_proxy(&["127.0.0.1"], "127.0.0.1:40000");
    let res = client
        .get("/chat?room=1")
        .header("host", "example.com")
        .header("x-forwarded-proto", "ws")
        .await;
    assert_redirect(&res, "wss://example.com/chat?room=1");
    let res = client.get("/").header("x-forwarded-proto", "wss").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn unknown_forwarded_proto_falls_back_to_the_connection() {
    let client = behind_proxy(&["127.0.0.1"], "127.0.0.1:40000");
    let secure = client.clone().base_url("https://example.com");
    let res = secure.get("/").header("x-forwarded-proto", "gopher").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn ipv4_mapped_peer_matches_an_ipv4_proxy() {
    let client = behind_proxy(&["10.0.0.1"], "[::ffff:10.0.0.1]:40000");
    let res = client.get("/").header("x-forwarded-proto", "https").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn star_trusts_every_peer() {
    let client = behind_proxy(&["*"], "203.0.113.9:40000");
    let res = client.get("/").header("x-forwarded-proto", "https").await;
    assert_eq!(res.status(), 200);
}

// ---------------------------------------------------------------- properties

fn shared_client() -> &'static TestClient {
    static CLIENT: OnceLock<TestClient> = OnceLock::new();
    CLIENT.get_or_init(client)
}

/// A path the `http` crate accepts: its bytes, `%` escapes, `"`, `{`, `}`,
/// `|`, `\`, `^` and non-ASCII text.
fn path() -> impl Strategy<Value = String> {
    "(/[a-zA-Z0-9._~!$&'()*+,;=:@%\"{}|\\\\^\\[\\]é中-]{0,8}){1,3}"
}

fn query() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[a-zA-Z0-9._~!$&'()*+,;=:@/?%`{}|\\\\^\\[\\]é-]{0,12}")
}

/// Any `Host` value that can be sent: printable ASCII, tabs and spaces, and
/// bytes above 0x7f.
fn host_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"example.com".to_vec()),
        Just(b"example.com:8080".to_vec()),
        Just(b"[::1]:443".to_vec()),
        prop::collection::vec(prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff], 0..16),
    ]
}

/// The bytes a `location` may carry: the URL characters that need no
/// escaping (RFC 3986 unreserved, reserved and `%`).
fn is_url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

proptest! {
    #![proptest_config(support::cases(512))]

    /// Whatever the path, query and `Host`, the redirect goes to https, to
    /// the host that was sent (when it is well-formed) or to the server's
    /// own address, and its `location` holds only URL characters and
    /// decodes to the same path and query.
    #[test]
    fn location_cannot_be_forged_and_keeps_the_target(
        path in path(),
        query in query(),
        host in host_bytes(),
    ) {
        let target = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let res = support::runtime().block_on(async {
            shared_client().get(&target).raw_header("host", &host).await
        });
        prop_assert_eq!(res.status(), 307);
        let location = res.header("location").expect("a location").to_owned();
        prop_assert!(location.bytes().all(is_url_byte), "{location:?}");

        let rest = location.strip_prefix("https://").expect("https");
        let (netloc, tail) = rest.split_at(rest.find('/').expect("a path"));
        // The authority holds host characters only (Starlette's: RFC
        // 3986's reg-name, or an IP literal): no user info, no path.
        prop_assert!(
            netloc.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]_~%!$&'()*+,;=".contains(&b)),
            "{netloc:?}"
        );
        // It is the host as sent (less port 80 or 443, then lower-cased)
        // or, when the header is not a well-formed host, the server's own
        // address.
        let from_header = std::str::from_utf8(&host).is_ok_and(|sent| {
            sent == netloc
                || sent.get(..netloc.len()).is_some_and(|name| {
                    name.eq_ignore_ascii_case(netloc)
                        && matches!(
                            sent[netloc.len()..].strip_prefix(':').map(str::parse::<u32>),
                            Some(Ok(80 | 443))
                        )
                })
        });
        prop_assert!(netloc == "127.0.0.1" || from_header, "{netloc:?} from {host:?}");
        match host.as_slice() {
            b"example.com" | b"example.com:8080" => prop_assert_eq!(netloc.as_bytes(), host.as_slice()),
            b"[::1]:443" => prop_assert_eq!(netloc, "[::1]"),
            _ => {}
        }

        let sent = match &query {
            Some(q) if !q.is_empty() => target.clone(),
            _ => path.clone(),
        };
        let decoded = percent_decode_str(tail).collect::<Vec<u8>>();
        let expected = percent_decode_str(&sent).collect::<Vec<u8>>();
        prop_assert_eq!(decoded, expected);
    }
}

#[tokio::test]
async fn a_reg_name_host_is_kept_and_a_dropped_port_lowers_the_case() {
    let client = client();
    for (host, location) in [
        ("my_service:8080", "https://my_service:8080/p"),
        ("Example.COM:8080", "https://Example.COM:8080/p"),
        // Starlette names `url.hostname` alone, which is lower-cased.
        ("Example.COM:80", "https://example.com/p"),
        ("Example.COM:443", "https://example.com/p"),
        ("Example.COM:00080", "https://example.com/p"),
    ] {
        let res = client.get("/p").header("host", host).await;
        assert_redirect(&res, location);
    }
}
