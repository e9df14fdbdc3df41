//! Shared by the fuzz targets: one runtime, and a way to send a request to
//! an app through its public service and read the whole response.

use std::sync::OnceLock;

use bytes::Bytes;
use sluice::{AppService, Body, Request};

/// The response, with its whole body.
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// Builds a request from parts that may be invalid; `None` when `http`
/// itself refuses them (they could never reach the app).
pub fn request(method: &str, target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Option<http::Request<Body>> {
    let mut builder = http::Request::builder().method(method).uri(target);
    for (name, value) in headers {
        let value = http::HeaderValue::from_bytes(value).ok()?;
        builder = builder.header(*name, value);
    }
    builder.body(Body::from(body.to_vec())).ok()
}

/// Sends `req` through `app` and reads the response.
pub fn send(app: &AppService, req: http::Request<Body>) -> Reply {
    runtime().block_on(async {
        let response = app.handle(Request::from_http(req)).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a response body never fails here");
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    })
}

/// Every header value is one a client can receive: no CR, LF or NUL (a
/// value made from request input that broke this would let a client forge
/// response headers).
pub fn assert_headers_safe(reply: &Reply) {
    for (name, value) in &reply.headers {
        assert!(
            !value.as_bytes().iter().any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "header {name} carries a line break: {value:?}"
        );
    }
}
