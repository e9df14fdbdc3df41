//! One function per scenario, each returning the app.

use sluice::App;

mod core;
mod gzip;

/// Every scenario this binary serves.
pub(crate) const NAMES: &[&str] = &[
    "tutorial",
    "order",
    "errors",
    "lifecycle",
    "body",
    "perf-bare",
    "gzip",
];

/// The app of a scenario, or `None` for an unknown name.
pub(crate) fn app(name: &str) -> Option<App> {
    Some(match name {
        "tutorial" => core::tutorial(),
        "order" => core::order(),
        "errors" => core::errors(),
        "lifecycle" => core::lifecycle(),
        "body" => core::body(),
        "perf-bare" => core::perf_bare(),
        "gzip" => gzip::gzip(),
        _ => return None,
    })
}
