//! Cookie headers through Sessions (native and Starlette formats, cookie
//! and store): never a panic, never a 500, and a cookie the app did not
//! sign never yields data.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::middleware::sessions::{MemoryStore, Session, Sessions};
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

const SECRET: &str = "the fuzz target's secret, 32 bytes or more";

async fn show(session: Session) -> String {
    session.len().to_string()
}

async fn clear(session: Session) -> &'static str {
    session.clear();
    "cleared"
}

fn app(kind: u8) -> &'static AppService {
    static APPS: [OnceLock<AppService>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    APPS[usize::from(kind % 3)].get_or_init(|| {
        let sessions = match kind % 3 {
            0 => Sessions::new(SECRET),
            1 => Sessions::starlette_compatible(SECRET),
            _ => Sessions::new(SECRET).store(MemoryStore::new()),
        };
        App::new()
            .get("/", show)
            .delete("/", clear)
            .add_middleware(sessions)
            .build()
            .expect("valid")
    })
}

fuzz_target!(|input: (u8, bool, Vec<u8>)| {
    let (kind, delete, cookie) = input;
    let method = if delete { "DELETE" } else { "GET" };
    let Some(req) = request(method, "/", &[("cookie", &cookie)], b"") else { return };
    let reply = send(app(kind), req);
    assert_headers_safe(&reply);
    assert_eq!(reply.status, 200);
    if !delete {
        // Nothing here ever signed a session: whatever the bytes, it is empty.
        assert_eq!(&reply.body[..], b"0");
    }
    assert!(reply.headers.get("set-cookie").is_none());
});
