//! `sessions --redis URL` as SCENARIOS.md checks it: two `conformance-app`
//! instances sharing one real Redis see the same sessions, an older cookie
//! no longer brings back older data, and with Redis stopped mid-run a
//! request that needs its session gets a prompt 503, until Redis is back.

mod support;

use std::time::{Duration, Instant};

use support::redis::RedisServer;
use support::{send, App, Response};

fn call(app: &App, method: &str, path: &str, cookie: Option<&str>, json: &str) -> Response {
    let extra = cookie.map_or(String::new(), |c| format!("cookie: {c}\r\n"));
    send(app.addr, method, path, &extra, json)
}

/// `session=<value>` of a `set-cookie`.
fn cookie(res: &Response) -> String {
    let set = res.header("set-cookie").expect("a set-cookie");
    assert!(
        set.ends_with("; path=/; Max-Age=1209600; httponly; samesite=lax"),
        "{set}"
    );
    set.split(';').next().expect("name=value").to_owned()
}

#[test]
fn two_instances_share_sessions_and_redis_down_is_a_prompt_503() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let one = App::start(&["sessions", "--redis", &url]);
    let two = App::start(&["sessions", "--redis", &url]);

    let res = call(&one, "PUT", "/session/user", None, r#""alice""#);
    assert_eq!(res.status, 200);
    assert_eq!(res.body, r#"{"session":{"user":"alice"}}"#);
    assert_eq!(res.header("vary"), Some("Cookie"));
    let first = cookie(&res);

    let res = call(&two, "GET", "/session", Some(&first), "");
    assert_eq!(
        res.body, r#"{"session":{"user":"alice"}}"#,
        "read through two"
    );
    assert_eq!(res.header("set-cookie"), None);
    let res = call(&two, "PUT", "/session/n", Some(&first), "2");
    assert_eq!(res.body, r#"{"session":{"user":"alice","n":2}}"#);
    // The older cookie brings back the latest data, not older data.
    let res = call(&one, "GET", "/session", Some(&first), "");
    assert_eq!(res.body, r#"{"session":{"user":"alice","n":2}}"#);
    // Cleared through one: gone for two, the cookie expired.
    let res = call(&one, "DELETE", "/session", Some(&first), "");
    assert!(res
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("session=null; path=/; expires=Thu, 01 Jan 1970")));
    let res = call(&two, "GET", "/session", Some(&first), "");
    assert_eq!(res.body, r#"{"session":{}}"#);

    let second = cookie(&call(&two, "PUT", "/session/user", None, r#""bob""#));
    redis.kill();
    for app in [&one, &two] {
        let started = Instant::now();
        let res = call(app, "GET", "/session", Some(&second), "");
        let took = started.elapsed();
        assert_eq!(res.status, 503);
        assert_eq!(res.body, r#"{"detail":"Service Unavailable"}"#);
        assert_eq!(res.header("set-cookie"), None);
        assert!(took < Duration::from_millis(50 + 250), "took {took:?}");
        let res = call(app, "GET", "/public", None, "");
        assert_eq!(res.status, 200, "no session, no Redis needed");
        assert!(
            app.stderr().contains("redis call failed"),
            "no warning in the log: {}",
            app.stderr()
        );
    }

    // Back (empty, no persistence): no restart of the apps.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    for app in [&one, &two] {
        loop {
            let res = call(app, "GET", "/session", Some(&second), "");
            if res.status == 200 {
                assert_eq!(res.body, r#"{"session":{}}"#);
                break;
            }
            assert!(Instant::now() < deadline, "sessions did not resume");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let third = cookie(&call(&one, "PUT", "/session/user", None, r#""carol""#));
    let res = call(&two, "GET", "/session", Some(&third), "");
    assert_eq!(res.body, r#"{"session":{"user":"carol"}}"#);
}
