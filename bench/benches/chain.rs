//! The cost of the middleware chain itself: 0, 1, 4, 16 and 64 no-op
//! middlewares in front of a handler, one request at a time, in process (no
//! socket, no HTTP parsing), on a current-thread tokio runtime. The
//! variants are those of `sluice_bench::chain`; `bench/run` turns the
//! medians into nanoseconds per layer.
//!
//! ```text
//! cargo bench -p sluice-bench --bench chain
//! cargo bench -p sluice-bench --bench chain -- 'chain/sluice-fn'
//! ```

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use sluice_bench::chain::{Chain, SIZES, VARIANTS};

fn chain(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let mut group = c.benchmark_group("chain");
    for variant in VARIANTS {
        for n in SIZES {
            let chain = Chain::new(variant, n).expect("a known variant and size");
            group.bench_with_input(BenchmarkId::new(variant, n), &chain, |b, chain| {
                b.to_async(&rt)
                    .iter(|| async { black_box(chain.call().await) });
            });
        }
    }
    group.finish();
}

// What `criterion_group!` and `criterion_main!` expand to, written out: the
// macros make an undocumented public function, which the workspace lints flag.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    chain(&mut c);
    c.final_summary();
}
