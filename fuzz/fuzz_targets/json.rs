//! Bodies through the Json extractor: never a panic, never a 500; a 422
//! always has FastAPI's detail list.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sluice::schemars::JsonSchema;
use sluice::{App, AppService, Json};
use sluice_fuzz::{assert_headers_safe, request, send};

#[derive(Deserialize, Serialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
struct Item {
    name: String,
    price: f64,
    tags: Vec<String>,
    nested: Option<Box<Item>>,
}

fn app() -> &'static AppService {
    static APP: OnceLock<AppService> = OnceLock::new();
    APP.get_or_init(|| {
        App::new()
            .post("/value", |Json(v): Json<Value>| async move { Json(v) })
            .post("/item", |Json(item): Json<Item>| async move { Json(item) })
            .build()
            .expect("valid")
    })
}

fuzz_target!(|input: (Vec<u8>, Vec<u8>, bool)| {
    let (body, content_type, item) = input;
    let path = if item { "/item" } else { "/value" };
    let headers: Vec<(&str, &[u8])> = if content_type.is_empty() { vec![] } else { vec![("content-type", &content_type)] };
    let Some(req) = request("POST", path, &headers, &body) else { return };
    let reply = send(app(), req);
    assert_headers_safe(&reply);
    assert!(matches!(reply.status, 200 | 400 | 422), "status {}", reply.status);
    if reply.status == 422 {
        let detail: Value = serde_json::from_slice(&reply.body).expect("JSON");
        assert!(detail["detail"].as_array().is_some_and(|d| !d.is_empty()));
    }
});
