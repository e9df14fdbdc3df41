//! Authorization headers through Authentication: never a panic, and a
//! request gets in only with the exact token.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::middleware::Authentication;
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

fn app() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .get("/", || async { "in" })
            .add_middleware(Authentication::static_bearer("valid_token"))
            .build()
            .expect("valid")
    })
}

fuzz_target!(|value: Vec<u8>| {
    let Some(req) = request("GET", "/", &[("authorization", &value)], b"") else { return };
    let reply = send(app(), req);
    assert_headers_safe(&reply);
    match reply.status {
        200 => {
            let text = std::str::from_utf8(&value).expect("accepted values are text");
            let (scheme, token) = text.split_once(' ').expect("a scheme and a token");
            assert!(scheme.eq_ignore_ascii_case("bearer"));
            assert_eq!(token.trim_matches([' ', '\t']), "valid_token");
        }
        401 => assert_eq!(reply.headers.get("www-authenticate").map(|v| v.as_bytes()), Some(&b"Bearer"[..])),
        other => panic!("status {other}"),
    }
});
