//! One function per scenario, each returning the app.

use sluice::App;

mod auth;
mod core;
mod cors;
mod gzip;
mod hosts;
mod openapi;
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
    "openapi",
];

/// The app of a scenario, or `None` for an unknown name.
pub(crate) fn app(name: &str) -> Option<App> {
    Some(match name {
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
        "openapi" => openapi::openapi(),
        _ => return None,
    })
}
