//! The middleware stack: the [`Middleware`] trait, [`Next`], [`from_fn`],
//! the tower adapters, panic catching, and the stacking rule. A stack ends
//! in an [`Endpoint`], which knows nothing about how the stack was built
//! (the router and the handlers are endpoints).
//!
//! How a request flows: [`Next::run`] hands the request to the next
//! [`Node`] in; a middleware node calls the middleware with a fresh `Next`
//! for the node after it; a layer node calls its tower service; an endpoint
//! node answers. On the way back, `Next::run` settles the response: an
//! error not yet offered to the exception handlers is offered now, and
//! background work a middleware scheduled is marked on the response.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use smallvec::SmallVec;

use crate::body::Body;
use crate::error::{BoxError, ConfigError, Error, Panic};
use crate::openapi::OperationDoc;
use crate::request::{Locals, Request};
use crate::response::{attach_error, internal_error_response, IntoResponse, Response};
use crate::shared::Shared;

/// A middleware value: what [`App::add_middleware`](crate::App::add_middleware)
/// takes.
///
/// Implement [`Middleware::handle`] with an `async fn`. Call
/// `next.run(req).await` to pass the request on, or answer early: return
/// any response, or an error with `?` (an
/// [`HttpError`](crate::HttpError) gives its own status; any other error
/// is offered to the app's exception handlers, else it is a 500).
///
/// ```
/// use sluice::middleware::Middleware;
/// use sluice::testing::TestClient;
/// use sluice::{App, HttpError, Next, Request, Response};
///
/// /// Refuses requests without an `x-api-key` header.
/// struct RequireKey;
///
/// impl Middleware for RequireKey {
///     async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
///         req.header("x-api-key")
///             .ok_or_else(|| HttpError::new(401, "Unauthorized"))?;
///         Ok(next.run(req).await)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().get("/", || async { "hi" }).add_middleware(RequireKey);
/// let client = TestClient::new(app);
/// assert_eq!(client.get("/").await.status(), 401);
/// assert_eq!(client.get("/").header("x-api-key", "k").await.status(), 200);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sluice middleware",
    label = "`add_middleware` takes a value implementing `Middleware`",
    note = "for an `async fn(Request, Next) -> impl IntoResponse`, use `App::middleware` or `sluice::middleware::from_fn`",
    note = "for a tower `Layer`, use `App::add_layer`"
)]
pub trait Middleware: Send + Sync + 'static {
    /// Handles one request: do work, call `next.run(req).await` (or not),
    /// then work on the response.
    ///
    /// # Errors
    ///
    /// An error becomes the response, as a handler's error does.
    fn handle(
        &self,
        req: Request,
        next: Next,
    ) -> impl Future<Output = crate::Result<Response>> + Send;

    /// The name shown by [`App::describe`](crate::App::describe) and in
    /// logs. Defaults to the type's name.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(short_type_name(std::any::type_name::<Self>()))
    }

    /// Checks the settings when the app is built. A middleware whose
    /// settings can never work returns the reason here, and building the
    /// app fails with it.
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] describing what is wrong.
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }

    /// Whether this middleware, as configured, does nothing at all: every
    /// request would be passed on as it came and every response returned
    /// as it came back. Such a middleware is left out of the built stack,
    /// so it costs nothing per request; [`App::describe`](crate::App::describe)
    /// still lists it and [`Middleware::validate`] still checks it.
    /// Defaults to `false`.
    ///
    /// [`TrustedHost`](crate::middleware::TrustedHost) allowing every host
    /// (its default, as in Starlette) is one.
    ///
    /// ```
    /// use sluice::middleware::Middleware;
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Next, Request, Response};
    ///
    /// /// Tags responses, unless it was built switched off.
    /// struct Tag { on: bool }
    ///
    /// impl Middleware for Tag {
    ///     async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
    ///         let mut response = next.run(req).await;
    ///         if self.on {
    ///             response.headers_mut().insert("x-tag", "1".parse().unwrap());
    ///         }
    ///         Ok(response)
    ///     }
    ///
    ///     fn passes_through(&self) -> bool {
    ///         !self.on
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().get("/", || async { "hi" }).add_middleware(Tag { on: false });
    /// assert!(app.describe().contains("Tag"));
    /// let res = TestClient::new(app).get("/").await;
    /// assert_eq!(res.header("x-tag"), None);
    /// # }
    /// ```
    fn passes_through(&self) -> bool {
        false
    }

    /// Whether this middleware has nothing to do for `req`: it would pass
    /// the request on as it came and return the response as it came back.
    /// The stack then hands `req` straight to the next layer, without the
    /// cost of a layer (no boxed future, no [`Next`]): about 20
    /// instructions instead of about 480.
    ///
    /// Called once per request, just before [`Middleware::handle`] would
    /// be. Keep it cheap, and do not panic in it: unlike `handle`, it runs
    /// outside the middleware's panic guard. Defaults to `false`, which
    /// costs nothing: the check is compiled away.
    ///
    /// [`AccessLog`](crate::middleware::AccessLog) skips every request
    /// while its level is disabled, and [`RateLimit`](crate::middleware::rate_limit::RateLimit)
    /// the paths it exempts.
    ///
    /// ```
    /// use sluice::middleware::Middleware;
    /// use sluice::testing::TestClient;
    /// use sluice::{App, Next, Request, Response};
    ///
    /// /// Tags responses, except under `/internal`.
    /// struct Tag;
    ///
    /// impl Middleware for Tag {
    ///     async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
    ///         let mut response = next.run(req).await;
    ///         response.headers_mut().insert("x-tag", "1".parse().unwrap());
    ///         Ok(response)
    ///     }
    ///
    ///     fn skips(&self, req: &Request) -> bool {
    ///         req.path().starts_with("/internal")
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/", || async { "hi" })
    ///     .get("/internal/health", || async { "ok" })
    ///     .add_middleware(Tag);
    /// let client = TestClient::new(app);
    /// assert_eq!(client.get("/").await.header("x-tag"), Some("1"));
    /// assert_eq!(client.get("/internal/health").await.header("x-tag"), None);
    /// # }
    /// ```
    fn skips(&self, req: &Request) -> bool {
        let _ = req;
        false
    }

    /// Adds what this middleware means for an operation it wraps to the
    /// app's OpenAPI document, once when the app is built: e.g. the
    /// security scheme a credential check requires
    /// ([`OperationDoc::security`]), or a response it may answer with.
    /// Called for each documented operation under it, whether the
    /// middleware was added to the app, a router or the route. Does
    /// nothing by default.
    ///
    /// ```
    /// use sluice::middleware::Middleware;
    /// use sluice::openapi::{OpenApi, OperationDoc, SecurityScheme};
    /// use sluice::testing::TestClient;
    /// use sluice::{App, HttpError, Next, Request, Response};
    ///
    /// struct RequireKey;
    ///
    /// impl Middleware for RequireKey {
    ///     async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
    ///         req.header("x-api-key").ok_or_else(|| HttpError::new(401, "Unauthorized"))?;
    ///         Ok(next.run(req).await)
    ///     }
    ///
    ///     fn describe(&self, operation: &mut OperationDoc<'_>) {
    ///         operation.security(SecurityScheme::api_key_header("x-api-key"), &[]);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .get("/", || async { "hi" })
    ///     .add_middleware(RequireKey)
    ///     .openapi(OpenApi::new());
    /// let client = TestClient::new(app);
    /// let doc: serde_json::Value = client.get("/openapi.json").header("x-api-key", "k").await.json();
    /// assert_eq!(doc["paths"]["/"]["get"]["security"][0]["APIKeyHeader"], serde_json::json!([]));
    /// assert_eq!(doc["components"]["securitySchemes"]["APIKeyHeader"]["name"], "x-api-key");
    /// # }
    /// ```
    fn describe(&self, operation: &mut OperationDoc<'_>) {
        let _ = operation;
    }

    /// How the stack runs this middleware. Not public API: the built-ins
    /// that never need to wait run in a cheaper form than
    /// [`Middleware::handle`]'s future; everything else keeps this default.
    #[doc(hidden)]
    fn __into_stack(self) -> StackEntry
    where
        Self: Sized,
    {
        StackEntry(StackItem::Native(Arc::new(self)))
    }
}

/// The rest of the stack, from a middleware's point of view.
///
/// [`Next::run`] passes the request to the next middleware (or to the
/// router, for the innermost one) and resolves to its response. It always
/// resolves to a response: errors and panics further in have already been
/// turned into one, and offered to the app's exception handlers.
#[must_use = "a middleware must call `next.run(req).await` to pass the request on"]
pub struct Next {
    node: Arc<Node>,
}

impl Next {
    /// The rest of the stack from `node`.
    pub(crate) fn to(node: &Arc<Node>) -> Next {
        Next { node: node.clone() }
    }

    /// Whether the router runs inside the polls of [`Next::run`]'s future
    /// (no tower layer further in), so that a
    /// [`Watched`](crate::route_watch::Watched) future sees its match.
    pub(crate) fn reports_route_inline(&self) -> bool {
        self.node.inline
    }

    /// Passes the request on and waits for the response.
    pub async fn run(self, req: Request) -> Response {
        let locals = req.locals_if_any().cloned();
        Settled {
            inner: self.node.call(req),
            shared: Some(&self.node.shared),
            locals,
        }
        .await
    }
}

/// The future of [`Next::run`] once the request has been handed on: polls
/// the node's future and settles its response. Written out rather than as
/// an `async` block so that the common response (nothing to settle) is
/// handed straight back instead of being moved through the block's locals:
/// every middleware layer runs this once. Kept small (it is part of every
/// layer's boxed future): the rare settling step replaces `inner`.
struct Settled<'a> {
    inner: BoxFuture<'a, Response>,
    /// `None` once `inner` is the settling step.
    shared: Option<&'a Shared>,
    locals: Option<Locals>,
}

impl Future for Settled<'_> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.get_mut();
        let polled = this.inner.as_mut().poll(cx);
        let Some(shared) = this.shared else {
            return polled;
        };
        match &polled {
            Poll::Ready(response) if needs_settling(response, this.locals.as_ref()) => {}
            _ => return polled,
        }
        let Poll::Ready(response) = polled else {
            return Poll::Pending;
        };
        this.shared = None;
        this.inner = Box::pin(settle(shared, response, this.locals.take()));
        this.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for Next {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("to", &self.node.name())
            .finish()
    }
}

/// Whether [`settle`] has anything to do: the request has a lifecycle (a
/// middleware or the handler scheduled work) or the response carries an
/// error not yet offered to the exception handlers. Most responses need
/// neither, and skip the call.
#[inline]
pub(crate) fn needs_settling(response: &Response, locals: Option<&Locals>) -> bool {
    locals.is_some_and(|locals| locals.lifecycle().is_some()) || Shared::is_unresolved(response)
}

/// What the caller of a node does with its response: marks the background
/// work of the request's lifecycle, if a middleware made one, and offers a
/// fresh error to the exception handlers.
pub(crate) async fn settle(
    shared: &Shared,
    mut response: Response,
    locals: Option<Locals>,
) -> Response {
    if let Some(lifecycle) = locals.as_ref().and_then(Locals::lifecycle) {
        lifecycle.mark_pending(&mut response);
    }
    if Shared::is_unresolved(&response) {
        shared
            .resolve(&mut response, locals.as_ref().and_then(Locals::head))
            .await;
    }
    response
}

/// Wraps an async function `fn(Request, Next) -> impl IntoResponse` as a
/// [`Middleware`] value, for places that take one (routers, routes,
/// `add_middleware`). [`App::middleware`](crate::App::middleware) does this
/// for you.
///
/// ```
/// use sluice::middleware::from_fn;
/// use sluice::{Next, Request, Response, Router};
///
/// async fn tag(req: Request, next: Next) -> Response {
///     let mut res = next.run(req).await;
///     res.headers_mut().insert("x-api", "v1".parse().unwrap());
///     res
/// }
///
/// let router = Router::new().add_middleware(from_fn(tag));
/// ```
pub fn from_fn<F, Fut>(f: F) -> FromFn<F>
where
    F: MiddlewareFn<Fut>,
{
    FromFn { f }
}

/// A function middleware: what [`App::middleware`](crate::App::middleware),
/// [`Router::middleware`](crate::Router::middleware) and [`from_fn`] take.
///
/// Every `async fn(Request, Next) -> impl IntoResponse` is one, and so is
/// every closure `|req: Request, next: Next| async move { ... }`, as long as
/// its future is `Send`. You never implement this trait; `Fut` is the
/// function's future.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a function middleware",
    label = "not an `async fn(Request, Next) -> impl IntoResponse`",
    note = "a function middleware is `async fn(req: Request, next: Next) -> impl IntoResponse`: it takes the request by value and passes it on with `next.run(req).await`",
    note = "for a `Middleware` value (such as `Cors` or your own `impl Middleware`), use `add_middleware`; for a tower `Layer`, use `add_layer`"
)]
pub trait MiddlewareFn<Fut>: Fn(Request, Next) -> Fut + Send + Sync + 'static {
    /// The [`Middleware`] value that runs the function.
    #[doc(hidden)]
    type Middleware: Middleware;

    /// Wraps the function as a [`Middleware`] value.
    #[doc(hidden)]
    fn into_middleware(self) -> Self::Middleware;
}

impl<F, Fut> MiddlewareFn<Fut> for F
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output: IntoResponse> + Send + 'static,
{
    type Middleware = FromFn<F>;

    fn into_middleware(self) -> FromFn<F> {
        FromFn { f: self }
    }
}

/// A function middleware; see [`from_fn`].
#[derive(Clone, Copy)]
pub struct FromFn<F> {
    f: F,
}

impl<F> fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FromFn")
            .field(&short_type_name(std::any::type_name::<F>()))
            .finish()
    }
}

impl<F, Fut, R> Middleware for FromFn<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    fn handle(
        &self,
        req: Request,
        next: Next,
    ) -> impl Future<Output = crate::Result<Response>> + Send {
        let output = (self.f)(req, next);
        async move { Ok(output.await.into_response()) }
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(short_type_name(std::any::type_name::<F>()))
    }
}

/// `a::b::Cors` -> `Cors`, `a::b::func` -> `func`, `a::b::C<x::Y>` -> `C`.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    match base
        .rsplit("::")
        .find(|s| !s.is_empty() && *s != "{{closure}}")
    {
        Some(last) if base.ends_with("{{closure}}") => {
            // A closure: name it after the function that defines it.
            let trimmed = base.trim_end_matches("::{{closure}}");
            trimmed.rsplit("::").next().unwrap_or(last)
        }
        Some(last) => last,
        None => full,
    }
}

/// The object-safe form of [`Middleware`], used inside the stack.
pub(crate) trait DynMiddleware: Send + Sync + 'static {
    /// Runs the middleware around `next`, or hands the request straight to
    /// `next` when it [skips](Middleware::skips) it.
    fn call<'a>(&'a self, req: Request, next: &'a Arc<Node>) -> BoxFuture<'a, Response>;
    fn name(&self) -> Cow<'static, str>;
    fn validate(&self) -> Result<(), ConfigError>;
    fn passes_through(&self) -> bool;
    fn describe(&self, operation: &mut OperationDoc<'_>);

    /// A hook's steps, when this middleware is a hook that can share one
    /// future with the hooks next to it (see [`HookSteps`]).
    fn hook_steps(self: Arc<Self>) -> Option<Arc<dyn HookSteps>> {
        None
    }
}

/// The [`DynMiddleware`] methods that say what a middleware is (all but
/// `call`), for a stack wrapper: forwarded to the [`Middleware`] it holds
/// at the given field (`0` for `self.0`, `0.0` for `self.0.0`).
macro_rules! forward_description {
    ($field:tt) => {
        fn name(&self) -> std::borrow::Cow<'static, str> {
            $crate::stack::Middleware::name(&self.$field)
        }

        fn validate(&self) -> Result<(), $crate::error::ConfigError> {
            $crate::stack::Middleware::validate(&self.$field)
        }

        fn passes_through(&self) -> bool {
            $crate::stack::Middleware::passes_through(&self.$field)
        }

        fn describe(&self, operation: &mut $crate::openapi::OperationDoc<'_>) {
            $crate::stack::Middleware::describe(&self.$field, operation);
        }
    };
}
pub(crate) use forward_description;

/// What a hook decided before the rest of the stack ran (see
/// [`crate::hook`]).
pub(crate) enum Before<S> {
    /// Pass the request on; `S` goes to the hook's `after` with the
    /// response.
    Pass(S),
    /// Answer now, without the rest of the stack.
    Answer(Response),
    /// This request needs waiting (an async credential check, a remote
    /// store): run [`Middleware::handle`] instead, which the hook then
    /// writes itself (a hook's `handle` cannot wait). Returned before the
    /// request was changed.
    Wait,
}

/// The hooks of a run whose `after` is still to come (see
/// [`crate::hook`]), outermost first, with their states. Kept here, below
/// the endpoints, so that an endpoint can take them into its own future.
pub(crate) struct Afters<'a> {
    frames: SmallVec<[Frame<'a>; 4]>,
    /// How many of `frames` are still to run their `after`, from the last:
    /// those hold a state and locals, the others nothing.
    pending: usize,
    /// The app whose exception handlers settle the responses on the way.
    shared: &'a Shared,
}

/// A hook of [`Afters`].
///
/// Its state and locals are taken out when its `after` runs, and
/// `Afters`' `Drop` drops those of the frames whose `after` never came:
/// so a frame needs no drop of its own, and a finished run drops none.
struct Frame<'a> {
    hook: &'a dyn HookSteps,
    slot: ManuallyDrop<Slot>,
    /// The request's locals when the hook passed it on.
    locals: ManuallyDrop<Option<Locals>>,
}

impl Frame<'_> {
    /// Takes the state out and drops the locals, leaving nothing to drop.
    #[inline(always)]
    fn take_state(&mut self) -> Slot {
        let slot = std::mem::replace(&mut self.slot, ManuallyDrop::new(Slot::Empty));
        drop(ManuallyDrop::into_inner(std::mem::take(&mut self.locals)));
        ManuallyDrop::into_inner(slot)
    }
}

impl<'a> Afters<'a> {
    /// None yet, for a run in `shared`'s stack.
    pub(crate) fn new(shared: &'a Shared) -> Self {
        Afters {
            frames: SmallVec::new(),
            pending: 0,
            shared,
        }
    }

    /// Whether there is no `after` to come.
    pub(crate) fn is_empty(&self) -> bool {
        self.pending == 0
    }

    /// Adds the next hook, inside the others, with its state and the
    /// request's locals as it passes the request on.
    #[inline]
    pub(crate) fn push(&mut self, hook: &'a dyn HookSteps, slot: Slot, locals: Option<Locals>) {
        self.frames.push(Frame {
            hook,
            slot: ManuallyDrop::new(slot),
            locals: ManuallyDrop::new(locals),
        });
        self.pending += 1;
    }

    /// Takes them all over, leaving none.
    #[inline]
    pub(crate) fn take(&mut self) -> Afters<'a> {
        Afters {
            frames: std::mem::take(&mut self.frames),
            pending: std::mem::replace(&mut self.pending, 0),
            shared: self.shared,
        }
    }

    /// Runs the `after`s still to come, the response settled before each
    /// (`settled`: whether it is, for the next one). `false` when there is
    /// a future in `step` to poll first: a settling step, or what an
    /// `after` returned (`after_of` is then its hook). `current` is the
    /// hook whose `after` is running, for a panic.
    #[inline(always)]
    pub(crate) fn run(
        &mut self,
        step: &mut BoxFuture<'a, Response>,
        settled: &mut bool,
        after_of: &mut Option<&'a dyn HookSteps>,
        response: &mut Response,
        current: &mut Option<&'a dyn HookSteps>,
    ) -> bool {
        while let Some(top) = self.pending.checked_sub(1) {
            let frame = &mut self.frames[top];
            if !*settled {
                *settled = true;
                if needs_settling(response, frame.locals.as_ref()) {
                    let response = std::mem::take(response);
                    *step = Box::pin(settle(self.shared, response, frame.locals.take()));
                    return false;
                }
            }
            *settled = false;
            self.pending = top;
            let hook = frame.hook;
            let slot = frame.take_state();
            *current = Some(hook);
            if let Some(rest) = hook.after(slot, response) {
                *step = rest;
                *after_of = Some(hook);
                return false;
            }
        }
        true
    }

    /// The innermost hook whose `after` is still to come, taken off with
    /// its state.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(&'a dyn HookSteps, Slot)> {
        self.pending = self.pending.checked_sub(1)?;
        let frame = &mut self.frames[self.pending];
        Some((frame.hook, frame.take_state()))
    }
}

impl Drop for Afters<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.pending != 0 {
            self.drop_pending();
        }
    }
}

impl Afters<'_> {
    /// Drops the states of the frames whose `after` never came: a panic,
    /// or a request dropped before it was answered.
    #[cold]
    fn drop_pending(&mut self) {
        while self.pop().is_some() {}
    }
}

/// A hook's state, set aside while a run of hooks shares one future:
/// one of the few shapes the built-ins' states take, so that setting one
/// aside costs no allocation ([`Slot::Other`] aside).
pub(crate) enum Slot {
    /// Nothing to keep.
    Empty,
    /// A point in time.
    Instant(std::time::Instant),
    /// A small choice, with a header value.
    Tagged(u8, Option<http::HeaderValue>),
    /// Anything else, boxed.
    Other(Box<dyn std::any::Any + Send>),
}

impl Slot {
    /// The value of [`Slot::Other`], if it holds a `T`.
    pub(crate) fn take_other<T: std::any::Any>(self) -> Option<T> {
        match self {
            Slot::Other(other) => other.downcast().ok().map(|other| *other),
            _ => None,
        }
    }
}

/// A hook's state that a [`Slot`] can hold.
pub(crate) trait Stash: Sized {
    /// Sets the state aside.
    fn stash(self) -> Slot;

    /// Takes it back: `None` for a slot some other type filled, which a
    /// run of hooks never hands over.
    fn unstash(slot: Slot) -> Option<Self>;
}

impl Stash for () {
    fn stash(self) -> Slot {
        Slot::Empty
    }

    fn unstash(slot: Slot) -> Option<Self> {
        matches!(slot, Slot::Empty).then_some(())
    }
}

impl Stash for std::time::Instant {
    fn stash(self) -> Slot {
        Slot::Instant(self)
    }

    fn unstash(slot: Slot) -> Option<Self> {
        match slot {
            Slot::Instant(at) => Some(at),
            _ => None,
        }
    }
}

/// A hook's steps in object-safe form. Adjacent hooks in a stack share
/// one future instead of boxing one each: the first of them starts the
/// run ([`HookSteps::run`]), which calls each one's `before` in turn,
/// then the rest of the stack, then each `after` on the way back (see
/// [`crate::hook`]).
pub(crate) trait HookSteps: DynMiddleware {
    /// The hook's `before`, its state set aside: `Pass(None)` when the
    /// hook [skips](Middleware::skips) the request, or has no `after`.
    fn before(&self, req: &mut Request) -> Before<Option<Slot>>;

    /// The hook's `after`, given back the state its `before` set aside.
    fn after<'a>(&'a self, slot: Slot, response: &mut Response) -> Option<BoxFuture<'a, Response>>;

    /// The middleware's own future around `next`, for a request its
    /// `before` answered [`Before::Wait`] for.
    fn wait<'a>(&'a self, req: Request, next: &'a Arc<Node>) -> BoxFuture<'a, Response>;

    /// Runs the hooks that start at `node`, this one first (see
    /// [`Node::hook_run`]). The runner lives with the hooks.
    fn run<'a>(&'a self, req: Request, node: &'a Node) -> BoxFuture<'a, Response>;
}

impl<M: Middleware> DynMiddleware for M {
    fn call<'a>(&'a self, req: Request, next: &'a Arc<Node>) -> BoxFuture<'a, Response> {
        if self.skips(&req) {
            // Whoever called this node settles the response, as this
            // layer's `Next::run` would have.
            return next.call(req);
        }
        guard(self, self.handle(req, Next::to(next)))
    }

    fn name(&self) -> Cow<'static, str> {
        Middleware::name(self)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        Middleware::validate(self)
    }

    fn passes_through(&self) -> bool {
        Middleware::passes_through(self)
    }

    fn describe(&self, operation: &mut OperationDoc<'_>) {
        Middleware::describe(self, operation);
    }
}

pin_project_lite::pin_project! {
    /// One middleware's future, as the stack runs it: its error becomes
    /// the error's response, and a panic inside becomes a 500 carrying the
    /// [`Panic`]. Written out rather than as an `async` block so that the
    /// box holds the middleware's own future and nothing more.
    struct Guarded<'a, F, M> {
        #[pin]
        inner: F,
        middleware: &'a M,
    }
}

impl<F, M> Future for Guarded<'_, F, M>
where
    F: Future<Output = crate::Result<Response>>,
    M: Middleware,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.project();
        let inner = this.inner;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(Ok(response))) => Poll::Ready(response),
            Ok(Poll::Ready(Err(error))) => Poll::Ready(error.into_response()),
            Err(payload) => {
                let name = Middleware::name(*this.middleware);
                Poll::Ready(panic_response(&*payload, "middleware", &name))
            }
        }
    }
}

/// `future`, run by the stack as `middleware`'s own (see [`Guarded`]): for
/// a middleware that runs a future other than its `handle`'s.
pub(crate) fn guard<'a, M, F>(middleware: &'a M, future: F) -> BoxFuture<'a, Response>
where
    M: Middleware,
    F: Future<Output = crate::Result<Response>> + Send + 'a,
{
    Box::pin(Guarded {
        inner: future,
        middleware,
    })
}

/// The 500 for a panic, carrying a [`Panic`] error.
pub(crate) fn panic_response(
    payload: &(dyn std::any::Any + Send),
    what: &str,
    name: &str,
) -> Response {
    let panic = Panic::from_payload(payload);
    tracing::error!(target: "sluice", %what, %name, panic = %panic.message(), "panicked while handling a request");
    let mut response = internal_error_response();
    attach_error(&mut response, Error::new(panic));
    response
}

/// The end of a stack: something that answers a request without calling
/// further in. The router is one; each route's handler is one.
pub(crate) trait Endpoint: Send + Sync + 'static {
    /// Answers the request.
    fn call(&self, req: Request) -> BoxFuture<'_, Response>;

    /// Answers a request that a run of hooks hands on, with the `after`s
    /// the run still has to run. An endpoint may [take](Afters::take) them
    /// into its own future (see `crate::hook::around`), so that the run
    /// and its answer are one allocation; the run keeps those it leaves.
    fn call_after_hooks<'a>(
        &'a self,
        req: Request,
        afters: &mut Afters<'a>,
    ) -> BoxFuture<'a, Response> {
        let _ = afters;
        self.call(req)
    }

    /// The name shown in `Next`'s debug output.
    fn name(&self) -> Cow<'static, str>;
}

/// A tower service that sluice can put in its stack or mount: it takes an
/// `http::Request<Body>` and answers with an `http::Response` whose body
/// sluice can send. Every such service implements it; you never do.
///
/// tower-http's services and the services its layers build are all
/// `HttpService`s.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tower service sluice can run",
    label = "not an `HttpService`",
    note = "sluice runs tower services of `http::Request<sluice::Body>` that are `Clone + Send + Sync + 'static`, answer with an `http::Response` whose body yields `Bytes`, and fail with an error that converts into `BoxError`"
)]
pub trait HttpService:
    tower_service::Service<
        http::Request<Body>,
        Response = http::Response<Self::ResponseBody>,
        Error: Into<BoxError>,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// The body of the service's responses.
    type ResponseBody: http_body::Body<Data: Into<Bytes>, Error: Into<BoxError>> + Send + 'static;
}

impl<S, B> HttpService for S
where
    S: tower_service::Service<
            http::Request<Body>,
            Response = http::Response<B>,
            Error: Into<BoxError>,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static,
    B: http_body::Body<Data: Into<Bytes>, Error: Into<BoxError>> + Send + 'static,
{
    type ResponseBody = B;
}

/// A tower [`Layer`](tower_layer::Layer) that [`App::add_layer`](crate::App::add_layer)
/// can put in the stack: one that wraps the rest of the stack (a
/// [`NextService`]) in an [`HttpService`].
///
/// tower-http's layers are; you never implement this trait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tower layer that sluice can stack",
    label = "`add_layer` takes a tower `Layer`",
    note = "for a `Middleware` value (such as `Cors` or your own `impl Middleware`), use `add_middleware`; for an `async fn(Request, Next)`, use `middleware`",
    note = "a tower layer here wraps a `NextService` into a `Clone + Send + Sync + 'static` service of `http::Request<sluice::Body>` whose response body yields `Bytes`, as tower-http's layers do"
)]
pub trait TowerLayer: tower_layer::Layer<NextService> + Send + Sync + 'static {
    /// Wraps the rest of the stack, boxed for the stack.
    #[doc(hidden)]
    fn wrap(&self, next: NextService) -> BoxedService;
}

impl<L> TowerLayer for L
where
    L: tower_layer::Layer<NextService> + Send + Sync + 'static,
    L::Service: HttpService,
{
    fn wrap(&self, next: NextService) -> BoxedService {
        box_service(self.layer(next))
    }
}

/// The boxed form of a tower service in the stack.
pub(crate) type BoxedService =
    tower::util::BoxCloneSyncService<http::Request<Body>, Response, Infallible>;

/// Boxes an [`HttpService`], turning its errors (from `poll_ready` or the
/// call) into error responses, like any other error.
pub(crate) fn box_service<S: HttpService>(service: S) -> BoxedService {
    tower::util::BoxCloneSyncService::new(ServiceAdapter {
        inner: service,
        failed: None,
    })
}

#[derive(Clone)]
struct ServiceAdapter<S> {
    inner: S,
    failed: Option<Error>,
}

impl<S: HttpService> tower_service::Service<http::Request<Body>> for ServiceAdapter<S> {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                self.failed = Some(Error::from_boxed(e.into()));
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        if let Some(error) = self.failed.take() {
            return Box::pin(std::future::ready(Ok(error.into_response())));
        }
        let future = self.inner.call(req);
        Box::pin(async move {
            Ok(match future.await {
                Ok(response) => response.map(Body::new),
                Err(error) => Error::from_boxed(error.into()).into_response(),
            })
        })
    }
}

/// What [`Middleware::__into_stack`] returns: how the stack runs a
/// middleware. Not public API.
#[doc(hidden)]
pub struct StackEntry(pub(crate) StackItem);

impl fmt::Debug for StackEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StackEntry").field(&self.0.name()).finish()
    }
}

/// One entry of a middleware stack, in the order it was added.
#[derive(Clone)]
pub(crate) enum StackItem {
    Native(Arc<dyn DynMiddleware>),
    Layer {
        build: Arc<dyn Fn(NextService) -> BoxedService + Send + Sync>,
        name: Cow<'static, str>,
    },
}

impl StackItem {
    /// A middleware value, in the form it chose (see
    /// [`Middleware::__into_stack`]).
    pub(crate) fn native<M: Middleware>(middleware: M) -> Self {
        middleware.__into_stack().0
    }

    /// A tower layer, wrapped around the rest of the stack when it is built.
    pub(crate) fn layer<L: TowerLayer>(layer: L) -> Self {
        let name = Cow::Borrowed(short_type_name(std::any::type_name::<L>()));
        StackItem::Layer {
            build: Arc::new(move |next: NextService| layer.wrap(next)),
            name,
        }
    }

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

    /// Lets a native middleware describe an operation it wraps; a tower
    /// layer says nothing.
    pub(crate) fn describe(&self, operation: &mut OperationDoc<'_>) {
        if let StackItem::Native(m) = self {
            m.describe(operation);
        }
    }
}

/// Wraps `endpoint` in `stack` (given in the order added: the last added
/// ends up outermost) and returns the outermost node.
pub(crate) fn build_stack(
    stack: &[StackItem],
    endpoint: Arc<dyn Endpoint>,
    shared: &Arc<Shared>,
) -> Arc<Node> {
    let mut node = Arc::new(Node {
        kind: NodeKind::Endpoint(endpoint),
        shared: shared.clone(),
        inline: true,
        hook_run: 0,
    });
    for item in stack {
        let (kind, inline, hook_run) = match item {
            // Nothing to run: left out, so that it costs nothing per request.
            StackItem::Native(middleware) if middleware.passes_through() => continue,
            StackItem::Native(middleware) => {
                let inline = node.inline;
                let steps = middleware.clone().hook_steps();
                let hook_run = if steps.is_some() {
                    (node.hook_run + 1).min(MAX_HOOK_RUN)
                } else {
                    0
                };
                let kind = NodeKind::Middleware {
                    middleware: middleware.clone(),
                    next: node,
                    steps,
                };
                (kind, inline, hook_run)
            }
            StackItem::Layer { build, name } => {
                let kind = NodeKind::Layer {
                    service: build(NextService { node }),
                    name: name.clone(),
                };
                (kind, false, 0)
            }
        };
        node = Arc::new(Node {
            kind,
            shared: shared.clone(),
            inline,
            hook_run,
        });
    }
    node
}

/// One link of a built stack. Requests enter at the outermost node and move
/// inwards; each node holds the next.
pub(crate) struct Node {
    kind: NodeKind,
    /// The app, whose exception handlers settle this node's responses.
    shared: Arc<Shared>,
    /// Whether the endpoint runs inside this node's polls, on the same
    /// task: no tower layer (which may hand the request to a task of its
    /// own) stands between them. See [`crate::route_watch`].
    inline: bool,
    /// How many hooks that can share one future ([`HookSteps`]) start
    /// here, one after the other, this node's included (at most
    /// [`MAX_HOOK_RUN`]); 0 when this node is not one.
    hook_run: u8,
}

/// The longest run of hooks one future serves; a longer one is served in
/// several.
const MAX_HOOK_RUN: u8 = 8;

enum NodeKind {
    /// A native middleware and the rest of the stack.
    Middleware {
        middleware: Arc<dyn DynMiddleware>,
        next: Arc<Node>,
        /// The middleware's steps, when it is a hook that can share a
        /// future with the next ones ([`DynMiddleware::hook_steps`]).
        steps: Option<Arc<dyn HookSteps>>,
    },
    /// A tower service built from a layer wrapped around the rest of the stack.
    Layer {
        service: BoxedService,
        name: Cow<'static, str>,
    },
    /// The end of the stack.
    Endpoint(Arc<dyn Endpoint>),
}

impl Node {
    /// Hands the request to this node. The response is not settled yet;
    /// [`Next::run`] (or the app's outermost layer) does that.
    pub(crate) fn call(&self, req: Request) -> BoxFuture<'_, Response> {
        match &self.kind {
            NodeKind::Middleware {
                middleware,
                next,
                steps,
            } => match steps {
                Some(steps) if self.hook_run > 1 => steps.run(req, self),
                _ => middleware.call(req, next),
            },
            NodeKind::Layer { service, .. } => {
                let service = service.clone();
                Box::pin(async move {
                    match tower::ServiceExt::oneshot(service, req.into_http()).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                })
            }
            NodeKind::Endpoint(endpoint) => endpoint.call(req),
        }
    }

    /// As [`Node::call`], for a request that a run of hooks hands on (see
    /// [`Endpoint::call_after_hooks`]).
    pub(crate) fn call_after_hooks<'a>(
        &'a self,
        req: Request,
        afters: &mut Afters<'a>,
    ) -> BoxFuture<'a, Response> {
        match &self.kind {
            NodeKind::Endpoint(endpoint) => endpoint.call_after_hooks(req, afters),
            _ => self.call(req),
        }
    }

    /// A copy of the stack from this node in, for one thread's requests:
    /// each layer hands the next node's `Arc` to its middleware's [`Next`]
    /// per request, and copies keep each count on one core. The nodes are
    /// copied; what they run (middleware, tower services, the endpoint) is
    /// shared. Below a tower layer the stack stays shared: the layer was
    /// built around it once.
    pub(crate) fn copy_for_thread(&self) -> Arc<Node> {
        let kind = match &self.kind {
            NodeKind::Middleware {
                middleware,
                next,
                steps,
            } => NodeKind::Middleware {
                middleware: middleware.clone(),
                next: next.copy_for_thread(),
                steps: steps.clone(),
            },
            NodeKind::Layer { service, name } => NodeKind::Layer {
                // As every request clones it.
                service: service.clone(),
                name: name.clone(),
            },
            NodeKind::Endpoint(endpoint) => NodeKind::Endpoint(endpoint.clone()),
        };
        Arc::new(Node {
            kind,
            shared: self.shared.clone(),
            inline: self.inline,
            hook_run: self.hook_run,
        })
    }

    /// How many hooks start a run here (see [`HookSteps`]): this node's
    /// hook and the next node's, up to this many, share one future.
    pub(crate) fn hook_run(&self) -> usize {
        usize::from(self.hook_run)
    }

    /// This node's hook and the node after it, when it is one (see
    /// [`HookSteps`]).
    pub(crate) fn hook_link(&self) -> Option<(&dyn HookSteps, &Arc<Node>)> {
        match &self.kind {
            NodeKind::Middleware { next, steps, .. } => steps.as_deref().map(|steps| (steps, next)),
            _ => None,
        }
    }

    /// Whether the router runs inside the polls of this node's future (see
    /// [`Next::reports_route_inline`]).
    pub(crate) fn runs_router_inline(&self) -> bool {
        self.inline
    }

    /// The app whose exception handlers settle this node's responses.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Whether this is the end of the stack: no middleware at all.
    pub(crate) fn is_endpoint(&self) -> bool {
        matches!(self.kind, NodeKind::Endpoint(_))
    }

    pub(crate) fn name(&self) -> Cow<'static, str> {
        match &self.kind {
            NodeKind::Middleware { middleware, .. } => middleware.name(),
            NodeKind::Layer { name, .. } => name.clone(),
            NodeKind::Endpoint(endpoint) => endpoint.name(),
        }
    }
}

/// The rest of the stack as a tower [`Service`](tower::Service): what a
/// tower `Layer` added with [`App::add_layer`](crate::App::add_layer)
/// wraps.
#[derive(Clone)]
pub struct NextService {
    node: Arc<Node>,
}

impl fmt::Debug for NextService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NextService")
            .field("to", &self.node.name())
            .finish()
    }
}

/// Any request body is accepted, so layers that change the body type (e.g.
/// tower-http's `RequestBodyLimitLayer` or `RequestDecompressionLayer`)
/// work too.
impl<B> tower::Service<http::Request<B>> for NextService
where
    B: http_body::Body + Send + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = NextServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let next = Next {
            node: self.node.clone(),
        };
        NextServiceFuture {
            inner: Box::pin(async move { Ok(next.run(Request::from_http(req)).await) }),
        }
    }
}

/// The future returned by [`NextService`].
pub struct NextServiceFuture {
    inner: BoxFuture<'static, Result<Response, Infallible>>,
}

impl fmt::Debug for NextServiceFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NextServiceFuture")
    }
}

impl Future for NextServiceFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("sluice::middleware::cors::Cors"), "Cors");
        assert_eq!(
            short_type_name("app::add_process_time_header"),
            "add_process_time_header"
        );
        assert_eq!(short_type_name("a::B<c::D>"), "B");
        assert_eq!(short_type_name("app::main::{{closure}}"), "main");
    }
}
