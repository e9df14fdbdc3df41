//! CORS configuration from the user: any origin list and regex either
//! fail when the app is built or work; an echoed origin is always the
//! request's and always one the configuration allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice::middleware::Cors;
use sluice::App;
use sluice_fuzz::{assert_headers_safe, request, send};

fuzz_target!(|input: (Vec<String>, Option<String>, bool, Vec<u8>)| {
    let (origins, regex, credentials, origin) = input;
    // Python's `\Z`, which `allow_origin_regex` reads as `\z`, is left to
    // its unit tests: the oracle compiles the pattern as it is, rather than
    // copying the translation it checks.
    if regex.as_deref().is_some_and(|r| r.contains("\\Z")) {
        return;
    }
    let mut cors = Cors::new().allow_origins(origins.iter().map(String::as_str)).allow_credentials(credentials);
    if let Some(regex) = &regex {
        cors = cors.allow_origin_regex(regex.as_str());
    }
    let Ok(app) = App::new().get("/", || async { "ok" }).add_middleware(cors).build() else { return };
    let Some(req) = request("GET", "/", &[("origin", &origin)], b"") else { return };
    let reply = send(&app, req);
    assert_headers_safe(&reply);
    if let Some(echoed) = reply.headers.get("access-control-allow-origin") {
        if echoed.as_bytes() != &origin[..] {
            // Not an echo: only the wildcard may stand for every origin.
            assert_eq!(echoed.as_bytes(), b"*", "echoed another origin");
            assert!(origins.iter().any(|o| o == "*"), "* without a wildcard");
            return;
        }
        // The list compares bytes; the regex sees the header as Latin-1,
        // one char per byte, as Starlette decodes headers.
        let listed = origins.iter().any(|o| o == "*" || o.as_bytes() == &origin[..]);
        let text: String = origin.iter().map(|&b| char::from(b)).collect();
        let by_regex = regex.as_deref().is_some_and(|r| {
            regex::Regex::new(&format!(r"\A(?:{r})\z")).is_ok_and(|re| re.is_match(&text))
        });
        assert!(listed || by_regex, "echoed {text:?} allowed by neither {origins:?} nor {regex:?}");
    }
});
