//! [`RateLimit`]: a quota of requests per client, kept in this process or
//! in Redis, where every instance of the app shares it.
//!
//! ```
//! use sluice::middleware::rate_limit::RateLimit;
//! use sluice::testing::TestClient;
//! use sluice::{App, Method};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/items", || async { "items" })
//!     .get("/health", || async { "ok" })
//!     .add_middleware(
//!         RateLimit::per_minute(2).exempt_methods([Method::GET, Method::HEAD], "/health"),
//!     );
//! let client = TestClient::new(app);
//!
//! let res = client.get("/items").await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.header("ratelimit-policy"), Some(r#""default";q=2;w=60"#));
//! assert_eq!(res.header("ratelimit"), Some(r#""default";r=1;t=30"#));
//!
//! assert_eq!(client.get("/items").await.status(), 200);
//! let res = client.get("/items").await;
//! assert_eq!(res.status(), 429);
//! assert_eq!(res.text(), r#"{"detail":"Too Many Requests"}"#);
//! assert_eq!(res.header("retry-after"), Some("30"));
//! assert_eq!(res.header("ratelimit"), Some(r#""default";r=0;t=60"#));
//!
//! // Exempt: never limited, no rate-limit fields.
//! let res = client.get("/health").await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.header("ratelimit"), None);
//! # }
//! ```
//!
//! # What a client gets
//!
//! The algorithm is GCRA (the generic cell rate algorithm, as redis-cell and
//! go-redis/redis_rate use): smooth, one number of state per client and
//! policy, and no double burst where two fixed windows meet. For a
//! [`Policy`] of `q` requests per `w` seconds, with the *interval*
//! `T = w / q`:
//!
//! - a client that has been quiet for `w` may send `q` requests at once;
//! - after that, one more request is admitted every `T`: over a long time, a
//!   client gets `q` per `w` and no more;
//! - in any span of time of length `L`, a client is admitted at most
//!   `q + ceil(L / T) - 1` requests: `q` at once, and `2q - 1` in any span
//!   of `w` (the burst, then one per interval). With 5 per 60 s: 5 at once,
//!   at most 9 in any minute, at most 5 + 5n - 1 in any n minutes;
//! - a refused request costs nothing: a client that keeps retrying is
//!   admitted as soon as the interval has passed (`retry-after`).
//!
//! With several policies ([`RateLimit::and`], e.g. 10 per second and 1,000
//! per hour), a request is admitted only when every policy admits it; the
//! strictest decides, and a refusal counts against none of them.
//!
//! # Keys, scope and exemptions
//!
//! Requests are counted per [`Key`]: the client's address (the default),
//! the principal of [`Authentication`](crate::middleware::Authentication),
//! a header, or a closure. A request whose key cannot be found is counted
//! under one shared key or let through, as [`MissingKey`] says.
//!
//! Add `RateLimit` to the app (every request, 404s included), to a
//! [`Router`](crate::Router), or to a single route; exempt paths with
//! [`RateLimit::exempt`], [`RateLimit::exempt_methods`] and
//! [`RateLimit::exempt_prefix`]. Two limits that share a store and a policy
//! name share their counts: name policies apart ([`Policy::named`]) to keep
//! them apart.
//!
//! # Header fields
//!
//! Every limited response carries the `RateLimit-Policy` and `RateLimit`
//! fields of draft-ietf-httpapi-ratelimit-headers; a refusal is
//! `429 {"detail":"Too Many Requests"}` with `Retry-After`. [`Headers`]
//! explains the values and chooses other sets;
//! [`RateLimit::on_refused`] builds another refusal. In the app's
//! [OpenAPI document](crate::openapi), every operation it limits lists
//! the `429`.
//!
//! # Stores
//!
//! | store | counts live | when it fails |
//! |---|---|---|
//! | [`MemoryStore`] (default) | in this process: sharded, at most 100,000 entries by default, expired entries dropped | never |
//! | `RedisStore` (feature `redis`) | in Redis, shared by every instance with the same URL and prefix | after its timeout (50 ms): let through ([`RateLimit::fail_open`], default) or 503 ([`RateLimit::fail_closed`]), with a warning in the log |
//!
//! Any other store implements [`RateLimitStore`].

mod headers;
mod key;
mod limiter;
mod memory;
mod policy;
#[cfg(feature = "redis")]
mod redis_store;
mod store;

pub use headers::Headers;
pub use key::{Key, MissingKey};
pub use limiter::{RateLimit, Refusal};
pub use memory::{MemoryStore, DEFAULT_CAPACITY};
pub use policy::{Policy, MAX_POLICIES};
#[cfg(feature = "redis")]
pub use redis_store::{RedisStore, DEFAULT_PREFIX};
pub use store::{Decision, RateKey, RateLimitStore, StoreError, StoreErrorKind};
