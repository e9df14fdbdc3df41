//! The cheaper form of a built-in middleware that never needs to wait: a
//! [`Hook`] looks at the request before the rest of the stack runs and at
//! the response after, with plain function calls.
//!
//! A [`Middleware`] layer costs about 480 instructions per request: its
//! future (the middleware's `async fn`, holding a [`Next`](crate::Next) and
//! the request) is boxed and guarded, and [`Next::run`](crate::Next::run)
//! wraps the rest of the stack in a future of its own. A hook's layer
//! boxes one small future that polls the rest of the stack directly: no
//! `Next`, no `async` state machine, the response moved once. Its
//! behaviour is the same as that of the [`Middleware::handle`] it stands
//! for ([`handle`] is that method, for a hook that never returns
//! [`Before::Wait`]):
//!
//! - the response of the rest of the stack is settled (background work
//!   marked, a fresh error offered to the exception handlers) before
//!   [`Hook::after`] sees it, as `Next::run` settles it;
//! - an answer from [`Hook::before`] is settled by whoever called the
//!   layer, as a middleware's own response is;
//! - a panic in the hook, or further in, becomes a 500 carrying the
//!   [`Panic`](crate::error::Panic), named after the middleware.
//!
//! Hooks next to each other in a stack share one future instead of boxing
//! one each ([`run`]): the first of them calls every `before` in turn,
//! then the rest of the stack, then every `after` on the way back, with
//! the same settling, answers and panics as their layers one inside the
//! other. A hook's state waits in a [`Slot`] meanwhile, so a state type
//! says how it is set aside ([`Stash`]). A hook whose state borrows it, or
//! that watches for the route, keeps a layer of its own ([`entry_alone`]).
//!
//! Which built-ins are hooks is an implementation detail: each says so
//! with [`Middleware::__into_stack`], by returning [`entry`].

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_util::future::BoxFuture;

use crate::request::{Locals, Request, RouteMatch};
use crate::response::Response;
use crate::route_watch;
use crate::shared::Shared;
use crate::stack::{
    forward_description, needs_settling, panic_response, settle, Afters, DynMiddleware, HookSteps,
    Middleware, Next, Node, StackEntry, StackItem,
};
pub(crate) use crate::stack::{Before, Slot, Stash};

/// A middleware that never needs to wait, in two synchronous halves.
pub(crate) trait Hook: Middleware {
    /// What `before` hands to `after`; it may borrow the hook.
    type State<'a>: Send + Unpin + 'a
    where
        Self: 'a;

    /// Whether [`Hook::after`] does anything. A hook that only looks at
    /// requests says `false`, and a request it passes on goes straight to
    /// the next layer, as if the hook [skipped](Middleware::skips) it.
    const AFTER: bool = true;

    /// Whether [`Hook::after`] wants the route that matched (see
    /// [`crate::route_watch`]). Without it, `after` gets `None`.
    const WATCHES_ROUTE: bool = false;

    /// Looks at (and may change) the request before the rest of the stack.
    fn before(&self, req: &mut Request) -> Before<Self::State<'_>>;

    /// Looks at (and may change or replace) the settled response. Work
    /// that must wait (compressing a body, say) is returned as a future
    /// that takes the response over and resolves to the final one. Does
    /// nothing by default, for a hook that only looks at requests.
    fn after<'a>(
        &'a self,
        state: Self::State<'a>,
        response: &mut Response,
        route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'a, Response>> {
        let _ = (state, response, route);
        None
    }
}

/// The stack entry of a hook: what its [`Middleware::__into_stack`]
/// returns. Next to other hooks, it shares their future (see [`run`]).
pub(crate) fn entry<H>(hook: H) -> StackEntry
where
    H: Hook,
    for<'a> H::State<'a>: Stash,
{
    if H::WATCHES_ROUTE {
        return entry_alone(hook);
    }
    StackEntry(StackItem::Native(Arc::new(Sharing(Hooked(hook)))))
}

/// The stack entry of a hook that keeps a future of its own: one whose
/// state borrows it, or that watches for the route.
pub(crate) fn entry_alone<H: Hook>(hook: H) -> StackEntry {
    StackEntry(StackItem::Native(Arc::new(Hooked(hook))))
}

/// A hook's [`Middleware::handle`]: the same steps, in the `async` form,
/// for whoever calls `handle` directly (another middleware wrapping it, a
/// test). A hook that may return [`Before::Wait`] writes its own `handle`;
/// here a `Wait` is answered with a 500 rather than a panic.
pub(crate) async fn handle<H: Hook>(
    hook: &H,
    mut req: Request,
    next: Next,
) -> crate::Result<Response> {
    let state = match hook.before(&mut req) {
        Before::Pass(state) => state,
        Before::Answer(response) => return Ok(response),
        Before::Wait => {
            let name = hook.name();
            return Err(crate::Error::msg(format!(
                "{name} asked to wait in its own handle"
            )));
        }
    };
    let mut route = None;
    let mut response = if H::WATCHES_ROUTE {
        run_watching_route(req, next, &mut route).await
    } else {
        next.run(req).await
    };
    match hook.after(state, &mut response, route) {
        None => Ok(response),
        Some(rest) => Ok(rest.await),
    }
}

/// Runs the rest of the stack, writing into `route` the route the router
/// matched: it stays `None` when no route matched (a 404, a 405, the
/// trailing-slash redirect, or a middleware that answered first). The
/// route is watched for ([`Watched`](route_watch::Watched)), which costs
/// the request nothing; only with a tower layer further in, which may run
/// the rest on a task of its own, does it travel in the request's
/// [`Locals`](crate::Locals) instead.
pub(crate) fn run_watching_route(
    req: Request,
    next: Next,
    route: &mut Option<Arc<RouteMatch>>,
) -> route_watch::Watched<'_, impl Future<Output = Response>> {
    // On a route, the match is known already.
    *route = req.route_arc().cloned();
    let locals = (!next.reports_route_inline()).then(|| req.locals().clone());
    route_watch::Watched::new(next.run(req), route, locals)
}

/// A hook in the stack.
struct Hooked<H>(H);

impl<H: Hook> DynMiddleware for Hooked<H> {
    fn call<'a>(&'a self, mut req: Request, next: &'a Arc<Node>) -> BoxFuture<'a, Response> {
        let hook = &self.0;
        if hook.skips(&req) {
            return next.call(req);
        }
        let before = std::panic::catch_unwind(AssertUnwindSafe(|| hook.before(&mut req)));
        let state = match before {
            Ok(Before::Pass(state)) => state,
            // Settled by the caller, as a middleware's own answer is.
            Ok(Before::Answer(response)) => return Box::pin(std::future::ready(response)),
            Ok(Before::Wait) => return DynMiddleware::call(hook, req, next),
            Err(payload) => {
                let response = panic_response(&*payload, "middleware", &hook.name());
                return Box::pin(std::future::ready(response));
            }
        };
        if !H::AFTER {
            // Settled by the caller, as for a skipping middleware.
            return next.call(req);
        }
        let locals = req.locals_if_any().cloned();
        // On a route, the match is known already.
        let mut route = if H::WATCHES_ROUTE {
            req.route_arc().cloned()
        } else {
            None
        };
        // A tower layer further in may answer on another task, where the
        // router's report cannot reach: the request's locals carry the
        // match instead.
        let watch_locals =
            (H::WATCHES_ROUTE && !next.runs_router_inline()).then(|| req.locals().clone());
        let inner = if H::WATCHES_ROUTE {
            // The router may match as soon as it is called.
            route_watch::watching(&mut route, || next.call(req))
        } else {
            next.call(req)
        };
        Box::pin(HookFuture {
            hook,
            inner,
            shared: Some(next.shared()),
            locals,
            state: Some(state),
            route,
            watch_locals,
        })
    }

    forward_description!(0);
}

/// A hook's layer once the request is passed on: polls the rest of the
/// stack, settles its response, runs [`Hook::after`], then the future
/// `after` returned, if any.
struct HookFuture<'a, H: Hook> {
    hook: &'a H,
    /// The rest of the stack; then the settling step; then what `after`
    /// returned.
    inner: BoxFuture<'a, Response>,
    /// `None` once `inner` is the settling step or `after`'s future.
    shared: Option<&'a Shared>,
    locals: Option<Locals>,
    /// `None` once `after` ran.
    state: Option<H::State<'a>>,
    /// The route for `after`: known at the start, or reported while the
    /// rest of the stack ran (with [`Hook::WATCHES_ROUTE`]).
    route: Option<Arc<RouteMatch>>,
    /// Where the route is found instead, past a tower layer.
    watch_locals: Option<Locals>,
}

impl<H: Hook> Future for HookFuture<'_, H> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.get_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| this.step(cx))) {
            Ok(polled) => polled,
            Err(payload) => Poll::Ready(panic_response(&*payload, "middleware", &this.hook.name())),
        }
    }
}

impl<H: Hook> HookFuture<'_, H> {
    fn step(&mut self, cx: &mut Context<'_>) -> Poll<Response> {
        loop {
            // Once the route is known, later reports do not change it,
            // but for a mounted app's, which completes the mount's.
            let watching = self.route.as_ref().is_none_or(|route| route.mount);
            let mut response = if H::WATCHES_ROUTE && self.shared.is_some() && watching {
                let inner = &mut self.inner;
                let polled = route_watch::watching(&mut self.route, || inner.as_mut().poll(cx));
                let response = ready!(polled);
                if let Some(route) = self.watch_locals.as_ref().and_then(Locals::route) {
                    self.route = Some(route);
                }
                response
            } else {
                ready!(self.inner.as_mut().poll(cx))
            };
            if let Some(shared) = self.shared.take() {
                if needs_settling(&response, self.locals.as_ref()) {
                    self.inner = Box::pin(settle(shared, response, self.locals.take()));
                    continue;
                }
            }
            let Some(state) = self.state.take() else {
                // `after`'s own future answered.
                return Poll::Ready(response);
            };
            match self.hook.after(state, &mut response, self.route.take()) {
                None => return Poll::Ready(response),
                Some(rest) => self.inner = rest,
            }
        }
    }
}

/// A hook that shares one future with the hooks next to it in the stack.
/// Alone, it is its [`Hooked`] layer.
struct Sharing<H>(Hooked<H>);

impl<H> DynMiddleware for Sharing<H>
where
    H: Hook,
    for<'a> H::State<'a>: Stash,
{
    fn call<'a>(&'a self, req: Request, next: &'a Arc<Node>) -> BoxFuture<'a, Response> {
        self.0.call(req, next)
    }

    forward_description!(0.0);

    fn hook_steps(self: Arc<Self>) -> Option<Arc<dyn HookSteps>> {
        Some(self)
    }
}

impl<H> HookSteps for Sharing<H>
where
    H: Hook,
    for<'a> H::State<'a>: Stash,
{
    fn before(&self, req: &mut Request) -> Before<Option<Slot>> {
        let hook = &self.0 .0;
        if hook.skips(req) {
            return Before::Pass(None);
        }
        match hook.before(req) {
            Before::Pass(state) => Before::Pass(H::AFTER.then(|| state.stash())),
            Before::Answer(response) => Before::Answer(response),
            Before::Wait => Before::Wait,
        }
    }

    fn after<'a>(&'a self, slot: Slot, response: &mut Response) -> Option<BoxFuture<'a, Response>> {
        // A slot is only ever handed back to the hook that filled it.
        let state = <H::State<'a> as Stash>::unstash(slot)?;
        self.0 .0.after(state, response, None)
    }

    fn wait<'a>(&'a self, req: Request, next: &'a Arc<Node>) -> BoxFuture<'a, Response> {
        DynMiddleware::call(&self.0 .0, req, next)
    }

    fn run<'a>(&'a self, req: Request, node: &'a Node) -> BoxFuture<'a, Response> {
        run(req, node)
    }
}

/// Runs the hooks that start at `node` ([`Node::hook_run`] of them) in one
/// future, with the same steps as their [`Hooked`] layers one inside the
/// other: each `before` in turn (a hook that answers the request, asks to
/// wait or panics ends the run there, as its layer would), then the rest
/// of the stack, then each `after` on the way back, the response settled
/// before each. When the rest of the stack is an endpoint that takes the
/// `after`s into its own future ([`Node::call_after_hooks`]), the run is
/// that future: one allocation for both.
pub(crate) fn run(mut req: Request, node: &Node) -> BoxFuture<'_, Response> {
    let mut afters = Afters::new(node.shared());
    let mut at = node;
    // The hook whose `before` is running: the one that panicked, if any.
    let mut current = None;
    // One guard for every `before`.
    let stop = std::panic::catch_unwind(AssertUnwindSafe(|| {
        for _ in 0..node.hook_run() {
            let Some((hook, next)) = at.hook_link() else {
                break;
            };
            current = Some(hook);
            match hook.before(&mut req) {
                Before::Pass(None) => {}
                Before::Pass(Some(slot)) => afters.push(hook, slot, req.locals_if_any().cloned()),
                Before::Answer(response) => return Stop::Answer(response),
                Before::Wait => return Stop::Wait(hook, next),
            }
            at = next;
        }
        Stop::Rest(at)
    }));
    let inner = match stop {
        Ok(Stop::Rest(rest)) if afters.is_empty() => return rest.call(req),
        Ok(Stop::Rest(rest)) => rest.call_after_hooks(req, &mut afters),
        Ok(Stop::Answer(response)) => Box::pin(std::future::ready(response)),
        Ok(Stop::Wait(hook, next)) => hook.wait(req, next),
        Err(payload) => {
            let response = panic_response(&*payload, "middleware", &name_of(current));
            Box::pin(std::future::ready(response))
        }
    };
    if afters.is_empty() {
        // Taken by the endpoint; or, with no `after` to come, settled by
        // the caller, as for hooks that only look at requests.
        return inner;
    }
    Box::pin(around(afters.take(), inner))
}

/// Where the `before`s of a run stopped.
enum Stop<'a> {
    /// Past the last hook: the rest of the stack is next, from this node.
    Rest(&'a Node),
    /// A hook answered.
    Answer(Response),
    /// A hook asked to wait: its own future runs, around `next`.
    Wait(&'a dyn HookSteps, &'a Arc<Node>),
}

/// The name a panic in `hook` is reported under.
fn name_of(hook: Option<&dyn HookSteps>) -> std::borrow::Cow<'static, str> {
    hook.map_or(std::borrow::Cow::Borrowed("middleware"), |hook| hook.name())
}

/// The future of a run of hooks once their `before`s passed the request
/// on: `rest`, the rest of the stack, then the `after`s (see [`run`]). An
/// endpoint that takes the `after`s builds it around its own future.
pub(crate) fn around<'a, F>(afters: Afters<'a>, rest: F) -> Run<'a, F>
where
    F: Future<Output = Response>,
{
    Run {
        rest,
        rest_done: false,
        // Boxes nothing (a zero-sized future), until replaced.
        step: Box::pin(std::future::pending()),
        afters,
        settled: false,
        after_of: None,
    }
}

pin_project_lite::pin_project! {
    /// The future of a run of hooks (see [`around`]).
    pub(crate) struct Run<'a, F> {
        // The rest of the stack.
        #[pin]
        rest: F,
        // Whether `rest` has answered (or panicked).
        rest_done: bool,
        // Once `rest` has answered: a settling step, or an `after`'s
        // future.
        step: BoxFuture<'a, Response>,
        afters: Afters<'a>,
        // Whether the response has been settled for the next `after`.
        settled: bool,
        // The hook whose `after` returned `step`, when one did.
        after_of: Option<&'a dyn HookSteps>,
    }
}

impl<F> Future for Run<'_, F>
where
    F: Future<Output = Response>,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let mut this = self.project();
        loop {
            let polled = if *this.rest_done {
                let step = &mut *this.step;
                std::panic::catch_unwind(AssertUnwindSafe(|| step.as_mut().poll(cx)))
            } else {
                let rest = this.rest.as_mut();
                std::panic::catch_unwind(AssertUnwindSafe(|| rest.poll(cx)))
            };
            let mut response = match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(response)) => response,
                Err(payload) => {
                    // As in the hook's own layer: the panic is its answer,
                    // and its `after` does not run.
                    let owner = match *this.after_of {
                        Some(hook) => Some(hook),
                        None => this.afters.pop().map(|(hook, _)| hook),
                    };
                    *this.settled = false;
                    panic_response(&*payload, "middleware", &name_of(owner))
                }
            };
            *this.rest_done = true;
            *this.after_of = None;
            loop {
                let mut current = None;
                let done = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    this.afters.run(
                        this.step,
                        this.settled,
                        this.after_of,
                        &mut response,
                        &mut current,
                    )
                }));
                match done {
                    Ok(true) => return Poll::Ready(response),
                    Ok(false) => break,
                    Err(payload) => {
                        response = panic_response(&*payload, "middleware", &name_of(current));
                    }
                }
            }
        }
    }
}
