//! One function per scenario, each returning the app.

use sluice::App;

mod auth;
mod core;
mod cors;
mod gzip;
mod hosts;
mod observability;
mod openapi;
mod proxy;
mod sessions;
mod stack;

/// Command-line options that some scenarios take.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// `--otlp URL`: where `observability` exports its spans.
    pub(crate) otlp: Option<String>,
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
];

/// The app of a scenario, `None` for an unknown name, or the reason the
/// options cannot work. Called inside the runtime that serves the app.
pub(crate) fn app(name: &str, options: &Options) -> Option<Result<App, String>> {
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
        "sessions" => sessions::sessions(),
        _ => return None,
    }))
}
