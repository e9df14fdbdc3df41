//! The lifecycle engine: what happens after the handler, for one request.
//! The public faces are [`BackgroundTasks`](crate::BackgroundTasks) and
//! [`Dependency`](crate::Dependency); this module runs them.
//!
//! The order is FastAPI's (0.118 and later):
//!
//! 1. dependencies are entered as the handler's arguments are extracted;
//! 2. the handler runs; function-scope dependencies ([`Scope::Function`])
//!    are cleaned up as soon as it returns;
//! 3. the response passes out through every middleware and is sent;
//! 4. background tasks run, one after the other, in the order they were
//!    added (by the handler, then by middleware on the way out);
//! 5. request-scope dependencies (the default) are cleaned up, in reverse
//!    order of entry, so a background task can still use them.
//!
//! When the handler fails (returns an error, panics, or an extractor
//! rejects the request), cleanups run at once with the error in their
//! [`Outcome`], before the error response leaves the route, and the
//! background tasks added so far are dropped, as FastAPI does.
//!
//! How step 3 is noticed: a response with work pending carries a
//! [`PendingWork`] extension (its body is left as it is, so middleware still
//! sees a whole body as whole). The app's outermost layer moves it onto the
//! body ([`into_body`]), which starts the work once the body has been sent
//! or dropped. A middleware that replaces the response drops the extension
//! with the old one, which starts the work at once rather than losing it.
//!
//! A background task or cleanup that fails or panics is logged (and
//! reported to a test client) and harms nothing else: the next one still
//! runs.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use http::StatusCode;

use crate::body::{Ending, OnEnd};
use crate::error::{Error, Panic};
use crate::response::{Response, ResponseExt};
use crate::shared::Shared;

/// A background task: its failure, if any, is reported.
pub(crate) type Task = BoxFuture<'static, Result<(), Error>>;

/// A dependency's exit step.
pub(crate) type Cleanup = Box<dyn FnOnce(Arc<Outcome>) -> BoxFuture<'static, ()> + Send>;

/// One dependency entered for this request.
pub(crate) struct Entered {
    pub(crate) type_id: TypeId,
    pub(crate) value: Arc<dyn Any + Send + Sync>,
    pub(crate) scope: Scope,
    pub(crate) name: &'static str,
    pub(crate) cleanup: Option<Cleanup>,
}

#[derive(Default)]
struct State {
    tasks: Vec<Task>,
    entered: Vec<Entered>,
    /// How many request-scope dependencies are being entered right now, to
    /// refuse one that asks for a function-scope dependency.
    entering_request_scope: usize,
    /// The background tasks and cleanups have been started.
    scheduled: bool,
    /// How the handler went, once it has returned.
    outcome: Option<Arc<Outcome>>,
}

/// The background tasks and entered dependencies of one request.
pub(crate) struct Lifecycle {
    state: Mutex<State>,
    shared: Arc<Shared>,
}

impl Lifecycle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Lifecycle {
            state: Mutex::new(State::default()),
            shared,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never happens while the lock is held (only pushes and
        // takes), so a poisoned lock still holds consistent data.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a background task; one added after the work has started (e.g.
    /// from another task) runs on its own rather than being lost.
    pub(crate) fn add_task(self: &Arc<Self>, task: Task) {
        let mut state = self.lock();
        if state.scheduled {
            drop(state);
            let this = self.clone();
            spawn_on(&self.shared, async move { this.run_task(task).await });
        } else {
            state.tasks.push(task);
        }
    }

    /// How many background tasks are waiting.
    pub(crate) fn pending_tasks(&self) -> usize {
        self.lock().tasks.len()
    }

    /// The value of an entered dependency of type `type_id`.
    pub(crate) fn entered(&self, type_id: TypeId) -> Option<Arc<dyn Any + Send + Sync>> {
        self.lock()
            .entered
            .iter()
            .find(|e| e.type_id == type_id)
            .map(|e| e.value.clone())
    }

    /// Whether a request-scope dependency is being entered right now.
    pub(crate) fn entering_request_scope(&self) -> bool {
        self.lock().entering_request_scope > 0
    }

    /// Counts a request-scope dependency in (`true`) or out of entering.
    pub(crate) fn set_entering_request_scope(&self, entering: bool) {
        let mut state = self.lock();
        if entering {
            state.entering_request_scope += 1;
        } else {
            state.entering_request_scope = state.entering_request_scope.saturating_sub(1);
        }
    }

    /// Records an entered dependency.
    pub(crate) fn push_entered(&self, entered: Entered) {
        self.lock().entered.push(entered);
    }

    /// Runs the function-scope cleanups, newest first.
    async fn exit_function_scope(&self, outcome: &Arc<Outcome>) {
        let cleanups = take_cleanups(&mut self.lock(), Some(Scope::Function));
        self.run_cleanups(cleanups, outcome).await;
    }

    /// Runs every remaining cleanup now and drops the background tasks: the
    /// error path.
    async fn abort(&self, outcome: &Arc<Outcome>) {
        let cleanups = {
            let mut state = self.lock();
            state.scheduled = true;
            let dropped = std::mem::take(&mut state.tasks).len();
            if dropped > 0 {
                tracing::debug!(target: "sluice", dropped, "handler failed: background tasks dropped");
            }
            take_cleanups(&mut state, None)
        };
        self.run_cleanups(cleanups, outcome).await;
    }

    fn has_pending_work(&self) -> bool {
        let state = self.lock();
        !state.tasks.is_empty() || state.entered.iter().any(|e| e.cleanup.is_some())
    }

    /// Marks `response` as having work to start once it is sent, unless it
    /// already is.
    pub(crate) fn mark_pending(self: &Arc<Self>, response: &mut Response) {
        if response.extensions().get::<PendingWork>().is_some() {
            return;
        }
        {
            let mut state = self.lock();
            if state.scheduled {
                return;
            }
            if state.outcome.is_none() {
                state.outcome = Some(Arc::new(Outcome {
                    status: response.status(),
                    error: response.error().cloned(),
                }));
            }
        }
        response.extensions_mut().insert(PendingWork {
            _trigger: Arc::new(Trigger(self.clone())),
        });
    }

    /// Starts the background tasks and then the request-scope cleanups, once.
    fn schedule(self: Arc<Self>) {
        let outcome = {
            let mut state = self.lock();
            if state.scheduled {
                return;
            }
            state.scheduled = true;
            state.outcome.clone().unwrap_or_else(|| {
                Arc::new(Outcome {
                    status: StatusCode::OK,
                    error: None,
                })
            })
        };
        let this = self.clone();
        spawn_on(&self.shared, async move {
            loop {
                let tasks = std::mem::take(&mut this.lock().tasks);
                if tasks.is_empty() {
                    break;
                }
                for task in tasks {
                    this.run_task(task).await;
                }
            }
            let cleanups = take_cleanups(&mut this.lock(), None);
            this.run_cleanups(cleanups, &outcome).await;
        });
    }

    async fn run_task(&self, task: Task) {
        let failure = match AssertUnwindSafe(task).catch_unwind().await {
            Ok(Ok(())) => return,
            Ok(Err(error)) => {
                tracing::error!(target: "sluice", error = %error, "background task failed");
                error
            }
            Err(payload) => {
                let panic = Panic::from_payload(&*payload);
                tracing::error!(target: "sluice", panic = %panic.message(), "background task panicked");
                Error::new(panic)
            }
        };
        self.shared.report(&failure);
    }

    async fn run_cleanups(&self, cleanups: Vec<(&'static str, Cleanup)>, outcome: &Arc<Outcome>) {
        for (name, cleanup) in cleanups {
            let run = cleanup(outcome.clone());
            if let Err(payload) = AssertUnwindSafe(run).catch_unwind().await {
                let panic = Panic::from_payload(&*payload);
                tracing::error!(target: "sluice", dependency = name, panic = %panic.message(), "dependency cleanup panicked");
                self.shared.report(&Error::new(panic));
            }
        }
    }
}

fn take_cleanups(state: &mut State, scope: Option<Scope>) -> Vec<(&'static str, Cleanup)> {
    let mut out = Vec::new();
    for entry in state.entered.iter_mut().rev() {
        if scope.is_none_or(|s| s == entry.scope) {
            if let Some(cleanup) = entry.cleanup.take() {
                out.push((entry.name, cleanup));
            }
        }
    }
    out
}

fn spawn_on<F: Future<Output = ()> + Send + 'static>(shared: &Shared, fut: F) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            shared.tracker().spawn_on(fut, &handle);
        }
        Err(_) => tracing::error!(
            target: "sluice",
            "a response was dropped outside a tokio runtime; its background tasks and cleanups were not run"
        ),
    }
}

/// Cleans up after a request whose handler never finished: its future was
/// dropped (a [`Timeout`](crate::middleware::Timeout), or the client went
/// away). Every entered dependency is cleaned up, in the background, with a
/// [`Cancelled`] error in its outcome; background tasks are dropped.
pub(crate) fn cancel(lifecycle: Arc<Lifecycle>) {
    let outcome = Arc::new(Outcome {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        error: Some(Error::new(Cancelled)),
    });
    let shared = lifecycle.shared.clone();
    spawn_on(&shared, async move { lifecycle.abort(&outcome).await });
}

/// Runs what is due once the handler has produced `response`: function-scope
/// cleanups now; on failure, every cleanup now; otherwise marks the
/// response so that background tasks and request-scope cleanups start once
/// it has been sent.
pub(crate) async fn finish(lifecycle: Arc<Lifecycle>, mut response: Response) -> Response {
    let outcome = Arc::new(Outcome {
        status: response.status(),
        error: response.error().cloned(),
    });
    lifecycle.lock().outcome = Some(outcome.clone());
    lifecycle.exit_function_scope(&outcome).await;
    if outcome.error.is_some() {
        lifecycle.abort(&outcome).await;
        return response;
    }
    if lifecycle.has_pending_work() {
        lifecycle.mark_pending(&mut response);
    }
    response
}

/// The after-send work of a request whose handler outlives its response:
/// a WebSocket session. Held back until both the response has been sent
/// and the session has ended ([`release`]).
pub(crate) struct Held {
    _work: PendingWork,
}

/// Marks `response` as having work pending and holds that work back until
/// [`release`]. `None` when the work has already started.
pub(crate) fn hold(lifecycle: &Arc<Lifecycle>, response: &mut Response) -> Option<Held> {
    lifecycle.mark_pending(response);
    response
        .extensions()
        .get::<PendingWork>()
        .cloned()
        .map(|work| Held { _work: work })
}

/// Ends a session that held its request's work back: function-scope
/// cleanups run now; on failure every cleanup runs now and the background
/// tasks are dropped (as for a failed handler); otherwise the background
/// tasks and request-scope cleanups start, once the response has also been
/// sent. With nothing held (the response was never sent), they start now.
pub(crate) async fn release(
    lifecycle: Arc<Lifecycle>,
    held: Option<Held>,
    status: StatusCode,
    error: Option<Error>,
) {
    let outcome = Arc::new(Outcome { status, error });
    lifecycle.lock().outcome = Some(outcome.clone());
    lifecycle.exit_function_scope(&outcome).await;
    if outcome.error.is_some() {
        lifecycle.abort(&outcome).await;
    } else if held.is_none() {
        lifecycle.schedule();
    }
    drop(held);
}

/// Starts its lifecycle's work when the last copy is dropped.
struct Trigger(Arc<Lifecycle>);

impl Drop for Trigger {
    fn drop(&mut self) {
        self.0.clone().schedule();
    }
}

/// The response extension that says: background work starts once this
/// response has been sent. See the module docs.
#[derive(Clone)]
pub(crate) struct PendingWork {
    /// Held, never read: dropping the last clone starts the work.
    _trigger: Arc<Trigger>,
}

/// Moves a response's [`PendingWork`] onto its body, so that the work
/// starts once the body has been sent completely, or dropped (the client
/// went away). Called by the app's outermost layer.
pub(crate) fn into_body(response: &mut Response) {
    let Some(work) = response.extensions_mut().remove::<PendingWork>() else {
        return;
    };
    let body = std::mem::take(response.body_mut());
    *response.body_mut() = Ending::wrap(body, work);
}

/// Dropping the trigger, once the body has been sent or dropped, starts
/// the work.
impl OnEnd for PendingWork {
    fn end(self, _complete: bool) {}
}

/// The request was cancelled before its handler finished: a middleware
/// such as [`Timeout`](crate::middleware::Timeout) gave up on it, or the
/// client hung up. Dependency cleanups see it in their [`Outcome`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request was cancelled before the handler finished")
    }
}

impl std::error::Error for Cancelled {}

/// How the request went, as a cleanup sees it.
#[derive(Debug, Clone)]
pub struct Outcome {
    status: StatusCode,
    error: Option<Error>,
}

impl Outcome {
    /// The status of the handler's response (before middleware changed it).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error, when the handler failed: what it returned as `Err`, a
    /// [`Panic`], or an extractor's rejection.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Whether the handler succeeded.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// When a dependency is cleaned up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Scope {
    /// After the response is sent and the background tasks have run
    /// (FastAPI's default for dependencies with `yield`).
    #[default]
    Request,
    /// As soon as the handler returns, before the response is sent
    /// (FastAPI's `Depends(..., scope="function")`).
    Function,
}
