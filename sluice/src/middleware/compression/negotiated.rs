//! [`Compression`]: `gzip`, `br` and `zstd`, chosen by the client's
//! `Accept-Encoding` weights.

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

/// Compresses responses with the best coding the client accepts among
/// `zstd`, `br` and `gzip`, by the weights of its `Accept-Encoding`; on a
/// tie, the server prefers `zstd`, then `br`, then `gzip`.
///
/// The rules are [`GZip`](super::GZip)'s (see the
/// [module documentation](super)); only the choice of coding differs.
/// `br` and `zstd` need the cargo features of the same names, on by
/// default.
///
/// ```
/// use sluice::middleware::Compression;
/// use sluice::App;
///
/// let app = App::new()
///     .get("/", || async { "x".repeat(4000) })
///     .add_middleware(Compression::new().gzip_level(6));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Compression {
    rules: Rules,
    gzip: Option<u32>,
    #[cfg(feature = "br")]
    br: Option<u32>,
    #[cfg(feature = "zstd")]
    zstd: Option<i32>,
    /// The enabled codings in the server's order of preference, rebuilt by
    /// every setter.
    offered: Vec<Codec>,
}

/// gzip's default level: 9, as [`GZip`](super::GZip) and Starlette.
const DEFAULT_GZIP_LEVEL: u32 = 9;
/// brotli's default quality: 4, the usual choice for responses made on
/// the fly (11, brotli's own default, is meant for static files and is
/// about a hundred times slower).
#[cfg(feature = "br")]
const DEFAULT_BR_QUALITY: u32 = 4;
/// zstd's default level: 3, zstd's own default.
#[cfg(feature = "zstd")]
const DEFAULT_ZSTD_LEVEL: i32 = 3;

impl Compression {
    /// Every coding compiled in (`zstd`, `br`, `gzip`), with gzip level 9,
    /// brotli quality 4 and zstd level 3, and [`GZip`](super::GZip)'s
    /// defaults for the rest: `minimum_size` 500, the default excluded
    /// types, `thread_minimum_size` 128 KiB.
    pub fn new() -> Self {
        Compression {
            rules: Rules::default(),
            gzip: Some(DEFAULT_GZIP_LEVEL),
            #[cfg(feature = "br")]
            br: Some(DEFAULT_BR_QUALITY),
            #[cfg(feature = "zstd")]
            zstd: Some(DEFAULT_ZSTD_LEVEL),
            offered: Vec::new(),
        }
        .refreshed()
    }

    /// Rebuilds the list of offered codecs, in the server's order of
    /// preference: zstd, br, gzip.
    fn refreshed(mut self) -> Self {
        self.offered.clear();
        #[cfg(feature = "zstd")]
        if let Some(level) = self.zstd {
            self.offered.push(Codec {
                coding: Coding::Zstd,
                level,
            });
        }
        #[cfg(feature = "br")]
        if let Some(quality) = self.br {
            self.offered.push(Codec {
                coding: Coding::Br,
                level: i32::try_from(quality).unwrap_or(i32::MAX),
            });
        }
        if let Some(level) = self.gzip {
            self.offered.push(Codec {
                coding: Coding::Gzip,
                level: i32::try_from(level).unwrap_or(i32::MAX),
            });
        }
        self
    }

    /// Whole bodies smaller than this many bytes are sent as they are, with
    /// no `Vary` (default 500). Streamed bodies are always compressed.
    pub fn minimum_size(mut self, bytes: usize) -> Self {
        self.rules.minimum_size = bytes;
        self
    }

    /// Replaces the list of media types that are never compressed; see
    /// [`GZip::exclude_content_types`](super::GZip::exclude_content_types).
    pub fn exclude_content_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.rules.set_excluded(types);
        self
    }

    /// Bodies (and chunks of streams) at least this large are compressed
    /// on tokio's blocking pool (default 128 KiB).
    pub fn thread_minimum_size(mut self, bytes: usize) -> Self {
        self.rules.thread_minimum_size = bytes;
        self
    }

    /// Offers `gzip` or not (default: offered).
    pub fn gzip(mut self, enable: bool) -> Self {
        self.gzip = enable.then_some(self.gzip.unwrap_or(DEFAULT_GZIP_LEVEL));
        self.refreshed()
    }

    /// The gzip level, 0 to 9 (default 9); also offers `gzip`.
    pub fn gzip_level(mut self, level: u32) -> Self {
        self.gzip = Some(level);
        self.refreshed()
    }

    /// Offers `br` or not (default: offered).
    #[cfg(feature = "br")]
    pub fn br(mut self, enable: bool) -> Self {
        self.br = enable.then_some(self.br.unwrap_or(DEFAULT_BR_QUALITY));
        self.refreshed()
    }

    /// The brotli quality, 0 to 11 (default 4); also offers `br`.
    #[cfg(feature = "br")]
    pub fn br_quality(mut self, quality: u32) -> Self {
        self.br = Some(quality);
        self.refreshed()
    }

    /// Offers `zstd` or not (default: offered).
    #[cfg(feature = "zstd")]
    pub fn zstd(mut self, enable: bool) -> Self {
        self.zstd = enable.then_some(self.zstd.unwrap_or(DEFAULT_ZSTD_LEVEL));
        self.refreshed()
    }

    /// The zstd level (default 3): 1 to 22, negative for zstd's fast modes,
    /// 0 for zstd's default (3); also offers `zstd`.
    #[cfg(feature = "zstd")]
    pub fn zstd_level(mut self, level: i32) -> Self {
        self.zstd = Some(level);
        self.refreshed()
    }
}

impl Default for Compression {
    fn default() -> Self {
        Compression::new()
    }
}

impl Hook for Compression {
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
        self.rules.finish(accept, &self.offered, response)
    }
}

impl Middleware for Compression {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("Compression")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |reason: String| Err(ConfigError::middleware("Compression", reason));
        if self.offered.is_empty() {
            return invalid("every coding is turned off".to_owned());
        }
        if let Some(level) = self.gzip.filter(|level| *level > 9) {
            return invalid(format!("gzip_level must be between 0 and 9, not {level}"));
        }
        #[cfg(feature = "br")]
        if let Some(quality) = self.br.filter(|quality| *quality > 11) {
            return invalid(format!(
                "br_quality must be between 0 and 11, not {quality}"
            ));
        }
        #[cfg(feature = "zstd")]
        if let Some(level) = self.zstd {
            let range = zstd::compression_level_range();
            if !range.contains(&level) {
                return invalid(format!(
                    "zstd_level must be between {} and {}, not {level}",
                    range.start(),
                    range.end()
                ));
            }
        }
        self.rules.validate("Compression")
    }
}
