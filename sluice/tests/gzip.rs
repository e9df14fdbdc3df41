//! `GZip`: Starlette 1.10's `GZipMiddleware` behaviour, and where sluice
//! does better (RFC 9110 negotiation, `no-transform`, weak ETags).

use std::convert::Infallible;
use std::io::{Read, Write};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use http_body_util::BodyExt;
use sluice::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use sluice::middleware::GZip;
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, AppService, Body, Bytes, Response, StatusCode};
use tower::ServiceExt;

const LARGE: usize = 4000;

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("a valid gzip body");
    out
}

/// A stream of `count` chunks of `size` bytes of `x`.
fn chunks(size: usize, count: usize) -> Body {
    Body::from_stream(stream::iter(
        (0..count).map(move |_| Ok::<_, Infallible>(Bytes::from(vec![b'x'; size]))),
    ))
}

/// The gzip scenario's routes (SCENARIOS.md).
fn app(gzip: GZip) -> App {
    App::new()
        .get("/large", || async { "x".repeat(LARGE) })
        .get("/small", || async { "x".repeat(10) })
        .get("/stream", || async {
            (
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                chunks(100, 10),
            )
        })
        .get("/encoded", || async {
            ([(CONTENT_ENCODING, "text")], "x".repeat(LARGE))
        })
        .get("/encoded-stream", || async {
            ([(CONTENT_ENCODING, "text")], chunks(400, 10))
        })
        .get("/events", || async {
            let event = format!("data: {}\n\n", "x".repeat(92));
            ([(CONTENT_TYPE, "text/event-stream")], event.repeat(40))
        })
        .add_middleware(gzip)
}

fn client() -> TestClient {
    TestClient::new(app(GZip::new()))
}

async fn get(client: &TestClient, path: &str, accept_encoding: &str) -> TestResponse {
    client
        .get(path)
        .header("accept-encoding", accept_encoding)
        .await
}

fn assert_gzipped(res: &TestResponse, expected: &[u8]) {
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("vary"), Some("Accept-Encoding"));
    assert_eq!(gunzip(res.bytes()), expected);
}

fn assert_identity_with_vary(res: &TestResponse, expected: &[u8]) {
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("vary"), Some("Accept-Encoding"));
    assert_eq!(&res.bytes()[..], expected);
}

fn assert_untouched(res: &TestResponse, expected: &[u8]) {
    assert_eq!(res.header("vary"), None);
    assert_eq!(&res.bytes()[..], expected);
}

#[tokio::test]
async fn large_body_is_gzipped_with_its_compressed_length_and_vary() {
    let res = get(&client(), "/large", "gzip").await;
    assert_gzipped(&res, &[b'x'; LARGE]);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let length: usize = res
        .header("content-length")
        .expect("a length")
        .parse()
        .expect("a number");
    assert_eq!(length, res.bytes().len());
    assert!(
        length < 100,
        "4000 x compress to a few dozen bytes, not {length}"
    );
}

#[tokio::test]
async fn client_without_accept_encoding_gets_the_body_as_is_with_vary() {
    let res = client().get("/large").await;
    assert_identity_with_vary(&res, &[b'x'; LARGE]);
    assert_eq!(res.header("content-length"), Some("4000"));
}

#[tokio::test]
async fn accept_encoding_identity_gets_the_body_as_is_with_vary() {
    let res = get(&client(), "/large", "identity").await;
    assert_identity_with_vary(&res, &[b'x'; LARGE]);
    assert_eq!(res.header("content-length"), Some("4000"));
}

#[tokio::test]
async fn deflate_only_gets_the_body_as_is_with_vary() {
    let res = get(&client(), "/large", "deflate").await;
    assert_identity_with_vary(&res, &[b'x'; LARGE]);
}

#[tokio::test]
async fn small_body_is_left_alone_without_vary() {
    let res = get(&client(), "/small", "gzip").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("content-length"), Some("10"));
    assert_untouched(&res, b"xxxxxxxxxx");
}

#[tokio::test]
async fn minimum_size_is_inclusive() {
    let app = App::new()
        .get("/499", || async { "x".repeat(499) })
        .get("/500", || async { "x".repeat(500) })
        .add_middleware(GZip::new());
    let client = TestClient::new(app);
    assert_untouched(&get(&client, "/499", "gzip").await, &[b'x'; 499]);
    assert_gzipped(&get(&client, "/500", "gzip").await, &[b'x'; 500]);
}

#[tokio::test]
async fn minimum_size_zero_compresses_even_an_empty_body() {
    let app = App::new()
        .get("/", || async { "" })
        .add_middleware(GZip::new().minimum_size(0));
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_gzipped(&res, b"");
}

#[tokio::test]
async fn existing_vary_is_merged() {
    let app = App::new()
        .get("/", || async { ([("vary", "Cookie")], "x".repeat(LARGE)) })
        .add_middleware(GZip::new());
    let client = TestClient::new(app);
    let res = get(&client, "/", "gzip").await;
    assert_eq!(res.header_all("vary"), ["Cookie, Accept-Encoding"]);
    let res = get(&client, "/", "br").await;
    assert_eq!(res.header_all("vary"), ["Cookie, Accept-Encoding"]);
}

#[tokio::test]
async fn response_with_content_encoding_is_left_alone_without_vary() {
    let client = client();
    let res = get(&client, "/encoded", "gzip, text").await;
    assert_eq!(res.header("content-encoding"), Some("text"));
    assert_eq!(res.header("content-length"), Some("4000"));
    assert_untouched(&res, &[b'x'; LARGE]);
    let res = get(&client, "/encoded-stream", "gzip, text").await;
    assert_eq!(res.header("content-encoding"), Some("text"));
    assert_eq!(res.header("content-length"), None);
    assert_untouched(&res, &[b'x'; LARGE]);
}

#[tokio::test]
async fn partial_content_is_left_alone() {
    let app = App::new()
        .get("/", || async {
            (
                StatusCode::PARTIAL_CONTENT,
                [("content-range", "bytes 0-3999/8000")],
                "x".repeat(LARGE),
            )
        })
        .add_middleware(GZip::new());
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.header("content-encoding"), None);
    assert_untouched(&res, &[b'x'; LARGE]);
}

#[tokio::test]
async fn no_content_and_not_modified_are_left_alone() {
    let app = App::new()
        .get("/204", || async { StatusCode::NO_CONTENT })
        .get("/304", || async {
            (StatusCode::NOT_MODIFIED, [("etag", "\"v1\"")], "")
        })
        .add_middleware(GZip::new().minimum_size(0));
    let client = TestClient::new(app);
    for path in ["/204", "/304"] {
        let res = get(&client, path, "gzip").await;
        assert_eq!(res.header("content-encoding"), None, "{path}");
        assert_untouched(&res, b"");
    }
    let res = get(&client, "/304", "gzip").await;
    assert_eq!(res.header("etag"), Some("\"v1\""));
}

#[tokio::test]
async fn default_excluded_types_are_left_alone_without_vary() {
    let app = App::new()
        .get("/png", || async {
            ([(CONTENT_TYPE, "image/png")], "x".repeat(LARGE))
        })
        .get("/audio", || async {
            ([(CONTENT_TYPE, "audio/mpeg")], "x".repeat(LARGE))
        })
        .get("/grpc", || async {
            (
                [(CONTENT_TYPE, "application/grpc+proto")],
                "x".repeat(LARGE),
            )
        })
        .get("/sse", || async {
            (
                [(CONTENT_TYPE, "Text/Event-Stream; charset=utf-8")],
                "x".repeat(LARGE),
            )
        })
        .get("/svg", || async {
            ([(CONTENT_TYPE, "image/svg+xml")], "x".repeat(LARGE))
        })
        .add_middleware(GZip::new());
    let client = TestClient::new(app);
    for path in ["/png", "/audio", "/grpc", "/sse"] {
        let res = get(&client, path, "gzip").await;
        assert_eq!(res.header("content-encoding"), None, "{path}");
        assert_untouched(&res, &[b'x'; LARGE]);
    }
    assert_gzipped(&get(&client, "/svg", "gzip").await, &[b'x'; LARGE]);
}

#[tokio::test]
async fn exclude_content_types_replaces_the_default_list() {
    let app = App::new()
        .get("/json", || async {
            ([(CONTENT_TYPE, "application/json")], "x".repeat(LARGE))
        })
        .get("/sse", || async {
            ([(CONTENT_TYPE, "text/event-stream")], "x".repeat(LARGE))
        })
        .get("/text", || async { "x".repeat(LARGE) })
        .add_middleware(GZip::new().exclude_content_types(["Application/JSON", "text/csv"]));
    let client = TestClient::new(app);
    assert_untouched(&get(&client, "/json", "gzip").await, &[b'x'; LARGE]);
    assert_gzipped(&get(&client, "/sse", "gzip").await, &[b'x'; LARGE]);
    assert_gzipped(&get(&client, "/text", "gzip").await, &[b'x'; LARGE]);
}

#[tokio::test]
async fn invalid_settings_are_reported_when_the_app_is_built() {
    let err = TestClient::try_new(App::new().add_middleware(GZip::new().compress_level(10)))
        .expect_err("level 10 does not exist");
    assert!(err.to_string().contains("compress_level"), "{err}");
    let err = TestClient::try_new(
        App::new().add_middleware(GZip::new().exclude_content_types(["text/plain", "json"])),
    )
    .expect_err("`json` is not a media type");
    assert!(err.to_string().contains("\"json\""), "{err}");
}

#[tokio::test]
async fn streamed_body_is_gzipped_without_content_length() {
    let res = get(&client(), "/stream", "gzip").await;
    assert_gzipped(&res, &[b'x'; 1000]);
    assert_eq!(res.header("content-length"), None);
}

#[tokio::test]
async fn streamed_body_is_gzipped_whatever_its_size() {
    let app = App::new()
        .get("/", || async { chunks(5, 2) })
        .add_middleware(GZip::new());
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_gzipped(&res, b"xxxxxxxxxx");
}

#[tokio::test]
async fn streamed_body_for_a_client_without_gzip_is_as_is_with_vary() {
    let client = client();
    for accept in ["identity", "gzip;q=0", "deflate"] {
        let res = get(&client, "/stream", accept).await;
        assert_identity_with_vary(&res, &[b'x'; 1000]);
        assert_eq!(res.header("content-length"), None);
    }
}

#[tokio::test]
async fn server_sent_events_are_not_compressed() {
    let res = get(&client(), "/events", "gzip").await;
    let event = format!("data: {}\n\n", "x".repeat(92));
    assert_eq!(res.header("content-encoding"), None);
    assert_untouched(&res, event.repeat(40).as_bytes());
}

#[tokio::test]
async fn zero_weight_means_no_gzip() {
    let client = client();
    for accept in [
        "gzip;q=0",
        "gzip; q=0.0",
        "*, gzip;q=0",
        "*;q=0",
        "br, GZIP;Q=0",
    ] {
        let res = get(&client, "/large", accept).await;
        assert_identity_with_vary(&res, &[b'x'; LARGE]);
    }
}

#[tokio::test]
async fn codings_are_case_insensitive() {
    let client = client();
    for accept in ["GZIP", "GZip;q=0.5", "deflate, X-Gzip"] {
        assert_gzipped(&get(&client, "/large", accept).await, &[b'x'; LARGE]);
    }
}

#[tokio::test]
async fn any_coding_wildcard_gets_gzip() {
    let client = client();
    assert_gzipped(&get(&client, "/large", "*").await, &[b'x'; LARGE]);
    assert_gzipped(
        &get(&client, "/large", "identity;q=0.5, *").await,
        &[b'x'; LARGE],
    );
}

#[tokio::test]
async fn identity_preferred_over_gzip_is_respected() {
    let client = client();
    let res = get(&client, "/large", "identity, gzip;q=0.5").await;
    assert_identity_with_vary(&res, &[b'x'; LARGE]);
    let res = get(&client, "/large", "identity;q=0.5, gzip;q=0.8").await;
    assert_gzipped(&res, &[b'x'; LARGE]);
}

#[tokio::test]
async fn head_gets_the_headers_of_get() {
    let client = client();
    let full = get(&client, "/large", "gzip").await;
    let head = client
        .head("/large")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert_eq!(head.header("vary"), Some("Accept-Encoding"));
    assert_eq!(head.header("content-length"), full.header("content-length"));
    assert!(head.bytes().is_empty());

    let head = client.head("/large").await;
    assert_eq!(head.header("content-encoding"), None);
    assert_eq!(head.header("vary"), Some("Accept-Encoding"));
    assert_eq!(head.header("content-length"), Some("4000"));

    let head = client
        .head("/small")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(head.header("content-encoding"), None);
    assert_eq!(head.header("vary"), None);
    assert_eq!(head.header("content-length"), Some("10"));

    let head = client
        .head("/stream")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert_eq!(head.header("content-length"), None);
}

#[tokio::test]
async fn cache_control_no_transform_is_honoured() {
    let app = App::new()
        .get("/", || async {
            (
                [("cache-control", "public, No-Transform, max-age=60")],
                "x".repeat(LARGE),
            )
        })
        .add_middleware(GZip::new());
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_untouched(&res, &[b'x'; LARGE]);
}

#[tokio::test]
async fn strong_etag_is_weakened_on_a_compressed_response() {
    let app = App::new()
        .get("/strong", || async {
            ([("etag", "\"v1\"")], "x".repeat(LARGE))
        })
        .get("/weak", || async {
            ([("etag", "W/\"v1\"")], "x".repeat(LARGE))
        })
        .add_middleware(GZip::new());
    let client = TestClient::new(app);
    assert_eq!(
        get(&client, "/strong", "gzip").await.header("etag"),
        Some("W/\"v1\"")
    );
    assert_eq!(
        get(&client, "/strong", "identity").await.header("etag"),
        Some("\"v1\"")
    );
    assert_eq!(
        get(&client, "/weak", "gzip").await.header("etag"),
        Some("W/\"v1\"")
    );
}

#[tokio::test]
async fn error_responses_are_compressed_like_any_other() {
    let app = App::new()
        .get("/", || async { (StatusCode::NOT_FOUND, "x".repeat(LARGE)) })
        .add_middleware(GZip::new());
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(res.bytes()), [b'x'; LARGE]);
}

/// Sends `path` through the app as the server would, returning the
/// response with its body still streaming.
async fn send(app: &AppService, path: &str, accept_encoding: &str) -> Response {
    let req = sluice::http::Request::get(path)
        .header("accept-encoding", accept_encoding)
        .body(Body::empty())
        .expect("a valid request");
    app.clone().oneshot(req).await.expect("infallible")
}

/// The next data frame, or a panic if none comes within a second.
async fn next_data(body: &mut Body) -> Bytes {
    let frame = tokio::time::timeout(Duration::from_secs(1), body.frame())
        .await
        .expect("a frame arrives while the stream is still open")
        .expect("the body is not over")
        .expect("no error");
    frame.into_data().expect("a data frame")
}

/// A stream that sends `first` and then stays open, producing nothing.
fn first_then_silence(first: &'static str) -> Body {
    Body::from_stream(
        stream::once(async move { Ok::<_, Infallible>(Bytes::from_static(first.as_bytes())) })
            .chain(stream::pending()),
    )
}

#[tokio::test]
async fn server_sent_events_are_not_buffered() {
    let app = App::new()
        .get("/events", || async {
            (
                [(CONTENT_TYPE, "text/event-stream")],
                first_then_silence("data: hello\n\n"),
            )
        })
        .add_middleware(GZip::new())
        .build()
        .expect("a valid app");
    let res = send(&app, "/events", "gzip").await;
    assert_eq!(res.headers().get(CONTENT_ENCODING), None);
    let mut body = res.into_body();
    assert_eq!(next_data(&mut body).await, "data: hello\n\n");
}

#[tokio::test]
async fn each_chunk_of_a_compressed_stream_is_flushed_at_once() {
    let app = App::new()
        .get("/progress", || async {
            first_then_silence("step 1 of 3\n")
        })
        .add_middleware(GZip::new())
        .build()
        .expect("a valid app");
    let res = send(&app, "/progress", "gzip").await;
    assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
    let mut body = res.into_body();
    // The stream is still open, yet what arrived decodes to the first chunk.
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    decoder
        .write_all(&next_data(&mut body).await)
        .expect("valid gzip");
    decoder.flush().expect("flushes");
    assert_eq!(decoder.get_ref(), b"step 1 of 3\n");
}

/// 4 MiB of text that does not compress to nothing.
fn four_mib() -> Vec<u8> {
    let mut data = Vec::with_capacity(4 << 20);
    let mut i: u64 = 0;
    while data.len() < 4 << 20 {
        data.extend_from_slice(
            format!("line {i}: {}\n", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).as_bytes(),
        );
        i += 1;
    }
    data.truncate(4 << 20);
    data
}

#[tokio::test]
async fn large_whole_body_is_compressed_off_the_async_threads_correctly() {
    let data = four_mib();
    let body = data.clone();
    let app = App::new()
        .get("/", move || {
            let body = body.clone();
            async move { body }
        })
        .add_middleware(GZip::new().compress_level(1));
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let length: usize = res
        .header("content-length")
        .expect("a length")
        .parse()
        .expect("a number");
    assert_eq!(length, res.bytes().len());
    assert!(length < data.len() * 3 / 4, "compressed: {length} bytes");
    assert!(
        gunzip(res.bytes()) == data,
        "the round trip gives the body back"
    );
}

#[tokio::test]
async fn large_stream_chunks_are_compressed_off_the_async_threads_correctly() {
    let data = Bytes::from(four_mib());
    let body = data.clone();
    let app = App::new()
        .get("/", move || {
            let (a, b) = (body.slice(..1 << 20), body.slice(1 << 20..));
            async move { Body::from_stream(stream::iter([Ok::<_, Infallible>(a), Ok(b)])) }
        })
        .add_middleware(GZip::new().compress_level(1));
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("content-length"), None);
    assert!(
        gunzip(res.bytes()) == data,
        "the round trip gives the body back"
    );
}

/// Sends `GET path` while a ticker task counts how often it gets to run.
/// On a single-threaded runtime the ticker only runs while the request
/// waits: if compression ran inline, it would barely tick.
async fn ticks_during(client: &TestClient, path: &str) -> (TestResponse, u64) {
    use std::sync::atomic::{AtomicBool, Ordering};

    let done = AtomicBool::new(false);
    let request = async {
        let res = get(client, path, "gzip").await;
        done.store(true, Ordering::SeqCst);
        res
    };
    let ticker = async {
        let mut ticks = 0u64;
        while !done.load(Ordering::SeqCst) {
            ticks += 1;
            tokio::task::yield_now().await;
        }
        ticks
    };
    tokio::join!(request, ticker)
}

#[tokio::test(flavor = "current_thread")]
async fn a_large_body_does_not_block_the_runtime_while_it_is_compressed() {
    let body = Bytes::from(four_mib());
    let app = App::new()
        .get("/", move || {
            let body = body.clone();
            async move { body }
        })
        .add_middleware(GZip::new().compress_level(1));
    let (res, ticks) = ticks_during(&TestClient::new(app), "/").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(ticks > 1000, "the runtime was blocked: {ticks} ticks");
}

#[tokio::test(flavor = "current_thread")]
async fn a_large_stream_chunk_does_not_block_the_runtime_while_it_is_compressed() {
    let body = Bytes::from(four_mib());
    let app = App::new()
        .get("/", move || {
            let body = body.clone();
            async move { Body::from_stream(stream::iter([Ok::<_, Infallible>(body)])) }
        })
        .add_middleware(GZip::new().compress_level(1));
    let (res, ticks) = ticks_during(&TestClient::new(app), "/").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(ticks > 1000, "the runtime was blocked: {ticks} ticks");
}

/// A dependency with a cleanup, as most real routes have (a DB session).
struct Session;

impl sluice::Dependency for Session {
    async fn enter(
        _parts: &mut sluice::http::request::Parts,
        _cx: &sluice::RequestContext,
    ) -> sluice::Result<Self> {
        Ok(Session)
    }

    async fn exit(&self, _outcome: &sluice::Outcome) {}
}

fn lifecycle_app() -> App {
    App::new()
        .get("/tasks", |tasks: sluice::BackgroundTasks| async move {
            tasks.add(async {});
            sluice::Json(serde_json::json!({}))
        })
        .get("/dep", |_session: sluice::Dep<Session>| async {
            sluice::Json(serde_json::json!({}))
        })
        .get(
            "/large-tasks",
            |tasks: sluice::BackgroundTasks| async move {
                tasks.add(async {});
                "x".repeat(LARGE)
            },
        )
        .add_middleware(GZip::new())
}

#[tokio::test]
async fn small_body_of_a_route_with_background_tasks_is_left_alone() {
    let res = get(&TestClient::new(lifecycle_app()), "/tasks", "gzip").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("content-length"), Some("2"));
    assert_untouched(&res, b"{}");
}

#[tokio::test]
async fn small_body_of_a_route_with_a_dependency_is_left_alone() {
    let res = get(&TestClient::new(lifecycle_app()), "/dep", "gzip").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("content-length"), Some("2"));
    assert_untouched(&res, b"{}");
}

#[tokio::test]
async fn large_body_of_a_route_with_background_tasks_is_gzipped_whole() {
    let res = get(&TestClient::new(lifecycle_app()), "/large-tasks", "gzip").await;
    assert_gzipped(&res, &[b'x'; LARGE]);
    let length: usize = res
        .header("content-length")
        .expect("a whole body keeps its length")
        .parse()
        .expect("a number");
    assert_eq!(length, res.bytes().len());
}

pin_project_lite::pin_project! {
    /// A body wrapper that changes nothing, as a user's middleware might
    /// write one (to count bytes, say).
    struct PassThrough {
        #[pin]
        inner: Body,
    }
}

impl http_body::Body for PassThrough {
    type Data = Bytes;
    type Error = sluice::error::BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[tokio::test]
async fn small_body_wrapped_by_a_middleware_further_in_is_left_alone() {
    async fn wrap(req: sluice::Request, next: sluice::Next) -> Response {
        next.run(req)
            .await
            .map(|inner| Body::new(PassThrough { inner }))
    }
    let app = App::new()
        .get("/", || async { sluice::Json(serde_json::json!({})) })
        .middleware(wrap)
        .add_middleware(GZip::new());
    let res = get(&TestClient::new(app), "/", "gzip").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("content-length"), Some("2"));
    assert_untouched(&res, b"{}");
}
