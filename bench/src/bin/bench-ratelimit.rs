//! `bench-ratelimit <perf-bare|memory|redis> [--host H] [--port N]`:
//! `GET /hello` bare, behind `RateLimit` in memory, or behind `RateLimit`
//! on the Redis at `$SLUICE_BENCH_REDIS` (the `rate-limit` part of
//! `bench/run`).
//!
//! `bench-ratelimit --script` prints the store's Lua script;
//! `bench-ratelimit --evalsha` prints, one per line, the arguments of the
//! `EVALSHA` call one request makes (for `redis-benchmark`).

use std::process::ExitCode;

use sluice::middleware::rate_limit::RedisStore;
use sluice_bench::{cli, rate_limit};

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("--script") => {
            print!("{}", RedisStore::SCRIPT);
            return ExitCode::SUCCESS;
        }
        Some("--evalsha") => {
            return match RedisStore::open("redis://127.0.0.1:6379/0") {
                Ok(store) => {
                    for arg in rate_limit::evalsha_args(&store) {
                        println!("{arg}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("bench-ratelimit: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    cli::run(
        "bench-ratelimit",
        rate_limit::NAMES,
        |variant, listener| async move {
            let url = std::env::var(rate_limit::REDIS_URL_VAR).ok();
            let app = rate_limit::app(&variant, url.as_deref()).map_err(std::io::Error::other)?;
            sluice::Server::from_listener(listener)
                .map_err(std::io::Error::other)?
                .with_shutdown_signal(cli::shutdown_signal())
                .serve(app)
                .await
                .map_err(std::io::Error::other)
        },
    )
}
