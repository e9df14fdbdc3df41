//! Paths and query strings through the router and the Path and Query
//! extractors: never a panic, never a 500, FastAPI's 422 for bad input.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use sluice::extract::{Path, Query};
use sluice::schemars::JsonSchema;
use sluice::{App, AppService};
use sluice_fuzz::{assert_headers_safe, request, send};

#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
#[allow(dead_code)]
struct Filter {
    q: Option<String>,
    limit: Option<u32>,
    tags: Option<Vec<String>>,
    ratio: Option<f64>,
    flag: Option<bool>,
}

fn app() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .get("/items/{item_id}", |Path(id): Path<i64>, Query(_f): Query<Filter>| async move { id.to_string() })
            .get("/users/{name}/files/{*path}", |Path((n, p)): Path<(String, String)>| async move { format!("{n}/{p}") })
            .get("/", || async { "root" })
            .build()
            .expect("valid")
    })
}

fuzz_target!(|target: String| {
    let target = if target.starts_with('/') { target } else { format!("/{target}") };
    let Some(req) = request("GET", &target, &[], b"") else { return };
    let reply = send(app(), req);
    assert_headers_safe(&reply);
    assert!(matches!(reply.status, 200 | 307 | 404 | 422), "status {} for {target:?}", reply.status);
    if reply.status == 422 {
        let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
        assert!(body["detail"].as_array().is_some_and(|d| !d.is_empty()));
    }
});
