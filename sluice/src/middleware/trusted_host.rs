//! [`TrustedHost`]: refuses requests whose [`Host`] is not one of yours,
//! as Starlette's `TrustedHostMiddleware` does.
//!
//! ```
//! use sluice::middleware::TrustedHost;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/", || async { "hello" })
//!     .add_middleware(
//!         TrustedHost::new().allowed_hosts(["example.com", "*.example.com", "www.example.net"]),
//!     );
//! let client = TestClient::new(app);
//!
//! // The host is compared without its port, ignoring case.
//! let res = client.get("/").header("host", "API.example.com:8443").await;
//! assert_eq!(res.status(), 200);
//!
//! // Any other host, a malformed one or none at all gets a plain-text 400.
//! let res = client.get("/").header("host", "evil.com").await;
//! assert_eq!(res.status(), 400);
//! assert_eq!(res.header("content-type"), Some("text/plain; charset=utf-8"));
//! assert_eq!(res.text(), "Invalid host header");
//!
//! // `example.net` is not allowed but `www.example.net` is: 307 there.
//! let res = client.get("/p?a=1").header("host", "example.net:8080").await;
//! assert_eq!(res.status(), 307);
//! assert_eq!(res.header("location"), Some("http://www.example.net:8080/p?a=1"));
//! # }
//! ```
//!
//! Checking the host protects against [Host header attacks]: links in
//! password-reset mails, cache keys or redirects built from a host the
//! attacker chose, and DNS rebinding against a server on a private network.
//!
//! # Patterns
//!
//! [`TrustedHost::allowed_hosts`] takes a list of patterns, lower-cased when
//! they are set:
//!
//! | pattern | matches |
//! |---|---|
//! | `*` (the default) | every request: the middleware does nothing at all |
//! | `example.com` | exactly `example.com` |
//! | `*.example.com` | `a.example.com`, `a.b.example.com` (any depth), but **not** the apex `example.com`: list it too if you want it |
//! | `[::1]` | the IPv6 address, written in brackets as in a URL |
//! | `127.0.0.1` | the IPv4 address |
//!
//! A pattern that can never match is refused when the app is built
//! ([`App::build`](crate::App::build), [`TestClient::new`](crate::testing::TestClient::new),
//! the server): a `*` anywhere but at the start of `*.`, an empty pattern, a
//! port (`example.com:8000`: ports are never compared), an IPv6 address
//! without brackets, or characters no host has.
//!
//! ```
//! use sluice::middleware::TrustedHost;
//! use sluice::App;
//!
//! let app = App::new().add_middleware(TrustedHost::new().allowed_hosts(["api.*.com"]));
//! let err = app.build().unwrap_err();
//! assert!(err.to_string().contains("must be like '*.example.com'"));
//! ```
//!
//! # Which host is checked
//!
//! The request target's authority when it has one (HTTP/2's `:authority`,
//! an absolute-form HTTP/1.1 target), otherwise the [`Host`] header. It is
//! parsed with the grammar of Starlette's `parse_host_header`, a strict
//! subset of [RFC 9110 §7.2](https://www.rfc-editor.org/rfc/rfc9110#section-7.2)'s
//! `uri-host [ ":" port ]`: a name of ASCII letters, digits and
//! `-._~%!$&'()*+,;=` (so `my_service`, a docker-compose name, is a host), or
//! an IP literal in brackets (`[::1]:8000` is the host `[::1]`), then an
//! optional `:` and digits, the port, which is dropped. The host is
//! compared ASCII case-insensitively. A trailing dot is part of the name,
//! so `example.com.` is not `example.com`. `X-Forwarded-Host` is never read.
//!
//! The request is refused with `400 text/plain; charset=utf-8`
//! `Invalid host header` ([MDN: 400](https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/400))
//! when the host is missing, malformed, not text, or matches no pattern.
//!
//! # `www` redirect
//!
//! With [`TrustedHost::www_redirect`] on (the default), a request for a
//! host that is not allowed, but whose `www.` form is listed exactly as a
//! pattern, is redirected there with a
//! [307](https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/307)
//! (method and body are kept), an empty body and a `location` holding the
//! same scheme, port, path and query: `example.net:8080/p?a=1` becomes
//! `http://www.example.net:8080/p?a=1` (`ws://` for a WebSocket handshake,
//! as Starlette's URL of a WebSocket scope). A port above 65535 is no port:
//! the server's own address stands in, as in Starlette. A wildcard pattern
//! never causes a redirect. Turned off, such requests get the 400.
//!
//! # Better than Starlette
//!
//! - A request with more than one `Host` header line is refused, as
//!   [RFC 9112 §3.2](https://www.rfc-editor.org/rfc/rfc9112#section-3.2)
//!   requires; Starlette checks the first one and lets the app see both. So
//!   is a `Host` that names another host than the request target.
//! - The `www` redirect keeps the path exactly as sent (`/a%2Fb` stays
//!   encoded) and percent-encodes any byte that is unsafe in a URL, so the
//!   `location` can never carry raw bytes from the request.
//! - Patterns that can never match are refused when the app is built
//!   instead of silently matching nothing.
//!
//! Put it last (outermost) so that no other middleware runs for a refused
//! host. See [MDN: Host](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Host).
//!
//! [`Host`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Host
//! [Host header attacks]: https://portswigger.net/web-security/host-header

use std::net::Ipv6Addr;

use super::{Middleware, Next};
use crate::error::ConfigError;
use crate::hook::{self, Before, Hook};
use crate::request::Request;
use crate::response::{IntoResponse, Redirect, Response};
use crate::stack::StackEntry;
use crate::url::{
    absolute_url, invalid_host_response, netloc_of, request_host, HostPort, Port, RequestHost,
};
use crate::websocket::is_handshake;

/// Starlette's wording for a misplaced `*`.
const ENFORCE_DOMAIN_WILDCARD: &str = "domain wildcard patterns must be like '*.example.com'";

/// Refuses requests for hosts that are not allowed; see the
/// [module docs](self).
#[derive(Debug, Clone)]
#[must_use]
pub struct TrustedHost {
    /// `*` is one of the patterns: every request passes untouched.
    allow_any: bool,
    /// Lower-cased hosts matched exactly (IPv6 with brackets).
    exact: Vec<Box<str>>,
    /// Lower-cased suffixes from `*.` patterns, with their leading dot
    /// (`.example.com`), so matching is one `ends_with`.
    suffixes: Vec<Box<str>>,
    /// Whether to redirect to a listed `www.` host.
    www_redirect: bool,
    /// The first pattern that can never match, reported by `validate`.
    invalid: Option<String>,
}

impl Default for TrustedHost {
    fn default() -> Self {
        TrustedHost {
            allow_any: true,
            exact: Vec::new(),
            suffixes: Vec::new(),
            www_redirect: true,
            invalid: None,
        }
    }
}

impl TrustedHost {
    /// Allows every host (`allowed_hosts = ["*"]`, Starlette's default, which
    /// makes the middleware a no-op) with the `www` redirect on. Set the
    /// hosts with [`TrustedHost::allowed_hosts`].
    pub fn new() -> Self {
        TrustedHost::default()
    }

    /// The host patterns to allow, replacing the previous ones: exact hosts
    /// (`example.com`, `[::1]`), `*.example.com` for any subdomain at any
    /// depth (not the apex), or `*` for any host. See the
    /// [module docs](self#patterns).
    ///
    /// An empty list allows no host at all. A pattern that can never match
    /// makes building the app fail.
    pub fn allowed_hosts<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allow_any = false;
        self.exact.clear();
        self.suffixes.clear();
        self.invalid = None;
        for pattern in patterns {
            let pattern = pattern.as_ref();
            match parse_pattern(pattern) {
                Ok(Pattern::Any) => self.allow_any = true,
                Ok(Pattern::Exact(host)) => self.exact.push(host),
                Ok(Pattern::Suffix(suffix)) => self.suffixes.push(suffix),
                Err(reason) => {
                    if self.invalid.is_none() {
                        self.invalid = Some(format!("allowed host {pattern:?}: {reason}"));
                    }
                }
            }
        }
        self
    }

    /// Whether a request for `example.com` is redirected (307) to
    /// `www.example.com` when only the latter is an allowed pattern.
    /// Default: `true`, as in Starlette.
    pub fn www_redirect(mut self, enabled: bool) -> Self {
        self.www_redirect = enabled;
        self
    }

    /// Whether `host` (without port, any case) matches a pattern.
    fn allows(&self, host: &str) -> bool {
        self.exact.iter().any(|p| p.eq_ignore_ascii_case(host))
            || self.suffixes.iter().any(|s| ends_with_ignore_case(host, s))
    }

    /// Whether `www.` + `host` is an exact pattern.
    fn lists_www_of(&self, host: &str) -> bool {
        self.exact.iter().any(|p| {
            p.strip_prefix("www.")
                .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
        })
    }
}

/// It only looks at requests: one it lets through goes straight on.
impl Hook for TrustedHost {
    type State<'a> = ();
    const AFTER: bool = false;

    fn before(&self, req: &mut Request) -> Before<()> {
        if self.allow_any {
            return Before::Pass(());
        }
        match request_host(req.headers(), req.uri().authority()) {
            RequestHost::Valid(HostPort { host, .. }) if self.allows(host) => Before::Pass(()),
            RequestHost::Valid(found) if self.www_redirect && self.lists_www_of(found.host) => {
                // The host as Starlette's URL of the request names it.
                let local_addr = req.connection().local_addr;
                let Some(netloc) = netloc_of(RequestHost::Valid(found), local_addr, false) else {
                    return Before::Answer(invalid_host_response());
                };
                let scheme = match req.scheme() {
                    "http" if is_handshake(req) => "ws",
                    "https" if is_handshake(req) => "wss",
                    scheme => scheme,
                };
                let location = absolute_url(scheme, true, &netloc, req.path(), req.query());
                Before::Answer(Redirect::temporary(location).into_response())
            }
            _ => Before::Answer(invalid_host_response()),
        }
    }
}

impl Middleware for TrustedHost {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match &self.invalid {
            Some(reason) => Err(ConfigError::middleware(self.name(), reason.clone())),
            None => Ok(()),
        }
    }

    /// Allowing every host, it never answers nor changes anything.
    fn passes_through(&self) -> bool {
        self.allow_any
    }
}

/// One allowed-host pattern, lower-cased.
#[derive(Debug, PartialEq, Eq)]
enum Pattern {
    Any,
    Exact(Box<str>),
    Suffix(Box<str>),
}

/// Checks a pattern and lower-cases it; the error says why it can never
/// match.
fn parse_pattern(pattern: &str) -> Result<Pattern, &'static str> {
    let pattern = pattern.to_ascii_lowercase();
    if pattern == "*" {
        return Ok(Pattern::Any);
    }
    if pattern.get(1..).is_some_and(|rest| rest.contains('*'))
        || (pattern.starts_with('*') && !pattern.starts_with("*."))
    {
        return Err(ENFORCE_DOMAIN_WILDCARD);
    }
    if let Some(domain) = pattern.strip_prefix("*.") {
        return match HostPort::parse(domain) {
            Some(HostPort {
                port: Port::Absent, ..
            }) if !domain.starts_with('[') => Ok(Pattern::Suffix(pattern[1..].into())),
            _ => Err(ENFORCE_DOMAIN_WILDCARD),
        };
    }
    match HostPort::parse(&pattern) {
        Some(HostPort {
            port: Port::Absent, ..
        }) => Ok(Pattern::Exact(pattern.into_boxed_str())),
        Some(_) => Err("patterns take no port (the port is never compared)"),
        None if pattern.parse::<Ipv6Addr>().is_ok() => {
            Err("write IPv6 addresses in brackets, like \"[::1]\"")
        }
        None => Err(
            "not a host: use ASCII letters, digits and -._~%!$&'()*+,;= or an IPv6 address in brackets",
        ),
    }
}

/// `host.ends_with(suffix)`, ASCII case-insensitively (`suffix` is
/// lower-case).
fn ends_with_ignore_case(host: &str, suffix: &str) -> bool {
    host.len() >= suffix.len()
        && host.as_bytes()[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_lower_cased_and_sorted_by_kind() {
        assert_eq!(parse_pattern("*"), Ok(Pattern::Any));
        assert_eq!(
            parse_pattern("Example.COM"),
            Ok(Pattern::Exact("example.com".into()))
        );
        assert_eq!(
            parse_pattern("*.Example.com"),
            Ok(Pattern::Suffix(".example.com".into()))
        );
        assert_eq!(parse_pattern("[::1]"), Ok(Pattern::Exact("[::1]".into())));
        // A docker-compose service name is a host, as in Starlette.
        assert_eq!(
            parse_pattern("My_Service"),
            Ok(Pattern::Exact("my_service".into()))
        );
        assert_eq!(
            parse_pattern("127.0.0.1"),
            Ok(Pattern::Exact("127.0.0.1".into()))
        );
    }

    #[test]
    fn patterns_that_can_never_match_are_refused() {
        for bad in ["a*", "*example.com", "*.*.example.com", "ex*.com", "**"] {
            assert_eq!(parse_pattern(bad), Err(ENFORCE_DOMAIN_WILDCARD), "{bad:?}");
        }
        for bad in [
            "",
            "*.",
            "*.[::1]",
            "*.example.com:80",
            "example.com:8000",
            "::1",
            "exa mple.com",
            "user@example.com",
            "https://example.com",
            "example.com/",
        ] {
            assert!(parse_pattern(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn suffix_match_ignores_case_and_needs_the_dot() {
        assert!(ends_with_ignore_case("A.Example.COM", ".example.com"));
        assert!(!ends_with_ignore_case("example.com", ".example.com"));
        assert!(!ends_with_ignore_case("badexample.com", ".example.com"));
        assert!(!ends_with_ignore_case("", ".example.com"));
        assert!(!ends_with_ignore_case("é.example.co", ".example.com"));
    }
}
