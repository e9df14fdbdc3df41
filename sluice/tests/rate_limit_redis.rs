//! `RateLimit` with `RedisStore`, against a real `redis-server` started by
//! the tests (see `support/redis.rs`): the same answers as in memory, one
//! quota shared by two instances behind real servers, Redis killed, frozen
//! and restarted under load, and a Redis whose clock is hours off the
//! app's.
#![cfg(feature = "redis")]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sluice::middleware::rate_limit::{Key, Policy, RateLimit, RedisStore};
use sluice::redis::RedisConnection;
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, Json, Server};
use support::redis::RedisServer;
use support::wire;
use tokio::sync::oneshot;
use tracing::Level;

/// A key prefix no other test uses, so tests can share one server.
fn prefix(test: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("t{}:{test}:", N.fetch_add(1, Ordering::Relaxed))
}

fn store(redis: &RedisServer, prefix: &str) -> RedisStore {
    RedisStore::open(&redis.url())
        .expect("a valid URL")
        .prefix(prefix)
}

fn app(limit: RateLimit<RedisStore>) -> App {
    App::new()
        .get("/limited", || async { Json(json!({"ok": true})) })
        .add_middleware(limit)
}

fn field(res: &TestResponse) -> Option<&str> {
    res.header("ratelimit")
}

/// The time every request took must stay under the store's timeout plus
/// this, on a busy two-core machine in a debug build.
const SLACK: Duration = Duration::from_millis(250);

#[tokio::test]
async fn redis_gives_the_same_answers_as_memory() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("answers");
    let client = TestClient::new(app(RateLimit::per_minute(5).store(store(redis, &prefix))));
    for r in (0..5).rev() {
        let res = client.get("/limited").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.header("ratelimit-policy"),
            Some(r#""default";q=5;w=60"#)
        );
        assert_eq!(
            field(&res),
            Some(format!(r#""default";r={r};t={}"#, 12 * (5 - r)).as_str())
        );
    }
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.text(), r#"{"detail":"Too Many Requests"}"#);
    assert_eq!(res.header("retry-after"), Some("12"));
    assert_eq!(field(&res), Some(r#""default";r=0;t=60"#));

    // One key, hash-tagged, expiring when the quota is full again.
    let key = format!("{prefix}{{ip:127.0.0.1}}:default");
    assert_eq!(redis.command(&["KEYS", &format!("{prefix}*")]), key);
    let ttl: i64 = redis.command(&["PTTL", &key]).parse().unwrap();
    assert!((59_000..=60_000).contains(&ttl), "PTTL {ttl}");
}

#[tokio::test]
async fn several_policies_are_decided_in_one_script_call() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("policies");
    let limit = RateLimit::new(Policy::per_second(2).named("burst"))
        .and(Policy::per_hour(3).named("hourly"))
        .key(Key::header("x-api-key"))
        .store(store(redis, &prefix));
    let client = TestClient::new(app(limit));
    let send = || client.get("/limited").header("x-api-key", "alpha");
    assert_eq!(send().await.status(), 200);
    assert_eq!(send().await.status(), 200);
    let res = send().await;
    assert_eq!(res.status(), 429);
    assert_eq!(field(&res), Some(r#""burst";r=0;t=1, "hourly";r=1;t=2400"#));
    let keys = redis.command(&["KEYS", &format!("{prefix}*")]);
    let mut keys: Vec<_> = keys.lines().collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            format!("{prefix}{{k:alpha}}:burst"),
            format!("{prefix}{{k:alpha}}:hourly")
        ]
    );
    for key in keys {
        let ttl: i64 = redis.command(&["PTTL", key]).parse().unwrap();
        assert!(ttl > 0, "{key} has no expiry");
    }
}

#[tokio::test]
async fn long_or_odd_keys_are_hashed() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("hashed");
    let limit = RateLimit::per_minute(1)
        .key(Key::header("x-api-key"))
        .store(store(redis, &prefix));
    let client = TestClient::new(app(limit));
    let odd = "}{".repeat(40);
    assert_eq!(
        client
            .get("/limited")
            .header("x-api-key", odd.as_str())
            .await
            .status(),
        200
    );
    assert_eq!(
        client
            .get("/limited")
            .header("x-api-key", odd.as_str())
            .await
            .status(),
        429
    );
    let key = redis.command(&["KEYS", &format!("{prefix}*")]);
    assert!(key.starts_with(&format!("{prefix}{{h:")), "{key}");
    assert_eq!(key.len(), prefix.len() + "{h:}:default".len() + 40);
}

#[tokio::test]
async fn a_flushed_script_is_loaded_again() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("noscript");
    let store = store(redis, &prefix);
    let sha = store.script_sha1().to_owned();
    let client = TestClient::new(app(RateLimit::per_minute(3).store(store)));
    assert_eq!(client.get("/limited").await.status(), 200);
    assert_eq!(redis.command(&["SCRIPT", "EXISTS", &sha]), "1");
    redis.command(&["SCRIPT", "FLUSH"]);
    assert_eq!(redis.command(&["SCRIPT", "EXISTS", &sha]), "0");
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 200);
    assert_eq!(field(&res), Some(r#""default";r=1;t=40"#));
    assert_eq!(redis.command(&["SCRIPT", "EXISTS", &sha]), "1");
}

/// One request on a fresh connection: the status and the `retry-after`
/// (the request must have been counted: it carries `ratelimit`).
async fn get(addr: SocketAddr, client: &str) -> (u16, Option<String>) {
    let response = wire::request_once(
        addr,
        &format!(
            "GET /limited HTTP/1.1\r\nhost: test\r\nx-client: {client}\r\nconnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(
        wire::header_of(&response, "ratelimit").is_some(),
        "not counted (the store failed?): {response:?}"
    );
    let retry_after = wire::header_of(&response, "retry-after").map(str::to_owned);
    (wire::status_of(&response), retry_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_quota_exactly() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("instances");
    // A generous timeout: this test is about counting exactly, and a cold
    // connection under 180 requests at once in a debug build may take more
    // than 50 ms (those requests would be let through uncounted).
    let instance = || {
        app(RateLimit::per_hour(10)
            .key(Key::header("x-client"))
            .store(store(redis, &prefix).timeout(Duration::from_secs(2))))
    };
    let (a, b) = (wire::start(instance()).await, wire::start(instance()).await);

    // Six clients, 30 requests each, all at once, alternating instances.
    let mut tasks = Vec::new();
    for client in 0..6 {
        for i in 0..30 {
            let addr = if (client + i) % 2 == 0 {
                a.addr
            } else {
                b.addr
            };
            let name = format!("client-{client}");
            tasks.push(tokio::spawn(
                async move { (client, get(addr, &name).await) },
            ));
        }
    }
    let mut admitted = [0; 6];
    for task in tasks {
        let (client, (status, retry_after)) = task.await.expect("request task");
        match status {
            200 => admitted[client] += 1,
            429 => assert!(retry_after.is_some(), "a 429 without retry-after"),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(admitted, [10; 6], "admitted per client, in total over both");
    a.stop().await.expect("a stops");
    b.stop().await.expect("b stops");
}

#[tokio::test]
async fn killed_redis_fails_open_within_the_timeout_and_limiting_resumes_after_a_restart() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let (events, _guard) = support::record(Level::WARN);
    let timeout = Duration::from_millis(50);
    let limit = RateLimit::per_minute(3).store(store(&redis, "kill:").timeout(timeout));
    let client = TestClient::new(app(limit));
    assert_eq!(
        field(&client.get("/limited").await),
        Some(r#""default";r=2;t=20"#)
    );

    redis.kill();
    for _ in 0..20 {
        let started = Instant::now();
        let res = client.get("/limited").await;
        let took = started.elapsed();
        assert_eq!(res.status(), 200, "fail open: let through");
        assert_eq!(
            field(&res),
            None,
            "no rate-limit fields when nothing was counted"
        );
        assert_eq!(res.header("ratelimit-policy"), None);
        assert!(took < timeout + SLACK, "a request took {took:?}");
    }
    let warnings = events.with_target("sluice::redis");
    assert_eq!(
        warnings.len(),
        1,
        "one warning, not one per request: {warnings:?}"
    );
    assert_eq!(warnings[0].level, Level::WARN);
    assert_eq!(
        warnings[0].field("url"),
        Some(format!("redis://127.0.0.1:{}/0", redis.port()).as_str())
    );

    // Back on the same port, with its data gone: limiting resumes, with no
    // restart of the app.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let res = client.get("/limited").await;
        if field(&res).is_some() {
            assert_eq!(field(&res), Some(r#""default";r=2;t=20"#));
            break;
        }
        assert!(Instant::now() < deadline, "limiting did not resume");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(client.get("/limited").await.status(), 200);
    assert_eq!(client.get("/limited").await.status(), 200);
    assert_eq!(client.get("/limited").await.status(), 429);
}

#[tokio::test]
async fn fail_closed_answers_503_while_redis_is_down() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(50);
    let limit = RateLimit::per_minute(3)
        .store(store(&redis, "closed:").timeout(timeout))
        .fail_closed();
    let client = TestClient::new(app(limit));
    assert_eq!(client.get("/limited").await.status(), 200);
    redis.kill();
    for _ in 0..5 {
        let started = Instant::now();
        let res = client.get("/limited").await;
        assert_eq!(res.status(), 503);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Service Unavailable"})
        );
        assert!(started.elapsed() < timeout + SLACK);
    }
}

#[tokio::test]
async fn a_frozen_redis_is_cut_off_at_the_timeout() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(50);
    let limit = RateLimit::per_minute(3).store(store(&redis, "frozen:").timeout(timeout));
    let client = TestClient::new(app(limit));
    assert!(field(&client.get("/limited").await).is_some());

    redis.pause();
    for _ in 0..5 {
        let started = Instant::now();
        let res = client.get("/limited").await;
        let took = started.elapsed();
        assert_eq!(res.status(), 200);
        assert_eq!(field(&res), None);
        assert!(
            took >= timeout,
            "answered in {took:?}: not the timeout path"
        );
        assert!(took < timeout + SLACK, "a request took {took:?}");
    }
    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(5);
    while field(&client.get("/limited").await).is_none() {
        assert!(Instant::now() < deadline, "limiting did not resume");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs one app instance as a child process (this test binary, running
/// [`instance_in_a_child_process`]), with `env` added; returns its address
/// and its wall clock (Unix seconds) as it reported it.
fn spawn_instance(redis: &RedisServer, prefix: &str, env: &[(&str, String)]) -> Instance {
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "instance_in_a_child_process",
            "--ignored",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env("SLUICE_TEST_INSTANCE", format!("{} {prefix}", redis.url()))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the child instance");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let (addr, clock) = loop {
        let line = lines
            .next()
            .expect("the child instance said nothing")
            .expect("read the child's output");
        // libtest prints `test <name> ... ` on the same line first.
        if let Some((_, rest)) = line.split_once("instance listening on ") {
            let (addr, clock) = rest.split_once(" clock ").expect("addr and clock");
            break (
                addr.parse().expect("an address"),
                clock.parse().expect("seconds"),
            );
        }
    };
    // Keep reading, so that the child can write its last lines.
    std::thread::spawn(move || lines.for_each(drop));
    Instance { child, addr, clock }
}

struct Instance {
    child: std::process::Child,
    addr: SocketAddr,
    clock: u64,
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Closing its stdin stops it.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Not a test of its own: the app instance that
/// `the_clocks_of_the_instances_do_not_matter` runs in child processes.
#[test]
#[ignore = "run in a child process by the_clocks_of_the_instances_do_not_matter"]
fn instance_in_a_child_process() {
    let Ok(setting) = std::env::var("SLUICE_TEST_INSTANCE") else {
        return;
    };
    let (url, prefix) = setting.split_once(' ').expect("url and prefix");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let limit = RateLimit::per_minute(5).key(Key::header("x-client")).store(
            RedisStore::open(url)
                .expect("url")
                .prefix(prefix)
                .timeout(Duration::from_secs(1)),
        );
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = Server::bind("127.0.0.1:0")
            .await
            .expect("bind")
            .with_shutdown_signal(async {
                let _ = stop_rx.await;
            });
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        println!(
            "instance listening on {} clock {clock}",
            server.local_addr()
        );
        std::thread::spawn(move || {
            // Until the parent closes our stdin.
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
            let _ = stop_tx.send(());
        });
        server.serve(app(limit)).await.expect("serve");
    });
}

/// The script reads Redis's clock and the apps send none: two instances
/// whose clocks are four hours apart (one two hours ahead of Redis, one two
/// hours behind) give exactly the answers of one instance. Had the decision
/// used the instances' clocks, the one ahead would find every count expired.
#[test]
fn the_clocks_of_the_instances_do_not_matter() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let ahead = spawn_instance(&redis, "skew:", &support::redis::faketime("+2h"));
    let behind = spawn_instance(&redis, "skew:", &support::redis::faketime("-2h"));
    let skew = ahead.clock.abs_diff(behind.clock);
    assert!(
        (4 * 3600 - 60..4 * 3600 + 60).contains(&skew),
        "the clocks differ by {skew} s"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        for client in ["a", "b", "c"] {
            let mut admitted = 0;
            for i in 0..12 {
                let addr = if i % 2 == 0 { ahead.addr } else { behind.addr };
                let (status, retry_after) = get(addr, client).await;
                match status {
                    200 => admitted += 1,
                    429 => {
                        let secs: u64 = retry_after.expect("retry-after").parse().unwrap();
                        assert!((1..=12).contains(&secs), "retry-after {secs}");
                    }
                    other => panic!("status {other}"),
                }
            }
            assert_eq!(admitted, 5, "client {client}");
        }
    });
    let ttl: i64 = redis
        .command(&["PTTL", "skew:{k:a}:default"])
        .parse()
        .unwrap();
    assert!((50_000..=60_000).contains(&ttl), "PTTL {ttl}");
}

#[tokio::test]
async fn a_bad_url_is_a_config_error() {
    let err = RedisConnection::open("localhost:6379").unwrap_err();
    assert!(err.to_string().contains("not a Redis URL"), "{err}");
    let err = App::new()
        .add_middleware(
            RateLimit::per_minute(1).store(
                RedisStore::open("redis://127.0.0.1:6379/0")
                    .unwrap()
                    .prefix("bad{prefix}"),
            ),
        )
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("hash tag"), "{err}");
}
