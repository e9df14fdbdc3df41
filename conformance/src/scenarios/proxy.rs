//! The proxy scenarios: `proxy-headers` and `proxy-headers-untrusted`,
//! uvicorn's `ProxyHeadersMiddleware` outermost with Starlette's
//! `HTTPSRedirectMiddleware` inside it.

use serde_json::{json, Value};
use sluice::middleware::{HttpsRedirect, ProxyHeaders};
use sluice::{App, Json, Request};

/// `{"client": request.client.host, "scheme": request.url.scheme}`.
async fn whoami(req: Request) -> Json<Value> {
    let client = req.client().map(|client| client.host().into_owned());
    Json(json!({ "client": client, "scheme": req.scheme() }))
}

fn behind(trusted: &str) -> App {
    App::new()
        .get("/whoami", whoami)
        .add_middleware(HttpsRedirect::new())
        .add_middleware(ProxyHeaders::new().trusted([trusted]))
}

/// `--proxy-headers --forwarded-allow-ips 127.0.0.1`: the test client is
/// the trusted proxy.
pub(crate) fn proxy_headers() -> App {
    behind("127.0.0.1")
}

/// `--forwarded-allow-ips 10.1.2.3`: the test client is not trusted.
pub(crate) fn proxy_headers_untrusted() -> App {
    behind("10.1.2.3")
}
