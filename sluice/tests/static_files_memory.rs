//! A large file is streamed: serving 128 MiB holds one chunk at a time in
//! memory, never the file. Its own test file, since it measures the whole
//! process's peak memory.

#![cfg(target_os = "linux")]

use http_body_util::BodyExt;
use sluice::{App, Body, Request, StaticFiles};

const SIZE: u64 = 128 * 1024 * 1024;

/// The process's peak resident set so far, in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("a VmHWM line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of KiB");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_is_streamed_in_chunks_in_bounded_memory() {
    let dir = std::env::temp_dir().join(format!("sluice-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    // Sparse: 128 MiB of zeros that take no disk.
    std::fs::File::create(dir.join("large.bin"))
        .expect("create")
        .set_len(SIZE)
        .expect("set_len");
    let app = App::new()
        .mount("/static", StaticFiles::new(&dir))
        .build()
        .expect("valid");

    let before = peak_rss();
    let req = http::Request::get("/static/large.bin")
        .body(Body::empty())
        .expect("a request");
    let res = app.handle(Request::from_http(req)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], SIZE.to_string().as_str());
    let mut body = res.into_body();
    assert!(body.as_bytes().is_none(), "a large file is a stream");
    let (mut total, mut largest) = (0u64, 0usize);
    while let Some(frame) = body.frame().await {
        let data = frame.expect("no read error").into_data().expect("data");
        assert!(data.first() == Some(&0) && data.last() == Some(&0));
        largest = largest.max(data.len());
        total += data.len() as u64;
    }
    let grown = peak_rss().saturating_sub(before);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(total, SIZE);
    assert!(largest <= 64 * 1024, "a chunk of {largest} bytes");
    assert!(
        grown < 16 * 1024 * 1024,
        "serving 128 MiB grew the peak memory by {} KiB",
        grown / 1024
    );
    eprintln!(
        "peak memory grew by {} KiB while serving 128 MiB",
        grown / 1024
    );
}
