//! `bench-sluice <workload> [--host H] [--port N]`: the workloads whose
//! sluice side is not a conformance scenario, served the way
//! `conformance-app` serves the others:
//! - the observability workloads (`perf-metrics`, `perf-tracing`,
//!   `perf-tracing-off`; see [`observe`]) and `otlp-sink`, the collector
//!   they export to (the tracing workloads export to
//!   `OTEL_EXPORTER_OTLP_ENDPOINT`);
//! - `static-4k` and `static-1m`, sluice's `StaticFiles` at `/static` over
//!   the directory named by `SLUICE_BENCH_STATIC_DIR` (see
//!   [`static_files`]).

use std::process::ExitCode;

use sluice_bench::{cli, observe, static_files};

fn main() -> ExitCode {
    let names: Vec<&str> = observe::NAMES
        .iter()
        .chain(static_files::NAMES)
        .copied()
        .chain(["otlp-sink"])
        .collect();
    cli::run("bench-sluice", &names, |scenario, listener| async move {
        let app = if scenario == "otlp-sink" {
            observe::otlp_sink()
        } else if static_files::NAMES.contains(&scenario.as_str()) {
            static_files::sluice_app(&static_files::dir()?)
        } else {
            let tracing = observe::sluice_tracing(&scenario).map_err(std::io::Error::other)?;
            observe::sluice_app(&scenario, tracing).expect("cli::run checked the scenario name")
        };
        sluice::Server::from_listener(listener)
            .map_err(std::io::Error::other)?
            .with_shutdown_signal(cli::shutdown_signal())
            .serve(app)
            .await
            .map_err(std::io::Error::other)
    })
}
