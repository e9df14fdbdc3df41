//! One function per scenario, each returning the app.

use sluice::App;

mod auth;
mod core;
mod cors;
mod gzip;
mod hosts;
mod rate_limit;
mod stack;

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
    "rate-limit",
];

/// Scenario options given on the command line.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// `--redis URL`: where scenarios that can keep state in Redis keep it.
    pub(crate) redis: Option<String>,
}

/// The scenarios that take `--redis`.
pub(crate) const WITH_REDIS: &[&str] = &["rate-limit"];

/// The app of a scenario, `None` for an unknown name, or `Some(Err(reason))`
/// when the options do not fit it.
pub(crate) fn app(name: &str, options: &Options) -> Option<Result<App, String>> {
    if options.redis.is_some() && !WITH_REDIS.contains(&name) {
        return Some(Err(format!(
            "--redis is for the scenarios {}, not {name:?}",
            WITH_REDIS.join(", ")
        )));
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
        "rate-limit" => return Some(rate_limit::rate_limit(options.redis.as_deref())),
        _ => return None,
    }))
}
