//! The `rate-limit` scenario as SCENARIOS.md checks it: `conformance-app`
//! processes on free ports, alone and as two instances sharing one real
//! Redis (started by `sluice/tests/support/redis.rs`), with Redis killed
//! and restarted mid-run.

mod support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use support::redis::RedisServer;
use support::{request, request_with, App, Response};

fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path)
}

fn check_quota(instances: &[SocketAddr]) {
    for (i, remaining) in (0..5).rev().enumerate() {
        let res = get(instances[i % instances.len()], "/limited");
        assert_eq!(res.status, 200);
        assert_eq!(res.body, r#"{"ok":true}"#);
        assert_eq!(
            res.header("ratelimit-policy"),
            Some(r#""default";q=5;w=60"#)
        );
        let field = res.header("ratelimit").expect("ratelimit");
        assert!(
            field.starts_with(&format!(r#""default";r={remaining};t="#)),
            "{field}"
        );
        let t: u64 = field
            .rsplit("t=")
            .next()
            .and_then(|t| t.parse().ok())
            .expect("t");
        assert!(t <= 60);
    }
    let res = get(instances[5 % instances.len()], "/limited");
    assert_eq!(res.status, 429);
    assert_eq!(res.body, r#"{"detail":"Too Many Requests"}"#);
    assert_eq!(res.header("retry-after"), Some("12"));
    assert_eq!(res.header("ratelimit"), Some(r#""default";r=0;t=60"#));
    // /health is never limited and carries no fields; a POST to it is.
    for addr in instances {
        let res = get(*addr, "/health");
        assert_eq!(res.status, 200);
        assert_eq!(res.body, r#"{"status":"ok"}"#);
        assert_eq!(res.header("ratelimit"), None);
        let res = request(*addr, "HEAD", "/health");
        assert_eq!(res.status, 200);
        assert_eq!(res.header("ratelimit"), None);
        assert_eq!(request(*addr, "POST", "/health").status, 429);
        assert_eq!(get(*addr, "/nowhere").status, 429);
    }
}

#[test]
fn in_memory() {
    let app = App::start(&["rate-limit"]);
    check_quota(&[app.addr]);
}

#[test]
fn clients_behind_the_trusted_proxy_are_told_apart() {
    // The test client is 127.0.0.1, the trusted proxy of ProxyHeaders.
    let app = App::start(&["rate-limit"]);
    let from = |client: &str| {
        request_with(
            app.addr,
            "GET",
            "/limited",
            &format!("x-forwarded-for: {client}\r\n"),
        )
    };
    for _ in 0..5 {
        assert_eq!(from("203.0.113.1").status, 200);
    }
    assert_eq!(from("203.0.113.1").status, 429);
    let other = from("203.0.113.2");
    assert_eq!(other.status, 200, "another client has its own quota");
    assert_eq!(
        other.header("ratelimit").map(|f| &f[..14]),
        Some(r#""default";r=4;"#)
    );
    // The proxy's own requests are a client of their own.
    assert_eq!(get(app.addr, "/limited").status, 200);
}

#[test]
fn two_instances_share_one_redis_and_survive_its_outage() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let one = App::start(&["rate-limit", "--redis", &url]);
    let two = App::start(&["rate-limit", "--redis", &url]);
    check_quota(&[one.addr, two.addr]);

    redis.kill();
    for addr in [one.addr, two.addr, one.addr, two.addr] {
        let started = Instant::now();
        let res = get(addr, "/limited");
        let took = started.elapsed();
        assert_eq!(res.status, 200, "fail open");
        assert_eq!(res.header("ratelimit"), None);
        assert!(took < Duration::from_millis(50 + 250), "took {took:?}");
    }
    for app in [&one, &two] {
        let stderr = app.stderr();
        assert!(
            stderr.contains("WARN") && stderr.contains("redis call failed"),
            "no warning in the log: {stderr}"
        );
        // A log read from a pipe carries no terminal colour codes.
        assert!(
            !stderr.contains('\u{1b}'),
            "colour codes in the log: {stderr:?}"
        );
    }

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    for addr in [one.addr, two.addr] {
        while get(addr, "/limited").header("ratelimit").is_none() {
            assert!(Instant::now() < deadline, "limiting did not resume");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn redis_is_only_for_the_scenarios_that_use_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_conformance-app"))
        .args(["tutorial", "--redis", "redis://127.0.0.1:6379/0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    for scenario in ["rate-limit", "sessions"] {
        let out = Command::new(env!("CARGO_BIN_EXE_conformance-app"))
            .args([scenario, "--redis", "http://nope"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a Redis URL"));
    }
}
