//! [`RedisSessionStore`]: session data in Redis, shared by every instance.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::AsyncCommands;
use bytes::Bytes;

use super::store::{SessionStore, StoreError};
use crate::error::ConfigError;
use crate::redis::RedisConnection;

/// The key prefix unless [`RedisSessionStore::prefix`] says otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "sluice:session:";

/// Server-side sessions in Redis: every instance of the app that uses the
/// same Redis, [prefix](RedisSessionStore::prefix) and session secret sees
/// the same sessions, whichever instance a request lands on.
///
/// Give it to [`Sessions::store`](super::Sessions::store). The cookie then
/// holds only a signed random id (256 bits); the session's JSON lives in
/// Redis under `<prefix><id>`.
///
/// - **Expiry is Redis's.** Every write sets the key's TTL to the session's
///   `max_age` (`SET ... PX`; 14 days for a
///   [browser session](super::Sessions::browser_session)), the same time
///   the cookie's `Max-Age` and signature allow: Redis drops a session when
///   its cookie would have expired, with no sweeping on our side. Reading
///   does not extend it; as with the cookie, a change does.
/// - **[`Session::regenerate`](super::Session::regenerate)** writes the data
///   under a fresh id and deletes the old id in one `MULTI`/`EXEC`
///   transaction: no request ever sees both ids, and an id planted before a
///   login is worthless after it. (On Redis Cluster the two keys are in
///   different slots unless the prefix is a hash tag, e.g.
///   `{myapp:session}:`, which puts every session in one slot.)
/// - **Consistency.** Each request reads the whole session once and, if it
///   changed it, writes the whole session back: of two concurrent requests
///   that change the same session, the last to finish wins (as with
///   Starlette's cookie sessions). A request that only reads never writes.
///   An older cookie brings back nothing older: Redis holds one copy, the
///   latest, and a deleted or regenerated id finds nothing.
/// - **Bounded, and loud when Redis is down.** Each call waits at most the
///   connection's timeout (50 ms by default, [`RedisSessionStore::timeout`]);
///   see [`RedisConnection`] for reconnection and the rate-limited warning
///   in the log. A request whose session cannot be loaded or saved is
///   answered `503 {"detail":"Service Unavailable"}`: its handler never runs
///   on an empty session that would log the user out or, once written back,
///   replace their data. Requests that never touch the session are not
///   affected. A write that timed out may still reach Redis later.
///
/// ```
/// use std::time::Duration;
/// use serde_json::{json, Value};
/// use sluice::middleware::sessions::{RedisSessionStore, Session, Sessions};
/// use sluice::testing::TestClient;
/// use sluice::{App, Json};
///
/// async fn visit(session: Session) -> sluice::Result<Json<Value>> {
///     let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
///     session.insert("visits", visits)?;
///     Ok(Json(json!({ "visits": visits })))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Nothing listens on port 1: Redis is down, and every call says so fast.
/// let store = RedisSessionStore::open("redis://127.0.0.1:1/0")
///     .unwrap()
///     .timeout(Duration::from_millis(20));
/// let secret = "a secret of at least thirty-two bytes, from a vault";
/// let app = App::new()
///     .get("/visit", visit)
///     .get("/public", || async { "no session here" })
///     .add_middleware(Sessions::new(secret).store(store));
/// let client = TestClient::new(app);
///
/// // A handler that needs the session gets a clear answer, not a hang.
/// let res = client.get("/visit").await;
/// assert_eq!(res.status(), 503);
/// assert_eq!(res.json::<Value>(), json!({"detail": "Service Unavailable"}));
/// // A route that never touches the session is served as usual.
/// assert_eq!(client.get("/public").await.text(), "no session here");
/// # }
/// ```
///
/// In production, with the secret and the prefix the same on every instance:
///
/// ```no_run
/// use sluice::middleware::sessions::{RedisSessionStore, Sessions};
/// use sluice::App;
///
/// # fn main() -> Result<(), sluice::ConfigError> {
/// let secret = std::env::var("SESSION_SECRET").unwrap_or_default();
/// let store = RedisSessionStore::open("redis://127.0.0.1:6379/0")?.prefix("shop:session:");
/// let app = App::new().add_middleware(Sessions::new(secret).store(store));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisSessionStore {
    conn: RedisConnection,
    prefix: Arc<str>,
}

impl fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("redis", &self.conn)
            .field("prefix", &&*self.prefix)
            .finish()
    }
}

impl RedisSessionStore {
    /// A store on `redis` (a clone of it: it shares the connection, e.g.
    /// with a rate-limit [`RedisStore`](crate::middleware::rate_limit::RedisStore)),
    /// with the prefix [`DEFAULT_REDIS_PREFIX`].
    pub fn new(redis: &RedisConnection) -> Self {
        RedisSessionStore {
            conn: redis.clone(),
            prefix: Arc::from(DEFAULT_REDIS_PREFIX),
        }
    }

    /// A store on a new connection to `url`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when `url` is not a Redis URL.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Ok(RedisSessionStore::new(&RedisConnection::open(url)?))
    }

    /// The prefix of every key (default `sluice:session:`). Instances share
    /// sessions only when they use the same prefix (and session secret);
    /// give each app its own.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Arc::from(prefix);
        self
    }

    /// The longest a call to Redis may take (default 50 ms), for this store
    /// only.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.conn = self.conn.timeout(timeout);
        self
    }

    /// The Redis key of session `id`.
    pub fn redis_key(&self, id: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + id.len());
        key.push_str(&self.prefix);
        key.push_str(id);
        key
    }
}

/// A TTL in whole milliseconds, at least one (Redis refuses `PX 0`).
fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl SessionStore for RedisSessionStore {
    async fn load(&self, id: &str) -> Result<Option<Bytes>, StoreError> {
        let key = self.redis_key(id);
        let data: Option<Vec<u8>> = self
            .conn
            .call(
                "session load",
                |mut conn| async move { conn.get(key).await },
            )
            .await
            .map_err(StoreError::new)?;
        Ok(data.map(Bytes::from))
    }

    async fn save(&self, id: &str, data: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let key = self.redis_key(id);
        self.conn
            .call("session save", |mut conn| async move {
                ::redis::cmd("SET")
                    .arg(key)
                    .arg(data)
                    .arg("PX")
                    .arg(ttl_ms(ttl))
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
            .map_err(StoreError::new)
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let key = self.redis_key(id);
        self.conn
            .call("session delete", |mut conn| async move {
                conn.del::<_, ()>(key).await
            })
            .await
            .map_err(StoreError::new)
    }

    async fn regenerate(
        &self,
        old: &str,
        new: &str,
        data: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let (old, new) = (self.redis_key(old), self.redis_key(new));
        self.conn
            .call("session regenerate", |mut conn| async move {
                ::redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(new)
                    .arg(data)
                    .arg("PX")
                    .arg(ttl_ms(ttl))
                    .ignore()
                    .cmd("DEL")
                    .arg(old)
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
            .map_err(StoreError::new)
    }
}
