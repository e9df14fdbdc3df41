//! # sluice
//!
//! A Rust web framework with FastAPI's developer experience, built around
//! the middleware model of FastAPI's tutorial: a middleware sees every
//! request before any route does and every response before it leaves,
//! calling `next` in between.
//!
//! ```no_run
//! use std::time::Instant;
//! use sluice::{App, Json, Next, Request, Response};
//! use serde_json::{json, Value};
//!
//! async fn add_process_time_header(req: Request, next: Next) -> Response {
//!     let start = Instant::now();
//!     let mut response = next.run(req).await;
//!     let elapsed = start.elapsed().as_secs_f64().to_string();
//!     response.headers_mut().insert("x-process-time", elapsed.parse().unwrap());
//!     response
//! }
//!
//! async fn root() -> Json<Value> {
//!     Json(json!({"Hello": "World"}))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), sluice::ServeError> {
//!     App::new()
//!         .get("/", root)
//!         .middleware(add_process_time_header)
//!         .run("127.0.0.1:8000")
//!         .await
//! }
//! ```
#![doc = include_str!("docs/model.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// The modules are layered bottom-up (see "Inside the crate" in the docs):
// plain types (error, body, headers, openapi, response, url, head), the app's
// shared context (shared), the lifecycle engine (lifecycle, background),
// the request (request), the stack (stack), extractors and handlers
// (extract, handler), the router (router), the app (app), the server
// (watchdog, server), the test client (testing), and the built-in
// middleware (middleware). Each uses only the layers before it;
// `tests/layering.rs` holds the order and checks it.
#[doc(hidden)]
pub mod __private;
mod app;
mod background;
mod body;
pub mod cookie;
pub mod error;
pub mod extract;
mod floats;
mod handler;
mod head;
mod headers;
mod hook;
mod json_lines;
mod lifecycle;
pub mod middleware;
mod mount;
pub mod openapi;
#[cfg(feature = "redis")]
pub mod redis;
mod request;
mod response;
mod route_names;
mod route_watch;
mod router;
mod server;
mod shared;
pub mod sse;
mod stack;
pub mod static_files;
#[cfg(feature = "testing")]
pub mod testing;
mod url;
mod watchdog;
pub mod websocket;

/// Routes and their methods: [`get`](routing::get), [`post`](routing::post),
/// ... and [`MethodRouter`](routing::MethodRouter).
pub mod routing {
    pub use crate::router::{delete, get, head, options, patch, post, put, trace, MethodRouter};
}

pub use app::{App, AppService};
pub use background::{BackgroundTasks, TaskOutput};
pub use body::Body;
pub use bytes::Bytes;
pub use error::{ConfigError, Error, HttpError, ValidationError};
pub use extract::{Dep, Dependency, Extension, Form, Path, Query, RequestContext, State};
pub use handler::Handler;
pub use head::RequestHead;
pub use http::{self, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
pub use json_lines::JsonLines;
pub use lifecycle::{Cancelled, Outcome, Scope};
pub use middleware::{Middleware, Next};
pub use request::{
    ClientAddr, ConnectionInfo, Locals, Request, RouteMatch, Scheme, UnknownScheme,
    DEFAULT_MAX_BODY_SIZE,
};
pub use response::{Html, IntoResponse, Json, Redirect, Response, ResponseExt};
pub use router::Router;
pub use schemars;
pub use server::{serve, termination_signal, ServeError, Server};
pub use shared::{Caught, ExceptionHandler};
#[cfg(feature = "macros")]
pub use sluice_macros::debug_handler;
pub use static_files::{FileResponse, StaticFiles};

/// `Result<T, sluice::Error>`: what a handler, middleware or dependency
/// returns when it can fail with any error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The names most apps use, for `use sluice::prelude::*`.
pub mod prelude {
    pub use crate::extract::{Extension, Form, Local, Path, Query, State};
    pub use crate::{
        App, BackgroundTasks, Dep, Dependency, HttpError, IntoResponse, Json, Next, Request,
        Response, ResponseExt, Router, StatusCode,
    };
}

/// The README's examples, run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
