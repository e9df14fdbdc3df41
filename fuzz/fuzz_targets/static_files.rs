//! Request paths (and `Range` headers) through `StaticFiles` mounted at
//! `/static`: never a panic, never a file from outside the directory,
//! whatever the encoding, `..`, backslashes, NUL bytes or links.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice::{App, AppService, StaticFiles};
use sluice_fuzz::{assert_headers_safe, request, send};

/// What the file outside the served directory holds: bytes that no file
/// inside, no header of a multipart part and no error page contains, so
/// even one byte of it served (a range of it) shows.
const SECRET: &[u8] = &[0xFE; 64];

const INSIDE: &[(&str, &[u8])] = &[
    ("hello.txt", b"hello, world\n"),
    ("index.html", b"<h1>home</h1>\n"),
    ("404.html", b"<h1>not here</h1>\n"),
    ("sub/index.html", b"<p>sub</p>\n"),
    ("sub/page.html", b"<p>page</p>\n"),
    ("a\\b.txt", b"backslash\n"),
];

/// `<tmp>/sluice-fuzz-static-<pid>-<name>/public`, with `secret.txt`
/// beside it and, when `links`, links that point outside. libFuzzer exits
/// without unwinding, so the trees of runs that are over (their process is
/// gone) are removed here instead.
fn tree(name: &str, links: bool) -> PathBuf {
    const PREFIX: &str = "sluice-fuzz-static-";
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(PREFIX)?.split('-').next()) else {
                continue;
            };
            if pid.parse::<u32>().is_ok() && !std::path::Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let base = std::env::temp_dir().join(format!("{PREFIX}{}-{name}", std::process::id()));
    let public = base.join("public");
    for (file, content) in INSIDE {
        let path = public.join(file);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    std::fs::write(base.join("secret.txt"), SECRET).expect("write");
    #[cfg(unix)]
    if links {
        let _ = std::os::unix::fs::symlink(base.join("secret.txt"), public.join("out"));
        let _ = std::os::unix::fs::symlink("..", public.join("up"));
        let _ = std::os::unix::fs::symlink("loop", public.join("loop"));
        let _ = std::os::unix::fs::symlink("hello.txt", public.join("alias"));
    }
    public
}

/// Links that point outside, not followed, in html mode.
fn guarded() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .mount("/static", StaticFiles::new(tree("guarded", true)).html(true))
            .build()
            .expect("valid")
    })
}

/// Links followed (so the tree has none that lead out): `..` alone must
/// not leave.
fn following() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .mount("/static", StaticFiles::new(tree("following", false)).follow_symlinks(true))
            .build()
            .expect("valid")
    })
}

// The input: one byte of flags (bit 0: HEAD, bit 1: follow links, bit 2:
// send the `Range`), then the path under `/static/`, then, after a line
// feed, the `Range` header. Bytes of the path that cannot appear in a
// request target are percent-encoded; `%` itself is kept, so the fuzzer
// writes its own escapes.
fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let (path, range) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let mut target = String::from("/static/");
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-._~/%!$&'()*+,;=:@".contains(&b) {
            target.push(char::from(b));
        } else {
            target.push_str(&format!("%{b:02X}"));
        }
    }
    let method = if flags & 1 == 0 { "GET" } else { "HEAD" };
    let app = if flags & 2 == 0 { guarded() } else { following() };
    let headers: Vec<(&str, &[u8])> = if flags & 4 == 0 { Vec::new() } else { vec![("range", range)] };
    let Some(req) = request(method, &target, &headers, b"") else { return };
    let reply = send(app, req);
    assert_headers_safe(&reply);
    assert!(!reply.body.contains(&SECRET[0]), "{target:?} served the file outside");
    assert!(
        matches!(reply.status, 200 | 206 | 307 | 400 | 404 | 416),
        "status {} for {target:?}",
        reply.status
    );
    if method == "HEAD" {
        // A file's response has no body at all (error responses have one,
        // which the server drops for HEAD).
        if reply.headers.contains_key("etag") {
            assert!(reply.body.is_empty(), "a body for HEAD {target:?}");
        }
    } else if reply.status == 200 || reply.status == 404 && reply.headers.contains_key("etag") {
        assert!(
            INSIDE.iter().any(|(_, content)| *content == &reply.body[..]),
            "{target:?} gave something that is not a file of the directory: {:?}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    if let Some(length) = reply.headers.get("content-length") {
        if method == "GET" {
            assert_eq!(length.to_str().ok().and_then(|l| l.parse().ok()), Some(reply.body.len()), "{target:?}");
        }
    }
});
