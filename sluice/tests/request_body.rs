//! Reading the request body in a middleware and again in the handler.

use serde_json::{json, Value};
use sluice::testing::TestClient;
use sluice::{App, Body, Bytes, Json, Next, Request, Response};

async fn body_length(mut req: Request, next: Next) -> sluice::Result<Response> {
    let length = req.bytes().await?.len();
    let mut response = next.run(req).await;
    response
        .headers_mut()
        .insert("x-body-length", length.into());
    Ok(response)
}

#[tokio::test]
async fn a_body_read_by_middleware_can_be_read_again_by_the_handler() {
    async fn echo(body: Bytes) -> Bytes {
        body
    }
    let app = App::new().post("/echo", echo).middleware(body_length);
    let res = TestClient::new(app).post("/echo").body("hello").await;
    assert_eq!(res.header("x-body-length"), Some("5"));
    assert_eq!(res.text(), "hello");
}

#[tokio::test]
async fn a_streamed_body_read_by_middleware_is_whole_for_the_json_extractor() {
    async fn echo(Json(value): Json<Value>) -> Json<Value> {
        Json(value)
    }
    let chunks = ["{\"a\":", "[1,2", ",3]}"].map(Ok::<_, std::io::Error>);
    let app = App::new().post("/echo", echo).middleware(body_length);
    let res = TestClient::new(app)
        .post("/echo")
        .header("content-type", "application/json")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .await;
    assert_eq!(res.json::<Value>(), json!({"a": [1, 2, 3]}));
    assert_eq!(res.header("x-body-length"), Some("13"));
}

#[tokio::test]
async fn two_middlewares_can_both_read_the_body() {
    async fn first_byte(mut req: Request, next: Next) -> sluice::Result<Response> {
        let first = req.bytes().await?.first().copied().unwrap_or(0);
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-first", u16::from(first).into());
        Ok(response)
    }
    async fn text(body: String) -> String {
        body.to_uppercase()
    }
    let app = App::new()
        .post("/", text)
        .middleware(body_length)
        .middleware(first_byte);
    let res = TestClient::new(app).post("/").body("abc").await;
    assert_eq!(res.header("x-first"), Some("97"));
    assert_eq!(res.header("x-body-length"), Some("3"));
    assert_eq!(res.text(), "ABC");
}

#[tokio::test]
async fn a_body_over_the_limit_read_in_middleware_is_413() {
    let app = App::new()
        .post("/", || async { "never" })
        .middleware(body_length)
        .max_body_size(4);
    let res = TestClient::new(app).post("/").body("too long").await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.text(), "Content Too Large");
}
