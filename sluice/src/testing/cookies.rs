//! The client's cookie jar, for [`TestClient::keep_cookies`]: what
//! responses set is sent with the requests that follow, by the rules a
//! browser (and httpx) keeps them by, those of the `cookie_store` crate
//! (RFC 6265: domain and path matching, `Max-Age` and `Expires`, `Secure`).
//!
//! [`TestClient::keep_cookies`]: super::TestClient::keep_cookies

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cookie_store::{CookieStore, RawCookie};
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};

/// A jar shared by a client and its clones.
#[derive(Clone, Default)]
pub(super) struct Jar(Arc<Mutex<CookieStore>>);

impl Jar {
    fn lock(&self) -> MutexGuard<'_, CookieStore> {
        // A test that panicked while holding the jar leaves it as it was.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The `cookie` header a request to `url` carries; `None` when no
    /// cookie in the jar is for it. Cookies with longer paths come first,
    /// then the older first (RFC 6265 §5.4, as Python's cookie jar).
    pub(super) fn header_for(&self, url: &url::Url) -> Option<HeaderValue> {
        let jar = self.lock();
        let mut cookies = jar.matches(url);
        // The jar keeps the order cookies were set in (`preserve_order`).
        cookies.sort_by_key(|cookie| std::cmp::Reverse(cookie.path.len()));
        let mut header = String::new();
        for (name, value) in cookies.iter().map(|cookie| cookie.name_value()) {
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.push_str(name);
            header.push('=');
            header.push_str(value);
        }
        if header.is_empty() {
            return None;
        }
        HeaderValue::from_str(&header).ok()
    }

    /// Keeps the cookies a response from `url` set; a `set-cookie` that is
    /// not a cookie, or not one `url` may set, is ignored, as browsers and
    /// httpx ignore it.
    pub(super) fn store(&self, headers: &HeaderMap, url: &url::Url) {
        let mut set = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| RawCookie::parse(value.to_owned()).ok())
            .peekable();
        if set.peek().is_some() {
            self.lock().store_response_cookies(set, url);
        }
    }

    /// The value of the cookie called `name`, for any host and path.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        self.lock()
            .iter_unexpired()
            .find(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned())
    }

    /// Puts `name=value` in the jar, as if `url` had set it with no
    /// attributes.
    pub(super) fn set(&self, name: &str, value: &str, url: &url::Url) -> Result<(), String> {
        // RFC 6265 §4.1.1: a token, and cookie-octets.
        let separator = |c: char| "()<>@,;:\\\"/[]?={} \t".contains(c);
        if name.is_empty()
            || name
                .chars()
                .any(|c| c.is_ascii_control() || separator(c) || !c.is_ascii())
        {
            return Err(format!("{name:?} is not a cookie name"));
        }
        if value
            .chars()
            .any(|c| c.is_ascii_control() || !c.is_ascii() || " \",;\\".contains(c))
        {
            return Err(format!("{value:?} is not a cookie value (no spaces, quotes, commas, semicolons or backslashes)"));
        }
        let cookie = RawCookie::new(name.to_owned(), value.to_owned());
        self.lock()
            .insert_raw(&cookie, url)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Empties the jar.
    pub(super) fn clear(&self) {
        self.lock().clear();
    }
}
