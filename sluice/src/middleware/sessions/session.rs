//! The [`Session`] extractor and the per-request cell it shares with the
//! middleware.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use http::HeaderMap;

use super::{find_cookie, Config, SessionError};
use crate::error::Error;
use crate::extract::{FromRequestParts, RequestContext};
use crate::request::Request;

/// One request's session: the cookie value it carried, and what the
/// handler did with the data. Shared by the middleware (which writes the
/// cookie afterwards) and every [`Session`] handle.
pub(super) struct Cell {
    pub(super) config: Arc<Config>,
    state: Mutex<State>,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) loaded: bool,
    pub(super) data: Map<String, Value>,
    /// The request carried a valid session (Starlette's
    /// `not initial_session_was_empty`).
    pub(super) carried: bool,
    /// With a store: the id the data was loaded from.
    pub(super) id: Option<String>,
    pub(super) accessed: bool,
    pub(super) modified: bool,
    pub(super) regenerate: bool,
}

/// What loading found.
pub(super) struct Loaded {
    pub(super) data: Map<String, Value>,
    pub(super) carried: bool,
    pub(super) id: Option<String>,
}

impl Cell {
    pub(super) fn new(config: Arc<Config>) -> Self {
        Cell {
            config,
            state: Mutex::new(State::default()),
        }
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        // Every change is one map operation: a panic elsewhere cannot leave
        // the state half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Finds and verifies the cookie and loads the data, once: a request
    /// whose handler never asks for its session costs no cookie parsing.
    async fn ensure_loaded(&self, headers: &HeaderMap) {
        if self.state().loaded {
            return;
        }
        let raw = find_cookie(headers, &self.config.cookie_name);
        let loaded = self.config.load(raw.as_deref()).await;
        let mut state = self.state();
        if !state.loaded {
            state.loaded = true;
            state.data = loaded.data;
            state.carried = loaded.carried;
            state.id = loaded.id;
        }
    }
}

#[derive(Clone)]
pub(super) struct Slot(pub(super) Arc<Cell>);

/// The session of the request: a JSON object kept across requests, read
/// and changed with typed values. Take it as a handler argument (any
/// number of times) under [`Sessions`](super::Sessions).
///
/// Reading or changing it adds `Vary: Cookie` to the response (Starlette
/// marks a session accessed the same way); a change sets the cookie (or,
/// with a store, saves the data). A handler that takes `Session` but never
/// calls a method on it leaves the response alone.
///
/// ```
/// use sluice::middleware::sessions::{Session, Sessions};
/// use sluice::testing::TestClient;
/// use sluice::App;
///
/// async fn visit(session: Session) -> sluice::Result<String> {
///     let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
///     session.insert("visits", visits)?;
///     Ok(format!("visit {visits}"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let secret = "a secret of at least thirty-two bytes, from a vault";
/// let app = App::new().get("/", visit).add_middleware(Sessions::new(secret));
/// let client = TestClient::new(app);
/// let first = client.get("/").await;
/// assert_eq!(first.text(), "visit 1");
/// let cookie = first.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
/// let second = client.get("/").header("cookie", cookie).await;
/// assert_eq!(second.text(), "visit 2");
/// # }
/// ```
#[derive(Clone)]
pub struct Session {
    cell: Arc<Cell>,
}

impl Session {
    /// The session of `req`, for a middleware inside
    /// [`Sessions`](super::Sessions) (handlers take `Session` as an
    /// argument instead).
    ///
    /// # Errors
    ///
    /// When `Sessions` does not run outside the caller.
    pub async fn load(req: &Request) -> Result<Session, Error> {
        let slot = req
            .extensions()
            .get::<Slot>()
            .cloned()
            .ok_or_else(missing)?;
        slot.0.ensure_loaded(req.headers()).await;
        Ok(Session { cell: slot.0 })
    }

    fn read(&self) -> MutexGuard<'_, State> {
        let mut state = self.cell.state();
        state.accessed = true;
        state
    }

    fn write(&self) -> MutexGuard<'_, State> {
        let mut state = self.read();
        state.modified = true;
        state
    }

    /// The value under `key`, or `None` when there is none or it is not a
    /// `T` (use [`Session::try_get`] to tell those apart).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.try_get(key).ok().flatten()
    }

    /// The value under `key`: `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// When the stored value is not a `T`.
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let state = self.read();
        match state.data.get(key) {
            None => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(SessionError::Serialize),
        }
    }

    /// Stores `value` under `key`, replacing what was there.
    ///
    /// # Errors
    ///
    /// When `value` cannot be written as JSON (a map with non-string keys,
    /// a failing `Serialize`); the session is then unchanged.
    pub fn insert(
        &self,
        key: impl Into<String>,
        value: impl Serialize,
    ) -> Result<(), SessionError> {
        let value = serde_json::to_value(value).map_err(SessionError::Serialize)?;
        self.write().data.insert(key.into(), value);
        Ok(())
    }

    /// Removes `key`, returning its value. The session counts as changed
    /// only when the key was there.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut state = self.read();
        let removed = state.data.shift_remove(key);
        if removed.is_some() {
            state.modified = true;
        }
        removed
    }

    /// Empties the session. A session the request carried is then ended:
    /// its cookie is expired (and its data deleted from the store).
    pub fn clear(&self) {
        self.write().data.clear();
    }

    /// Gives the session a new identity, keeping its data: call it when a
    /// user logs in, so that an id planted in their browser before (session
    /// fixation) never holds their session. With a store, the data moves to
    /// a fresh random id and the old id is deleted; with cookie sessions
    /// the cookie is signed anew.
    pub fn regenerate(&self) {
        self.write().regenerate = true;
    }

    /// Whether `key` is in the session.
    pub fn contains_key(&self, key: &str) -> bool {
        self.read().data.contains_key(key)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.read().data.len()
    }

    /// Whether the session holds nothing.
    pub fn is_empty(&self) -> bool {
        self.read().data.is_empty()
    }

    /// A copy of the whole session, as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.read().data.clone()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without marking the session read: debugging must not change the
        // response.
        let state = self.cell.state();
        f.debug_struct("Session")
            .field("keys", &state.data.keys().collect::<Vec<_>>())
            .field("modified", &state.modified)
            .finish_non_exhaustive()
    }
}

fn missing() -> Error {
    Error::msg(
        "Session was asked for, but the Sessions middleware does not run outside this handler",
    )
}

/// A handler argument: the request's session (a 500 when
/// [`Sessions`](super::Sessions) is not in the stack).
impl FromRequestParts for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, Error> {
        let slot = parts
            .extensions
            .get::<Slot>()
            .cloned()
            .ok_or_else(missing)?;
        slot.0.ensure_loaded(&parts.headers).await;
        Ok(Session { cell: slot.0 })
    }
}
