//! Parsing and deserializing query strings into a struct, from a typical
//! three-key query to hostile ones of many distinct keys (which a linear
//! search would make quadratic).
//!
//! Run with `cargo bench -p sluice --bench query`. For a stable instruction
//! count, parse one query of N ignored keys (plus the 3 the struct reads)
//! once under callgrind (N = 0 is the 3-key query):
//!
//! ```text
//! cargo bench -p sluice --bench query --no-run
//! QUERY_BENCH_ONCE=50000 valgrind --tool=callgrind --toggle-collect='query::parse' \
//!     target/release/deps/query-<hash>
//! ```
//!
//! `QUERY_BENCH_ONCE=reject` (with `--toggle-collect='query::reject'`)
//! counts one query that is refused instead: a bad and a missing
//! parameter, listed as FastAPI's 422 lists them, after a first refusal
//! (what a client who keeps sending bad queries costs).
//!
//! `QUERY_BENCH_ONCE=repeats` (with `--toggle-collect='query::reject_strict'`)
//! counts the hostile refusal: 15,000 values of one unknown name (60 KB)
//! sent to a model that forbids others and misses a field. The 422 holds
//! the values twice, as FastAPI's does: as the unknown name's input, and
//! in the model's input of the `missing` issue.

#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use schemars::JsonSchema;
use serde::Deserialize;
use sluice::extract::Query;

#[derive(Deserialize, JsonSchema)]
struct Filter {
    q: Option<String>,
    limit: u32,
    #[serde(default)]
    tags: Vec<String>,
}

/// `n` distinct keys the struct ignores, then the ones it reads.
fn many_keys(n: usize) -> String {
    let mut query = String::new();
    for i in 0..n {
        write!(query, "k{i}=v&").expect("writing to a String");
    }
    query.push_str("q=rust&limit=10&tags=a");
    query
}

#[inline(never)]
fn parse(query: &str) -> usize {
    let Query(filter) = Query::<Filter>::from_query_str(query).expect("a valid query");
    filter.limit as usize + filter.tags.len() + filter.q.map_or(0, |q| q.len())
}

/// Reads `query` as a `T`, making the 422's list of issues when it is
/// refused; 1 when refused.
fn refused<T: serde::de::DeserializeOwned + JsonSchema + 'static>(query: &str) -> usize {
    match Query::<T>::from_query_str(query) {
        Ok(_) => 0,
        Err(error) => {
            black_box(&error);
            1
        }
    }
}

/// Reads a query the struct refuses (`REFUSED`: a bad `limit`); a function
/// of its own, for callgrind to count by name.
#[inline(never)]
fn reject(query: &str) -> usize {
    refused::<Filter>(query)
}

const REFUSED: &str = "q=rust&limit=x";

/// A parameter model (`extra="forbid"`) that the hostile query refuses.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Strict {
    skip: i64,
    limit: i64,
}

/// `skip=1`, then `n` values of one name `Strict` does not know.
fn repeated_unknown(n: usize) -> String {
    let mut query = String::from("skip=1");
    for _ in 0..n {
        query.push_str("&a=1");
    }
    query
}

/// Reads a query `Strict` refuses; a function of its own, for callgrind
/// to count by name.
#[inline(never)]
fn reject_strict(query: &str) -> usize {
    refused::<Strict>(query)
}

/// Runs the allocator's first-use set-up outside the parse that is counted.
#[inline(never)]
fn warm_up() {
    let query = many_keys(20);
    black_box(Query::<Filter>::from_query_str(black_box(&query)).is_ok());
    // Not through `reject`, whose calls callgrind counts.
    black_box(Query::<Filter>::from_query_str(black_box(REFUSED)).is_err());
    let strict = repeated_unknown(2);
    black_box(Query::<Strict>::from_query_str(black_box(&strict)).is_err());
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("query");
    let small = many_keys(0);
    group.throughput(Throughput::Elements(3));
    group.bench_function("3 keys", |b| b.iter(|| parse(black_box(&small))));
    group.bench_function("refused", |b| b.iter(|| reject(black_box(REFUSED))));
    let hostile = repeated_unknown(15_000);
    group.bench_function("refused, 15,000 repeated unknown values", |b| {
        b.iter(|| reject_strict(black_box(&hostile)))
    });
    for n in [1_000, 10_000, 50_000] {
        let query = many_keys(n);
        group.throughput(Throughput::Elements(n as u64 + 3));
        group.bench_with_input(BenchmarkId::new("distinct keys", n), &query, |b, q| {
            b.iter(|| parse(black_box(q)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}

fn main() {
    // One parse and nothing else, for callgrind.
    if let Ok(n) = std::env::var("QUERY_BENCH_ONCE") {
        if n == "reject" {
            warm_up();
            black_box(reject(black_box(REFUSED)));
            return;
        }
        if n == "repeats" {
            let query = repeated_unknown(15_000);
            warm_up();
            black_box(reject_strict(black_box(&query)));
            return;
        }
        let n = n
            .parse()
            .expect("QUERY_BENCH_ONCE is a number of keys, `reject` or `repeats`");
        let query = many_keys(n);
        warm_up();
        black_box(parse(black_box(&query)));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
