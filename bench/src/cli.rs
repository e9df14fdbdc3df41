//! The command-line contract of every benchmark server, the same as
//! `conformance-app`'s.
//!
//! ```text
//! bench-axum <scenario> [--host 127.0.0.1] [--port 8000]
//! ```
//!
//! The server prints `listening on http://HOST:PORT` once it accepts
//! connections, serves until SIGINT or SIGTERM, and exits 0; an unknown
//! scenario or a bad flag prints one line to stderr and exits 2.
//!
//! Every server runs the same way as `conformance-app`, so that only the
//! framework differs: tokio's multi-threaded runtime with its default
//! number of workers (one per CPU the process may run on: the benchmark
//! pins servers to one core, so one worker), and a `tracing` subscriber
//! that writes warnings and errors to stderr (`RUST_LOG` overrides it).
//!
//! ```
//! let args = sluice_bench::cli::parse_args(
//!     ["perf-bare", "--port", "0"].map(String::from).into_iter(),
//! )
//! .unwrap();
//! assert_eq!((args.scenario.as_str(), args.port), ("perf-bare", 0));
//! ```

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use tokio::net::TcpListener;

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// The scenario to serve.
    pub scenario: String,
    /// The address to listen on (`127.0.0.1` by default).
    pub host: String,
    /// The port (8000 by default; 0 picks a free one).
    pub port: u16,
}

/// Parses `<scenario> [--host HOST] [--port PORT]` (without the program
/// name).
///
/// # Errors
///
/// A one-line message for a missing scenario, an unknown flag or a bad
/// port.
pub fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut scenario = None;
    let mut host = "127.0.0.1".to_owned();
    let mut port = 8000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--host" => host = args.next().ok_or("--host needs a value")?,
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| {
                    format!("--port must be a number from 0 to 65535, got {value:?}")
                })?;
            }
            flag if flag.starts_with('-') => return Err(format!("unknown flag {flag:?}")),
            name if scenario.is_none() => scenario = Some(name.to_owned()),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    let scenario = scenario.ok_or("usage: <scenario> [--host HOST] [--port PORT]")?;
    Ok(Args {
        scenario,
        host,
        port,
    })
}

/// The whole `main` of a benchmark server: parses the command line, checks
/// the scenario against `names`, starts the runtime, binds, prints the
/// `listening on` line and runs `serve` on the listener until it returns.
///
/// `serve` must return when [`shutdown_signal`] completes.
pub fn run<F, Fut>(program: &str, names: &[&str], serve: F) -> ExitCode
where
    F: FnOnce(String, TcpListener) -> Fut,
    Fut: Future<Output = std::io::Result<()>>,
{
    run_with(program, names, |_| false, serve)
}

/// [`run`], except that the scenarios for which `own_subscriber` says
/// `true` get no `tracing` subscriber: `serve` installs its own (e.g. with
/// tracing-opentelemetry).
pub fn run_with<F, Fut>(
    program: &str,
    names: &[&str],
    own_subscriber: impl Fn(&str) -> bool,
    serve: F,
) -> ExitCode
where
    F: FnOnce(String, TcpListener) -> Fut,
    Fut: Future<Output = std::io::Result<()>>,
{
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{program}: {message}; scenarios: {}", names.join(", "));
            return ExitCode::from(2);
        }
    };
    if !names.contains(&args.scenario.as_str()) {
        eprintln!(
            "{program}: unknown scenario {:?}; known: {}",
            args.scenario,
            names.join(", ")
        );
        return ExitCode::from(2);
    }
    if !own_subscriber(&args.scenario) {
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            )
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{program}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::bind((args.host.as_str(), args.port)).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!(
                    "{program}: cannot listen on {}:{}: {e}",
                    args.host, args.port
                );
                return ExitCode::FAILURE;
            }
        };
        let port = listener.local_addr().map_or(args.port, |a| a.port());
        println!("listening on http://{}:{port}", args.host);
        let _ = std::io::stdout().flush();
        match serve(args.scenario, listener).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{program}: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn parse(args: &[&str]) -> Result<super::Args, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_to_localhost_8000() {
        let args = parse(&["perf-stack"]).unwrap();
        assert_eq!((args.host.as_str(), args.port), ("127.0.0.1", 8000));
    }

    #[test]
    fn refuses_bad_flags_and_ports() {
        assert!(parse(&["perf-bare", "--verbose"]).is_err());
        assert!(parse(&["perf-bare", "--port", "http"]).is_err());
        assert!(parse(&[]).is_err());
    }
}
