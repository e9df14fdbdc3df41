//! [`HttpsRedirect`]: sends every plain-`http` request to its `https` URL,
//! as Starlette's `HTTPSRedirectMiddleware` does.
//!
//! ```
//! use sluice::middleware::HttpsRedirect;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = || {
//!     App::new()
//!         .get("/", || async { "hello" })
//!         .add_middleware(HttpsRedirect::new())
//! };
//!
//! // Plain http: a 307 to the same URL over https, with an empty body.
//! let client = TestClient::new(app()).base_url("http://example.com:8080");
//! let res = client.post("/a%2Fb?q=1").await;
//! assert_eq!(res.status(), 307);
//! assert_eq!(res.header("location"), Some("https://example.com:8080/a%2Fb?q=1"));
//! assert_eq!(res.text(), "");
//!
//! // Over https the app answers.
//! let client = TestClient::new(app()).base_url("https://example.com");
//! assert_eq!(client.get("/").await.text(), "hello");
//! # }
//! ```
//!
//! # The redirect
//!
//! The answer is a [307 Temporary Redirect](https://www.rfc-editor.org/rfc/rfc9110#section-15.4.8)
//! ([MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/307)),
//! so the client repeats the same method and body (a `POST` stays a
//! `POST`), with an empty body and a [`location`] built from:
//!
//! - the host and port of the [`Host`] header (or of the request target's
//!   authority, for HTTP/2 and absolute-form targets), as sent. Port 80 and
//!   443 are dropped, any other port is kept: `example.com:80` goes to
//!   `https://example.com/`, `example.com:8080` to `https://example.com:8080/`
//!   (a host whose port is dropped is lower-cased, as Starlette's
//!   `url.hostname`: `Example.COM:80` goes to `https://example.com/`);
//! - when there is no `Host` header, or it is malformed (see
//!   [`TrustedHost`](super::trusted_host#which-host-is-checked) for the
//!   grammar) or has a port above 65535, the address the connection was
//!   accepted on ([`ConnectionInfo::local_addr`](crate::ConnectionInfo::local_addr)),
//!   so a forged `Host` such as `evil.com/x` or `a@b` cannot choose where
//!   the client goes. Without that address the answer is
//!   `400 text/plain` `Invalid host header`;
//! - the path and query **exactly as sent**: percent escapes stay as they
//!   are (`/a%2Fb` is not turned into `/a/b`), and any byte that is unsafe
//!   in a URL (space, `"`, `<`, `>`, `` ` ``, `{`, `}`, `|`, `\`, `^`, non-ASCII)
//!   is percent-encoded, so nothing from the request reaches the header
//!   raw. An empty query (`/?`) is dropped.
//!
//! Every request is redirected, whatever its path or method: unknown paths
//! too, since the middleware runs before routing.
//!
//! A request with more than one `Host` header line, or a `Host` that names
//! another host than the request target, gets `400 Invalid host header`
//! ([RFC 9112 §3.2](https://www.rfc-editor.org/rfc/rfc9112#section-3.2)).
//!
//! # Behind a TLS-terminating proxy
//!
//! Behind a load balancer that speaks TLS to the client and plain HTTP to
//! the app, every request arrives as `http`, and redirecting it sends the
//! client round in a loop. The redirect decides on [`Request::scheme`],
//! which [`ProxyHeaders`](super::ProxyHeaders) sets from the proxy's
//! `X-Forwarded-Proto`, as uvicorn's `--proxy-headers` does for Starlette.
//! Add `ProxyHeaders` after it (so that it runs first), naming your proxies:
//!
//! ```
//! use sluice::middleware::{HttpsRedirect, ProxyHeaders};
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/", || async { "hello" })
//!     .add_middleware(HttpsRedirect::new())
//!     .add_middleware(ProxyHeaders::new().trusted(["10.0.0.0/8", "::1"]));
//!
//! // From the proxy, which terminated TLS: served.
//! let client = TestClient::new(app).client_addr("10.1.2.3:41000".parse().unwrap());
//! let res = client.get("/").header("x-forwarded-proto", "https").await;
//! assert_eq!(res.text(), "hello");
//!
//! // The proxy says the client used plain http: redirected.
//! let res = client.get("/").header("x-forwarded-proto", "http").await;
//! assert_eq!(res.status(), 307);
//! # }
//! ```
//!
//! `http` is redirected to `https`, `ws` (a scheme a proxy may report) to
//! `wss`, as Starlette does; `https`, `wss` and any other scheme pass. The
//! `Host` header is used as it arrives from the proxy (`X-Forwarded-Host`
//! is not read).
//!
//! # Better than Starlette
//!
//! - The path is kept exactly as sent; Starlette decodes it first, so
//!   `/a%2Fb` comes back as `/a/b`, a different resource.
//! - More than one `Host` line is a 400 (RFC 9112), not a redirect to the
//!   first one.
//!
//! An HSTS header ([MDN: Strict-Transport-Security](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Strict-Transport-Security))
//! makes browsers skip the plain-http request next time; add it to your
//! https responses separately.
//!
//! [`location`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Location
//! [`Host`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Host

use super::{Middleware, Next};
use crate::hook::{self, Before, Hook};
use crate::request::Request;
use crate::response::{IntoResponse, Redirect, Response};
use crate::stack::StackEntry;
use crate::url::{absolute_url, invalid_host_response, redirect_netloc};

/// Redirects plain-`http` requests to `https`; see the [module docs](self).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct HttpsRedirect {
    _private: (),
}

impl HttpsRedirect {
    /// Redirects every request whose [scheme](Request::scheme) is `http`
    /// (to `https`) or `ws` (to `wss`), as Starlette does.
    pub fn new() -> Self {
        HttpsRedirect::default()
    }
}

/// Where a request of this scheme is sent: `None` when it stays.
fn secure_scheme(scheme: &str) -> Option<&'static str> {
    if scheme.eq_ignore_ascii_case("http") {
        Some("https")
    } else if scheme.eq_ignore_ascii_case("ws") {
        Some("wss")
    } else {
        None
    }
}

/// It only looks at requests: a secure one goes straight on.
impl Hook for HttpsRedirect {
    type State<'a> = ();
    const AFTER: bool = false;

    fn before(&self, req: &mut Request) -> Before<()> {
        let Some(target) = secure_scheme(req.scheme()) else {
            return Before::Pass(());
        };
        let netloc = redirect_netloc(
            req.headers(),
            req.uri().authority(),
            req.connection().local_addr,
            true,
        );
        let Some(netloc) = netloc else {
            return Before::Answer(invalid_host_response());
        };
        // A WebSocket handshake goes to `wss://`, as Starlette sends it.
        let target = if target == "https" && crate::websocket::is_handshake(req) {
            "wss"
        } else {
            target
        };
        let location = absolute_url(target, false, &netloc, req.path(), req.query());
        Before::Answer(Redirect::temporary(location).into_response())
    }
}

impl Middleware for HttpsRedirect {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }
}

#[cfg(test)]
mod tests {
    use super::secure_scheme;

    #[test]
    fn plain_schemes_go_to_their_secure_twin() {
        assert_eq!(secure_scheme("http"), Some("https"));
        assert_eq!(secure_scheme("HTTP"), Some("https"));
        assert_eq!(secure_scheme("ws"), Some("wss"));
        assert_eq!(secure_scheme("https"), None);
        assert_eq!(secure_scheme("wss"), None);
        assert_eq!(secure_scheme("ftp"), None);
    }
}
