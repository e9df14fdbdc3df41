//! `bench-chain <variant> <layers> <requests>`: sends `requests` requests,
//! one after another, through a chain of `layers` no-op middlewares (see
//! `sluice_bench::chain`) and exits. `bench/run` runs it under callgrind
//! to count the instructions one middleware layer costs.

use std::process::ExitCode;

use sluice_bench::chain::{Chain, VARIANTS};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [variant, layers, requests] => layers
            .parse::<usize>()
            .ok()
            .zip(requests.parse::<u64>().ok())
            .and_then(|(layers, requests)| Some((Chain::new(variant, layers)?, requests))),
        _ => None,
    };
    let Some((chain, requests)) = parsed else {
        eprintln!(
            "usage: bench-chain <variant> <layers> <requests>; variants: {}",
            VARIANTS.join(", ")
        );
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench-chain: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ok = runtime.block_on(async {
        let mut ok = 0;
        for _ in 0..requests {
            ok += u64::from(chain.call().await == 200);
        }
        ok
    });
    if ok == requests {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "bench-chain: {} of {requests} requests failed",
            requests - ok
        );
        ExitCode::FAILURE
    }
}
