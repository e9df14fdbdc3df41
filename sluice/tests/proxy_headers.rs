//! `ProxyHeaders`: uvicorn 0.54's `ProxyHeadersMiddleware`, and everything
//! that reads the client and scheme it sets. Each expectation below was
//! checked against uvicorn 0.54 (`--proxy-headers --forwarded-allow-ips
//! 127.0.0.1`) with the same request.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use sluice::middleware::{AccessLog, HttpsRedirect, ProxyHeaders, TrustedHost};
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, ClientAddr, Request};

async fn whoami(req: Request) -> sluice::Json<Value> {
    let client = req.client().map(|c| c.host().into_owned());
    let port = req.client().and_then(|c| c.port());
    sluice::Json(json!({ "client": client, "port": port, "scheme": req.scheme() }))
}

async fn extracted(client: ClientAddr) -> String {
    client.to_string()
}

fn app(proxy: ProxyHeaders) -> App {
    App::new()
        .get("/whoami", whoami)
        .get("/extracted", extracted)
        .add_middleware(proxy)
}

fn from(peer: &str, proxy: ProxyHeaders) -> TestClient {
    TestClient::new(app(proxy)).client_addr(peer.parse().expect("a socket address"))
}

/// The default: trusts 127.0.0.1, which is where TestClient's requests
/// come from.
fn local() -> TestClient {
    from("127.0.0.1:50000", ProxyHeaders::new())
}

fn seen(res: &TestResponse) -> (Value, Value) {
    let body = res.json::<Value>();
    (body["client"].clone(), body["scheme"].clone())
}

async fn client_for(xff: &[&str]) -> Value {
    let mut req = local().get("/whoami");
    for line in xff {
        req = req.header("x-forwarded-for", *line);
    }
    req.await.json::<Value>()["client"].clone()
}

async fn scheme_for(xfp: &[&str]) -> Value {
    let mut req = local().get("/whoami");
    for line in xfp {
        req = req.header("x-forwarded-proto", *line);
    }
    req.await.json::<Value>()["scheme"].clone()
}

#[tokio::test]
async fn without_headers_the_peer_is_the_client() {
    let res = local().get("/whoami").await;
    assert_eq!(seen(&res), (json!("127.0.0.1"), json!("http")));
    assert_eq!(res.json::<Value>()["port"], 50000);
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_peer_sets_the_client() {
    assert_eq!(client_for(&["203.0.113.9"]).await, "203.0.113.9");
}

#[tokio::test]
async fn the_rightmost_untrusted_entry_is_the_client() {
    assert_eq!(client_for(&["5.6.7.8, 1.2.3.4"]).await, "1.2.3.4");
    assert_eq!(client_for(&["1.2.3.4, 127.0.0.1"]).await, "1.2.3.4");
    assert_eq!(
        client_for(&["1.2.3.4,127.0.0.1,127.0.0.1"]).await,
        "1.2.3.4"
    );
}

#[tokio::test]
async fn when_every_entry_is_trusted_the_leftmost_is_the_client() {
    assert_eq!(client_for(&["127.0.0.1, 127.0.0.1"]).await, "127.0.0.1");
    let client = from(
        "10.0.0.1:1",
        ProxyHeaders::new().trusted(["10.0.0.0/8", "127.0.0.1"]),
    );
    let res = client
        .get("/whoami")
        .header("x-forwarded-for", "10.9.9.9, 127.0.0.1, 10.0.0.2")
        .await;
    assert_eq!(seen(&res).0, "10.9.9.9");
}

#[tokio::test]
async fn all_forwarded_for_headers_are_joined() {
    assert_eq!(client_for(&["1.2.3.4", "127.0.0.1"]).await, "1.2.3.4");
    assert_eq!(client_for(&["1.2.3.4", "5.6.7.8"]).await, "5.6.7.8");
    assert_eq!(client_for(&["1.2.3.4,", ""]).await, "127.0.0.1");
}

#[tokio::test]
async fn ports_and_brackets_are_split_off() {
    let res = local()
        .get("/whoami")
        .header("x-forwarded-for", "1.2.3.4:5678")
        .await;
    assert_eq!(seen(&res).0, "1.2.3.4");
    assert_eq!(res.json::<Value>()["port"], 5678);
    assert_eq!(client_for(&["[2001:db8::1]:5678"]).await, "2001:db8::1");
    assert_eq!(client_for(&["[2001:db8::1]"]).await, "2001:db8::1");
    assert_eq!(client_for(&["2001:DB8::1"]).await, "2001:DB8::1");
    // A trusted proxy written with a port or brackets is still trusted.
    assert_eq!(client_for(&["1.2.3.4, 127.0.0.1:80"]).await, "1.2.3.4");
    assert_eq!(client_for(&["1.2.3.4, [127.0.0.1]:80"]).await, "1.2.3.4");
}

#[tokio::test]
async fn an_entry_that_is_not_an_address_is_taken_as_it_is() {
    assert_eq!(client_for(&["not-an-ip"]).await, "not-an-ip");
    assert_eq!(client_for(&["1.2.3.4:notaport"]).await, "1.2.3.4:notaport");
    assert_eq!(client_for(&["1.2.3.4:"]).await, "1.2.3.4:");
    assert_eq!(client_for(&["[::1"]).await, "[::1");
    assert_eq!(client_for(&["[::1]x"]).await, "[::1]x");
    assert_eq!(client_for(&["[::1]:abc"]).await, "::1");
    assert_eq!(client_for(&["a b"]).await, "a b");
    // Python's int() rules for the port: sign, underscores, spaces.
    assert_eq!(client_for(&["1.2.3.4:+80"]).await, "1.2.3.4");
    assert_eq!(client_for(&["1.2.3.4:8_0"]).await, "1.2.3.4");
    assert_eq!(client_for(&["1.2.3.4:8__0"]).await, "1.2.3.4:8__0");
    assert_eq!(client_for(&["1.2.3.4:99999"]).await, "1.2.3.4");
}

#[tokio::test]
async fn an_empty_rightmost_entry_leaves_the_client_unchanged() {
    for xff in ["1.2.3.4, ", "", "  ", ",,", ":80", "[]", "127.0.0.1,"] {
        assert_eq!(client_for(&[xff]).await, "127.0.0.1", "{xff:?}");
    }
    assert_eq!(client_for(&[", 1.2.3.4"]).await, "1.2.3.4");
}

#[tokio::test]
async fn latin1_bytes_are_read_as_latin1() {
    let res = local()
        .get("/whoami")
        .raw_header("x-forwarded-for", b"caf\xe9")
        .await;
    assert_eq!(seen(&res).0, "café");
}

#[tokio::test]
async fn forwarded_proto_must_be_exact() {
    for proto in ["http", "https", "ws", "wss"] {
        assert_eq!(scheme_for(&[proto]).await, proto);
    }
    assert_eq!(scheme_for(&[" https "]).await, "https");
    for ignored in ["HTTPS", "https, http", "ftp", "", "Wss"] {
        assert_eq!(scheme_for(&[ignored]).await, "http", "{ignored:?}");
    }
}

#[tokio::test]
async fn the_last_forwarded_proto_header_counts() {
    assert_eq!(scheme_for(&["http", "https"]).await, "https");
    assert_eq!(scheme_for(&["https", "http"]).await, "http");
    assert_eq!(scheme_for(&["https", "bogus"]).await, "http");
}

/// The scheme the stack saw, in `x-scheme`: a handshake never reaches the
/// HTTP route, but the layers on its way see it.
async fn tell_scheme(req: Request, next: sluice::Next) -> sluice::Response {
    let scheme = sluice::http::HeaderValue::from_str(req.scheme()).expect("a scheme");
    let mut res = next.run(req).await;
    res.headers_mut().insert("x-scheme", scheme);
    res
}

#[tokio::test]
async fn a_websocket_handshake_gets_a_websocket_scheme() {
    let client = TestClient::new(
        App::new()
            .get("/whoami", whoami)
            .middleware(tell_scheme)
            .add_middleware(ProxyHeaders::new()),
    )
    .client_addr("127.0.0.1:50000".parse().expect("a socket address"));
    let res = client
        .get("/whoami")
        .header("x-forwarded-proto", "https")
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .await;
    // No WebSocket route there: refused as uvicorn refuses it.
    assert_eq!(res.status(), 403);
    assert_eq!(res.header("x-scheme"), Some("wss"));
    // `Upgrade` alone is no handshake (uvicorn serves it as plain HTTP),
    // and neither is an `Upgrade` whose last line is not just `websocket`
    // (uvicorn reads the last line).
    let upgrades: [&[&str]; 3] = [&[], &["websocket, h2c"], &["websocket", "h2c"]];
    for (i, lines) in upgrades.iter().enumerate() {
        let mut req = client.get("/whoami").header("x-forwarded-proto", "https");
        if i == 0 {
            req = req.header("upgrade", "websocket");
        } else {
            req = req.header("connection", "upgrade");
        }
        for line in *lines {
            req = req.header("upgrade", *line);
        }
        let res = req.await;
        assert_eq!(res.status(), 200, "{lines:?}");
        assert_eq!(seen(&res).1, "https", "{lines:?}");
    }
}

/// A dual-stack socket shows an IPv4 peer as `::ffff:a.b.c.d`: it is
/// trusted when listed in either form (uvicorn looks up the form it has).
#[tokio::test]
async fn a_v4_mapped_peer_is_trusted_in_either_form() {
    for (trusted, peer) in [
        ("::ffff:127.0.0.1", "[::ffff:127.0.0.1]:5"),
        ("::ffff:0:0/96", "[::ffff:10.0.0.1]:5"),
        ("::/0", "[::ffff:10.0.0.1]:5"),
        ("10.0.0.1", "[::ffff:10.0.0.1]:5"),
    ] {
        let res = from(peer, ProxyHeaders::new().trusted([trusted]))
            .get("/whoami")
            .header("x-forwarded-for", "1.2.3.4")
            .header("x-forwarded-proto", "https")
            .await;
        assert_eq!(
            seen(&res),
            (json!("1.2.3.4"), json!("https")),
            "{trusted} {peer}"
        );
    }
}

#[tokio::test]
async fn an_untrusted_peer_changes_nothing() {
    let client = from("192.0.2.1:4000", ProxyHeaders::new());
    let res = client
        .get("/whoami")
        .header("x-forwarded-for", "1.2.3.4")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "for=5.6.7.8;proto=https")
        .await;
    assert_eq!(seen(&res), (json!("192.0.2.1"), json!("http")));
}

#[tokio::test]
async fn star_trusts_every_peer_and_takes_the_leftmost_entry() {
    let client = from("192.0.2.1:4000", ProxyHeaders::new().trusted(["*"]));
    let res = client
        .get("/whoami")
        .header("x-forwarded-for", "1.1.1.1, 2.2.2.2")
        .await;
    assert_eq!(seen(&res).0, "1.1.1.1");
}

#[tokio::test]
async fn max_hops_reads_only_the_last_entries() {
    let client = from(
        "192.0.2.1:4000",
        ProxyHeaders::new().trusted(["*"]).max_hops(2),
    );
    let res = client
        .get("/whoami")
        .header("x-forwarded-for", "6.6.6.6, 1.1.1.1, 10.0.0.5")
        .await;
    assert_eq!(seen(&res).0, "1.1.1.1");
    let client = from(
        "10.0.0.1:4000",
        ProxyHeaders::new().trusted(["10.0.0.0/8"]).max_hops(1),
    );
    let res = client
        .get("/whoami")
        .header("x-forwarded-for", "6.6.6.6, 10.0.0.5")
        .await;
    assert_eq!(seen(&res).0, "10.0.0.5");
}

#[tokio::test]
async fn literal_names_are_trusted_as_text() {
    let client = from(
        "10.0.0.1:4000",
        ProxyHeaders::new().trusted(["10.0.0.1", "_edge"]),
    );
    let res = client
        .get("/whoami")
        .header("x-forwarded-for", "9.9.9.9, _edge")
        .await;
    assert_eq!(seen(&res).0, "9.9.9.9");
}

#[tokio::test]
async fn comma_separated_lists_are_accepted_as_uvicorn_takes_them() {
    let client = from(
        "10.0.0.1:4000",
        ProxyHeaders::new().trusted(["127.0.0.1, 10.0.0.0/8"]),
    );
    let res = client
        .get("/whoami")
        .header("x-forwarded-for", "8.8.8.8")
        .await;
    assert_eq!(seen(&res).0, "8.8.8.8");
}

#[tokio::test]
async fn rfc7239_forwarded_is_read_when_asked() {
    let client = from("127.0.0.1:1", ProxyHeaders::new().forwarded(true));
    let res = client
        .get("/whoami")
        .header(
            "forwarded",
            r#"for="[2001:db8::7]:4711";proto=https, for=127.0.0.1"#,
        )
        .header("x-forwarded-for", "6.6.6.6")
        .await;
    assert_eq!(seen(&res), (json!("2001:db8::7"), json!("https")));
    assert_eq!(res.json::<Value>()["port"], 4711);
    let res = client
        .get("/whoami")
        .header("forwarded", "for=_hidden;proto=HTTPS")
        .await;
    assert_eq!(seen(&res), (json!("_hidden"), json!("https")));
    let res = client
        .get("/whoami")
        .header("forwarded", "for=unknown")
        .header("forwarded", "for=192.0.2.60;by=203.0.113.43")
        .await;
    assert_eq!(seen(&res).0, "192.0.2.60");
    // Only the scheme: the client stays the peer.
    let res = client
        .get("/whoami")
        .header("forwarded", "proto=https")
        .await;
    assert_eq!(seen(&res), (json!("127.0.0.1"), json!("https")));
}

#[tokio::test]
async fn malformed_forwarded_elements_change_nothing() {
    let client = from("127.0.0.1:1", ProxyHeaders::new().forwarded(true));
    for value in [
        "for=2001:db8::1",
        "for=example.com",
        "for=\"1.2.3.4",
        "for=1.2.3.4;for=5.6.7.8",
        "for = 1.2.3.4",
        "for=1.2.3.4:99999",
        "for=[::1",
        "garbage",
    ] {
        let res = client.get("/whoami").header("forwarded", value).await;
        assert_eq!(seen(&res), (json!("127.0.0.1"), json!("http")), "{value}");
    }
    // A malformed element behind good ones: the good ones still count.
    let res = client
        .get("/whoami")
        .header("forwarded", "garbage, for=1.2.3.4")
        .await;
    assert_eq!(seen(&res).0, "1.2.3.4");
}

#[tokio::test]
async fn the_client_extractor_and_the_access_log_see_the_forwarded_client() {
    let res = local()
        .get("/extracted")
        .header("x-forwarded-for", "[2001:db8::1]:443")
        .await;
    assert_eq!(res.text(), "[2001:db8::1]:443");
    let app = app(ProxyHeaders::new())
        .add_middleware(AccessLog::new())
        .add_middleware(ProxyHeaders::new());
    let res = TestClient::new(app)
        .get("/extracted")
        .header("x-forwarded-for", "1.2.3.4")
        .await;
    assert_eq!(res.text(), "1.2.3.4");
}

#[tokio::test]
async fn the_https_redirect_follows_the_forwarded_scheme() {
    let app = App::new()
        .get("/", || async { "ok" })
        .add_middleware(HttpsRedirect::new())
        .add_middleware(ProxyHeaders::new());
    let client = TestClient::new(app);
    let res = client.get("/a?b=1").header("host", "example.com").await;
    assert_eq!(res.header("location"), Some("https://example.com/a?b=1"));
    let res = client.get("/").header("x-forwarded-proto", "https").await;
    assert_eq!(res.text(), "ok");
}

#[tokio::test]
async fn the_slash_and_www_redirects_keep_the_forwarded_scheme() {
    let app = App::new()
        .get("/items", || async { "items" })
        .add_middleware(TrustedHost::new().allowed_hosts(["www.example.com"]))
        .add_middleware(ProxyHeaders::new());
    let client = TestClient::new(app);
    let res = client
        .get("/items/")
        .header("host", "www.example.com")
        .header("x-forwarded-proto", "https")
        .await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("https://www.example.com/items")
    );
    let res = client
        .get("/items")
        .header("host", "example.com")
        .header("x-forwarded-proto", "https")
        .await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("https://www.example.com/items")
    );
}

#[test]
fn entries_that_can_never_match_fail_the_build() {
    for bad in [
        "10.0.0",
        "10.0.0.0/33",
        "10.0.0.1/8",
        "10.0.0.1:80",
        "[::1]",
        "localhost",
        "",
        "127.0.0.1,",
    ] {
        let err = TestClient::try_new(app(ProxyHeaders::new().trusted([bad]))).expect_err(bad);
        assert!(err.to_string().contains("ProxyHeaders"), "{err}");
    }
    let err = TestClient::try_new(app(ProxyHeaders::new().trusted(["*", "10.0.0.1"])))
        .expect_err("* with others");
    assert!(err.to_string().contains('*'), "{err}");
    assert!(TestClient::try_new(app(ProxyHeaders::new().max_hops(0))).is_err());
    for good in [
        "10.0.0.0/8",
        "::1",
        "fe80::1%eth0",
        "/tmp/proxy.sock",
        "_edge",
        "*",
    ] {
        assert!(
            TestClient::try_new(app(ProxyHeaders::new().trusted([good]))).is_ok(),
            "{good}"
        );
    }
}

#[tokio::test]
async fn the_message_for_a_network_with_host_bits_names_the_fix() {
    let err = TestClient::try_new(app(ProxyHeaders::new().trusted(["10.1.2.3/8"])))
        .expect_err("host bits");
    assert!(err.to_string().contains("10.0.0.0/8"), "{err}");
}

// ---------------------------------------------------------------- properties

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

/// Forwarded-header values: addresses, ports, brackets, junk and bytes.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"1.2.3.4".to_vec()),
        Just(b"127.0.0.1, 10.0.0.1".to_vec()),
        Just(b"[2001:db8::1]:80, 10.0.0.1:1".to_vec()),
        Just(b"for=1.2.3.4;proto=https".to_vec()),
        Just(b"https".to_vec()),
        prop::collection::vec(prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff], 0..24),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever forwarded headers a peer sends, when it is not trusted the
    /// client and scheme stay its own; and a trusted peer's headers never
    /// cause an error response.
    #[test]
    fn an_untrusted_peer_never_changes_the_client(
        last in 1u8..=254,
        xff in header_bytes(),
        xfp in header_bytes(),
        fwd in header_bytes(),
        rfc7239 in any::<bool>(),
    ) {
        let peer = format!("192.0.2.{last}:5000");
        let proxies = ProxyHeaders::new().trusted(["10.0.0.0/8", "_edge"]).forwarded(rfc7239);
        let (res, trusted_res) = runtime().block_on(async {
            let untrusted = from(&peer, proxies.clone());
            let res = untrusted
                .get("/whoami")
                .raw_header("x-forwarded-for", &xff)
                .raw_header("x-forwarded-proto", &xfp)
                .raw_header("forwarded", &fwd)
                .await;
            let trusted = from("10.0.0.9:5000", proxies);
            let trusted_res = trusted
                .get("/whoami")
                .raw_header("x-forwarded-for", &xff)
                .raw_header("x-forwarded-proto", &xfp)
                .raw_header("forwarded", &fwd)
                .await;
            (res, trusted_res)
        });
        prop_assert_eq!(res.status(), 200);
        prop_assert_eq!(seen(&res), (json!(peer.split(':').next()), json!("http")));
        prop_assert_eq!(res.json::<Value>()["port"].clone(), json!(5000));
        prop_assert_eq!(trusted_res.status(), 200);
    }
}
