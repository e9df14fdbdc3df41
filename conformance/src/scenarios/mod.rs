//! One function per scenario, each returning the app.

use sluice::App;

mod auth;
mod core;
mod cors;
mod form;
mod gzip;
mod hosts;
mod observability;
mod openapi;
mod params;
mod proxy;
mod rate_limit;
mod sessions;
mod stack;
mod static_files;
mod websocket;

/// Command-line options that some scenarios take.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// `--otlp URL`: where `observability` exports its spans.
    pub(crate) otlp: Option<String>,
    /// `--redis URL`: where scenarios that can keep state in Redis keep it.
    pub(crate) redis: Option<String>,
}

/// Every scenario this binary serves.
pub(crate) const NAMES: &[&str] = &[
    "tutorial",
    "order",
    "cors",
    "cors-wildcard",
    "cors-regex",
    "errors",
    "lifecycle",
    "body",
    "perf-bare",
    "perf-stack",
    "trusted-host",
    "https-redirect",
    "auth",
    "gzip",
    "observability",
    "openapi",
    "proxy-headers",
    "proxy-headers-untrusted",
    "sessions",
    "websocket",
    "rate-limit",
    "static",
    // Not in SCENARIOS.md: for `conformance/reference/form/`.
    "form",
    // Not in SCENARIOS.md: for `conformance/reference/params/`.
    "params",
];

/// The scenarios that take `--redis`.
pub(crate) const WITH_REDIS: &[&str] = &["rate-limit", "sessions"];

/// The app of a scenario, `None` for an unknown name, or the reason the
/// options cannot work. Called inside the runtime that serves the app.
pub(crate) fn app(name: &str, options: &Options) -> Option<Result<App, String>> {
    if options.redis.is_some() && !WITH_REDIS.contains(&name) {
        return Some(Err(format!(
            "--redis is for the scenarios {}, not {name:?}",
            WITH_REDIS.join(", ")
        )));
    }
    if options.otlp.is_some() && name != "observability" {
        return Some(Err(
            "--otlp applies to the observability scenario only".to_owned()
        ));
    }
    Some(Ok(match name {
        "tutorial" => core::tutorial(),
        "order" => core::order(),
        "cors" => cors::cors(),
        "cors-wildcard" => cors::cors_wildcard(),
        "cors-regex" => cors::cors_regex(),
        "errors" => core::errors(),
        "lifecycle" => core::lifecycle(),
        "body" => core::body(),
        "perf-bare" => core::perf_bare(),
        "perf-stack" => stack::perf_stack(),
        "trusted-host" => hosts::trusted_host(),
        "https-redirect" => hosts::https_redirect(),
        "auth" => auth::auth(),
        "gzip" => gzip::gzip(),
        "observability" => return Some(observability::observability(options.otlp.as_deref())),
        "openapi" => openapi::openapi(),
        "proxy-headers" => proxy::proxy_headers(),
        "proxy-headers-untrusted" => proxy::proxy_headers_untrusted(),
        "websocket" => websocket::websocket(),
        "static" => static_files::static_files(),
        "form" => form::form(),
        "params" => params::params(),
        "sessions" => return Some(sessions::sessions(options.redis.as_deref())),
        "rate-limit" => return Some(rate_limit::rate_limit(options.redis.as_deref())),
        _ => return None,
    }))
}
