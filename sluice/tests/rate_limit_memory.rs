//! `MemoryStore` under key spraying: a million distinct keys do not grow
//! memory without bound. One test in a binary of its own, so that the
//! resident-set figures are this test's alone (`rate_limit.rs` has the
//! tests of expiry and eviction).

use std::net::{IpAddr, Ipv4Addr};

use sluice::middleware::rate_limit::{MemoryStore, Policy, RateKey, RateLimitStore};

/// This process's resident set, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn ip(i: u32) -> RateKey<'static> {
    RateKey::Ip(IpAddr::V4(Ipv4Addr::from(i)))
}

async fn spray(store: &MemoryStore, policies: &[Policy], keys: std::ops::Range<u32>) {
    for i in keys {
        let decision = store
            .check(&ip(i), policies)
            .await
            .expect("memory never fails");
        assert!(decision.is_admitted());
    }
}

#[tokio::test]
async fn a_million_distinct_keys_keep_memory_bounded() {
    let store = MemoryStore::new();
    let policies = [Policy::per_minute(10)];
    // Fill the store (its 100,000 entries) and warm up the allocator.
    spray(&store, &policies, 0..300_000).await;
    let full = rss_kib();
    assert_eq!(store.capacity(), 100_032);

    spray(&store, &policies, 300_000..1_300_000).await;
    let after = rss_kib();
    assert!(store.len() <= store.capacity(), "{} entries", store.len());

    // Kept unbounded, a million more (hash, time) pairs in a hash map would
    // take more than 16 MiB; bounded, they take nothing more.
    let growth = after.saturating_sub(full);
    eprintln!(
        "RSS: {full} KiB with the store full, +{growth} KiB after a million more distinct \
         keys; {} entries kept",
        store.len()
    );
    assert!(growth < 2 * 1024, "grew {growth} KiB with a million keys");
}
