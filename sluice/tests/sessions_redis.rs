//! `Sessions` with `RedisSessionStore`, against a real `redis-server`
//! started by the tests (see `support/redis.rs`): what the cookie and Redis
//! hold, expiry by Redis's TTL, `regenerate`, two instances behind real
//! servers sharing sessions, and Redis killed, frozen and restarted.
#![cfg(feature = "redis")]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sluice::extract::Path;
use sluice::middleware::sessions::{RedisSessionStore, Session, Sessions};
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, Json};
use support::redis::RedisServer;
use support::wire;

const SECRET: &str = "a session secret of at least thirty-two bytes";

/// A key prefix no other test uses, so tests can share one server.
fn prefix(test: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("s{}:{test}:", N.fetch_add(1, Ordering::Relaxed))
}

fn store(redis: &RedisServer, prefix: &str) -> RedisSessionStore {
    RedisSessionStore::open(&redis.url())
        .expect("a valid URL")
        .prefix(prefix)
}

async fn get_session(session: Session) -> Json<Value> {
    Json(json!({ "session": session.to_map() }))
}

async fn put_session(
    Path(key): Path<String>,
    session: Session,
    Json(value): Json<Value>,
) -> sluice::Result<Json<Value>> {
    session.insert(key, value)?;
    Ok(Json(json!({ "session": session.to_map() })))
}

async fn delete_session(session: Session) -> Json<Value> {
    session.clear();
    Json(json!({ "session": {} }))
}

async fn login(session: Session) -> sluice::Result<Json<Value>> {
    session.regenerate();
    session.insert("user", "alice")?;
    Ok(Json(json!({ "session": session.to_map() })))
}

/// The `sessions` scenario's app, plus `POST /login` (regenerate).
fn app(sessions: Sessions) -> App {
    App::new()
        .get("/session", get_session)
        .put("/session/{key}", put_session)
        .delete("/session", delete_session)
        .post("/login", login)
        .get("/public", || async { Json(json!({"ok": true})) })
        .add_middleware(sessions)
}

/// `session=<value>` from a response's `set-cookie`.
fn cookie_of(res: &TestResponse) -> String {
    res.header("set-cookie")
        .expect("a set-cookie")
        .split(';')
        .next()
        .expect("name=value")
        .to_owned()
}

/// The keys under `prefix` in Redis.
fn keys(redis: &RedisServer, prefix: &str) -> Vec<String> {
    let reply = redis.command(&["KEYS", &format!("{prefix}*")]);
    reply
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_cookie_holds_a_signed_id_and_redis_the_data_until_max_age() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("ttl");
    let client = TestClient::new(app(Sessions::new(SECRET)
        .max_age(Duration::from_secs(100))
        .store(store(redis, &prefix))));
    let res = client
        .put("/session/user")
        .json(&json!("alice-in-the-cookie?"))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("set-cookie")
            .map(|c| c.split_once(';').map(|p| p.1)),
        Some(Some(" path=/; Max-Age=100; httponly; samesite=lax"))
    );
    let cookie = cookie_of(&res);
    assert!(
        !cookie.contains("alice") && !cookie.contains("YWxpY2"),
        "the data is not in the cookie: {cookie}"
    );

    let stored = keys(redis, &prefix);
    assert_eq!(stored.len(), 1, "one key per session: {stored:?}");
    let key = &stored[0];
    assert_eq!(
        redis.command(&["GET", key]),
        r#"{"user":"alice-in-the-cookie?"}"#
    );
    let ttl = |redis: &RedisServer| -> u64 { redis.command(&["PTTL", key]).parse().expect("ms") };
    assert!((95_000..=100_000).contains(&ttl(redis)), "TTL = max_age");

    // Reading does not extend the TTL; a write renews it.
    redis.command(&["PEXPIRE", key, "30000"]);
    let res = client.get("/session").header("cookie", &cookie).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"session": {"user": "alice-in-the-cookie?"}})
    );
    assert_eq!(res.header("set-cookie"), None);
    assert!(ttl(redis) <= 30_000);
    let res = client
        .put("/session/n")
        .header("cookie", &cookie)
        .json(&1)
        .await;
    assert_eq!(cookie_of(&res), cookie, "the same id, signed again");
    assert!((95_000..=100_000).contains(&ttl(redis)), "renewed on write");
    assert_eq!(keys(redis, &prefix).len(), 1);

    // Gone from Redis (expired) is an empty session, not an error.
    redis.command(&["PEXPIRE", key, "1"]);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let res = client.get("/session").header("cookie", &cookie).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"session": {}}));
}

#[tokio::test]
async fn an_older_cookie_brings_back_nothing_older_and_clear_deletes_the_data() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("older");
    let client = TestClient::new(app(Sessions::new(SECRET).store(store(redis, &prefix))));
    let first = client.put("/session/cart").json(&json!(["apple"])).await;
    let old_cookie = cookie_of(&first);
    let _ = client
        .put("/session/cart")
        .header("cookie", &old_cookie)
        .json(&json!(["apple", "pear"]))
        .await;
    // Redis keeps one copy, the latest, whichever cookie names it.
    let res = client.get("/session").header("cookie", &old_cookie).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"session": {"cart": ["apple", "pear"]}})
    );

    let res = client
        .delete("/session")
        .header("cookie", &old_cookie)
        .await;
    assert!(res
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("session=null;")));
    assert!(keys(redis, &prefix).is_empty(), "the data is deleted");
    let res = client.get("/session").header("cookie", &old_cookie).await;
    assert_eq!(res.json::<Value>(), json!({"session": {}}));
}

#[tokio::test]
async fn regenerate_moves_the_data_to_a_new_id_and_deletes_the_old_one() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("regenerate");
    let client = TestClient::new(app(Sessions::new(SECRET).store(store(redis, &prefix))));
    // An id planted before login (session fixation).
    let planted = cookie_of(&client.put("/session/theme").json(&json!("dark")).await);
    let before = keys(redis, &prefix);
    assert_eq!(before.len(), 1);

    let res = client.post("/login").header("cookie", &planted).await;
    let fresh = cookie_of(&res);
    assert_ne!(fresh, planted);
    let after = keys(redis, &prefix);
    assert_eq!(after.len(), 1, "the old id is deleted: {after:?}");
    assert_ne!(after, before);
    assert_eq!(
        redis.command(&["GET", &after[0]]),
        r#"{"theme":"dark","user":"alice"}"#
    );

    let res = client.get("/session").header("cookie", &planted).await;
    assert_eq!(res.json::<Value>(), json!({"session": {}}), "worthless now");
    let res = client.get("/session").header("cookie", &fresh).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"session": {"theme": "dark", "user": "alice"}})
    );
}

/// One request on a fresh connection: status, `set-cookie` and body.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: &str,
) -> (u16, Option<String>, String) {
    let cookie = cookie.map_or(String::new(), |c| format!("cookie: {c}\r\n"));
    let response = wire::request_once(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nhost: test\r\n{cookie}content-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    let set_cookie = wire::header_of(&response, "set-cookie")
        .map(|c| c.split(';').next().unwrap_or_default().to_owned());
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (wire::status_of(&response), set_cookie, body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_written_through_one_instance_is_read_through_the_other() {
    let Some(redis) = support::redis::shared() else {
        return;
    };
    let prefix = prefix("instances");
    // Two apps, each behind its own real server, with the same secret and
    // prefix: two instances behind a load balancer.
    let instance = || app(Sessions::new(SECRET).store(store(redis, &prefix)));
    let (server_a, server_b) = (wire::start(instance()).await, wire::start(instance()).await);
    let (a, b) = (server_a.addr, server_b.addr);

    let (status, cookie, body) = request(a, "PUT", "/session/user", None, r#""alice""#).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"session":{"user":"alice"}}"#);
    let cookie = cookie.expect("a session cookie");

    let (status, _, body) = request(b, "GET", "/session", Some(&cookie), "").await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"session":{"user":"alice"}}"#, "read through b");

    let (_, _, body) = request(b, "PUT", "/session/cart", Some(&cookie), "[1,2]").await;
    assert_eq!(body, r#"{"session":{"user":"alice","cart":[1,2]}}"#);
    let (_, _, body) = request(a, "GET", "/session", Some(&cookie), "").await;
    assert_eq!(
        body, r#"{"session":{"user":"alice","cart":[1,2]}}"#,
        "b's change read through a"
    );

    let (_, cleared, _) = request(a, "DELETE", "/session", Some(&cookie), "").await;
    assert_eq!(cleared.as_deref(), Some("session=null"));
    let (_, _, body) = request(b, "GET", "/session", Some(&cookie), "").await;
    assert_eq!(body, r#"{"session":{}}"#, "cleared through a, gone on b");

    // An instance with another secret cannot read the cookie.
    let stranger = App::new().get("/session", get_session).add_middleware(
        Sessions::new("another secret, also thirty-two bytes long").store(store(redis, &prefix)),
    );
    let server_c = wire::start(stranger).await;
    let c = server_c.addr;
    let (_, cookie, _) = request(a, "PUT", "/session/user", None, r#""bob""#).await;
    let (_, _, body) = request(c, "GET", "/session", cookie.as_deref(), "").await;
    assert_eq!(body, r#"{"session":{}}"#);

    for server in [server_a, server_b, server_c] {
        server.stop().await.expect("the instance stops");
    }
}

#[tokio::test]
async fn redis_down_is_a_503_within_the_timeout_and_sessions_resume_after_a_restart() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(50);
    let slack = Duration::from_millis(250);
    let sessions = Sessions::new(SECRET).store(store(&redis, "down:").timeout(timeout));
    let client = TestClient::new(app(sessions));
    let cookie = cookie_of(&client.put("/session/user").json(&json!("alice")).await);

    redis.kill();
    for (method, path) in [
        ("GET", "/session"),
        ("PUT", "/session/user"),
        ("DELETE", "/session"),
        ("POST", "/login"),
    ] {
        let started = Instant::now();
        let req = match method {
            "GET" => client.get(path),
            "PUT" => client.put(path).json(&json!("mallory")),
            "DELETE" => client.delete(path),
            _ => client.post(path),
        };
        let res = req.header("cookie", &cookie).await;
        let took = started.elapsed();
        assert_eq!(res.status(), 503, "{method} {path}");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Service Unavailable"})
        );
        assert_eq!(
            res.header("set-cookie"),
            None,
            "the browser keeps its cookie"
        );
        assert!(took < timeout + slack, "{method} {path} took {took:?}");
    }
    // A new visitor, with no cookie to load: the save fails, also a 503.
    let res = client.put("/session/user").json(&json!("eve")).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.header("set-cookie"), None);
    // A route that never touches the session does not need Redis.
    let res = client.get("/public").await;
    assert_eq!(res.status(), 200);

    // Back on the same port (its data lost, no persistence): no restart of
    // the app; the old cookie is an empty session, a new one works.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let res = client.get("/session").header("cookie", &cookie).await;
        if res.status() == 200 {
            assert_eq!(res.json::<Value>(), json!({"session": {}}));
            break;
        }
        assert_eq!(res.status(), 503);
        assert!(Instant::now() < deadline, "sessions did not resume");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fresh = cookie_of(&client.put("/session/user").json(&json!("alice")).await);
    let res = client.get("/session").header("cookie", &fresh).await;
    assert_eq!(res.json::<Value>(), json!({"session": {"user": "alice"}}));
}

#[tokio::test]
async fn a_frozen_redis_is_cut_off_at_the_timeout() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(100);
    let client = TestClient::new(app(
        Sessions::new(SECRET).store(store(&redis, "frozen:").timeout(timeout))
    ));
    let cookie = cookie_of(&client.put("/session/user").json(&json!("alice")).await);
    redis.pause();
    let started = Instant::now();
    let res = client.get("/session").header("cookie", &cookie).await;
    let took = started.elapsed();
    redis.resume();
    assert_eq!(res.status(), 503);
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(250),
        "took {took:?}"
    );
    let res = client.get("/session").header("cookie", &cookie).await;
    assert_eq!(res.json::<Value>(), json!({"session": {"user": "alice"}}));
}

#[test]
fn a_bad_url_is_a_config_error() {
    let err = RedisSessionStore::open("http://example.com").unwrap_err();
    assert!(err.to_string().contains("redis://"), "{err}");
}
