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

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
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
/// watch is polling. A report already made in this poll stands, unless it
/// is a mount's, which this one (the mounted app's) completes (see
/// [`Scope`]).
#[inline]
pub(crate) fn report(route: &Arc<RouteMatch>) {
    // `try_with` fails only while the thread is being torn down.
    let _ = SLOT.try_with(|slot| {
        if slot.depth.get() > 0 {
            let kept = match slot.route.take() {
                None => route.clone(),
                Some(first) if first.mount => under_mount(&first, route),
                Some(first) => first,
            };
            slot.route.set(Some(kept));
        }
    });
}

/// Past this many, a thread's mounted routes are made anew (an app built
/// over and over, in tests, is the only way there).
const MOUNTED_ROUTES: usize = 1024;

/// A mounted route as the mounting app names it, made from the mount's
/// template and the route's, which it keeps so that their addresses (its
/// key) stay theirs.
struct Mounted {
    _mount: Arc<str>,
    _route: Arc<str>,
    made: Arc<RouteMatch>,
}

thread_local! {
    /// Each mount's routes as the mounting app names them, by the
    /// addresses of the mount's and the route's template. Each match is
    /// made once, so that every request to the route gets the same one
    /// (`Metrics` keys its series by its address).
    static MOUNTED: RefCell<HashMap<(usize, usize), Mounted>> = RefCell::new(HashMap::new());
}

/// `route`, matched by a mounted app, as the app that mounted it at
/// `mount` names it: the mount's path, then the route's own template, as
/// Starlette's root path and route make `http.route`.
#[inline(never)]
fn under_mount(mount: &Arc<RouteMatch>, route: &Arc<RouteMatch>) -> Arc<RouteMatch> {
    let key = (
        mount.template.as_ptr() as usize,
        route.template.as_ptr() as usize,
    );
    let make = || {
        let prefix = mount.template.strip_suffix('/').unwrap_or(&mount.template);
        let mut made = RouteMatch::new(prefix, route.template(), Vec::new());
        made.declared_from = mount.declared_from;
        made.mount = route.mount;
        Arc::new(made)
    };
    MOUNTED
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            if let Some(mounted) = cache.get(&key) {
                return Some(mounted.made.clone());
            }
            if cache.len() >= MOUNTED_ROUTES {
                cache.clear();
            }
            let made = make();
            let mounted = Mounted {
                _mount: mount.template.clone(),
                _route: route.template.clone(),
                made: made.clone(),
            };
            cache.insert(key, mounted);
            Some(made)
        })
        .ok()
        .flatten()
        .unwrap_or_else(make)
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
/// router of its own app. A mounted app's router reports after the mount's,
/// and completes it: an app-level watch names a route of a mounted app by
/// the mount's path and the route's template (`/api` and `/items/{id}` make
/// `/api/items/{id}`), and a request that no route of the mounted app
/// matched by the mount's path alone. A watch inside the mounted app sees
/// its router's report only.
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
            if let Some(reported) = &reported {
                match &*self.caught {
                    None => *self.caught = Some(reported.clone()),
                    Some(mount) if mount.mount => *self.caught = Some(under_mount(mount, reported)),
                    Some(_) => {}
                }
            }
            // A watch around this one keeps the report it had (completed,
            // if a mount's), or sees this one.
            let outer = match (self.outer.take(), reported) {
                (Some(outer), Some(reported)) if outer.mount => {
                    Some(under_mount(&outer, &reported))
                }
                (Some(outer), _) => Some(outer),
                (None, reported) if depth > 0 => reported,
                (None, _) => None,
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
        Arc::new(RouteMatch::new("", template, Vec::new()))
    }

    fn mount(template: &str) -> Arc<RouteMatch> {
        let mut route = RouteMatch::new("", template, Vec::new());
        route.mount = true;
        Arc::new(route)
    }

    #[test]
    fn a_mounted_apps_report_completes_the_mounts_once_per_route() {
        let api = mount("/api");
        let (one, two) = (route("/items/{id}"), route("/users"));
        let seen = |later: &Arc<RouteMatch>| {
            let mut seen = None;
            run(Watched::new(
                async {
                    report(&api);
                    report(later);
                    // A third report in the same poll does not change it.
                    report(&route("/other"));
                },
                &mut seen,
                None,
            ));
            seen.expect("a route")
        };
        let first = seen(&one);
        assert_eq!(first.http_route().as_ref(), "/api/items/{id}");
        assert!(!first.mount);
        // The same match for every request to the route (Metrics keys its
        // series by it), another for another route.
        assert!(Arc::ptr_eq(&first, &seen(&one)));
        assert_eq!(seen(&two).http_route().as_ref(), "/api/users");
        // A mount at `/` adds no slash; a mount in a mount stays open.
        let completed = under_mount(&mount("/"), &one);
        assert_eq!(completed.http_route().as_ref(), "/items/{id}");
        let nested = under_mount(&api, &mount("/v2"));
        assert!(nested.mount);
        assert_eq!(
            under_mount(&nested, &one).http_route().as_ref(),
            "/api/v2/items/{id}"
        );
        // A watch inside the mounted app sees its own route; the one
        // around it, the mount's completed.
        let mut outer_seen = None;
        let inner_seen = run(Watched::new(
            async {
                report(&api);
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
        assert_eq!(
            inner_seen.expect("a route").http_route().as_ref(),
            "/items/{id}"
        );
        assert_eq!(
            outer_seen.expect("a route").http_route().as_ref(),
            "/api/items/{id}"
        );
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
        // One whose router reported first keeps that.
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
