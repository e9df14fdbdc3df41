//! Trusted-host patterns from the configuration: any list either fails
//! when the app is built or works; a host it lets through matches one of
//! the patterns as Starlette defines them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::middleware::TrustedHost;
use sluice::App;
use sluice_fuzz::{assert_headers_safe, request, send};

/// Starlette's matching, on a valid pattern (lower-cased) and the request
/// host without its port.
fn matches(pattern: &str, host: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) => host.ends_with(suffix),
        None => pattern == host,
    }
}

fn host_without_port(host: &str) -> String {
    let name = if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.to_ascii_lowercase()
}

fuzz_target!(|input: (Vec<String>, String)| {
    let (patterns, host) = input;
    let app = App::new()
        .get("/", || async { "ok" })
        .add_middleware(TrustedHost::new().allowed_hosts(patterns.iter().map(String::as_str)).www_redirect(false));
    let Ok(app) = app.build() else { return };
    let Some(req) = request("GET", "/", &[("host", host.as_bytes())], b"") else { return };
    let reply = send(&app, req);
    assert_headers_safe(&reply);
    if reply.status == 200 {
        let name = host_without_port(&host);
        assert!(
            patterns.iter().any(|p| matches(&p.to_ascii_lowercase(), &name)),
            "{host:?} let through by {patterns:?}"
        );
    } else {
        assert_eq!(reply.status, 400);
    }
});
