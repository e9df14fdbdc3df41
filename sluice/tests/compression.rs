//! `Compression`: GZip's rules, negotiating `gzip`, `br` and `zstd` by the
//! client's weights, with the server preferring zstd, then br, then gzip.
#![cfg(all(feature = "br", feature = "zstd"))]

mod support;

use std::convert::Infallible;

use futures_util::stream;
use sluice::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use sluice::middleware::Compression;
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, Body, Bytes};
use support::bodies::{chunks, decode, four_mib};

const LARGE: usize = 4000;

fn app(compression: Compression) -> App {
    App::new()
        .get("/large", || async { "x".repeat(LARGE) })
        .get("/small", || async { "x".repeat(10) })
        .get("/stream", || async { chunks(100, 10) })
        .get("/events", || async {
            (
                [(CONTENT_TYPE, "text/event-stream")],
                "data: x\n\n".repeat(500),
            )
        })
        .get("/encoded", || async {
            ([(CONTENT_ENCODING, "text")], "x".repeat(LARGE))
        })
        .get("/etag", || async {
            ([("etag", "\"v1\"")], "x".repeat(LARGE))
        })
        .add_middleware(compression)
}

fn client() -> TestClient {
    TestClient::new(app(Compression::new()))
}

async fn get(client: &TestClient, path: &str, accept_encoding: &str) -> TestResponse {
    client
        .get(path)
        .header("accept-encoding", accept_encoding)
        .await
}

/// Checks the coding, the `Vary`, and the round trip.
async fn coding_for(client: &TestClient, path: &str, accept_encoding: &str) -> Option<String> {
    let res = get(client, path, accept_encoding).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("vary"),
        Some("Accept-Encoding"),
        "{accept_encoding}"
    );
    let expected = if path == "/stream" { 1000 } else { LARGE };
    assert_eq!(decode(&res), vec![b'x'; expected], "{accept_encoding}");
    res.header("content-encoding").map(str::to_owned)
}

#[tokio::test]
async fn ties_go_to_zstd_then_br_then_gzip() {
    let client = client();
    let cases = [
        ("gzip, deflate, br, zstd", Some("zstd")),
        ("gzip, deflate, br", Some("br")),
        ("br, gzip", Some("br")),
        ("gzip", Some("gzip")),
        ("*", Some("zstd")),
    ];
    for (accept, expected) in cases {
        assert_eq!(
            coding_for(&client, "/large", accept).await.as_deref(),
            expected,
            "{accept}"
        );
    }
}

#[tokio::test]
async fn the_highest_weight_wins() {
    let client = client();
    let cases = [
        ("gzip;q=1, br;q=0.5, zstd;q=0.4", Some("gzip")),
        ("zstd;q=0.1, br;q=0.2", Some("br")),
        ("zstd;q=0, br;q=0, *", Some("gzip")),
        ("ZSTD;Q=0.9, BR", Some("br")),
        ("*;q=0.5, gzip", Some("gzip")),
    ];
    for (accept, expected) in cases {
        assert_eq!(
            coding_for(&client, "/large", accept).await.as_deref(),
            expected,
            "{accept}"
        );
    }
}

#[tokio::test]
async fn nothing_acceptable_gets_the_body_as_is_with_vary() {
    let client = client();
    for accept in ["gzip;q=0, br;q=0, zstd;q=0", "deflate", "identity", "*;q=0"] {
        assert_eq!(
            coding_for(&client, "/large", accept).await,
            None,
            "{accept}"
        );
    }
    let res = client.get("/large").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("vary"), Some("Accept-Encoding"));
}

#[tokio::test]
async fn identity_preferred_over_every_coding_is_respected() {
    let client = client();
    assert_eq!(
        coding_for(&client, "/large", "identity, br;q=0.9, gzip;q=0.5").await,
        None
    );
    assert_eq!(
        coding_for(&client, "/large", "identity;q=0.5, br;q=0.9")
            .await
            .as_deref(),
        Some("br")
    );
}

#[tokio::test]
async fn whole_bodies_carry_the_compressed_length() {
    let client = client();
    for accept in ["gzip", "br", "zstd"] {
        let res = get(&client, "/large", accept).await;
        assert_eq!(res.header("content-encoding"), Some(accept));
        let length: usize = res
            .header("content-length")
            .expect("a length")
            .parse()
            .expect("a number");
        assert_eq!(length, res.bytes().len(), "{accept}");
        assert!(length < 100, "{accept}: {length}");
    }
}

#[tokio::test]
async fn streams_are_compressed_with_each_coding() {
    let client = client();
    for accept in ["gzip", "br", "zstd"] {
        assert_eq!(
            coding_for(&client, "/stream", accept).await.as_deref(),
            Some(accept)
        );
        let res = get(&client, "/stream", accept).await;
        assert_eq!(res.header("content-length"), None);
    }
}

#[tokio::test]
async fn disabled_codings_are_not_offered() {
    let client = TestClient::new(app(Compression::new().zstd(false)));
    let chrome = "gzip, deflate, br, zstd";
    assert_eq!(
        coding_for(&client, "/large", chrome).await.as_deref(),
        Some("br")
    );
    let client = TestClient::new(app(Compression::new().zstd(false).br(false)));
    assert_eq!(
        coding_for(&client, "/large", chrome).await.as_deref(),
        Some("gzip")
    );
    assert_eq!(coding_for(&client, "/large", "br").await, None);
    let client = TestClient::new(app(Compression::new()
        .gzip(false)
        .br(false)
        .zstd(false)
        .gzip_level(6)));
    assert_eq!(
        coding_for(&client, "/large", chrome).await.as_deref(),
        Some("gzip")
    );
}

#[tokio::test]
async fn levels_are_applied() {
    let text = Bytes::from(four_mib()).slice(..64 * 1024);
    let app = |compression: Compression| {
        let text = text.clone();
        App::new()
            .get("/text", move || {
                let text = text.clone();
                async move { text }
            })
            .add_middleware(compression)
    };
    let fast = TestClient::new(app(Compression::new()
        .gzip_level(0)
        .br_quality(0)
        .zstd_level(-5)));
    let default = TestClient::new(app(Compression::new()));
    for accept in ["gzip", "br", "zstd"] {
        let quick = get(&fast, "/text", accept).await;
        let small = get(&default, "/text", accept).await;
        assert!(
            quick.bytes().len() > small.bytes().len(),
            "{accept}: a faster level gives a bigger body"
        );
        assert!(decode(&quick) == text, "{accept}");
        assert!(decode(&small) == text, "{accept}");
    }
}

#[tokio::test]
async fn gzips_rules_apply() {
    let client = client();
    let chrome = "gzip, deflate, br, zstd";
    let small = get(&client, "/small", chrome).await;
    assert_eq!(small.header("content-encoding"), None);
    assert_eq!(small.header("vary"), None);
    let events = get(&client, "/events", chrome).await;
    assert_eq!(events.header("content-encoding"), None);
    assert_eq!(events.header("vary"), None);
    let encoded = get(&client, "/encoded", chrome).await;
    assert_eq!(encoded.header("content-encoding"), Some("text"));
    assert_eq!(encoded.header("vary"), None);
    let etag = get(&client, "/etag", chrome).await;
    assert_eq!(etag.header("content-encoding"), Some("zstd"));
    assert_eq!(etag.header("etag"), Some("W/\"v1\""));
}

#[tokio::test]
async fn head_gets_the_headers_of_get() {
    let client = client();
    for accept in ["gzip", "br", "zstd"] {
        let full = get(&client, "/large", accept).await;
        let head = client
            .head("/large")
            .header("accept-encoding", accept)
            .await;
        assert_eq!(head.header("content-encoding"), Some(accept));
        assert_eq!(head.header("content-length"), full.header("content-length"));
        assert!(head.bytes().is_empty());
    }
}

#[tokio::test]
async fn invalid_settings_are_reported_when_the_app_is_built() {
    for (compression, needle) in [
        (
            Compression::new().gzip(false).br(false).zstd(false),
            "every coding",
        ),
        (Compression::new().gzip_level(10), "gzip_level"),
        (Compression::new().br_quality(12), "br_quality"),
        (Compression::new().zstd_level(23), "zstd_level"),
        (Compression::new().exclude_content_types(["*/*"]), "\"*/*\""),
    ] {
        let err = TestClient::try_new(App::new().add_middleware(compression))
            .expect_err("an invalid setting");
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[tokio::test]
async fn large_bodies_round_trip_with_br_and_zstd() {
    let data = Bytes::from(four_mib());
    let whole = data.clone();
    let streamed = data.clone();
    let app = App::new()
        .get("/whole", move || {
            let body = whole.clone();
            async move { body }
        })
        .get("/stream", move || {
            let (a, b) = (streamed.slice(..1 << 20), streamed.slice(1 << 20..));
            async move { Body::from_stream(stream::iter([Ok::<_, Infallible>(a), Ok(b)])) }
        })
        .add_middleware(Compression::new().br_quality(1).zstd_level(1));
    let client = TestClient::new(app);
    for accept in ["br", "zstd"] {
        for path in ["/whole", "/stream"] {
            let res = get(&client, path, accept).await;
            assert_eq!(res.header("content-encoding"), Some(accept), "{path}");
            assert!(res.bytes().len() < data.len() * 3 / 4, "{accept} {path}");
            assert!(
                decode(&res) == data,
                "{accept} {path}: the round trip gives the body back"
            );
        }
    }
}
