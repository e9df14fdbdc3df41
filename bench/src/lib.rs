//! The benchmark servers that sluice is compared with, and what they share.
//!
//! - [`axum_apps`]: the `perf-bare`, `perf-stack` and `gzip` scenarios of
//!   SCENARIOS.md written with axum 0.8 and tower-http 0.7 the way an axum
//!   user would write them (served by the `bench-axum` binary);
//! - [`hyper_app`]: a plain hyper 1.x server answering `GET /hello`, the
//!   ceiling no framework can beat (served by `bench-hyper`);
//! - [`chain`]: chains of N no-op middlewares, sluice's and axum's and a
//!   hand-written tower layer's, for the chain benchmarks (criterion in
//!   `benches/chain.rs`; instruction counts with the `bench-chain` binary);
//! - [`observe`]: `perf-bare` with metrics and traces, in sluice and in
//!   axum (axum-prometheus, `TraceLayer`, tracing-opentelemetry), served by
//!   `bench-sluice` and `bench-axum`, with the OTLP sink they export to;
//! - [`cli`]: the command-line contract every benchmark server shares with
//!   `conformance-app` (`<scenario> [--host H] [--port N]`, the
//!   `listening on` line, exit on SIGINT/SIGTERM, exit 2 on bad arguments).
//!
//! The driver, `bench/run`, builds these in release mode and measures them
//! beside `conformance-app` and FastAPI; BENCHMARKS.md describes the method.
//!
//! ```
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = sluice_bench::axum_apps::perf_bare();
//! let req = axum::http::Request::get("/hello").body(axum::body::Body::empty()).unwrap();
//! let res = app.oneshot(req).await.unwrap();
//! assert_eq!(res.status(), 200);
//! # }
//! ```

pub mod axum_apps;
pub mod chain;
pub mod cli;
pub mod hyper_app;
pub mod observe;
