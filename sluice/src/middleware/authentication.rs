//! [`Authentication`]: a bearer token or an API key, checked by your
//! verifier before any route runs.
//!
//! The tutorial's authentication middleware as a built-in. The credential
//! is read from the `Authorization: Bearer <token>` header, from an API-key
//! header or from a query parameter, and handed to an async verifier that
//! returns the principal (your user type) or a [`Rejection`]. The principal
//! is put in the request's extensions, where handlers read it with
//! [`Extension<P>`](crate::extract::Extension). A request without a valid
//! credential gets `401 {"detail":"Unauthorized"}` with a
//! [`WWW-Authenticate`](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/WWW-Authenticate)
//! challenge, and never reaches a route.
//!
//! ```
//! use sluice::extract::Extension;
//! use sluice::middleware::{Authentication, Rejection};
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! #[derive(Clone)]
//! struct User { name: String }
//!
//! async fn verify(token: String) -> Result<User, Rejection> {
//!     match token.as_str() {
//!         "alice-token" => Ok(User { name: "alice".into() }),
//!         _ => Err(Rejection::unauthorized()),
//!     }
//! }
//!
//! async fn me(Extension(user): Extension<User>) -> String {
//!     user.name
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/me", me)
//!     .get("/health", || async { "ok" })
//!     .add_middleware(Authentication::bearer(verify).exempt("/health"));
//! let client = TestClient::new(app);
//!
//! let res = client.get("/me").header("authorization", "Bearer alice-token").await;
//! assert_eq!(res.text(), "alice");
//!
//! let res = client.get("/me").await;
//! assert_eq!(res.status(), 401);
//! assert_eq!(res.header("www-authenticate"), Some("Bearer"));
//! assert_eq!(res.text(), r#"{"detail":"Unauthorized"}"#);
//!
//! assert_eq!(client.get("/health").await.text(), "ok");
//! # }
//! ```
//!
//! For one fixed secret there is [`Authentication::static_bearer`] (and
//! [`StaticToken`] for the other sources), which compares in constant time.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use http::header::{HeaderName, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Method, StatusCode};
use subtle::ConstantTimeEq;

use crate::error::{ConfigError, Error, HttpError};
use crate::hook::{self, Before, Hook};
use crate::middleware::{Middleware, Next};
use crate::openapi::{OperationDoc, SecurityScheme};
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::stack::StackEntry;

/// Checks a credential: what [`Authentication`] calls with the token or key
/// it found.
///
/// Implemented for every async function or closure
/// `Fn(String) -> impl Future<Output = Result<P, Rejection>>`, where `P`,
/// the principal, is any `Clone + Send + Sync` type (your user, its
/// scopes, an API client id). [`StaticToken`] implements it for one fixed
/// secret.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot verify credentials",
    label = "expected an async function `Fn(String) -> Result<Principal, Rejection>`",
    note = "e.g. `async fn verify(token: String) -> Result<User, Rejection>`, or `StaticToken::new(\"secret\")`"
)]
pub trait Verify: Send + Sync + 'static {
    /// What a valid credential identifies; put in the request's extensions.
    type Principal: Clone + Send + Sync + 'static;

    /// Checks `credential` (the bearer token, or the API key).
    fn verify(
        &self,
        credential: String,
    ) -> impl Future<Output = Result<Self::Principal, Rejection>> + Send;

    /// Answers at once when no waiting is needed (a fixed token, a lookup in
    /// memory): the middleware tries this first and skips copying the
    /// credential and running a future. `None`, the default, means "ask
    /// [`Verify::verify`]".
    fn verify_now(&self, credential: &str) -> Option<Result<Self::Principal, Rejection>> {
        let _ = credential;
        None
    }
}

impl<F, Fut, P> Verify for F
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<P, Rejection>> + Send,
    P: Clone + Send + Sync + 'static,
{
    type Principal = P;

    fn verify(&self, credential: String) -> impl Future<Output = Result<P, Rejection>> + Send {
        self(credential)
    }
}

/// Why a verifier refused a credential.
///
/// - [`Rejection::unauthorized`]: the credential is unknown, expired or
///   revoked: `401 {"detail":"Unauthorized"}` with the challenge, the same
///   answer as for a missing credential.
/// - [`Rejection::forbidden`]: the credential is valid but not good enough
///   here: `403 {"detail":"Forbidden"}`.
/// - [`Rejection::error`] (or `?` on any error): the verifier itself failed
///   (the database is down): a 500 carrying the error, as any unhandled
///   error, for [`ErrorHandler`](super::ErrorHandler) and the logs.
pub struct Rejection {
    kind: RejectionKind,
}

enum RejectionKind {
    Unauthorized,
    Forbidden,
    Failed(Error),
}

impl Rejection {
    /// The credential is not valid: 401.
    pub fn unauthorized() -> Self {
        Rejection {
            kind: RejectionKind::Unauthorized,
        }
    }

    /// The credential is valid, but not allowed here: 403.
    pub fn forbidden() -> Self {
        Rejection {
            kind: RejectionKind::Forbidden,
        }
    }

    /// The verifier could not decide: a 500 carrying `error`.
    pub fn error(error: impl Into<Error>) -> Self {
        Rejection {
            kind: RejectionKind::Failed(error.into()),
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Rejection {
    fn from(error: E) -> Self {
        Rejection::error(error)
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RejectionKind::Unauthorized => f.write_str("Rejection::Unauthorized"),
            RejectionKind::Forbidden => f.write_str("Rejection::Forbidden"),
            RejectionKind::Failed(e) => f.debug_tuple("Rejection::Error").field(e).finish(),
        }
    }
}

/// Where the credential comes from.
#[derive(Debug, Clone)]
enum Source {
    /// `Authorization: Bearer <token>` (RFC 6750 §2.1).
    Bearer,
    /// The whole value of a header.
    Header(HeaderName),
    /// A query parameter.
    Query(String),
}

/// The paths that need no credential.
#[derive(Debug, Clone, Default)]
struct Exemptions {
    exact: Vec<String>,
    /// Exact paths exempt for one method only (`GET` also covers `HEAD`).
    routes: Vec<(Method, String)>,
    /// Without a trailing `/`: `/public` matches `/public` and `/public/...`.
    prefixes: Vec<String>,
}

impl Exemptions {
    fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty() && self.routes.is_empty()
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.exact.iter().any(|p| p == path)
            || self.routes.iter().any(|(m, p)| {
                p == path && (m == method || (*m == Method::GET && *method == Method::HEAD))
            })
            || self.prefixes.iter().any(|prefix| {
                path.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }
}

/// Requires a credential on every request, except on exempted paths.
///
/// | constructor | credential | default challenge |
/// |---|---|---|
/// | [`bearer`](Authentication::bearer) | `Authorization: Bearer <token>` | `Bearer` |
/// | [`api_key_header`](Authentication::api_key_header) | the whole value of a header | `APIKey` |
/// | [`api_key_query`](Authentication::api_key_query) | a query parameter (percent-decoded) | `APIKey` |
/// | [`static_bearer`](Authentication::static_bearer) | `Bearer <token>` equal to one secret | `Bearer` |
///
/// How a request is handled:
///
/// 1. A path given to [`exempt`](Authentication::exempt) (exact) or
///    [`exempt_prefix`](Authentication::exempt_prefix) (that path and
///    everything below it) passes through untouched, whatever the method;
///    one given to [`exempt_route`](Authentication::exempt_route), for that
///    method only.
///    Paths are compared percent-decoded, as the router matches them.
/// 2. The credential is read. For `bearer`, the scheme is matched
///    case-insensitively (RFC 9110 §11.1), followed by one or more spaces
///    and a [token68](https://www.rfc-editor.org/rfc/rfc9110#section-11.2);
///    anything else (another scheme, no token, two tokens, a value that is
///    not ASCII) counts as no credential. When a header appears more than
///    once, the first value is used, as Starlette does.
/// 3. No credential: `401 {"detail":"Unauthorized"}` with
///    `www-authenticate: <challenge>`, without calling the verifier.
/// 4. Otherwise the verifier runs. `Ok(principal)` puts the principal in
///    the request's extensions and passes the request on; a [`Rejection`] gives
///    its response.
///
/// The 401 and 403 are [`HttpError`]s, so an exception handler registered
/// for `HttpError` sees them too. Credentials are never logged. CORS
/// preflights carry no credentials, so add CORS after this
/// middleware (outside it).
#[must_use]
pub struct Authentication<V> {
    source: Source,
    verifier: Arc<V>,
    exempt: Exemptions,
    challenge: HeaderValue,
    /// The scheme, for building `realm` challenges.
    scheme: &'static str,
    invalid: Option<String>,
    /// The OpenAPI security scheme, when not the source's default.
    openapi_scheme: Option<SecurityScheme>,
}

impl<V> fmt::Debug for Authentication<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authentication")
            .field("source", &self.source)
            .field("exempt", &self.exempt)
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl<V> Clone for Authentication<V> {
    fn clone(&self) -> Self {
        Authentication {
            source: self.source.clone(),
            verifier: self.verifier.clone(),
            exempt: self.exempt.clone(),
            challenge: self.challenge.clone(),
            scheme: self.scheme,
            invalid: self.invalid.clone(),
            openapi_scheme: self.openapi_scheme.clone(),
        }
    }
}

impl<V: Verify> Authentication<V> {
    fn with_source(source: Source, scheme: &'static str, verifier: V) -> Self {
        Authentication {
            source,
            verifier: Arc::new(verifier),
            exempt: Exemptions::default(),
            challenge: HeaderValue::from_static(scheme),
            scheme,
            invalid: None,
            openapi_scheme: None,
        }
    }

    /// A bearer token from `Authorization: Bearer <token>`
    /// ([RFC 6750](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)),
    /// checked by `verifier`. Challenge: `Bearer`.
    pub fn bearer(verifier: V) -> Self {
        Authentication::with_source(Source::Bearer, "Bearer", verifier)
    }

    /// An API key: the whole value of header `name` (e.g. `x-api-key`),
    /// checked by `verifier`. Challenge: `APIKey` (there is no standard
    /// scheme for API keys; change it with
    /// [`challenge`](Authentication::challenge)). An invalid header name is
    /// reported when the app is built.
    pub fn api_key_header(name: &str, verifier: V) -> Self {
        match HeaderName::try_from(name) {
            Ok(header) => Authentication::with_source(Source::Header(header), "APIKey", verifier),
            Err(_) => {
                let mut auth =
                    Authentication::with_source(Source::Header(AUTHORIZATION), "APIKey", verifier);
                auth.invalid = Some(format!("{name:?} is not a valid header name"));
                auth
            }
        }
    }

    /// An API key from the query parameter `name` (e.g. `api_key`),
    /// percent-decoded, checked by `verifier`. Challenge: `APIKey`.
    ///
    /// Query strings end up in proxies' and browsers' histories; prefer a
    /// header where you can.
    pub fn api_key_query(name: &str, verifier: V) -> Self {
        let mut auth =
            Authentication::with_source(Source::Query(name.to_owned()), "APIKey", verifier);
        if name.is_empty() {
            auth.invalid = Some("the query parameter name is empty".to_owned());
        }
        auth
    }

    /// The security scheme the OpenAPI document shows for the operations
    /// this middleware guards, in place of the default for its source
    /// (e.g. to say the bearer token is a JWT, or to name the scheme).
    pub fn openapi_scheme(mut self, scheme: SecurityScheme) -> Self {
        self.openapi_scheme = Some(scheme);
        self
    }

    /// Lets requests for exactly `path` (e.g. `/health`) through without a
    /// credential, whatever their method. Call it once per path.
    pub fn exempt(mut self, path: &str) -> Self {
        self.check_path(path);
        self.exempt.exact.push(path.to_owned());
        self
    }

    /// Lets requests with `method` for exactly `path` through without a
    /// credential; any other method on that path still needs one. `GET`
    /// covers `HEAD` too, as routing does: `exempt_route(Method::GET,
    /// "/health")` makes `GET` and `HEAD /health` public and leaves `POST
    /// /health` a 401.
    pub fn exempt_route(mut self, method: Method, path: &str) -> Self {
        self.check_path(path);
        self.exempt.routes.push((method, path.to_owned()));
        self
    }

    /// Lets requests for `prefix` and every path below it through without
    /// a credential: `/public` exempts `/public` and `/public/x`, not
    /// `/publicity`.
    pub fn exempt_prefix(mut self, prefix: &str) -> Self {
        self.check_path(prefix);
        let trimmed = prefix.trim_end_matches('/');
        self.exempt.prefixes.push(trimmed.to_owned());
        self
    }

    fn check_path(&mut self, path: &str) {
        if !path.starts_with('/') {
            self.invalid = Some(format!("exempt path {path:?} must start with '/'"));
        }
    }

    /// Adds a realm to the challenge: `Bearer realm="api"`. The realm must
    /// be printable ASCII without `"` or `\`; otherwise it is reported when
    /// the app is built.
    pub fn realm(mut self, realm: &str) -> Self {
        let printable = realm
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
        match HeaderValue::try_from(format!("{} realm=\"{realm}\"", self.scheme)) {
            Ok(value) if printable => self.challenge = value,
            _ => self.invalid = Some(format!("{realm:?} is not a valid realm")),
        }
        self
    }

    /// Replaces the whole `www-authenticate` challenge sent with a 401,
    /// e.g. `Bearer realm="api", error="invalid_token"`. An invalid header
    /// value is reported when the app is built.
    pub fn challenge(mut self, challenge: &str) -> Self {
        match HeaderValue::try_from(challenge) {
            Ok(value) if !challenge.is_empty() => self.challenge = value,
            _ => self.invalid = Some(format!("{challenge:?} is not a valid challenge")),
        }
        self
    }

    fn unauthorized(&self) -> Response {
        HttpError::new(StatusCode::UNAUTHORIZED, "Unauthorized")
            .with_header(WWW_AUTHENTICATE, self.challenge.clone())
            .into_response()
    }

    /// The credential the request carries, if it is well formed.
    fn credential<'r>(&self, req: &'r Request) -> Option<Cow<'r, str>> {
        match &self.source {
            Source::Bearer => bearer_token(req.headers().get(AUTHORIZATION)?).map(Cow::Borrowed),
            Source::Header(name) => {
                // `to_str` lets through visible ASCII and tabs only, so the
                // ASCII trim is `str::trim` here, without its Unicode tables.
                let value = req.headers().get(name)?.to_str().ok()?.trim_ascii();
                (!value.is_empty()).then_some(Cow::Borrowed(value))
            }
            Source::Query(name) => {
                let query = req.query()?;
                form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value)
                    .filter(|value| !value.is_empty())
            }
        }
    }
}

impl Authentication<StaticToken> {
    /// Accepts exactly one bearer token, compared in constant time; the
    /// principal is [`Authenticated`].
    ///
    /// ```
    /// use sluice::middleware::Authentication;
    ///
    /// let auth = Authentication::static_bearer("valid_token").exempt("/health");
    /// ```
    pub fn static_bearer(token: impl Into<String>) -> Self {
        Authentication::bearer(StaticToken::new(token))
    }
}

/// The token of `Authorization: Bearer <token>`, if the header has that
/// shape.
pub(crate) fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(' ').trim_end_matches([' ', '\t']);
    is_token68(token).then_some(token)
}

/// `token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
/// (RFC 9110 §11.2).
fn is_token68(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

impl<V: Verify> Authentication<V> {
    /// The answer to a rejected credential.
    fn rejected(&self, rejection: Rejection) -> crate::Result<Response> {
        match rejection.kind {
            RejectionKind::Unauthorized => {
                tracing::debug!(target: "sluice::auth", "credential rejected; 401");
                Ok(self.unauthorized())
            }
            RejectionKind::Forbidden => {
                Err(HttpError::new(StatusCode::FORBIDDEN, "Forbidden").into())
            }
            RejectionKind::Failed(error) => Err(error),
        }
    }
}

/// A credential that [`Verify::verify_now`] can answer for is checked
/// without a future; one that needs [`Verify::verify`] takes
/// [`Middleware::handle`].
impl<V: Verify> Hook for Authentication<V> {
    type State<'a> = ();
    const AFTER: bool = false;

    fn before(&self, req: &mut Request) -> Before<()> {
        if !self.exempt.is_empty() && self.exempt.matches(req.method(), &req.decoded_path()) {
            return Before::Pass(());
        }
        let Some(credential) = self.credential(req) else {
            tracing::debug!(target: "sluice::auth", "no well-formed credential; 401");
            return Before::Answer(self.unauthorized());
        };
        match self.verifier.verify_now(&credential) {
            None => Before::Wait,
            Some(Ok(principal)) => {
                req.extensions_mut().insert(principal);
                Before::Pass(())
            }
            Some(Err(rejection)) => Before::Answer(
                self.rejected(rejection)
                    .unwrap_or_else(IntoResponse::into_response),
            ),
        }
    }
}

impl<V: Verify> Middleware for Authentication<V> {
    async fn handle(&self, mut req: Request, next: Next) -> crate::Result<Response> {
        match Hook::before(self, &mut req) {
            Before::Pass(()) => return Ok(next.run(req).await),
            Before::Answer(answer) => return Ok(answer),
            Before::Wait => {}
        }
        // A credential that `verify_now` left to `verify`.
        let Some(credential) = self.credential(&req).map(Cow::into_owned) else {
            return Ok(self.unauthorized());
        };
        match self.verifier.verify(credential).await {
            Ok(principal) => {
                req.extensions_mut().insert(principal);
                Ok(next.run(req).await)
            }
            Err(rejection) => self.rejected(rejection),
        }
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("Authentication")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match &self.invalid {
            Some(reason) => Err(ConfigError::middleware("Authentication", reason.clone())),
            None => Ok(()),
        }
    }

    /// Requires the security scheme on every operation it guards (not on
    /// exempted paths): `HTTPBearer` for a bearer token, `APIKeyHeader` or
    /// `APIKeyQuery` for an API key, or the one given to
    /// [`openapi_scheme`](Authentication::openapi_scheme).
    fn describe(&self, operation: &mut OperationDoc<'_>) {
        if !self.exempt.is_empty() && self.exempt.matches(operation.method(), operation.path()) {
            return;
        }
        let scheme = match &self.openapi_scheme {
            Some(scheme) => scheme.clone(),
            None => match &self.source {
                Source::Bearer => SecurityScheme::bearer(),
                Source::Header(name) => SecurityScheme::api_key_header(name.as_str()),
                Source::Query(name) => SecurityScheme::api_key_query(name.as_str()),
            },
        };
        operation.security(scheme, &[]);
    }
}

/// A verifier that accepts one fixed secret, compared in constant time
/// (with [`subtle`](https://docs.rs/subtle)), so that response times do not
/// reveal how much of a guess was right. Only the length of the secret can
/// be learnt from timing. The principal is [`Authenticated`].
///
/// ```
/// use sluice::middleware::{Authentication, StaticToken};
///
/// let auth = Authentication::api_key_header("x-api-key", StaticToken::new("s3cret"));
/// ```
#[derive(Clone)]
pub struct StaticToken {
    expected: Arc<[u8]>,
}

impl StaticToken {
    /// Accepts exactly `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        StaticToken {
            expected: Arc::from(secret.into().into_bytes()),
        }
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken(..)")
    }
}

impl Verify for StaticToken {
    type Principal = Authenticated;

    fn verify(
        &self,
        credential: String,
    ) -> impl Future<Output = Result<Authenticated, Rejection>> + Send {
        std::future::ready(self.check(&credential))
    }

    fn verify_now(&self, credential: &str) -> Option<Result<Authenticated, Rejection>> {
        Some(self.check(credential))
    }
}

impl StaticToken {
    fn check(&self, credential: &str) -> Result<Authenticated, Rejection> {
        if constant_time_eq(credential.as_bytes(), &self.expected) {
            Ok(Authenticated)
        } else {
            Err(Rejection::unauthorized())
        }
    }
}

/// Whether `a` equals `b`, in a time that depends on their lengths only
/// (as subtle's slice comparison, which also returns at once on a length
/// mismatch). The differences of every eight bytes are gathered into one
/// word with `|`, which has no branch to take early, and that word is
/// compared once, behind subtle's optimisation barrier.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or_default());
    let mut differ = 0;
    for (x, y) in a_words.by_ref().zip(b_words.by_ref()) {
        differ |= word(x) ^ word(y);
    }
    // The last bytes, shifted into one word each (same length). Not
    // copied: a copy of a length known only at run time calls `memcpy`.
    let tail = |bytes: &[u8]| {
        bytes
            .iter()
            .rev()
            .fold(0, |word, &byte| word << 8 | u64::from(byte))
    };
    differ |= tail(a_words.remainder()) ^ tail(b_words.remainder());
    differ.ct_eq(&0).into()
}

/// The principal of [`StaticToken`]: the request carried the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated;

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &[u8]) -> Option<&str> {
        // Leak the header value for the test's convenience.
        let value: &'static HeaderValue =
            Box::leak(Box::new(HeaderValue::from_bytes(value).expect("valid")));
        bearer_token(value)
    }

    #[test]
    fn compares_tokens_of_every_length_byte_by_byte() {
        // Lengths around the eight-byte words, a difference in each byte.
        for len in 0..=25 {
            let token: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(constant_time_eq(&token, &token.clone()), "length {len}");
            for at in 0..len {
                let mut other = token.clone();
                other[at] ^= 1;
                assert!(!constant_time_eq(&token, &other), "length {len}, byte {at}");
            }
            let mut longer = token.clone();
            longer.push(0);
            assert!(
                !constant_time_eq(&token, &longer),
                "length {len} against {}",
                len + 1
            );
        }
    }

    #[test]
    fn parses_bearer_tokens() {
        assert_eq!(token(b"Bearer abc"), Some("abc"));
        assert_eq!(token(b"bearer abc"), Some("abc"));
        assert_eq!(token(b"BEARER  abc"), Some("abc"));
        assert_eq!(token(b"Bearer a.b-c_d~e+f/g=="), Some("a.b-c_d~e+f/g=="));
    }

    #[test]
    fn refuses_malformed_authorization_values() {
        for value in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer =abc",
            b"Basic YWxhZGRpbjpvcGVuc2VzYW1l",
            b"Bearerabc",
            b"Bearer\tabc",
            b"Bearer ab\"c",
            b"Bearer caf\xc3\xa9",
            b"Bearer \xff\xfe",
            b"",
        ] {
            assert_eq!(token(value), None, "{value:?}");
        }
    }

    #[test]
    fn prefixes_match_whole_segments() {
        let exempt = Exemptions {
            exact: vec!["/health".to_owned()],
            routes: Vec::new(),
            prefixes: vec!["/public".to_owned()],
        };
        let get = Method::GET;
        assert!(exempt.matches(&get, "/health"));
        assert!(!exempt.matches(&get, "/health/"));
        assert!(!exempt.matches(&get, "/healthz"));
        assert!(exempt.matches(&get, "/public"));
        assert!(exempt.matches(&get, "/public/a/b"));
        assert!(!exempt.matches(&get, "/publicity"));
    }

    #[test]
    fn route_exemptions_are_per_method_and_get_covers_head() {
        let exempt = Exemptions {
            exact: Vec::new(),
            routes: vec![(Method::GET, "/health".to_owned())],
            prefixes: Vec::new(),
        };
        assert!(exempt.matches(&Method::GET, "/health"));
        assert!(exempt.matches(&Method::HEAD, "/health"));
        assert!(!exempt.matches(&Method::POST, "/health"));
        assert!(!exempt.matches(&Method::GET, "/healthz"));
    }

    #[tokio::test]
    async fn static_token_compares_exactly() {
        let verifier = StaticToken::new("valid_token");
        assert!(verifier.verify("valid_token".to_owned()).await.is_ok());
        assert!(verifier.verify("valid_token2".to_owned()).await.is_err());
        assert!(verifier.verify("valid_toke".to_owned()).await.is_err());
        assert!(verifier.verify(String::new()).await.is_err());
    }
}
