//! Routing: paths and methods to handlers, routers nested under a prefix,
//! and the answers FastAPI gives when nothing matches.
//!
//! - Paths use FastAPI's syntax: `/items/{item_id}`; `{name:path}` (or
//!   matchit's `{*name}`) matches the rest of the path, slashes included.
//!   Static segments win over parameters (`/users/me` before
//!   `/users/{id}`), whatever the declaration order.
//! - Paths are matched percent-decoded, as Starlette does.
//! - An unknown path is `404 {"detail":"Not Found"}`.
//! - A known path without the method is `405 {"detail":"Method Not Allowed"}`
//!   with an `allow` header listing every method of that path, across all
//!   the routes that declare it.
//! - Every GET route also answers HEAD.
//! - A path that differs from a route only by a trailing slash is
//!   redirected (307) to the route's path, query kept, as Starlette does.
//! - A mount ([`Router::mount`]) is a tower service that answers every
//!   path under its prefix, whatever the method, as Starlette's `Mount`.
//!
//! All of these responses pass out through the app's middleware like any
//! other.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::{HeaderValue, ALLOW, HOST};
use http::{Method, StatusCode};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use crate::app::Shared;
use crate::error::{ConfigError, HttpError};
use crate::extract::OriginalUri;
use crate::handler::{ErasedHandler, Handler, HandlerEndpoint};
use crate::middleware::{from_fn, DynMiddleware, Middleware, Next, NextService, Node};
use crate::mount::MountDecl;
use crate::request::{Request, RouteMatch};
use crate::response::{IntoResponse, Redirect, Response};

/// One entry of a middleware stack, in the order it was added.
#[derive(Clone)]
pub(crate) enum StackItem {
    Native(Arc<dyn DynMiddleware>),
    Layer {
        build: Arc<dyn Fn(NextService) -> crate::middleware::BoxedLayerService + Send + Sync>,
        name: Cow<'static, str>,
    },
}

impl StackItem {
    pub(crate) fn name(&self) -> Cow<'static, str> {
        match self {
            StackItem::Native(m) => m.name(),
            StackItem::Layer { name, .. } => name.clone(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        match self {
            StackItem::Native(m) => m.validate(),
            StackItem::Layer { .. } => Ok(()),
        }
    }
}

/// Wraps `terminal` in `stack` (given in the order added: the last added
/// ends up outermost) and returns the outermost node.
pub(crate) fn build_stack(stack: &[StackItem], terminal: Node, shared: &Arc<Shared>) -> Arc<Node> {
    let mut node = Arc::new(terminal);
    for item in stack {
        node = Arc::new(match item {
            StackItem::Native(middleware) => Node::Middleware {
                middleware: middleware.clone(),
                next: node,
                shared: shared.clone(),
            },
            StackItem::Layer { build, name } => Node::Layer {
                service: build(NextService::new(node)),
                name: name.clone(),
            },
        });
    }
    node
}

/// The handlers of one path, by method, with the route's own middleware:
/// what [`get`], [`post`] and friends build.
///
/// ```
/// use sluice::routing::get;
/// use sluice::{App, Next, Request, Response};
///
/// async fn list() -> &'static str { "all items" }
/// async fn create() -> &'static str { "created" }
/// async fn audit(req: Request, next: Next) -> Response { next.run(req).await }
///
/// let app = App::new().route("/items", get(list).post(create).middleware(audit));
/// ```
#[must_use]
pub struct MethodRouter {
    handlers: Vec<(Method, Arc<dyn ErasedHandler>)>,
    stack: Vec<StackItem>,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for MethodRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodRouter")
            .field(
                "methods",
                &self.handlers.iter().map(|(m, _)| m).collect::<Vec<_>>(),
            )
            .field(
                "middleware",
                &self.stack.iter().map(StackItem::name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Default for MethodRouter {
    fn default() -> Self {
        MethodRouter::new()
    }
}

macro_rules! method_fns {
    ($($(#[$doc:meta])* $name:ident => $method:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name<H, T>(handler: H) -> MethodRouter
            where
                H: Handler<T>,
                T: 'static,
            {
                MethodRouter::new().on(Method::$method, handler)
            }
        )*

        impl MethodRouter {
            $(
                $(#[$doc])*
                pub fn $name<H, T>(self, handler: H) -> Self
                where
                    H: Handler<T>,
                    T: 'static,
                {
                    self.on(Method::$method, handler)
                }
            )*
        }
    };
}

method_fns! {
    /// Handles GET (and HEAD, unless a HEAD handler is given).
    get => GET,
    /// Handles POST.
    post => POST,
    /// Handles PUT.
    put => PUT,
    /// Handles DELETE.
    delete => DELETE,
    /// Handles PATCH.
    patch => PATCH,
    /// Handles HEAD.
    head => HEAD,
    /// Handles OPTIONS.
    options => OPTIONS,
    /// Handles TRACE.
    trace => TRACE,
}

impl MethodRouter {
    /// No handlers yet.
    pub fn new() -> Self {
        MethodRouter {
            handlers: Vec::new(),
            stack: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Handles `method` with `handler`.
    pub fn on<H, T>(mut self, method: Method, handler: H) -> Self
    where
        H: Handler<T>,
        T: 'static,
    {
        self.handlers
            .push((method, Arc::new(HandlerEndpoint::new(handler))));
        self
    }

    /// Adds a function middleware that runs for this route only, inside
    /// the app's and the routers' middleware.
    pub fn middleware<F, Fut, R>(self, f: F) -> Self
    where
        F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.add_middleware(from_fn(f))
    }

    /// Adds a [`Middleware`] value that runs for this route only.
    pub fn add_middleware<M: Middleware>(mut self, middleware: M) -> Self {
        self.stack.push(StackItem::Native(Arc::new(middleware)));
        self
    }
}

/// One path of a router, before building.
struct RouteDecl {
    path: String,
    handlers: Vec<(Method, Arc<dyn ErasedHandler>)>,
    /// Middleware around these handlers, in the order added (route's own
    /// first, then each enclosing router's).
    stack: Vec<StackItem>,
}

/// A group of routes with its own middleware, included in an app (or in
/// another router) under a prefix: FastAPI's `APIRouter`.
///
/// The router's middleware runs inside the app's middleware, and only for
/// the router's routes.
///
/// ```
/// use sluice::{App, HttpError, Next, Request, Response, Router};
///
/// async fn list_users() -> &'static str { "users" }
///
/// async fn admins_only(req: Request, next: Next) -> Result<Response, HttpError> {
///     if req.header("x-admin") != Some("yes") {
///         return Err(HttpError::new(403, "Forbidden"));
///     }
///     Ok(next.run(req).await)
/// }
///
/// let admin = Router::new().get("/users", list_users).middleware(admins_only);
/// let app = App::new().include_router("/admin", admin); // GET /admin/users
/// ```
#[must_use]
#[derive(Default)]
pub struct Router {
    routes: Vec<RouteDecl>,
    mounts: Vec<MountDecl>,
    stack: Vec<StackItem>,
    pub(crate) errors: Vec<ConfigError>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field(
                "routes",
                &self.routes.iter().map(|r| &r.path).collect::<Vec<_>>(),
            )
            .field(
                "mounts",
                &self.mounts.iter().map(|m| &m.prefix).collect::<Vec<_>>(),
            )
            .field(
                "middleware",
                &self.stack.iter().map(StackItem::name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

macro_rules! router_method_fns {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name<H, T>(self, path: &str, handler: H) -> Self
            where
                H: Handler<T>,
                T: 'static,
            {
                self.route(path, $name(handler))
            }
        )*
    };
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Router::default()
    }

    router_method_fns! {
        /// Adds a GET route (which also answers HEAD).
        get,
        /// Adds a POST route.
        post,
        /// Adds a PUT route.
        put,
        /// Adds a DELETE route.
        delete,
        /// Adds a PATCH route.
        patch,
        /// Adds a HEAD route.
        head,
        /// Adds an OPTIONS route.
        options,
    }

    /// Adds the handlers of `methods` at `path`. Declaring the same path
    /// again adds methods to it; declaring the same method twice is an
    /// error when the app is built.
    pub fn route(mut self, path: &str, methods: MethodRouter) -> Self {
        self.errors.extend(methods.errors);
        self.routes.push(RouteDecl {
            path: path.to_owned(),
            handlers: methods.handlers,
            stack: methods.stack,
        });
        self
    }

    /// Includes `router`'s routes under `prefix` (FastAPI's
    /// `include_router(router, prefix=...)`). The prefix starts with `/`
    /// and does not end with one; it may be empty.
    pub fn include_router(mut self, prefix: &str, router: Router) -> Self {
        if !prefix.is_empty() && (!prefix.starts_with('/') || prefix.ends_with('/')) {
            self.errors.push(ConfigError::InvalidPath {
                path: prefix.to_owned(),
                reason: "a router prefix must start with '/' and must not end with '/'".to_owned(),
            });
            return self;
        }
        self.errors.extend(router.errors);
        for mut route in router.routes {
            route.path = format!("{prefix}{}", route.path);
            route.stack.extend(router.stack.iter().cloned());
            self.routes.push(route);
        }
        for mut mount in router.mounts {
            mount.prefix = format!("{prefix}{}", mount.prefix);
            mount.stack.extend(router.stack.iter().cloned());
            self.mounts.push(mount);
        }
        self
    }

    /// Mounts a tower service at `prefix`, Starlette's `Mount`: it answers
    /// `prefix` and every path under it, whatever the method.
    ///
    /// - The service sees the request with the prefix taken off its path
    ///   (`/static/css/a.css` arrives as `/css/a.css`: always starting with
    ///   `/`, still percent-encoded as sent, query kept). The whole URL is in
    ///   the request's [`OriginalUri`](crate::extract::OriginalUri) extension.
    /// - The prefix alone (`/static`) is redirected (307) to `/static/`, as
    ///   for any path that differs from a route by a trailing slash.
    /// - It runs inside the app's middleware and this router's, like any
    ///   route; errors the service returns become error responses, as for
    ///   [`App::add_layer`](crate::App::add_layer).
    /// - `prefix` starts with `/` and does not end with one. `"/"` mounts at
    ///   the root: the service answers every path that no route and no
    ///   other mount matches.
    /// - A route at or under the prefix, or a mount inside another, is an
    ///   error when the app is built (the prefix itself may also be a
    ///   route). A [`StaticFiles`](crate::StaticFiles) whose directory is
    ///   missing is one too.
    ///
    /// The service is any `tower::Service<http::Request<sluice::Body>>`
    /// returning an `http::Response` whose body is an [`http_body::Body`].
    pub fn mount<S, ResBody>(mut self, prefix: &str, service: S) -> Self
    where
        S: tower_service::Service<http::Request<crate::Body>, Response = http::Response<ResBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<crate::error::BoxError>,
        S::Future: Send + 'static,
        ResBody: http_body::Body + Send + 'static,
        ResBody::Data: Into<bytes::Bytes>,
        ResBody::Error: Into<crate::error::BoxError>,
    {
        let prefix = match crate::mount::normalize_prefix(prefix) {
            Ok(prefix) => prefix,
            Err(reason) => {
                self.errors.push(ConfigError::InvalidPath {
                    path: prefix.to_owned(),
                    reason,
                });
                return self;
            }
        };
        if let Some(files) = (&service as &dyn std::any::Any).downcast_ref::<crate::StaticFiles>() {
            if let Err(error) = files.check() {
                self.errors.push(error);
            }
        }
        let name = Cow::Borrowed(crate::middleware::short_type_name(
            std::any::type_name::<S>(),
        ));
        self.mounts.push(MountDecl {
            build: Box::new(move |prefix| {
                crate::app::adapt_service(crate::mount::Mounted {
                    prefix,
                    inner: service,
                })
            }),
            prefix,
            name,
            stack: Vec::new(),
        });
        self
    }

    /// Adds a function middleware for this router's routes.
    pub fn middleware<F, Fut, R>(self, f: F) -> Self
    where
        F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.add_middleware(from_fn(f))
    }

    /// Adds a [`Middleware`] value for this router's routes.
    pub fn add_middleware<M: Middleware>(mut self, middleware: M) -> Self {
        self.stack.push(StackItem::Native(Arc::new(middleware)));
        self
    }

    /// Adds a tower `Layer` for this router's routes, under the same
    /// ordering rule as native middleware.
    pub fn add_layer<L, S, ResBody>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<NextService, Service = S> + Send + Sync + 'static,
        S: tower_service::Service<http::Request<crate::Body>, Response = http::Response<ResBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<crate::error::BoxError>,
        S::Future: Send + 'static,
        ResBody: http_body::Body + Send + 'static,
        ResBody::Data: Into<bytes::Bytes>,
        ResBody::Error: Into<crate::error::BoxError>,
    {
        self.stack.push(crate::app::make_layer_item(layer));
        self
    }

    pub(crate) fn describe_routes(&self, out: &mut String) {
        use std::fmt::Write;
        for route in &self.routes {
            let methods: Vec<&str> = route.handlers.iter().map(|(m, _)| m.as_str()).collect();
            let _ = write!(out, "\n  {} {}", methods.join(","), route.path);
            if !route.stack.is_empty() {
                let names: Vec<Cow<'static, str>> =
                    route.stack.iter().rev().map(StackItem::name).collect();
                let _ = write!(out, "  [{}]", names.join(" -> "));
            }
        }
        for mount in &self.mounts {
            let prefix = if mount.prefix.is_empty() {
                "/"
            } else {
                &mount.prefix
            };
            let _ = write!(out, "\n  MOUNT {prefix} -> {}", mount.name);
            if !mount.stack.is_empty() {
                let names: Vec<Cow<'static, str>> =
                    mount.stack.iter().rev().map(StackItem::name).collect();
                let _ = write!(out, "  [{}]", names.join(" -> "));
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(first) = self.errors.first() {
            return Err(clone_config_error(first));
        }
        for route in &self.routes {
            for item in &route.stack {
                item.validate()?;
            }
        }
        for mount in &self.mounts {
            for item in &mount.stack {
                item.validate()?;
            }
        }
        Ok(())
    }

    /// Builds the matching table.
    pub(crate) fn build(self, shared: &Arc<Shared>) -> Result<RouterTable, ConfigError> {
        self.validate()?;
        let mut table = RouterTable {
            matcher: matchit::Router::new(),
            paths: Vec::new(),
        };
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let route_paths: Vec<String> = self.routes.iter().map(|r| r.path.clone()).collect();
        for route in self.routes {
            let template = to_matchit_syntax(&route.path)?;
            let index = match seen.get(&template) {
                Some(index) => *index,
                None => {
                    seen.insert(template.clone(), table.paths.len());
                    let names = param_names(&template);
                    table
                        .matcher
                        .insert(template.clone(), table.paths.len())
                        .map_err(|e| ConfigError::InvalidPath {
                            path: route.path.clone(),
                            reason: e.to_string(),
                        })?;
                    let template_arc: Arc<str> = Arc::from(route.path.as_str());
                    table.paths.push(PathEntry {
                        static_match: names.is_empty().then(|| {
                            Arc::new(RouteMatch {
                                template: template_arc.clone(),
                                params: Vec::new(),
                            })
                        }),
                        template: template_arc,
                        names,
                        methods: Vec::new(),
                        allow: HeaderValue::from_static(""),
                        mount: None,
                    });
                    table.paths.len() - 1
                }
            };
            let entry = &mut table.paths[index];
            for (method, handler) in route.handlers {
                if entry.methods.iter().any(|(m, _)| *m == method) {
                    return Err(ConfigError::DuplicateRoute {
                        method,
                        path: route.path.clone(),
                    });
                }
                let node = build_stack(
                    &route.stack,
                    Node::Handler {
                        handler,
                        shared: shared.clone(),
                    },
                    shared,
                );
                entry.methods.push((method, node));
            }
        }
        for entry in &mut table.paths {
            entry.allow = allow_header(&entry.methods);
        }
        crate::mount::check_conflicts(&route_paths, &self.mounts)?;
        for mount in self.mounts {
            let node = build_stack(
                &mount.stack,
                Node::Layer {
                    service: (mount.build)(Arc::from(mount.prefix.as_str())),
                    name: mount.name,
                },
                shared,
            );
            let template: Arc<str> = if mount.prefix.is_empty() {
                Arc::from("/")
            } else {
                Arc::from(mount.prefix.as_str())
            };
            let index = table.paths.len();
            let mut templates = vec![format!("{}/{{*sluice_mount_path}}", mount.prefix)];
            if !(mount.prefix.is_empty() && seen.contains_key("/")) {
                templates.push(format!("{}/", mount.prefix));
            }
            for matchit_template in templates {
                table.matcher.insert(matchit_template, index).map_err(|e| {
                    ConfigError::InvalidPath {
                        path: template.to_string(),
                        reason: format!("the mount conflicts with a route: {e}"),
                    }
                })?;
            }
            table.paths.push(PathEntry {
                static_match: Some(Arc::new(RouteMatch {
                    template: template.clone(),
                    params: Vec::new(),
                })),
                template,
                names: Box::new([]),
                methods: Vec::new(),
                allow: HeaderValue::from_static(""),
                mount: Some(node),
            });
        }
        Ok(table)
    }
}

fn clone_config_error(error: &ConfigError) -> ConfigError {
    match error {
        ConfigError::DuplicateRoute { method, path } => ConfigError::DuplicateRoute {
            method: method.clone(),
            path: path.clone(),
        },
        ConfigError::InvalidPath { path, reason } => ConfigError::InvalidPath {
            path: path.clone(),
            reason: reason.clone(),
        },
        ConfigError::Middleware { middleware, reason } => ConfigError::Middleware {
            middleware: middleware.clone(),
            reason: reason.clone(),
        },
        ConfigError::Invalid { setting, reason } => ConfigError::Invalid {
            setting,
            reason: reason.clone(),
        },
    }
}

/// `GET, HEAD, POST`: every method of the path, HEAD included when GET is.
fn allow_header(methods: &[(Method, Arc<Node>)]) -> HeaderValue {
    let mut names: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
    if names.contains(&"GET") && !names.contains(&"HEAD") {
        names.push("HEAD");
    }
    names.sort_unstable();
    HeaderValue::from_str(&names.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// FastAPI's `{name:path}` becomes matchit's `{*name}`; `{name:str}` is a
/// plain parameter.
fn to_matchit_syntax(path: &str) -> Result<String, ConfigError> {
    if !path.starts_with('/') {
        return Err(ConfigError::InvalidPath {
            path: path.to_owned(),
            reason: "a route path must start with '/'".to_owned(),
        });
    }
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            return Err(ConfigError::InvalidPath {
                path: path.to_owned(),
                reason: "unclosed '{'".to_owned(),
            });
        };
        let inner = &rest[open + 1..open + close];
        match inner.split_once(':') {
            Some((name, "path")) => {
                out.push_str("{*");
                out.push_str(name);
                out.push('}');
            }
            Some((name, "str")) => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            Some((_, convertor)) => {
                return Err(ConfigError::InvalidPath {
                    path: path.to_owned(),
                    reason: format!(
                        "unknown convertor ':{convertor}'; declare the type with the Path extractor instead"
                    ),
                })
            }
            None => {
                out.push('{');
                out.push_str(inner);
                out.push('}');
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn param_names(template: &str) -> Box<[Arc<str>]> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = rest[open + 1..open + close].trim_start_matches('*');
        names.push(Arc::from(name));
        rest = &rest[open + close + 1..];
    }
    names.into_boxed_slice()
}

struct PathEntry {
    template: Arc<str>,
    names: Box<[Arc<str>]>,
    /// Shared by every request to a route without parameters.
    static_match: Option<Arc<RouteMatch>>,
    methods: Vec<(Method, Arc<Node>)>,
    allow: HeaderValue,
    /// For a mount: its service inside its middleware, for every method.
    mount: Option<Arc<Node>>,
}

/// The built router: what the app's stack ends in.
pub(crate) struct RouterTable {
    matcher: matchit::Router<usize>,
    paths: Vec<PathEntry>,
}

/// Characters Starlette's `RedirectResponse` percent-encodes in a URL.
pub(crate) const URL_UNSAFE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

impl RouterTable {
    pub(crate) fn dispatch(&self, mut req: Request) -> BoxFuture<'_, Response> {
        let raw_path = req.path();
        let decoded: Cow<'_, str> = if raw_path.contains('%') {
            percent_decode_str(raw_path).decode_utf8_lossy()
        } else {
            Cow::Borrowed(raw_path)
        };
        let Ok(found) = self.matcher.at(&decoded) else {
            let response = self.not_found(&req, &decoded);
            return Box::pin(std::future::ready(response));
        };
        let entry = &self.paths[*found.value];
        if let Some(node) = &entry.mount {
            if req.extensions().get::<OriginalUri>().is_none() {
                let original =
                    OriginalUri::of(req.scheme(), req.uri(), req.headers(), req.connection());
                req.extensions_mut().insert(original);
            }
            if let Some(route) = &entry.static_match {
                req.set_route(route.clone());
            }
            return node.call(req);
        }
        let method = req.method();
        let node = entry
            .methods
            .iter()
            .find(|(m, _)| m == method)
            .or_else(|| {
                (method == Method::HEAD)
                    .then(|| entry.methods.iter().find(|(m, _)| *m == Method::GET))
                    .flatten()
            })
            .map(|(_, node)| node);
        let Some(node) = node else {
            let response = HttpError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
                .into_response();
            let mut response = response;
            response.headers_mut().insert(ALLOW, entry.allow.clone());
            return Box::pin(std::future::ready(response));
        };
        let route = match &entry.static_match {
            Some(shared) => shared.clone(),
            None => Arc::new(RouteMatch {
                template: entry.template.clone(),
                params: entry
                    .names
                    .iter()
                    .cloned()
                    .zip(found.params.iter().map(|(_, v)| v.to_owned()))
                    .collect(),
            }),
        };
        req.set_route(route);
        node.call(req)
    }

    /// 404, or Starlette's 307 to the same path with the trailing slash
    /// toggled when that path exists.
    fn not_found(&self, req: &Request, decoded: &str) -> Response {
        if decoded != "/" {
            let toggled = match decoded.strip_suffix('/') {
                Some(without) => Cow::Borrowed(without),
                None => Cow::Owned(format!("{decoded}/")),
            };
            if self.matcher.at(&toggled).is_ok() {
                let url = redirect_url(req, &toggled);
                return Redirect::temporary(url).into_response();
            }
        }
        HttpError::new(StatusCode::NOT_FOUND, "Not Found").into_response()
    }
}

/// The absolute URL Starlette builds for the slash redirect: scheme, the
/// Host header (or the server's address), the decoded path and the raw
/// query, then quoted.
fn redirect_url(req: &Request, path: &str) -> String {
    let scheme = req.scheme();
    let mut url = match req.headers().get(HOST).map(HeaderValue::as_bytes) {
        Some(host) => format!("{scheme}://{}{path}", String::from_utf8_lossy(host)),
        None => match req.connection().local_addr {
            Some(addr) => {
                let default_port = if scheme == "https" { 443 } else { 80 };
                if addr.port() == default_port {
                    format!("{scheme}://{}{path}", addr.ip())
                } else {
                    format!("{scheme}://{addr}{path}")
                }
            }
            None => path.to_owned(),
        },
    };
    if let Some(query) = req.query() {
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
    }
    utf8_percent_encode(&url, URL_UNSAFE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastapi_path_syntax() {
        assert_eq!(
            to_matchit_syntax("/files/{file_path:path}").expect("ok"),
            "/files/{*file_path}"
        );
        assert_eq!(to_matchit_syntax("/items/{id}").expect("ok"), "/items/{id}");
        assert!(to_matchit_syntax("/items/{id:int}").is_err());
        assert!(to_matchit_syntax("items").is_err());
        assert_eq!(&*param_names("/a/{x}/b/{*rest}")[1], "rest");
    }
}
