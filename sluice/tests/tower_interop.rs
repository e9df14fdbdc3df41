//! `App::add_layer`: tower layers (here tower-http's) in the same stack as
//! native middleware, under the same ordering rule.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sluice::extract::Extension;
use sluice::http::header::HeaderName;
use sluice::middleware::ProcessTime;
use sluice::testing::TestClient;
use sluice::{App, Bytes, HeaderMap, HeaderValue, Next, Request, Response, StatusCode};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::propagate_header::PropagateHeaderLayer;
use tower_http::set_header::{SetRequestHeaderLayer, SetResponseHeaderLayer};
use tower_http::timeout::TimeoutLayer;

mod support;

fn x_out() -> HeaderName {
    HeaderName::from_static("x-out")
}

fn x_in() -> HeaderName {
    HeaderName::from_static("x-in")
}

/// The `x-in` values the request arrived with, comma-joined.
async fn trail(headers: HeaderMap) -> String {
    headers
        .get_all("x-in")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
}

async fn native_a(mut req: Request, next: Next) -> Response {
    req.headers_mut()
        .append(x_in(), HeaderValue::from_static("A"));
    let mut res = next.run(req).await;
    res.headers_mut()
        .append(x_out(), HeaderValue::from_static("A"));
    res
}

async fn native_b(mut req: Request, next: Next) -> Response {
    req.headers_mut()
        .append(x_in(), HeaderValue::from_static("B"));
    let mut res = next.run(req).await;
    res.headers_mut()
        .append(x_out(), HeaderValue::from_static("B"));
    res
}

#[tokio::test]
async fn a_tower_layer_runs_where_it_was_added() {
    let app = App::new()
        .get("/", trail)
        .middleware(native_a)
        .add_layer(SetRequestHeaderLayer::appending(
            x_in(),
            HeaderValue::from_static("tower"),
        ))
        .add_layer(SetResponseHeaderLayer::appending(
            x_out(),
            HeaderValue::from_static("tower"),
        ))
        .middleware(native_b);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 200);
    // In: last added first.
    assert_eq!(res.text(), "B,tower,A");
    // Out: first added first.
    assert_eq!(res.header_all("x-out"), ["A", "tower", "B"]);
}

#[tokio::test]
async fn describe_lists_layers_in_the_stack() {
    let app = App::new()
        .get("/", trail)
        .middleware(native_a)
        .add_layer(PropagateHeaderLayer::new(HeaderName::from_static(
            "x-request-id",
        )))
        .middleware(native_b);
    let description = app.describe();
    assert!(
        description.starts_with(
            "middleware (outermost first):\n  1. native_b\n  2. PropagateHeaderLayer\n  3. native_a\n"
        ),
        "{description}"
    );
}

#[tokio::test]
async fn propagate_header_layer_copies_the_request_header() {
    let app = App::new()
        .get("/", trail)
        .add_layer(PropagateHeaderLayer::new(HeaderName::from_static(
            "x-request-id",
        )))
        .add_middleware(ProcessTime::new());
    let res = TestClient::new(app)
        .get("/")
        .header("x-request-id", "abc")
        .await;
    assert_eq!(res.header("x-request-id"), Some("abc"));
    assert!(res.header("x-process-time").is_some());
}

#[tokio::test]
async fn request_state_crosses_a_tower_layer() {
    #[derive(Clone)]
    struct User(&'static str);
    async fn login(mut req: Request, next: Next) -> Response {
        req.extensions_mut().insert(User("alice"));
        next.run(req).await
    }
    async fn whoami(Extension(user): Extension<User>) -> &'static str {
        user.0
    }
    let app = App::new()
        .get("/", whoami)
        .add_layer(SetResponseHeaderLayer::overriding(
            x_out(),
            HeaderValue::from_static("tower"),
        ))
        .middleware(login);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.text(), "alice");
    assert_eq!(res.header("x-out"), Some("tower"));
}

#[tokio::test(start_paused = true)]
async fn tower_http_timeout_answers_and_outer_native_middleware_decorates() {
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(60)).await;
        "slow"
    }
    let app = App::new()
        .get("/slow", slow)
        .add_layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(1),
        ))
        .middleware(native_b);
    let res = TestClient::new(app).get("/slow").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.header_all("x-out"), ["B"]);
}

#[tokio::test]
async fn tower_http_body_limit_refuses_before_inner_native_middleware_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = App::new()
        .post("/upload", |body: Bytes| async move {
            format!("{} bytes", body.len())
        })
        .middleware(move |req: Request, next: Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(req).await
            }
        })
        .add_layer(RequestBodyLimitLayer::new(10))
        .middleware(native_b);
    let client = TestClient::new(app);
    let res = client.post("/upload").body(vec![b'x'; 100]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.header_all("x-out"), ["B"]);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let res = client.post("/upload").body(vec![b'x'; 10]).await;
    assert_eq!(res.text(), "10 bytes");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn every_thread_runs_the_whole_stack_in_order() {
    // Each thread runs a copy of the stack's nodes of its own: every copy
    // must hold every layer, native and tower, in the order added, and what
    // a middleware holds stays one for all threads (here: one counter).
    let counted = Arc::new(AtomicUsize::new(0));
    let seen = counted.clone();
    let service = App::new()
        .get("/", trail)
        .middleware(native_a)
        .add_layer(SetRequestHeaderLayer::appending(
            x_in(),
            HeaderValue::from_static("tower"),
        ))
        .middleware(native_b)
        .middleware(move |req: Request, next: Next| {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::Relaxed);
                next.run(req).await
            }
        })
        .build()
        .expect("a valid app");
    let (threads, per_thread) = (4, 100);
    support::on_threads(threads, |_| async {
        for _ in 0..per_thread {
            let (head, body) = support::get(&service, "/").await;
            let out: Vec<_> = head.headers.get_all(x_out()).iter().cloned().collect();
            assert_eq!(out, ["A", "B"]);
            assert_eq!(body, "B,tower,A");
        }
    });
    assert_eq!(counted.load(Ordering::Relaxed), threads * per_thread);
}
