//! Server-side session stores: the [`SessionStore`] trait and the
//! in-process [`MemoryStore`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;

use crate::error::BoxError;

/// Where [`Sessions`](super::Sessions) keeps session data when the cookie
/// holds only a signed id ([`Sessions::store`](super::Sessions::store)).
///
/// Ids are random (256 bits, URL-safe base64 text); data is the session's
/// JSON. Every entry has a time to live: the session's `max_age`, renewed
/// on every write. A store must never return an entry after its TTL.
///
/// Errors are reported, never hidden: a `load` that fails counts as no
/// session for that request (logged as a warning), a `save`, `delete` or
/// `regenerate` that fails turns the response into a 500 carrying a
/// [`SessionError::Store`](super::SessionError::Store).
///
/// ```
/// use std::time::Duration;
/// use sluice::middleware::sessions::{MemoryStore, SessionStore};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let store = MemoryStore::new();
/// store.save("id-1", b"{\"user\":\"alice\"}", Duration::from_secs(60)).await.unwrap();
/// store.regenerate("id-1", "id-2", b"{\"user\":\"alice\"}", Duration::from_secs(60)).await.unwrap();
/// assert!(store.load("id-1").await.unwrap().is_none());
/// assert_eq!(store.load("id-2").await.unwrap().as_deref(), Some(&b"{\"user\":\"alice\"}"[..]));
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a session store",
    label = "`Sessions::store` takes a value implementing `SessionStore`",
    note = "use `sluice::middleware::sessions::MemoryStore`, or implement load/save/delete/regenerate"
)]
pub trait SessionStore: Send + Sync + 'static {
    /// The data stored under `id`, or `None` when there is none (never
    /// stored, deleted, or past its TTL).
    fn load(&self, id: &str) -> impl Future<Output = Result<Option<Bytes>, StoreError>> + Send;

    /// Stores `data` under `id` for `ttl`, replacing what was there.
    fn save(
        &self,
        id: &str,
        data: &[u8],
        ttl: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes `id` and its data (nothing happens when it is absent).
    fn delete(&self, id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Atomically stores `data` under the new id `new` for `ttl` and
    /// removes `old`: no reader ever sees both ids, or neither (a session
    /// fixation defence when a user logs in).
    fn regenerate(
        &self,
        old: &str,
        new: &str,
        data: &[u8],
        ttl: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A session store failed (its server is unreachable, timed out, refused).
#[derive(Debug)]
pub struct StoreError {
    source: BoxError,
}

impl StoreError {
    /// Wraps the cause.
    pub fn new(source: impl Into<BoxError>) -> Self {
        StoreError {
            source: source.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session store failed: {}", self.source)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The object-safe form of [`SessionStore`], used inside the middleware.
pub(super) trait DynStore: Send + Sync + 'static {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>>;
    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    fn regenerate<'a>(
        &'a self,
        old: &'a str,
        new: &'a str,
        data: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

impl<S: SessionStore> DynStore for S {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>> {
        Box::pin(SessionStore::load(self, id))
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(SessionStore::save(self, id, data, ttl))
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(SessionStore::delete(self, id))
    }

    fn regenerate<'a>(
        &'a self,
        old: &'a str,
        new: &'a str,
        data: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(SessionStore::regenerate(self, old, new, data, ttl))
    }
}

/// Session data in this process's memory: the default server-side store,
/// for one instance (a laptop, tests). Behind a load balancer, use a store
/// that every instance shares.
///
/// Entries expire after their TTL; expired entries are swept as the store
/// grows, so memory stays bounded by the sessions alive within one TTL.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Box<str>, (Bytes, Instant)>,
    /// The size after the last sweep: the next one runs at twice that.
    swept_at: usize,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.inner.lock().map_or(0, |entries| entries.map.len());
        f.debug_struct("MemoryStore")
            .field("entries", &len)
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the map half-written
        // (every operation is one insert or remove), so go on with it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Entries {
    fn put(&mut self, id: &str, data: &[u8], ttl: Duration) {
        let now = Instant::now();
        if self.map.len() >= 1024 && self.map.len() >= self.swept_at.saturating_mul(2) {
            self.map.retain(|_, (_, expires)| *expires > now);
            self.swept_at = self.map.len();
        }
        let expires = now
            .checked_add(ttl)
            .unwrap_or(now + Duration::from_secs(u32::MAX.into()));
        self.map
            .insert(id.into(), (Bytes::copy_from_slice(data), expires));
    }
}

impl SessionStore for MemoryStore {
    async fn load(&self, id: &str) -> Result<Option<Bytes>, StoreError> {
        let mut entries = self.entries();
        match entries.map.get(id) {
            Some((data, expires)) if *expires > Instant::now() => Ok(Some(data.clone())),
            Some(_) => {
                entries.map.remove(id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn save(&self, id: &str, data: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.entries().put(id, data, ttl);
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.entries().map.remove(id);
        Ok(())
    }

    async fn regenerate(
        &self,
        old: &str,
        new: &str,
        data: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut entries = self.entries();
        entries.map.remove(old);
        entries.put(new, data, ttl);
        Ok(())
    }
}
