//! `middleware::RateLimit` with the in-memory store: policies (GCRA), the
//! header fields, keys, scope, exemptions, refusals and settings.
//!
//! Time is tokio's paused clock, which the memory store reads, so waiting
//! out a `retry-after` takes no time.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use sluice::middleware::rate_limit::{
    Headers, Key, MemoryStore, MissingKey, Policy, RateKey, RateLimit, RateLimitStore,
};
use sluice::middleware::{Authentication, ProxyHeaders, Rejection};
use sluice::routing::get;
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, ConfigError, HttpError, Json, Method, Router, StatusCode};

async fn ok() -> Json<Value> {
    Json(json!({"ok": true}))
}

fn limited(limit: RateLimit) -> TestClient {
    TestClient::new(
        App::new()
            .get("/limited", ok)
            .get("/health", || async { Json(json!({"status": "ok"})) })
            .post("/health", || async { "posted" })
            .add_middleware(limit),
    )
}

fn from(ip: [u8; 4]) -> SocketAddr {
    SocketAddr::from((ip, 40000))
}

/// The `r` and `t` of a `ratelimit` field with one item.
fn r_and_t(res: &TestResponse) -> (u64, u64) {
    let field = res.header("ratelimit").expect("a ratelimit field");
    let mut r = None;
    let mut t = None;
    for param in field.split(';').skip(1) {
        match param.split_once('=') {
            Some(("r", v)) => r = v.parse().ok(),
            Some(("t", v)) => t = v.parse().ok(),
            _ => {}
        }
    }
    (r.expect("r"), t.expect("t"))
}

#[tokio::test(start_paused = true)]
async fn the_quota_is_admitted_at_once_then_refused_with_429_and_headers() {
    let client = limited(RateLimit::per_minute(5));
    for remaining in (0..5).rev() {
        let res = client.get("/limited").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.text(), r#"{"ok":true}"#);
        assert_eq!(
            res.header("ratelimit-policy"),
            Some(r#""default";q=5;w=60"#)
        );
        let (r, t) = r_and_t(&res);
        assert_eq!(r, remaining);
        assert_eq!(t, 12 * (5 - remaining));
        assert_eq!(res.header("retry-after"), None);
    }
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"detail":"Too Many Requests"}"#);
    assert_eq!(res.header("retry-after"), Some("12"));
    assert_eq!(
        res.header("ratelimit-policy"),
        Some(r#""default";q=5;w=60"#)
    );
    assert_eq!(res.header("ratelimit"), Some(r#""default";r=0;t=60"#));
}

#[tokio::test(start_paused = true)]
async fn a_request_sent_after_retry_after_is_admitted() {
    let client = limited(RateLimit::per_minute(5));
    for _ in 0..5 {
        assert_eq!(client.get("/limited").await.status(), 200);
    }
    tokio::time::advance(Duration::from_secs(3)).await;
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(retry_after, 9);

    tokio::time::advance(Duration::from_secs(retry_after - 1)).await;
    assert_eq!(client.get("/limited").await.status(), 429, "a second early");
    tokio::time::advance(Duration::from_secs(1)).await;
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 200);
    assert_eq!(r_and_t(&res), (0, 60));
    // One interval bought one request, no more.
    assert_eq!(client.get("/limited").await.status(), 429);
}

#[tokio::test(start_paused = true)]
async fn refused_requests_cost_nothing_and_a_quiet_window_restores_the_quota() {
    let client = limited(RateLimit::per_minute(5));
    for _ in 0..5 {
        client.get("/limited").await;
    }
    for _ in 0..20 {
        assert_eq!(client.get("/limited").await.status(), 429);
    }
    tokio::time::advance(Duration::from_secs(12)).await;
    assert_eq!(client.get("/limited").await.status(), 200);
    tokio::time::advance(Duration::from_secs(60)).await;
    for _ in 0..5 {
        assert_eq!(client.get("/limited").await.status(), 200);
    }
    assert_eq!(client.get("/limited").await.status(), 429);
}

/// The documented bound: at most `q + ceil(L / T) - 1` in any span of
/// length `L`, here 2q - 1 = 9 in any 60 seconds, however the client times
/// its requests; and q per window over a long run.
#[tokio::test(start_paused = true)]
async fn no_span_of_a_window_admits_more_than_twice_the_quota_less_one() {
    let client = limited(RateLimit::per_minute(5));
    let mut admitted_at = Vec::new();
    let start = tokio::time::Instant::now();
    // A greedy client: a request every second for ten minutes.
    for _ in 0..600 {
        if client.get("/limited").await.status() == 200 {
            admitted_at.push(start.elapsed());
        }
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    let most_in_a_window = admitted_at
        .iter()
        .map(|&from| {
            admitted_at
                .iter()
                .filter(|&&t| t >= from && t < from + Duration::from_secs(60))
                .count()
        })
        .max()
        .unwrap();
    assert_eq!(most_in_a_window, 9);
    // 5 at once, then one every 12 s for the rest of the 600 s.
    assert_eq!(admitted_at.len(), 5 + 49);
}

#[tokio::test(start_paused = true)]
async fn clients_are_counted_apart_by_address() {
    let client = limited(RateLimit::per_minute(1));
    let alice = client.clone().client_addr(from([203, 0, 113, 1]));
    let bob = client.clone().client_addr(from([203, 0, 113, 2]));
    assert_eq!(alice.get("/limited").await.status(), 200);
    assert_eq!(alice.get("/limited").await.status(), 429);
    assert_eq!(bob.get("/limited").await.status(), 200);
    // Another port is the same client.
    let alice_again = client
        .clone()
        .client_addr(SocketAddr::from(([203, 0, 113, 1], 1)));
    assert_eq!(alice_again.get("/limited").await.status(), 429);
    // An IPv4 address mapped into IPv6 is the IPv4 address.
    let mapped = client
        .clone()
        .client_addr("[::ffff:203.0.113.1]:9".parse().unwrap());
    assert_eq!(mapped.get("/limited").await.status(), 429);
}

#[tokio::test(start_paused = true)]
async fn behind_proxy_headers_each_forwarded_client_has_its_own_quota() {
    let app = App::new()
        .get("/limited", ok)
        .add_middleware(RateLimit::per_minute(1))
        .add_middleware(ProxyHeaders::new().trusted(["10.0.0.1"]));
    let proxy = TestClient::new(app).client_addr(from([10, 0, 0, 1]));
    let forwarded = |client: &'static str| proxy.get("/limited").header("x-forwarded-for", client);
    assert_eq!(forwarded("203.0.113.1").await.status(), 200);
    assert_eq!(forwarded("203.0.113.1").await.status(), 429);
    // Another client behind the same proxy has a quota of its own.
    assert_eq!(forwarded("203.0.113.2").await.status(), 200);
    // The same client through a chain of proxies: ProxyHeaders picks it.
    assert_eq!(
        forwarded("203.0.113.2, 10.0.0.1").await.status(),
        429,
        "the rightmost untrusted entry is the client"
    );
    // A port in the header is not part of the client.
    assert_eq!(forwarded("203.0.113.1:5555").await.status(), 429);
    // A client named by text that is no address is counted by that text.
    assert_eq!(forwarded("unknown").await.status(), 200);
    assert_eq!(forwarded("unknown").await.status(), 429);
    // The proxy itself, sending no header, is a client like any other.
    assert_eq!(proxy.get("/limited").await.status(), 200);

    // From an untrusted peer, X-Forwarded-For changes nothing: it cannot
    // buy a fresh quota by naming another client.
    let untrusted = proxy.clone().client_addr(from([198, 51, 100, 9]));
    let spoof = |client: &'static str| untrusted.get("/limited").header("x-forwarded-for", client);
    assert_eq!(spoof("192.0.2.1").await.status(), 200);
    assert_eq!(spoof("192.0.2.2").await.status(), 429);
}

#[tokio::test(start_paused = true)]
async fn several_policies_apply_at_once_and_the_strictest_decides() {
    let limit = RateLimit::new(Policy::per_second(2).named("burst"))
        .and(Policy::per_minute(3).named("sustained"));
    let client = limited(limit);
    let res = client.get("/limited").await;
    assert_eq!(
        res.header("ratelimit-policy"),
        Some(r#""burst";q=2;w=1, "sustained";q=3;w=60"#)
    );
    assert_eq!(
        res.header("ratelimit"),
        Some(r#""burst";r=1;t=1, "sustained";r=2;t=20"#)
    );
    assert_eq!(client.get("/limited").await.status(), 200);
    // The burst policy refuses the third at once; the refusal costs the
    // sustained policy nothing.
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.header("retry-after"), Some("1"));
    assert_eq!(
        res.header("ratelimit"),
        Some(r#""burst";r=0;t=1, "sustained";r=1;t=40"#)
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(client.get("/limited").await.status(), 200);
    // Now the sustained policy is out: it decides, and says when.
    tokio::time::advance(Duration::from_secs(1)).await;
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.header("retry-after"), Some("18"));
}

#[tokio::test(start_paused = true)]
async fn exemptions_cover_only_the_methods_and_paths_given() {
    let limit = RateLimit::per_minute(1).exempt_methods([Method::GET, Method::HEAD], "/health");
    let client = limited(limit);
    assert_eq!(client.get("/limited").await.status(), 200);
    for _ in 0..3 {
        let res = client.get("/health").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.text(), r#"{"status":"ok"}"#);
        assert_eq!(res.header("ratelimit"), None);
        assert_eq!(res.header("ratelimit-policy"), None);
        let res = client.head("/health").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.header("ratelimit"), None);
    }
    // POST /health is not exempt; neither is a 404, nor a percent-encoded
    // spelling of another path.
    assert_eq!(client.post("/health").await.status(), 429);
    let res = client.get("/nowhere").await;
    assert_eq!(res.status(), 429);
    // An encoded spelling of the exempt path is exempt, as the router
    // matches it.
    assert_eq!(client.get("/h%65alth").await.header("ratelimit"), None);
}

#[tokio::test(start_paused = true)]
async fn a_404_is_limited_and_carries_the_fields() {
    let client = limited(RateLimit::per_minute(2));
    let res = client.get("/nowhere").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("ratelimit"), Some(r#""default";r=1;t=30"#));
}

#[tokio::test(start_paused = true)]
async fn exempt_and_exempt_prefix_cover_every_method() {
    let client = TestClient::new(
        App::new()
            .get("/limited", ok)
            .get("/static/app.js", || async { "js" })
            .get("/statics", || async { "no" })
            .post("/ping", || async { "pong" })
            .add_middleware(
                RateLimit::per_minute(1)
                    .exempt("/ping")
                    .exempt_prefix("/static/"),
            ),
    );
    for _ in 0..3 {
        assert_eq!(client.post("/ping").await.status(), 200);
        assert_eq!(client.get("/static/app.js").await.status(), 200);
    }
    assert_eq!(client.get("/statics").await.status(), 200);
    assert_eq!(client.get("/statics").await.status(), 429);
}

#[tokio::test(start_paused = true)]
async fn a_header_key_counts_per_value_and_missing_keys_share_one_quota() {
    let client = limited(RateLimit::per_minute(1).key(Key::header("x-api-key")));
    let send = |key: Option<&'static str>| {
        let mut req = client.get("/limited");
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        req
    };
    assert_eq!(send(Some("alpha")).await.status(), 200);
    assert_eq!(send(Some("alpha")).await.status(), 429);
    assert_eq!(send(Some(" beta ")).await.status(), 200);
    assert_eq!(send(Some("beta")).await.status(), 429, "trimmed");
    // No key, and an empty key, share one quota.
    assert_eq!(send(None).await.status(), 200);
    assert_eq!(send(None).await.status(), 429);
    assert_eq!(send(Some("")).await.status(), 429);
}

#[tokio::test(start_paused = true)]
async fn missing_keys_can_be_let_through() {
    let client = limited(
        RateLimit::per_minute(1)
            .key(Key::header("x-api-key"))
            .missing_key(MissingKey::Allow),
    );
    for _ in 0..3 {
        let res = client.get("/limited").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.header("ratelimit"), None);
    }
    let keyed = || client.get("/limited").header("x-api-key", "k");
    assert_eq!(keyed().await.status(), 200);
    assert_eq!(keyed().await.status(), 429);
}

#[derive(Clone)]
struct User {
    id: u32,
}

#[tokio::test(start_paused = true)]
async fn the_principal_of_authentication_is_a_key() {
    async fn verify(token: String) -> Result<User, Rejection> {
        match token.as_str() {
            "alice" => Ok(User { id: 1 }),
            "bob" => Ok(User { id: 2 }),
            _ => Err(Rejection::unauthorized()),
        }
    }
    let app = App::new()
        .get("/limited", ok)
        .add_middleware(
            RateLimit::per_minute(1).key(Key::principal(|user: &User| user.id.to_string())),
        )
        // Added last: runs first, so the principal is there for the limit.
        .add_middleware(Authentication::bearer(verify));
    let client = TestClient::new(app);
    let as_user = |token: &'static str| {
        client
            .get("/limited")
            .header("authorization", format!("Bearer {token}"))
    };
    assert_eq!(as_user("alice").await.status(), 200);
    assert_eq!(as_user("alice").await.status(), 429);
    assert_eq!(as_user("bob").await.status(), 200);
    // Refused by Authentication before the limit counts anything.
    assert_eq!(as_user("mallory").await.status(), 401);
}

#[tokio::test(start_paused = true)]
async fn a_closure_is_a_key() {
    let limit = RateLimit::per_minute(1).key(Key::from_fn(|req| {
        req.query()
            .and_then(|q| q.strip_prefix("tenant="))
            .map(str::to_owned)
    }));
    let client = limited(limit);
    assert_eq!(client.get("/limited?tenant=a").await.status(), 200);
    assert_eq!(client.get("/limited?tenant=a").await.status(), 429);
    assert_eq!(client.get("/limited?tenant=b").await.status(), 200);
}

#[tokio::test(start_paused = true)]
async fn a_router_or_a_route_can_have_its_own_limit() {
    let api = Router::new()
        .get("/a", ok)
        .get("/b", ok)
        .add_middleware(RateLimit::new(Policy::per_minute(2).named("api")));
    let app = App::new()
        .include_router("/api", api)
        .route(
            "/login",
            get(ok).add_middleware(RateLimit::new(Policy::per_minute(1).named("login"))),
        )
        .get("/free", ok);
    let client = TestClient::new(app);
    // The router's limit spans its routes.
    assert_eq!(client.get("/api/a").await.status(), 200);
    let res = client.get("/api/b").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("ratelimit-policy"), Some(r#""api";q=2;w=60"#));
    assert_eq!(client.get("/api/a").await.status(), 429);
    // The route's limit is its own.
    assert_eq!(client.get("/login").await.status(), 200);
    assert_eq!(client.get("/login").await.status(), 429);
    // Elsewhere, nothing.
    for _ in 0..5 {
        let res = client.get("/free").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.header("ratelimit"), None);
    }
}

#[tokio::test(start_paused = true)]
async fn an_app_limit_and_a_route_limit_both_report_in_one_list() {
    let app = App::new()
        .route(
            "/login",
            get(ok).add_middleware(RateLimit::new(Policy::per_minute(2).named("login"))),
        )
        .add_middleware(RateLimit::new(Policy::per_minute(10).named("app")));
    let client = TestClient::new(app);
    let res = client.get("/login").await;
    assert_eq!(
        res.header_all("ratelimit-policy"),
        [r#""login";q=2;w=60"#, r#""app";q=10;w=60"#]
    );
    assert_eq!(
        res.header_all("ratelimit"),
        [r#""login";r=1;t=30"#, r#""app";r=9;t=6"#]
    );
}

#[tokio::test(start_paused = true)]
async fn the_refusal_can_be_any_response_and_keeps_the_fields() {
    let limit = RateLimit::per_minute(1).on_refused(|refusal| {
        assert_eq!(refusal.policies[0].name(), "default");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "slow down", "wait": refusal.retry_after.as_secs()})),
        )
    });
    let client = limited(limit);
    client.get("/limited").await;
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.json::<Value>(),
        json!({"error": "slow down", "wait": 60})
    );
    assert_eq!(res.header("retry-after"), Some("60"));
    assert_eq!(res.header("ratelimit"), Some(r#""default";r=0;t=60"#));
}

#[tokio::test(start_paused = true)]
async fn an_exception_handler_sees_the_refusal_with_its_headers() {
    let app = App::new()
        .get("/limited", ok)
        .add_middleware(RateLimit::per_minute(1))
        .exception_handler(|err: &HttpError| {
            let mut res = sluice::IntoResponse::into_response((
                err.status(),
                format!("custom {}", err.status().as_u16()),
            ));
            for (name, value) in err.headers() {
                res.headers_mut().insert(name.clone(), value.clone());
            }
            res
        });
    let client = TestClient::new(app);
    client.get("/limited").await;
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.text(), "custom 429");
    assert_eq!(res.header("retry-after"), Some("60"));
    assert_eq!(res.header("ratelimit"), Some(r#""default";r=0;t=60"#));
}

#[tokio::test(start_paused = true)]
async fn the_header_set_is_configurable() {
    let client = limited(RateLimit::per_minute(2).headers(Headers::x_ratelimit()));
    let res = client.get("/limited").await;
    assert_eq!(res.header("ratelimit"), None);
    assert_eq!(res.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(res.header("x-ratelimit-remaining"), Some("1"));
    assert_eq!(res.header("x-ratelimit-reset"), Some("30"));

    let client = limited(RateLimit::per_minute(1).headers(Headers::ietf().refusals_only()));
    let res = client.get("/limited").await;
    assert_eq!(res.header("ratelimit"), None);
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.header("ratelimit"), Some(r#""default";r=0;t=60"#));

    let client = limited(RateLimit::per_minute(1).headers(Headers::none().without_retry_after()));
    client.get("/limited").await;
    let res = client.get("/limited").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.header("retry-after"), None);
    assert_eq!(res.header("ratelimit"), None);

    let client = limited(RateLimit::per_minute(1).headers(Headers::ietf().and_x_ratelimit()));
    let res = client.get("/limited").await;
    assert_eq!(res.header("ratelimit"), Some(r#""default";r=0;t=60"#));
    assert_eq!(res.header("x-ratelimit-remaining"), Some("0"));
}

#[tokio::test(start_paused = true)]
async fn limits_that_share_a_store_share_counts_by_policy_name() {
    let store = MemoryStore::new();
    let app = App::new()
        .route(
            "/a",
            get(ok).add_middleware(RateLimit::per_minute(1).store(store.clone())),
        )
        .route(
            "/b",
            get(ok).add_middleware(RateLimit::per_minute(1).store(store.clone())),
        )
        .route(
            "/c",
            get(ok).add_middleware(
                RateLimit::new(Policy::per_minute(1).named("c")).store(store.clone()),
            ),
        );
    let client = TestClient::new(app);
    assert_eq!(client.get("/a").await.status(), 200);
    assert_eq!(
        client.get("/b").await.status(),
        429,
        "same name, same counts"
    );
    assert_eq!(client.get("/c").await.status(), 200, "another name");
    assert_eq!(store.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_never_take_more_than_the_quota() {
    let client = limited(RateLimit::per_hour(50));
    let tasks: Vec<_> = (0..400)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("/limited").await.status() })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap() == 200 {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 50);
}

#[test]
fn settings_that_cannot_work_are_reported_when_the_app_is_built() {
    fn error(limit: RateLimit) -> String {
        match App::new().add_middleware(limit).build() {
            Err(e @ ConfigError::Middleware { .. }) => e.to_string(),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("built"),
        }
    }
    assert!(error(RateLimit::per_minute(0)).contains("quota of 0"));
    assert!(
        error(RateLimit::new(Policy::new(5, Duration::from_millis(500))))
            .contains("whole number of seconds")
    );
    assert!(error(RateLimit::per_second(5).and(Policy::per_minute(100)))
        .contains("two policies are named \"default\""));
    assert!(error(RateLimit::new(Policy::per_minute(1).named("a b"))).contains("a b"));
    assert!(error(RateLimit::per_minute(1).key(Key::header("bad header"))).contains("bad header"));
    assert!(error(RateLimit::per_minute(1).exempt("health")).contains("must start with '/'"));
    let mut nine = RateLimit::new(Policy::per_second(1).named("p0"));
    for i in 1..9 {
        nine = nine.and(Policy::per_second(1).named(&format!("p{i}")));
    }
    assert!(error(nine).contains("at most 8"));
}

#[tokio::test]
async fn a_store_can_be_called_directly() {
    let store = MemoryStore::new();
    let policies = [Policy::per_minute(2)];
    let key = RateKey::Text("k");
    let first = store.check(&key, &policies).await.unwrap();
    assert!(first.is_admitted());
    assert_eq!(
        first.reset_after().collect::<Vec<_>>(),
        [Duration::from_secs(30)]
    );
    assert!(store.check(&key, &policies).await.unwrap().is_admitted());
    assert!(!store.check(&key, &policies).await.unwrap().is_admitted());
}

fn ip(i: u32) -> RateKey<'static> {
    RateKey::Ip(std::net::IpAddr::V4(std::net::Ipv4Addr::from(i)))
}

async fn spray(store: &MemoryStore, policies: &[Policy], keys: std::ops::Range<u32>) {
    for i in keys {
        let decision = store
            .check(&ip(i), policies)
            .await
            .expect("memory never fails");
        assert!(decision.is_admitted());
    }
}

#[tokio::test(start_paused = true)]
async fn idle_keys_expire() {
    let store = MemoryStore::new();
    let policies = [Policy::per_second(5)];
    spray(&store, &policies, 0..10_000).await;
    assert_eq!(store.len(), 10_000);

    // A second later every quota is full again; shards drop such entries
    // when next used.
    tokio::time::advance(Duration::from_millis(1_001)).await;
    spray(&store, &policies, 10_000..20_000).await;
    assert_eq!(store.len(), 10_000, "only the new keys are left");

    // Or all at once, for a quiet app.
    tokio::time::advance(Duration::from_millis(1_001)).await;
    store.remove_expired();
    assert!(store.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_client_deep_in_its_quota_survives_a_spray_of_new_keys() {
    let store = MemoryStore::with_capacity(640);
    let policies = [Policy::per_minute(100)];
    let hammer = RateKey::Text("hammer");
    while store.check(&hammer, &policies).await.unwrap().is_admitted() {}
    spray(&store, &policies, 0..100_000).await;
    assert!(store.len() <= 640);
    assert!(
        !store.check(&hammer, &policies).await.unwrap().is_admitted(),
        "the spray made the store forget a client that had used its whole quota"
    );
}
