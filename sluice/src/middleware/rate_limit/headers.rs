//! [`Headers`]: which header fields tell clients about their quota, and how
//! they are written.

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::policy::{ceil_secs, Policy, MAX_POLICIES};
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
        fields: &PolicyFields,
        decision: &Decision,
    ) {
        let reset_after = decision.reset_after_us();
        if self.ietf {
            headers.append(&RATELIMIT_POLICY, fields.policy.clone());
            if let Some(value) = fields.ratelimit(policies, reset_after) {
                headers.append(&RATELIMIT, value);
            }
        }
        if self.x_ratelimit {
            // The policy with the fewest requests left speaks for all.
            let strictest = policies
                .iter()
                .zip(reset_after)
                .min_by_key(|(policy, &reset)| (policy.remaining(reset), u64::MAX - reset));
            if let Some((policy, &reset)) = strictest {
                headers.insert(&X_LIMIT, HeaderValue::from(policy.quota()));
                headers.insert(&X_REMAINING, HeaderValue::from(policy.remaining(reset)));
                headers.insert(&X_RESET, HeaderValue::from(ceil_secs(reset)));
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

/// What a [`RateLimit`](super::RateLimit) writes the same way on every
/// response, prepared once when it is configured: the whole
/// `RateLimit-Policy` value, and the start of each policy's `RateLimit`
/// item (`"name";r=`, after `, ` for all but the first).
#[derive(Debug, Clone)]
pub(crate) struct PolicyFields {
    policy: HeaderValue,
    items: Box<[Box<str>]>,
    /// The `RateLimit` value when each policy's reset is one interval
    /// away: what every client that came back with its whole quota gets,
    /// by far the most common value. Written once, then shared.
    full: Option<HeaderValue>,
}

impl PolicyFields {
    pub(crate) fn new(policies: &[Policy]) -> Self {
        let mut policy = String::new();
        let mut items = Vec::with_capacity(policies.len());
        for (i, p) in policies.iter().enumerate() {
            let separator = if i > 0 { ", " } else { "" };
            policy.push_str(separator);
            policy.push('"');
            policy.push_str(p.name());
            policy.push_str("\";q=");
            policy.push_str(itoa::Buffer::new().format(p.quota()));
            policy.push_str(";w=");
            policy.push_str(itoa::Buffer::new().format(p.window().as_secs()));
            items.push(format!("{separator}\"{}\";r=", p.name()).into_boxed_str());
        }
        // Names are checked to be plain ASCII when the app is built, so this
        // cannot fail; an empty value stands in if it ever did.
        let policy = HeaderValue::try_from(policy).unwrap_or_else(|_| HeaderValue::from_static(""));
        let items = items.into_boxed_slice();
        let intervals: Vec<u64> = policies.iter().map(|p| p.interval_us).collect();
        // An invalid policy (no interval) is reported when the app is built;
        // until then, nothing to write.
        let full = policies
            .iter()
            .all(|p| p.interval_us > 0)
            .then(|| ratelimit_value(&items, policies, &intervals))
            .flatten();
        PolicyFields {
            policy,
            items,
            full,
        }
    }

    /// The `RateLimit` value: `"name";r=4;t=12` per policy.
    fn ratelimit(&self, policies: &[Policy], reset_after: &[u64]) -> Option<HeaderValue> {
        let full = reset_after.len() == policies.len()
            && policies
                .iter()
                .zip(reset_after)
                .all(|(policy, &reset)| reset == policy.interval_us);
        match &self.full {
            Some(value) if full => Some(value.clone()),
            _ => ratelimit_value(&self.items, policies, reset_after),
        }
    }
}

/// The `RateLimit` value for `reset_after`, from each policy's start of
/// item (see [`PolicyFields`]). Its length is counted first, so that it is
/// written once into a buffer of the exact size, which becomes the value
/// without a copy.
fn ratelimit_value(
    items: &[Box<str>],
    policies: &[Policy],
    reset_after: &[u64],
) -> Option<HeaderValue> {
    let mut numbers = [(0, 0); MAX_POLICIES];
    let (mut count, mut len) = (0, 0);
    for ((slot, item), (policy, &reset)) in numbers
        .iter_mut()
        .zip(items)
        .zip(policies.iter().zip(reset_after))
    {
        *slot = (policy.remaining(reset), ceil_secs(reset));
        len += item.len() + digits(slot.0) + T.len() + digits(slot.1);
        count += 1;
    }
    let mut value = Vec::with_capacity(len);
    let mut buffer = itoa::Buffer::new();
    // Only the policies the store reported on.
    for (item, &(r, t)) in items.iter().zip(&numbers[..count]) {
        value.extend_from_slice(item.as_bytes());
        value.extend_from_slice(buffer.format(r).as_bytes());
        value.extend_from_slice(T);
        value.extend_from_slice(buffer.format(t).as_bytes());
    }
    HeaderValue::from_maybe_shared(Bytes::from(value)).ok()
}

const T: &[u8] = b";t=";

/// The decimal digits of `n`.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn value(fields: &PolicyFields, policies: &[Policy], reset_after: &[u64]) -> String {
        let value = fields.ratelimit(policies, reset_after).expect("a value");
        value.to_str().expect("ASCII").to_owned()
    }

    #[test]
    fn a_full_quota_and_every_other_state_get_their_own_numbers() {
        let policies = [
            Policy::new(5, Duration::from_secs(60)).named("burst"),
            Policy::per_hour(1000),
        ];
        let fields = PolicyFields::new(&policies);
        let interval: Vec<u64> = policies.iter().map(|p| p.interval_us).collect();
        // Back with the whole quota: one interval (12 s, 3.6 s) to reset.
        let full = r#""burst";r=4;t=12, "default";r=999;t=4"#;
        assert_eq!(value(&fields, &policies, &interval), full);
        // The same value, made from scratch.
        assert_eq!(
            ratelimit_value(&fields.items, &policies, &interval)
                .expect("a value")
                .to_str()
                .expect("ASCII"),
            full
        );
        // Any other reset is written for the request at hand.
        assert_eq!(
            value(&fields, &policies, &[2 * interval[0], interval[1]]),
            r#""burst";r=3;t=24, "default";r=999;t=4"#
        );
        assert_eq!(
            value(&fields, &policies, &[interval[0], 0]),
            r#""burst";r=4;t=12, "default";r=1000;t=0"#
        );
        // A store that reported fewer policies than there are.
        assert_eq!(
            value(&fields, &policies, &interval[..1]),
            r#""burst";r=4;t=12"#
        );
    }
}
