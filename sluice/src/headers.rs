//! Small header helpers shared by the built-in middleware.

use http::header::{HeaderMap, HeaderValue, VARY};

/// Adds `names` to the response's `Vary` header, keeping what is already
/// there (merged into one header line, no duplicates, case-insensitive),
/// as Starlette's middlewares do.
pub(crate) fn append_vary(headers: &mut HeaderMap, names: &[&'static str]) {
    if let [name] = names {
        if !headers.contains_key(VARY) {
            // The common case, on every response: nothing to merge, nothing
            // to allocate.
            headers.insert(VARY, HeaderValue::from_static(name));
            return;
        }
    }
    let mut merged = String::new();
    for value in headers.get_all(VARY) {
        let Ok(value) = value.to_str() else { continue };
        for token in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            push_token(&mut merged, token);
        }
    }
    let before = merged.len();
    for name in names {
        push_token(&mut merged, name);
    }
    if merged.len() == before && headers.contains_key(VARY) {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(&merged) {
        headers.insert(VARY, value);
    }
}

fn push_token(list: &mut String, token: &str) {
    let present = list
        .split(", ")
        .any(|existing| existing.eq_ignore_ascii_case(token) || existing == "*");
    if present {
        return;
    }
    if !list.is_empty() {
        list.push_str(", ");
    }
    list.push_str(token);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap_or("?"))
            .collect()
    }

    #[test]
    fn merges_into_existing_values() {
        let mut headers = HeaderMap::new();
        headers.append(VARY, HeaderValue::from_static("Cookie"));
        headers.append(VARY, HeaderValue::from_static("Accept-Language, origin"));
        append_vary(&mut headers, &["Origin", "Accept-Encoding"]);
        assert_eq!(
            vary(&headers),
            ["Cookie, Accept-Language, origin, Accept-Encoding"]
        );
    }

    #[test]
    fn adds_when_absent_and_skips_duplicates() {
        let mut headers = HeaderMap::new();
        append_vary(&mut headers, &["Origin"]);
        append_vary(&mut headers, &["origin"]);
        assert_eq!(vary(&headers), ["Origin"]);
    }
}
