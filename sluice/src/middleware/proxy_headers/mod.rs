//! [`ProxyHeaders`]: the client address and scheme a trusted reverse proxy
//! reports, as uvicorn's `ProxyHeadersMiddleware` (`--proxy-headers
//! --forwarded-allow-ips`) reads them.
//!
//! ```
//! use sluice::middleware::ProxyHeaders;
//! use sluice::testing::TestClient;
//! use sluice::{App, ClientAddr, Request};
//!
//! async fn whoami(client: ClientAddr, req: Request) -> String {
//!     format!("{} {}", client.host(), req.scheme())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = || {
//!     App::new()
//!         .get("/whoami", whoami)
//!         .add_middleware(ProxyHeaders::new().trusted(["10.0.0.0/8"]))
//! };
//!
//! // From the proxy: the client and scheme it reports.
//! let proxy = TestClient::new(app()).client_addr("10.1.2.3:41000".parse().unwrap());
//! let res = proxy
//!     .get("/whoami")
//!     .header("x-forwarded-for", "203.0.113.9, 10.0.0.7")
//!     .header("x-forwarded-proto", "https")
//!     .await;
//! assert_eq!(res.text(), "203.0.113.9 https");
//!
//! // From anyone else the headers are ignored: any client can send them.
//! let direct = TestClient::new(app()).client_addr("198.51.100.4:5000".parse().unwrap());
//! let res = direct.get("/whoami").header("x-forwarded-for", "1.2.3.4").await;
//! assert_eq!(res.text(), "198.51.100.4 http");
//! # }
//! ```
//!
//! # One source of truth
//!
//! It sets the request's client ([`Request::set_client`]) and scheme
//! ([`Request::set_scheme`]); everything after it reads those:
//! [`Request::client`], the [`ClientAddr`] extractor, [`Request::scheme`],
//! [`HttpsRedirect`](super::HttpsRedirect), the trailing-slash redirect,
//! [`TrustedHost`](super::TrustedHost)'s `www` redirect and
//! [`AccessLog`](super::AccessLog). Nothing else in sluice reads forwarded
//! headers. Add it **last**, so that it is the outermost middleware and every
//! other one sees the client it reports (uvicorn applies it outside the whole
//! app).
//!
//! # Which peers are trusted
//!
//! [`ProxyHeaders::trusted`] takes IP addresses (`127.0.0.1`, `::1`,
//! `fe80::1%eth0`), networks in CIDR notation (`10.0.0.0/8`, `fd00::/8`),
//! `*` (every peer: only when no client can reach the app except through
//! the proxy), and literal names, compared as text with the client a
//! previous proxy reported (a unix socket path, an RFC 7239 obfuscated
//! identifier such as `_proxy1`). The default is `127.0.0.1`, as uvicorn's.
//! An entry that can never match fails [`App::build`](crate::App::build):
//! a malformed address or network (`10.0.0`, `10.0.0.0/33`, `10.0.0.1/8`,
//! which has host bits set), an address with a port (ports are not
//! compared), `*` next to other entries, `localhost` (names are not
//! resolved: write `127.0.0.1` and `::1`), an empty entry.
//!
//! # What it reads from a trusted peer
//!
//! Exactly what uvicorn 0.54 reads:
//!
//! - [`X-Forwarded-Proto`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-Proto):
//!   the last such header, trimmed, when it is exactly `http`, `https`,
//!   `ws` or `wss` (lower case, one value): it becomes the scheme. Anything
//!   else (`HTTPS`, `https, http`) is ignored. On a WebSocket handshake
//!   (`Connection: upgrade`, `Upgrade: websocket`) `http` counts as `ws`
//!   and `https` as `wss`.
//! - [`X-Forwarded-For`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-For):
//!   all such headers joined, split at commas, each entry trimmed. Walking
//!   from the right (each proxy appends the address it saw), the first
//!   entry that is not itself a trusted proxy is the client; when all are
//!   trusted, the leftmost. A port is split off `1.2.3.4:5678` and
//!   `[2001:db8::1]:5678` (and brackets off `[2001:db8::1]`); an entry that
//!   is not an address (`not-an-ip`, `1.2.3.4:notaport`) is taken as it is,
//!   never trusted unless listed as a literal; an empty entry leaves the
//!   client as it was.
//!
//! From a peer that is not trusted, nothing changes.
//!
//! # Beyond uvicorn
//!
//! - [`ProxyHeaders::forwarded`]: read the standard
//!   [`Forwarded`](https://www.rfc-editor.org/rfc/rfc7239) header
//!   **instead of** the `X-Forwarded-*` pair, with `for=` and `proto=`,
//!   quoted values, IPv6 in brackets with ports, `unknown` and obfuscated
//!   identifiers. The same walk picks an element; its `for=` is the client
//!   and its `proto=` the scheme. An element that breaks RFC 7239's syntax
//!   stops the walk and nothing changes.
//! - [`ProxyHeaders::max_hops`]: read at most that many entries from the
//!   right; when all of them are trusted, the leftmost of those is the
//!   client. With `*` that is "trust exactly N proxies".

use std::net::IpAddr;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;

use crate::error::ConfigError;
use crate::headers::latin1;
use crate::hook::{self, Before, Hook};
use crate::middleware::{Middleware, Next};
use crate::request::{ClientAddr, Request, Scheme};
use crate::response::Response;
use crate::stack::StackEntry;

mod parse;
#[cfg(test)]
mod tests;

use parse::{forwarded_elements, parse_host_port, py_ip, py_strip, Element};

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// Sets the client and scheme from a trusted proxy's headers; see the
/// [module docs](self).
#[derive(Debug, Clone)]
#[must_use]
pub struct ProxyHeaders {
    trusted: Trusted,
    forwarded: bool,
    max_hops: Option<usize>,
    /// The first configuration mistake, reported by `validate`.
    invalid: Option<String>,
}

impl Default for ProxyHeaders {
    fn default() -> Self {
        ProxyHeaders::new()
    }
}

/// The trusted peers, as uvicorn sorts them: addresses, networks, names.
#[derive(Debug, Clone, Default)]
struct Trusted {
    any: bool,
    addrs: Vec<(IpAddr, Option<Box<str>>)>,
    nets: Vec<IpNet>,
    literals: Vec<Box<str>>,
}

impl ProxyHeaders {
    /// Trusts `127.0.0.1`, uvicorn's default, and reads `X-Forwarded-For`
    /// and `X-Forwarded-Proto`.
    pub fn new() -> Self {
        ProxyHeaders {
            trusted: Trusted {
                addrs: vec![(IpAddr::from([127, 0, 0, 1]), None)],
                ..Trusted::default()
            },
            forwarded: false,
            max_hops: None,
            invalid: None,
        }
    }

    /// The trusted peers, replacing the list: addresses, CIDR networks,
    /// `*` or literal names (see [the module docs](self#which-peers-are-trusted)).
    /// An entry may itself be a comma-separated list, as uvicorn's
    /// `--forwarded-allow-ips` and `FORWARDED_ALLOW_IPS` are.
    pub fn trusted<I, S>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.trusted = Trusted::default();
        self.invalid = None;
        let mut count = 0;
        for list in entries {
            for entry in list.as_ref().split(',') {
                count += 1;
                if let Err(reason) = self.trusted.add(entry.trim()) {
                    self.invalid.get_or_insert(reason);
                }
            }
        }
        if self.trusted.any && count > 1 {
            self.invalid.get_or_insert_with(|| {
                "`*` trusts every peer and must be the only trusted entry".to_owned()
            });
        }
        self
    }

    /// Reads the RFC 7239 `Forwarded` header instead of `X-Forwarded-For`
    /// and `X-Forwarded-Proto` (default: off, as uvicorn). Turn it on only
    /// when your proxy writes `Forwarded`: a header that your proxy passes
    /// through untouched is the client's own.
    pub fn forwarded(mut self, on: bool) -> Self {
        self.forwarded = on;
        self
    }

    /// Reads at most `hops` entries of the forwarded chain, from the right
    /// (default: all of them). When all of those are trusted, the leftmost
    /// of them is the client. `0` fails the build.
    pub fn max_hops(mut self, hops: usize) -> Self {
        if hops == 0 {
            self.invalid
                .get_or_insert_with(|| "max_hops must be at least 1".to_owned());
        }
        self.max_hops = Some(hops);
        self
    }

    /// Whether the request's current client is a trusted proxy.
    fn trusts_client(&self, req: &Request) -> bool {
        if self.trusted.any {
            return true;
        }
        match req.client() {
            None => false,
            Some(client) => match client.text() {
                Some(text) => self.trusted.contains(text),
                // The socket peer: an IPv4 client of a dual-stack socket
                // shows as `::ffff:a.b.c.d`, which is the same host, so
                // either form may be listed (uvicorn looks up the first).
                None => client.ip().is_some_and(|ip| {
                    self.trusted.contains_ip(ip, None)
                        || self.trusted.contains_ip(ip.to_canonical(), None)
                }),
            },
        }
    }

    fn apply_x_forwarded(&self, req: &mut Request) {
        let headers = req.headers();
        let scheme = headers
            .get_all(&X_FORWARDED_PROTO)
            .iter()
            .next_back()
            .and_then(|value| forwarded_proto(value.as_bytes(), true))
            .map(|scheme| for_upgrade(scheme, headers));
        let client = if headers.contains_key(&X_FORWARDED_FOR) {
            self.client_from_for(headers)
        } else {
            None
        };
        if let Some(scheme) = scheme {
            req.set_scheme(scheme);
        }
        if let Some(client) = client {
            req.set_client(client);
        }
    }

    /// The client `X-Forwarded-For` names: `None` to leave it unchanged.
    fn client_from_for(&self, headers: &HeaderMap) -> Option<ClientAddr> {
        let entries = headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .rev()
            .flat_map(|line| line.as_bytes().rsplit(|&b| b == b','))
            .map(py_strip);
        let chosen = self.walk(entries, |entry| {
            let (host, _) = parse_host_port(entry);
            self.trusted_bytes(host)
        })?;
        let (host, port) = parse_host_port(chosen);
        if host.is_empty() {
            return None;
        }
        Some(ClientAddr::new(latin1(host), port))
    }

    /// Walks the chain from the right: the first entry `trusted` refuses,
    /// or the leftmost one read when all are trusted.
    fn walk<'a>(
        &self,
        entries: impl Iterator<Item = &'a [u8]>,
        trusted: impl Fn(&[u8]) -> bool,
    ) -> Option<&'a [u8]> {
        let limit = self.max_hops.unwrap_or(usize::MAX);
        let mut last = None;
        for entry in entries.take(limit) {
            if !self.trusted.any && !trusted(entry) {
                return Some(entry);
            }
            last = Some(entry);
        }
        last
    }

    fn trusted_bytes(&self, host: &[u8]) -> bool {
        match std::str::from_utf8(host) {
            Ok(text) if host.is_ascii() => self.trusted.contains(text),
            // Not ASCII: no address; compare with the literals as uvicorn
            // does, after the same latin-1 decoding.
            _ => self.trusted.contains(&latin1(host)),
        }
    }

    fn apply_forwarded(&self, req: &mut Request) {
        let headers = req.headers();
        if !headers.contains_key(&FORWARDED) {
            return;
        }
        let lines = headers
            .get_all(&FORWARDED)
            .iter()
            .map(HeaderValue::as_bytes);
        let Some(elements) = forwarded_elements(lines) else {
            return;
        };
        let limit = self.max_hops.unwrap_or(usize::MAX);
        let mut chosen: Option<&Element> = None;
        for element in elements.iter().rev().take(limit) {
            // A malformed element: who is behind it cannot be known.
            let Some(element) = element else { return };
            chosen = Some(element);
            let trusted = match &element.node {
                Some(node) => self.trusted.any || self.trusted.contains(&node.host),
                None => false,
            };
            if !trusted {
                break;
            }
        }
        let Some(element) = chosen else { return };
        let scheme = element
            .proto
            .as_deref()
            .and_then(|proto| forwarded_proto(proto.as_bytes(), false))
            .map(|scheme| for_upgrade(scheme, headers));
        let client = element
            .node
            .as_ref()
            .map(|node| ClientAddr::new(node.host.as_str(), node.port));
        if let Some(scheme) = scheme {
            req.set_scheme(scheme);
        }
        if let Some(client) = client {
            req.set_client(client);
        }
    }
}

impl Trusted {
    fn add(&mut self, entry: &str) -> Result<(), String> {
        if entry.is_empty() {
            return Err("an empty trusted proxy entry matches nothing".to_owned());
        }
        if entry == "*" {
            self.any = true;
            return Ok(());
        }
        if let Some((addr, _)) = entry.split_once('/') {
            if addr.parse::<IpAddr>().is_ok() {
                let net = entry.parse::<IpNet>().map_err(|_| {
                    format!(
                        "trusted proxy {entry:?} is not a network: write an address and a \
                         prefix length, like \"10.0.0.0/8\" or \"fd00::/8\""
                    )
                })?;
                if net.trunc() != net {
                    return Err(format!(
                        "trusted proxy {entry:?} has host bits set: did you mean \"{}\"?",
                        net.trunc()
                    ));
                }
                self.nets.push(net);
                return Ok(());
            }
            // A path (a unix socket) or another name: a literal.
            self.literals.push(entry.into());
            return Ok(());
        }
        if let Some((ip, scope)) = py_ip(entry) {
            self.addrs.push((ip, scope.map(Into::into)));
            return Ok(());
        }
        if entry.eq_ignore_ascii_case("localhost") {
            return Err(
                "trusted proxy \"localhost\" is compared as text, never resolved: \
                 write \"127.0.0.1\" and \"::1\""
                    .to_owned(),
            );
        }
        if looks_like_address(entry) {
            return Err(format!(
                "trusted proxy {entry:?} is not an IP address (like \"10.0.0.1\" or \"::1\"); \
                 ports are not part of a trusted address"
            ));
        }
        self.literals.push(entry.into());
        Ok(())
    }

    /// uvicorn's `host in trusted_hosts`, for text.
    fn contains(&self, host: &str) -> bool {
        if self.any {
            return true;
        }
        if host.is_empty() {
            return false;
        }
        match py_ip(host) {
            Some((ip, scope)) => self.contains_ip(ip, scope),
            None => self.literals.iter().any(|literal| &**literal == host),
        }
    }

    fn contains_ip(&self, ip: IpAddr, scope: Option<&str>) -> bool {
        self.any
            || self
                .addrs
                .iter()
                .any(|(addr, s)| *addr == ip && s.as_deref() == scope)
            || self.nets.iter().any(|net| net.contains(&ip))
    }
}

/// Text that was meant as an address: digits and dots only (`10.0.0`,
/// `010.0.0.1`), something with a port (`10.0.0.1:80`), or in brackets.
fn looks_like_address(entry: &str) -> bool {
    let digits_and_dots = entry.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let with_port = entry
        .rsplit_once(':')
        .is_some_and(|(host, _)| py_ip(host.trim_matches(|c| c == '[' || c == ']')).is_some());
    digits_and_dots || with_port || entry.starts_with('[')
}

/// A `X-Forwarded-Proto` value (`exact`: trimmed, lower case only, as
/// uvicorn) or a `Forwarded` `proto=` value (any case).
fn forwarded_proto(value: &[u8], exact: bool) -> Option<Scheme> {
    let value = if exact { py_strip(value) } else { value };
    [Scheme::Http, Scheme::Https, Scheme::Ws, Scheme::Wss]
        .into_iter()
        .find(|scheme| {
            let name = scheme.as_str().as_bytes();
            if exact {
                value == name
            } else {
                value.eq_ignore_ascii_case(name)
            }
        })
}

/// On a WebSocket handshake (as the server and the router tell it apart:
/// the last `Upgrade` is `websocket`) `http` means `ws` and `https` means
/// `wss`, as uvicorn reports them for a WebSocket scope.
fn for_upgrade(scheme: Scheme, headers: &HeaderMap) -> Scheme {
    let upgrade = crate::websocket::is_websocket_request(headers);
    match scheme {
        Scheme::Http if upgrade => Scheme::Ws,
        Scheme::Https if upgrade => Scheme::Wss,
        other => other,
    }
}

/// It only changes requests, then passes them straight on.
impl Hook for ProxyHeaders {
    type State<'a> = ();
    const AFTER: bool = false;

    fn before(&self, req: &mut Request) -> Before<()> {
        if self.trusts_client(req) {
            if self.forwarded {
                self.apply_forwarded(req);
            } else {
                self.apply_x_forwarded(req);
            }
        }
        Before::Pass(())
    }
}

impl Middleware for ProxyHeaders {
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
}
