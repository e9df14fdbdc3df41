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
//!
//! All of these responses pass out through the app's middleware like any
//! other.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::{HeaderValue, ALLOW};
use http::{Method, StatusCode};

use crate::error::{ConfigError, HttpError, IntoStatusCode};
use crate::extract::Declaration;
use crate::handler::{Handler, HandlerSpec, RouteHandler};
use crate::openapi::{DocBuilder, Entry, ExtraResponse, Operation, OperationDoc, RouteDoc};
use crate::request::{Request, RouteMatch};
use crate::response::{IntoResponse, Redirect, Response, ResponseExt};
use crate::shared::Shared;
use crate::stack::{
    build_stack, from_fn, Endpoint, HttpService, Middleware, Next, NextService, Node, StackItem,
};
use crate::url::{absolute_url, decode_path, push_path_and_query, redirect_netloc};

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
    handlers: Vec<MethodHandler>,
    stack: Vec<StackItem>,
    errors: Vec<ConfigError>,
}

/// One method's handler and what the route says about it.
#[derive(Clone)]
struct MethodHandler {
    method: Method,
    handler: Arc<dyn RouteHandler>,
    doc: RouteDoc,
}

impl fmt::Debug for MethodRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodRouter")
            .field(
                "methods",
                &self.handlers.iter().map(|h| &h.method).collect::<Vec<_>>(),
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
        self.handlers.push(MethodHandler {
            method,
            handler: Arc::new(HandlerSpec::<H, T>::new(handler)),
            doc: RouteDoc::default(),
        });
        self
    }

    /// The route settings of the handler added last.
    fn last_doc(mut self, setting: &str, f: impl FnOnce(&mut RouteDoc)) -> Self {
        match self.handlers.last_mut() {
            Some(last) => f(&mut last.doc),
            None => self.errors.push(ConfigError::InvalidPath {
                path: String::new(),
                reason: format!(
                    "{setting}() applies to the handler added just before it, but there is \
                     none yet; write it after get(handler), post(handler), ..."
                ),
            }),
        }
        self
    }

    /// The operation's summary in the OpenAPI document (FastAPI's
    /// `summary=`). Like every setting below, it applies to the handler
    /// added just before it: `get(list).summary("List").post(create).summary("Create")`.
    /// Without one, the summary is the handler's name in title case.
    pub fn summary(self, summary: impl Into<Cow<'static, str>>) -> Self {
        let summary = summary.into();
        self.last_doc("summary", |doc| doc.summary = Some(summary))
    }

    /// The operation's description (Markdown).
    pub fn description(self, description: impl Into<Cow<'static, str>>) -> Self {
        let description = description.into();
        self.last_doc("description", |doc| doc.description = Some(description))
    }

    /// Adds a tag, which groups operations in the docs.
    pub fn tag(self, tag: impl Into<Cow<'static, str>>) -> Self {
        let tag = tag.into();
        self.last_doc("tag", |doc| push_tag(&mut doc.tags, tag))
    }

    /// Marks the operation deprecated.
    pub fn deprecated(self) -> Self {
        self.last_doc("deprecated", |doc| doc.deprecated = true)
    }

    /// The operation's id, in place of FastAPI's default
    /// (`read_item_items__item_id__get`). Two operations with the same id
    /// fail the build.
    pub fn operation_id(self, id: impl Into<Cow<'static, str>>) -> Self {
        let id = id.into();
        self.last_doc("operation_id", |doc| doc.operation_id = Some(id))
    }

    /// Documents another response: its status, description and the
    /// content `R` makes (`()` for none), e.g.
    /// `.response::<Json<Message>>(404, "Item not found")` (FastAPI's
    /// `responses=`).
    pub fn response<R: IntoResponse>(
        self,
        status: impl IntoStatusCode,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        let extra = ExtraResponse {
            status: status.into_status_code(),
            description: description.into(),
            describe: R::describe,
        };
        self.last_doc("response", |doc| doc.responses.push(extra))
    }

    /// The operation's success status (FastAPI's `status_code=`): the
    /// document's, and the response's whenever the handler answers 200
    /// (`201 Created` for a `Json<Item>`, `204 No Content` for `()`).
    ///
    /// ```
    /// use sluice::routing::post;
    /// use sluice::testing::TestClient;
    /// use sluice::{App, StatusCode};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().route("/items", post(|| async { "made" }).status(StatusCode::CREATED));
    /// assert_eq!(TestClient::new(app).post("/items").await.status(), 201);
    /// # }
    /// ```
    pub fn status(self, status: impl IntoStatusCode) -> Self {
        let status = status.into_status_code();
        self.last_doc("status", |doc| doc.status = Some(status))
    }

    /// Leaves the operation out of the OpenAPI document (FastAPI's
    /// `include_in_schema=False`); it is routed as before.
    pub fn include_in_schema(self, include: bool) -> Self {
        self.last_doc("include_in_schema", |doc| doc.include = include)
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
        self.stack.push(StackItem::native(middleware));
        self
    }

    /// Adds a tower `Layer` that runs for this route only, under the same
    /// ordering rule as native middleware.
    pub fn add_layer<L>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<NextService> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.stack.push(StackItem::layer(layer));
        self
    }
}

fn push_tag(tags: &mut Vec<Cow<'static, str>>, tag: Cow<'static, str>) {
    if !tags.contains(&tag) {
        tags.push(tag);
    }
}

/// One path of a router, before building.
struct RouteDecl {
    path: String,
    handlers: Vec<MethodHandler>,
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
    stack: Vec<StackItem>,
    pub(crate) errors: Vec<ConfigError>,
    /// Tags for every route of the router, before the routes' own.
    tags: Vec<Cow<'static, str>>,
    deprecated: bool,
    hidden: bool,
    responses: Vec<ExtraResponse>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field(
                "routes",
                &self.routes.iter().map(|r| &r.path).collect::<Vec<_>>(),
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
        self.errors
            .extend(methods.errors.into_iter().map(|e| match e {
                ConfigError::InvalidPath { reason, .. } => ConfigError::InvalidPath {
                    path: path.to_owned(),
                    reason,
                },
                other => other,
            }));
        self.routes.push(RouteDecl {
            path: path.to_owned(),
            handlers: methods.handlers,
            stack: methods.stack,
        });
        self
    }

    /// Adds a tag to every operation of this router, before their own
    /// (FastAPI's `APIRouter(tags=[...])`).
    pub fn tag(mut self, tag: impl Into<Cow<'static, str>>) -> Self {
        push_tag(&mut self.tags, tag.into());
        self
    }

    /// Marks every operation of this router deprecated.
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    /// Leaves every operation of this router out of the OpenAPI document.
    pub fn include_in_schema(mut self, include: bool) -> Self {
        self.hidden = !include;
        self
    }

    /// Documents a response of every operation of this router, as
    /// [`MethodRouter::response`] does for one.
    pub fn response<R: IntoResponse>(
        mut self,
        status: impl IntoStatusCode,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.responses.push(ExtraResponse {
            status: status.into_status_code(),
            description: description.into(),
            describe: R::describe,
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
            for handler in &mut route.handlers {
                let doc = &mut handler.doc;
                let mut tags = router.tags.clone();
                for tag in doc.tags.drain(..) {
                    push_tag(&mut tags, tag);
                }
                doc.tags = tags;
                doc.deprecated |= router.deprecated;
                doc.include &= !router.hidden;
                let mut responses = router.responses.clone();
                responses.append(&mut doc.responses);
                doc.responses = responses;
            }
            self.routes.push(route);
        }
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
        self.stack.push(StackItem::native(middleware));
        self
    }

    /// Adds a tower `Layer` for this router's routes, under the same
    /// ordering rule as native middleware.
    pub fn add_layer<L>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<NextService> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.stack.push(StackItem::layer(layer));
        self
    }

    pub(crate) fn describe_routes(&self, out: &mut String) {
        use std::fmt::Write;
        for route in &self.routes {
            let methods: Vec<&str> = route.handlers.iter().map(|h| h.method.as_str()).collect();
            let _ = write!(out, "\n  {} {}", methods.join(","), route.path);
            if !route.stack.is_empty() {
                let names: Vec<Cow<'static, str>> =
                    route.stack.iter().rev().map(StackItem::name).collect();
                let _ = write!(out, "  [{}]", names.join(" -> "));
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(first) = self.errors.first() {
            return Err(first.clone());
        }
        for route in &self.routes {
            for item in &route.stack {
                item.validate()?;
            }
        }
        Ok(())
    }

    /// Builds the matching table, and describes each documented operation
    /// in `openapi`.
    pub(crate) fn build(
        self,
        shared: &Arc<Shared>,
        mut openapi: Option<&mut DocBuilder>,
    ) -> Result<RouterTable, ConfigError> {
        self.validate()?;
        let mut table = RouterTable {
            matcher: matchit::Router::new(),
            paths: Vec::new(),
        };
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for mut route in self.routes {
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
                    });
                    table.paths.len() - 1
                }
            };
            let entry = &mut table.paths[index];
            let handlers = std::mem::take(&mut route.handlers);
            for MethodHandler {
                method,
                handler,
                mut doc,
            } in handlers
            {
                if entry.methods.iter().any(|(m, _)| *m == method) {
                    return Err(ConfigError::DuplicateRoute {
                        method,
                        path: route.path.clone(),
                    });
                }
                doc.handler_name = handler.name();
                let builder = openapi.as_deref_mut().filter(|_| doc.include);
                let described = declare(&*handler, &method, &route, &entry.names, builder)?;
                let mut endpoint = handler.endpoint(shared);
                if let Some(status) = doc.status {
                    endpoint = Arc::new(WithStatus {
                        inner: endpoint,
                        status,
                    });
                }
                if let (Some(op), Some(builder)) = (described, openapi.as_deref_mut()) {
                    builder.push(Entry {
                        method: method.clone(),
                        path: route.path.clone(),
                        path_params: entry.names.clone(),
                        op,
                        doc,
                    });
                }
                let node = build_stack(&route.stack, endpoint, shared);
                entry.methods.push((method, node));
            }
        }
        for entry in &mut table.paths {
            entry.allow = allow_header(&entry.methods);
        }
        Ok(table)
    }
}

/// Lets the handler's arguments check the route and, when `openapi` is
/// given, describe the operation, with the route's and routers'
/// middleware; the operation, if described.
fn declare(
    handler: &dyn RouteHandler,
    method: &Method,
    route: &RouteDecl,
    names: &[Arc<str>],
    openapi: Option<&mut DocBuilder>,
) -> Result<Option<Operation>, ConfigError> {
    let fail = |reason: String| ConfigError::Handler {
        method: method.clone(),
        path: route.path.clone(),
        reason,
    };
    let mut op = Operation::default();
    let documenting = openapi.is_some();
    let mut decl = Declaration::new(method, &route.path, names);
    if let Some(builder) = openapi {
        let doc = OperationDoc::new(method, &route.path, names, &mut builder.schemas, &mut op);
        decl = decl.with_openapi(doc);
    }
    handler.declare(&mut decl);
    let (problems, doc) = decl.into_parts();
    if let Some(problem) = problems.into_iter().next() {
        return Err(fail(problem));
    }
    if let Some(mut doc) = doc {
        for item in &route.stack {
            item.describe(&mut doc);
        }
        let documented: Vec<&str> = doc.documented_path_params().collect();
        if let Some(missing) = names.iter().find(|n| !documented.contains(&&***n)) {
            return Err(fail(format!(
                "the route parameter {{{missing}}} is read by no Path<T> argument, so the \
                 OpenAPI document cannot describe it; read it with a Path<T> (a struct field \
                 or a tuple position for {missing}), or leave the route out of the document \
                 with .include_in_schema(false)"
            )));
        }
    }
    Ok(documenting.then_some(op))
}

/// A handler whose route sets its success status: a 200 becomes it.
struct WithStatus {
    inner: Arc<dyn Endpoint>,
    status: StatusCode,
}

impl Endpoint for WithStatus {
    fn call(&self, req: Request) -> BoxFuture<'_, Response> {
        let response = self.inner.call(req);
        Box::pin(async move {
            let mut response = response.await;
            if response.status() == StatusCode::OK && response.error().is_none() {
                *response.status_mut() = self.status;
            }
            response
        })
    }

    fn name(&self) -> Cow<'static, str> {
        self.inner.name()
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
}

/// The built router: what the app's stack ends in.
pub(crate) struct RouterTable {
    matcher: matchit::Router<usize>,
    paths: Vec<PathEntry>,
}

impl Endpoint for RouterTable {
    fn call(&self, req: Request) -> BoxFuture<'_, Response> {
        self.dispatch(req)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("router")
    }
}

impl RouterTable {
    fn dispatch(&self, mut req: Request) -> BoxFuture<'_, Response> {
        let decoded = decode_path(req.path());
        let Ok(found) = self.matcher.at(&decoded) else {
            let response = self.not_found(&req, &decoded);
            return Box::pin(std::future::ready(response));
        };
        let entry = &self.paths[*found.value];
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
        if let Some(locals) = req.locals_if_any() {
            locals.set_route(route.clone());
        }
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
/// host the request was sent to (or the server's address), the decoded
/// path with the slash toggled, and the raw query. A path alone when the
/// request names no usable host and the server address is unknown.
fn redirect_url(req: &Request, path: &str) -> String {
    let netloc = redirect_netloc(
        req.headers(),
        req.uri().authority(),
        req.connection().local_addr,
        false,
    );
    match netloc {
        Some(netloc) => absolute_url(req.scheme(), false, &netloc, path, req.query()),
        None => {
            let mut url = String::new();
            push_path_and_query(&mut url, path, req.query());
            url
        }
    }
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
