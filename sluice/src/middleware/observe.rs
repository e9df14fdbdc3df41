//! What [`Metrics`](super::Metrics) and [`Tracing`](super::Tracing) both
//! read from a request, the way OpenTelemetry's HTTP semantic conventions
//! spell it: the method (known ones, or `_OTHER`), the scheme, the matched
//! route, and whether a response is complete when it leaves.

use http::Method;

use crate::Body;

/// The methods the conventions know (`http.request.method`), in a fixed
/// order; anything else is `_OTHER`.
pub(crate) const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// `http.request.method` as the conventions record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct MethodLabel(u8);

impl MethodLabel {
    /// `_OTHER`: a method outside [`KNOWN_METHODS`].
    pub(crate) const OTHER: MethodLabel = MethodLabel(KNOWN_METHODS.len() as u8);
    /// How many distinct labels there are (the known methods and `_OTHER`).
    #[cfg(feature = "metrics")]
    pub(crate) const COUNT: usize = KNOWN_METHODS.len() + 1;

    /// Methods are case-sensitive (RFC 9110): `get` is not `GET`, so it is
    /// `_OTHER`, as the conventions say.
    pub(crate) fn of(method: &Method) -> Self {
        let index = match *method {
            Method::GET => 0,
            Method::HEAD => 1,
            Method::POST => 2,
            Method::PUT => 3,
            Method::DELETE => 4,
            Method::CONNECT => 5,
            Method::OPTIONS => 6,
            Method::TRACE => 7,
            Method::PATCH => 8,
            _ => return MethodLabel::OTHER,
        };
        MethodLabel(index)
    }

    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }

    #[cfg_attr(not(feature = "otel"), allow(dead_code))]
    pub(crate) fn is_other(self) -> bool {
        self == MethodLabel::OTHER
    }

    /// The attribute's value: the method, or `_OTHER`.
    pub(crate) fn as_str(self) -> &'static str {
        KNOWN_METHODS.get(self.index()).copied().unwrap_or("_OTHER")
    }
}

/// The schemes recorded as they are in `url.scheme`; any other (an
/// absolute-form request target may name anything) is recorded as
/// `_OTHER`, so that clients cannot add series at will.
pub(crate) const KNOWN_SCHEMES: [&str; 4] = ["http", "https", "ws", "wss"];

/// `url.scheme`, bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SchemeLabel(u8);

impl SchemeLabel {
    /// How many distinct labels there are.
    #[cfg(feature = "metrics")]
    pub(crate) const COUNT: usize = KNOWN_SCHEMES.len() + 1;

    /// The request's scheme, as [`Request::scheme`](crate::Request::scheme)
    /// gives it (after `ProxyHeaders` where it runs).
    pub(crate) fn of(scheme: &str) -> Self {
        // The usual answers first, without a case-insensitive scan.
        match scheme {
            "http" => return SchemeLabel(0),
            "https" => return SchemeLabel(1),
            _ => {}
        }
        let index = KNOWN_SCHEMES
            .iter()
            .position(|known| known.eq_ignore_ascii_case(scheme))
            .unwrap_or(KNOWN_SCHEMES.len());
        SchemeLabel(index as u8)
    }

    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }

    pub(crate) fn as_str(self) -> &'static str {
        KNOWN_SCHEMES.get(self.index()).copied().unwrap_or("_OTHER")
    }
}

/// `error.type` for a response: the status code for a 5xx, as the
/// conventions ask of servers (a 4xx is the client's error, not the
/// server's).
pub(crate) fn error_type(status: u16) -> Option<u16> {
    (500..600).contains(&status).then_some(status)
}

/// Whether the whole body is known now, so the response is complete when
/// it leaves the middleware. Otherwise (a stream) the request ends when the
/// body does.
pub(crate) fn is_complete(body: &Body) -> bool {
    http_body::Body::size_hint(body).exact().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_conventions_are_other() {
        assert_eq!(MethodLabel::of(&Method::GET).as_str(), "GET");
        assert_eq!(MethodLabel::of(&Method::PATCH).as_str(), "PATCH");
        let purge = Method::from_bytes(b"PURGE").expect("a valid token");
        assert_eq!(MethodLabel::of(&purge).as_str(), "_OTHER");
        let lower = Method::from_bytes(b"get").expect("a valid token");
        assert!(MethodLabel::of(&lower).is_other());
    }

    #[test]
    fn schemes_are_bounded() {
        assert_eq!(SchemeLabel::of("https").as_str(), "https");
        assert_eq!(SchemeLabel::of("wss").as_str(), "wss");
        assert_eq!(SchemeLabel::of("gopher").as_str(), "_OTHER");
    }

    #[test]
    fn only_server_errors_have_an_error_type() {
        assert_eq!(error_type(500), Some(500));
        assert_eq!(error_type(503), Some(503));
        assert_eq!(error_type(404), None);
        assert_eq!(error_type(200), None);
    }
}
