//! Signed cookie values: sluice's own format (HMAC-SHA256) and Starlette's
//! (itsdangerous `TimestampSigner`: HMAC-SHA1 over a derived key).
//!
//! Both are `<payload>.<timestamp>.<signature>`: the timestamp is the
//! signing time in seconds, big-endian without leading zero bytes, in
//! unpadded URL-safe base64, and the signature covers `payload.timestamp`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How far in the future a signing time may be (clocks of instances
/// behind one load balancer differ a little).
const CLOCK_SKEW: u64 = 60;

/// What a signature is for: a cookie holding the data, or only an id. A
/// value signed for one is never accepted as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    Data,
    Id,
}

/// The keys, ready to use: the first signs, all verify.
#[derive(Clone)]
pub(super) enum Signer {
    /// sluice's format: HMAC-SHA256 keyed with a key derived per purpose.
    Native(Vec<Hmac<Sha256>>),
    /// itsdangerous' defaults, as Starlette uses them.
    Starlette(Vec<Hmac<Sha1>>),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Native(keys) => write!(f, "Signer::Native({} keys)", keys.len()),
            Signer::Starlette(keys) => write!(f, "Signer::Starlette({} keys)", keys.len()),
        }
    }
}

impl Signer {
    /// sluice's signer for `purpose`, from the secrets (first signs).
    pub(super) fn native(secrets: &[Vec<u8>], purpose: Purpose) -> Self {
        let label: &[u8] = match purpose {
            Purpose::Data => b"sluice.sessions.v1.data",
            Purpose::Id => b"sluice.sessions.v1.id",
        };
        Signer::Native(
            secrets
                .iter()
                .map(|secret| {
                    let mut derive = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
                        .expect("HMAC takes keys of any length");
                    derive.update(label);
                    let key = derive.finalize().into_bytes();
                    <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
                        .expect("HMAC takes keys of any length")
                })
                .collect(),
        )
    }

    /// itsdangerous' `TimestampSigner(secret)`: salt `itsdangerous.Signer`,
    /// key derivation `django-concat` (SHA-1 of salt, `signer`, secret),
    /// HMAC-SHA1.
    pub(super) fn starlette(secrets: &[Vec<u8>]) -> Self {
        Signer::Starlette(
            secrets
                .iter()
                .map(|secret| {
                    let mut hash = Sha1::new();
                    hash.update(b"itsdangerous.Signer");
                    hash.update(b"signer");
                    hash.update(secret);
                    <Hmac<Sha1> as KeyInit>::new_from_slice(&hash.finalize())
                        .expect("HMAC takes keys of any length")
                })
                .collect(),
        )
    }

    /// `payload.timestamp.signature`, signed now.
    pub(super) fn sign(&self, payload: &str) -> String {
        self.sign_at(payload, now())
    }

    pub(super) fn sign_at(&self, payload: &str, timestamp: u64) -> String {
        let mut out = String::with_capacity(payload.len() + 64);
        out.push_str(payload);
        out.push('.');
        let bytes = timestamp.to_be_bytes();
        let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        URL_SAFE_NO_PAD.encode_string(&bytes[first..], &mut out);
        let signature = match self {
            Signer::Native(keys) => mac(&keys[0], out.as_bytes()),
            Signer::Starlette(keys) => mac(&keys[0], out.as_bytes()),
        };
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        out
    }

    /// The payload of a value signed by any of the keys, no older than
    /// `max_age` (and not from the future), or `None`.
    pub(super) fn unsign<'a>(
        &self,
        value: &'a [u8],
        max_age: Option<Duration>,
    ) -> Option<&'a [u8]> {
        self.unsign_at(value, max_age, now())
    }

    pub(super) fn unsign_at<'a>(
        &self,
        value: &'a [u8],
        max_age: Option<Duration>,
        now: u64,
    ) -> Option<&'a [u8]> {
        let sig_dot = value.iter().rposition(|&b| b == b'.')?;
        let (signed, signature) = (&value[..sig_dot], &value[sig_dot + 1..]);
        let signature = decode_canonical(signature)?;
        let valid = match self {
            Signer::Native(keys) => keys.iter().any(|key| verify(key, signed, &signature)),
            Signer::Starlette(keys) => keys.iter().any(|key| verify(key, signed, &signature)),
        };
        if !valid {
            return None;
        }
        let ts_dot = signed.iter().rposition(|&b| b == b'.')?;
        let (payload, timestamp) = (&signed[..ts_dot], &signed[ts_dot + 1..]);
        let timestamp = decode_canonical(timestamp)?;
        if timestamp.len() > 8 {
            return None;
        }
        let mut be = [0u8; 8];
        be[8 - timestamp.len()..].copy_from_slice(&timestamp);
        let signed_at = u64::from_be_bytes(be);
        if signed_at > now.saturating_add(CLOCK_SKEW) {
            return None;
        }
        if let Some(max_age) = max_age {
            if now.saturating_sub(signed_at) > max_age.as_secs() {
                return None;
            }
        }
        Some(payload)
    }
}

fn mac<M: Mac + Clone>(key: &M, data: &[u8]) -> Vec<u8> {
    let mut mac = key.clone();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn verify<M: Mac + Clone>(key: &M, data: &[u8], signature: &[u8]) -> bool {
    let mut mac = key.clone();
    mac.update(data);
    let expected = mac.finalize().into_bytes();
    expected.as_slice().ct_eq(signature).into()
}

/// Unpadded URL-safe base64 in its one canonical spelling: any changed
/// character changes the bytes or fails.
fn decode_canonical(text: &[u8]) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
