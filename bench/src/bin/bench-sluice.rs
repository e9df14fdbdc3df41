//! `bench-sluice <workload> [--host H] [--port N]`: sluice's observability
//! workloads (`perf-metrics`, `perf-tracing`, `perf-tracing-off`; see
//! [`observe`]) and `otlp-sink`, the collector they
//! export to, served the way `conformance-app` serves the others. The
//! tracing workloads export to `OTEL_EXPORTER_OTLP_ENDPOINT`.

use std::process::ExitCode;

use sluice_bench::{cli, observe};

fn main() -> ExitCode {
    let names: Vec<&str> = observe::NAMES
        .iter()
        .copied()
        .chain(["otlp-sink"])
        .collect();
    cli::run("bench-sluice", &names, |scenario, listener| async move {
        let app = if scenario == "otlp-sink" {
            observe::otlp_sink()
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
