//! Helpers shared by the integration tests. A test file that uses them
//! declares `mod support;`.
//!
//! - [`trace`]: records `tracing` events (`support::record`, `record_text`);
//! - [`wire`]: the real server on a loopback port, raw HTTP/1.1 requests,
//!   and waiting on the server with a deadline instead of a sleep;
//! - [`bodies`]: streamed and large bodies, and decoding compressed ones;
//! - [`errors`]: `error_type!`, an error type of the test's own;
//! - [`request_id`]: the app of the two `RequestId` test files;
//! - [`redis`]: a real `redis-server` on a free port, stopped by PID;
//! - [`Log`]: the order in which things happened;
//! - [`runtime`] and [`cases`]: one tokio runtime for the cases of a
//!   property test, and its configuration;
//! - [`on_threads`] and [`get`]: requests sent through one app from
//!   several threads at once.

#![allow(dead_code, unreachable_pub, unused_imports, unused_macros)]

pub mod bodies;
pub mod errors;
pub mod redis;
pub mod request_id;
pub mod trace;
pub mod wire;

use std::sync::{Arc, Mutex, OnceLock};

pub use trace::{record, record_text, Events, Recorded, Text};

/// The order in which things happened, from wherever they happen (a
/// handler, a middleware, a background task, a cleanup): clone it into
/// each of them, then check [`Log::take`].
#[derive(Clone, Default, Debug)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    /// Records that `event` happened.
    pub fn push(&self, event: impl Into<String>) {
        self.lock().push(event.into());
    }

    /// The events so far, oldest first, leaving the log empty.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }

    /// The events so far, oldest first.
    pub fn events(&self) -> Vec<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        // A test that panicked while pushing left consistent data.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A current-thread tokio runtime shared by the cases of a property test
/// (proptest runs each case synchronously).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// Runs `send(thread)` on `threads` threads at once, each in a
/// current-thread runtime of its own, and waits for all of them.
pub fn on_threads<F, Fut>(threads: usize, send: F)
where
    F: Fn(usize) -> Fut + Sync,
    Fut: std::future::Future<Output = ()>,
{
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let send = &send;
            scope.spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("a runtime")
                    .block_on(send(thread));
            });
        }
    });
}

/// `GET path` through `service`, in process: the response's head and its
/// whole body.
pub async fn get(
    service: &sluice::AppService,
    path: &str,
) -> (sluice::http::response::Parts, sluice::Bytes) {
    let req = sluice::http::Request::get(path)
        .body(sluice::Body::empty())
        .expect("a request");
    let (head, body) = service
        .handle(sluice::Request::from_http(req))
        .await
        .into_parts();
    (head, body.collect().await.expect("a body"))
}

/// A proptest configuration running `n` cases. Integration tests have no
/// `lib.rs` for proptest to persist failures next to; a failure prints its
/// minimal input instead.
pub fn cases(n: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: n,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}
