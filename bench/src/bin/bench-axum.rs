//! `bench-axum <scenario> [--host H] [--port N]`: the benchmark scenarios
//! (`perf-bare`, `perf-stack`, `gzip`, `static-4k`, `static-1m`) served by axum 0.8 with tower-http
//! 0.7, the way an axum user serves an app (`axum::serve`, which speaks
//! HTTP/1.1 and HTTP/2 as sluice's server does; `TCP_NODELAY` on, as
//! sluice sets it).

use std::process::ExitCode;

use axum::serve::ListenerExt;
use sluice_bench::{axum_apps, cli};

fn main() -> ExitCode {
    cli::run(
        "bench-axum",
        axum_apps::NAMES,
        |scenario, listener| async move {
            let app = axum_apps::app(&scenario)?.expect("cli::run checked the scenario name");
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(cli::shutdown_signal())
                .await
        },
    )
}
