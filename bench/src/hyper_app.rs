//! A plain hyper 1.x server: `GET /hello` answered by a `service_fn`, no
//! router, no middleware, HTTP/1.1 only. The ceiling a framework on hyper
//! can approach but not pass.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let req = hyper::Request::get("/hello").body(()).unwrap();
//! let res = sluice_bench::hyper_app::hello(req).await.unwrap();
//! assert_eq!(res.status(), 200);
//! # }
//! ```

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::cli::shutdown_signal;

/// The scenarios `bench-hyper` serves.
pub const NAMES: &[&str] = &["perf-bare"];

const BODY: &[u8] = br#"{"message":"Hello, World!"}"#;

/// `GET /hello` -> `{"message":"Hello, World!"}`; anything else -> 404.
///
/// # Errors
///
/// Never.
pub async fn hello<B>(req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::new()));
    if req.uri().path() == "/hello" {
        *response.body_mut() = Full::new(Bytes::from_static(BODY));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    } else {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    Ok(response)
}

/// Serves [`hello`] on `listener`, one task per connection, until SIGINT or
/// SIGTERM.
///
/// # Errors
///
/// Never: accept errors are waited out.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(hello))
                        .await;
                });
            }
            () = &mut signal => return Ok(()),
        }
    }
}
