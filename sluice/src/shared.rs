//! What a built app shares with every request: its state, its exception
//! handlers, the tracker of background work, and (under the test client)
//! the failures it saw.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

use futures_util::future::BoxFuture;
use http::{Extensions, StatusCode};
use thread_local::ThreadLocal;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::{Error, HttpError, Panic};
use crate::head::RequestHead;
use crate::response::{IntoResponse, Response, Unhandled, Unresolved};
use crate::route_names::RouteNames;

/// An exception handler with its types erased.
pub(crate) trait ErasedExceptionHandler: Send + Sync + 'static {
    /// The response for `error`, or `None` when the error is not this
    /// handler's type.
    fn handle<'a>(
        &'a self,
        error: &'a Error,
        head: Option<&'a RequestHead>,
    ) -> Option<BoxFuture<'a, Response>>;

    /// Whether it reads the request, so that requests must carry a copy of
    /// their head.
    fn needs_head(&self) -> bool;
}

/// An error of type `E` caught by an async
/// [exception handler](crate::App::exception_handler): it derefs to `E`,
/// and can be moved into the handler's future.
pub struct Caught<E> {
    error: Error,
    _type: PhantomData<fn() -> E>,
}

impl<E: std::error::Error + 'static> std::ops::Deref for Caught<E> {
    type Target = E;

    fn deref(&self) -> &E {
        self.error
            .downcast_ref::<E>()
            .expect("a Caught<E> is only made for an error of type E")
    }
}

impl<E> Caught<E> {
    /// The error as the response carries it.
    pub fn error(&self) -> &Error {
        &self.error
    }
}

impl<E: std::error::Error + 'static> fmt::Display for Caught<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<E: std::error::Error + 'static> fmt::Debug for Caught<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Caught").field(&**self).finish()
    }
}

/// A function that turns errors of type `E` into a response: what
/// [`App::exception_handler`](crate::App::exception_handler) takes. It is
/// one of:
///
/// | shape | |
/// |---|---|
/// | `Fn(&E) -> impl IntoResponse` | synchronous |
/// | `Fn(&E, &RequestHead) -> impl IntoResponse` | synchronous, sees the request |
/// | `async fn(Caught<E>) -> impl IntoResponse` | asynchronous |
/// | `async fn(Caught<E>, RequestHead) -> impl IntoResponse` | asynchronous, sees the request |
///
/// `M` only tells the shapes apart; you never name it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an exception handler",
    label = "not an exception handler",
    note = "an exception handler is `|err: &E| -> impl IntoResponse`, `|err: &E, req: &RequestHead| -> impl IntoResponse`, `async fn(err: Caught<E>) -> impl IntoResponse` or `async fn(err: Caught<E>, req: RequestHead) -> impl IntoResponse`",
    note = "`E` is your error type and must implement `std::error::Error + Send + Sync + 'static`; take it as `&E` (or `Caught<E>` in an `async fn`), not by value",
    note = "it returns anything that implements `IntoResponse`: wrap a struct in `Json(...)`, or return `(StatusCode, Json<T>)`"
)]
pub trait ExceptionHandler<E, M>: Send + Sync + Sized + 'static {
    #[doc(hidden)]
    fn into_erased(self) -> ErasedHandler;
}

/// Marks the synchronous shapes.
#[doc(hidden)]
#[derive(Debug)]
pub enum SyncShape {}
/// Marks the asynchronous shapes.
#[doc(hidden)]
#[derive(Debug)]
pub enum AsyncShape {}

struct Erased<F, E, M> {
    f: F,
    _types: PhantomData<fn(E, M)>,
}

fn erase<F, E, M>(f: F) -> ErasedHandler
where
    Erased<F, E, M>: ErasedExceptionHandler,
{
    ErasedHandler(Box::new(Erased {
        f,
        _types: PhantomData,
    }))
}

/// An exception handler with its types erased.
#[doc(hidden)]
pub struct ErasedHandler(pub(crate) Box<dyn ErasedExceptionHandler>);

impl fmt::Debug for ErasedHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ErasedHandler")
    }
}

fn ready(response: Response) -> BoxFuture<'static, Response> {
    Box::pin(std::future::ready(response))
}

fn caught<E>(error: &Error) -> Caught<E> {
    Caught {
        error: error.clone(),
        _type: PhantomData,
    }
}

impl<E, F, R> ExceptionHandler<E, (SyncShape, R)> for F
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(&E) -> R + Send + Sync + 'static,
    R: IntoResponse + 'static,
{
    fn into_erased(self) -> ErasedHandler {
        erase::<F, E, (SyncShape, R)>(self)
    }
}

impl<E, F, R> ErasedExceptionHandler for Erased<F, E, (SyncShape, R)>
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(&E) -> R + Send + Sync + 'static,
    R: IntoResponse + 'static,
{
    fn handle<'a>(
        &'a self,
        error: &'a Error,
        _head: Option<&'a RequestHead>,
    ) -> Option<BoxFuture<'a, Response>> {
        let error = error.downcast_ref::<E>()?;
        Some(ready((self.f)(error).into_response()))
    }

    fn needs_head(&self) -> bool {
        false
    }
}

impl<E, F, R> ExceptionHandler<E, (SyncShape, RequestHead, R)> for F
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(&E, &RequestHead) -> R + Send + Sync + 'static,
    R: IntoResponse + 'static,
{
    fn into_erased(self) -> ErasedHandler {
        erase::<F, E, (SyncShape, RequestHead, R)>(self)
    }
}

impl<E, F, R> ErasedExceptionHandler for Erased<F, E, (SyncShape, RequestHead, R)>
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(&E, &RequestHead) -> R + Send + Sync + 'static,
    R: IntoResponse + 'static,
{
    fn handle<'a>(
        &'a self,
        error: &'a Error,
        head: Option<&'a RequestHead>,
    ) -> Option<BoxFuture<'a, Response>> {
        let error = error.downcast_ref::<E>()?;
        let head = head?;
        Some(ready((self.f)(error, head).into_response()))
    }

    fn needs_head(&self) -> bool {
        true
    }
}

impl<E, F, Fut, R> ExceptionHandler<E, (AsyncShape, Fut, R)> for F
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(Caught<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    fn into_erased(self) -> ErasedHandler {
        erase::<F, E, (AsyncShape, Fut, R)>(self)
    }
}

impl<E, F, Fut, R> ErasedExceptionHandler for Erased<F, E, (AsyncShape, Fut, R)>
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(Caught<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    fn handle<'a>(
        &'a self,
        error: &'a Error,
        _head: Option<&'a RequestHead>,
    ) -> Option<BoxFuture<'a, Response>> {
        if !error.is::<E>() {
            return None;
        }
        let future = (self.f)(caught(error));
        Some(Box::pin(async move { future.await.into_response() }))
    }

    fn needs_head(&self) -> bool {
        false
    }
}

impl<E, F, Fut, R> ExceptionHandler<E, (AsyncShape, RequestHead, Fut, R)> for F
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(Caught<E>, RequestHead) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    fn into_erased(self) -> ErasedHandler {
        erase::<F, E, (AsyncShape, RequestHead, Fut, R)>(self)
    }
}

impl<E, F, Fut, R> ErasedExceptionHandler for Erased<F, E, (AsyncShape, RequestHead, Fut, R)>
where
    E: std::error::Error + Send + Sync + 'static,
    F: Fn(Caught<E>, RequestHead) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    fn handle<'a>(
        &'a self,
        error: &'a Error,
        head: Option<&'a RequestHead>,
    ) -> Option<BoxFuture<'a, Response>> {
        if !error.is::<E>() {
            return None;
        }
        let future = (self.f)(caught(error), head?.clone());
        Some(Box::pin(async move { future.await.into_response() }))
    }

    fn needs_head(&self) -> bool {
        true
    }
}

/// A handle on the app's [`Shared`]: the `Arc` that requests clone.
pub(crate) type SharedHandle = Arc<Arc<Shared>>;

/// The app's [`Shared`] as the requests on each thread hold it: through a
/// handle of that thread's own, made on first use. Each request clones the
/// handle it is given; were that one `Arc` for all threads, every request
/// would write the same count, and its cache line would travel between the
/// cores serving requests.
pub(crate) struct SharedHandles {
    shared: Arc<Shared>,
    handles: ThreadLocal<SharedHandle>,
}

impl SharedHandles {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        SharedHandles {
            shared,
            handles: ThreadLocal::new(),
        }
    }

    /// The app's shared state.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// This thread's handle on it.
    pub(crate) fn handle(&self) -> &SharedHandle {
        self.handles.get_or(|| Arc::new(self.shared.clone()))
    }
}

/// What the built app shares with every request.
pub(crate) struct Shared {
    states: Extensions,
    exception_handlers: Vec<ErasedHandler>,
    tracker: TaskTracker,
    /// Held while the test client waits for the background work (see
    /// [`Shared::drain_background`]).
    #[cfg(feature = "testing")]
    draining: tokio::sync::Mutex<()>,
    /// Open WebSocket sessions.
    sockets: Sockets,
    /// Some exception handler reads the request: requests carry a copy of
    /// their head.
    needs_head: bool,
    /// Failures nothing handled (unhandled errors, panics, failed
    /// background tasks and cleanups), kept while a test client asks for
    /// them.
    failures: Mutex<Option<Vec<Error>>>,
    /// The app's named routes, set once its router is built.
    route_names: OnceLock<RouteNames>,
}

impl Shared {
    pub(crate) fn new(states: Extensions, exception_handlers: Vec<ErasedHandler>) -> Self {
        let needs_head = exception_handlers.iter().any(|h| h.0.needs_head());
        Shared {
            states,
            exception_handlers,
            tracker: TaskTracker::new(),
            #[cfg(feature = "testing")]
            draining: tokio::sync::Mutex::new(()),
            sockets: Sockets::default(),
            needs_head,
            failures: Mutex::new(None),
            route_names: OnceLock::new(),
        }
    }

    /// Sets the app's named routes, once, when its router is built.
    pub(crate) fn set_route_names(&self, names: RouteNames) {
        let _ = self.route_names.set(names);
    }

    /// The app's named routes (none before the router is built).
    pub(crate) fn route_names(&self) -> Option<&RouteNames> {
        self.route_names.get()
    }

    /// A value given to `App::state`.
    pub(crate) fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.states.get::<T>()
    }

    /// The tracker of background tasks and cleanups.
    pub(crate) fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// Waits until the background tasks and cleanups started so far have
    /// finished: what the test client does after each response. The
    /// tracker is closed for the wait and opened again after it, one
    /// waiter at a time: a request of the same app that opened it again
    /// while another was still waiting would leave that wait hanging.
    #[cfg(feature = "testing")]
    pub(crate) async fn drain_background(&self) {
        let _one_at_a_time = self.draining.lock().await;
        self.tracker.close();
        self.tracker.wait().await;
        self.tracker.reopen();
    }

    /// The app's open WebSocket sessions.
    pub(crate) fn sockets(&self) -> &Sockets {
        &self.sockets
    }

    /// Whether requests must carry a copy of their head.
    pub(crate) fn needs_head(&self) -> bool {
        self.needs_head
    }

    /// Starts keeping failures for [`Shared::take_failures`].
    #[cfg(feature = "testing")]
    pub(crate) fn collect_failures(&self) {
        let mut failures = self.lock_failures();
        if failures.is_none() {
            *failures = Some(Vec::new());
        }
    }

    /// The failures kept since the last call.
    #[cfg(feature = "testing")]
    pub(crate) fn take_failures(&self) -> Vec<Error> {
        self.lock_failures()
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Records a failure that nothing handled.
    pub(crate) fn report(&self, error: &Error) {
        if let Some(failures) = self.lock_failures().as_mut() {
            failures.push(error.clone());
        }
    }

    fn lock_failures(&self) -> std::sync::MutexGuard<'_, Option<Vec<Error>>> {
        // Only pushes and takes happen under this lock: a poisoned lock
        // still holds consistent data.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a response carries an error not yet offered to the
    /// exception handlers. Cheap when there is no error: the response has
    /// no extensions at all.
    #[inline]
    pub(crate) fn is_unresolved(response: &Response) -> bool {
        response.extensions().get::<Unresolved>().is_some()
    }

    /// Offers the response's fresh error to the exception handlers (once),
    /// and logs and reports a server error nobody handled.
    #[cold]
    pub(crate) async fn resolve(&self, response: &mut Response, head: Option<&RequestHead>) {
        response.extensions_mut().remove::<Unresolved>();
        let Some(error) = response.extensions().get::<Error>().cloned() else {
            return;
        };
        for handler in &self.exception_handlers {
            let Some(handled) = handler.0.handle(&error, head) else {
                continue;
            };
            let mut handled = handled.await;
            handled.extensions_mut().remove::<Unresolved>();
            handled.extensions_mut().insert(error.clone());
            *response = handled;
            return;
        }
        if response.status() == StatusCode::INTERNAL_SERVER_ERROR && !error.is::<HttpError>() {
            if !error.is::<Panic>() {
                tracing::error!(target: "sluice", error = %error, "request failed");
            }
            response.extensions_mut().insert(Unhandled);
        }
    }

    /// Reports the error of a response that leaves the app still marked
    /// [`Unhandled`].
    #[inline]
    pub(crate) fn report_unhandled(&self, response: &mut Response) {
        if response.extensions_mut().remove::<Unhandled>().is_some() {
            if let Some(error) = response.extensions().get::<Error>() {
                self.report(error);
            }
        }
    }
}

/// The WebSocket sessions of an app: tracked apart from background tasks
/// (a test client waits for those after every request, while a session
/// may stay open across requests), and told when the server shuts down.
#[derive(Default)]
pub(crate) struct Sockets {
    /// The session tasks.
    pub(crate) tracker: TaskTracker,
    /// Cancelled when the server starts shutting down: open sockets close
    /// with 1001 (going away).
    pub(crate) closing: CancellationToken,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("exception_handlers", &self.exception_handlers.len())
            .field("needs_head", &self.needs_head)
            .finish_non_exhaustive()
    }
}
