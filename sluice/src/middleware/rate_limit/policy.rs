//! [`Policy`]: a quota per window, and the GCRA arithmetic every store
//! shares.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The most policies one [`RateLimit`](super::RateLimit) may apply at once.
pub const MAX_POLICIES: usize = 8;

const MICROS: u64 = 1_000_000;

/// A quota of requests per window, with a name: `"default"` at 100 per 60
/// seconds is `Policy::per_minute(100)`.
///
/// The algorithm is GCRA (the generic cell rate algorithm, as in redis-cell
/// and go-redis/redis_rate): a client that has been idle for a window may
/// send `quota` requests at once; after that, one more request is admitted
/// every `window / quota` (the *interval*). See
/// [the module docs](super#what-a-client-gets) for exactly what that allows
/// in any span of time.
///
/// The window is a whole number of seconds, at least one, because the
/// `RateLimit-Policy` field states it in seconds; the interval is at least a
/// microsecond (at most a million requests per second).
#[derive(Clone)]
#[must_use]
pub struct Policy {
    name: Arc<str>,
    quota: u32,
    window: Duration,
    /// `window / quota`, in microseconds: the cost of one request.
    pub(crate) interval_us: u64,
    /// `quota * interval_us`: how far ahead of now a client's theoretical
    /// arrival time may run. Equal to the window, less the remainder of the
    /// division.
    pub(crate) capacity_us: u64,
    /// A fixed hash of the name, to keep policies apart in the memory store.
    pub(crate) id: u64,
    invalid: Option<String>,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("name", &&*self.name)
            .field("quota", &self.quota)
            .field("window", &self.window)
            .finish()
    }
}

impl Policy {
    /// `quota` requests per `window`, named `"default"`.
    ///
    /// A quota of zero, a window that is not a whole number of seconds, or
    /// more than a million requests per second is reported when the app is
    /// built.
    pub fn new(quota: u32, window: Duration) -> Self {
        let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX);
        let interval_us = window_us.checked_div(u64::from(quota)).unwrap_or(0);
        let invalid = if quota == 0 {
            Some("a quota of 0 admits nothing; use a quota of at least 1".to_owned())
        } else if window.subsec_nanos() != 0 || window.as_secs() == 0 {
            Some(format!(
                "the window {window:?} is not a whole number of seconds (at least 1), \
                 which RateLimit-Policy needs"
            ))
        } else if interval_us == 0 {
            Some(format!(
                "{quota} requests per {window:?} is more than one per microsecond"
            ))
        } else {
            None
        };
        let mut policy = Policy {
            name: Arc::from("default"),
            quota,
            window,
            interval_us,
            capacity_us: interval_us.saturating_mul(u64::from(quota)),
            id: 0,
            invalid,
        };
        policy.id = name_id(&policy.name);
        policy
    }

    /// `quota` requests per second.
    pub fn per_second(quota: u32) -> Self {
        Policy::new(quota, Duration::from_secs(1))
    }

    /// `quota` requests per minute.
    pub fn per_minute(quota: u32) -> Self {
        Policy::new(quota, Duration::from_secs(60))
    }

    /// `quota` requests per hour.
    pub fn per_hour(quota: u32) -> Self {
        Policy::new(quota, Duration::from_secs(3600))
    }

    /// `quota` requests per day (86,400 seconds).
    pub fn per_day(quota: u32) -> Self {
        Policy::new(quota, Duration::from_secs(86_400))
    }

    /// Names the policy (default `"default"`): the name is sent in the
    /// `RateLimit-Policy` and `RateLimit` fields and is part of the key under
    /// which a store keeps the counts. One to 64 characters out of
    /// `A-Z a-z 0-9 _ - .`; anything else is reported when the app is built.
    pub fn named(mut self, name: &str) -> Self {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !valid && self.invalid.is_none() {
            self.invalid = Some(format!(
                "the policy name {name:?} must be 1 to 64 characters of A-Z a-z 0-9 _ - ."
            ));
        }
        self.name = Arc::from(name);
        self.id = name_id(name);
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The quota: requests admitted at once after a quiet window.
    pub fn quota(&self) -> u32 {
        self.quota
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// `window / quota`: after the first `quota` requests, one more is
    /// admitted every interval.
    pub fn interval(&self) -> Duration {
        Duration::from_micros(self.interval_us)
    }

    pub(crate) fn invalid(&self) -> Option<&str> {
        self.invalid.as_deref()
    }

    /// Whether a request at `now` is admitted when the client's theoretical
    /// arrival time is `tat` (both in microseconds of one clock; a `tat` in
    /// the past, or 0 for a client never seen, means a full quota).
    pub(crate) fn admits(&self, tat: u64, now: u64) -> bool {
        tat.max(now) + self.interval_us - now <= self.capacity_us
    }

    /// Requests that would still be admitted right now, one after the
    /// other, given `reset_after` (the time until the quota is full again).
    pub(crate) fn remaining(&self, reset_after_us: u64) -> u64 {
        self.capacity_us.saturating_sub(reset_after_us) / self.interval_us
    }

    /// How long until the next request is admitted (0: now).
    pub(crate) fn wait_us(&self, reset_after_us: u64) -> u64 {
        (reset_after_us + self.interval_us).saturating_sub(self.capacity_us)
    }
}

/// Whole seconds, rounded up: a client that waits this long is never early.
pub(crate) fn ceil_secs(us: u64) -> u64 {
    us.div_ceil(MICROS)
}

/// FNV-1a of the name, spread over 64 bits: stable, and different for
/// different names (the memory store mixes it with a keyed hash of the
/// client, so nobody outside can aim at a collision).
fn name_id(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_client_gets_the_quota_at_once_then_one_per_interval() {
        let p = Policy::per_minute(5);
        assert_eq!(p.interval_us, 12 * MICROS);
        let now = 1_000 * MICROS;
        let mut tat = 0;
        for expected_remaining in [4, 3, 2, 1, 0] {
            assert!(p.admits(tat, now));
            tat = tat.max(now) + p.interval_us;
            assert_eq!(p.remaining(tat - now), expected_remaining);
        }
        assert!(!p.admits(tat, now), "the 6th at once is refused");
        assert_eq!(p.wait_us(tat - now), 12 * MICROS);
        assert!(!p.admits(tat, now + 12 * MICROS - 1));
        assert!(p.admits(tat, now + 12 * MICROS));
    }

    #[test]
    fn uneven_divisions_never_admit_more_than_the_quota_at_once() {
        let p = Policy::new(7, Duration::from_secs(60));
        let now = 5 * MICROS;
        let mut tat = 0;
        let mut admitted = 0;
        while p.admits(tat, now) {
            tat = tat.max(now) + p.interval_us;
            admitted += 1;
        }
        assert_eq!(admitted, 7);
        assert!(ceil_secs(tat - now) <= 60);
    }

    #[test]
    fn settings_that_cannot_work_are_reported() {
        assert!(Policy::per_minute(0).invalid().is_some());
        assert!(Policy::new(1, Duration::from_millis(1500))
            .invalid()
            .is_some());
        assert!(Policy::per_second(2_000_000).invalid().is_some());
        assert!(Policy::per_second(1_000_000).invalid().is_none());
        assert!(Policy::per_minute(5).named("bad name").invalid().is_some());
        assert!(Policy::per_minute(5).named("").invalid().is_some());
        assert!(Policy::per_minute(5)
            .named("api.v1-burst_2")
            .invalid()
            .is_none());
    }
}
