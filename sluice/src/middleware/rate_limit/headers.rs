//! [`Headers`]: which header fields tell clients about their quota, and how
//! they are written.

use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::policy::{ceil_secs, Policy};
use super::store::Decision;

static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
static X_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
static X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
static X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The header fields a [`RateLimit`](super::RateLimit) sends.
///
/// The default, [`Headers::ietf`], sends the fields of
/// [draft-ietf-httpapi-ratelimit-headers](https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/)
/// (structured-field syntax) on every response it limits, admitted or
/// refused, with one item per policy:
///
/// ```text
/// RateLimit-Policy: "default";q=5;w=60
/// RateLimit: "default";r=4;t=12
/// ```
///
/// - `q` is the quota and `w` the window in seconds;
/// - `r` is how many more requests would be admitted right now, one after
///   the other;
/// - `t` is the number of seconds (rounded up) until the quota is full
///   again, from 0 to `w`.
///
/// A refusal also carries
/// [`Retry-After`](https://www.rfc-editor.org/rfc/rfc9110#field.retry-after):
/// the seconds (rounded up, at least 1) until the next request is admitted.
/// It is usually shorter than `t`: one interval (`w / q`) frees one request,
/// while `t` counts until all `q` are back.
///
/// When a route is limited by several `RateLimit`s (app and route), each
/// adds its items to the same fields, which HTTP reads as one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Headers {
    ietf: bool,
    x_ratelimit: bool,
    retry_after: bool,
    admitted: bool,
}

impl Default for Headers {
    fn default() -> Self {
        Headers::ietf()
    }
}

impl Headers {
    /// `RateLimit-Policy` and `RateLimit` on every response, `Retry-After` on
    /// refusals (the default).
    pub const fn ietf() -> Self {
        Headers {
            ietf: true,
            x_ratelimit: false,
            retry_after: true,
            admitted: true,
        }
    }

    /// The older, informal `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
    /// `X-RateLimit-Reset` (seconds until the quota is full again) instead,
    /// for the policy with the fewest requests left; `Retry-After` on
    /// refusals.
    pub const fn x_ratelimit() -> Self {
        Headers {
            ietf: false,
            x_ratelimit: true,
            retry_after: true,
            admitted: true,
        }
    }

    /// No quota fields; only `Retry-After` on refusals.
    pub const fn none() -> Self {
        Headers {
            ietf: false,
            x_ratelimit: false,
            retry_after: true,
            admitted: false,
        }
    }

    /// Adds the `X-RateLimit-*` fields to these.
    pub const fn and_x_ratelimit(mut self) -> Self {
        self.x_ratelimit = true;
        self
    }

    /// Sends the quota fields on refusals only, not on admitted responses.
    pub const fn refusals_only(mut self) -> Self {
        self.admitted = false;
        self
    }

    /// Leaves `Retry-After` out of refusals.
    pub const fn without_retry_after(mut self) -> Self {
        self.retry_after = false;
        self
    }

    pub(crate) fn on_admitted(&self) -> bool {
        self.admitted && (self.ietf || self.x_ratelimit)
    }

    /// Writes the fields for `decision` into `headers` (appending, so that
    /// an outer limit's items join an inner one's).
    pub(crate) fn write(
        &self,
        headers: &mut HeaderMap,
        policies: &[Policy],
        policy_field: &HeaderValue,
        decision: &Decision,
    ) {
        let reset_after = decision.reset_after_us();
        if self.ietf {
            headers.append(RATELIMIT_POLICY.clone(), policy_field.clone());
            let mut value = Field::new();
            let mut numbers = itoa::Buffer::new();
            for (i, (policy, &reset)) in policies.iter().zip(reset_after).enumerate() {
                if i > 0 {
                    value.push(b", ");
                }
                value.push(b"\"");
                value.push(policy.name().as_bytes());
                value.push(b"\";r=");
                value.push(numbers.format(policy.remaining(reset)).as_bytes());
                value.push(b";t=");
                value.push(numbers.format(ceil_secs(reset)).as_bytes());
            }
            if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
                headers.append(RATELIMIT.clone(), value);
            }
        }
        if self.x_ratelimit {
            // The policy with the fewest requests left speaks for all.
            let strictest = policies
                .iter()
                .zip(reset_after)
                .min_by_key(|(policy, &reset)| (policy.remaining(reset), u64::MAX - reset));
            if let Some((policy, &reset)) = strictest {
                headers.insert(X_LIMIT.clone(), HeaderValue::from(policy.quota()));
                headers.insert(
                    X_REMAINING.clone(),
                    HeaderValue::from(policy.remaining(reset)),
                );
                headers.insert(X_RESET.clone(), HeaderValue::from(ceil_secs(reset)));
            }
        }
    }

    /// Writes `Retry-After` for a refusal, if wanted.
    pub(crate) fn write_retry_after(&self, headers: &mut HeaderMap, retry_after_secs: u64) {
        if self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
    }
}

/// A field value written on the stack, then copied once into the
/// `HeaderValue` (one allocation of the exact size); the heap only for
/// values too long for the stack (several long policy names).
struct Field {
    stack: [u8; 128],
    len: usize,
    heap: Vec<u8>,
}

impl Field {
    #[inline]
    fn new() -> Self {
        Field {
            stack: [0; 128],
            len: 0,
            heap: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, bytes: &[u8]) {
        if self.heap.is_empty() && self.len + bytes.len() <= self.stack.len() {
            self.stack[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.stack[..self.len]);
            }
            self.heap.extend_from_slice(bytes);
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }
}

/// The `RateLimit-Policy` value for `policies`, written once.
pub(crate) fn policy_field(policies: &[Policy]) -> HeaderValue {
    let mut value = String::new();
    for (i, policy) in policies.iter().enumerate() {
        if i > 0 {
            value.push_str(", ");
        }
        value.push('"');
        value.push_str(policy.name());
        value.push_str("\";q=");
        value.push_str(itoa::Buffer::new().format(policy.quota()));
        value.push_str(";w=");
        value.push_str(itoa::Buffer::new().format(policy.window().as_secs()));
    }
    // Names are checked to be plain ASCII, so this cannot fail; an empty
    // value stands in if it ever did.
    HeaderValue::try_from(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}
