//! Writes what sluice sends for cookie and server-sent-event arguments read
//! as JSON lines, for `conformance/reference/responses/run.py` to compare
//! with Starlette's `set_cookie` and FastAPI's `format_sse_event`.
//!
//! ```text
//! response_probe cookie < cases.jsonl   # one Set-Cookie value per line
//! response_probe sse < cases.jsonl      # one event's bytes per line
//! ```
//!
//! Each output line is a JSON string (bytes as Latin-1 characters), or
//! `ERR` when sluice refuses the arguments.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use sluice::cookie::{Cookie, SameSite};
use sluice::sse::Event;

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let write: fn(&Value) -> Option<Vec<u8>> = match mode.as_str() {
        "cookie" => cookie,
        "sse" => event,
        _ => {
            eprintln!("usage: response_probe cookie|sse < cases.jsonl");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else {
            return ExitCode::FAILURE;
        };
        let Ok(case) = serde_json::from_str::<Value>(&line) else {
            eprintln!("not JSON: {line}");
            return ExitCode::FAILURE;
        };
        let shown = match write(&case) {
            Some(bytes) => {
                let text: String = bytes.iter().map(|&b| char::from(b)).collect();
                serde_json::to_string(&text).unwrap_or_default()
            }
            None => "ERR".to_owned(),
        };
        if writeln!(out, "{shown}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn text(case: &Value, key: &str) -> Option<String> {
    case[key].as_str().map(str::to_owned)
}

/// `Response.set_cookie(key, value, max_age, expires, path, domain, secure,
/// httponly, samesite)`; `expires` in seconds since the epoch.
fn cookie(case: &Value) -> Option<Vec<u8>> {
    let mut cookie = Cookie::new(text(case, "key")?, text(case, "value")?);
    if let Some(age) = case["max_age"].as_u64() {
        cookie = cookie.max_age(Duration::from_secs(age));
    }
    if let Some(at) = case["expires"].as_u64() {
        cookie = cookie.expires(SystemTime::UNIX_EPOCH + Duration::from_secs(at));
    }
    cookie = match text(case, "path") {
        Some(path) => cookie.path(path),
        None => cookie.no_path(),
    };
    if let Some(domain) = text(case, "domain") {
        cookie = cookie.domain(domain);
    }
    cookie = cookie
        .secure(case["secure"].as_bool() == Some(true))
        .http_only(case["httponly"].as_bool() == Some(true));
    cookie = match case["samesite"].as_str() {
        None => cookie.no_same_site(),
        Some("strict") => cookie.same_site(SameSite::Strict),
        Some("none") => cookie.same_site(SameSite::None),
        Some(_) => cookie.same_site(SameSite::Lax),
    };
    cookie
        .to_header_value()
        .ok()
        .map(|value| value.as_bytes().to_vec())
}

/// `format_sse_event(data_str, event, id, retry, comment)`.
fn event(case: &Value) -> Option<Vec<u8>> {
    let mut event = match text(case, "data") {
        Some(data) => Event::data(data),
        None => Event::default(),
    };
    if let Some(name) = text(case, "event") {
        event = event.event(name);
    }
    if let Some(id) = text(case, "id") {
        event = event.id(id);
    }
    if let Some(retry) = case["retry"].as_u64() {
        event = event.retry(Duration::from_millis(retry));
    }
    if let Some(comment) = text(case, "comment") {
        event = event.comment(comment);
    }
    event.to_bytes().ok().map(|bytes| bytes.to_vec())
}
