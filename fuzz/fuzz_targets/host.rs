//! The Host header through TrustedHost and HttpsRedirect: never a panic,
//! never a disallowed host let through, never a forged header.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::middleware::{HttpsRedirect, TrustedHost};
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

fn trusted() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .get("/", || async { "ok" })
            .add_middleware(TrustedHost::new().allowed_hosts(["example.com", "*.example.com", "[::1]"]))
            .build()
            .expect("valid")
    })
}

fn redirect() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .get("/", || async { "ok" })
            .add_middleware(HttpsRedirect::new())
            .build()
            .expect("valid")
    })
}

/// What a host allowed by the patterns above looks like, port dropped.
fn allowed(host: &[u8]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else { return false };
    let name = if host.starts_with('[') {
        match host.find(']') {
            Some(end) => &host[..=end],
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let name = name.to_ascii_lowercase();
    name == "example.com" || name == "[::1]" || (name.ends_with(".example.com") && name.len() > ".example.com".len())
}

fuzz_target!(|input: (Vec<u8>, String)| {
    let (host, path) = input;
    let target = if path.starts_with('/') { path } else { format!("/{path}") };
    let Some(req) = request("GET", &target, &[("host", &host)], b"") else { return };
    let reply = send(trusted(), req);
    assert_headers_safe(&reply);
    assert!(matches!(reply.status, 200 | 307 | 400 | 404), "status {}", reply.status);
    if reply.status == 200 || reply.status == 404 {
        assert!(allowed(&host), "a disallowed host got through: {:?}", String::from_utf8_lossy(&host));
    }

    let Some(req) = request("GET", &target, &[("host", &host)], b"") else { return };
    let reply = send(redirect(), req);
    assert_headers_safe(&reply);
    assert!(matches!(reply.status, 307 | 400), "status {}", reply.status);
    if reply.status == 307 {
        let location = reply.headers.get("location").expect("a redirect has a location");
        assert!(location.as_bytes().starts_with(b"https://"));
    }
});
