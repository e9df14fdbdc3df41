//! The route a request matched, told to a middleware that runs before
//! routing without allocating anything for the request.
//!
//! [`Locals`](crate::Locals) carry the route to any middleware, but making
//! them costs an allocation and two locks per request. Built-in middleware
//! that only needs the route ([`Metrics`](crate::middleware::Metrics), the
//! sampled path of [`Tracing`](crate::middleware::Tracing)) watches for it
//! instead: while a [`Watched`] future polls the rest of the stack, the
//! router's report of its match lands in a slot of the polling thread, and
//! is kept when the poll returns. That is the same scoping tokio's
//! task-locals use, so it sees what runs inside those polls: the native
//! middleware, mounts and handlers of this app, on this task. A tower layer
//! may run the rest of the stack on another task; a middleware with one
//! below it (`Next::reports_route_inline`) takes the locals instead.

// Only the observability middleware watches.
#![cfg_attr(not(any(feature = "metrics", feature = "otel")), allow(dead_code))]

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::request::{Locals, RouteMatch};

/// The polling thread's slot: how many watches are polling, and the route
/// reported since the innermost one began its poll.
struct Slot {
    depth: Cell<u32>,
    route: Cell<Option<Arc<RouteMatch>>>,
}

thread_local! {
    static SLOT: Slot = const {
        Slot {
            depth: Cell::new(0),
            route: Cell::new(None),
        }
    };
}

/// The router's report: `route` matched. Costs a thread-local read when no
/// watch is polling. A report already made in this poll stands (see
/// [`Scope`] for why the first one counts).
#[inline]
pub(crate) fn report(route: &Arc<RouteMatch>) {
    // `try_with` fails only while the thread is being torn down.
    let _ = SLOT.try_with(|slot| {
        if slot.depth.get() > 0 {
            let first = slot.route.take();
            slot.route.set(first.or_else(|| Some(route.clone())));
        }
    });
}

pin_project_lite::pin_project! {
    /// `future` (the rest of the stack), writing into `route` the first
    /// route reported while it runs (if `route` holds none yet: a route
    /// known before stands). With `locals`, taken because the report may
    /// come from another task, their route is the answer instead.
    pub(crate) struct Watched<'a, F> {
        #[pin]
        future: F,
        route: &'a mut Option<Arc<RouteMatch>>,
        locals: Option<Locals>,
    }
}

impl<'a, F: Future> Watched<'a, F> {
    /// Watches `future`, keeping the route in `route`.
    pub(crate) fn new(
        future: F,
        route: &'a mut Option<Arc<RouteMatch>>,
        locals: Option<Locals>,
    ) -> Self {
        Watched {
            future,
            route,
            locals,
        }
    }
}

impl<F: Future> Future for Watched<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        let polled = watching(this.route, || future.poll(cx));
        if polled.is_ready() {
            if let Some(route) = this.locals.as_ref().and_then(Locals::route) {
                **this.route = Some(route);
            }
        }
        polled
    }
}

/// Runs `poll` (one poll of the rest of the stack) under watch, writing
/// into `route` the first route reported (if it holds none yet).
pub(crate) fn watching<R>(route: &mut Option<Arc<RouteMatch>>, poll: impl FnOnce() -> R) -> R {
    let _scope = Scope::enter(route);
    poll()
}

/// One poll under watch. Leaving it (also by a panic) restores the slot of
/// any watch around this one, and hands that watch the route too.
///
/// The first report a watch sees is the one it keeps: the match of the
/// router of its own app. A mounted app's router reports after the mount's
/// (its template has no prefix), so an app-level watch labels requests to a
/// mounted app by the mount's path, as the router matched them; a watch
/// inside the mounted app sees its router's report only.
struct Scope<'a> {
    caught: &'a mut Option<Arc<RouteMatch>>,
    outer: Option<Arc<RouteMatch>>,
    entered: bool,
}

impl<'a> Scope<'a> {
    fn enter(caught: &'a mut Option<Arc<RouteMatch>>) -> Self {
        let outer = SLOT
            .try_with(|slot| {
                slot.depth.set(slot.depth.get() + 1);
                slot.route.take()
            })
            .ok();
        Scope {
            caught,
            entered: outer.is_some(),
            outer: outer.flatten(),
        }
    }
}

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        if !self.entered {
            return;
        }
        let _ = SLOT.try_with(|slot| {
            let reported = slot.route.take();
            let depth = slot.depth.get() - 1;
            slot.depth.set(depth);
            if self.caught.is_none() {
                self.caught.clone_from(&reported);
            }
            // A watch around this one keeps the report it had, or sees
            // this one.
            let outer = match self.outer.take() {
                Some(outer) => Some(outer),
                None if depth > 0 => reported,
                None => None,
            };
            slot.route.set(outer);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    fn route(template: &str) -> Arc<RouteMatch> {
        Arc::new(RouteMatch {
            template: Arc::from(template),
            params: Vec::new(),
        })
    }

    fn run<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn a_report_outside_any_watch_is_dropped() {
        report(&route("/nobody"));
        let mut seen = None;
        run(Watched::new(async {}, &mut seen, None));
        assert!(seen.is_none());
    }

    #[test]
    fn the_first_report_of_any_poll_is_kept() {
        let mut polls = 0;
        let inner = poll_fn(|cx| {
            polls += 1;
            match polls {
                1 => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                2 => {
                    report(&route("/mount"));
                    report(&route("/mount/items/{id}"));
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                3 => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                _ => {
                    report(&route("/later"));
                    Poll::Ready(7)
                }
            }
        });
        let mut seen = None;
        let out = run(Watched::new(inner, &mut seen, None));
        assert_eq!(out, 7);
        assert_eq!(polls, 4);
        assert_eq!(seen.unwrap().template(), "/mount");
    }

    /// An outer watch around a future that reports `first` (if any), then
    /// runs an inner watch whose future reports `/items/{id}`: what each saw.
    fn nested(first: Option<&str>, known: Option<&str>) -> (String, String) {
        let first = first.map(route);
        let mut outer_seen = known.map(route);
        let inner_seen = run(Watched::new(
            async move {
                if let Some(first) = &first {
                    report(first);
                }
                let mut inner_seen = None;
                Watched::new(
                    async { report(&route("/items/{id}")) },
                    &mut inner_seen,
                    None,
                )
                .await;
                inner_seen
            },
            &mut outer_seen,
            None,
        ));
        (
            inner_seen.unwrap().template().to_owned(),
            outer_seen.unwrap().template().to_owned(),
        )
    }

    #[test]
    fn nested_watches_see_the_inner_report_unless_the_outer_one_had_its_own() {
        // An outer watch with no report of its own sees the inner one's.
        assert_eq!(
            nested(None, None),
            ("/items/{id}".into(), "/items/{id}".into())
        );
        // One whose router reported first (a mount) keeps that.
        assert_eq!(
            nested(Some("/api"), None),
            ("/items/{id}".into(), "/api".into())
        );
        // A route known at the start stands.
        assert_eq!(
            nested(None, Some("/known")),
            ("/items/{id}".into(), "/known".into())
        );
    }

    #[test]
    fn with_locals_their_route_is_the_answer() {
        let locals = Locals::with_head(None);
        locals.set_route(route("/from/locals"));
        let mut seen = None;
        run(Watched::new(
            async { report(&route("/reported")) },
            &mut seen,
            Some(locals),
        ));
        assert_eq!(seen.unwrap().template(), "/from/locals");
    }

    #[test]
    fn a_panic_inside_leaves_the_slot_as_it_was() {
        let caught = std::panic::catch_unwind(|| {
            let mut seen = None;
            run(Watched::new(
                async {
                    report(&route("/boom"));
                    panic!("inside");
                },
                &mut seen,
                None,
            ))
        });
        assert!(caught.is_err());
        SLOT.with(|slot| {
            assert_eq!(slot.depth.get(), 0);
            assert!(slot.route.take().is_none());
        });
        // Nothing watches now, so a report is not kept.
        report(&route("/after"));
        SLOT.with(|slot| assert!(slot.route.take().is_none()));
    }
}
