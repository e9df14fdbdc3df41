//! Forwarded headers through ProxyHeaders (X-Forwarded-For/-Proto and RFC
//! 7239 Forwarded): never a panic, never an error response, never a
//! change from an untrusted peer, and from a trusted one only a client a
//! header named and a scheme of the four.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::middleware::ProxyHeaders;
use sluice::{App, AppService, ConnectionInfo, Request};
use sluice_fuzz::{assert_headers_safe, request, send};

async fn whoami(req: Request) -> String {
    let client = req.client().map(|c| c.host().into_owned()).unwrap_or_default();
    format!("{}\n{}", req.scheme(), client)
}

fn app(rfc7239: bool) -> &'static AppService {
    static XFF: OnceLock<AppService> = OnceLock::new();
    static FWD: OnceLock<AppService> = OnceLock::new();
    let cell = if rfc7239 { &FWD } else { &XFF };
    cell.get_or_init(|| {
        App::new()
            .get("/", whoami)
            .add_middleware(
                ProxyHeaders::new()
                    .trusted(["10.0.0.0/8", "::1", "_edge"])
                    .forwarded(rfc7239),
            )
            .build()
            .expect("valid")
    })
}

fuzz_target!(|input: (bool, bool, Vec<u8>, Vec<u8>, Vec<u8>)| {
    let (rfc7239, trusted, xff, xfp, fwd) = input;
    let Some(mut req) = request(
        "GET",
        "/",
        &[("x-forwarded-for", &xff), ("x-forwarded-proto", &xfp), ("forwarded", &fwd)],
        b"",
    ) else {
        return;
    };
    let peer = if trusted { "10.1.2.3:4000" } else { "192.0.2.1:4000" };
    req.extensions_mut().insert(ConnectionInfo {
        remote_addr: Some(peer.parse().expect("addr")),
        local_addr: None,
        secure: false,
    });
    let reply = send(app(rfc7239), req);
    assert_headers_safe(&reply);
    assert_eq!(reply.status, 200);
    let text = String::from_utf8(reply.body.to_vec()).expect("utf-8");
    let (scheme, client) = text.split_once('\n').expect("two lines");
    assert!(["http", "https", "ws", "wss"].contains(&scheme), "{scheme}");
    if !trusted {
        assert_eq!((scheme, client), ("http", "192.0.2.1"));
    } else if client != "10.1.2.3" {
        // The client came from a header the peer sent.
        // (A quoted RFC 7239 value may escape any character with `\`; a
        // node never holds one.)
        let sent = if rfc7239 { &fwd } else { &xff };
        let latin1: String = sent
            .iter()
            .filter(|&&b| !rfc7239 || b != b'\\')
            .map(|&b| char::from(b))
            .collect();
        assert!(latin1.contains(client), "{client:?} not in {latin1:?}");
    }
});
