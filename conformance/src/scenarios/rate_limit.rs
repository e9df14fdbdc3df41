//! The `rate-limit` scenario: sluice's `RateLimit`, 5 requests per 60 s per
//! client address, in memory or, with `--redis URL`, in that Redis, shared
//! by every instance started with the same URL.

use serde_json::{json, Value};
use sluice::middleware::rate_limit::{RateLimit, RedisStore};
use sluice::middleware::ProxyHeaders;
use sluice::{App, Json, Method};

async fn limited() -> Json<Value> {
    Json(json!({"ok": true}))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The app; `Err` with a one-line reason when `--redis` is not a Redis URL.
pub(crate) fn rate_limit(redis: Option<&str>) -> Result<App, String> {
    // Policy "default": 5 per 60 s per client address, on every request
    // (404s included) except GET and HEAD of /health. Redis unreachable:
    // let through without rate-limit headers (the default, fail open), with
    // a warning in the log; each request waits at most 50 ms for Redis.
    let limit = RateLimit::per_minute(5).exempt_methods([Method::GET, Method::HEAD], "/health");
    let app = App::new().get("/limited", limited).get("/health", health);
    let app = match redis {
        Some(url) => {
            let store = RedisStore::open(url).map_err(|e| e.to_string())?;
            app.add_middleware(limit.store(store))
        }
        None => app.add_middleware(limit),
    };
    // Outermost: the `proxy-headers` scenario's ProxyHeaders (trusted
    // 127.0.0.1, without the HTTPS redirect), so that clients behind the
    // proxy are told apart by X-Forwarded-For.
    let app = app.add_middleware(ProxyHeaders::new().trusted(["127.0.0.1"]));
    Ok(app)
}
