//! The [`RateLimit`] middleware.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::{Method, StatusCode};

use super::headers::{Headers, PolicyFields};
use super::key::{Found, Key, MissingKey};
use super::memory::MemoryStore;
use super::policy::{ceil_secs, Policy, MAX_POLICIES};
use super::store::{Decision, RateKey, RateLimitStore, StoreError};
use crate::error::{ConfigError, HttpError};
use crate::hook::{self, Before, Hook, Slot, Stash};
use crate::middleware::{Middleware, Next};
use crate::openapi::{OperationDoc, ResponseDoc};
use crate::request::{Request, RouteMatch};
use crate::response::{IntoResponse, Response};
use crate::stack::StackEntry;

type OnRefused = Arc<dyn Fn(&Refusal<'_>) -> Response + Send + Sync>;

/// Limits how many requests each client may make: one or more [`Policy`]s
/// (GCRA), counted per [`Key`], kept in a [`RateLimitStore`].
///
/// | setting | default |
/// |---|---|
/// | policies | the one given to the constructor; add more with [`and`](RateLimit::and) (all apply, the strictest decides) |
/// | [`key`](RateLimit::key) | [`Key::client_addr`] |
/// | [`missing_key`](RateLimit::missing_key) | [`MissingKey::Shared`] |
/// | [`store`](RateLimit::store) | a [`MemoryStore`] of its own |
/// | [`headers`](RateLimit::headers) | [`Headers::ietf`]: `RateLimit-Policy`, `RateLimit`, `Retry-After` |
/// | [`on_refused`](RateLimit::on_refused) | `429 {"detail":"Too Many Requests"}` |
/// | when the store fails | let the request through without headers ([`fail_closed`](RateLimit::fail_closed): 503) |
/// | exemptions | none ([`exempt`](RateLimit::exempt), [`exempt_methods`](RateLimit::exempt_methods), [`exempt_prefix`](RateLimit::exempt_prefix)) |
///
/// Add it to the app (every request, 404s included), to a
/// [`Router`](crate::Router) or to one route
/// ([`MethodRouter::add_middleware`](crate::routing::MethodRouter::add_middleware)).
#[must_use]
pub struct RateLimit<S = MemoryStore> {
    policies: Vec<Policy>,
    fields: PolicyFields,
    key: Key,
    missing: MissingKey,
    store: S,
    headers: Headers,
    on_refused: Option<OnRefused>,
    fail_closed: bool,
    exempt: Vec<Exemption>,
    invalid: Option<String>,
}

impl<S> fmt::Debug for RateLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("policies", &self.policies)
            .field("key", &self.key)
            .field("missing", &self.missing)
            .field("store", &std::any::type_name::<S>())
            .field("headers", &self.headers)
            .field("fail_closed", &self.fail_closed)
            .field("exempt", &self.exempt)
            .finish_non_exhaustive()
    }
}

impl<S: Clone> Clone for RateLimit<S> {
    fn clone(&self) -> Self {
        RateLimit {
            policies: self.policies.clone(),
            fields: self.fields.clone(),
            key: self.key.clone(),
            missing: self.missing,
            store: self.store.clone(),
            headers: self.headers,
            on_refused: self.on_refused.clone(),
            fail_closed: self.fail_closed,
            exempt: self.exempt.clone(),
            invalid: self.invalid.clone(),
        }
    }
}

/// What [`RateLimit::on_refused`] gets to build its response from.
#[derive(Debug)]
#[non_exhaustive]
pub struct Refusal<'a> {
    /// How long until the next request of this client is admitted.
    pub retry_after: Duration,
    /// The policies that refused the request (those with no request left).
    pub policies: Vec<&'a Policy>,
}

#[derive(Debug, Clone)]
struct Exemption {
    path: String,
    prefix: bool,
    /// `None`: every method.
    methods: Option<Vec<Method>>,
}

impl Exemption {
    fn matches(&self, method: &Method, path: &str) -> bool {
        let path_ok = if self.prefix {
            path.strip_prefix(self.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        } else {
            path == self.path
        };
        path_ok
            && self
                .methods
                .as_ref()
                .is_none_or(|methods| methods.contains(method))
    }
}

impl RateLimit<MemoryStore> {
    /// Limits by `policy`, per client address, in memory.
    pub fn new(policy: Policy) -> Self {
        let policies = vec![policy];
        RateLimit {
            fields: PolicyFields::new(&policies),
            policies,
            key: Key::default(),
            missing: MissingKey::default(),
            store: MemoryStore::new(),
            headers: Headers::default(),
            on_refused: None,
            fail_closed: false,
            exempt: Vec::new(),
            invalid: None,
        }
    }

    /// `quota` requests per second ([`Policy::per_second`]).
    pub fn per_second(quota: u32) -> Self {
        RateLimit::new(Policy::per_second(quota))
    }

    /// `quota` requests per minute ([`Policy::per_minute`]).
    pub fn per_minute(quota: u32) -> Self {
        RateLimit::new(Policy::per_minute(quota))
    }

    /// `quota` requests per hour ([`Policy::per_hour`]).
    pub fn per_hour(quota: u32) -> Self {
        RateLimit::new(Policy::per_hour(quota))
    }
}

impl<S: RateLimitStore> RateLimit<S> {
    /// Adds a policy: a request is admitted only when every policy admits
    /// it (the strictest decides), and a refused request counts against
    /// none. Names must differ (name them with [`Policy::named`]); at most
    /// [`MAX_POLICIES`].
    pub fn and(mut self, policy: Policy) -> Self {
        self.policies.push(policy);
        self.fields = PolicyFields::new(&self.policies);
        self
    }

    /// What requests are counted by (default: [`Key::client_addr`]).
    pub fn key(mut self, key: Key) -> Self {
        self.key = key;
        self
    }

    /// What to do with a request whose key cannot be found (default:
    /// [`MissingKey::Shared`], count them all under one key).
    pub fn missing_key(mut self, missing: MissingKey) -> Self {
        self.missing = missing;
        self
    }

    /// Where the counts live: [`MemoryStore`] (the default, this process
    /// only) or `RedisStore` (feature `redis`: shared by every instance).
    pub fn store<T: RateLimitStore>(self, store: T) -> RateLimit<T> {
        RateLimit {
            policies: self.policies,
            fields: self.fields,
            key: self.key,
            missing: self.missing,
            store,
            headers: self.headers,
            on_refused: self.on_refused,
            fail_closed: self.fail_closed,
            exempt: self.exempt,
            invalid: self.invalid,
        }
    }

    /// Which header fields to send (default: [`Headers::ietf`]).
    pub fn headers(mut self, headers: Headers) -> Self {
        self.headers = headers;
        self
    }

    /// Builds the response to a refused request (default:
    /// `429 {"detail":"Too Many Requests"}`). The configured header fields
    /// are added to it.
    ///
    /// ```
    /// use sluice::middleware::rate_limit::RateLimit;
    /// use sluice::{Json, StatusCode};
    /// use serde_json::json;
    ///
    /// let limit = RateLimit::per_minute(10).on_refused(|refusal| {
    ///     let wait = refusal.retry_after.as_secs();
    ///     (StatusCode::TOO_MANY_REQUESTS, Json(json!({"error": "slow down", "wait": wait})))
    /// });
    /// ```
    pub fn on_refused<F, R>(mut self, f: F) -> Self
    where
        F: Fn(&Refusal<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.on_refused = Some(Arc::new(move |refusal: &Refusal<'_>| {
            f(refusal).into_response()
        }));
        self
    }

    /// When the store cannot decide (Redis unreachable or too slow), refuse
    /// the request with `503 {"detail":"Service Unavailable"}` instead of
    /// letting it through.
    pub fn fail_closed(mut self) -> Self {
        self.fail_closed = true;
        self
    }

    /// When the store cannot decide, let the request through, without
    /// rate-limit headers (the default).
    pub fn fail_open(mut self) -> Self {
        self.fail_closed = false;
        self
    }

    /// Never limits requests for exactly `path` (e.g. `/health`), whatever
    /// their method. Paths are compared percent-decoded, as the router
    /// matches them.
    pub fn exempt(self, path: &str) -> Self {
        self.add_exemption(path, false, None)
    }

    /// Never limits requests with one of `methods` for exactly `path`:
    /// `exempt_methods([Method::GET, Method::HEAD], "/health")`.
    pub fn exempt_methods(self, methods: impl IntoIterator<Item = Method>, path: &str) -> Self {
        let methods = methods.into_iter().collect();
        self.add_exemption(path, false, Some(methods))
    }

    /// Never limits requests for `prefix` or any path below it: `/static`
    /// exempts `/static` and `/static/app.js`, not `/statics`.
    pub fn exempt_prefix(self, prefix: &str) -> Self {
        let trimmed = prefix.trim_end_matches('/');
        self.add_exemption(trimmed, true, None)
    }

    fn add_exemption(mut self, path: &str, prefix: bool, methods: Option<Vec<Method>>) -> Self {
        // `exempt_prefix("/")` leaves an empty prefix: everything.
        let valid = path.starts_with('/') || (prefix && path.is_empty());
        if !valid {
            self.invalid
                .get_or_insert_with(|| format!("exempt path {path:?} must start with '/'"));
        }
        self.exempt.push(Exemption {
            path: path.to_owned(),
            prefix,
            methods,
        });
        self
    }

    fn is_exempt(&self, req: &Request) -> bool {
        let path = req.decoded_path();
        self.exempt
            .iter()
            .any(|exemption| exemption.matches(req.method(), &path))
    }

    /// The key `found` counts under: `None` for a request without one that
    /// [`MissingKey::Allow`] lets through.
    fn rate_key<'f>(&self, found: &'f Option<Found<'_>>) -> Option<RateKey<'f>> {
        match found {
            Some(found) => Some(found.as_key()),
            None => match self.missing {
                MissingKey::Shared => Some(RateKey::Shared),
                MissingKey::Allow => None,
            },
        }
    }

    /// A decision, a store failure, or a pass (no key to count under).
    /// Exempt requests never get here: the stack skips this middleware for
    /// them ([`Middleware::skips`]).
    async fn decide(&self, req: &Request) -> Verdict {
        let found = self.key.extract(req);
        let Some(key) = self.rate_key(&found) else {
            return Verdict::Pass;
        };
        self.store.check(&key, &self.policies).await.into()
    }

    /// [`RateLimit::decide`] when the store answers at once; `None` when it
    /// must be asked with a future.
    fn decide_now(&self, req: &Request) -> Option<Verdict> {
        let found = self.key.extract(req);
        let Some(key) = self.rate_key(&found) else {
            return Some(Verdict::Pass);
        };
        self.store
            .check_now(&key, &self.policies)
            .map(Verdict::from)
    }

    /// What a verdict means for the request: pass it on with the decision
    /// whose fields go on its response (`None`: no fields), or answer it.
    /// Never [`Before::Wait`].
    fn admit(&self, verdict: Verdict) -> Before<Option<Decision>> {
        match verdict {
            Verdict::Pass => Before::Pass(None),
            Verdict::Failed(error) => self
                .store_failed(&error)
                .map_or(Before::Pass(None), Before::Answer),
            Verdict::Decided(decision) if !decision.is_admitted() => {
                Before::Answer(self.refuse(&decision))
            }
            Verdict::Decided(decision) => {
                Before::Pass(self.headers.on_admitted().then_some(decision))
            }
        }
    }

    /// Writes the fields of an admitted request's decision, if any.
    fn write_admitted(&self, decision: Option<Decision>, response: &mut Response) {
        if let Some(decision) = decision {
            self.headers.write(
                response.headers_mut(),
                &self.policies,
                &self.fields,
                &decision,
            );
        }
    }

    /// The answer when the store could not decide: a 503 when failing
    /// closed, else `None` (the request goes on, uncounted).
    fn store_failed(&self, error: &StoreError) -> Option<Response> {
        // The store logs its own failures (rate-limited); this is the
        // per-request detail.
        tracing::debug!(target: "sluice::rate_limit", %error, fail_closed = self.fail_closed, "the store could not decide");
        self.fail_closed.then(|| {
            HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
        })
    }

    fn refuse(&self, decision: &Decision) -> Response {
        let reset_after = decision.reset_after_us();
        let mut wait_us = 0;
        let mut refusing = Vec::new();
        for (policy, &reset) in self.policies.iter().zip(reset_after) {
            let wait = policy.wait_us(reset);
            if wait > 0 {
                wait_us = wait_us.max(wait);
                refusing.push(policy);
            }
        }
        let retry_after_secs = ceil_secs(wait_us).max(1);
        let mut response = match &self.on_refused {
            Some(on_refused) => on_refused(&Refusal {
                retry_after: Duration::from_micros(wait_us),
                policies: refusing,
            }),
            None => {
                // The fields travel on the error too, so that an exception
                // handler for `HttpError` can keep them.
                let mut error = HttpError::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
                let mut fields = http::HeaderMap::new();
                self.write_refusal_headers(&mut fields, decision, retry_after_secs);
                for (name, value) in &fields {
                    error = error.with_header(name.clone(), value.clone());
                }
                return error.into_response();
            }
        };
        self.write_refusal_headers(response.headers_mut(), decision, retry_after_secs);
        response
    }

    fn write_refusal_headers(
        &self,
        headers: &mut http::HeaderMap,
        decision: &Decision,
        retry_after_secs: u64,
    ) {
        self.headers
            .write(headers, &self.policies, &self.fields, decision);
        self.headers.write_retry_after(headers, retry_after_secs);
    }
}

enum Verdict {
    /// Exempt, or no key and [`MissingKey::Allow`]: not limited.
    Pass,
    Decided(Decision),
    Failed(StoreError),
}

impl From<Result<Decision, StoreError>> for Verdict {
    fn from(checked: Result<Decision, StoreError>) -> Self {
        match checked {
            Ok(decision) => Verdict::Decided(decision),
            Err(error) => Verdict::Failed(error),
        }
    }
}

/// With a store that answers at once (the memory store), a request is
/// counted without a future; with another, [`Middleware::handle`] asks it.
impl Stash for Option<Decision> {
    fn stash(self) -> Slot {
        Slot::Other(Box::new(self))
    }

    fn unstash(slot: Slot) -> Option<Self> {
        slot.take_other()
    }
}

impl<S: RateLimitStore> Hook for RateLimit<S> {
    /// The decision, when its fields go on the response.
    type State<'a> = Option<Decision>;

    fn before(&self, req: &mut Request) -> Before<Option<Decision>> {
        match self.decide_now(req) {
            Some(verdict) => self.admit(verdict),
            None => Before::Wait,
        }
    }

    fn after(
        &self,
        decision: Option<Decision>,
        response: &mut Response,
        _route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'_, Response>> {
        self.write_admitted(decision, response);
        None
    }
}

impl<S: RateLimitStore> Middleware for RateLimit<S> {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        let decision = match self.admit(self.decide(&req).await) {
            Before::Pass(decision) => decision,
            Before::Answer(answer) => return Ok(answer),
            // `admit` always decides.
            Before::Wait => None,
        };
        let mut response = next.run(req).await;
        self.write_admitted(decision, &mut response);
        Ok(response)
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("RateLimit")
    }

    /// Exempt requests pass without a layer's cost.
    fn skips(&self, req: &Request) -> bool {
        !self.exempt.is_empty() && self.is_exempt(req)
    }

    /// Documents the `429` of every operation it covers (not those an
    /// exemption lets through), with the default body's schema unless
    /// [`on_refused`](RateLimit::on_refused) makes another.
    fn describe(&self, operation: &mut OperationDoc<'_>) {
        let (method, path) = (operation.method(), operation.path());
        if self.exempt.iter().any(|e| e.matches(method, path)) {
            return;
        }
        let content: fn(&mut ResponseDoc<'_>) = if self.on_refused.is_some() {
            |_| {}
        } else {
            |doc| {
                let detail = serde_json::json!({
                    "type": "object",
                    "properties": { "detail": { "type": "string", "title": "Detail" } },
                    "required": ["detail"]
                });
                doc.content("application/json", Some(detail));
            }
        };
        operation.response(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", content);
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |reason: String| Err(ConfigError::middleware("RateLimit", reason));
        if let Some(reason) = &self.invalid {
            return invalid(reason.clone());
        }
        self.store.validate()?;
        if let Some(reason) = self.key.invalid() {
            return invalid(reason.to_owned());
        }
        if self.policies.len() > MAX_POLICIES {
            return invalid(format!(
                "{} policies; at most {MAX_POLICIES} can apply at once",
                self.policies.len()
            ));
        }
        for (i, policy) in self.policies.iter().enumerate() {
            if let Some(reason) = policy.invalid() {
                return invalid(format!("policy {:?}: {reason}", policy.name()));
            }
            if self.policies[..i].iter().any(|p| p.name() == policy.name()) {
                return invalid(format!(
                    "two policies are named {:?}; name them apart with Policy::named",
                    policy.name()
                ));
            }
        }
        Ok(())
    }
}
