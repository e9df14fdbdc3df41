//! `TrustedHost`: Starlette's `TrustedHostMiddleware`, plus the refusal of
//! duplicate `Host` headers (RFC 9112) and build-time pattern checks.

mod support;

use std::net::Ipv6Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use regex::Regex;
use sluice::middleware::TrustedHost;
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, Next, Request, Response};

/// The app of the `trusted-host` scenario, with a handler that echoes the
/// host it saw.
fn client_for(middleware: TrustedHost) -> TestClient {
    TestClient::new(app(middleware))
}

fn app(middleware: TrustedHost) -> App {
    App::new()
        .get("/", |req: Request| async move {
            format!("ok {}", req.header("host").unwrap_or("-"))
        })
        .post("/", || async { "posted" })
        .add_middleware(middleware)
}

fn scenario() -> TestClient {
    client_for(TrustedHost::new().allowed_hosts([
        "example.com",
        "*.example.com",
        "www.example.net",
    ]))
}

async fn get_with_host(client: &TestClient, host: &str) -> TestResponse {
    client.get("/").raw_header("host", host.as_bytes()).await
}

#[track_caller]
fn assert_refused(res: &TestResponse) {
    assert_eq!(res.status(), 400, "{res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("content-length"), Some("19"));
    assert_eq!(res.text(), "Invalid host header");
    assert_eq!(res.header("location"), None);
}

#[tokio::test]
async fn default_allows_every_host_untouched() {
    let client = client_for(TrustedHost::new());
    for host in ["evil.com", "", "a b", "[::1"] {
        let res = get_with_host(&client, host).await;
        assert_eq!(res.status(), 200, "{host:?}");
    }
    assert_eq!(client.get("/").without_host().await.status(), 200);
}

#[tokio::test]
async fn star_among_patterns_allows_every_host() {
    let client = client_for(TrustedHost::new().allowed_hosts(["example.com", "*"]));
    assert_eq!(get_with_host(&client, "evil.com").await.status(), 200);
}

/// Allowing every host, it has nothing to do, so it is left out of the
/// built stack: the middleware outside it hands requests straight to the
/// router. Listed in `describe` all the same.
#[tokio::test]
async fn allowing_every_host_costs_no_layer() {
    async fn show_next(req: Request, next: Next) -> Response {
        let shown = format!("{next:?}");
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-next", shown.parse().expect("a header value"));
        response
    }
    for (middleware, next) in [
        (TrustedHost::new(), "router"),
        (
            TrustedHost::new().allowed_hosts(["*", "example.com"]),
            "router",
        ),
        (
            TrustedHost::new().allowed_hosts(["example.com"]),
            "TrustedHost",
        ),
    ] {
        let app = app(middleware).middleware(show_next);
        assert!(app.describe().contains("TrustedHost"));
        let res = get_with_host(&TestClient::new(app), "example.com").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.header("x-next"),
            Some(format!("Next {{ to: {next:?} }}").as_str())
        );
    }
}

#[tokio::test]
async fn exact_host_is_allowed_and_reaches_the_handler() {
    let res = get_with_host(&scenario(), "example.com").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "ok example.com");
}

#[tokio::test]
async fn host_is_compared_without_its_port() {
    let res = get_with_host(&scenario(), "example.com:8080").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "ok example.com:8080");
}

#[tokio::test]
async fn host_and_patterns_are_compared_ignoring_case() {
    assert_eq!(
        get_with_host(&scenario(), "EXAMPLE.com:8080")
            .await
            .status(),
        200
    );
    let client = client_for(TrustedHost::new().allowed_hosts(["API.Example.COM"]));
    assert_eq!(
        get_with_host(&client, "api.EXAMPLE.com").await.status(),
        200
    );
}

#[tokio::test]
async fn wildcard_matches_subdomains_at_any_depth() {
    let client = scenario();
    for host in ["a.example.com", "a.b.example.com", "A.B.C.EXAMPLE.COM:1"] {
        assert_eq!(get_with_host(&client, host).await.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn wildcard_does_not_match_the_apex() {
    let client = client_for(TrustedHost::new().allowed_hosts(["*.example.org"]));
    assert_refused(&get_with_host(&client, "example.org").await);
}

#[tokio::test]
async fn wildcard_does_not_match_lookalike_hosts() {
    let client = scenario();
    for host in [
        "badexample.com",
        "example.com.evil.com",
        "a.example.com.evil.com",
        "example.co",
    ] {
        assert_refused(&get_with_host(&client, host).await);
    }
}

#[tokio::test]
async fn disallowed_host_gets_plain_text_400() {
    assert_refused(&get_with_host(&scenario(), "evil.com").await);
}

#[tokio::test]
async fn refused_request_never_reaches_the_app() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = App::new()
        .get("/", move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                "hi"
            }
        })
        .add_middleware(TrustedHost::new().allowed_hosts(["example.com"]));
    let client = TestClient::new(app);
    assert_refused(&get_with_host(&client, "evil.com").await);
    assert_refused(&client.get("/").without_host().await);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(get_with_host(&client, "example.com").await.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unknown_paths_and_other_methods_are_checked_too() {
    let client = scenario();
    let res = client.get("/nope").header("host", "evil.com").await;
    assert_refused(&res);
    let res = client.post("/").header("host", "evil.com").await;
    assert_refused(&res);
}

#[tokio::test]
async fn missing_host_is_refused() {
    assert_refused(&scenario().get("/").without_host().await);
}

#[tokio::test]
async fn empty_host_is_refused() {
    assert_refused(&get_with_host(&scenario(), "").await);
}

#[tokio::test]
async fn malformed_hosts_are_refused_even_when_they_start_like_an_allowed_one() {
    let client = scenario();
    for host in [
        "example.com:",
        "example.com:abc",
        "example.com:80:80",
        "example.com/evil",
        "example.com?x",
        "example.com#x",
        "user@example.com",
        "evil.com@example.com",
        "example.com@evil.com",
        "exa mple.com",
        "example.com\t",
        ":80",
        "example.com\\@evil.com",
    ] {
        assert_refused(&get_with_host(&client, host).await);
    }
}

#[tokio::test]
async fn host_with_out_of_range_port_is_compared_by_its_name() {
    // RFC 3986's port is any run of digits; Starlette compares the name.
    let client = scenario();
    assert_eq!(
        get_with_host(&client, "example.com:65536").await.status(),
        200
    );
    assert_refused(&get_with_host(&client, "evil.com:99999999999999999999").await);
}

#[tokio::test]
async fn host_that_is_not_text_is_refused() {
    let res = scenario()
        .get("/")
        .raw_header("host", b"ex\xe4mple.com")
        .await;
    assert_refused(&res);
    let client = client_for(TrustedHost::new().allowed_hosts(["[::1]"]));
    assert_refused(&client.get("/").raw_header("host", b"[::1]:\xb2").await);
}

#[tokio::test]
async fn ipv6_literal_with_port_matches_its_bracketed_pattern() {
    let client = client_for(TrustedHost::new().allowed_hosts(["[::1]"]));
    for host in ["[::1]", "[::1]:8000"] {
        assert_eq!(get_with_host(&client, host).await.status(), 200, "{host}");
    }
    assert_refused(&get_with_host(&client, "[2001:db8::1]").await);
}

#[tokio::test]
async fn malformed_ipv6_hosts_are_refused() {
    let client = client_for(TrustedHost::new().allowed_hosts(["[::1]"]));
    for host in [
        "[::1",
        "[::1]evil.com",
        "[::1]@attacker",
        "[::1].",
        "[::1]:evil",
        "[::1]evil.example.com",
        "::1",
        "[:::1]",
        "[::1%25lo]",
    ] {
        assert_refused(&get_with_host(&client, host).await);
    }
}

#[tokio::test]
async fn trailing_dot_is_another_host() {
    let client = scenario();
    assert_refused(&get_with_host(&client, "example.com.").await);
    assert_refused(&get_with_host(&client, "a.example.com.").await);
}

#[tokio::test]
async fn more_than_one_host_header_is_refused() {
    let client = scenario();
    let res = client
        .get("/")
        .header("host", "example.com")
        .header("host", "example.com")
        .await;
    assert_refused(&res);
    let res = client
        .get("/")
        .header("host", "example.com")
        .header("host", "evil.com")
        .await;
    assert_refused(&res);
}

#[tokio::test]
async fn x_forwarded_host_is_ignored() {
    let client = scenario();
    let res = client
        .get("/")
        .header("host", "evil.com")
        .header("x-forwarded-host", "example.com")
        .await;
    assert_refused(&res);
    let res = client
        .get("/")
        .header("host", "example.com")
        .header("x-forwarded-host", "evil.com")
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn absolute_form_target_is_checked_and_must_agree_with_host() {
    let client = scenario();
    let res = client.get("http://example.com/").without_host().await;
    assert_eq!(res.status(), 200);
    let res = client.get("http://evil.com/").without_host().await;
    assert_refused(&res);
    let res = client
        .get("http://example.com/")
        .header("host", "evil.com")
        .await;
    assert_refused(&res);
    let res = client
        .get("http://example.com/")
        .header("host", "EXAMPLE.com:80")
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn empty_allow_list_refuses_every_host() {
    let client = client_for(TrustedHost::new().allowed_hosts(Vec::<String>::new()));
    assert_refused(&get_with_host(&client, "example.com").await);
}

#[tokio::test]
async fn www_redirect_keeps_scheme_port_path_and_query() {
    let res = scenario()
        .get("/p/q?a=1&b=2")
        .header("host", "example.net:8080")
        .await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("http://www.example.net:8080/p/q?a=1&b=2")
    );
    assert_eq!(res.header("content-length"), Some("0"));
    assert_eq!(res.header("content-type"), None);
    assert_eq!(res.text(), "");
}

#[tokio::test]
async fn www_redirect_keeps_https() {
    let client = TestClient::new(app(TrustedHost::new().allowed_hosts(["www.example.com"])))
        .base_url("https://example.com");
    let res = client.get("/").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("https://www.example.com/"));
}

#[tokio::test]
async fn www_redirect_keeps_the_host_as_sent() {
    let res = get_with_host(&scenario(), "Example.NET").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("http://www.Example.NET/"));
}

#[tokio::test]
async fn www_redirect_keeps_the_path_exactly_as_sent() {
    let res = scenario()
        .get("/a%2Fb/caf%C3%A9?q=%20")
        .header("host", "example.net")
        .await;
    assert_eq!(
        res.header("location"),
        Some("http://www.example.net/a%2Fb/caf%C3%A9?q=%20")
    );
}

#[tokio::test]
async fn www_redirect_applies_to_post_with_307() {
    let res = scenario().post("/").header("host", "example.net").await;
    assert_eq!(res.status(), 307);
}

#[tokio::test]
async fn www_redirect_needs_the_www_host_listed_exactly() {
    let client = client_for(TrustedHost::new().allowed_hosts(["*.example.net"]));
    assert_refused(&get_with_host(&client, "example.net").await);
    // `www.www.example.net` is not listed either.
    assert_refused(&get_with_host(&scenario(), "www.www.example.net").await);
}

#[tokio::test]
async fn www_redirect_can_be_turned_off() {
    let client = client_for(
        TrustedHost::new()
            .allowed_hosts(["www.example.net"])
            .www_redirect(false),
    );
    assert_refused(&get_with_host(&client, "example.net").await);
    assert_eq!(
        get_with_host(&client, "www.example.net").await.status(),
        200
    );
}

#[tokio::test]
async fn www_redirect_is_not_offered_for_a_malformed_or_duplicate_host() {
    let client = scenario();
    assert_refused(&get_with_host(&client, "example.net:").await);
    let res = client
        .get("/")
        .header("host", "example.net")
        .header("host", "example.net")
        .await;
    assert_refused(&res);
}

#[test]
fn misplaced_wildcard_fails_the_build() {
    for pattern in [
        "*example.com",
        "example.*",
        "a.*.example.com",
        "**.example.com",
    ] {
        let err = TestClient::try_new(app(TrustedHost::new().allowed_hosts([pattern])))
            .expect_err(pattern);
        let message = err.to_string();
        assert!(message.contains("TrustedHost"), "{message}");
        assert!(message.contains(pattern), "{message}");
        assert!(message.contains("'*.example.com'"), "{message}");
    }
}

#[test]
fn patterns_that_can_never_match_fail_the_build() {
    for pattern in [
        "",
        "example.com:8000",
        "::1",
        "https://example.com",
        "a b",
        "*.",
    ] {
        let result = TestClient::try_new(app(TrustedHost::new().allowed_hosts([pattern])));
        assert!(result.is_err(), "{pattern:?}");
    }
}

// ---------------------------------------------------------------- properties

/// Starlette's algorithm, written as plainly as possible: the host grammar
/// of its `parse_host_header` as a regular expression (plus a real IPv6
/// check), then `==` or `endswith` on lower-case text.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    Allowed,
    WwwRedirect,
    Refused,
}

fn model(patterns: &[String], host_header: &str) -> Expected {
    static GRAMMAR: OnceLock<Regex> = OnceLock::new();
    let grammar = GRAMMAR.get_or_init(|| {
        Regex::new(r"(?i)^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$").expect("regex")
    });
    let patterns: Vec<String> = patterns.iter().map(|p| p.to_lowercase()).collect();
    if patterns.iter().any(|p| p == "*") {
        return Expected::Allowed;
    }
    let Some(found) = grammar.captures(host_header) else {
        return Expected::Refused;
    };
    let host = found[1].to_lowercase();
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if inner.parse::<Ipv6Addr>().is_err() {
            return Expected::Refused;
        }
    }
    for pattern in &patterns {
        if host == *pattern || (pattern.starts_with('*') && host.ends_with(&pattern[1..])) {
            return Expected::Allowed;
        }
    }
    if patterns.iter().any(|p| *p == format!("www.{host}")) {
        Expected::WwwRedirect
    } else {
        Expected::Refused
    }
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("example".to_owned()),
        Just("EXAMPLE".to_owned()),
        Just("www".to_owned()),
        Just("com".to_owned()),
        Just("net".to_owned()),
        Just("a".to_owned()),
        Just("b-c".to_owned()),
        Just("127".to_owned()),
        Just(String::new()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..4).prop_map(|labels| labels.join("."))
}

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => name().prop_filter("a host", |n| !n.is_empty() && !n.contains("..") && !n.starts_with('.') && !n.ends_with('.')),
        3 => name().prop_filter("a domain", |n| !n.is_empty() && !n.contains("..") && !n.starts_with('.') && !n.ends_with('.'))
            .prop_map(|n| format!("*.{n}")),
        1 => Just("[::1]".to_owned()),
        1 => Just("[2001:db8::1]".to_owned()),
        1 => Just("www.example.com".to_owned()),
        1 => Just("*".to_owned()),
    ]
}

fn host_header() -> impl Strategy<Value = String> {
    let port = prop_oneof![
        Just(String::new()),
        Just(":80".to_owned()),
        Just(":8080".to_owned()),
        Just(":000443".to_owned()),
        Just(":65535".to_owned()),
        Just(":65536".to_owned()),
        Just(":".to_owned()),
        Just(":x".to_owned()),
        Just(":1:2".to_owned()),
    ];
    let host = prop_oneof![
        6 => name(),
        2 => name().prop_map(|n| format!("{n}.")),
        1 => Just("[::1]".to_owned()),
        1 => Just("[0:0::1]".to_owned()),
        1 => Just("[2001:DB8::1]".to_owned()),
        1 => Just("[:::]".to_owned()),
        1 => Just("[::1".to_owned()),
        1 => Just("::1".to_owned()),
        2 => "[a-zA-Z0-9.:\\[\\]@/ _%-]{0,12}",
    ];
    (host, port).prop_map(|(host, port)| format!("{host}{port}"))
}

/// Whether `host` ends in a port of digits past 65535 (leading zeros
/// aside).
fn port_out_of_range(host: &str) -> bool {
    let Some((_, port)) = host.rsplit_once(':') else {
        return false;
    };
    let digits = port.trim_start_matches('0');
    !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() > 5 || digits.parse::<u32>().is_ok_and(|p| p > 65535))
}

proptest! {
    #![proptest_config(support::cases(256))]

    /// The middleware agrees with the model on every host: it never lets a
    /// host through that the model refuses, and it redirects only where the
    /// model would, to the `www.` form of exactly the host that was sent.
    #[test]
    fn never_lets_a_disallowed_host_through(
        patterns in prop::collection::vec(pattern(), 0..4),
        host in host_header(),
        www in any::<bool>(),
    ) {
        let client = client_for(TrustedHost::new().allowed_hosts(&patterns).www_redirect(www));
        let res = support::runtime().block_on(get_with_host(&client, &host));
        let expected = match model(&patterns, &host) {
            Expected::WwwRedirect if !www => Expected::Refused,
            other => other,
        };
        match expected {
            Expected::Allowed => {
                prop_assert_eq!(res.status(), 200);
                prop_assert_eq!(res.text(), format!("ok {host}"));
            }
            Expected::WwwRedirect => {
                prop_assert_eq!(res.status(), 307);
                // A port past 65535 is no port: Starlette's `URL(scope)`
                // names the server's address instead.
                let netloc = if port_out_of_range(&host) { "127.0.0.1" } else { host.as_str() };
                let location = format!("http://www.{netloc}/");
                prop_assert_eq!(res.header("location"), Some(location.as_str()));
            }
            Expected::Refused => {
                prop_assert_eq!(res.status(), 400);
                prop_assert_eq!(res.text(), "Invalid host header");
            }
        }
    }

    /// Two `Host` lines are refused, whatever they say.
    #[test]
    fn duplicate_host_headers_are_always_refused(
        patterns in prop::collection::vec(pattern(), 1..4),
        first in host_header(),
        second in host_header(),
    ) {
        prop_assume!(!patterns.iter().any(|p| p == "*"));
        let client = client_for(TrustedHost::new().allowed_hosts(&patterns));
        let res = support::runtime().block_on(async {
            client
                .get("/")
                .raw_header("host", first.as_bytes())
                .raw_header("host", second.as_bytes())
                .await
        });
        prop_assert_eq!(res.status(), 400);
    }
}

/// Starlette's host grammar is RFC 3986's reg-name: `_`, `~`, `%` and the
/// sub-delimiters are name characters (a docker-compose service such as
/// `my_service` is a host).
#[tokio::test]
async fn names_with_reg_name_characters_are_hosts() {
    let client = client_for(TrustedHost::new().allowed_hosts(["*.example.com", "my_service"]));
    for host in [
        "a_b.example.com",
        "a~b.example.com",
        "a%41.example.com",
        "x!$&'()*+,;=.example.com",
        "my_service:8080",
        "MY_SERVICE",
    ] {
        assert_eq!(get_with_host(&client, host).await.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn the_www_redirect_names_the_host_as_starlette_does() {
    let client = client_for(TrustedHost::new().allowed_hosts(["www.example.net"]));
    // A port above 65535 is no port: the server's own address stands in.
    let res = get_with_host(&client, "example.net:99999").await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("http://www.127.0.0.1/"));
    // A WebSocket handshake is sent to `ws://`.
    let app = App::new()
        .websocket("/p", |_ws: sluice::websocket::WebSocket| async {})
        .add_middleware(TrustedHost::new().allowed_hosts(["www.example.net"]));
    let res = TestClient::new(app)
        .websocket("/p")
        .header("host", "example.net:8080")
        .await
        .expect_err("redirected");
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("ws://www.example.net:8080/p"));
}
