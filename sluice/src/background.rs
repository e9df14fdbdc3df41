//! [`BackgroundTasks`]: work that runs after the response has been sent.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::error::{Error, Panic};
use crate::lifecycle::Lifecycle;

/// Tasks to run after the response has been sent: FastAPI's
/// `BackgroundTasks`.
///
/// A handler asks for it as an argument; a middleware gets the same
/// request's tasks from [`Request::background_tasks`](crate::Request::background_tasks)
/// (Starlette's `response.background`). The tasks run one after the other,
/// in the order added, before request-scope dependencies are cleaned up. A
/// task that panics or returns an `Err` is logged; the next one still runs.
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
            .field("pending", &self.lifecycle.pending_tasks())
            .finish()
    }
}

impl BackgroundTasks {
    pub(crate) fn new(lifecycle: Arc<Lifecycle>) -> Self {
        BackgroundTasks { lifecycle }
    }

    /// Adds a task. Its output may be `()` or a `Result` whose error is
    /// logged.
    pub fn add<F>(&self, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        self.lifecycle
            .add_task(Box::pin(async move { task.await.into_result() }));
    }

    /// Adds a blocking function, run on tokio's blocking thread pool.
    pub fn add_blocking<F, R>(&self, f: F)
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskOutput + Send + 'static,
    {
        self.lifecycle.add_task(Box::pin(async move {
            match tokio::task::spawn_blocking(f).await {
                Ok(output) => output.into_result(),
                Err(e) if e.is_panic() => Err(Error::new(Panic::from_payload(&*e.into_panic()))),
                Err(e) => Err(Error::msg(format!("background task was cancelled: {e}"))),
            }
        }));
    }
}

/// What a background task may return: `()`, or a `Result` whose error is
/// logged.
pub trait TaskOutput {
    /// `Err` with a description of the failure, if the task failed.
    ///
    /// # Errors
    ///
    /// The task's failure.
    fn into_result(self) -> Result<(), Error>;
}

impl TaskOutput for () {
    fn into_result(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<E: fmt::Display> TaskOutput for Result<(), E> {
    fn into_result(self) -> Result<(), Error> {
        self.map_err(Error::msg)
    }
}
