//! [`RedisConnection`]: one connection to Redis, shared by sluice's
//! Redis-backed stores, with a bounded time per call.
//!
//! State that N instances of an app must share (rate-limit counts, server-side
//! sessions) lives in Redis. This module holds what every such store needs:
//! a connection that reconnects by itself (the `redis` crate's
//! `ConnectionManager`), a timeout on every call (50 ms by default), and a
//! warning in the log when Redis cannot be reached, at most one every ten
//! seconds, with an all-clear once it answers again. What a store does when a
//! call fails (let the request through, or refuse it) is the store's choice;
//! the connection never waits longer than its timeout.
//!
//! ```
//! use std::time::Duration;
//! use sluice::middleware::rate_limit::{RateLimit, RedisStore};
//! use sluice::redis::RedisConnection;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // Nothing listens on port 1: every call fails, and fails fast.
//! let redis = RedisConnection::open("redis://127.0.0.1:1/0")
//!     .unwrap()
//!     .timeout(Duration::from_millis(20));
//! let app = App::new()
//!     .get("/", || async { "hi" })
//!     .add_middleware(RateLimit::per_minute(5).store(RedisStore::new(&redis)));
//! let client = TestClient::new(app);
//!
//! // Fail open (the default): admitted, without rate-limit headers.
//! let res = client.get("/").await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.header("ratelimit"), None);
//! # }
//! ```
//!
//! The connection is opened on first use, inside the runtime, so an app can
//! be built before the runtime starts and before Redis is up.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisError};

use crate::error::ConfigError;

/// The time a call to Redis may take unless [`RedisConnection::timeout`]
/// says otherwise: 50 ms. A rate-limit check adds at most this much to a
/// request when Redis is slow or gone.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// How long a connection attempt may take, in the background (calls still
/// give up after their own timeout). Long enough for a Redis across a slow
/// network, short enough that a host that drops packets is retried soon.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// At most one "Redis is unreachable" warning per this period; the next one
/// says how many failures were not logged.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// A connection to one Redis server, shared by the stores that use it.
///
/// Cloning is cheap and shares the connection. [`RedisConnection::timeout`]
/// on a clone changes only that clone, so two stores can share one
/// connection with different time limits.
///
/// Every call is bounded by the timeout, including the wait for a
/// connection. When Redis cannot be reached, calls fail at once or after the
/// timeout, a warning is logged (target `sluice::redis`, at most one per ten
/// seconds), and the connection is re-established in the background: the
/// first call after Redis is back succeeds, with no restart.
///
/// The URL is the `redis` crate's: `redis://[[user]:password@]host[:port][/db]`,
/// `redis+unix:///path/to/socket`. Keys go to one server (or a proxy in
/// front of a cluster); the stores' keys carry a hash tag so that each call
/// touches one cluster slot.
#[derive(Clone)]
pub struct RedisConnection {
    shared: Arc<Shared>,
    timeout: Duration,
}

struct Shared {
    client: Client,
    /// The URL without its password, for logs.
    display: String,
    /// Created on first use, inside the runtime (it spawns a task).
    manager: OnceLock<Result<ConnectionManager, String>>,
    health: Health,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("url", &self.shared.display)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RedisConnection {
    /// A connection to the Redis at `url`, opened on first use.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when `url` is not a Redis URL.
    ///
    /// ```
    /// use sluice::redis::RedisConnection;
    ///
    /// assert!(RedisConnection::open("redis://127.0.0.1:6379/0").is_ok());
    /// let err = RedisConnection::open("http://example.com").unwrap_err();
    /// assert!(err.to_string().contains("redis://"));
    /// ```
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        let display = redact(url);
        let client = Client::open(url).map_err(|e| {
            ConfigError::middleware(
                "RedisConnection",
                format!(
                    "{display:?} is not a Redis URL ({e}); expected redis://[[user]:password@]host[:port][/db]"
                ),
            )
        })?;
        Ok(RedisConnection {
            shared: Arc::new(Shared {
                client,
                display,
                manager: OnceLock::new(),
                health: Health::new(),
            }),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The longest a call may take, waiting for a connection included
    /// (default [`DEFAULT_TIMEOUT`], 50 ms). A zero timeout is raised to
    /// one millisecond.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The per-call timeout.
    pub fn call_timeout(&self) -> Duration {
        self.timeout
    }

    /// The URL, with any password replaced by `***`.
    pub fn url(&self) -> &str {
        &self.shared.display
    }

    fn manager(&self) -> Result<ConnectionManager, String> {
        self.shared
            .manager
            .get_or_init(|| {
                // No retries inside one attempt: a failed attempt is
                // reported, and the next call starts another. Calls never
                // wait on a backoff, and a Redis that is back is found at
                // the next call.
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(0)
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(None);
                ConnectionManager::new_lazy_with_config(self.shared.client.clone(), config)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// Runs one call (`f` gets a handle on the connection), bounded by the
    /// timeout; logs failures as described on [`RedisConnection`].
    pub(crate) async fn call<T, F, Fut>(&self, what: &'static str, f: F) -> Result<T, Failure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let result = match self.manager() {
            Ok(manager) => match tokio::time::timeout(self.timeout, f(manager)).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) => Err(Failure::Redis(error)),
                Err(_) => Err(Failure::Timeout(self.timeout)),
            },
            Err(reason) => Err(Failure::Setup(reason)),
        };
        match &result {
            Ok(_) => self.shared.health.succeeded(&self.shared.display),
            Err(failure) => self
                .shared
                .health
                .failed(&self.shared.display, what, failure),
        }
        result
    }
}

/// Why a call to Redis failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No answer within the timeout.
    Timeout(Duration),
    /// Redis answered with an error, or the connection failed.
    Redis(RedisError),
    /// The connection could not be set up at all.
    Setup(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout(after) => write!(f, "no answer from redis within {after:?}"),
            Failure::Redis(error) => write!(f, "redis: {error}"),
            Failure::Setup(reason) => write!(f, "cannot set up the redis connection: {reason}"),
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Redis(error) => Some(error),
            Failure::Timeout(_) | Failure::Setup(_) => None,
        }
    }
}

/// Failures seen, for warnings that say what happened without flooding the
/// log.
struct Health {
    start: Instant,
    /// Whether the last call failed (to log the recovery once).
    failing: AtomicBool,
    /// When the last warning was written, in milliseconds since `start`,
    /// plus one (0: never).
    last_warning_ms: AtomicU64,
    /// Failures since the last warning.
    unlogged: AtomicU64,
}

impl Health {
    fn new() -> Self {
        Health {
            start: Instant::now(),
            failing: AtomicBool::new(false),
            last_warning_ms: AtomicU64::new(0),
            unlogged: AtomicU64::new(0),
        }
    }

    fn succeeded(&self, url: &str) {
        // A load, not a swap, on the fast path: no write to a shared cache
        // line while Redis is healthy.
        if self.failing.load(Ordering::Relaxed) && self.failing.swap(false, Ordering::Relaxed) {
            tracing::info!(target: "sluice::redis", url, "redis is reachable again");
        }
    }

    fn failed(&self, url: &str, what: &'static str, failure: &Failure) {
        self.failing.store(true, Ordering::Relaxed);
        let now = self.start.elapsed().as_millis() as u64 + 1;
        let last = self.last_warning_ms.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= WARN_EVERY.as_millis() as u64;
        if due
            && self
                .last_warning_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let unlogged = self.unlogged.swap(0, Ordering::Relaxed);
            tracing::warn!(
                target: "sluice::redis",
                url,
                call = what,
                error = %failure,
                failures_not_logged = unlogged,
                "redis call failed; the store applies its failure policy (next warning in 10 s at the earliest)"
            );
        } else {
            self.unlogged.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `url` with the password (or the whole user-info part) replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact("redis://:hunter2@cache:6379/0"),
            "redis://***@cache:6379/0"
        );
        assert_eq!(redact("redis://user:p%40ss@cache/1"), "redis://***@cache/1");
        assert_eq!(redact("redis://cache:6379/0"), "redis://cache:6379/0");
        assert_eq!(redact("not a url"), "not a url");
    }
}
