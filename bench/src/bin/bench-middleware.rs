//! `bench-middleware <case> <requests> [threads]`: sends `requests`
//! requests, one after another, in process through an app with one of the
//! proxy and session middlewares, and exits. Run it under callgrind with
//! two request counts to get the instructions one request costs (start-up
//! cancels out), and compare a case with `bare`:
//!
//! ```sh
//! cargo build --release -p sluice-bench --bin bench-middleware
//! for n in 200 1000; do
//!   valgrind --tool=callgrind --callgrind-out-file=cg.sessions-read.$n \
//!     target/release/bench-middleware sessions-read $n
//! done
//! ```
//!
//! With `threads`, that many threads (each with a runtime of its own) send
//! `requests` requests each through the one app at the same time, and the
//! wall time per request per thread is printed: what state shared between
//! cores costs, which callgrind (one thread at a time) cannot see. Compare
//! with `1` thread, over several alternated runs (the machine is shared).
//!
//! | case | app | request |
//! |---|---|---|
//! | `bare` | `GET /hello` -> `{"message":"Hello, World!"}` | no headers |
//! | `sessions-untouched` | `bare` behind `Sessions` | a valid session cookie; the handler ignores it |
//! | `sessions-read` | a handler that reads `user` from the session | a valid session cookie |
//! | `sessions-write` | a handler that reads and increments `n` | a valid session cookie; a new cookie is set |
//! | `proxy-none` | `bare` behind `ProxyHeaders` | from the trusted peer, no forwarded headers |
//! | `proxy` | `bare` behind `ProxyHeaders` | from the trusted peer, `X-Forwarded-For` (two entries) and `X-Forwarded-Proto` |
//! | `rate-limit` | `bare` behind `RateLimit` (memory store, a million per second: every request admitted and counted) | no headers; the `RateLimit` fields are checked on the response |
//! | `metrics` | `bare` behind `Metrics` | no headers |
//! | `tracing-off` | `metrics` behind `Tracing` with sampling off (an OTLP endpoint that is never called) | no headers |
//! | `tracing-parent` | as `tracing-off` | a valid `traceparent`, not sampled |
//! | `layers` | `bare` behind four function middlewares that only call `next` | no headers |
//! | `stack` | `bare` behind `perf-stack`'s built-ins: `Authentication`, `AccessLog` (debug, off), `ProcessTime`, `GZip`, `TrustedHost` (any host), `Cors`, `ErrorHandler` | `Authorization` and `Origin`, as `bench/run` sends them |

use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Value};
use sluice::middleware::rate_limit::{Policy, RateLimit};
use sluice::middleware::sessions::{Session, Sessions};
use sluice::middleware::{
    AccessLog, Authentication, Cors, ErrorHandler, GZip, Metrics, ProcessTime, ProxyHeaders,
    StaticToken, Tracing, TrustedHost,
};
use sluice::{App, AppService, Body, ConnectionInfo, Json, Next, Request, Response};

const SECRET: &str = "bench-middleware: a session secret of 32+ bytes";
const CASES: &[&str] = &[
    "bare",
    "sessions-untouched",
    "sessions-read",
    "sessions-write",
    "proxy-none",
    "proxy",
    "rate-limit",
    "metrics",
    "tracing-off",
    "tracing-parent",
    "layers",
    "stack",
];

async fn pass(req: Request, next: Next) -> Response {
    next.run(req).await
}

async fn hello() -> Json<Value> {
    Json(json!({"message": "Hello, World!"}))
}

async fn read(session: Session) -> Json<Value> {
    Json(json!({"message": session.get::<String>("user")}))
}

async fn write(session: Session) -> sluice::Result<Json<Value>> {
    let n = session.get::<u64>("n").unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(Json(json!({"message": n})))
}

fn app(case: &str) -> Option<AppService> {
    let sessions = || Sessions::new(SECRET);
    let app = match case {
        "bare" => App::new().get("/hello", hello),
        "sessions-untouched" => App::new().get("/hello", hello).add_middleware(sessions()),
        "sessions-read" => App::new()
            .get("/hello", read)
            .get("/login", write)
            .add_middleware(sessions()),
        "sessions-write" => App::new().get("/hello", write).add_middleware(sessions()),
        "rate-limit" => App::new()
            .get("/hello", hello)
            .add_middleware(RateLimit::new(Policy::per_second(1_000_000))),
        "metrics" => App::new()
            .get("/hello", hello)
            .add_middleware(Metrics::new()),
        "tracing-off" | "tracing-parent" => {
            let tracing = Tracing::otlp("http://127.0.0.1:9")
                .sample_ratio(0.0)
                .build()
                .ok()?;
            App::new()
                .get("/hello", hello)
                .add_middleware(Metrics::new())
                .add_middleware(tracing)
        }
        "layers" => App::new()
            .get("/hello", hello)
            .middleware(pass)
            .middleware(pass)
            .middleware(pass)
            .middleware(pass),
        "stack" => App::new()
            .get("/hello", hello)
            .add_middleware(
                Authentication::api_key_header(
                    "authorization",
                    StaticToken::new("Bearer valid_token"),
                )
                .challenge("Bearer"),
            )
            .add_middleware(AccessLog::new().level(tracing::Level::DEBUG))
            .add_middleware(ProcessTime::new())
            .add_middleware(GZip::new().minimum_size(500))
            .add_middleware(TrustedHost::new().allowed_hosts(["*"]))
            .add_middleware(
                Cors::new()
                    .allow_origins(["http://localhost", "http://localhost:8080"])
                    .allow_credentials(true)
                    .allow_methods(["*"])
                    .allow_headers(["*"])
                    .expose_headers(["X-Process-Time"])
                    .max_age(600),
            )
            .add_middleware(ErrorHandler::new()),
        "proxy-none" | "proxy" => App::new()
            .get("/hello", hello)
            .add_middleware(ProxyHeaders::new().trusted(["127.0.0.1", "10.0.0.0/8"])),
        _ => return None,
    };
    app.build().ok()
}

fn request(case: &str, cookie: Option<&str>) -> Request {
    let mut builder = sluice::http::Request::get("/hello").header("host", "bench");
    if case == "proxy" {
        builder = builder
            .header("x-forwarded-for", "203.0.113.9, 10.0.0.2")
            .header("x-forwarded-proto", "https");
    }
    if case == "tracing-parent" {
        builder = builder.header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        );
    }
    if case == "stack" {
        builder = builder
            .header("authorization", "Bearer valid_token")
            .header("origin", "http://localhost");
    }
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    let mut req = builder.body(Body::empty()).expect("a valid request");
    req.extensions_mut().insert(ConnectionInfo {
        remote_addr: Some(([127, 0, 0, 1], 50000).into()),
        local_addr: Some(([127, 0, 0, 1], 8000).into()),
        secure: false,
    });
    Request::from_http(req)
}

/// A cookie the app itself set: `session={"user":"alice","n":1}`, signed.
async fn session_cookie() -> String {
    let login = App::new()
        .get("/hello", |session: Session| async move {
            let _ = session.insert("user", "alice");
            let _ = session.insert("n", 1);
            "ok"
        })
        .add_middleware(Sessions::new(SECRET))
        .build()
        .expect("valid");
    let res = login.handle(request("bare", None)).await;
    let header = res.headers().get("set-cookie").expect("a cookie");
    let text = header.to_str().expect("ascii");
    text.split(';').next().expect("name=value").to_owned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench-middleware: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Inside the runtime: the tracing exporter starts its task on build.
    let entered = runtime.enter();
    let parsed = match args.as_slice() {
        [case, requests] => app(case)
            .zip(requests.parse::<u64>().ok())
            .map(|p| (p, None)),
        [case, requests, threads] => app(case)
            .zip(requests.parse::<u64>().ok())
            .zip(threads.parse::<usize>().ok().filter(|t| *t > 0))
            .map(|(p, threads)| (p, Some(threads))),
        _ => None,
    };
    drop(entered);
    let Some(((service, requests), threads)) = parsed else {
        eprintln!(
            "usage: bench-middleware <case> <requests> [threads]; cases: {}",
            CASES.join(", ")
        );
        return ExitCode::from(2);
    };
    let case = args[0].as_str();
    let cookie = if case.starts_with("sessions") {
        Some(runtime.block_on(session_cookie()))
    } else {
        None
    };
    let cookie = cookie.as_deref();
    let (ok, sent) = match threads {
        None => (
            runtime.block_on(send(&service, case, cookie, requests)),
            requests,
        ),
        Some(threads) => {
            let started = Instant::now();
            let ok: u64 = std::thread::scope(|scope| {
                let senders: Vec<_> = (0..threads)
                    .map(|_| {
                        let service = &service;
                        scope.spawn(move || {
                            tokio::runtime::Builder::new_current_thread()
                                .enable_all()
                                .build()
                                .map_or(0, |rt| rt.block_on(send(service, case, cookie, requests)))
                        })
                    })
                    .collect();
                senders.into_iter().map(|s| s.join().unwrap_or(0)).sum()
            });
            let nanos = started.elapsed().as_nanos() as f64 / requests.max(1) as f64;
            println!("{case}, {threads} thread(s): {nanos:.0} ns per request per thread");
            (ok, requests * threads as u64)
        }
    };
    if ok == sent {
        ExitCode::SUCCESS
    } else {
        eprintln!("bench-middleware: {} of {sent} requests failed", sent - ok);
        ExitCode::FAILURE
    }
}

/// Sends `requests` requests one after another; how many were answered as
/// the case expects.
async fn send(service: &AppService, case: &str, cookie: Option<&str>, requests: u64) -> u64 {
    // Looked up by a parsed name, so that checking costs little next to
    // what is measured.
    let ratelimit = sluice::http::HeaderName::from_static("ratelimit");
    let set_cookie = sluice::http::header::SET_COOKIE;
    let mut ok = 0;
    for _ in 0..requests {
        let res = service.handle(request(case, cookie)).await;
        let fine = res.status() == 200
            && (case != "sessions-write" || res.headers().contains_key(&set_cookie))
            && (case != "rate-limit" || res.headers().contains_key(&ratelimit));
        ok += u64::from(fine);
    }
    ok
}
