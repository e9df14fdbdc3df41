//! [`Cookie`]: a `Set-Cookie` field, written as Starlette's
//! `Response.set_cookie` writes it.
//!
//! A handler or a middleware sets a cookie on its response with
//! [`ResponseExt::set_cookie`](crate::ResponseExt::set_cookie), and removes
//! one with [`ResponseExt::delete_cookie`](crate::ResponseExt::delete_cookie),
//! as FastAPI's `response.set_cookie(...)` and `response.delete_cookie(...)`
//! do. The defaults are Starlette's: `Path=/` and `SameSite=lax`.
//!
//! ```
//! use std::time::Duration;
//! use sluice::cookie::Cookie;
//! use sluice::testing::TestClient;
//! use sluice::{App, IntoResponse, Json, Response, ResponseExt};
//! use serde_json::json;
//!
//! async fn login() -> sluice::Result<Response> {
//!     let mut response = Json(json!({"message": "Come to the dark side, we have cookies"}))
//!         .into_response();
//!     response.set_cookie(
//!         Cookie::new("fakesession", "fake-cookie-session-value")
//!             .max_age(Duration::from_secs(3600))
//!             .http_only(true),
//!     )?;
//!     Ok(response)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().post("/login", login));
//! let res = client.post("/login").await;
//! assert_eq!(
//!     res.header("set-cookie"),
//!     Some("fakesession=fake-cookie-session-value; HttpOnly; Max-Age=3600; Path=/; SameSite=lax")
//! );
//! // The client keeps it, as a browser would.
//! assert_eq!(client.cookie("fakesession").as_deref(), Some("fake-cookie-session-value"));
//! # }
//! ```
//!
//! ## How it is written
//!
//! As Python's `http.cookies` writes a cookie for Starlette, byte for byte:
//!
//! - `name=value`, then the attributes in alphabetical order: `Domain`,
//!   `expires`, `HttpOnly`, `Max-Age`, `Partitioned`, `Path`, `SameSite`,
//!   `Secure`;
//! - a value made only of letters, digits and ``!#$%&'*+-.^_`|~:`` is
//!   written as it is; any other value is put in double quotes, with `"`
//!   and `\` escaped by a backslash and every character outside visible
//!   ASCII (and `,` and `;`) written as a backslash and three octal digits
//!   of its Latin-1 code (`é` is `\351`). The empty value is `""`.
//!
//! ## What is refused
//!
//! [`ResponseExt::set_cookie`](crate::ResponseExt::set_cookie) returns an
//! [`InvalidCookie`] (a 500 when the handler passes it on with `?`, as
//! Starlette's `CookieError` is) and sets nothing, for:
//!
//! - a name that is empty or holds a character other than those a plain
//!   value may hold (Starlette's rule);
//! - a value with a character past U+00FF, which Latin-1 cannot write
//!   (Starlette fails the same way, on encoding);
//! - a `Path` or `Domain` holding a control character or a `;`. Starlette
//!   writes those as they are, so `path="/x; Domain=evil.com"` adds an
//!   attribute nobody asked for; sluice refuses them.
//!
//! Like Starlette, sluice does not require `Secure` with
//! [`SameSite::None`]: browsers drop such a cookie, so set both.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::HeaderValue;

/// The `SameSite` attribute of a cookie ([MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Set-Cookie#samesitesamesite-value)),
/// written in lower case as Starlette's defaults are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites, not on their
    /// sub-requests (the default).
    #[default]
    Lax,
    /// Never sent from other sites.
    Strict,
    /// Sent everywhere; browsers require `Secure` with it.
    None,
}

impl SameSite {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "lax",
            SameSite::Strict => "strict",
            SameSite::None => "none",
        }
    }
}

/// A cookie to set on a response (see the [module docs](self)):
/// Starlette's `set_cookie` arguments as a builder, with its defaults
/// (`Path=/`, `SameSite=lax`, no `Max-Age`, no `expires`).
///
/// ```
/// use std::time::Duration;
/// use sluice::cookie::{Cookie, SameSite};
///
/// let cookie = Cookie::new("theme", "dark")
///     .max_age(Duration::from_secs(86_400))
///     .path("/app")
///     .secure(true)
///     .same_site(SameSite::Strict);
/// assert_eq!(
///     cookie.to_header_value().unwrap(),
///     "theme=dark; Max-Age=86400; Path=/app; SameSite=strict; Secure"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Cookie {
    name: Cow<'static, str>,
    value: Cow<'static, str>,
    max_age: Option<u64>,
    expires: Option<SystemTime>,
    path: Option<Cow<'static, str>>,
    domain: Option<Cow<'static, str>>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
    partitioned: bool,
}

impl Cookie {
    /// The cookie `name` with `value`, `Path=/` and `SameSite=lax`.
    pub fn new(name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Self {
        Cookie {
            name: name.into(),
            value: value.into(),
            max_age: None,
            expires: None,
            path: Some(Cow::Borrowed("/")),
            domain: None,
            secure: false,
            http_only: false,
            same_site: Some(SameSite::Lax),
            partitioned: false,
        }
    }

    /// What removes the cookie `name` from the browser, as Starlette's
    /// `delete_cookie` writes it: an empty value, `Max-Age=0` and
    /// `expires` now. Give it the `path` and `domain` the cookie was set
    /// with; a browser removes only the cookie they match.
    ///
    /// ```
    /// use sluice::cookie::Cookie;
    ///
    /// let value = Cookie::removal("session").path("/app").to_header_value().unwrap();
    /// let value = value.to_str().unwrap();
    /// assert!(value.starts_with("session=\"\"; expires="));
    /// assert!(value.ends_with(" GMT; Max-Age=0; Path=/app; SameSite=lax"));
    /// ```
    pub fn removal(name: impl Into<Cow<'static, str>>) -> Self {
        Cookie {
            max_age: Some(0),
            expires: Some(SystemTime::now()),
            ..Cookie::new(name, "")
        }
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie's value, before quoting.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// `Max-Age`: how long the browser keeps the cookie, in whole seconds
    /// (Starlette's `max_age`). Without it (and without
    /// [`expires`](Cookie::expires)) the cookie lasts as long as the
    /// browser session.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age.as_secs());
        self
    }

    /// `expires`: when the browser drops the cookie, written as an HTTP
    /// date (Starlette's `expires` given a `datetime`).
    pub fn expires(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// `Path` (default `/`).
    pub fn path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// No `Path` (Starlette's `path=None`): the browser uses the
    /// request's directory.
    pub fn no_path(mut self) -> Self {
        self.path = None;
        self
    }

    /// `Domain` (none by default: the cookie goes back to this host only).
    pub fn domain(mut self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// `Secure`: sent over HTTPS only (default `false`).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// `HttpOnly`: hidden from the page's scripts (default `false`).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// `SameSite` (default [`SameSite::Lax`]).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// No `SameSite` (Starlette's `samesite=None`): the browser's default.
    pub fn no_same_site(mut self) -> Self {
        self.same_site = None;
        self
    }

    /// `Partitioned` (CHIPS; default `false`), placed as Python 3.14's
    /// `http.cookies` places it. (Starlette refuses it on older Pythons.)
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// The `Set-Cookie` field value.
    ///
    /// # Errors
    ///
    /// [`InvalidCookie`] for a name, value, path or domain that cannot be
    /// written (see the [module docs](self#what-is-refused)).
    pub fn to_header_value(&self) -> Result<HeaderValue, InvalidCookie> {
        if self.name.is_empty() || !self.name.bytes().all(is_plain) {
            return Err(InvalidCookie::new("name", &self.name));
        }
        let mut out: Vec<u8> = Vec::with_capacity(self.name.len() + self.value.len() + 48);
        out.extend_from_slice(self.name.as_bytes());
        out.push(b'=');
        write_value(&mut out, &self.value)
            .ok_or_else(|| InvalidCookie::new("value", &self.value))?;
        // In the alphabetical order of Python's attribute keys.
        // An empty attribute is left out, as `http.cookies` leaves it.
        if let Some(domain) = self.domain.as_deref().filter(|d| !d.is_empty()) {
            out.extend_from_slice(b"; Domain=");
            write_attribute(&mut out, domain)
                .ok_or_else(|| InvalidCookie::new("domain", domain))?;
        }
        if let Some(at) = self.expires {
            out.extend_from_slice(b"; expires=");
            out.extend_from_slice(httpdate::fmt_http_date(at).as_bytes());
        }
        if self.http_only {
            out.extend_from_slice(b"; HttpOnly");
        }
        if let Some(age) = self.max_age {
            out.extend_from_slice(b"; Max-Age=");
            out.extend_from_slice(itoa::Buffer::new().format(age).as_bytes());
        }
        if self.partitioned {
            out.extend_from_slice(b"; Partitioned");
        }
        if let Some(path) = self.path.as_deref().filter(|p| !p.is_empty()) {
            out.extend_from_slice(b"; Path=");
            write_attribute(&mut out, path).ok_or_else(|| InvalidCookie::new("path", path))?;
        }
        if let Some(same_site) = self.same_site {
            out.extend_from_slice(b"; SameSite=");
            out.extend_from_slice(same_site.as_str().as_bytes());
        }
        if self.secure {
            out.extend_from_slice(b"; Secure");
        }
        // Starlette strips the whole field (Python's `str.strip`): of what
        // can end it here, a space or a no-break space closing the path.
        while out.last().is_some_and(|&b| b == b' ' || b == 0xa0) {
            out.pop();
        }
        // Every byte written is visible ASCII, a space or Latin-1 (checked
        // above), all of which a field value may hold.
        HeaderValue::from_bytes(&out).map_err(|_| InvalidCookie::new("value", &self.value))
    }
}

/// Whether `b` may appear in a cookie name, or unquoted in a value:
/// Python's `http.cookies._LegalChars`.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:".contains(&b)
}

/// Writes `value` as Python's `http.cookies._quote` does; `None` for a
/// character Latin-1 cannot write.
fn write_value(out: &mut Vec<u8>, value: &str) -> Option<()> {
    if !value.is_empty() && value.bytes().all(is_plain) {
        out.extend_from_slice(value.as_bytes());
        return Some(());
    }
    out.push(b'"');
    for c in value.chars() {
        let code = u8::try_from(u32::from(c)).ok()?;
        match code {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', code]),
            // Kept as they are inside the quotes (`_UnquotedChars`).
            _ if is_plain(code) || b" ()/<=>?@[]{}".contains(&code) => out.push(code),
            _ => out.extend_from_slice(&[
                b'\\',
                b'0' + (code >> 6),
                b'0' + ((code >> 3) & 7),
                b'0' + (code & 7),
            ]),
        }
    }
    out.push(b'"');
    Some(())
}

/// Writes a `Path` or `Domain` as it is, in Latin-1 as Starlette encodes
/// it; `None` for a control character, a `;` or a character past U+00FF.
fn write_attribute(out: &mut Vec<u8>, value: &str) -> Option<()> {
    for c in value.chars() {
        let code = u8::try_from(u32::from(c)).ok()?;
        if code.is_ascii_control() || (0x80..0xa0).contains(&code) || code == b';' {
            return None;
        }
        out.push(code);
    }
    Some(())
}

/// A cookie that cannot be written: which part, and what it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCookie {
    part: &'static str,
    held: String,
}

impl InvalidCookie {
    fn new(part: &'static str, held: &str) -> Self {
        InvalidCookie {
            part,
            held: held.to_owned(),
        }
    }

    /// Which part was refused: `name`, `value`, `path` or `domain`.
    pub fn part(&self) -> &'static str {
        self.part
    }
}

impl fmt::Display for InvalidCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.part {
            "name" => "a cookie name is one or more letters, digits or !#$%&'*+-.^_`|~:",
            "value" => "a cookie value holds characters up to U+00FF only",
            _ => "it may not hold a control character or ';'",
        };
        write!(f, "invalid cookie {} {:?}: {why}", self.part, self.held)
    }
}

impl std::error::Error for InvalidCookie {}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cookie: &Cookie) -> Vec<u8> {
        cookie.to_header_value().expect("valid").as_bytes().to_vec()
    }

    /// Each case is what Starlette 1.10's `Response.set_cookie` wrote for
    /// the same arguments (CPython 3.11).
    #[test]
    fn writes_what_starlette_writes() {
        let cases: Vec<(Cookie, &[u8])> = vec![
            (Cookie::new("session", "abc"), b"session=abc; Path=/; SameSite=lax"),
            (Cookie::new("session", ""), b"session=\"\"; Path=/; SameSite=lax"),
            (Cookie::new("a", "hello world"), b"a=\"hello world\"; Path=/; SameSite=lax"),
            (
                Cookie::new("a", "say \"hi\"\\now"),
                b"a=\"say \\\"hi\\\"\\\\now\"; Path=/; SameSite=lax",
            ),
            (
                Cookie::new("a", "caf\u{e9};x=1,\t"),
                b"a=\"caf\\351\\073x=1\\054\\011\"; Path=/; SameSite=lax",
            ),
            (
                Cookie::new("a", "!#$%&'*+-.^_`|~:09AZaz"),
                b"a=!#$%&'*+-.^_`|~:09AZaz; Path=/; SameSite=lax",
            ),
            (Cookie::new("a", "(x)/<=>?@[]{}"), b"a=\"(x)/<=>?@[]{}\"; Path=/; SameSite=lax"),
            (
                Cookie::new("a", "b")
                    .max_age(Duration::from_secs(3600))
                    .path("/app")
                    .domain("example.com")
                    .secure(true)
                    .http_only(true)
                    .same_site(SameSite::Strict),
                b"a=b; Domain=example.com; HttpOnly; Max-Age=3600; Path=/app; SameSite=strict; Secure",
            ),
            (
                Cookie::new("a", "b").no_path().no_same_site(),
                b"a=b",
            ),
            (
                Cookie::new("a", "b").expires(
                    SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_859_045),
                ),
                b"a=b; expires=Sat, 02 Jan 2027 03:04:05 GMT; Path=/; SameSite=lax",
            ),
            (
                Cookie::new("a", "b").same_site(SameSite::None).secure(true),
                b"a=b; Path=/; SameSite=none; Secure",
            ),
            (Cookie::new("a", "b").path("/caf\u{e9}"), b"a=b; Path=/caf\xe9; SameSite=lax"),
            (
                Cookie::new("a", "\u{0}\u{7f}\u{ff}"),
                b"a=\"\\000\\177\\377\"; Path=/; SameSite=lax",
            ),
            // Empty attributes are left out; the field is stripped.
            (Cookie::new("a", "b").path("").domain(""), b"a=b; SameSite=lax"),
            (
                Cookie::new("a", "b").path("/x \u{a0}").no_same_site(),
                b"a=b; Path=/x",
            ),
            // Python 3.14 places the flag between `Max-Age` and `Path`.
            (
                Cookie::new("a", "b").partitioned(true).secure(true),
                b"a=b; Partitioned; Path=/; SameSite=lax; Secure",
            ),
        ];
        for (cookie, expected) in cases {
            assert_eq!(
                written(&cookie),
                expected,
                "{cookie:?}: {:?}",
                String::from_utf8_lossy(&written(&cookie))
            );
        }
    }

    #[test]
    fn a_removal_is_starlettes_delete_cookie() {
        let removal = Cookie::removal("session")
            .path("/app")
            .domain("x.org")
            .secure(true)
            .http_only(true)
            .no_same_site();
        let value = String::from_utf8(written(&removal)).expect("ASCII");
        // Starlette: session=""; Domain=x.org; expires=<now>; HttpOnly;
        // Max-Age=0; Path=/app; Secure
        let (head, rest) = value.split_once("; expires=").expect("expires");
        assert_eq!(head, "session=\"\"; Domain=x.org");
        let (date, tail) = rest.split_once("; HttpOnly").expect("flags");
        assert_eq!(tail, "; Max-Age=0; Path=/app; Secure");
        let when = httpdate::parse_http_date(date).expect("an HTTP date");
        let age = SystemTime::now().duration_since(when).unwrap_or_default();
        assert!(age < Duration::from_secs(60), "{date}");
    }

    #[test]
    fn refuses_what_cannot_be_written() {
        for name in ["", "a b", "a;b", "caf\u{e9}", "a=b", "a,b", "a\"b"] {
            let err = Cookie::new(name, "v").to_header_value().expect_err(name);
            assert_eq!(err.part(), "name", "{name:?}");
        }
        let err = Cookie::new("a", "\u{20ac}")
            .to_header_value()
            .expect_err("euro");
        assert_eq!(err.part(), "value");
        assert!(err.to_string().contains("U+00FF"), "{err}");
        for path in [
            "/x; Domain=evil.com",
            "/x\r\nSet-Cookie: b=1",
            "/\u{85}",
            "/\u{20ac}",
        ] {
            let err = Cookie::new("a", "b")
                .path(path)
                .to_header_value()
                .expect_err(path);
            assert_eq!(err.part(), "path", "{path:?}");
        }
        let err = Cookie::new("a", "b")
            .domain("x;y")
            .to_header_value()
            .expect_err("domain");
        assert_eq!(err.part(), "domain");
    }
}
