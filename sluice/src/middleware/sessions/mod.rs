//! [`Sessions`]: per-user data kept across requests in a signed cookie, as
//! Starlette's `SessionMiddleware` keeps it, or in a server-side
//! [`SessionStore`] with only a signed id in the cookie.
//!
//! ```
//! use serde_json::{json, Value};
//! use sluice::middleware::sessions::{Session, Sessions};
//! use sluice::testing::TestClient;
//! use sluice::{App, Json};
//!
//! async fn login(session: Session) -> sluice::Result<Json<Value>> {
//!     session.regenerate();
//!     session.insert("user", "alice")?;
//!     Ok(Json(json!({"ok": true})))
//! }
//!
//! async fn me(session: Session) -> Json<Value> {
//!     Json(json!({ "user": session.get::<String>("user") }))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // A secret of 32 bytes or more, e.g. from `openssl rand -base64 32`.
//! let secret = "k4Qm9mD3x0VQ7m1yCq8ZbW2sR5tN6uE0pL3aJ9fH2gI=";
//! let app = App::new()
//!     .post("/login", login)
//!     .get("/me", me)
//!     .add_middleware(Sessions::new(secret));
//! let client = TestClient::new(app);
//!
//! let res = client.post("/login").await;
//! let set_cookie = res.header("set-cookie").unwrap();
//! assert!(set_cookie.ends_with("; path=/; Max-Age=1209600; httponly; samesite=lax"));
//! assert_eq!(res.header("vary"), Some("Cookie"));
//!
//! let cookie = set_cookie.split(';').next().unwrap();
//! let res = client.get("/me").header("cookie", cookie).await;
//! assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
//! # }
//! ```
//!
//! # As Starlette does
//!
//! The defaults are Starlette 1.10's: cookie `session`, `Max-Age` 14 days,
//! `path=/`, `httponly`, `samesite=lax`. Then:
//!
//! - A response whose handler read or changed the session carries
//!   [`Vary: Cookie`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Vary)
//!   (caches must not hand one user's page to another).
//! - A changed, non-empty session sets the cookie:
//!   `session=<value>; path=/; Max-Age=1209600; httponly; samesite=lax`,
//!   then `; secure`, `; domain=<domain>` and `; partitioned` when set.
//! - A session that the request carried and the handler cleared expires the
//!   cookie: `session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax`.
//! - A response that did not touch the session has neither header.
//! - A cookie that is tampered with (any byte), malformed, signed with
//!   another secret or older than `max_age` is an empty session, never an
//!   error. The expiry is checked on the signed timestamp, not left to the
//!   browser. When the `Cookie` headers carry several `session` cookies, the
//!   last one counts.
//! - A response that is an unhandled failure (a 500 from an error that no
//!   exception handler took, or a panic) saves nothing: Starlette's
//!   server-error handler answers those outside the session middleware. An
//!   error that an exception handler turned into a response, whatever its
//!   status, is saved like any response, as Starlette's exception
//!   middleware sits inside the session middleware.
//!
//! # Beyond Starlette
//!
//! - **A session too large for a cookie is an error, not a lost cookie.**
//!   Browsers drop a cookie whose name and value exceed 4096 bytes, and
//!   Starlette sends it anyway. sluice logs an error with the size and
//!   answers `500 {"detail":"Internal Server Error"}` carrying a
//!   [`SessionError::TooLarge`] ([`ResponseExt::error`](crate::ResponseExt::error)),
//!   which an [`ErrorHandler`](super::ErrorHandler) can map to another
//!   answer. Keep large data in a [store](Sessions::store).
//! - **Secrets:** HMAC-SHA256 with a key derived from the secret. A secret
//!   shorter than 32 bytes fails the build (generate one with
//!   `openssl rand -base64 32`). [`Sessions::fallback_secrets`] rotates
//!   keys: the first secret signs, every one verifies.
//! - **Server-side sessions:** [`Sessions::store`] keeps the data in a
//!   [`SessionStore`] ([`MemoryStore`] in process, `RedisSessionStore` in
//!   Redis across instances with the `redis` feature); the cookie holds
//!   only a signed random id of 256 bits, so an older cookie no longer
//!   brings back older data, and [`Session::regenerate`] moves the data to
//!   a new id. A store that fails answers `503 {"detail":"Service Unavailable"}`
//!   (see [`SessionStore`]).
//! - **Sharing sessions with a FastAPI service:**
//!   [`Sessions::starlette_compatible`] reads and writes Starlette's own
//!   cookie (itsdangerous `TimestampSigner`, base64 JSON), so both services
//!   with the same secret share sessions during a migration.
//! - A signing time up to 60 seconds in the future is accepted (the clocks
//!   of instances behind one load balancer differ a little); itsdangerous
//!   refuses any.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use serde_json::{Map, Value};

use crate::error::{ConfigError, Error, HttpError};
use crate::headers::{append_vary, cookies, unquote_cookie};
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::{Response, Unhandled};

mod codec;
#[cfg(feature = "redis")]
mod redis_store;
mod session;
mod signer;
mod store;
#[cfg(test)]
mod tests;

use codec::Format;
use session::{Cell, Loaded, Slot, State};
use signer::{Purpose, Signer};
use store::DynStore;

#[cfg(feature = "redis")]
pub use redis_store::{RedisSessionStore, DEFAULT_REDIS_PREFIX};
pub use session::Session;
pub use store::{MemoryStore, SessionStore, StoreError};

/// `Cookie`, for the `Vary` header.
static VARY_COOKIE: HeaderValue = HeaderValue::from_static("Cookie");

/// Browsers drop a cookie whose name and value together are longer.
pub const MAX_COOKIE_SIZE: usize = 4096;

/// The default `max_age`: 14 days, as Starlette's.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// The shortest secret [`Sessions::new`] accepts, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// How a store keeps a browser-session (no `max_age`) session's data.
const BROWSER_SESSION_TTL: Duration = DEFAULT_MAX_AGE;

pub use crate::cookie::SameSite;

/// Why a session could not be read or saved.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The encoded cookie (name and value) is over [`MAX_COOKIE_SIZE`]:
    /// browsers would drop it.
    TooLarge {
        /// The cookie's size in bytes.
        size: usize,
        /// The largest size browsers keep.
        limit: usize,
    },
    /// A value could not be written as, or read from, JSON.
    Serialize(serde_json::Error),
    /// The [`SessionStore`] failed (the middleware answers 503 and logs
    /// this).
    Store(StoreError),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::TooLarge { size, limit } => write!(
                f,
                "the session cookie is {size} bytes, over the {limit} browsers keep; \
                 keep less in it or use a session store"
            ),
            SessionError::Serialize(e) => write!(f, "session value is not valid JSON here: {e}"),
            SessionError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::TooLarge { .. } => None,
            SessionError::Serialize(e) => Some(e),
            SessionError::Store(e) => Some(e),
        }
    }
}

/// Keeps a session per client; see the [module docs](self).
#[must_use]
pub struct Sessions {
    settings: Settings,
    config: OnceLock<Arc<Config>>,
}

#[derive(Clone)]
struct Settings {
    format: Format,
    secrets: Vec<Vec<u8>>,
    cookie_name: String,
    max_age: Option<Duration>,
    path: String,
    same_site: SameSite,
    https_only: bool,
    domain: Option<String>,
    partitioned: bool,
    store: Option<Arc<dyn DynStore>>,
}

/// Everything the middleware needs per request, worked out once.
pub(super) struct Config {
    format: Format,
    signer: Signer,
    id_signer: Signer,
    pub(super) cookie_name: String,
    max_age: Option<Duration>,
    store: Option<Arc<dyn DynStore>>,
    /// `; path=/; Max-Age=1209600; httponly; samesite=lax`: what follows
    /// `name=value` in the `set-cookie` header.
    attributes: String,
    /// The `set-cookie` that ends a session.
    clear: HeaderValue,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        f.debug_struct("Sessions")
            .field("format", &s.format)
            .field("secrets", &format_args!("[{} hidden]", s.secrets.len()))
            .field("cookie_name", &s.cookie_name)
            .field("max_age", &s.max_age)
            .field("path", &s.path)
            .field("same_site", &s.same_site)
            .field("https_only", &s.https_only)
            .field("domain", &s.domain)
            .field("partitioned", &s.partitioned)
            .field("store", &s.store.is_some())
            .finish()
    }
}

impl Sessions {
    /// Signed-cookie sessions with `secret` (32 bytes or more; a shorter
    /// one fails the build) and Starlette's defaults.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Sessions::with_format(Format::Native, secret.as_ref())
    }

    /// Sessions in Starlette's own cookie format, readable and writable by
    /// a FastAPI service whose `SessionMiddleware(secret_key=...)` has the
    /// same secret: both then share sessions (set the same cookie name,
    /// `max_age`, path and domain on both).
    ///
    /// The secret must be the other service's, so a short one is accepted,
    /// with a warning when the app is built. The signature is itsdangerous'
    /// HMAC-SHA1, which is what Starlette reads. Values are written as
    /// Python's `json.dumps` writes them (floats may be spelled differently,
    /// and read the same); values Python writes but JSON lacks (`NaN`,
    /// `Infinity`) make the cookie unreadable here: an empty session.
    pub fn starlette_compatible(secret: impl AsRef<[u8]>) -> Self {
        Sessions::with_format(Format::Starlette, secret.as_ref())
    }

    fn with_format(format: Format, secret: &[u8]) -> Self {
        Sessions {
            settings: Settings {
                format,
                secrets: vec![secret.to_vec()],
                cookie_name: "session".to_owned(),
                max_age: Some(DEFAULT_MAX_AGE),
                path: "/".to_owned(),
                same_site: SameSite::Lax,
                https_only: false,
                domain: None,
                partitioned: false,
                store: None,
            },
            config: OnceLock::new(),
        }
    }

    /// Older secrets that still verify cookies (the secret given to `new`
    /// signs): rotate a key by making the old one a fallback, and drop it
    /// once `max_age` has passed.
    pub fn fallback_secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.settings.secrets.truncate(1);
        self.settings
            .secrets
            .extend(secrets.into_iter().map(|s| s.as_ref().to_vec()));
        self
    }

    /// The cookie's name (default `session`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.settings.cookie_name = name.into();
        self
    }

    /// How long a session lasts without being changed (default 14 days),
    /// to the second: the cookie's `Max-Age`, and the oldest signature
    /// accepted.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.settings.max_age = Some(max_age);
        self
    }

    /// A cookie without `Max-Age`, which the browser forgets when it
    /// closes (Starlette's `max_age=None`); signatures never expire. With
    /// a store, the data is kept for 14 days after the last change.
    pub fn browser_session(mut self) -> Self {
        self.settings.max_age = None;
        self
    }

    /// The cookie's `path` (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.settings.path = path.into();
        self
    }

    /// The cookie's `samesite` (default [`SameSite::Lax`]).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.settings.same_site = same_site;
        self
    }

    /// Adds `secure`: the browser sends the cookie over https only
    /// (default: off).
    pub fn https_only(mut self, on: bool) -> Self {
        self.settings.https_only = on;
        self
    }

    /// The cookie's `domain` (default: none, the host only).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.settings.domain = Some(domain.into());
        self
    }

    /// Adds `partitioned` ([CHIPS](https://developer.mozilla.org/en-US/docs/Web/Privacy/Guides/Privacy_sandbox/Partitioned_cookies)),
    /// for a site embedded in others; needs [`Sessions::https_only`].
    pub fn partitioned(mut self, on: bool) -> Self {
        self.settings.partitioned = on;
        self
    }

    /// Keeps the data in `store`; the cookie holds only a signed random id.
    pub fn store(mut self, store: impl SessionStore) -> Self {
        self.settings.store = Some(Arc::new(store));
        self
    }

    fn check(&self) -> Result<(), String> {
        let s = &self.settings;
        if s.format == Format::Native {
            if let Some(short) = s
                .secrets
                .iter()
                .find(|secret| secret.len() < MIN_SECRET_LEN)
            {
                return Err(format!(
                    "a session secret must be at least {MIN_SECRET_LEN} bytes, this one is {}; \
                     generate one with `openssl rand -base64 32` (or Python's \
                     `secrets.token_urlsafe(32)`) and load it from the environment",
                    short.len()
                ));
            }
        }
        if s.cookie_name.is_empty() || !s.cookie_name.bytes().all(is_token_byte) {
            return Err(format!(
                "cookie name {:?} is not a valid token",
                s.cookie_name
            ));
        }
        if s.path.is_empty() || !s.path.bytes().all(is_attribute_byte) {
            return Err(format!("cookie path {:?} is not valid", s.path));
        }
        if let Some(domain) = &s.domain {
            let valid = !domain.is_empty()
                && domain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !valid {
                return Err(format!(
                    "cookie domain {domain:?} may hold only letters, digits, '.', '_' and '-'"
                ));
            }
        }
        if s.max_age.is_some_and(|age| age.as_secs() == 0) {
            return Err("max_age must be at least one second (or use browser_session)".to_owned());
        }
        if s.same_site == SameSite::None && !s.https_only {
            return Err(
                "samesite=none needs https_only(true): browsers refuse it without `secure`"
                    .to_owned(),
            );
        }
        if s.partitioned && !s.https_only {
            return Err(
                "partitioned needs https_only(true): browsers refuse it without `secure`"
                    .to_owned(),
            );
        }
        Ok(())
    }

    fn config(&self) -> &Arc<Config> {
        self.config
            .get_or_init(|| Arc::new(Config::new(&self.settings)))
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_attribute_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b';'
}

impl Config {
    fn new(s: &Settings) -> Self {
        let signer = match s.format {
            Format::Native => Signer::native(&s.secrets, Purpose::Data),
            Format::Starlette => Signer::starlette(&s.secrets),
        };
        let mut flags = format!("httponly; samesite={}", s.same_site.as_str());
        if s.https_only {
            flags.push_str("; secure");
        }
        if let Some(domain) = &s.domain {
            flags.push_str("; domain=");
            flags.push_str(domain);
        }
        if s.partitioned {
            flags.push_str("; partitioned");
        }
        let attributes = match s.max_age {
            Some(age) => format!("; path={}; Max-Age={}; {flags}", s.path, age.as_secs()),
            None => format!("; path={}; {flags}", s.path),
        };
        let clear = format!(
            "{}=null; path={}; expires=Thu, 01 Jan 1970 00:00:00 GMT; {flags}",
            s.cookie_name, s.path
        );
        Config {
            format: s.format,
            signer,
            id_signer: Signer::native(&s.secrets, Purpose::Id),
            cookie_name: s.cookie_name.clone(),
            max_age: s.max_age,
            store: s.store.clone(),
            attributes,
            clear: HeaderValue::from_str(&clear).expect("validated: visible ASCII"),
        }
    }

    /// Verifies the cookie value and loads the session it names; `Err`
    /// when the store failed (the request must not go on with an empty
    /// session that would hide, or once saved replace, the real one).
    async fn load(&self, raw: Option<&[u8]>) -> Result<Loaded, StoreError> {
        let empty = Loaded {
            data: Map::new(),
            carried: false,
            id: None,
        };
        let Some(raw) = raw else { return Ok(empty) };
        match &self.store {
            None => Ok(
                match self
                    .signer
                    .unsign(raw, self.max_age)
                    .and_then(|payload| codec::decode(payload, self.format))
                {
                    Some(data) => Loaded {
                        data,
                        carried: true,
                        id: None,
                    },
                    None => empty,
                },
            ),
            Some(store) => {
                let Some(id) = self
                    .id_signer
                    .unsign(raw, self.max_age)
                    .and_then(|id| std::str::from_utf8(id).ok())
                else {
                    return Ok(empty);
                };
                Ok(match store.load(id).await? {
                    Some(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                        Ok(Value::Object(data)) => Loaded {
                            data,
                            carried: true,
                            id: Some(id.to_owned()),
                        },
                        _ => empty,
                    },
                    None => empty,
                })
            }
        }
    }

    /// The `set-cookie` value for a session holding `data`, saving it to
    /// the store first when there is one.
    async fn persist(&self, state: &State) -> Result<HeaderValue, SessionError> {
        let signed = match &self.store {
            None => {
                let payload =
                    codec::encode(&state.data, self.format).map_err(SessionError::Serialize)?;
                self.signer.sign(&payload)
            }
            Some(store) => {
                let json = serde_json::to_vec(&state.data).map_err(SessionError::Serialize)?;
                let ttl = self.max_age.unwrap_or(BROWSER_SESSION_TTL);
                let id = match (&state.id, state.regenerate) {
                    (Some(old), true) => {
                        let new = new_id();
                        store
                            .regenerate(old, &new, &json, ttl)
                            .await
                            .map_err(SessionError::Store)?;
                        new
                    }
                    (Some(id), false) => {
                        store
                            .save(id, &json, ttl)
                            .await
                            .map_err(SessionError::Store)?;
                        id.clone()
                    }
                    (None, _) => {
                        let new = new_id();
                        store
                            .save(&new, &json, ttl)
                            .await
                            .map_err(SessionError::Store)?;
                        new
                    }
                };
                self.id_signer.sign(&id)
            }
        };
        let size = self.cookie_name.len() + 1 + signed.len();
        if size > MAX_COOKIE_SIZE {
            return Err(SessionError::TooLarge {
                size,
                limit: MAX_COOKIE_SIZE,
            });
        }
        let mut header = String::with_capacity(size + self.attributes.len());
        header.push_str(&self.cookie_name);
        header.push('=');
        header.push_str(&signed);
        header.push_str(&self.attributes);
        Ok(HeaderValue::from_str(&header).expect("base64, '.' and validated attributes"))
    }

    /// Writes the outcome of the request's session into its response; an
    /// error (logged here) replaces the response.
    async fn finish(&self, cell: &Cell, response: &mut Response) -> Result<(), SessionError> {
        let state = std::mem::take(&mut *cell.state());
        if !state.accessed || is_unhandled_failure(response) {
            return Ok(());
        }
        append_vary(response.headers_mut(), &VARY_COOKIE);
        if !state.modified {
            return Ok(());
        }
        if !state.data.is_empty() {
            let cookie = self.persist(&state).await.inspect_err(|error| match error {
                SessionError::TooLarge { size, limit } => tracing::error!(
                    target: "sluice",
                    size, limit,
                    "session too large for a cookie: answering 500 instead of sending a cookie browsers drop"
                ),
                other => tracing::error!(target: "sluice", error = %other, "session could not be saved"),
            })?;
            response.headers_mut().append(SET_COOKIE, cookie);
        } else if state.carried {
            if let (Some(store), Some(id)) = (&self.store, &state.id) {
                store.delete(id).await.map_err(|e| {
                    tracing::error!(target: "sluice", error = %e, "session could not be deleted");
                    SessionError::Store(e)
                })?;
            }
            response
                .headers_mut()
                .append(SET_COOKIE, self.clear.clone());
        }
        Ok(())
    }
}

/// The answer when the session store failed (down, or slower than its
/// timeout): `503 {"detail":"Service Unavailable"}`, so clients may retry;
/// the cause is in the log.
pub(super) fn store_unavailable() -> Error {
    Error::from(HttpError::new(
        http::StatusCode::SERVICE_UNAVAILABLE,
        "Service Unavailable",
    ))
}

/// A 500 from an error no exception handler took, or a panic: Starlette
/// answers those from its outermost layer, and its session middleware never
/// sees them. An error an exception handler turned into a response (a 503,
/// say) passes through the session middleware, as in Starlette.
fn is_unhandled_failure(response: &Response) -> bool {
    response.extensions().get::<Unhandled>().is_some()
}

/// A fresh session id: 256 random bits from the operating system.
fn new_id() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of the last `name` cookie in the request, unquoted, as
/// Starlette reads cookies ([`cookies`]).
fn find_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cow<'a, [u8]>> {
    cookies(headers)
        .filter(|(key, _)| *key == name.as_bytes())
        .last()
        .map(|(_, value)| unquote_cookie(value))
}

impl Middleware for Sessions {
    async fn handle(&self, mut req: Request, next: Next) -> crate::Result<Response> {
        let config = self.config();
        let cell = Arc::new(Cell::new(config.clone()));
        req.extensions_mut().insert(Slot(cell.clone()));
        let mut response = next.run(req).await;
        config
            .finish(&cell, &mut response)
            .await
            .map_err(|error| match error {
                SessionError::Store(_) => store_unavailable(),
                other => Error::new(other),
            })?;
        Ok(response)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.check()
            .map_err(|reason| ConfigError::middleware(self.name(), reason))?;
        if self.settings.format == Format::Starlette {
            if let Some(short) = self
                .settings
                .secrets
                .iter()
                .find(|secret| secret.len() < MIN_SECRET_LEN)
            {
                tracing::warn!(
                    target: "sluice",
                    len = short.len(),
                    "a Starlette-compatible session secret is shorter than {MIN_SECRET_LEN} bytes: \
                     anyone who guesses it can forge sessions; change it on both services"
                );
            }
        }
        self.config();
        Ok(())
    }
}
