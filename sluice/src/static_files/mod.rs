//! [`StaticFiles`]: serves the files of a directory, as Starlette's
//! `StaticFiles` does, mounted under a prefix with
//! [`App::mount`](crate::App::mount).
//!
//! ```
//! use sluice::testing::TestClient;
//! use sluice::{App, StaticFiles};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # let dir = std::env::temp_dir().join(format!("sluice-doc-static-{}", std::process::id()));
//! # std::fs::create_dir_all(dir.join("docs")).unwrap();
//! # std::fs::write(dir.join("hello.txt"), "hello, world\n").unwrap();
//! # std::fs::write(dir.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
//! # std::fs::write(dir.join("404.html"), "<h1>not here</h1>\n").unwrap();
//! let app = App::new().mount("/static", StaticFiles::new(&dir).html(true));
//! let client = TestClient::new(app);
//!
//! let res = client.get("/static/hello.txt").await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.header("content-type"), Some("text/plain; charset=utf-8"));
//! assert_eq!(res.text(), "hello, world\n");
//!
//! // Conditional requests: the etag (or the date) gives a 304.
//! let etag = res.header("etag").unwrap();
//! let res = client.get("/static/hello.txt").header("if-none-match", etag).await;
//! assert_eq!(res.status(), 304);
//!
//! // Ranges.
//! let res = client.get("/static/hello.txt").header("range", "bytes=0-4").await;
//! assert_eq!(res.status(), 206);
//! assert_eq!(res.header("content-range"), Some("bytes 0-4/13"));
//! assert_eq!(res.text(), "hello");
//!
//! // html mode: a directory's index.html, after the redirect to the slash.
//! let res = client.get("/static/docs").await;
//! assert_eq!(res.status(), 307);
//! assert_eq!(res.header("location"), Some("http://testserver/static/docs/"));
//! assert_eq!(client.get("/static/docs/").await.text(), "<h1>docs</h1>\n");
//!
//! // Nothing outside the directory, however the path is written.
//! let res = client.get("/static/..%2F..%2Fetc%2Fpasswd").await;
//! assert_eq!((res.status().as_u16(), res.text()), (404, "<h1>not here</h1>\n".into()));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! ```
//!
//! # What it answers
//!
//! Exactly what Starlette 1.10's `StaticFiles` answers, request by request
//! (the conformance suite compares them), apart from the etag's value:
//!
//! | request | response |
//! |---|---|
//! | GET a file | 200, the file; `content-type` by extension (`text/*` with `; charset=utf-8`, unknown: `application/octet-stream`), `content-length`, `last-modified`, `etag`, `accept-ranges: bytes` |
//! | HEAD | the headers of the GET, no body |
//! | any other method | `405 {"detail":"Method Not Allowed"}`, `allow: GET, HEAD`, before the path is looked at |
//! | `If-None-Match` with the etag (weak comparison, or `*`) | 304 with the `etag` and no other entity header |
//! | `If-Modified-Since` not earlier than the file's date, and no `If-None-Match` | 304 (a date that cannot be read is ignored) |
//! | `Range: bytes=0-4`, `bytes=5-`, `bytes=-3` | 206, `content-range: bytes 0-4/13` |
//! | several ranges | 206, `multipart/byteranges`: ranges sorted, overlapping and adjacent ones merged (one left: a plain 206) |
//! | a range starting at or past the end (`bytes=-0` too) | 416, `content-range: bytes */<size>`, empty body |
//! | a `Range` that is not `bytes=`, or has no valid range | 400 |
//! | more than 100 ranges | 200, the whole file |
//! | `If-Range` that is not the exact strong etag or date | 200, the whole file |
//! | a directory, `html` off | `404 {"detail":"Not Found"}` |
//! | a directory, `html` on, with `index.html` | `index.html`; without the trailing slash, a 307 to the absolute URL with it (query kept) |
//! | anything missing, `html` on, with `404.html` | `404.html` with status 404 (no conditional or range handling) |
//! | anything missing otherwise | `404 {"detail":"Not Found"}` |
//! | a NUL in the path, a name too long for the file system | `404 {"detail":"Not Found"}` (not `404.html`; with [`follow_symlinks`](StaticFiles::follow_symlinks), a path that leaves the directory is "not found" first) |
//! | access refused by the file system | `401 {"detail":"Unauthorized"}`, as Starlette answers it |
//!
//! One difference is deliberate: a compressed file is served as what it
//! is (`style.css.gz` as `application/gzip`, `.bz2` as
//! `application/x-bzip2`). Starlette asks Python's `mimetypes`, which names
//! the type of what is inside (`text/css`), but sends no
//! `content-encoding`, so a browser would read compressed bytes as CSS.
//!
//! The path is percent-decoded and normalised first (empty and `.`
//! segments dropped, `..` applied), so `sub/../hello.txt`, `./hello.txt`,
//! `//hello.txt`, `sub%2Fpage.html` and `hello.txt/` are all served. A
//! backslash is an ordinary character of a name (but a path starting with
//! one is not found, as in Starlette).
//!
//! # Security
//!
//! A request can never read a file outside the directory. After
//! normalisation the path is joined to the directory, every symbolic link
//! in it is resolved (as `realpath` does), and the result must be the
//! directory or inside it, compared component by component; otherwise it
//! is "not found" (the `404.html` page in `html` mode). That covers `..`,
//! `%2e%2e`, encoded slashes, absolute paths, backslashes, NUL bytes and
//! symbolic links that point outside. Links that stay inside are served.
//! [`StaticFiles::follow_symlinks`] turns the link check off (the
//! directory's links are then trusted, Starlette's `follow_symlink=True`);
//! `..` is still applied to the text and still cannot leave.
//!
//! A file is opened only after that check, with `O_NOFOLLOW` (a file
//! replaced by a link in between is not served) and only if it is a
//! regular file (a FIFO or a device never is). Someone who can write into
//! the directory while it is served could still race a directory in the
//! path against a link; do not serve a directory that untrusted users can
//! write to.
//!
//! # How files are sent
//!
//! Every look-up and read runs on tokio's blocking pool, never on the
//! threads that serve requests: one trip per request for the look-up (and
//! the file itself when it is smaller than 64 KiB, or its first 64 KiB),
//! then one per 64 KiB chunk, each read while the connection sends the
//! chunk before it. A response never holds more than two chunks of the
//! file in memory, whatever its size, and a slow client holds no thread.
//!
//! A file smaller than 64 KiB is sent as one whole body, a larger one as a
//! stream, which is how Starlette's `FileResponse` sends them; so
//! [`GZip`](crate::middleware::GZip) treats them as Starlette's
//! `GZipMiddleware` does (a small file below `minimum_size` untouched, a
//! large one compressed as a stream). A 206, a 304 and a HEAD are never
//! compressed.
//!
//! # Options
//!
//! | option | default | what it does |
//! |---|---|---|
//! | [`html`](StaticFiles::html) | `false` | a directory serves its `index.html`, a missing path the directory's `404.html` |
//! | [`follow_symlinks`](StaticFiles::follow_symlinks) | `false` | serve symbolic links that point outside the directory |
//!
//! The directory must exist when [`StaticFiles::new`] is called; mounting
//! one that does not is a [`ConfigError`] when the app is built (and a 500
//! per request elsewhere; see [`StaticFiles::check`]).
//!
//! # Built on
//!
//! [`mime_guess`] for content types and [`httpdate`] for `last-modified`.
//! The rest is sluice's own, because Starlette's behaviour is the one to
//! match and tower-http's `ServeDir` (0.7) differs from it in what clients
//! see: it refuses any path with `..` instead of normalising it, answers
//! several ranges with a 416 (or the whole file) rather than
//! `multipart/byteranges`, serves a fallback page with the fallback's
//! status rather than `404.html` with a 404, and redirects directories
//! with a relative `location`. `StaticFiles` is a plain tower service all
//! the same: it runs under axum or any tower-based server. (Under another
//! framework, put an [`OriginalUri`] in the request's extensions for the
//! directory redirect to carry the mount's prefix; without one it is built
//! from the path the service sees.)

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use http::header::{
    HeaderMap, HeaderValue, ACCEPT_RANGES, ALLOW, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, HOST, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE,
};
use http::{Method, StatusCode, Uri};
use percent_encoding::percent_decode_str;

use crate::body::Body;
use crate::error::{ConfigError, Error, HttpError};
use crate::extract::OriginalUri;
use crate::response::{IntoResponse, Redirect, Response};

mod body;
mod conditional;
mod file;
mod path;
mod range;
mod text;

use body::{FileBody, OpenFile, Segment, CHUNK_SIZE};
use conditional::Conditions;
pub use file::FileResponse;
use path::{Failure, Found, LookupError, Root};
use range::Ranges;

/// Serves the files of a directory: Starlette's `StaticFiles`. See the
/// [module docs](self) for what it answers and how it keeps requests
/// inside the directory.
///
/// It is a [`tower::Service`](tower_service::Service): mount it with
/// [`App::mount`](crate::App::mount) or [`Router::mount`](crate::Router::mount)
/// (or in axum, with `Router::nest_service`). Cloning it is cheap.
#[derive(Clone)]
#[must_use]
pub struct StaticFiles {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    directory: PathBuf,
    /// The resolved directory, or why it could not be resolved.
    root: Result<Root, String>,
    html: bool,
    follow_symlinks: bool,
}

impl fmt::Debug for StaticFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticFiles")
            .field("directory", &self.config.directory)
            .field("html", &self.config.html)
            .field("follow_symlinks", &self.config.follow_symlinks)
            .finish()
    }
}

impl StaticFiles {
    /// Serves `directory` (relative paths are from the current directory,
    /// resolved now). `html` and `follow_symlinks` are off.
    ///
    /// The directory must exist: when it does not, or is not a directory,
    /// [`StaticFiles::check`] says so, and building an app that mounts it
    /// fails.
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        let directory = directory.into();
        let root = Root::new(&directory).map_err(|e| e.to_string());
        StaticFiles {
            config: Arc::new(Config {
                directory,
                root,
                html: false,
                follow_symlinks: false,
            }),
        }
    }

    /// HTML mode (default `false`), Starlette's `html=True`: a request for
    /// a directory serves its `index.html` (redirecting first to the URL
    /// with a trailing slash, 307, so that relative links in the page
    /// work), and a path that is not found serves the directory's
    /// `404.html`, with status 404, when there is one.
    pub fn html(mut self, on: bool) -> Self {
        Arc::make_mut(&mut self.config).html = on;
        self
    }

    /// Serve symbolic links whatever they point to (default `false`),
    /// Starlette's `follow_symlink=True`.
    ///
    /// By default every link in a path is resolved and the file it leads
    /// to must be inside the directory; a link pointing outside is not
    /// found. Turn this on only when the directory's links are meant to
    /// reach elsewhere (e.g. assets symlinked from a build directory), and
    /// nobody untrusted can create links in it. `..` in a request still
    /// cannot leave the directory.
    pub fn follow_symlinks(mut self, on: bool) -> Self {
        Arc::make_mut(&mut self.config).follow_symlinks = on;
        self
    }

    /// The directory, as given.
    pub fn directory(&self) -> &Path {
        &self.config.directory
    }

    /// Checks that the directory existed and was a directory when this was
    /// built. [`App::mount`](crate::App::mount) calls it when the app is
    /// built; call it yourself when mounting elsewhere.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the directory and the reason.
    pub fn check(&self) -> Result<(), ConfigError> {
        match &self.config.root {
            Ok(_) => Ok(()),
            Err(reason) => Err(ConfigError::middleware(
                "StaticFiles",
                format!(
                    "the directory {:?} cannot be served: {reason}; create it, or give the path of an existing directory",
                    self.config.directory
                ),
            )),
        }
    }
}

/// Any request body: it is never read.
impl<B> tower_service::Service<http::Request<B>> for StaticFiles {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let (parts, _body) = req.into_parts();
        let config = self.config.clone();
        Box::pin(async move { Ok(serve(config, parts).await) })
    }
}

/// What the blocking look-up needs to know about the request.
struct Incoming {
    head: bool,
    /// The path the service saw, percent-decoded.
    decoded: String,
    /// The URL the client asked for (for the trailing-slash redirect).
    original: Uri,
    host: Option<HeaderValue>,
    conditions: Conditions,
}

async fn serve(config: Arc<Config>, parts: http::request::Parts) -> Response {
    let head = parts.method == Method::HEAD;
    if !head && parts.method != Method::GET {
        return HttpError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
            .with_header(ALLOW, HeaderValue::from_static("GET, HEAD"))
            .into_response();
    }
    if let Err(reason) = &config.root {
        return Error::msg(format!(
            "StaticFiles cannot serve {:?}: {reason}",
            config.directory
        ))
        .into_response();
    }
    let first = |name| parts.headers.get(name).map(text::latin1);
    let incoming = Incoming {
        head,
        decoded: percent_decode_str(parts.uri.path())
            .decode_utf8_lossy()
            .into_owned(),
        original: match parts.extensions.get::<OriginalUri>() {
            Some(OriginalUri(uri)) => uri.clone(),
            None => parts.uri.clone(),
        },
        host: parts.headers.get(HOST).cloned(),
        conditions: Conditions {
            if_none_match: first(IF_NONE_MATCH),
            if_modified_since: first(IF_MODIFIED_SINCE),
            range: first(RANGE),
            if_range: first(IF_RANGE),
        },
    };
    match tokio::task::spawn_blocking(move || config.respond(&incoming)).await {
        Ok(response) => response,
        Err(error) => {
            Error::msg(format!("the static file look-up failed: {error}")).into_response()
        }
    }
}

impl Config {
    /// Looks the path up and builds the response; runs on the blocking
    /// pool.
    fn respond(&self, req: &Incoming) -> Response {
        let Ok(root) = &self.root else {
            return Error::msg("StaticFiles has no directory").into_response();
        };
        let segments = path::normalize(&req.decoded);
        let found = match path::lookup(root, &segments, self.follow_symlinks) {
            Ok(found) => found,
            Err(LookupError::Unservable) => return not_found(),
            Err(LookupError::Forbidden) => return unauthorized(),
            Err(LookupError::Failed(error)) => return failed(&error),
        };
        if let Some(found) = found {
            if found.metadata.is_file() {
                return self.file_response(&found, StatusCode::OK, req);
            }
            if found.metadata.is_dir() && self.html {
                let mut index = segments.clone();
                index.push("index.html");
                if let Ok(Some(found)) = path::lookup(root, &index, self.follow_symlinks) {
                    if found.metadata.is_file() {
                        if !original_ends_with_slash(&req.original) {
                            return slash_redirect(req);
                        }
                        return self.file_response(&found, StatusCode::OK, req);
                    }
                }
            }
        }
        if self.html {
            if let Ok(Some(found)) = path::lookup(root, &["404.html"], self.follow_symlinks) {
                if found.metadata.is_file() {
                    return self.file_response(&found, StatusCode::NOT_FOUND, req);
                }
            }
        }
        not_found()
    }

    /// A file's response (`FileResponse`): conditional requests and ranges
    /// apply to a 200 only.
    fn file_response(&self, found: &Found, status: StatusCode, req: &Incoming) -> Response {
        let size = found.metadata.len();
        let (etag, last_modified) = validators(&found.metadata);
        let content_type = content_type(&found.path);
        let conditions = &req.conditions;
        if status == StatusCode::OK
            && conditional::is_not_modified(conditions, &etag, &last_modified)
        {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            insert(response.headers_mut(), ETAG, &etag);
            return response;
        }
        let file = FileHead {
            size,
            status,
            content_type,
            etag,
            last_modified,
        };
        let (status, headers, segments) =
            match file.parts(conditions.range.as_deref(), conditions.if_range.as_deref()) {
                Ok(parts) => parts,
                Err(refused) => return refused.into_response(),
            };
        let body = if req.head {
            Body::empty()
        } else {
            match self.body(found, segments) {
                Ok(body) => body,
                Err(refused) => return refused.into_response(),
            }
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }

    /// Opens the file and reads what it can now: all of it when the file's
    /// bytes come to less than one chunk (a whole body), else the first
    /// chunk (the rest streams).
    fn body(&self, found: &Found, segments: Vec<Segment>) -> Result<Body, Refused> {
        let mut file = self.open(found)?;
        let file_bytes: u64 = segments
            .iter()
            .map(|segment| match segment {
                Segment::File { len, .. } => *len,
                Segment::Bytes(_) => 0,
            })
            .sum();
        if file_bytes < CHUNK_SIZE {
            let mut whole = BytesMut::new();
            for segment in segments {
                match segment {
                    Segment::Bytes(bytes) => whole.extend_from_slice(&bytes),
                    Segment::File { offset, len } => {
                        let bytes = file.read(offset, len).map_err(Refused::Failed)?;
                        whole.extend_from_slice(&bytes);
                    }
                }
            }
            return Ok(Body::from(whole.freeze()));
        }
        let mut queue = VecDeque::with_capacity(segments.len() + 1);
        let mut first_read = false;
        for segment in segments {
            match segment {
                Segment::File { offset, len } if !first_read && len > 0 => {
                    first_read = true;
                    let now = len.min(CHUNK_SIZE);
                    let bytes = file.read(offset, now).map_err(Refused::Failed)?;
                    queue.push_back(Segment::Bytes(bytes));
                    queue.push_back(Segment::File {
                        offset: offset + now,
                        len: len - now,
                    });
                }
                other => queue.push_back(other),
            }
        }
        Ok(Body::new(FileBody::new(file, queue)))
    }

    /// Opens a file that was looked up, making sure it is still that
    /// regular file.
    fn open(&self, found: &Found) -> Result<OpenFile, Refused> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Never block on a FIFO swapped in since the look-up; never
            // follow a link swapped in (the path has none left).
            let mut flags = libc::O_NONBLOCK;
            if !self.follow_symlinks {
                flags |= libc::O_NOFOLLOW;
            }
            options.custom_flags(flags);
        }
        let refused = |error: std::io::Error| match path::classify(&error) {
            Failure::Missing | Failure::TooLong => Refused::NotFound,
            Failure::Forbidden => Refused::Unauthorized,
            Failure::Other => Refused::Failed(error),
        };
        let file: File = options.open(&found.path).map_err(refused)?;
        let metadata = file.metadata().map_err(refused)?;
        if !metadata.is_file() || !same_file(&metadata, &found.metadata) {
            return Err(Refused::NotFound);
        }
        Ok(OpenFile::new(file))
    }
}

/// What a file's response says about the file, whoever sends it
/// ([`StaticFiles`] or a [`FileResponse`]).
struct FileHead {
    size: u64,
    /// The status of the whole file; ranges apply to a 200 only.
    status: StatusCode,
    content_type: HeaderValue,
    etag: String,
    last_modified: String,
}

impl FileHead {
    /// The status, headers and parts of the file for a request with these
    /// `Range` and `If-Range` values, as Starlette's `FileResponse` answers
    /// them; or the refusal of a range that cannot be served.
    fn parts(
        &self,
        range: Option<&str>,
        if_range: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, Vec<Segment>), RangeRefused> {
        let size = self.size;
        let ranges = match range {
            Some(range)
                if self.status == StatusCode::OK
                    && if_range.is_none_or(|if_range| {
                        conditional::if_range_holds(if_range, &self.etag, &self.last_modified)
                    }) =>
            {
                range::parse(range, size)
            }
            _ => Ranges::Whole,
        };
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(CONTENT_TYPE, self.content_type.clone());
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(size));
        insert(&mut headers, LAST_MODIFIED, &self.last_modified);
        insert(&mut headers, ETAG, &self.etag);
        match ranges {
            Ranges::Whole => Ok((
                self.status,
                headers,
                vec![Segment::File {
                    offset: 0,
                    len: size,
                }],
            )),
            Ranges::Unsatisfiable => Err(RangeRefused::Unsatisfiable(size)),
            Ranges::Malformed(reason) => Err(RangeRefused::Malformed(reason)),
            Ranges::Parts(parts) if parts.len() == 1 => {
                let (start, end) = parts[0];
                headers.insert(CONTENT_LENGTH, HeaderValue::from(end - start));
                insert(
                    &mut headers,
                    CONTENT_RANGE,
                    &format!("bytes {start}-{}/{size}", end - 1),
                );
                Ok((
                    StatusCode::PARTIAL_CONTENT,
                    headers,
                    vec![Segment::File {
                        offset: start,
                        len: end - start,
                    }],
                ))
            }
            Ranges::Parts(parts) => {
                let boundary = boundary();
                let part_type = self
                    .content_type
                    .to_str()
                    .unwrap_or("application/octet-stream");
                let length = range::multipart_len(&boundary, part_type, &parts, size);
                headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
                insert(
                    &mut headers,
                    CONTENT_TYPE,
                    &format!("multipart/byteranges; boundary={boundary}"),
                );
                let mut segments = Vec::with_capacity(parts.len() * 3 + 1);
                for &(start, end) in &parts {
                    let head = range::part_head(&boundary, part_type, (start, end), size);
                    segments.push(Segment::Bytes(Bytes::from(head)));
                    segments.push(Segment::File {
                        offset: start,
                        len: end - start,
                    });
                    segments.push(Segment::Bytes(Bytes::from_static(b"\r\n")));
                }
                segments.push(Segment::Bytes(Bytes::from(range::closing(&boundary))));
                Ok((StatusCode::PARTIAL_CONTENT, headers, segments))
            }
        }
    }
}

/// A `Range` that cannot be served.
enum RangeRefused {
    /// Past the end of a file of this size: 416.
    Unsatisfiable(u64),
    /// Malformed, for this reason: 400.
    Malformed(&'static str),
}

impl RangeRefused {
    fn into_response(self) -> Response {
        match self {
            RangeRefused::Unsatisfiable(size) => unsatisfiable(size),
            RangeRefused::Malformed(reason) => malformed(reason),
        }
    }
}

/// Why a file that was looked up cannot be sent after all.
enum Refused {
    /// Gone, or replaced, since the look-up.
    NotFound,
    Unauthorized,
    Failed(std::io::Error),
}

impl Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::NotFound => not_found(),
            Refused::Unauthorized => unauthorized(),
            Refused::Failed(error) => failed(&error),
        }
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// The `etag` (the modification time in nanoseconds and the size, in hex:
/// it changes whenever either does) and `last-modified` of a file.
fn validators(metadata: &std::fs::Metadata) -> (String, String) {
    let modified = metadata.modified().unwrap_or(UNIX_EPOCH);
    let nanos: i128 = match modified.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    };
    let etag = format!("\"{:x}-{:x}\"", nanos, metadata.len());
    // httpdate covers 1970 to 9999; a date outside is shown at the bound.
    let latest = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    let shown = modified.clamp(UNIX_EPOCH, latest);
    (etag, httpdate::fmt_http_date(shown))
}

/// The content type for a path, by extension; text with its charset.
fn content_type(path: &Path) -> HeaderValue {
    let guessed = mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream");
    if guessed.starts_with("text/") && !guessed.to_ascii_lowercase().contains("charset=") {
        HeaderValue::try_from(format!("{guessed}; charset=utf-8"))
    } else {
        HeaderValue::try_from(guessed)
    }
    .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

/// Whether the URL the client asked for ends with `/` (decoded, as
/// Starlette's `scope["path"]`).
fn original_ends_with_slash(original: &Uri) -> bool {
    let path = original.path();
    path.ends_with('/') || path.ends_with("%2F") || path.ends_with("%2f")
}

/// The 307 from a directory to the same URL with a trailing slash, absolute
/// and with the query, built as Starlette builds it.
fn slash_redirect(req: &Incoming) -> Response {
    let uri = &req.original;
    let path = percent_decode_str(uri.path())
        .decode_utf8_lossy()
        .replace('?', "%3F")
        .replace('#', "%23")
        .replace('\\', "%5C");
    let host = match uri.authority() {
        Some(authority) => Some(authority.as_str().to_owned()),
        None => req.host.as_ref().map(text::latin1),
    };
    let mut url = match host {
        Some(host) => {
            let scheme = uri.scheme_str().unwrap_or("http");
            format!("{scheme}://{host}{path}/")
        }
        None => match path.strip_prefix("//") {
            // Without a host, a leading `//` would read as one.
            Some(rest) => format!("/%2F{rest}/"),
            None => format!("{path}/"),
        },
    };
    if let Some(query) = uri.query().filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
    // The redirect percent-encodes what needs it.
    Redirect::temporary(url).into_response()
}

/// A fresh `multipart/byteranges` boundary: 26 random hex digits, as
/// browsers and Starlette use.
fn boundary() -> String {
    let mut hex = uuid::Uuid::new_v4().simple().to_string();
    hex.truncate(26);
    hex
}

fn insert(headers: &mut HeaderMap, name: http::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::try_from(value) {
        headers.insert(name, value);
    }
}

fn not_found() -> Response {
    HttpError::new(StatusCode::NOT_FOUND, "Not Found").into_response()
}

fn unauthorized() -> Response {
    HttpError::new(StatusCode::UNAUTHORIZED, "Unauthorized").into_response()
}

fn failed(error: &std::io::Error) -> Response {
    Error::msg(format!("a static file could not be read: {error}")).into_response()
}

/// 416, as Starlette sends it: a plain-text response with no body.
fn unsatisfiable(size: u64) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    insert(headers, CONTENT_RANGE, &format!("bytes */{size}"));
    response
}

/// 400 for a `Range` that cannot be read, as plain text.
fn malformed(reason: &'static str) -> Response {
    let mut response = (StatusCode::BAD_REQUEST, reason).into_response();
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(reason.len()));
    response
}
