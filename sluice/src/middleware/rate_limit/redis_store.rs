//! [`RedisStore`]: the counts in Redis, shared by every instance.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use ::redis::Script;
use sha1::{Digest, Sha1};

use super::policy::Policy;
use super::store::{Decision, RateKey, RateLimitStore, StoreError};
use crate::error::ConfigError;
use crate::redis::{Failure, RedisConnection};

/// The key prefix unless [`RedisStore::prefix`] says otherwise.
pub const DEFAULT_PREFIX: &str = "sluice:rl:";

/// Text keys up to this long are kept readable in Redis; longer ones, or
/// ones with characters that would need escaping, are hashed.
const READABLE_KEY_LEN: usize = 64;

/// The rate-limit counts in Redis: every instance of the app that uses the
/// same Redis and [prefix](RedisStore::prefix) shares them.
///
/// - **One round trip per decision.** A Lua script ([`RedisStore::SCRIPT`])
///   run with `EVALSHA` decides and updates every policy atomically; when
///   Redis does not know the script (after a restart or `SCRIPT FLUSH`), it
///   is loaded again and the call repeated.
/// - **Redis's clock.** The script reads `TIME`; nothing of the app's clock
///   is sent, so instances whose clocks disagree still agree on every count.
/// - **Keys** are `<prefix>{<client>}:<policy>`, e.g.
///   `sluice:rl:{ip:203.0.113.7}:default`: the hash tag puts all of a
///   client's keys in one Redis Cluster slot, as a script needs. Text keys
///   longer than 64 bytes, or with characters outside visible ASCII or with
///   braces, are replaced by `h:<SHA-1 of the key>`. Every key has an expiry:
///   it goes when the client's quota is full again.
/// - **Bounded.** Each call takes at most the connection's timeout (50 ms by
///   default); see [`RedisConnection`] for reconnection and logging. When
///   Redis cannot decide in time, [`RateLimit`](super::RateLimit) lets the
///   request through, or refuses it with
///   [`fail_closed`](super::RateLimit::fail_closed). A call that timed out
///   may still reach Redis later and be counted, although its request did
///   not wait for the answer.
///
/// ```no_run
/// use sluice::middleware::rate_limit::{RateLimit, RedisStore};
/// use sluice::App;
///
/// # fn main() -> Result<(), sluice::ConfigError> {
/// let store = RedisStore::open("redis://127.0.0.1:6379/0")?.prefix("myapp:rl:");
/// let app = App::new()
///     .get("/", || async { "hi" })
///     .add_middleware(RateLimit::per_minute(100).store(store));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConnection,
    prefix: Arc<str>,
    script: Arc<Script>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("redis", &self.conn)
            .field("prefix", &&*self.prefix)
            .finish()
    }
}

impl RedisStore {
    /// The Lua script run for every decision, for review or preloading:
    /// GCRA over the policies, on Redis's clock.
    pub const SCRIPT: &'static str = include_str!("gcra.lua");

    /// A store on `redis` (a clone of it: it shares the connection), with
    /// the prefix [`DEFAULT_PREFIX`].
    pub fn new(redis: &RedisConnection) -> Self {
        RedisStore {
            conn: redis.clone(),
            prefix: Arc::from(DEFAULT_PREFIX),
            script: Arc::new(Script::new(Self::SCRIPT)),
        }
    }

    /// A store on a new connection to `url`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when `url` is not a Redis URL.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Ok(RedisStore::new(&RedisConnection::open(url)?))
    }

    /// The prefix of every key (default `sluice:rl:`). Instances share
    /// counts only when they use the same prefix; give each app its own.
    /// A prefix with `{` or `}` is reported when the app is built (it would
    /// break the hash tag).
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Arc::from(prefix);
        self
    }

    /// The longest a decision may take (default 50 ms), for this store
    /// only.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.conn = self.conn.timeout(timeout);
        self
    }

    /// The SHA-1 of [`RedisStore::SCRIPT`], as `EVALSHA` takes it.
    pub fn script_sha1(&self) -> &str {
        self.script.get_hash()
    }

    /// The Redis key of `key` under `policy`.
    pub fn redis_key(&self, key: &RateKey<'_>, policy: &Policy) -> String {
        let mut out = String::with_capacity(self.prefix.len() + 48);
        out.push_str(&self.prefix);
        out.push('{');
        match key {
            RateKey::Ip(ip) => {
                out.push_str("ip:");
                out.push_str(&ip.to_string());
            }
            RateKey::Text(text) if readable(text) => {
                out.push_str("k:");
                out.push_str(text);
            }
            RateKey::Text(text) => {
                out.push_str("h:");
                for byte in Sha1::digest(text.as_bytes()) {
                    let _ = write!(out, "{byte:02x}");
                }
            }
            RateKey::Shared => out.push_str("shared"),
        }
        out.push_str("}:");
        out.push_str(policy.name());
        out
    }
}

fn readable(text: &str) -> bool {
    text.len() <= READABLE_KEY_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'{' && b != b'}')
}

impl RateLimitStore for RedisStore {
    async fn check(&self, key: &RateKey<'_>, policies: &[Policy]) -> Result<Decision, StoreError> {
        let mut invocation = self.script.prepare_invoke();
        for policy in policies {
            invocation.key(self.redis_key(key, policy));
        }
        for policy in policies {
            invocation.arg(policy.interval_us).arg(policy.capacity_us);
        }
        let reply: Vec<i64> = self
            .conn
            .call("rate-limit check", |mut conn| async move {
                invocation.invoke_async(&mut conn).await
            })
            .await
            .map_err(|failure| match failure {
                Failure::Timeout(_) => StoreError::timeout(failure.to_string()),
                other => StoreError::unavailable("redis rate-limit check failed", other),
            })?;
        match reply.split_first() {
            Some((&admitted, resets)) if resets.len() == policies.len() => Ok(Decision::new(
                admitted == 1,
                resets
                    .iter()
                    .map(|&us| Duration::from_micros(u64::try_from(us).unwrap_or(0))),
            )),
            _ => Err(StoreError::unavailable(
                "redis rate-limit check failed",
                format!("unexpected reply from the script: {reply:?}"),
            )),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.prefix.contains(['{', '}']) {
            return Err(ConfigError::middleware(
                "RateLimit",
                format!(
                    "the Redis key prefix {:?} has a brace, which would break the keys' hash tag",
                    &*self.prefix
                ),
            ));
        }
        Ok(())
    }
}
