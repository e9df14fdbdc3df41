//! The scenarios of the core issue: tutorial, order, errors, lifecycle,
//! body and perf-bare.

use std::borrow::Cow;
use std::sync::Mutex;
use std::time::Instant;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use sluice::extract::{Local, Path};
use sluice::http::header::CONTENT_TYPE;
use sluice::middleware::Middleware;
use sluice::{
    App, BackgroundTasks, Bytes, Dep, Dependency, Error, HeaderMap, HeaderValue, HttpError,
    IntoResponse, Json, Next, Outcome, Request, RequestContext, Response, ResponseExt, StatusCode,
};

/// The tutorial's first middleware: the time the rest of the app took, in
/// seconds, in `X-Process-Time`.
pub(crate) async fn add_process_time_header(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut response = next.run(req).await;
    let elapsed = start.elapsed().as_secs_f64();
    if let Ok(value) = HeaderValue::from_str(&elapsed.to_string()) {
        response.headers_mut().insert("x-process-time", value);
    }
    response
}

pub(crate) async fn hello_world() -> Json<Value> {
    Json(json!({"Hello": "World"}))
}

async fn read_item(Path(item_id): Path<i64>) -> Json<Value> {
    Json(json!({ "item_id": item_id }))
}

/// FastAPI's `async def echo(payload: Any = Body())`: any JSON value
/// (object, array, number, string, `null`), echoed.
pub(crate) async fn echo_json(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

pub(crate) fn tutorial() -> App {
    App::new()
        .get("/", hello_world)
        .get("/items/{item_id}", read_item)
        .post("/echo", echo_json)
        .middleware(add_process_time_header)
}

/// The trail of middleware names a request passed on its way in, kept in
/// the request's locals (FastAPI's `request.state`).
#[derive(Clone, Default)]
struct Trail(Vec<&'static str>);

fn mark_in(req: &Request, name: &'static str) {
    req.locals().update(|trail: &mut Trail| trail.0.push(name));
}

fn mark_out(response: &mut Response, name: &str) {
    let value = match response
        .headers()
        .get("x-out")
        .and_then(|v| v.to_str().ok())
    {
        Some(before) => format!("{before},{name}"),
        None => name.to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert("x-out", value);
    }
}

/// A middleware value that marks the trail and `x-out` with its name.
struct Mark(&'static str);

impl Middleware for Mark {
    async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
        mark_in(&req, self.0);
        let mut response = next.run(req).await;
        mark_out(&mut response, self.0);
        Ok(response)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.0)
    }
}

async fn c(req: Request, next: Next) -> Response {
    mark_in(&req, "C");
    let mut response = next.run(req).await;
    mark_out(&mut response, "C");
    response
}

async fn trail(Local(trail): Local<Trail>) -> Json<Value> {
    Json(json!({ "trail": trail.0 }))
}

pub(crate) fn order() -> App {
    App::new()
        .get("/trail", trail)
        .add_middleware(Mark("A"))
        .add_middleware(Mark("B"))
        .middleware(c)
}

/// The tutorial's error-handling middleware: any failure further in is
/// logged and answered with a JSON 500.
async fn error_handling(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    match response.error() {
        Some(error) if response.status().is_server_error() => {
            tracing::error!(%error, "unhandled error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"detail": "Internal Server Error"})),
            )
                .into_response()
        }
        _ => response,
    }
}

async fn fail() -> sluice::Result<Json<Value>> {
    Err(Error::msg("the database went away"))
}

async fn panic_handler() -> Json<Value> {
    panic!("the handler panicked")
}

async fn teapot() -> Result<Json<Value>, HttpError> {
    Err(HttpError::new(418, "I'm a teapot"))
}

pub(crate) fn errors() -> App {
    App::new()
        .get("/", hello_world)
        .get("/error", fail)
        .get("/panic", panic_handler)
        .get("/http-error", teapot)
        .middleware(error_handling)
}

/// The global event log of the lifecycle scenario.
static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn log_event(event: &str) {
    EVENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(event.to_owned());
}

async fn log_middleware(req: Request, next: Next) -> Response {
    log_event("mw:before");
    let response = next.run(req).await;
    log_event("mw:after");
    response
}

/// A dependency with cleanup (`yield` in FastAPI).
struct Resource;

impl Dependency for Resource {
    async fn enter(
        _parts: &mut sluice::http::request::Parts,
        _cx: &RequestContext,
    ) -> sluice::Result<Self> {
        log_event("dep:enter");
        Ok(Resource)
    }

    async fn exit(&self, _outcome: &Outcome) {
        log_event("dep:exit");
    }
}

async fn work(_resource: Dep<Resource>, tasks: BackgroundTasks) -> Json<Value> {
    log_event("handler");
    tasks.add(async { log_event("background") });
    Json(json!({"ok": true}))
}

async fn read_log() -> Json<Value> {
    let events = EVENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    Json(json!({ "events": events }))
}

async fn clear_log() -> StatusCode {
    EVENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    StatusCode::NO_CONTENT
}

pub(crate) fn lifecycle() -> App {
    App::new()
        .post("/work", work)
        .get("/log", read_log)
        .delete("/log", clear_log)
        .middleware(log_middleware)
}

/// Reads the whole body before the handler does, and reports its length.
async fn body_length(mut req: Request, next: Next) -> sluice::Result<Response> {
    let length = req.bytes().await?.len();
    let mut response = next.run(req).await;
    response
        .headers_mut()
        .insert("x-body-length", HeaderValue::from(length));
    Ok(response)
}

async fn echo_raw(headers: HeaderMap, body: Bytes) -> Response {
    let mut response = Response::new(sluice::Body::from(body));
    if let Some(content_type) = headers.get(CONTENT_TYPE) {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, content_type.clone());
    }
    response
}

pub(crate) fn body() -> App {
    App::new().post("/echo", echo_raw).middleware(body_length)
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Message {
    message: &'static str,
}

pub(crate) async fn hello() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

pub(crate) fn perf_bare() -> App {
    App::new().get("/hello", hello)
}
