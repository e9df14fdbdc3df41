//! [`GZip`]: Starlette's `GZipMiddleware`, with RFC 9110 negotiation.

use std::borrow::Cow;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::accept_encoding::{AcceptEncoding, Deferred};
use super::encoder::{Codec, Coding};
use super::rules::Rules;
use crate::error::ConfigError;
use crate::hook::{self, Before, Hook};
use crate::middleware::{Middleware, Next};
use crate::request::{Request, RouteMatch};
use crate::response::Response;
use crate::stack::StackEntry;

/// Compresses responses with `gzip` for clients that accept it: Starlette's
/// `GZipMiddleware`, with the same options and defaults.
///
/// See the [module documentation](super) for the rules: which responses are
/// compressed, which only get `Vary: Accept-Encoding`, which are left
/// alone, and where sluice does better than Starlette.
///
/// ```
/// use sluice::middleware::GZip;
/// use sluice::App;
///
/// let app = App::new()
///     .get("/", || async { "x".repeat(4000) })
///     .add_middleware(GZip::new().minimum_size(1000).compress_level(6));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct GZip {
    rules: Rules,
    /// Offered to the negotiation as a one-element list.
    codec: [Codec; 1],
}

/// Starlette's default `compresslevel`.
const DEFAULT_LEVEL: u32 = 9;

impl GZip {
    /// `minimum_size` 500, `compress_level` 9, the default excluded types
    /// ([`DEFAULT_EXCLUDED_CONTENT_TYPES`](super::DEFAULT_EXCLUDED_CONTENT_TYPES))
    /// and `thread_minimum_size` 128 KiB, as Starlette.
    pub fn new() -> Self {
        GZip {
            rules: Rules::default(),
            codec: [Codec {
                coding: Coding::Gzip,
                level: DEFAULT_LEVEL as i32,
            }],
        }
    }

    /// Whole bodies smaller than this many bytes are sent as they are, with
    /// no `Vary` (default 500). Streamed bodies are compressed whatever
    /// their size, since it is not known when the headers leave.
    pub fn minimum_size(mut self, bytes: usize) -> Self {
        self.rules.minimum_size = bytes;
        self
    }

    /// The gzip level, from 0 (no compression, fastest) to 9 (smallest,
    /// slowest; the default, as Starlette). Any other value is reported
    /// when the app is built.
    pub fn compress_level(mut self, level: u32) -> Self {
        self.codec[0].level = i32::try_from(level).unwrap_or(i32::MAX);
        self
    }

    /// Replaces the list of media types that are never compressed (default
    /// [`DEFAULT_EXCLUDED_CONTENT_TYPES`](super::DEFAULT_EXCLUDED_CONTENT_TYPES)).
    ///
    /// Each entry is `type/subtype` (which also covers `type/subtype+suffix`)
    /// or `type/*`, compared case-insensitively with the response's
    /// `Content-Type` without its parameters. An entry that is not of that
    /// shape is reported when the app is built. Pass an empty list to
    /// compress every type.
    pub fn exclude_content_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.rules.set_excluded(types);
        self
    }

    /// Bodies (and chunks of streams) at least this large are compressed
    /// on tokio's blocking pool, so that a big body does not hold up the
    /// other requests served by the same thread (default 128 KiB, as
    /// Starlette's `thread_minimum_size`).
    pub fn thread_minimum_size(mut self, bytes: usize) -> Self {
        self.rules.thread_minimum_size = bytes;
        self
    }
}

impl Default for GZip {
    fn default() -> Self {
        GZip::new()
    }
}

impl Hook for GZip {
    type State<'a> = Deferred;

    fn before(&self, req: &mut Request) -> Before<Deferred> {
        Before::Pass(AcceptEncoding::defer(req.headers()))
    }

    fn after(
        &self,
        accept: Deferred,
        response: &mut Response,
        _route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'_, Response>> {
        self.rules.finish(accept, &self.codec, response)
    }
}

impl Middleware for GZip {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("GZip")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(0..=9).contains(&self.codec[0].level) {
            return Err(ConfigError::middleware(
                "GZip",
                format!(
                    "compress_level must be between 0 and 9, not {}",
                    self.codec[0].level
                ),
            ));
        }
        self.rules.validate("GZip")
    }
}
