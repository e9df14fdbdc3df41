//! `bench-axum <scenario> [--host H] [--port N]`: the benchmark scenarios
//! (`perf-bare`, `perf-stack`, `gzip`, and the observability workloads
//! `perf-metrics`, `perf-tracing`, `perf-tracing-off` of
//! [`observe`]) served by axum 0.8 with tower-http
//! 0.7, the way an axum user serves an app (`axum::serve`, which speaks
//! HTTP/1.1 and HTTP/2 as sluice's server does; `TCP_NODELAY` on, as
//! sluice sets it).

use std::process::ExitCode;

use axum::serve::ListenerExt;
use sluice_bench::{axum_apps, cli, observe};

fn main() -> ExitCode {
    let names: Vec<&str> = axum_apps::NAMES
        .iter()
        .chain(observe::NAMES)
        .copied()
        .collect();
    cli::run_with(
        "bench-axum",
        &names,
        |scenario| observe::sample_ratio(scenario).is_some(),
        |scenario, listener| async move {
            let exporter = observe::axum_subscriber(&scenario).map_err(std::io::Error::other)?;
            let app = match axum_apps::app(&scenario) {
                Some(app) => app,
                None => observe::axum_app(&scenario).expect("cli::run checked the scenario name"),
            };
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(cli::shutdown_signal())
                .await?;
            if let Some(exporter) = exporter {
                let _ = exporter.shutdown().await;
            }
            Ok(())
        },
    )
}
