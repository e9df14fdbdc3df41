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

mod app;
mod body;
pub mod error;
pub mod extract;
mod handler;
mod headers;
mod lifecycle;
pub mod middleware;
mod mount;
mod request;
mod response;
mod router;
mod server;
pub mod static_files;
pub mod testing;
mod watchdog;

/// Routes and their methods: [`get`](routing::get), [`post`](routing::post),
/// ... and [`MethodRouter`](routing::MethodRouter).
pub mod routing {
    pub use crate::router::{delete, get, head, options, patch, post, put, trace, MethodRouter};
}

pub use app::{App, AppService};
pub use body::Body;
pub use bytes::Bytes;
pub use error::{ConfigError, Error, HttpError, ValidationError};
pub use extract::{Extension, Path, Query, RequestContext, State};
pub use handler::Handler;
pub use http::{self, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
pub use lifecycle::{BackgroundTasks, Cancelled, Dep, Dependency, Outcome, Scope, TaskOutput};
pub use middleware::{Middleware, Next};
pub use request::{ConnectionInfo, Request, RouteMatch, DEFAULT_MAX_BODY_SIZE};
pub use response::{Html, IntoResponse, Json, Redirect, Response, ResponseExt};
pub use router::Router;
pub use server::{serve, termination_signal, ServeError, Server};
pub use static_files::StaticFiles;

/// `Result<T, sluice::Error>`: what a handler, middleware or dependency
/// returns when it can fail with any error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The names most apps use, for `use sluice::prelude::*`.
pub mod prelude {
    pub use crate::extract::{Extension, Path, Query, State};
    pub use crate::{
        App, BackgroundTasks, Dep, Dependency, HttpError, IntoResponse, Json, Next, Request,
        Response, ResponseExt, Router, StatusCode,
    };
}
