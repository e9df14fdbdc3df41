//! X-Request-ID through RequestId: never a panic, and the id sent back is
//! always a safe one, the client's only when it was safe.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::middleware::{RequestId, DEFAULT_MAX_REQUEST_ID_LEN};
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

fn app() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .get("/", || async { "ok" })
            .add_middleware(RequestId::new())
            .build()
            .expect("valid")
    })
}

fn safe(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= DEFAULT_MAX_REQUEST_ID_LEN
        && id.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:;=+/@".contains(b))
}

fuzz_target!(|ids: Vec<Vec<u8>>| {
    let headers: Vec<(&str, &[u8])> = ids.iter().take(3).map(|id| ("x-request-id", &id[..])).collect();
    let Some(req) = request("GET", "/", &headers, b"") else { return };
    let reply = send(app(), req);
    assert_headers_safe(&reply);
    assert_eq!(reply.status, 200);
    let sent = reply.headers.get("x-request-id").expect("an id").as_bytes();
    assert!(safe(sent), "unsafe id sent back: {sent:?}");
    if headers.len() == 1 && safe(headers[0].1) {
        assert_eq!(sent, headers[0].1, "a safe client id is kept");
    }
    if headers.len() == 1 && !safe(headers[0].1) {
        assert_ne!(sent, headers[0].1, "an unsafe client id is never echoed");
    }
});
