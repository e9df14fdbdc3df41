//! Mounts: a tower service that answers every path under a prefix, as
//! Starlette's `Mount` does. [`App::mount`](crate::App::mount) and
//! [`Router::mount`](crate::Router::mount) declare them; the router matches
//! them; this module strips the prefix before the service sees the request.

use std::borrow::Cow;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::uri::{PathAndQuery, Uri};

use crate::body::Body;
use crate::error::ConfigError;
use crate::request::{OuterApp, Request};
use crate::response::Response;
use crate::shared::Shared;
use crate::stack::{BoxedService, Endpoint, StackItem};

/// One mount of a router, before building.
pub(crate) struct MountDecl {
    /// `""` for a mount at the root, else `/a/b` (no trailing slash).
    pub(crate) prefix: String,
    /// Builds the service, once the whole prefix is known (a router's
    /// mount gets the prefixes it is included under).
    pub(crate) build: Box<dyn FnOnce(Arc<str>) -> BoxedService + Send + Sync>,
    pub(crate) name: Cow<'static, str>,
    /// The name [`Request::url_for`](crate::Request::url_for) knows the
    /// mount by, if it was given one.
    pub(crate) route_name: Option<Cow<'static, str>>,
    /// The service as mounted, for the app to find out at build time
    /// whether it is a sluice app, whose named routes `url_for` finds
    /// through the mount, as Starlette's does.
    pub(crate) service: Box<dyn std::any::Any + Send + Sync>,
    /// Middleware around the service, in the order added (each enclosing
    /// router's).
    pub(crate) stack: Vec<StackItem>,
}

/// The end of a mount's stack: its boxed service (which takes the prefix
/// off, then calls the user's).
pub(crate) struct MountEndpoint {
    pub(crate) service: BoxedService,
    pub(crate) name: Cow<'static, str>,
    /// For a mounted sluice app: the app that mounts it, whose names its
    /// `url_for` looks up first, as Starlette's looks up the outermost
    /// app's.
    pub(crate) outer: Option<Arc<Shared>>,
}

impl Endpoint for MountEndpoint {
    fn call(&self, mut req: Request) -> BoxFuture<'_, Response> {
        if let Some(outer) = &self.outer {
            // The outermost app names the routes.
            if req.extensions().get::<OuterApp>().is_none() {
                req.extensions_mut().insert(OuterApp(outer.clone()));
            }
        }
        let service = self.service.clone();
        Box::pin(async move {
            match tower::ServiceExt::oneshot(service, req.into_http()).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        })
    }

    fn name(&self) -> Cow<'static, str> {
        self.name.clone()
    }
}

/// A mount prefix as the user wrote it, in the form the router keeps: `/`
/// becomes `""` (the root); otherwise it must start with `/` and must not
/// end with one.
pub(crate) fn normalize_prefix(prefix: &str) -> Result<String, String> {
    if prefix.is_empty() || prefix == "/" {
        return Ok(String::new());
    }
    if !prefix.starts_with('/') || prefix.ends_with('/') {
        return Err("a mount prefix must start with '/' and must not end with '/' (or be \"/\" for the root)".to_owned());
    }
    if prefix.contains(['{', '}']) {
        return Err("a mount prefix cannot have path parameters".to_owned());
    }
    Ok(prefix.to_owned())
}

/// Refuses a route at or under a mount's prefix (the prefix itself may be a
/// route), and a mount at or inside another (except inside the root
/// mount, which only answers what nothing else matches).
pub(crate) fn check_conflicts(routes: &[String], mounts: &[MountDecl]) -> Result<(), ConfigError> {
    for (i, mount) in mounts.iter().enumerate() {
        let shown = if mount.prefix.is_empty() {
            "/"
        } else {
            &mount.prefix
        };
        if !mount.prefix.is_empty() {
            let under = format!("{}/", mount.prefix);
            if let Some(route) = routes.iter().find(|route| route.starts_with(&under)) {
                return Err(ConfigError::InvalidPath {
                    path: route.clone(),
                    reason: format!(
                        "the route is under the mount at {shown}, which answers every path below it; move the route or the mount"
                    ),
                });
            }
        }
        for other in &mounts[i + 1..] {
            let (outer, inner) = if other.prefix.len() < mount.prefix.len() {
                (other, mount)
            } else {
                (mount, other)
            };
            let nested = !outer.prefix.is_empty()
                && inner.prefix.starts_with(&outer.prefix)
                && inner.prefix.as_bytes().get(outer.prefix.len()) == Some(&b'/');
            if outer.prefix == inner.prefix || nested {
                let outer_shown = if outer.prefix.is_empty() {
                    "/"
                } else {
                    &outer.prefix
                };
                return Err(ConfigError::InvalidPath {
                    path: if inner.prefix.is_empty() { "/".to_owned() } else { inner.prefix.clone() },
                    reason: format!("the mount is at or inside the mount at {outer_shown}; mount one service per prefix"),
                });
            }
        }
    }
    Ok(())
}

/// The tower service of a mount: takes the prefix off the request's path,
/// then calls the user's service.
#[derive(Clone)]
pub(crate) struct Mounted<S> {
    pub(crate) prefix: Arc<str>,
    pub(crate) inner: S,
}

impl<S> tower_service::Service<http::Request<Body>> for Mounted<S>
where
    S: tower_service::Service<http::Request<Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> S::Future {
        if let Some(uri) = strip_prefix(req.uri(), &self.prefix) {
            *req.uri_mut() = uri;
        }
        self.inner.call(req)
    }
}

/// `uri` with `prefix` taken off its path. The router matched the decoded
/// path, so the prefix is matched decoded too (`/st%61tic/a` is under
/// `/static`); what remains stays encoded as sent, and starts with `/`.
pub(crate) fn strip_prefix(uri: &Uri, prefix: &str) -> Option<Uri> {
    let rest = crate::url::rest_after(uri.path(), prefix)?;
    let rest: Cow<'_, str> = if rest.is_empty() {
        Cow::Borrowed("/")
    } else if rest.starts_with('/') {
        Cow::Borrowed(rest)
    } else if let Some(after) = rest
        .strip_prefix("%2F")
        .or_else(|| rest.strip_prefix("%2f"))
    {
        Cow::Owned(format!("/{after}"))
    } else {
        return None;
    };
    let path_and_query = match uri.query() {
        Some(query) => PathAndQuery::try_from(format!("{rest}?{query}")).ok()?,
        None => PathAndQuery::try_from(&*rest).ok()?,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(uri: &str, prefix: &str) -> Option<String> {
        strip_prefix(&uri.parse().expect("a valid uri"), prefix).map(|u| u.to_string())
    }

    #[test]
    fn the_prefix_is_taken_off_and_the_rest_stays_encoded() {
        assert_eq!(
            stripped("/static/a%20b.txt?x=1", "/static").as_deref(),
            Some("/a%20b.txt?x=1")
        );
        assert_eq!(stripped("/static/", "/static").as_deref(), Some("/"));
        assert_eq!(stripped("/static", "/static").as_deref(), Some("/"));
        assert_eq!(stripped("/st%61tic/x", "/static").as_deref(), Some("/x"));
        assert_eq!(
            stripped("/static%2Fx%2Fy", "/static").as_deref(),
            Some("/x%2Fy")
        );
        assert_eq!(stripped("/a/b", "").as_deref(), Some("/a/b"));
        assert_eq!(
            stripped("http://h/static/x?q", "/static").as_deref(),
            Some("http://h/x?q")
        );
        assert_eq!(stripped("/other/x", "/static"), None);
        assert_eq!(stripped("/staticx", "/static"), None);
    }

    #[test]
    fn prefixes_are_checked() {
        assert_eq!(normalize_prefix("/").as_deref(), Ok(""));
        assert_eq!(normalize_prefix("/static").as_deref(), Ok("/static"));
        assert!(normalize_prefix("static").is_err());
        assert!(normalize_prefix("/static/").is_err());
        assert!(normalize_prefix("/{x}").is_err());
    }
}
