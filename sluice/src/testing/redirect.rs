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

    /// Resolves a `location` against this URL, as the `url` crate (and a
    /// browser) resolves a reference (RFC 3986 §5.2; WHATWG URL); `None`
    /// when it is not a URL. A URL with no host (`mailto:`) comes back
    /// with an empty authority.
    fn join(&self, location: &str) -> Option<Url> {
        let base = url::Url::parse(&self.to_string()).ok()?;
        let joined = base.join(location).ok()?;
        let authority = match (joined.host_str(), joined.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        };
        let path_and_query = match joined.query() {
            Some(query) => format!("{}?{query}", joined.path()),
            None => joined.path().to_owned(),
        };
        Some(Url {
            scheme: joined.scheme().to_owned(),
            authority,
            path_and_query,
        })
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
        // `a@evil` is the host `evil`, not `a`: not followed.
        assert_eq!(url("http://a@evil/").host(), "evil");
        assert_eq!(url("http://user@a/").host(), "a");
    }

    #[test]
    fn a_location_without_a_host_is_no_http_url() {
        let url = base().join("mailto:a@example.com").expect("a URL");
        assert_eq!(url.scheme, "mailto");
        assert_eq!(url.authority, "");
        assert!(base().join("http://[::1").is_none());
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
