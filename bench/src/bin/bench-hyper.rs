//! `bench-hyper perf-bare [--host H] [--port N]`: `GET /hello` served by
//! plain hyper 1.x, the ceiling of the throughput table.

use std::process::ExitCode;

use sluice_bench::{cli, hyper_app};

fn main() -> ExitCode {
    cli::run("bench-hyper", hyper_app::NAMES, |_, listener| {
        hyper_app::serve(listener)
    })
}
