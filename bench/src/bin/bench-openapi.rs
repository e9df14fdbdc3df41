//! What the OpenAPI document costs (BENCHMARKS.md, "OpenAPI").
//!
//! - `bench-openapi build <routes> <times>`: builds an app of `routes`
//!   typed routes (path, query, JSON body and response) `times` times
//!   without a document and `times` times with one, and prints the mean
//!   time of one build of each and their difference: the document's cost,
//!   paid once, when the app is built.
//! - `bench-openapi request <plain|docs> <requests>`: builds `perf-bare`
//!   (`GET /hello`) beside 100 typed routes, with `docs` also serving
//!   `/openapi.json`, `/docs` and `/redoc`, then sends `requests` requests
//!   to `/hello` in process, one after another. Under callgrind, with two
//!   request counts, it gives the instructions per request with and
//!   without the document: the same, since nothing of it runs per request.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sluice::extract::{Path, Query};
use sluice::openapi::OpenApi;
use sluice::schemars::JsonSchema;
use sluice::{App, AppService, Json, Request};

#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
struct Item {
    name: String,
    price: f64,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
struct Page {
    q: Option<String>,
    #[serde(default)]
    limit: u32,
}

#[derive(Serialize, JsonSchema)]
#[schemars(crate = "sluice::schemars")]
struct Message {
    message: &'static str,
}

async fn read_item(Path(item_id): Path<u32>, Query(page): Query<Page>) -> Json<Item> {
    Json(Item {
        name: format!("{item_id} {}", page.limit),
        price: 1.0,
        tags: page.q.into_iter().collect(),
    })
}

async fn create_item(Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

async fn hello() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

/// `routes` typed routes: half read an item by path and query, half create
/// one from a JSON body.
fn app(routes: usize) -> App {
    (0..routes).fold(App::new(), |app, i| {
        if i % 2 == 0 {
            app.get(&format!("/r{i}/{{item_id}}"), read_item)
        } else {
            app.post(&format!("/r{i}"), create_item)
        }
    })
}

fn build(routes: usize, docs: bool) -> Result<AppService, sluice::ConfigError> {
    let app = app(routes).get("/hello", hello);
    if docs {
        app.openapi(OpenApi::new().title("bench")).build()
    } else {
        app.build()
    }
}

fn mean_build(routes: usize, docs: bool, times: u32) -> Result<Duration, sluice::ConfigError> {
    let start = Instant::now();
    for _ in 0..times {
        drop(build(routes, docs)?);
    }
    Ok(start.elapsed() / times)
}

fn builds(routes: usize, times: u32) -> Result<(), sluice::ConfigError> {
    // One of each first, so that neither pays for warming up.
    drop(build(routes, false)?);
    drop(build(routes, true)?);
    let plain = mean_build(routes, false, times)?;
    let docs = mean_build(routes, true, times)?;
    println!(
        "{routes} routes: build {plain:.2?} without the document, {docs:.2?} with it; \
         the document: {:.2?}, once",
        docs.saturating_sub(plain)
    );
    Ok(())
}

fn requests(docs: bool, requests: u64) -> Result<u64, String> {
    let service = build(100, docs).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    Ok(runtime.block_on(async {
        let mut ok = 0;
        for _ in 0..requests {
            let req = sluice::http::Request::get("/hello")
                .body(sluice::Body::default())
                .map(Request::from_http);
            if let Ok(req) = req {
                ok += u64::from(service.handle(req).await.status() == 200);
            }
        }
        ok
    }))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench-openapi build <routes> <times> | bench-openapi request <plain|docs> <requests>";
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["build", routes, times] => {
            let (Ok(routes), Ok(times)) = (routes.parse(), times.parse::<u32>()) else {
                eprintln!("{usage}");
                return ExitCode::from(2);
            };
            match builds(routes, times.max(1)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("bench-openapi: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        ["request", variant @ ("plain" | "docs"), n] => {
            let Ok(n) = n.parse::<u64>() else {
                eprintln!("{usage}");
                return ExitCode::from(2);
            };
            match requests(*variant == "docs", n) {
                Ok(ok) if ok == n => ExitCode::SUCCESS,
                Ok(ok) => {
                    eprintln!("bench-openapi: {} of {n} requests failed", n - ok);
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("bench-openapi: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{usage}");
            ExitCode::from(2)
        }
    }
}
