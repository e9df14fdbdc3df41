//! [`OriginalUri`]: the URL the client asked for, before a mount took its
//! prefix off.

use http::request::Parts;
use http::uri::{Authority, PathAndQuery, Scheme, Uri};
use http::HeaderMap;

use super::{FromRequestParts, RequestContext};
use crate::request::ConnectionInfo;
use crate::url::redirect_netloc;

/// The URL of the request as the app received it: Starlette's
/// `request.url`, whatever mounts the request went through.
///
/// A service mounted with [`App::mount`](crate::App::mount) sees the
/// request with the mount's prefix taken off its path; this extension holds
/// the whole URL, so the service can build absolute links and redirects.
/// It is absolute (`http://example.com/static/a.txt?v=1`): the scheme is
/// the request's ([`Request::scheme`](crate::Request::scheme)), the host is
/// the `Host` header when it is well-formed (else the server's address, as
/// for sluice's redirects), the path and query are as sent, still
/// percent-encoded. Only when no host is safe to name (two `Host` headers
/// that disagree, no server address) is it the path and query alone.
///
/// As an extractor it works in any handler, mounted or not.
///
/// ```
/// use sluice::extract::OriginalUri;
/// use sluice::testing::TestClient;
/// use sluice::{App, Request};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // A mounted app: its handler sees the path without the prefix.
/// let files = App::new()
///     .get("/{name}", |req: Request| async move {
///         let original = &req.extensions().get::<OriginalUri>().unwrap().0;
///         format!("{} {}", req.uri(), original)
///     })
///     .build()
///     .unwrap();
/// let app = App::new()
///     .mount("/files", files)
///     .get("/here", |OriginalUri(uri): OriginalUri| async move { uri.to_string() });
/// let client = TestClient::new(app);
///
/// let res = client.get("/files/a%20b.txt?v=1").await;
/// assert_eq!(res.text(), "/a%20b.txt?v=1 http://testserver/files/a%20b.txt?v=1");
/// assert_eq!(client.get("/here").await.text(), "http://testserver/here");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalUri(pub Uri);

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
