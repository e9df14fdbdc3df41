//! The [`RateLimitStore`] trait: where the counts live.

use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::time::Duration;

use super::policy::{Policy, MAX_POLICIES};
use crate::error::ConfigError;

/// Where a [`RateLimit`](super::RateLimit) keeps its counts:
/// [`MemoryStore`](super::MemoryStore) (the default, one process) or
/// `RedisStore` (feature `redis`: shared by every instance).
///
/// One method, one decision: for `key`, apply every policy of `policies`
/// at once with GCRA. The request is admitted only if every policy admits
/// it, and only then is each policy's state advanced by one interval (a
/// refused request costs nothing). This must be atomic per key: two
/// concurrent checks must not both take the last unit of a quota.
///
/// The state of a key under a policy is its *theoretical arrival time*
/// (TAT): the time at which the key's quota is full again. A key never seen,
/// or whose TAT has passed, has a full quota. A request at time `now` is
/// admitted when `max(TAT, now) + interval - now <= quota * interval`, and
/// then TAT becomes `max(TAT, now) + interval`. The store reports, for each
/// policy, `TAT - now` after the decision ([`Decision::new`]); the
/// middleware derives the header fields from it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a rate-limit store",
    label = "`RateLimit::store` takes a `RateLimitStore`",
    note = "sluice has `MemoryStore` (the default) and `RedisStore`"
)]
pub trait RateLimitStore: Send + Sync + 'static {
    /// Decides one request of `key` under all of `policies` (at most
    /// [`MAX_POLICIES`], in the order given) and updates the state if it is
    /// admitted.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] when the store cannot decide (its backend is
    /// unreachable or too slow): the middleware then lets the request
    /// through or refuses it, as configured.
    fn check(
        &self,
        key: &RateKey<'_>,
        policies: &[Policy],
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send;

    /// Decides at once, for a store that never waits (one in memory): the
    /// middleware tries this first, and runs no future when it answers.
    /// `None`, the default, means "ask [`RateLimitStore::check`]". A store
    /// that answers here must answer the same in `check`.
    fn check_now(
        &self,
        key: &RateKey<'_>,
        policies: &[Policy],
    ) -> Option<Result<Decision, StoreError>> {
        let _ = (key, policies);
        None
    }

    /// Checks the store's settings when the app is built (default: nothing
    /// to check).
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] saying what is wrong.
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// Who a request is counted against: what the [`Key`](super::Key) of a
/// [`RateLimit`](super::RateLimit) found in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateKey<'a> {
    /// A client address.
    Ip(IpAddr),
    /// A text key: an API key, a user id, what a closure returned.
    Text(&'a str),
    /// The one key shared by every request whose key could not be found
    /// (see [`MissingKey::Shared`](super::MissingKey::Shared)).
    Shared,
}

impl Hash for RateKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Cheaper than the derived hash (an IPv4 address and its tag are one
        // integer); the tags keep the kinds apart.
        match self {
            RateKey::Ip(IpAddr::V4(ip)) => state.write_u64((4 << 32) | u64::from(ip.to_bits())),
            RateKey::Ip(IpAddr::V6(ip)) => {
                state.write_u8(6);
                state.write_u128(ip.to_bits());
            }
            RateKey::Text(text) => {
                state.write_u8(0xff);
                state.write(text.as_bytes());
            }
            RateKey::Shared => state.write_u8(0xfe),
        }
    }
}

impl fmt::Display for RateKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateKey::Ip(ip) => write!(f, "{ip}"),
            RateKey::Text(text) => f.write_str(text),
            RateKey::Shared => f.write_str("(shared)"),
        }
    }
}

/// A store's answer: admitted or not, and, per policy, the time until the
/// key's quota is full again.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    admitted: bool,
    len: u8,
    /// `TAT - now` after the decision, per policy, in microseconds.
    reset_after_us: [u64; MAX_POLICIES],
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decision")
            .field("admitted", &self.admitted)
            .field("reset_after_us", &self.reset_after_us())
            .finish()
    }
}

impl Decision {
    /// A decision: whether the request is admitted and, for each policy in
    /// the order they were given, `TAT - now` after the decision (zero for a
    /// key with a full quota). Entries past [`MAX_POLICIES`] are ignored.
    pub fn new(admitted: bool, reset_after: impl IntoIterator<Item = Duration>) -> Self {
        let mut decision = Decision::empty(admitted);
        for d in reset_after.into_iter().take(MAX_POLICIES) {
            decision.push(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        }
        decision
    }

    pub(crate) fn empty(admitted: bool) -> Self {
        Decision {
            admitted,
            len: 0,
            reset_after_us: [0; MAX_POLICIES],
        }
    }

    pub(crate) fn push(&mut self, reset_after_us: u64) {
        if usize::from(self.len) < MAX_POLICIES {
            self.reset_after_us[usize::from(self.len)] = reset_after_us;
            self.len += 1;
        }
    }

    /// Whether the request is admitted.
    pub fn is_admitted(&self) -> bool {
        self.admitted
    }

    /// Per policy, the time until the key's quota is full again.
    pub fn reset_after(&self) -> impl ExactSizeIterator<Item = Duration> + '_ {
        self.reset_after_us()
            .iter()
            .map(|&us| Duration::from_micros(us))
    }

    pub(crate) fn reset_after_us(&self) -> &[u64] {
        &self.reset_after_us[..usize::from(self.len)]
    }
}

/// A store could not decide.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What kind of failure a [`StoreError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store did not answer within its timeout.
    Timeout,
    /// The store could not be reached, or answered with an error.
    Unavailable,
}

impl StoreError {
    /// The store did not answer in time.
    pub fn timeout(message: impl Into<String>) -> Self {
        StoreError {
            kind: StoreErrorKind::Timeout,
            message: message.into(),
            source: None,
        }
    }

    /// The store could not be reached or failed; `source` says why.
    pub fn unavailable(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError {
            kind: StoreErrorKind::Unavailable,
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
