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
//!   `https://example.com/`, `example.com:8080` to `https://example.com:8080/`;
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
//! client round in a loop. Starlette leaves that to the server's
//! `--forwarded-allow-ips`; sluice lets you name the proxies whose
//! [`X-Forwarded-Proto`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-Proto)
//! it believes, with [`HttpsRedirect::trusted_proxies`]:
//!
//! ```
//! use sluice::middleware::HttpsRedirect;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/", || async { "hello" })
//!     .add_middleware(HttpsRedirect::new().trusted_proxies(["10.0.0.0/8", "::1"]));
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
//! The header is read only from a trusted peer; from anyone else it is
//! ignored, since any client can send it. With several values (a chain of
//! proxies, as a list or as several lines) the last one counts: it is the
//! one your proxy added. A value other than `http` or `https` is ignored
//! and the connection's own scheme decides. The `Host` header is used as
//! it arrives from the proxy (`X-Forwarded-Host` is not read).
//!
//! # Better than Starlette
//!
//! - The path is kept exactly as sent; Starlette decodes it first, so
//!   `/a%2Fb` comes back as `/a/b`, a different resource.
//! - More than one `Host` line is a 400 (RFC 9112), not a redirect to the
//!   first one.
//! - Trusted proxies' `X-Forwarded-Proto` is believed, so the app works
//!   behind a TLS-terminating proxy without a redirect loop.
//!
//! An HSTS header ([MDN: Strict-Transport-Security](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Strict-Transport-Security))
//! makes browsers skip the plain-http request next time; add it to your
//! https responses separately.
//!
//! [`location`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Location
//! [`Host`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Host

use std::net::{IpAddr, SocketAddr};

use http::header::{HeaderMap, HeaderName};
use ipnet::IpNet;

use super::{Middleware, Next};
use crate::error::ConfigError;
use crate::request::Request;
use crate::response::{IntoResponse, Redirect, Response};
use crate::url::{absolute_url, invalid_host_response, redirect_netloc};

static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Redirects plain-`http` requests to `https`; see the [module docs](self).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct HttpsRedirect {
    /// Peers whose `X-Forwarded-Proto` is believed.
    proxies: Vec<IpNet>,
    /// `*` was among the proxies: every peer is believed.
    any_proxy: bool,
    /// The first proxy entry that is not an address, reported by `validate`.
    invalid: Option<String>,
}

impl HttpsRedirect {
    /// Redirects every request whose connection is not secure, trusting no
    /// proxy (Starlette's behaviour).
    pub fn new() -> Self {
        HttpsRedirect::default()
    }

    /// The proxies whose `X-Forwarded-Proto` header tells the scheme the
    /// client used, replacing the previous list: IP addresses (`127.0.0.1`,
    /// `::1`) or networks in CIDR notation (`10.0.0.0/8`, `fd00::/8`),
    /// compared with the peer's address (IPv4-mapped IPv6 peers count as
    /// IPv4). `*` trusts every peer: only do that when no client can reach
    /// the app except through the proxy.
    ///
    /// Default: none, so the header is never read. An entry that is not an
    /// address or network makes building the app fail.
    pub fn trusted_proxies<I, S>(mut self, proxies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.proxies.clear();
        self.any_proxy = false;
        self.invalid = None;
        for entry in proxies {
            let entry = entry.as_ref().trim();
            if entry == "*" {
                self.any_proxy = true;
                continue;
            }
            let parsed = match entry.parse::<IpAddr>() {
                Ok(addr) => Ok(IpNet::from(addr)),
                Err(_) => entry.parse::<IpNet>().map(|net| net.trunc()),
            };
            match parsed {
                Ok(net) => self.proxies.push(net),
                Err(_) if self.invalid.is_none() => {
                    self.invalid = Some(format!(
                        "trusted proxy {entry:?} is not an IP address or network \
                         (like \"10.0.0.0/8\" or \"::1\")"
                    ));
                }
                Err(_) => {}
            }
        }
        self
    }

    /// Whether the request reached the client's side over https: the last
    /// `X-Forwarded-Proto` value from a trusted proxy, else the connection.
    fn is_secure(&self, req: &Request) -> bool {
        if self.trusts(req.client_addr()) {
            if let Some(secure) = forwarded_proto(req.headers()) {
                return secure;
            }
        }
        req.scheme().eq_ignore_ascii_case("https")
    }

    fn trusts(&self, peer: Option<SocketAddr>) -> bool {
        if self.any_proxy {
            return true;
        }
        if self.proxies.is_empty() {
            return false;
        }
        let Some(peer) = peer else { return false };
        let ip = peer.ip().to_canonical();
        self.proxies.iter().any(|net| net.contains(&ip))
    }
}

/// The last `X-Forwarded-Proto` value: `Some(true)` for `https`,
/// `Some(false)` for `http`, `None` when absent or anything else.
fn forwarded_proto(headers: &HeaderMap) -> Option<bool> {
    let last_line = headers.get_all(&X_FORWARDED_PROTO).iter().next_back()?;
    let value = last_line.to_str().ok()?.rsplit(',').next()?.trim();
    if value.eq_ignore_ascii_case("https") {
        Some(true)
    } else if value.eq_ignore_ascii_case("http") {
        Some(false)
    } else {
        None
    }
}

impl Middleware for HttpsRedirect {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        if self.is_secure(&req) {
            return Ok(next.run(req).await);
        }
        let netloc = redirect_netloc(
            req.headers(),
            req.uri().authority(),
            req.connection().local_addr,
            true,
        );
        let Some(netloc) = netloc else {
            return Ok(invalid_host_response());
        };
        let location = absolute_url("https", false, &netloc, req.path(), req.query());
        Ok(Redirect::temporary(location).into_response())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match &self.invalid {
            Some(reason) => Err(ConfigError::middleware(self.name(), reason.clone())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn proto(lines: &[&'static str]) -> Option<bool> {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(&X_FORWARDED_PROTO, HeaderValue::from_static(line));
        }
        forwarded_proto(&headers)
    }

    #[test]
    fn last_forwarded_proto_value_counts() {
        assert_eq!(proto(&[]), None);
        assert_eq!(proto(&["https"]), Some(true));
        assert_eq!(proto(&["HTTPS"]), Some(true));
        assert_eq!(proto(&["http"]), Some(false));
        assert_eq!(proto(&["https, http"]), Some(false));
        assert_eq!(proto(&["http,https"]), Some(true));
        assert_eq!(proto(&["http", "https"]), Some(true));
        assert_eq!(proto(&["https", "http"]), Some(false));
        assert_eq!(proto(&["ftp"]), None);
        assert_eq!(proto(&[""]), None);
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        let redirect = HttpsRedirect::new().trusted_proxies(["10.0.0.0/8", "::1", " 192.168.1.7 "]);
        assert!(redirect.invalid.is_none());
        assert!(redirect.trusts(Some("10.200.0.1:1".parse().expect("addr"))));
        assert!(redirect.trusts(Some("[::1]:1".parse().expect("addr"))));
        assert!(redirect.trusts(Some("192.168.1.7:1".parse().expect("addr"))));
        assert!(redirect.trusts(Some("[::ffff:10.0.0.1]:1".parse().expect("addr"))));
        assert!(!redirect.trusts(Some("11.0.0.1:1".parse().expect("addr"))));
        assert!(!redirect.trusts(None));
        assert!(!HttpsRedirect::new().trusts(Some("10.0.0.1:1".parse().expect("addr"))));
        assert!(HttpsRedirect::new().trusted_proxies(["*"]).trusts(None));
        for bad in ["", "10.0.0.0/33", "localhost", "10.0.0", "10.0.0.1:80"] {
            let redirect = HttpsRedirect::new().trusted_proxies([bad]);
            assert!(redirect.validate().is_err(), "{bad:?}");
        }
    }
}
