//! [`OriginalUri`]: the URL the client asked for, before a mount (or the
//! app's root path) took its prefix off.

use http::request::Parts;
use http::uri::{Authority, PathAndQuery, Scheme, Uri};
use http::HeaderMap;

use super::{FromRequestParts, RequestContext};
use crate::request::ConnectionInfo;
use crate::url::redirect_netloc;

pub use crate::request::OriginalUri;

impl OriginalUri {
    /// The URL of a request that has not been through a mount.
    pub(crate) fn of(
        scheme: &str,
        uri: &Uri,
        headers: &HeaderMap,
        conn: &ConnectionInfo,
    ) -> OriginalUri {
        let netloc = redirect_netloc(headers, uri.authority(), conn.local_addr, false);
        let authority = netloc.and_then(|netloc| Authority::try_from(netloc.as_bytes()).ok());
        let Some(authority) = authority else {
            return OriginalUri(uri.clone());
        };
        let scheme = match scheme {
            "https" => Scheme::HTTPS,
            "http" => Scheme::HTTP,
            other => match Scheme::try_from(other) {
                Ok(scheme) => scheme,
                Err(_) => return OriginalUri(uri.clone()),
            },
        };
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(scheme);
        parts.authority = Some(authority);
        parts.path_and_query = Some(
            uri.path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        );
        OriginalUri(Uri::from_parts(parts).unwrap_or_else(|_| uri.clone()))
    }
}

impl FromRequestParts for OriginalUri {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        if let Some(original) = parts.extensions.get::<OriginalUri>() {
            return Ok(original.clone());
        }
        let conn = cx.connection();
        let scheme = match parts.uri.scheme_str() {
            Some(scheme) => scheme,
            None if conn.secure => "https",
            None => "http",
        };
        Ok(OriginalUri::of(scheme, &parts.uri, &parts.headers, conn))
    }
}
