//! What happens after the handler: background tasks and dependencies with
//! cleanup (FastAPI's `BackgroundTasks` and dependencies with `yield`).
//!
//! The order is FastAPI's (0.118 and later):
//!
//! 1. dependencies are entered as the handler's arguments are extracted;
//! 2. the handler runs; function-scope dependencies ([`Scope::Function`])
//!    are cleaned up as soon as it returns;
//! 3. the response passes out through every middleware and is sent;
//! 4. background tasks run, one after the other, in the order they were
//!    added;
//! 5. request-scope dependencies (the default) are cleaned up, in reverse
//!    order of entry, so a background task can still use them.
//!
//! When the handler fails (returns an error, panics, or an extractor
//! rejects the request), cleanups run at once with the error in their
//! [`Outcome`], before the error response leaves the route, and the
//! background tasks are dropped, as FastAPI does.
//!
//! A background task or cleanup that fails or panics is logged and harms
//! nothing else: the next one still runs. The in-process
//! [`TestClient`](crate::testing::TestClient) waits for all of this before
//! it returns the response, and the server waits for it on shutdown.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use http::request::Parts;
use http::StatusCode;
use http_body::{Frame, SizeHint};
use tokio_util::task::TaskTracker;

use crate::body::Body;
use crate::error::{BoxError, Error, Panic};
use crate::extract::{FromRequestParts, RequestContext};
use crate::response::{Response, ResponseExt};

type Cleanup = Box<dyn FnOnce(Arc<Outcome>) -> BoxFuture<'static, ()> + Send>;

struct Entered {
    type_id: TypeId,
    value: Arc<dyn Any + Send + Sync>,
    scope: Scope,
    name: &'static str,
    cleanup: Option<Cleanup>,
}

#[derive(Default)]
struct State {
    tasks: Vec<BoxFuture<'static, ()>>,
    entered: Vec<Entered>,
    /// How many request-scope dependencies are being entered right now, to
    /// refuse one that asks for a function-scope dependency.
    entering_request_scope: usize,
    /// The background tasks and cleanups have been started.
    scheduled: bool,
}

/// The background tasks and entered dependencies of one request.
pub(crate) struct Lifecycle {
    state: Mutex<State>,
    tracker: TaskTracker,
}

impl Lifecycle {
    pub(crate) fn new(tracker: TaskTracker) -> Self {
        Lifecycle {
            state: Mutex::new(State::default()),
            tracker,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never happens while the lock is held (only pushes and
        // takes), so a poisoned lock still holds consistent data.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add_task(&self, task: BoxFuture<'static, ()>) {
        let mut state = self.lock();
        if state.scheduled {
            drop(state);
            // Added after the request finished (e.g. from another task):
            // run it on its own rather than lose it.
            spawn_on(&self.tracker, run_task(task));
        } else {
            state.tasks.push(task);
        }
    }

    /// Runs the function-scope cleanups, newest first.
    pub(crate) async fn exit_function_scope(&self, outcome: &Arc<Outcome>) {
        let cleanups = self.take_cleanups(Some(Scope::Function));
        run_cleanups(cleanups, outcome).await;
    }

    /// Runs every remaining cleanup now and drops the background tasks: the
    /// error path.
    pub(crate) async fn abort(&self, outcome: &Arc<Outcome>) {
        let cleanups = {
            let mut state = self.lock();
            state.scheduled = true;
            let dropped = std::mem::take(&mut state.tasks).len();
            if dropped > 0 {
                tracing::debug!(target: "sluice", dropped, "handler failed: background tasks dropped");
            }
            take_cleanups(&mut state, None)
        };
        run_cleanups(cleanups, outcome).await;
    }

    fn has_pending_work(&self) -> bool {
        let state = self.lock();
        !state.tasks.is_empty() || state.entered.iter().any(|e| e.cleanup.is_some())
    }

    fn take_cleanups(&self, scope: Option<Scope>) -> Vec<(&'static str, Cleanup)> {
        take_cleanups(&mut self.lock(), scope)
    }

    /// Starts the background tasks and then the request-scope cleanups, once.
    fn schedule(self: Arc<Self>, outcome: Arc<Outcome>) {
        {
            let mut state = self.lock();
            if state.scheduled {
                return;
            }
            state.scheduled = true;
        }
        let this = self.clone();
        spawn_on(&self.tracker, async move {
            loop {
                let tasks = std::mem::take(&mut this.lock().tasks);
                if tasks.is_empty() {
                    break;
                }
                for task in tasks {
                    run_task(task).await;
                }
            }
            let cleanups = this.take_cleanups(None);
            run_cleanups(cleanups, &outcome).await;
        });
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

async fn run_task(task: BoxFuture<'static, ()>) {
    if let Err(payload) = AssertUnwindSafe(task).catch_unwind().await {
        let panic = Panic::from_payload(&*payload);
        tracing::error!(target: "sluice", panic = %panic.message(), "background task panicked");
    }
}

async fn run_cleanups(cleanups: Vec<(&'static str, Cleanup)>, outcome: &Arc<Outcome>) {
    for (name, cleanup) in cleanups {
        let run = cleanup(outcome.clone());
        if let Err(payload) = AssertUnwindSafe(run).catch_unwind().await {
            let panic = Panic::from_payload(&*payload);
            tracing::error!(target: "sluice", dependency = name, panic = %panic.message(), "dependency cleanup panicked");
        }
    }
}

fn spawn_on<F: Future<Output = ()> + Send + 'static>(tracker: &TaskTracker, fut: F) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            tracker.spawn_on(fut, &handle);
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
    let tracker = lifecycle.tracker.clone();
    spawn_on(&tracker, async move { lifecycle.abort(&outcome).await });
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

/// Runs what is due once the handler has produced `response`: function-scope
/// cleanups now; on failure, every cleanup now; otherwise background tasks
/// and request-scope cleanups once the response has been sent.
pub(crate) async fn finish(lifecycle: Arc<Lifecycle>, response: Response) -> Response {
    let outcome = Arc::new(Outcome {
        status: response.status(),
        error: response.error().cloned(),
    });
    lifecycle.exit_function_scope(&outcome).await;
    if outcome.error.is_some() {
        lifecycle.abort(&outcome).await;
        return response;
    }
    if !lifecycle.has_pending_work() {
        return response;
    }
    response.map(|body| {
        Body::new(AfterSend {
            body,
            pending: Some((lifecycle, outcome)),
        })
    })
}

/// A response body that starts the request's background work when it has
/// been sent completely, or when it is dropped (the client went away, or a
/// middleware replaced the response).
struct AfterSend {
    body: Body,
    pending: Option<(Arc<Lifecycle>, Arc<Outcome>)>,
}

impl AfterSend {
    fn fire(&mut self) {
        if let Some((lifecycle, outcome)) = self.pending.take() {
            lifecycle.schedule(outcome);
        }
    }
}

impl Drop for AfterSend {
    fn drop(&mut self) {
        self.fire();
    }
}

impl http_body::Body for AfterSend {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            this.fire();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

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

/// A dependency with setup and cleanup: FastAPI's dependency with `yield`.
///
/// Ask for one in a handler with [`Dep<T>`]. It is entered once per request
/// (later requests for it in the same request share the value) and cleaned
/// up according to its [`Scope`].
///
/// ```
/// use sluice::{App, Dep, Dependency, Outcome, RequestContext, Json};
/// use sluice::http::request::Parts;
/// use serde_json::{json, Value};
///
/// struct Session { id: u32 }
///
/// impl Dependency for Session {
///     async fn enter(_parts: &mut Parts, _cx: &RequestContext) -> sluice::Result<Self> {
///         Ok(Session { id: 7 }) // open it
///     }
///
///     async fn exit(&self, outcome: &Outcome) {
///         // commit or roll back, then close
///         let _ = outcome.is_ok();
///     }
/// }
///
/// async fn handler(session: Dep<Session>) -> Json<Value> {
///     Json(json!({ "session": session.id }))
/// }
///
/// let app = App::new().get("/", handler);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dependency",
    label = "`Dep<T>` needs `T: Dependency`",
    note = "implement `sluice::Dependency` for it: `enter` opens it, `exit` cleans it up"
)]
pub trait Dependency: Send + Sync + Sized + 'static {
    /// When [`Dependency::exit`] runs. Request scope by default.
    const SCOPE: Scope = Scope::Request;

    /// Sets the dependency up for this request. It may ask for other
    /// dependencies with [`Dep::resolve`]. An error rejects the request
    /// (an [`HttpError`](crate::HttpError) gives its own response).
    fn enter(
        parts: &mut Parts,
        cx: &RequestContext,
    ) -> impl Future<Output = crate::Result<Self>> + Send;

    /// Cleans the dependency up. The outcome tells whether the handler
    /// failed, and with which error. Does nothing by default.
    fn exit(&self, outcome: &Outcome) -> impl Future<Output = ()> + Send {
        let _ = outcome;
        async {}
    }
}

/// A [`Dependency`] for a handler: the extractor that enters it (once per
/// request) and arranges its cleanup. Derefs to the value; clone it to take
/// it into a background task.
pub struct Dep<T>(Arc<T>);

impl<T> Clone for Dep<T> {
    fn clone(&self) -> Self {
        Dep(self.0.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for Dep<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Dep").field(&self.0).finish()
    }
}

impl<T> std::ops::Deref for Dep<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Dep<T> {
    /// The shared value.
    pub fn as_arc(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T: Dependency> Dep<T> {
    /// Enters the dependency for this request, or returns the value already
    /// entered. Use it inside [`Dependency::enter`] to depend on another
    /// dependency.
    ///
    /// # Errors
    ///
    /// The dependency's own error, or a 500 when a request-scope
    /// dependency asks for a function-scope one (it would be cleaned up
    /// first).
    pub async fn resolve(parts: &mut Parts, cx: &RequestContext) -> crate::Result<Self> {
        let lifecycle = cx.lifecycle().clone();
        let type_id = TypeId::of::<T>();
        {
            let state = lifecycle.lock();
            if let Some(entry) = state.entered.iter().find(|e| e.type_id == type_id) {
                if let Ok(value) = entry.value.clone().downcast::<T>() {
                    return Ok(Dep(value));
                }
            }
            if T::SCOPE == Scope::Function && state.entering_request_scope > 0 {
                return Err(Error::msg(format!(
                    "a request-scope dependency cannot depend on the function-scope dependency {}",
                    std::any::type_name::<T>()
                )));
            }
        }
        let request_scope = T::SCOPE == Scope::Request;
        if request_scope {
            lifecycle.lock().entering_request_scope += 1;
        }
        let entered = T::enter(parts, cx).await;
        if request_scope {
            lifecycle.lock().entering_request_scope -= 1;
        }
        let value = Arc::new(entered?);
        let for_cleanup = value.clone();
        let cleanup: Cleanup = Box::new(move |outcome: Arc<Outcome>| {
            Box::pin(async move { for_cleanup.exit(&outcome).await })
        });
        lifecycle.lock().entered.push(Entered {
            type_id,
            value: value.clone(),
            scope: T::SCOPE,
            name: std::any::type_name::<T>(),
            cleanup: Some(cleanup),
        });
        Ok(Dep(value))
    }
}

impl<T: Dependency> FromRequestParts for Dep<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, cx: &RequestContext) -> Result<Self, Error> {
        Dep::resolve(parts, cx).await
    }
}

/// Tasks to run after the response has been sent: FastAPI's
/// `BackgroundTasks`.
///
/// They run one after the other, in the order added, before request-scope
/// dependencies are cleaned up. A task that panics or returns an `Err` is
/// logged; the next one still runs.
///
/// ```
/// use sluice::{App, BackgroundTasks};
///
/// async fn signup(tasks: BackgroundTasks) -> &'static str {
///     tasks.add(async {
///         // send the welcome email
///     });
///     "ok"
/// }
///
/// let app = App::new().post("/signup", signup);
/// ```
#[derive(Clone)]
pub struct BackgroundTasks {
    lifecycle: Arc<Lifecycle>,
}

impl fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundTasks")
            .field("pending", &self.lifecycle.lock().tasks.len())
            .finish()
    }
}

impl BackgroundTasks {
    /// Adds a task. Its output may be `()` or a `Result` whose error is
    /// logged.
    pub fn add<F>(&self, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        self.lifecycle
            .add_task(Box::pin(async move { task.await.report() }));
    }

    /// Adds a blocking function, run on tokio's blocking thread pool.
    pub fn add_blocking<F, R>(&self, f: F)
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskOutput + Send + 'static,
    {
        self.add(async move {
            match tokio::task::spawn_blocking(f).await {
                Ok(output) => output.report(),
                Err(e) if e.is_panic() => {
                    let panic = Panic::from_payload(&*e.into_panic());
                    tracing::error!(target: "sluice", panic = %panic.message(), "background task panicked");
                }
                Err(e) => tracing::error!(target: "sluice", error = %e, "background task was cancelled"),
            }
        });
    }
}

impl FromRequestParts for BackgroundTasks {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        cx: &RequestContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(BackgroundTasks {
            lifecycle: cx.lifecycle().clone(),
        })
    }
}

/// What a background task may return: `()`, or a `Result` whose error is
/// logged.
pub trait TaskOutput {
    /// Logs a failure.
    fn report(self);
}

impl TaskOutput for () {
    fn report(self) {}
}

impl<E: fmt::Display> TaskOutput for Result<(), E> {
    fn report(self) {
        if let Err(e) = self {
            tracing::error!(target: "sluice", error = %e, "background task failed");
        }
    }
}
