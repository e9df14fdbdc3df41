//! [`MemoryStore`]: the counts in this process, sharded, bounded.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::quality::RandomState;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

use super::policy::Policy;
use super::store::{Decision, RateKey, RateLimitStore, StoreError};

/// How many (key, policy) pairs a [`MemoryStore`] keeps by default.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Shards: a power of two, so that six bits of a key's hash pick one. They
/// are bits 32 to 37: the shard's hash map uses the lowest bits for the
/// bucket and the top seven as a tag, and those must still vary within a
/// shard.
const SHARDS: usize = 64;
const SHARD_SHIFT: u32 = 32;

/// A shard drops its expired entries when it is used and has not done so
/// for this long (microseconds).
const SWEEP_EVERY_US: u64 = 1_000_000;

/// The rate-limit counts of this process: the default store of
/// [`RateLimit`](super::RateLimit).
///
/// - **Lock-light.** The keys are spread over 64 shards by a hash seeded at
///   random per store (foldhash), each behind its own short-held mutex; two
///   requests contend only when their keys fall in the same shard. A shard
///   never holds more than its share of the capacity, so even keys made to
///   collide cost a bounded amount of work.
/// - **Small.** An entry is two 64-bit integers: a keyed hash of the key and
///   policy (the key itself is not kept), and the time at which its quota is
///   full again (see [`RateLimitStore`]).
/// - **Bounded.** At most `capacity` entries ([`DEFAULT_CAPACITY`]: 100,000
///   (key, policy) pairs, a few MiB), however many distinct keys clients
///   send. An entry whose quota is full again carries no information and is
///   dropped by its shard within about a second of next use. When a shard is
///   full of entries still counting, it forgets the tenth of them nearest to
///   a full quota (their clients lose at most that little): clients deep in
///   their quota are the last to be forgotten.
///
/// Cloning shares the counts: give clones to several
/// [`RateLimit`](super::RateLimit)s to make them share (by policy name).
/// Time is the process's monotonic clock.
///
/// ```
/// use sluice::middleware::rate_limit::{MemoryStore, RateLimit};
///
/// let store = MemoryStore::with_capacity(10_000);
/// let limit = RateLimit::per_minute(60).store(store.clone());
/// assert!(store.is_empty());
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Box<[Padded]>,
    hasher: RandomState,
    epoch: Instant,
    capacity: usize,
    per_shard: usize,
}

/// One shard on its own cache line, so that cores working on neighbouring
/// shards do not slow each other down.
#[repr(align(64))]
struct Padded(Mutex<Shard>);

struct Shard {
    /// Keyed hash of (key, policy) -> theoretical arrival time, in
    /// microseconds since the store's epoch.
    map: HashMap<u64, u64, BuildHasherDefault<PassThrough>>,
    last_sweep_us: u64,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len())
            .field("capacity", &self.inner.capacity)
            .finish()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// A store for up to [`DEFAULT_CAPACITY`] (key, policy) pairs.
    pub fn new() -> Self {
        MemoryStore::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store for up to `capacity` (key, policy) pairs (at least 64, one
    /// per shard).
    pub fn with_capacity(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        let shards = (0..SHARDS)
            .map(|_| {
                Padded(Mutex::new(Shard {
                    map: HashMap::default(),
                    last_sweep_us: 0,
                }))
            })
            .collect();
        MemoryStore {
            inner: Arc::new(Inner {
                shards,
                hasher: RandomState::default(),
                epoch: Instant::now(),
                capacity: per_shard * SHARDS,
                per_shard,
            }),
        }
    }

    /// The most entries the store keeps.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// The entries kept now, including expired ones not yet dropped.
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| lock(shard).map.len())
            .sum()
    }

    /// Whether the store keeps no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry whose quota is full again, in every shard, now.
    /// Shards also do this by themselves when they are used; call it from a
    /// periodic task to give memory back after a burst of keys on an app
    /// that then falls quiet.
    pub fn remove_expired(&self) {
        let now = self.now_us();
        for shard in self.inner.shards.iter() {
            lock(shard).sweep(now);
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.inner.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The decision, synchronously: everything happens under one shard's
    /// lock.
    pub(crate) fn decide(&self, key: &RateKey<'_>, policies: &[Policy]) -> Decision {
        let hash = self.inner.hasher.hash_one(key);
        let index = (hash >> SHARD_SHIFT) as usize & (SHARDS - 1);
        let now = self.now_us();
        let mut shard = lock(&self.inner.shards[index]);
        if now.saturating_sub(shard.last_sweep_us) >= SWEEP_EVERY_US {
            shard.sweep(now);
        }
        let per_shard = self.inner.per_shard;
        if let [policy] = policies {
            // The common case: one policy, one lookup.
            let entry = hash ^ policy.id;
            return match shard.map.get_mut(&entry) {
                Some(tat) => {
                    let start = (*tat).max(now);
                    if policy.admits(start, now) {
                        *tat = start + policy.interval_us;
                        single(true, *tat - now)
                    } else {
                        single(false, start - now)
                    }
                }
                None => {
                    shard.insert(entry, now + policy.interval_us, now, per_shard);
                    single(true, policy.interval_us)
                }
            };
        }
        let mut starts = [0u64; super::policy::MAX_POLICIES];
        let mut admitted = true;
        for (i, policy) in policies.iter().enumerate() {
            let tat = shard.map.get(&(hash ^ policy.id)).copied().unwrap_or(0);
            starts[i] = tat.max(now);
            admitted &= policy.admits(starts[i], now);
        }
        let mut decision = Decision::empty(admitted);
        for (i, policy) in policies.iter().enumerate() {
            if admitted {
                let tat = starts[i] + policy.interval_us;
                shard.insert(hash ^ policy.id, tat, now, per_shard);
                decision.push(tat - now);
            } else {
                decision.push(starts[i] - now);
            }
        }
        decision
    }
}

fn single(admitted: bool, reset_after_us: u64) -> Decision {
    let mut decision = Decision::empty(admitted);
    decision.push(reset_after_us);
    decision
}

fn lock(shard: &Padded) -> std::sync::MutexGuard<'_, Shard> {
    // Nothing under the lock can panic halfway through an update; a
    // poisoned shard is as good as any.
    shard.0.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shard {
    /// Drops the entries whose quota is full again.
    fn sweep(&mut self, now: u64) {
        self.last_sweep_us = now;
        let expired = self.map.values().filter(|&&tat| tat <= now).count();
        if expired > 0 {
            let capacity = self.map.len() - expired;
            self.rebuild(capacity, |tat| tat > now);
        }
    }

    fn insert(&mut self, entry: u64, tat: u64, now: u64, per_shard: usize) {
        if self.map.len() >= per_shard && !self.map.contains_key(&entry) {
            self.make_room(now, per_shard);
        }
        self.map.insert(entry, tat);
    }

    /// Drops the expired entries and, if the shard is still more than 90%
    /// full, the entries nearest to a full quota down to 90%: one pass over
    /// the shard for every tenth of it inserted, so O(1) per insert.
    fn make_room(&mut self, now: u64, per_shard: usize) {
        let target = per_shard - (per_shard / 10).max(1);
        let mut tats: Vec<u64> = self
            .map
            .values()
            .copied()
            .filter(|&tat| tat > now)
            .collect();
        if tats.len() <= target {
            self.last_sweep_us = now;
            self.rebuild(per_shard, |tat| tat > now);
            return;
        }
        let excess = tats.len() - target;
        let (_, &mut threshold, _) = tats.select_nth_unstable(excess - 1);
        let below = tats.iter().filter(|&&tat| tat < threshold).count();
        // Everything before the threshold goes, and as many at it as needed.
        let mut at_threshold = excess - below;
        self.last_sweep_us = now;
        self.rebuild(per_shard, |tat| {
            if tat <= now || tat < threshold {
                false
            } else if tat == threshold && at_threshold > 0 {
                at_threshold -= 1;
                false
            } else {
                true
            }
        });
    }

    /// Keeps the entries `keep` wants, in a new table sized for `capacity`:
    /// removing from a hash map in place leaves tombstones that later make
    /// it grow, so a shard is rebuilt instead, and memory follows the
    /// entries kept (down after a burst, never past the shard's capacity).
    fn rebuild(&mut self, capacity: usize, mut keep: impl FnMut(u64) -> bool) {
        let old = std::mem::take(&mut self.map);
        let mut map = HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default());
        map.extend(old.into_iter().filter(|&(_, tat)| keep(tat)));
        self.map = map;
    }
}

impl RateLimitStore for MemoryStore {
    fn check(
        &self,
        key: &RateKey<'_>,
        policies: &[Policy],
    ) -> impl std::future::Future<Output = Result<Decision, StoreError>> + Send {
        std::future::ready(Ok(self.decide(key, policies)))
    }

    fn check_now(
        &self,
        key: &RateKey<'_>,
        policies: &[Policy],
    ) -> Option<Result<Decision, StoreError>> {
        Some(Ok(self.decide(key, policies)))
    }
}

/// The map's keys are already keyed hashes: hashing them again would only
/// cost time.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; fold anything else in, just in case.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
