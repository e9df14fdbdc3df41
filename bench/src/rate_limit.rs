//! The apps of the `rate-limit` part of `bench/run`: `perf-bare`, the same
//! behind `RateLimit` with the memory store, and with the Redis store
//! (served by the `bench-ratelimit` binary).
//!
//! The quota is a million requests per second per client, so that every
//! request of the load is admitted: the part measures what counting costs,
//! not what refusing does. The Redis variant times every store call, so
//! that the run can say how much of a request's time is spent waiting on
//! Redis (`GET /_stats`).
//!
//! ```
//! use sluice::testing::TestClient;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(sluice_bench::rate_limit::app("memory", None).unwrap());
//! let res = client.get("/hello").await;
//! assert_eq!(res.text(), r#"{"message":"Hello, World!"}"#);
//! assert_eq!(res.header("ratelimit"), Some(r#""default";r=999999;t=1"#));
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use sluice::middleware::rate_limit::{
    Decision, Policy, RateKey, RateLimit, RateLimitStore, RedisStore, StoreError,
};
use sluice::{App, Json};

/// The variants `bench-ratelimit` serves.
pub const NAMES: &[&str] = &["perf-bare", "memory", "redis"];

/// The environment variable that gives the Redis URL of the `redis`
/// variant.
pub const REDIS_URL_VAR: &str = "SLUICE_BENCH_REDIS";

/// The environment variable that sets the Redis store's timeout in
/// milliseconds (default: the store's own, 50 ms). `bench/run` raises it
/// under valgrind, where the first connection takes longer than 50 ms.
pub const REDIS_TIMEOUT_VAR: &str = "SLUICE_BENCH_REDIS_TIMEOUT_MS";

/// The policy every variant applies: a million per second, so nothing is
/// refused.
pub fn policy() -> Policy {
    Policy::per_second(1_000_000)
}

async fn hello() -> Json<Value> {
    Json(json!({"message": "Hello, World!"}))
}

/// The app of a variant (`redis` needs the URL).
///
/// # Errors
///
/// A one-line message for an unknown variant, or a missing or bad URL.
pub fn app(variant: &str, redis_url: Option<&str>) -> Result<App, String> {
    let app = App::new().get("/hello", hello);
    match variant {
        "perf-bare" => Ok(app),
        "memory" => Ok(app.add_middleware(RateLimit::new(policy()))),
        "redis" => {
            let url = redis_url.ok_or_else(|| format!("redis needs {REDIS_URL_VAR}"))?;
            let mut store = RedisStore::open(url).map_err(|e| e.to_string())?;
            if let Some(ms) = std::env::var(REDIS_TIMEOUT_VAR)
                .ok()
                .and_then(|v| v.parse().ok())
            {
                store = store.timeout(std::time::Duration::from_millis(ms));
            }
            let timed = Timed::new(store);
            let stats = timed.stats.clone();
            Ok(app
                .get("/_stats", move || {
                    let stats = stats.clone();
                    async move { Json(stats.to_json()) }
                })
                .add_middleware(RateLimit::new(policy()).store(timed)))
        }
        other => Err(format!("unknown variant {other:?}")),
    }
}

/// A store that times the calls of another.
#[derive(Debug)]
pub struct Timed<S> {
    inner: S,
    stats: Arc<Stats>,
}

/// What [`Timed`] counted.
#[derive(Debug, Default)]
pub struct Stats {
    calls: AtomicU64,
    failures: AtomicU64,
    wait_ns: AtomicU64,
}

impl Stats {
    fn to_json(&self) -> Value {
        json!({
            "calls": self.calls.load(Ordering::Relaxed),
            "failures": self.failures.load(Ordering::Relaxed),
            "wait_ns": self.wait_ns.load(Ordering::Relaxed),
        })
    }
}

impl<S> Timed<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Timed {
            inner,
            stats: Arc::default(),
        }
    }
}

impl<S: RateLimitStore> RateLimitStore for Timed<S> {
    async fn check(&self, key: &RateKey<'_>, policies: &[Policy]) -> Result<Decision, StoreError> {
        let started = Instant::now();
        let result = self.inner.check(key, policies).await;
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.stats.calls.fetch_add(1, Ordering::Relaxed);
        self.stats.wait_ns.fetch_add(ns, Ordering::Relaxed);
        if result.is_err() {
            self.stats.failures.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

/// What `redis-benchmark` must send to run the same script call as one
/// request of the load (from 127.0.0.1): `EVALSHA <sha> 1 <key> <args>`.
pub fn evalsha_args(store: &RedisStore) -> Vec<String> {
    let policy = policy();
    let key = store.redis_key(&RateKey::Ip([127, 0, 0, 1].into()), &policy);
    vec![
        "EVALSHA".to_owned(),
        store.script_sha1().to_owned(),
        "1".to_owned(),
        key,
        policy.interval().as_micros().to_string(),
        (policy.interval() * policy.quota()).as_micros().to_string(),
    ]
}
