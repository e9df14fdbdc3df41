//! `conformance-app`: the scenarios of SCENARIOS.md, each the app a FastAPI
//! user would write from the middleware tutorial, written with sluice's
//! public API only.
//!
//! ```text
//! conformance-app <scenario> [--host 127.0.0.1] [--port 8000] [--redis URL] [--otlp URL]
//! ```
//!
//! `--redis URL` (for `rate-limit` and `sessions`) keeps the scenario's state
//! in that Redis, shared by every instance started with the same URL.
//! `--otlp URL` (the `observability` scenario) exports spans to that
//! OTLP/HTTP collector.
//!
//! Prints `listening on http://HOST:PORT` when ready, serves until SIGINT or
//! SIGTERM, then shuts down gracefully and exits 0. An unknown scenario or a
//! bad flag prints one line to stderr and exits 2.

use std::io::Write;
use std::process::ExitCode;

mod scenarios;

struct Args {
    scenario: String,
    host: String,
    port: u16,
    options: scenarios::Options,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut scenario = None;
    let mut host = "127.0.0.1".to_owned();
    let mut port = 8000;
    let mut options = scenarios::Options::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--host" => host = args.next().ok_or("--host needs a value")?,
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| {
                    format!("--port must be a number from 0 to 65535, got {value:?}")
                })?;
            }
            "--redis" => options.redis = Some(args.next().ok_or("--redis needs a URL")?),
            "--otlp" => options.otlp = Some(args.next().ok_or("--otlp needs a URL")?),
            flag if flag.starts_with('-') => return Err(format!("unknown flag {flag:?}")),
            name if scenario.is_none() => scenario = Some(name.to_owned()),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    let scenario = scenario.ok_or_else(|| {
        format!(
            "usage: conformance-app <scenario> [--host HOST] [--port PORT] [--redis URL] [--otlp URL]; scenarios: {}",
            scenarios::NAMES.join(", ")
        )
    })?;
    Ok(Args {
        scenario,
        host,
        port,
        options,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("conformance-app: {message}");
            return ExitCode::from(2);
        }
    };
    if !scenarios::NAMES.contains(&args.scenario.as_str()) {
        eprintln!(
            "conformance-app: unknown scenario {:?}; known: {}",
            args.scenario,
            scenarios::NAMES.join(", ")
        );
        return ExitCode::from(2);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colours only for a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("conformance-app: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let app = match scenarios::app(&args.scenario, &args.options) {
            Some(Ok(app)) => app,
            Some(Err(message)) => {
                eprintln!("conformance-app: {message}");
                return ExitCode::from(2);
            }
            None => {
                eprintln!("conformance-app: unknown scenario {:?}", args.scenario);
                return ExitCode::from(2);
            }
        };
        // Built before binding: a misconfigured app never says it listens.
        let service = match app.build() {
            Ok(service) => service,
            Err(e) => {
                eprintln!("conformance-app: invalid app configuration: {e}");
                return ExitCode::FAILURE;
            }
        };
        let server = match sluice::Server::bind((args.host.as_str(), args.port)).await {
            // Handle SIGTERM from now on, before saying we are ready.
            Ok(server) => server.with_shutdown_signal(sluice::termination_signal()),
            Err(e) => {
                eprintln!("conformance-app: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!(
            "listening on http://{}:{}",
            args.host,
            server.local_addr().port()
        );
        let _ = std::io::stdout().flush();
        match server.serve_service(service).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("conformance-app: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
