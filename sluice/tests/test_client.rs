//! `TestClient` tells the truth: a failure anywhere in the app fails the
//! test (Starlette's `raise_server_exceptions`), unless the test opts out
//! to check the response; it follows redirects, decodes compressed bodies
//! and reports a body that broke off, when the test asks.

mod support;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use sluice::http::header::{CONTENT_ENCODING, LOCATION};
use sluice::middleware::ErrorHandler;
use sluice::routing::MethodRouter;
use sluice::testing::TestClient;
use sluice::{
    App, BackgroundTasks, Body, Dep, Dependency, IntoResponse, Json, Method, Next, Path, Query,
    Redirect, Request, Response, StatusCode,
};

async fn boom() -> sluice::Result<&'static str> {
    Err(sluice::Error::msg("database is gone"))
}

#[tokio::test]
#[should_panic(expected = "database is gone")]
async fn an_unhandled_handler_error_fails_the_test() {
    let _ = TestClient::new(App::new().get("/", boom)).get("/").await;
}

#[tokio::test]
#[should_panic(expected = "panicked: handler bug")]
async fn a_panicking_handler_fails_the_test() {
    let app = App::new().get("/", || async {
        if true {
            panic!("handler bug");
        }
        "never"
    });
    let _ = TestClient::new(app).get("/").await;
}

#[tokio::test]
#[should_panic(expected = "panicked: middleware bug")]
async fn a_panicking_middleware_fails_the_test() {
    async fn buggy(_req: Request, _next: Next) -> Response {
        panic!("middleware bug")
    }
    let app = App::new().get("/", || async { "" }).middleware(buggy);
    let _ = TestClient::new(app).get("/").await;
}

#[tokio::test]
#[should_panic(expected = "task failed")]
async fn a_failing_background_task_fails_the_test() {
    let app = App::new().get("/", |tasks: BackgroundTasks| async move {
        tasks.add(async { Err::<(), _>("task failed") });
        "ok"
    });
    let _ = TestClient::new(app).get("/").await;
}

struct Db;

impl Dependency for Db {
    async fn enter(
        _parts: &mut sluice::http::request::Parts,
        _cx: &sluice::RequestContext,
    ) -> sluice::Result<Self> {
        Ok(Db)
    }

    async fn exit(&self, _outcome: &sluice::Outcome) {
        panic!("cleanup bug");
    }
}

#[tokio::test]
#[should_panic(expected = "panicked: cleanup bug")]
async fn a_panicking_cleanup_fails_the_test() {
    let app = App::new().get("/", |_db: Dep<Db>| async { "ok" });
    let _ = TestClient::new(app).get("/").await;
}

#[tokio::test]
async fn opting_out_returns_the_500_the_client_gets() {
    let client = TestClient::new(App::new().get("/", boom)).raise_server_exceptions(false);
    let res = client.get("/").await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.text(), r#"{"detail":"Internal Server Error"}"#);
}

#[tokio::test]
async fn client_errors_and_handled_errors_do_not_fail_the_test() {
    support::errors::error_type!(Teapot: "teapot");
    let app = App::new()
        .get(
            "/item/{id}",
            |sluice::Path(id): sluice::Path<u32>| async move { id.to_string() },
        )
        .get("/teapot", || async {
            Err::<(), _>(sluice::Error::new(Teapot))
        })
        .get("/http-500", || async {
            Err::<(), _>(sluice::HttpError::new(500, "on purpose"))
        })
        .exception_handler(|_: &Teapot| StatusCode::IM_A_TEAPOT);
    let client = TestClient::new(app);
    assert_eq!(client.get("/item/abc").await.status(), 422);
    assert_eq!(client.get("/missing").await.status(), 404);
    assert_eq!(client.get("/teapot").await.status(), 418);
    assert_eq!(client.get("/http-500").await.status(), 500);
}

#[tokio::test]
async fn an_error_handler_mapping_handles_the_error() {
    let app = App::new().get("/", boom).add_middleware(
        ErrorHandler::new().map(|_: &sluice::error::Panic| StatusCode::BAD_GATEWAY),
    );
    // A mapping for another type leaves it unhandled.
    let client = TestClient::new(app).raise_server_exceptions(false);
    assert_eq!(client.get("/").await.status(), 500);

    support::errors::error_type!(Gone: "gone");
    let app = App::new()
        .get("/", || async { Err::<(), _>(sluice::Error::new(Gone)) })
        .add_middleware(ErrorHandler::new().map(|_: &Gone| StatusCode::SERVICE_UNAVAILABLE));
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn a_middleware_that_replaces_the_failed_response_handles_it() {
    async fn recover(req: Request, next: Next) -> Response {
        let response = next.run(req).await;
        if response.status().is_server_error() {
            return sluice::IntoResponse::into_response((StatusCode::OK, "recovered"));
        }
        response
    }
    let app = App::new().get("/", boom).middleware(recover);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.text(), "recovered");
}

// ----------------------------------------------------------------- redirects

/// Runs a request that is expected to panic and returns its message.
async fn panic_message<F>(request: F) -> String
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let payload = match tokio::spawn(request).await {
        Ok(_) => panic!("the request did not panic"),
        Err(e) => e.into_panic(),
    };
    if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        panic!("a panic without a message")
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct To {
    to: String,
}

/// Answers with the status in the path and a `location` of `?to=`.
async fn redirect_to(Path(status): Path<u16>, Query(to): Query<To>) -> Response {
    let status = StatusCode::from_u16(status).expect("a status");
    (status, [(LOCATION, to.to)], ()).into_response()
}

/// Echoes what the request arrived with.
async fn echo(mut req: Request) -> Json<Value> {
    let body = req.text().await.expect("a text body");
    Json(json!({
        "method": req.method().as_str(),
        "target": req.uri().to_string(),
        "scheme": req.scheme(),
        "port": req.connection().local_addr.map(|a| a.port()),
        "host": req.header("host"),
        "authorization": req.header("authorization"),
        "content-type": req.header("content-type"),
        "content-length": req.header("content-length"),
        "x-trace": req.header("x-trace"),
        "body": body,
    }))
}

fn every_method<H, T>(handler: H) -> MethodRouter
where
    H: sluice::Handler<T> + Clone,
    T: 'static,
{
    MethodRouter::new()
        .on(Method::GET, handler.clone())
        .on(Method::POST, handler.clone())
        .on(Method::PUT, handler.clone())
        .on(Method::PATCH, handler.clone())
        .on(Method::DELETE, handler)
}

fn redirecting_app() -> App {
    App::new()
        .route("/redirect/{status}", every_method(redirect_to))
        .route("/echo", every_method(echo))
        .route("/items/{id}/edit", every_method(echo))
        .route("/items/", every_method(echo))
}

fn following() -> TestClient {
    TestClient::new(redirecting_app()).follow_redirects(true)
}

#[tokio::test]
async fn redirects_are_not_followed_by_default() {
    let res = TestClient::new(redirecting_app())
        .get("/redirect/307?to=/echo")
        .await;
    assert_eq!(res.status(), 307);
    assert_eq!(res.header("location"), Some("/echo"));
    assert!(res.history().is_empty());
}

#[tokio::test]
async fn a_followed_chain_returns_the_last_response_and_the_redirects_on_the_way() {
    let res = following()
        .get("/redirect/302?to=/redirect/308%3Fto%3D/echo")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.url(), "http://testserver/echo");
    assert_eq!(res.json::<Value>()["target"], "/echo");
    let chain: Vec<_> = res
        .history()
        .iter()
        .map(|r| {
            (
                r.method().as_str(),
                r.url(),
                r.status().as_u16(),
                r.header("location"),
            )
        })
        .collect();
    assert_eq!(
        chain,
        [
            (
                "GET",
                "http://testserver/redirect/302?to=/redirect/308%3Fto%3D/echo",
                302,
                Some("/redirect/308?to=/echo")
            ),
            (
                "GET",
                "http://testserver/redirect/308?to=/echo",
                308,
                Some("/echo")
            ),
        ]
    );
}

#[tokio::test]
async fn a_request_can_follow_redirects_when_the_client_does_not() {
    let client = TestClient::new(redirecting_app());
    let res = client
        .get("/redirect/307?to=/echo")
        .follow_redirects(true)
        .await;
    assert_eq!(res.status(), 200);
    let res = following()
        .get("/redirect/307?to=/echo")
        .follow_redirects(false)
        .await;
    assert_eq!(res.status(), 307);
}

#[tokio::test]
async fn see_other_turns_a_post_into_a_get_without_its_body() {
    let res = following()
        .post("/redirect/303?to=/echo")
        .header("x-trace", "t1")
        .json(&json!({"name": "x"}))
        .await;
    let seen = res.json::<Value>();
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["body"], "");
    assert_eq!(seen["content-type"], Value::Null);
    assert_eq!(seen["content-length"], Value::Null);
    assert_eq!(seen["x-trace"], "t1", "other headers are sent again");
    assert_eq!(res.history()[0].method(), "POST");
}

#[tokio::test]
async fn found_turns_any_method_but_head_into_a_get() {
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let res = following()
            .request(method.clone(), "/redirect/302?to=/echo")
            .text("payload")
            .await;
        let seen = res.json::<Value>();
        assert_eq!(seen["method"], "GET", "{method}");
        assert_eq!(seen["body"], "", "{method}");
    }
}

#[tokio::test]
async fn head_stays_head_through_see_other_and_found() {
    for status in [302, 303] {
        let res = following()
            .head(&format!("/redirect/{status}?to=/echo"))
            .await;
        assert_eq!(res.method(), "HEAD", "{status}");
        assert_eq!(res.status(), 200, "{status}");
        assert!(res.bytes().is_empty());
    }
}

#[tokio::test]
async fn moved_permanently_turns_only_a_post_into_a_get() {
    let res = following()
        .post("/redirect/301?to=/echo")
        .text("payload")
        .await;
    assert_eq!(res.json::<Value>()["method"], "GET");
    let res = following()
        .put("/redirect/301?to=/echo")
        .text("payload")
        .await;
    let seen = res.json::<Value>();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["body"], "payload");
}

#[tokio::test]
async fn temporary_and_permanent_redirects_keep_the_method_and_the_body() {
    for status in [307, 308] {
        let res = following()
            .post(&format!("/redirect/{status}?to=/echo"))
            .text("payload")
            .await;
        let seen = res.json::<Value>();
        assert_eq!(seen["method"], "POST", "{status}");
        assert_eq!(seen["body"], "payload", "{status}");
        assert_eq!(seen["content-type"], "text/plain; charset=utf-8");
        assert_eq!(seen["content-length"], "7");
    }
}

#[tokio::test]
async fn a_streamed_body_cannot_be_sent_again_and_says_so() {
    let body = Body::from_stream(futures_util::stream::iter([Ok::<_, std::io::Error>(
        "payload",
    )]));
    let request = following().post("/redirect/307?to=/echo").body(body);
    let message = panic_message(request.into_future()).await;
    assert!(
        message.contains("cannot follow the 307 Temporary Redirect answering POST http://testserver/redirect/307?to=/echo: its body was a stream"),
        "{message}"
    );
}

#[tokio::test]
async fn a_relative_location_is_resolved_against_the_request_url() {
    let res = following()
        .get("/redirect/302?to=../../items/7/edit%3Fpage%3D2")
        .await;
    assert_eq!(res.url(), "http://testserver/items/7/edit?page=2");
    assert_eq!(res.json::<Value>()["target"], "/items/7/edit?page=2");
}

#[tokio::test]
async fn the_routers_trailing_slash_redirect_is_followed() {
    let res = following().get("/items?page=2").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.url(), "http://testserver/items/?page=2");
    assert_eq!(res.history()[0].status(), 307);
}

#[tokio::test]
async fn a_redirect_to_https_on_the_same_host_is_followed_over_a_secure_connection() {
    let app = redirecting_app().add_middleware(sluice::middleware::HttpsRedirect::new());
    let res = TestClient::new(app)
        .follow_redirects(true)
        .get("/echo")
        .header("authorization", "Bearer t")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.url(), "https://testserver/echo");
    let seen = res.json::<Value>();
    assert_eq!(seen["scheme"], "https");
    assert_eq!(seen["port"], 443);
    assert_eq!(seen["host"], "testserver");
    assert_eq!(
        seen["authorization"], "Bearer t",
        "an upgrade to https keeps the credentials, as httpx does"
    );
    assert_eq!(
        res.history()[0].header("location"),
        Some("https://testserver/echo")
    );
}

#[tokio::test]
async fn a_new_port_is_a_new_origin_with_its_host_and_without_authorization() {
    let res = following()
        .get("/redirect/307?to=http://testserver:8080/echo")
        .header("authorization", "Bearer t")
        .await;
    let seen = res.json::<Value>();
    assert_eq!(seen["host"], "testserver:8080");
    assert_eq!(seen["port"], 8080);
    assert_eq!(seen["authorization"], Value::Null);
}

#[tokio::test]
async fn a_redirect_on_the_same_origin_keeps_the_host_and_credentials_sent() {
    let res = following()
        .get("/redirect/307?to=/echo")
        .header("host", "api.example.com")
        .header("authorization", "Bearer t")
        .await;
    assert_eq!(res.url(), "http://api.example.com/echo");
    let seen = res.json::<Value>();
    assert_eq!(seen["host"], "api.example.com");
    assert_eq!(seen["authorization"], "Bearer t");
}

#[tokio::test]
async fn a_location_on_another_host_is_not_followed() {
    let res = following()
        .get("/redirect/307?to=https://accounts.example.com/login")
        .await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("https://accounts.example.com/login")
    );
    assert!(res.history().is_empty());
}

#[tokio::test]
async fn a_redirect_status_without_location_is_the_response() {
    let app = App::new().get("/", || async { StatusCode::FOUND });
    let res = TestClient::new(app).follow_redirects(true).get("/").await;
    assert_eq!(res.status(), 302);
    assert!(res.history().is_empty());
}

#[tokio::test]
async fn a_redirect_loop_fails_the_test_with_its_chain() {
    let app = App::new()
        .get("/a", || async { Redirect::to("/b") })
        .get("/b", || async { Redirect::to("/a") });
    let client = TestClient::new(app).follow_redirects(true).max_redirects(3);
    let message = panic_message(client.get("/a").into_future()).await;
    assert_eq!(
        message,
        "too many redirects: GET http://testserver/a was redirected more than 3 times \
         (TestClient::max_redirects):\n  \
         GET http://testserver/a -> 307 /b\n  \
         GET http://testserver/b -> 307 /a\n  \
         GET http://testserver/a -> 307 /b\n  \
         GET http://testserver/b -> 307 /a\n\
         (a loop: GET http://testserver/a was requested before)"
    );
}

#[tokio::test]
async fn twenty_redirects_are_followed_and_the_twenty_first_fails() {
    let app = App::new().get("/n/{n}", |Path(n): Path<u32>| async move {
        if n == 0 {
            "arrived".into_response()
        } else {
            Redirect::to(format!("/n/{}", n - 1)).into_response()
        }
    });
    let client = TestClient::new(app).follow_redirects(true);
    let res = client.get("/n/20").await;
    assert_eq!(res.text(), "arrived");
    assert_eq!(res.history().len(), 20);
    let message = panic_message(client.get("/n/21").into_future()).await;
    assert!(
        message.starts_with(
            "too many redirects: GET http://testserver/n/21 was redirected more than 20 times"
        ),
        "{message}"
    );
    assert!(!message.contains("a loop"), "{message}");
}

// ---------------------------------------------------------- compressed bodies

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

/// A body of `bytes` sent with `content-encoding: coding`.
fn encoded(coding: &'static str, bytes: Vec<u8>) -> Response {
    ([(CONTENT_ENCODING, coding)], bytes).into_response()
}

fn compressing_app() -> App {
    App::new()
        .get("/", || async { "x".repeat(1000) })
        .add_middleware(sluice::middleware::Compression::new())
}

#[tokio::test]
async fn bodies_arrive_as_sent_by_default() {
    let res = TestClient::new(compressing_app())
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&res.bytes()[..]),
        &mut plain,
    )
    .expect("gzip as sent");
    assert_eq!(plain, b"x".repeat(1000));
}

#[tokio::test]
async fn decompress_decodes_gzip_and_leaves_the_headers_as_sent() {
    let client = TestClient::new(compressing_app()).decompress(true);
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(res.text(), "x".repeat(1000));
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let sent: usize = res
        .header("content-length")
        .expect("a length")
        .parse()
        .expect("a number");
    assert!(sent < 100, "the length of the gzip body, not {sent}");
}

#[cfg(feature = "br")]
#[tokio::test]
async fn decompress_decodes_br() {
    let client = TestClient::new(compressing_app()).decompress(true);
    let res = client.get("/").header("accept-encoding", "br").await;
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(res.text(), "x".repeat(1000));
}

#[cfg(feature = "zstd")]
#[tokio::test]
async fn decompress_decodes_zstd() {
    let client = TestClient::new(compressing_app()).decompress(true);
    let res = client.get("/").header("accept-encoding", "zstd").await;
    assert_eq!(res.header("content-encoding"), Some("zstd"));
    assert_eq!(res.text(), "x".repeat(1000));
}

#[tokio::test]
async fn decompress_decodes_deflate() {
    let app = App::new().get("/", || async { encoded("deflate", zlib(b"deflated")) });
    let res = TestClient::new(app).decompress(true).get("/").await;
    assert_eq!(res.text(), "deflated");
}

#[tokio::test]
async fn stacked_codings_are_undone_last_first() {
    let app = App::new().get("/", || async {
        encoded("gzip, identity, deflate", zlib(&gzip(b"twice")))
    });
    let res = TestClient::new(app).decompress(true).get("/").await;
    assert_eq!(res.text(), "twice");
}

#[tokio::test]
async fn a_request_can_decompress_when_the_client_does_not() {
    let client = TestClient::new(compressing_app());
    let res = client
        .get("/")
        .header("accept-encoding", "gzip")
        .decompress(true)
        .await;
    assert_eq!(res.text(), "x".repeat(1000));
    let res = client
        .clone()
        .decompress(true)
        .get("/")
        .header("accept-encoding", "gzip")
        .decompress(false)
        .await;
    assert_ne!(res.text(), "x".repeat(1000));
}

#[tokio::test]
#[should_panic(
    expected = "cannot decompress the response to GET http://testserver/: it is not valid gzip"
)]
async fn a_body_that_does_not_decode_fails_the_test() {
    let app = App::new().get("/", || async { encoded("gzip", b"not gzip".to_vec()) });
    let _ = TestClient::new(app).decompress(true).get("/").await;
}

#[tokio::test]
#[should_panic(expected = "the client decodes gzip, deflate, br and zstd, not \"compress\"")]
async fn a_coding_the_client_cannot_undo_fails_the_test() {
    let app = App::new().get("/", || async { encoded("compress", b"?".to_vec()) });
    let _ = TestClient::new(app).decompress(true).get("/").await;
}

// ------------------------------------------------------- bodies that fail

support::errors::error_type!(FeedGone: "the feed went away");

/// Two lines, then the stream fails.
async fn failing_feed() -> Body {
    Body::from_stream(futures_util::stream::iter([
        Ok("line 1\n"),
        Ok("line 2\n"),
        Err(FeedGone),
    ]))
}

/// One line, then polling the stream panics.
async fn panicking_feed() -> Body {
    let mut sent = false;
    Body::from_stream(futures_util::stream::poll_fn(move |_| {
        if sent {
            panic!("stream bug");
        }
        sent = true;
        std::task::Poll::Ready(Some(Ok::<_, std::io::Error>("line 1\n")))
    }))
}

#[tokio::test]
#[should_panic(
    expected = "the response body of GET http://testserver/ failed after 14 bytes: the feed went away"
)]
async fn a_body_stream_that_fails_fails_the_test() {
    let _ = TestClient::new(App::new().get("/", failing_feed))
        .get("/")
        .await;
}

#[tokio::test]
async fn opting_out_returns_what_arrived_before_the_body_failed_and_the_error() {
    let client = TestClient::new(App::new().get("/", failing_feed)).raise_server_exceptions(false);
    let res = client.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "line 1\nline 2\n");
    let error = res.body_error().expect("the body failed");
    assert!(error.is::<FeedGone>(), "{error:?}");
}

#[tokio::test]
async fn a_whole_body_has_no_body_error() {
    let res = TestClient::new(App::new().get("/", || async { "whole" }))
        .get("/")
        .await;
    assert!(res.body_error().is_none());
}

#[tokio::test]
#[should_panic(expected = "failed after 7 bytes: panicked: stream bug")]
async fn a_body_stream_that_panics_fails_the_test() {
    let _ = TestClient::new(App::new().get("/", panicking_feed))
        .get("/")
        .await;
}

#[tokio::test]
async fn a_panicking_body_stream_is_a_body_error_when_opted_out() {
    let client =
        TestClient::new(App::new().get("/", panicking_feed)).raise_server_exceptions(false);
    let res = client.get("/").await;
    assert_eq!(res.text(), "line 1\n");
    let panic = res
        .body_error()
        .and_then(|e| e.downcast_ref::<sluice::error::Panic>())
        .expect("a Panic");
    assert_eq!(panic.message(), "stream bug");
}

#[tokio::test]
async fn background_tasks_have_run_when_a_failed_body_is_returned() {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let app = App::new().get("/", move |tasks: BackgroundTasks| {
        let flag = flag.clone();
        async move {
            tasks.add(async move { flag.store(true, Ordering::SeqCst) });
            failing_feed().await
        }
    });
    let client = TestClient::new(app).raise_server_exceptions(false);
    let res = client.get("/").await;
    assert!(res.body_error().is_some());
    assert!(ran.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_body_that_failed_is_not_decompressed() {
    let app = App::new().get("/", || async {
        let mut response = failing_feed().await.into_response();
        response
            .headers_mut()
            .insert(CONTENT_ENCODING, sluice::HeaderValue::from_static("gzip"));
        response
    });
    let client = TestClient::new(app)
        .decompress(true)
        .raise_server_exceptions(false);
    let res = client.get("/").await;
    assert_eq!(res.text(), "line 1\nline 2\n");
    assert!(res.body_error().is_some());
}

// ------------------------------------------------------------------- cookies

/// Sets the cookie given as `?set=` (`set-cookie` as is) and shows the
/// `cookie` header it was sent with.
async fn cookie_echo(req: Request) -> Response {
    let sent = req.header("cookie").unwrap_or("").to_owned();
    let set: Vec<String> = req
        .uri()
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == "set")
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut response = sent.into_response();
    for value in set {
        response.headers_mut().append(
            "set-cookie",
            sluice::HeaderValue::from_str(&value).expect("a header value"),
        );
    }
    response
}

fn cookie_app() -> App {
    App::new()
        .route("/", every_method(cookie_echo))
        .route("/admin", every_method(cookie_echo))
        .route("/admin/users", every_method(cookie_echo))
        .route("/public", every_method(cookie_echo))
        .route("/redirect/{status}", every_method(redirect_to))
}

/// `?set=<value>`, percent-encoded.
fn setting(path: &str, cookie: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("set", cookie)
        .finish();
    format!("{path}?{query}")
}

#[tokio::test]
async fn cookies_a_response_set_are_sent_with_later_requests() {
    let client = TestClient::new(cookie_app());
    assert_eq!(client.get("/").await.text(), "");
    client
        .post(&setting("/", "user=alice; Path=/; HttpOnly"))
        .await;
    client.post(&setting("/", "theme=dark")).await;
    let sent = client.get("/").await.text();
    let mut pairs: Vec<&str> = sent.split("; ").collect();
    pairs.sort_unstable();
    assert_eq!(pairs, ["theme=dark", "user=alice"]);
    assert_eq!(client.cookie("user").as_deref(), Some("alice"));
    assert_eq!(client.cookie("nope"), None);
    // A clone shares the jar.
    assert_eq!(client.clone().cookie("theme").as_deref(), Some("dark"));
}

#[tokio::test]
async fn a_cookie_replaced_or_expired_by_the_server_changes_what_is_sent() {
    let client = TestClient::new(cookie_app());
    client.get(&setting("/", "user=alice")).await;
    client.get(&setting("/", "user=bob")).await;
    assert_eq!(client.get("/").await.text(), "user=bob");
    // Starlette's delete_cookie: an empty value that expires now.
    client
        .get(&setting(
            "/",
            "user=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
        ))
        .await;
    assert_eq!(client.get("/").await.text(), "");
    assert_eq!(client.cookie("user"), None);
}

#[tokio::test]
async fn a_cookie_is_sent_only_to_its_host_and_path() {
    let client = TestClient::new(cookie_app());
    client.get(&setting("/admin", "admin=1; Path=/admin")).await;
    assert_eq!(client.get("/admin").await.text(), "admin=1");
    assert_eq!(client.get("/admin/users").await.text(), "admin=1");
    assert_eq!(client.get("/public").await.text(), "");
    assert_eq!(client.get("/").await.text(), "");
    // Set by testserver, not sent to another host.
    let other = client.get("/admin").header("host", "other.test").await;
    assert_eq!(other.text(), "");
}

#[tokio::test]
async fn a_secure_cookie_is_sent_only_over_https() {
    let client = TestClient::new(cookie_app());
    let secure = client.clone().base_url("https://testserver");
    secure.get(&setting("/", "token=t; Secure; Path=/")).await;
    assert_eq!(secure.get("/").await.text(), "token=t");
    assert_eq!(client.get("/").await.text(), "");
}

#[tokio::test]
async fn a_request_that_sets_its_own_cookie_header_sends_only_that() {
    let client = TestClient::new(cookie_app());
    client.get(&setting("/", "user=alice")).await;
    let res = client.get("/").header("cookie", "user=mallory").await;
    assert_eq!(res.text(), "user=mallory");
    // And the jar is unchanged by it.
    assert_eq!(client.get("/").await.text(), "user=alice");
}

#[tokio::test]
async fn a_cookie_set_by_a_redirect_is_sent_to_where_it_points() {
    // A login form: POST, then 303 to the page, with the session cookie.
    async fn login() -> Response {
        let mut res = Redirect::see_other("/").into_response();
        res.headers_mut().insert(
            "set-cookie",
            sluice::HeaderValue::from_static("session=s1; Path=/"),
        );
        res
    }
    let client = TestClient::new(cookie_app().post("/login", login)).follow_redirects(true);
    let res = client.post("/login").await;
    assert_eq!(res.history()[0].status(), 303);
    assert_eq!(res.text(), "session=s1");
}

#[tokio::test]
async fn on_a_redirect_the_jar_decides_the_cookie_header_again() {
    // httpx drops the request's own `cookie` header on a redirect.
    let client = TestClient::new(cookie_app()).follow_redirects(true);
    client.get(&setting("/", "user=alice")).await;
    let res = client
        .get("/redirect/307?to=/")
        .header("cookie", "user=mallory")
        .await;
    assert_eq!(res.text(), "user=alice");
}

#[tokio::test]
async fn keep_cookies_false_sends_only_what_the_request_sets() {
    let client = TestClient::new(cookie_app()).keep_cookies(false);
    client.get(&setting("/", "user=alice")).await;
    assert_eq!(client.get("/").await.text(), "");
    assert_eq!(client.cookie("user"), None);
    let res = client.get("/").header("cookie", "a=1").await;
    assert_eq!(res.text(), "a=1");
    // Without a jar a redirect sends the request's header on.
    let res = client
        .get("/redirect/307?to=/")
        .header("cookie", "a=1")
        .follow_redirects(true)
        .await;
    assert_eq!(res.text(), "a=1");
}

#[tokio::test]
async fn set_cookie_and_clear_cookies_change_what_is_sent() {
    let client = TestClient::new(cookie_app());
    client.set_cookie("session", "abc");
    assert_eq!(client.get("/admin/users").await.text(), "session=abc");
    client.clear_cookies();
    assert_eq!(client.get("/").await.text(), "");
}

#[tokio::test]
#[should_panic(expected = "is not a cookie value")]
async fn set_cookie_with_a_value_that_cannot_be_sent_fails_the_test() {
    TestClient::new(cookie_app()).set_cookie("session", "a; admin=1");
}

#[tokio::test]
async fn a_session_lives_across_requests_as_in_a_browser() {
    use sluice::middleware::{Session, Sessions};
    async fn visit(session: Session) -> sluice::Result<String> {
        let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
        session.insert("visits", visits)?;
        Ok(format!("visit {visits}"))
    }
    let app = App::new()
        .get("/", visit)
        .add_middleware(Sessions::new("a secret of at least thirty-two bytes!"));
    let client = TestClient::new(app);
    assert_eq!(client.get("/").await.text(), "visit 1");
    assert_eq!(client.get("/").await.text(), "visit 2");
    client.clear_cookies();
    assert_eq!(client.get("/").await.text(), "visit 1");
}

// --------------------------------------------- base URL, headers, lifespan

async fn target(req: Request) -> Json<Value> {
    Json(json!({
        "target": req.uri().to_string(),
        "host": req.header("host"),
        "scheme": req.scheme(),
        "user-agent": req.header("user-agent"),
        "x-token": req.header("x-token"),
    }))
}

fn target_app() -> App {
    App::new()
        .get("/", target)
        .get("/items", target)
        .get("/api/", target)
        .get("/api/items", target)
}

#[tokio::test]
async fn a_base_url_path_goes_before_every_request_path() {
    let client = TestClient::new(target_app()).base_url("https://example.com:8443/api");
    let res = client.get("/items?page=2").await;
    let body: Value = res.json();
    assert_eq!(body["target"], "/api/items?page=2");
    assert_eq!(body["host"], "example.com:8443");
    assert_eq!(body["scheme"], "https");
    assert_eq!(res.url(), "https://example.com:8443/api/items?page=2");
    // As httpx: a trailing `/` on the base, none on the path, both alike.
    let client = TestClient::new(target_app()).base_url("http://testserver/api/");
    assert_eq!(
        client.get("items").await.json::<Value>()["target"],
        "/api/items"
    );
    assert_eq!(client.get("").await.json::<Value>()["target"], "/api/");
}

#[tokio::test]
async fn a_base_url_default_port_is_no_part_of_the_host() {
    let client = TestClient::new(target_app()).base_url("https://example.com:443/");
    let body: Value = client.get("/items").await.json();
    assert_eq!(body["host"], "example.com");
    assert_eq!(body["target"], "/items");
}

#[tokio::test]
#[should_panic(expected = "base_url needs an http or https URL with a host")]
async fn a_base_url_without_a_host_fails_the_test() {
    let _ = TestClient::new(target_app()).base_url("testserver/api");
}

#[tokio::test]
async fn requests_say_user_agent_testclient_as_starlettes() {
    let client = TestClient::new(target_app());
    assert_eq!(
        client.get("/").await.json::<Value>()["user-agent"],
        "testclient"
    );
    let res = client.get("/").header("user-agent", "curl/8").await;
    assert_eq!(res.json::<Value>()["user-agent"], "curl/8");
    let client = client.without_header("user-agent");
    assert_eq!(
        client.get("/").await.json::<Value>()["user-agent"],
        Value::Null
    );
}

#[tokio::test]
async fn client_headers_go_with_every_request_that_sets_none_of_its_own() {
    let client = TestClient::new(target_app()).header("x-token", "secret");
    assert_eq!(client.get("/").await.json::<Value>()["x-token"], "secret");
    let res = client.get("/").header("x-token", "mine").await;
    assert_eq!(res.json::<Value>()["x-token"], "mine");
    // A client `host` is the default host, as httpx's.
    let client = client.header("host", "api.test");
    let res = client.get("/").await;
    assert_eq!(res.json::<Value>()["host"], "api.test");
    assert_eq!(res.url(), "http://api.test/");
}

#[tokio::test]
async fn shutdown_runs_the_apps_shutdown_hooks_once() {
    let log = support::Log::default();
    let hook = log.clone();
    let app = App::new()
        .get("/", || async { "ok" })
        .on_shutdown(move || async move { hook.push("shutdown") });
    let client = TestClient::new(app);
    assert_eq!(client.get("/").await.text(), "ok");
    assert!(log.events().is_empty());
    client.shutdown().await;
    client.shutdown().await;
    assert_eq!(log.take(), ["shutdown"]);
}

#[tokio::test]
async fn cookies_go_longer_path_first_then_oldest_first() {
    let client = TestClient::new(cookie_app());
    for cookie in ["b=1", "a=2", "c=3; Path=/admin", "z=4"] {
        client.get(&setting("/admin", cookie)).await;
    }
    // Replacing a cookie keeps its place.
    client.get(&setting("/admin", "b=5")).await;
    let sent = client.get("/admin/users").await.text();
    assert_eq!(sent, "c=3; b=5; a=2; z=4");
}

#[tokio::test]
async fn an_absolute_form_target_carries_its_own_host_and_no_base_path() {
    let client = TestClient::new(target_app()).base_url("http://testserver/api");
    let res = client.get("http://other.test:8080/items").await;
    let body: Value = res.json();
    assert_eq!(body["target"], "http://other.test:8080/items");
    assert_eq!(body["host"], "other.test:8080");
    assert_eq!(res.url(), "http://other.test:8080/items");
}

/// One client shared by many tasks at once: each request waits for the
/// app's background work, and none of those waits may be left hanging by
/// another request's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shared_client_answers_every_concurrent_request() {
    async fn with_work(tasks: BackgroundTasks) -> &'static str {
        tasks.add(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        });
        "ok"
    }
    let client = TestClient::new(App::new().get("/", with_work));
    let tasks: Vec<_> = (0..2000)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("/").await.status() })
        })
        .collect();
    let all = async {
        let mut answered = 0;
        for task in tasks {
            if task.await.expect("no panic") == StatusCode::OK {
                answered += 1;
            }
        }
        answered
    };
    let answered = tokio::time::timeout(std::time::Duration::from_secs(60), all)
        .await
        .expect("every request answered within a minute");
    assert_eq!(answered, 2000);
}
