//! `middleware::BodyLimit`: FastAPI's `max_body_size`, as a middleware.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;
use sluice::error::BodyError;
use sluice::middleware::BodyLimit;
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, Body, Bytes, Json, Next, Request, Response};

async fn upload(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

async fn ignore_body() -> &'static str {
    "not read"
}

async fn echo_json(Json(value): Json<Value>) -> Json<Value> {
    Json(value)
}

fn app(limit: usize) -> App {
    App::new()
        .post("/upload", upload)
        .post("/ignore", ignore_body)
        .post("/json", echo_json)
        .add_middleware(BodyLimit::new(limit))
}

/// A streamed body of `chunks` chunks of `size` bytes that counts how many
/// chunks were pulled.
fn counted_stream(chunks: usize, size: usize, pulled: &Arc<AtomicUsize>) -> Body {
    let pulled = pulled.clone();
    let stream = futures_util::stream::iter(0..chunks).map(move |_| {
        pulled.fetch_add(1, Ordering::SeqCst);
        Ok::<_, Infallible>(Bytes::from(vec![b'x'; size]))
    });
    Body::from_stream(stream)
}

use futures_util::StreamExt as _;

fn assert_too_large(res: &TestResponse) {
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "Content Too Large");
}

#[tokio::test]
async fn a_body_within_the_limit_reaches_the_handler() {
    let client = TestClient::new(app(100));
    let res = client.post("/upload").body(vec![b'x'; 100]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "100 bytes");
}

#[tokio::test]
async fn a_content_length_over_the_limit_gets_413_without_reading_the_body() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let client = TestClient::new(app(100));
    let res = client
        .post("/upload")
        .header("content-length", "1000")
        .body(counted_stream(10, 100, &pulled))
        .await;
    assert_too_large(&res);
    assert_eq!(pulled.load(Ordering::SeqCst), 0);
    let error = res.error().and_then(|e| e.downcast_ref::<BodyError>());
    assert!(error.is_some_and(BodyError::is_too_large));
}

#[tokio::test]
async fn a_declared_length_is_refused_even_where_the_handler_ignores_the_body() {
    let client = TestClient::new(app(10));
    let res = client.post("/ignore").body(vec![b'x'; 11]).await;
    assert_too_large(&res);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_413_while_streaming() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let client = TestClient::new(app(250));
    let res = client
        .post("/upload")
        .body(counted_stream(1000, 100, &pulled))
        .await;
    assert_too_large(&res);
    // It stopped reading as soon as the limit was passed.
    assert_eq!(pulled.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_chunked_body_at_the_limit_is_accepted() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let client = TestClient::new(app(300));
    let res = client
        .post("/upload")
        .body(counted_stream(3, 100, &pulled))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "300 bytes");
}

#[tokio::test]
async fn a_body_longer_than_its_declared_length_is_cut_off() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let client = TestClient::new(app(250));
    let res = client
        .post("/upload")
        .header("content-length", "200")
        .body(counted_stream(10, 100, &pulled))
        .await;
    assert_too_large(&res);
}

#[tokio::test]
async fn a_chunked_body_nobody_reads_is_not_counted() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let client = TestClient::new(app(10));
    let res = client
        .post("/ignore")
        .body(counted_stream(5, 100, &pulled))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "not read");
}

#[tokio::test]
async fn json_bodies_over_the_limit_get_413_not_422() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let client = TestClient::new(app(50));
    let res = client
        .post("/json")
        .header("content-type", "application/json")
        .body(counted_stream(10, 10, &pulled))
        .await;
    assert_too_large(&res);
}

#[tokio::test]
async fn a_middleware_reading_the_body_further_in_gets_413() {
    async fn read_first(mut req: Request, next: Next) -> sluice::Result<Response> {
        req.bytes().await?;
        Ok(next.run(req).await)
    }
    let pulled = Arc::new(AtomicUsize::new(0));
    let app = App::new()
        .post("/upload", upload)
        .middleware(read_first)
        .add_middleware(BodyLimit::new(150));
    let res = TestClient::new(app)
        .post("/upload")
        .body(counted_stream(5, 100, &pulled))
        .await;
    assert_too_large(&res);
}

#[tokio::test]
async fn a_handler_streaming_the_body_itself_sees_too_large() {
    async fn stream_it(body: Body) -> String {
        match body.collect().await {
            Ok(bytes) => format!("{} bytes", bytes.len()),
            Err(e) if e.is_too_large() => "too large".to_owned(),
            Err(e) => format!("other: {e}"),
        }
    }
    let pulled = Arc::new(AtomicUsize::new(0));
    let app = App::new()
        .post("/stream", stream_it)
        .add_middleware(BodyLimit::new(150));
    let res = TestClient::new(app)
        .post("/stream")
        .body(counted_stream(5, 100, &pulled))
        .await;
    assert_eq!(res.text(), "too large");
}

#[tokio::test]
async fn the_lower_of_the_app_limit_and_the_middleware_limit_applies() {
    let app = App::new()
        .post("/upload", upload)
        .max_body_size(50)
        .add_middleware(BodyLimit::new(1000));
    let res = TestClient::new(app)
        .post("/upload")
        .body(vec![b'x'; 60])
        .await;
    assert_too_large(&res);
}

#[tokio::test]
async fn a_router_can_have_its_own_limit() {
    let uploads = sluice::Router::new()
        .post("/small", upload)
        .add_middleware(BodyLimit::new(10));
    let app = App::new()
        .post("/big", upload)
        .include_router("/limited", uploads);
    let client = TestClient::new(app);
    assert_eq!(
        client.post("/big").body(vec![b'x'; 100]).await.status(),
        200
    );
    assert_too_large(&client.post("/limited/small").body(vec![b'x'; 100]).await);
}
