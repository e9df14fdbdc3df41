//! Form bodies (url-encoded and multipart, with files), cookies and
//! headers read as parameter models that forbid other names: never a
//! panic, never a 500. A body that cannot be read is a 400, 413 or 415; a
//! model it does not fit is FastAPI's 422, whose every issue is at the
//! place the route reads (`body`, `cookie` or `header`) and names the part
//! at fault.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;
use sluice::extract::{Cookies, Form, Headers, UploadFile};
use sluice::schemars::JsonSchema;
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SignUp {
    name: String,
    age: i64,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    remember: bool,
    avatar: Option<UploadFile>,
    #[serde(default)]
    files: Vec<UploadFile>,
}

#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
#[allow(dead_code)]
struct Note {
    note: String,
    count: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Session {
    session_id: String,
    #[serde(default)]
    n: i64,
}

#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Client {
    x_token: String,
    #[serde(default)]
    x_ids: Vec<i64>,
}

fn app() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .post("/signup", |Form(f): Form<SignUp>| async move { f.name })
            .post("/note", |f: Option<Form<Note>>| async move { f.map(|Form(n)| n.note).unwrap_or_default() })
            .get("/cookies", |Cookies(c): Cookies<Session>| async move { c.session_id })
            .get("/optional", |c: Cookies<Option<Session>>| async move { c.0.map(|s| s.session_id).unwrap_or_default() })
            .get("/headers", |Headers(h): Headers<Client>| async move { h.x_token })
            .max_body_size(64 * 1024)
            .build()
            .expect("valid")
    })
}

const TYPES: &[&[u8]] = &[
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=XyZ",
    b"multipart/form-data",
    b"text/plain",
];

const HEADER_NAMES: &[&str] = &["x-token", "x-ids", "x_token", "x-other", "cookie", "content-length"];

/// Where one part of the input ends and the next begins.
const SEPARATOR: &[u8] = b"\xff\x00";

// The input: a byte for the route, a byte for the content type (past the
// list, the content type is the third part), then the body, the `Cookie`
// value, that content type and headers (each a byte for its name, then its
// value), separated by `SEPARATOR`. The committed corpus has real forms.
fuzz_target!(|data: &[u8]| {
    let [route, kind, rest @ ..] = data else { return };
    let mut parts = split(rest);
    let body = parts.next().unwrap_or_default();
    let cookie = parts.next().unwrap_or_default();
    let raw_type = parts.next().unwrap_or_default();
    let (method, path, source) = match route % 5 {
        0 => ("POST", "/signup", "body"),
        1 => ("POST", "/note", "body"),
        2 => ("GET", "/cookies", "cookie"),
        3 => ("GET", "/optional", "cookie"),
        _ => ("GET", "/headers", "header"),
    };
    let content_type = TYPES.get(usize::from(*kind)).copied().unwrap_or(raw_type);
    let mut headers: Vec<(&str, &[u8])> = vec![("content-type", content_type)];
    if !cookie.is_empty() {
        headers.push(("cookie", cookie));
    }
    for header in parts {
        if let [name, value @ ..] = header {
            headers.push((HEADER_NAMES[usize::from(*name) % HEADER_NAMES.len()], value));
        }
    }
    let Some(req) = request(method, path, &headers, body) else { return };
    let reply = send(app(), req);
    assert_headers_safe(&reply);
    let shown = String::from_utf8_lossy(data);
    assert!(matches!(reply.status, 200 | 400 | 413 | 415 | 422), "status {} for {shown:?}", reply.status);
    if reply.status == 422 {
        let body: Value = serde_json::from_slice(&reply.body).expect("a 422 is JSON");
        let detail = body["detail"].as_array().expect("a 422 has a list of issues");
        assert!(!detail.is_empty(), "an empty 422 for {shown:?}");
        for issue in detail {
            let loc = issue["loc"].as_array().expect("an issue has a loc");
            assert_eq!(loc.first().and_then(Value::as_str), Some(source), "{issue} for {shown:?}");
            assert!(loc.len() >= 2, "{issue} names no part, for {shown:?}");
            assert!(issue["type"].as_str().is_some_and(|t| !t.is_empty()), "{issue}");
            assert!(issue["msg"].as_str().is_some_and(|m| !m.is_empty()), "{issue}");
        }
    }
});

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let data = rest?;
        match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                rest = Some(&data[at + SEPARATOR.len()..]);
                Some(&data[..at])
            }
            None => {
                rest = None;
                Some(data)
            }
        }
    })
}
