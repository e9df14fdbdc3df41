//! Accept-Encoding through Compression: never a panic, and whatever coding
//! is chosen, the body decodes back to the original.
#![no_main]

use std::io::Read;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::middleware::Compression;
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

const BODY: &str = "The quick brown fox jumps over the lazy dog. ";

fn app() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .get("/", || async { BODY.repeat(40) })
            .add_middleware(Compression::new())
            .build()
            .expect("valid")
    })
}

fuzz_target!(|accept: Vec<u8>| {
    let Some(req) = request("GET", "/", &[("accept-encoding", &accept)], b"") else { return };
    let reply = send(app(), req);
    assert_headers_safe(&reply);
    assert_eq!(reply.status, 200);
    let mut decoded = Vec::new();
    match reply.headers.get("content-encoding").map(|v| v.as_bytes()) {
        None => decoded.extend_from_slice(&reply.body),
        Some(b"gzip") => {
            flate2::read::GzDecoder::new(&reply.body[..]).read_to_end(&mut decoded).expect("valid gzip");
        }
        Some(b"br") => {
            brotli::Decompressor::new(&reply.body[..], 4096).read_to_end(&mut decoded).expect("valid br");
        }
        Some(b"zstd") => decoded = zstd::decode_all(&reply.body[..]).expect("valid zstd"),
        Some(other) => panic!("unexpected coding {other:?}"),
    }
    assert_eq!(decoded, BODY.repeat(40).as_bytes());
});
