//! [`Key`]: who a request is counted against.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use http::HeaderName;

use super::store::RateKey;
use crate::request::Request;

/// What a [`RateLimit`](super::RateLimit) counts requests by.
///
/// | key | counts by | missing when |
/// |---|---|---|
/// | [`Key::client_addr`] (the default) | the client's IP address, as [`ProxyHeaders`](crate::middleware::ProxyHeaders) or the server set it | the server does not know the client |
/// | [`Key::principal`] | the principal that [`Authentication`](crate::middleware::Authentication) put in the request | no principal of that type (add `Authentication` after `RateLimit`, so that it runs first) |
/// | [`Key::header`] | a header's value (an API key) | the header is absent, empty or not visible ASCII |
/// | [`Key::from_fn`] | what your function returns | it returns `None` |
///
/// What happens to a request whose key is missing is
/// [`RateLimit::missing_key`](super::RateLimit::missing_key)'s choice.
#[derive(Clone)]
pub struct Key {
    kind: Kind,
}

type Extract = Arc<dyn Fn(&Request) -> Option<String> + Send + Sync>;

#[derive(Clone)]
enum Kind {
    ClientAddr,
    Header(Result<HeaderName, String>),
    Principal(&'static str, Extract),
    Fn(Extract),
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::ClientAddr => f.write_str("Key::client_addr"),
            Kind::Header(name) => f.debug_tuple("Key::header").field(name).finish(),
            Kind::Principal(ty, _) => f.debug_tuple("Key::principal").field(ty).finish(),
            Kind::Fn(_) => f.write_str("Key::from_fn"),
        }
    }
}

impl Default for Key {
    fn default() -> Self {
        Key::client_addr()
    }
}

impl Key {
    /// The client's IP address as [`Request::client`] says (the port is
    /// left out; an IPv4 address mapped into IPv6 counts as the IPv4
    /// address): the connection's peer, or, behind a reverse proxy, the
    /// address that [`ProxyHeaders`](crate::middleware::ProxyHeaders) took
    /// from a trusted proxy's `X-Forwarded-For`. Add `ProxyHeaders` after
    /// `RateLimit` (so that it runs first); without it, every client behind
    /// one proxy shares the proxy's quota. A client the proxy names by text
    /// that is no address (`unknown`) is counted by that text.
    pub fn client_addr() -> Self {
        Key {
            kind: Kind::ClientAddr,
        }
    }

    /// The value of header `name`, e.g. `x-api-key`, trimmed. An invalid
    /// header name is reported when the app is built.
    ///
    /// The value is used as the key as it is; a store may keep it (the
    /// Redis store keeps short keys readable and hashes long ones), so
    /// prefer [`Key::principal`] when the header is a secret that
    /// [`Authentication`](crate::middleware::Authentication) checks anyway.
    pub fn header(name: &str) -> Self {
        Key {
            kind: Kind::Header(
                HeaderName::try_from(name).map_err(|_| format!("{name:?} is not a header name")),
            ),
        }
    }

    /// The principal of type `P` that
    /// [`Authentication`](crate::middleware::Authentication) put in the
    /// request, turned into a key by `f`:
    /// `Key::principal(|user: &User| user.id.to_string())`.
    pub fn principal<P, F>(f: F) -> Self
    where
        P: Send + Sync + 'static,
        F: Fn(&P) -> String + Send + Sync + 'static,
    {
        Key {
            kind: Kind::Principal(
                std::any::type_name::<P>(),
                Arc::new(move |req: &Request| req.extensions().get::<P>().map(&f)),
            ),
        }
    }

    /// Whatever `f` returns; `None` (or an empty string) means the key is
    /// missing.
    pub fn from_fn<F>(f: F) -> Self
    where
        F: Fn(&Request) -> Option<String> + Send + Sync + 'static,
    {
        Key {
            kind: Kind::Fn(Arc::new(f)),
        }
    }

    pub(crate) fn invalid(&self) -> Option<&str> {
        match &self.kind {
            Kind::Header(Err(reason)) => Some(reason),
            _ => None,
        }
    }

    pub(crate) fn extract<'r>(&self, req: &'r Request) -> Option<Found<'r>> {
        match &self.kind {
            // The client as `ProxyHeaders` (or the server) set it: the one
            // source of truth, nothing here reads forwarded headers.
            Kind::ClientAddr => {
                let client = req.client()?;
                Some(match client.ip() {
                    Some(ip) => Found::Ip(ip.to_canonical()),
                    // A proxy may name the client by text that is no
                    // address (`unknown`, `_hidden`): count by that text.
                    None => Found::Owned(client.host().into_owned()),
                })
            }
            Kind::Header(Ok(name)) => {
                let value = req.headers().get(name)?.to_str().ok()?.trim();
                (!value.is_empty()).then_some(Found::Borrowed(value))
            }
            Kind::Header(Err(_)) => None,
            Kind::Principal(_, f) | Kind::Fn(f) => {
                f(req).filter(|key| !key.is_empty()).map(Found::Owned)
            }
        }
    }
}

/// A key found in a request.
pub(crate) enum Found<'r> {
    Ip(IpAddr),
    Borrowed(&'r str),
    Owned(String),
}

impl Found<'_> {
    pub(crate) fn as_key(&self) -> RateKey<'_> {
        match self {
            Found::Ip(ip) => RateKey::Ip(*ip),
            Found::Borrowed(text) => RateKey::Text(text),
            Found::Owned(text) => RateKey::Text(text),
        }
    }
}

/// What to do with a request whose [`Key`] cannot be found (no such
/// header, no principal, the closure said `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingKey {
    /// Count all such requests together, under one shared key, with the
    /// same policies (the default: anonymous clients share one quota).
    #[default]
    Shared,
    /// Let them through, unlimited and without rate-limit headers.
    Allow,
}
