//! URLs of the request: the one percent-decoding of the path that routing
//! and every middleware share, `Host` header parsing, and the one builder
//! of absolute redirect URLs used by every redirect sluice makes (the
//! router's trailing-slash redirect, [`TrustedHost`]'s `www` redirect,
//! [`HttpsRedirect`]).
//!
//! [`TrustedHost`]: crate::middleware::TrustedHost
//! [`HttpsRedirect`]: crate::middleware::HttpsRedirect
//!
//! The grammar is the one Starlette's `parse_host_header` accepts, a strict
//! subset of [RFC 9110 §7.2](https://www.rfc-editor.org/rfc/rfc9110#section-7.2)
//! (`uri-host [ ":" port ]`): a name made of RFC 3986's unreserved
//! characters, sub-delimiters and `%` (ASCII letters, digits and
//! `-._~%!$&'()*+,;=`), or an IPv6 address (or an `IPvFuture`) in brackets,
//! then an optional `:` and at least one digit. Anything else (user info,
//! a path, spaces, a zone id, bytes that are not ASCII) is malformed, so a
//! value that passes can be copied into a URL without changing its
//! authority or path. A port above 65535 is well-formed (RFC 3986's `port`
//! is any run of digits) but cannot be used in a URL; [`Port::OutOfRange`]
//! says so.

use std::borrow::Cow;
use std::net::{Ipv6Addr, SocketAddr};

use http::header::{HeaderMap, HOST};
use http::uri::Authority;
use http::StatusCode;
use percent_encoding::percent_decode_str;

use crate::response::{IntoResponse, Response};

/// The path as the router matches it: percent-decoded, invalid UTF-8
/// replaced, as Starlette decodes `scope["path"]`. Borrowed when there is
/// nothing to decode.
pub(crate) fn decode_path(path: &str) -> Cow<'_, str> {
    // A plain loop: paths are short, and `str::contains` sets up a
    // searcher that costs more than the loop on every request.
    if path.bytes().any(|b| b == b'%') {
        percent_decode_str(path).decode_utf8_lossy()
    } else {
        Cow::Borrowed(path)
    }
}

/// The body of the 400 both middlewares send for a host they cannot use,
/// as Starlette words it.
const INVALID_HOST: &str = "Invalid host header";

/// `400 text/plain; charset=utf-8` "Invalid host header".
pub(crate) fn invalid_host_response() -> Response {
    (StatusCode::BAD_REQUEST, INVALID_HOST).into_response()
}

/// A well-formed `Host` value, borrowed from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HostPort<'a> {
    /// The whole value as sent, e.g. `Example.com:8080` or `[::1]:80`.
    pub(crate) authority: &'a str,
    /// The host as sent, brackets kept for IPv6: `Example.com`, `[::1]`.
    /// Compare it ASCII case-insensitively.
    pub(crate) host: &'a str,
    /// The port, if any.
    pub(crate) port: Port,
}

/// The port part of a `Host` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Port {
    /// No `:port`.
    Absent,
    /// A port number (leading zeros allowed: `000080` is 80, as Python's
    /// `urlsplit` reads it).
    Number(u16),
    /// Digits for a number above 65535.
    OutOfRange,
}

impl<'a> HostPort<'a> {
    /// Parses a `Host` value; `None` when it is malformed.
    pub(crate) fn parse(value: &'a str) -> Option<Self> {
        let (host, rest) = if let Some(inner) = value.strip_prefix('[') {
            let end = inner.find(']')?;
            let literal = &inner[..end];
            if literal.parse::<Ipv6Addr>().is_err() && !is_ip_future(literal) {
                return None;
            }
            // `end` indexes `inner`, which starts one byte into `value`.
            value.split_at(end + 2)
        } else {
            let end = value.find(':').unwrap_or(value.len());
            let name = &value[..end];
            if name.is_empty() || !name.bytes().all(is_name_byte) {
                return None;
            }
            value.split_at(end)
        };
        let port = match rest.strip_prefix(':') {
            None if rest.is_empty() => Port::Absent,
            None => return None,
            Some(digits) => parse_port(digits)?,
        };
        Some(HostPort {
            authority: value,
            host,
            port,
        })
    }
}

/// A byte of a host name as Starlette's `parse_host_header` takes it: RFC
/// 3986's unreserved characters, sub-delimiters and `%` (so `my_service`,
/// a docker-compose name, is a host); never `/`, `?`, `#`, `@` or space.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._~%!$&'()*+,;=-".contains(&b)
}

/// RFC 3986's `IPvFuture` inside brackets, as Starlette matches it: `v`,
/// hex digits, `.`, then unreserved characters, sub-delimiters or `:`.
fn is_ip_future(literal: &str) -> bool {
    let Some((version, rest)) = literal
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
    else {
        return false;
    };
    !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_hexdigit())
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~!$&'()*+,;=:-".contains(&b))
}

/// One or more digits to a [`Port`]; `None` when empty or not digits.
fn parse_port(digits: &str) -> Option<Port> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut port: u32 = 0;
    for b in digits.bytes() {
        port = port * 10 + u32::from(b - b'0');
        if port > u32::from(u16::MAX) {
            return Some(Port::OutOfRange);
        }
    }
    Some(u16::try_from(port).map_or(Port::OutOfRange, Port::Number))
}

/// Where a request says it was sent, by precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestHost<'a> {
    /// One well-formed host.
    Valid(HostPort<'a>),
    /// No `Host` header and no authority in the request target.
    Missing,
    /// A `Host` that is not well-formed (or not text).
    Malformed,
    /// More than one `Host` header line, or a `Host` header that names
    /// another host than the request target's authority: never trusted
    /// ([RFC 9112 §3.2](https://www.rfc-editor.org/rfc/rfc9112#section-3.2)).
    Conflicting,
}

/// The host a request was sent to: the request target's authority when it
/// has one (HTTP/2 `:authority`, an absolute-form target), else the single
/// `Host` header.
pub(crate) fn request_host<'a>(
    headers: &'a HeaderMap,
    target: Option<&'a Authority>,
) -> RequestHost<'a> {
    let mut lines = headers.get_all(HOST).iter();
    let header = lines.next();
    if lines.next().is_some() {
        return RequestHost::Conflicting;
    }
    let header = match header.map(|v| v.to_str()) {
        None => None,
        Some(Ok(text)) => match HostPort::parse(text) {
            Some(parsed) => Some(parsed),
            None => return RequestHost::Malformed,
        },
        Some(Err(_)) => return RequestHost::Malformed,
    };
    let Some(target) = target else {
        return header.map_or(RequestHost::Missing, RequestHost::Valid);
    };
    let Some(target) = HostPort::parse(target.as_str()) else {
        return RequestHost::Malformed;
    };
    match header {
        Some(header) if !header.host.eq_ignore_ascii_case(target.host) => RequestHost::Conflicting,
        _ => RequestHost::Valid(target),
    }
}

/// `scheme://netloc` + path + `?query`, for a redirect's `location`.
///
/// `netloc` must be safe already (a parsed [`HostPort`] or a formatted
/// socket address). The path and query are kept exactly as sent, percent
/// escapes included (the [`Redirect`](crate::Redirect) that sends the URL
/// percent-encodes what must be); an empty query drops the `?`, and a path
/// that does not start with `/` gets one.
pub(crate) fn absolute_url(
    scheme: &str,
    www: bool,
    netloc: &str,
    path: &str,
    query: Option<&str>,
) -> String {
    let mut url = String::with_capacity(
        scheme.len() + 8 + netloc.len() + path.len() + query.map_or(0, |q| q.len() + 1),
    );
    url.push_str(scheme);
    url.push_str("://");
    if www {
        url.push_str("www.");
    }
    url.push_str(netloc);
    push_path_and_query(&mut url, path, query);
    url
}

/// Appends the path and `?query` to `url` as [`absolute_url`] does, for a
/// redirect that can name no host.
pub(crate) fn push_path_and_query(url: &mut String, path: &str, query: Option<&str>) {
    if !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
}

/// The authority a redirect to this same server names, from the request's
/// head: the well-formed host it was sent to, else the server's address.
///
/// With `drop_default_port`, ports 80 and 443 are left out (a redirect that
/// changes the scheme). A `Host` that is malformed, names a port above
/// 65535, or is absent falls back to `local_addr`; a conflicting one (two
/// `Host` lines, or one that disagrees with the target) is never used.
/// `None` when there is nothing safe to name.
pub(crate) fn redirect_netloc<'a>(
    headers: &'a HeaderMap,
    target: Option<&'a Authority>,
    local_addr: Option<SocketAddr>,
    drop_default_port: bool,
) -> Option<Cow<'a, str>> {
    netloc_of(request_host(headers, target), local_addr, drop_default_port)
}

/// [`redirect_netloc`] for a host already read from the request.
pub(crate) fn netloc_of(
    host: RequestHost<'_>,
    local_addr: Option<SocketAddr>,
    drop_default_port: bool,
) -> Option<Cow<'_, str>> {
    match host {
        // Starlette names the host alone then, lower-cased (`url.hostname`).
        RequestHost::Valid(HostPort {
            host,
            port: Port::Number(80 | 443),
            ..
        }) if drop_default_port => Some(if host.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(host.to_ascii_lowercase())
        } else {
            Cow::Borrowed(host)
        }),
        RequestHost::Valid(HostPort {
            authority,
            port: Port::Absent | Port::Number(_),
            ..
        }) => Some(Cow::Borrowed(authority)),
        RequestHost::Valid(HostPort {
            port: Port::OutOfRange,
            ..
        })
        | RequestHost::Missing
        | RequestHost::Malformed => local_addr.map(|addr| Cow::Owned(socket_netloc(addr))),
        RequestHost::Conflicting => None,
    }
}

/// The netloc for a socket address: IPv6 in brackets, without port 80 or 443.
pub(crate) fn socket_netloc(addr: SocketAddr) -> String {
    match addr.port() {
        80 | 443 => match addr {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        },
        _ => addr.to_string(),
    }
}

/// The part of the raw `path` after the bytes that decode to `prefix`.
pub(crate) fn rest_after<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let raw = path.as_bytes();
    let want = prefix.as_bytes();
    let (mut i, mut matched) = (0, 0);
    while matched < want.len() {
        let (byte, used) = match raw.get(i)? {
            b'%' => match (raw.get(i + 1).and_then(hex), raw.get(i + 2).and_then(hex)) {
                (Some(hi), Some(lo)) => (hi << 4 | lo, 3),
                _ => (b'%', 1),
            },
            &byte => (byte, 1),
        };
        if byte != want[matched] {
            return None;
        }
        matched += 1;
        i += used;
    }
    path.get(i..)
}

fn hex(byte: &u8) -> Option<u8> {
    (*byte as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parts(value: &str) -> Option<(&str, Port)> {
        HostPort::parse(value).map(|h| (h.host, h.port))
    }

    #[test]
    fn names_with_and_without_port() {
        use Port::*;
        assert_eq!(parts("example.com"), Some(("example.com", Absent)));
        assert_eq!(
            parts("EXAMPLE.com:8080"),
            Some(("EXAMPLE.com", Number(8080)))
        );
        assert_eq!(parts("a-b.c:0"), Some(("a-b.c", Number(0))));
        assert_eq!(parts("h:000080"), Some(("h", Number(80))));
        assert_eq!(parts("h:65535"), Some(("h", Number(65535))));
        assert_eq!(parts("127.0.0.1:8000"), Some(("127.0.0.1", Number(8000))));
        assert_eq!(parts("example.com."), Some(("example.com.", Absent)));
    }

    #[test]
    fn ports_above_65535_are_well_formed_but_out_of_range() {
        assert_eq!(parts("h:65536"), Some(("h", Port::OutOfRange)));
        assert_eq!(
            parts("h:99999999999999999999999999"),
            Some(("h", Port::OutOfRange))
        );
        assert_eq!(
            parts("h:0000000000000000000000080"),
            Some(("h", Port::Number(80)))
        );
    }

    #[test]
    fn ipv6_literals_keep_their_brackets() {
        use Port::*;
        assert_eq!(parts("[::1]"), Some(("[::1]", Absent)));
        assert_eq!(parts("[::1]:8000"), Some(("[::1]", Number(8000))));
        assert_eq!(
            parts("[2001:DB8::1]:443"),
            Some(("[2001:DB8::1]", Number(443)))
        );
        assert_eq!(
            parts("[::ffff:1.2.3.4]"),
            Some(("[::ffff:1.2.3.4]", Absent))
        );
    }

    #[test]
    fn names_take_what_starlette_takes() {
        for good in [
            "under_score.com",
            "my_service",
            "a~b.example",
            "a%20b",
            "!$&'()*+,;=-.x",
            "[v1.x]",
            "[vAF.a:b~c]",
        ] {
            assert_eq!(
                HostPort::parse(good).map(|h| h.host),
                Some(good),
                "{good:?}"
            );
        }
        assert_eq!(
            parts("my_service:8080"),
            Some(("my_service", Port::Number(8080)))
        );
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            "",
            ":80",
            "example.com:",
            "example.com:80:80",
            "example.com:8o",
            "example.com:-1",
            "example.com:+80",
            "exa mple.com",
            " example.com",
            "user@example.com",
            "example.com/path",
            "example.com?q",
            "example.com#f",
            "exämple.com",
            "[::1",
            "[::1]evil.com",
            "[::1]@attacker",
            "[::1].",
            "[::1]:evil",
            "[::1]:",
            "[:::]",
            "[]",
            "[1.2.3.4]",
            "[fe80::1%25eth0]",
            "[V1.x]",
            "[v.x]",
            "[v1.]",
            "[vg.x]",
            "[v1.x/y]",
            "::1",
            "[::1]]",
        ] {
            assert_eq!(HostPort::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parser_never_panics_on_any_short_input() {
        // Every string of up to three characters from an alphabet holding
        // each character the parser branches on.
        let alphabet = [
            '[', ']', ':', '.', '-', '0', '9', 'a', 'Z', 'é', ' ', '%', '@',
        ];
        let mut inputs = vec![String::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for s in &inputs {
                for c in alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    next.push(t);
                }
            }
            inputs.extend(next);
        }
        for input in &inputs {
            if let Some(parsed) = HostPort::parse(input) {
                assert!(input.starts_with(parsed.host));
                assert_eq!(parsed.authority, input);
            }
        }
    }

    #[test]
    fn several_host_lines_conflict() {
        let mut headers = HeaderMap::new();
        headers.append(HOST, HeaderValue::from_static("example.com"));
        headers.append(HOST, HeaderValue::from_static("example.com"));
        assert_eq!(request_host(&headers, None), RequestHost::Conflicting);
    }

    #[test]
    fn target_authority_wins_but_must_agree_with_host() {
        let target: Authority = "Example.com:8443".parse().expect("authority");
        let mut headers = HeaderMap::new();
        assert!(matches!(
            request_host(&headers, Some(&target)),
            RequestHost::Valid(HostPort {
                host: "Example.com",
                port: Port::Number(8443),
                ..
            })
        ));
        headers.insert(HOST, HeaderValue::from_static("example.com"));
        assert!(matches!(
            request_host(&headers, Some(&target)),
            RequestHost::Valid(_)
        ));
        headers.insert(HOST, HeaderValue::from_static("evil.com"));
        assert_eq!(
            request_host(&headers, Some(&target)),
            RequestHost::Conflicting
        );
        let with_user: Authority = "user@example.com".parse().expect("authority");
        assert_eq!(
            request_host(&HeaderMap::new(), Some(&with_user)),
            RequestHost::Malformed
        );
    }

    #[test]
    fn missing_and_non_text_hosts() {
        assert_eq!(request_host(&HeaderMap::new(), None), RequestHost::Missing);
        let mut headers = HeaderMap::new();
        headers.insert(
            HOST,
            HeaderValue::from_bytes(b"ex\xe4mple.com").expect("obs-text"),
        );
        assert_eq!(request_host(&headers, None), RequestHost::Malformed);
    }

    #[test]
    fn urls_keep_path_and_query_as_sent() {
        assert_eq!(absolute_url("https", false, "h", "/", None), "https://h/");
        assert_eq!(
            absolute_url("https", false, "h", "/", Some("")),
            "https://h/"
        );
        assert_eq!(
            absolute_url("https", false, "h:8443", "/a%2Fb", Some("q=1&r=%20")),
            "https://h:8443/a%2Fb?q=1&r=%20"
        );
        // Unsafe bytes are the redirect's to encode (`Redirect`).
        assert_eq!(
            absolute_url("http", true, "h", "/\"<>\\^`{|} é", Some("x=<\"'>")),
            "http://www.h/\"<>\\^`{|} é?x=<\"'>"
        );
        assert_eq!(absolute_url("https", false, "h", "*", None), "https://h/*");
        assert_eq!(
            absolute_url("https", false, "h", "//evil.com/x", None),
            "https://h//evil.com/x"
        );
    }

    #[test]
    fn socket_netlocs_drop_default_ports() {
        assert_eq!(socket_netloc(([127, 0, 0, 1], 80).into()), "127.0.0.1");
        assert_eq!(socket_netloc(([127, 0, 0, 1], 443).into()), "127.0.0.1");
        assert_eq!(
            socket_netloc(([127, 0, 0, 1], 8000).into()),
            "127.0.0.1:8000"
        );
        let v6: SocketAddr = "[::1]:8000".parse().expect("addr");
        assert_eq!(socket_netloc(v6), "[::1]:8000");
        let v6: SocketAddr = "[::1]:80".parse().expect("addr");
        assert_eq!(socket_netloc(v6), "[::1]");
    }
}
