//! [`RequestHead`]: what an exception handler sees of the request.

use std::fmt;

use http::{HeaderMap, Method, Uri, Version};

/// The head of a request as it reached the app: method, URI, version and
/// headers. An [exception handler](crate::App::exception_handler) that
/// asks for one receives it (FastAPI's `request` argument of an exception
/// handler).
///
/// It is a copy taken when the request enters the app, so changes a
/// middleware makes to the request later are not in it. The copy is only
/// taken by apps that register an exception handler asking for it.
#[derive(Clone)]
pub struct RequestHead {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
}

impl RequestHead {
    pub(crate) fn new(method: Method, uri: Uri, version: Version, headers: HeaderMap) -> Self {
        RequestHead {
            method,
            uri,
            version,
            headers,
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request target as sent.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The path as sent, still percent-encoded.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of a header as text, or `None` when it is absent or
    /// not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

impl fmt::Debug for RequestHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHead")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .finish()
    }
}
