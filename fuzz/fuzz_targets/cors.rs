//! Origins and preflight headers through Cors: never a panic, never an
//! origin echoed that the configuration does not allow.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::middleware::Cors;
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

const ALLOWED: [&str; 2] = ["http://localhost", "http://localhost:8080"];

fn app() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .get("/", || async { "ok" })
            .add_middleware(
                Cors::new()
                    .allow_origins(ALLOWED)
                    .allow_origin_regex(r"https://.*\.example\.org")
                    .allow_credentials(true)
                    .allow_headers(["x-custom"]),
            )
            .build()
            .expect("valid")
    })
}

fn is_allowed(origin: &[u8]) -> bool {
    let regex = regex::bytes::Regex::new(r"\Ahttps://.*\.example\.org\z").expect("valid");
    ALLOWED.iter().any(|a| a.as_bytes() == origin) || regex.is_match(origin)
}

fuzz_target!(|input: (Vec<u8>, Vec<u8>, Vec<u8>, bool)| {
    let (origin, method, headers, preflight) = input;
    let mut h: Vec<(&str, &[u8])> = vec![("origin", &origin)];
    if preflight {
        h.push(("access-control-request-method", &method));
        h.push(("access-control-request-headers", &headers));
    }
    let Some(req) = request(if preflight { "OPTIONS" } else { "GET" }, "/", &h, b"") else { return };
    let reply = send(app(), req);
    assert_headers_safe(&reply);
    if let Some(echoed) = reply.headers.get("access-control-allow-origin") {
        assert!(is_allowed(echoed.as_bytes()), "echoed {echoed:?}");
        assert_eq!(echoed.as_bytes(), &origin[..], "echoed another origin");
    }
    if preflight {
        assert!(matches!(reply.status, 200 | 400), "status {}", reply.status);
    }
});
