//! Following redirects, for [`TestClient::follow_redirects`]: which
//! responses are followed, and the request that follows each.
//!
//! [`TestClient::follow_redirects`]: super::TestClient::follow_redirects

use std::fmt;

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH,
    CONTENT_LOCATION, CONTENT_TYPE, HOST, LOCATION, TRANSFER_ENCODING,
};
use http::{Method, Uri};

use super::{connection_to, TestClient, TestResponse};
use crate::body::Body;
use crate::request::ConnectionInfo;

/// One request of a chain of redirects.
pub(super) struct Hop {
    pub(super) method: Method,
    /// The request target as sent: what the test gave for the first
    /// request, the path and query for the ones after.
    pub(super) uri: Uri,
    /// The absolute URL of the request.
    pub(super) url: Url,
    /// The headers the test set, changed by the redirects so far; the
    /// default `host` and `content-length` are added when it is sent.
    pub(super) headers: HeaderMap,
    pub(super) body: Body,
    pub(super) no_host: bool,
    pub(super) conn: ConnectionInfo,
}

impl Hop {
    pub(super) fn clone_without_body(&self) -> Hop {
        Hop {
            method: self.method.clone(),
            uri: self.uri.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: Body::empty(),
            no_host: self.no_host,
            conn: self.conn,
        }
    }
}

/// An absolute URL, split where redirects need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Url {
    scheme: String,
    authority: String,
    /// The path and the query, without a fragment.
    path_and_query: String,
}

impl Url {
    /// The URL of the first request: the scheme and authority of an
    /// absolute target, else the client's scheme and the `host` sent.
    pub(super) fn of_request(
        client: &TestClient,
        uri: &Uri,
        headers: &HeaderMap,
        no_host: bool,
    ) -> Url {
        let scheme = uri.scheme_str().unwrap_or(&client.scheme).to_owned();
        let host_header = headers.get(HOST).and_then(|v| v.to_str().ok());
        let authority = match (host_header, uri.authority()) {
            (Some(host), _) => host.to_owned(),
            (None, Some(authority)) => authority.as_str().to_owned(),
            (None, None) if no_host => String::new(),
            (None, None) => client.host.clone(),
        };
        let path_and_query = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Url {
            scheme,
            authority,
            path_and_query,
        }
    }

    /// The authority (`host[:port]`); empty for a request sent without
    /// a host.
    pub(super) fn authority(&self) -> &str {
        &self.authority
    }

    fn host(&self) -> &str {
        split_port(&self.authority).0
    }

    /// The port, the scheme's default when the authority names none.
    fn port(&self) -> Option<u16> {
        match split_port(&self.authority).1 {
            Some(port) => port.parse().ok(),
            None if self.scheme.eq_ignore_ascii_case("https") => Some(443),
            None if self.scheme.eq_ignore_ascii_case("http") => Some(80),
            None => None,
        }
    }

    fn same_origin(&self, other: &Url) -> bool {
        self.scheme.eq_ignore_ascii_case(&other.scheme)
            && self.host().eq_ignore_ascii_case(other.host())
            && self.port() == other.port()
    }

    /// Resolves a `location` against this URL (RFC 3986 §5.2.2, for the
    /// references HTTP uses); `None` when it is not a URL.
    fn join(&self, location: &str) -> Option<Url> {
        let location = location.split('#').next().unwrap_or_default();
        if let Some(colon) = location.find(':') {
            let scheme = &location[..colon];
            let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if is_scheme {
                let rest = &location[colon + 1..];
                return match rest.strip_prefix("//") {
                    Some(_) => Url::absolute(scheme, rest),
                    // `http:/path` (no host): httpx takes the request's.
                    None => Some(Url {
                        scheme: scheme.to_ascii_lowercase(),
                        authority: self.authority.clone(),
                        path_and_query: self.resolve_path(rest),
                    }),
                };
            }
        }
        if location.starts_with("//") {
            return Url::absolute(&self.scheme, location);
        }
        Some(Url {
            scheme: self.scheme.clone(),
            authority: self.authority.clone(),
            path_and_query: self.resolve_path(location),
        })
    }

    /// `//authority/path?query` under `scheme`.
    fn absolute(scheme: &str, rest: &str) -> Option<Url> {
        let uri: Uri = format!("{scheme}:{rest}").parse().ok()?;
        let authority = uri.authority()?.as_str().to_owned();
        let path_and_query = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Some(Url {
            scheme: scheme.to_ascii_lowercase(),
            authority,
            path_and_query: if path_and_query.is_empty() {
                "/".to_owned()
            } else {
                path_and_query
            },
        })
    }

    /// The path and query a relative reference (a path, `?query`, or
    /// nothing) points to from this URL.
    fn resolve_path(&self, reference: &str) -> String {
        let (base_path, base_query) = split_query(&self.path_and_query);
        let (path, query) = split_query(reference);
        let (path, query) = if path.is_empty() {
            (base_path.to_owned(), query.or(base_query))
        } else if path.starts_with('/') {
            (remove_dot_segments(path), query)
        } else {
            let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
            (
                remove_dot_segments(&format!("/{}{path}", dir.trim_start_matches('/'))),
                query,
            )
        };
        match query {
            Some(query) => format!("{path}?{query}"),
            None => path,
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme, self.authority, self.path_and_query
        )
    }
}

/// `name:port` into the name and the port's digits; IPv6 brackets kept.
pub(super) fn split_port(authority: &str) -> (&str, Option<&str>) {
    match authority.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.starts_with('[') || host.ends_with(']')) =>
        {
            (host, Some(port))
        }
        _ => (authority, None),
    }
}

fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (s, None),
    }
}

/// RFC 3986 §5.2.4 for a path that starts with `/`: `.` and `..` segments
/// resolved, never above the root.
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {}
            ".." => {
                out.pop();
            }
            other => {
                out.push(other);
                continue;
            }
        }
        if last {
            out.push("");
        }
    }
    format!("/{}", out.join("/"))
}

/// The request that follows `response`, the answer to `prior`; `None` when
/// it is not a redirect this client follows.
pub(super) fn redirect(
    prior: &Hop,
    response: &TestResponse,
    replay: Option<&Bytes>,
) -> Option<Hop> {
    if !matches!(response.status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers.get(LOCATION)?;
    let Some(url) = location.to_str().ok().and_then(|l| prior.url.join(l)) else {
        panic!(
            "the {} answering {} {} has a location that is not a URL: {location:?}",
            response.status, prior.method, prior.url
        );
    };
    let scheme_ok = url.scheme == "http" || url.scheme == "https";
    if !scheme_ok || !url.host().eq_ignore_ascii_case(prior.url.host()) {
        return None;
    }
    let method = match response.status.as_u16() {
        302 | 303 if prior.method != Method::HEAD => Method::GET,
        301 if prior.method == Method::POST => Method::GET,
        _ => prior.method.clone(),
    };
    let mut headers = prior.headers.clone();
    let body = if method != prior.method && method == Method::GET {
        for name in [
            CONTENT_LENGTH,
            TRANSFER_ENCODING,
            CONTENT_TYPE,
            CONTENT_ENCODING,
            CONTENT_LANGUAGE,
            CONTENT_LOCATION,
        ] {
            headers.remove(name);
        }
        Body::empty()
    } else {
        match replay {
            Some(bytes) => Body::from(bytes.clone()),
            None => panic!(
                "cannot follow the {} answering {} {}: its body was a stream, which \
                 cannot be sent twice; send it as bytes to follow this redirect",
                response.status, prior.method, prior.url
            ),
        }
    };
    let mut no_host = prior.no_host;
    let mut conn = prior.conn;
    if !url.same_origin(&prior.url) {
        let upgrade = prior.url.scheme == "http"
            && url.scheme == "https"
            && prior.url.port() == Some(80)
            && url.port() == Some(443);
        if !upgrade {
            headers.remove(AUTHORIZATION);
        }
        match HeaderValue::from_str(&url.authority) {
            Ok(host) => {
                headers.insert(HOST, host);
                no_host = false;
            }
            Err(_) => panic!("the redirect to {url} has an authority that is not a host"),
        }
        conn = connection_to(conn, &url.scheme, &url.authority);
    }
    let uri = match url.path_and_query.parse::<Uri>() {
        Ok(uri) => uri,
        Err(e) => panic!("the redirect to {url} has a path that cannot be sent: {e}"),
    };
    Some(Hop {
        method,
        uri,
        url,
        headers,
        body,
        no_host,
        conn,
    })
}

/// The message for a chain of redirects longer than the limit, which was
/// about to go on to `next`.
pub(super) fn too_many_redirects(history: &[TestResponse], max: usize, next: &Hop) -> String {
    let first = &history[0];
    let mut message = format!(
        "too many redirects: {} {} was redirected more than {max} times \
         (TestClient::max_redirects):",
        first.method, first.url
    );
    for hop in history {
        message.push_str(&format!(
            "\n  {} {} -> {} {}",
            hop.method,
            hop.url,
            hop.status.as_u16(),
            hop.header("location").unwrap_or("?"),
        ));
    }
    let next_url = next.url.to_string();
    if history
        .iter()
        .any(|hop| hop.method == next.method && hop.url == next_url)
    {
        message.push_str(&format!(
            "\n(a loop: {} {next_url} was requested before)",
            next.method
        ));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        // RFC 3986 §5.4's base URI, without the fragment.
        Url {
            scheme: "http".to_owned(),
            authority: "a".to_owned(),
            path_and_query: "/b/c/d;p?q".to_owned(),
        }
    }

    fn join(location: &str) -> String {
        base()
            .join(location)
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn references_resolve_as_rfc_3986_section_5_4_says() {
        for (reference, expected) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            (";x", "http://a/b/c/;x"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("https://x:8443/y?z", "https://x:8443/y?z"),
            ("HTTPS://x", "https://x/"),
        ] {
            assert_eq!(join(reference), expected, "{reference:?}");
        }
    }

    #[test]
    fn user_info_is_part_of_no_host_name() {
        let url = |s: &str| base().join(s).expect("a URL");
        assert_eq!(url("http://a@evil/").host(), "a@evil");
        assert_eq!(url("http://user@a/").host(), "user@a");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let url = |s: &str| base().join(s).expect("a URL");
        assert!(url("http://A:80/x").same_origin(&url("http://a/y")));
        assert!(!url("https://a/").same_origin(&url("http://a/")));
        assert!(!url("http://a:8080/").same_origin(&url("http://a/")));
        assert_eq!(url("http://[::1]:8080/").host(), "[::1]");
        assert_eq!(url("http://[::1]/").host(), "[::1]");
    }
}
