//! `bench-sluice <scenario> [--host H] [--port N]`: the workloads whose
//! sluice side is not a conformance scenario: `static-4k` and `static-1m`,
//! sluice's `StaticFiles` at `/static` over the directory named by
//! `SLUICE_BENCH_STATIC_DIR` (see `sluice_bench::static_files`).

use std::process::ExitCode;

use sluice_bench::{cli, static_files};

fn main() -> ExitCode {
    cli::run(
        "bench-sluice",
        static_files::NAMES,
        |_scenario, listener| async move {
            let app = static_files::sluice_app(&static_files::dir()?);
            sluice::Server::from_listener(listener)
                .map_err(std::io::Error::other)?
                .with_shutdown_signal(cli::shutdown_signal())
                .serve(app)
                .await
                .map_err(std::io::Error::other)
        },
    )
}
