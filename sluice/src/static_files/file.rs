//! [`FileResponse`]: one file as a handler's response, as Starlette's
//! `FileResponse`.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use http::header::CONTENT_DISPOSITION;
use http::{HeaderMap, HeaderValue, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::body::{FileBody, OpenFile};
use super::{content_type, validators, FileHead};
use crate::body::Body;
use crate::openapi::ResponseDoc;
use crate::response::{IntoResponse, Response};

/// What Python's `urllib.parse.quote` leaves as it is by default: letters,
/// digits, `_.-~` and `/`.
const QUOTE_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

/// A file sent as a handler's response, as Starlette's `FileResponse`
/// sends it: a download, or a page or image a route serves.
///
/// [`FileResponse::open`] opens the file (on tokio's blocking pool, as
/// Starlette reads its `stat` on a thread) and fails with the `io::Error`
/// if it cannot: returned with `?`, that is a 500, as Starlette's
/// `RuntimeError` for a missing file is. Map `NotFound` to a 404 yourself
/// where a missing file is the client's mistake.
///
/// The response has Starlette's headers:
///
/// - `content-type` guessed from the download name if one is given, else
///   from the path (`text/*` with `; charset=utf-8`; unknown:
///   `application/octet-stream`), unless [`media_type`](Self::media_type)
///   sets it;
/// - `content-length`, `last-modified`, `etag` (as
///   [`StaticFiles`](crate::StaticFiles) makes it) and
///   `accept-ranges: bytes`;
/// - with [`filename`](Self::filename), `content-disposition: attachment;
///   filename="report.pdf"`, or `filename*=utf-8''...` percent-encoded for
///   a name that is not plain ASCII.
///
/// The file is read in chunks of 64 KiB on the blocking pool as the client
/// takes them. A HEAD request gets the headers only.
///
/// Ranges (`Range`, `If-Range`) are honoured as Starlette's `FileResponse`
/// honours them: a 206 with the part asked for (`multipart/byteranges` for
/// several), a 416 for a range past the end, a 400 for a malformed one,
/// and the whole file when an `If-Range` no longer matches it. A handler
/// that returns a `FileResponse`, a `Result` of one, or one with headers
/// added (`(HeaderMap, FileResponse)`, `([(name, value); N],
/// FileResponse)`, as Starlette's `headers=`) has the request's `Range` and
/// `If-Range` kept for it, with no code of its own. Elsewhere a response
/// does not see the request: a middleware's answer, a response converted
/// by hand with `into_response`, or a tuple that sets the status (which
/// would replace the 206: use [`status`](Self::status) instead). Give it
/// the headers with [`ranges`](Self::ranges), or a `Range` is ignored and
/// the whole file sent, which HTTP allows.
///
/// ```
/// use sluice::testing::TestClient;
/// use sluice::{App, FileResponse};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let dir = std::env::temp_dir().join(format!("sluice-doc-file-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("report-2026.csv");
/// # std::fs::write(&path, "a,b\n1,2\n").unwrap();
/// # let report = path.clone();
/// let app = App::new().get("/report", move || {
///     let path = report.clone();
///     async move {
///         let file = FileResponse::open(path).await?;
///         Ok::<_, sluice::Error>(file.filename("report.csv"))
///     }
/// });
/// let client = TestClient::new(app);
///
/// let res = client.get("/report").await;
/// assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
/// assert_eq!(res.header("content-disposition"), Some("attachment; filename=\"report.csv\""));
/// assert_eq!(res.text(), "a,b\n1,2\n");
///
/// let res = client.get("/report").header("range", "bytes=4-").await;
/// assert_eq!(res.status(), 206);
/// assert_eq!(res.header("content-range"), Some("bytes 4-7/8"));
/// assert_eq!(res.text(), "1,2\n");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct FileResponse {
    file: File,
    path: PathBuf,
    metadata: std::fs::Metadata,
    status: StatusCode,
    filename: Option<String>,
    media_type: Option<HeaderValue>,
    inline: bool,
    range: Option<String>,
    if_range: Option<String>,
    /// Whether [`FileResponse::ranges`] was given the headers, or they
    /// came with the request to the handler that returned this.
    range_given: bool,
}

impl FileResponse {
    /// Opens the file at `path` for sending.
    ///
    /// # Errors
    ///
    /// The error opening it, or `InvalidInput` when it is not a regular
    /// file (a directory, a device).
    pub async fn open(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        let (file, path, metadata) = tokio::task::spawn_blocking(move || {
            let file = open_regular(&path)?;
            let metadata = file.metadata()?;
            if !metadata.is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a file", path.display()),
                ));
            }
            Ok((file, path, metadata))
        })
        .await
        .map_err(io::Error::other)??;
        Ok(FileResponse {
            file,
            path,
            metadata,
            status: StatusCode::OK,
            filename: None,
            media_type: None,
            inline: false,
            range: None,
            if_range: None,
            range_given: false,
        })
    }

    /// The name the browser saves the file under: `content-disposition:
    /// attachment` with it, and the content type guessed from it.
    pub fn filename(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }

    /// `content-disposition: inline` rather than `attachment` (Starlette's
    /// `content_disposition_type="inline"`): the browser shows the file if
    /// it can. Only sent with a [`filename`](Self::filename).
    pub fn inline(mut self) -> Self {
        self.inline = true;
        self
    }

    /// The `content-type`, rather than the guess; `text/*` gets
    /// `; charset=utf-8` unless it names a charset, as in Starlette.
    pub fn media_type(mut self, media_type: HeaderValue) -> Self {
        self.media_type = Some(media_type);
        self
    }

    /// The status (default 200). Ranges apply to a 200 only.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Answers the `Range` and `If-Range` of these `headers` (see
    /// [`FileResponse`]) rather than the request's. A handler's
    /// `FileResponse` needs no call: its request's are kept for it. This is
    /// for one made elsewhere, as in a middleware (`req.headers()`); given
    /// headers without a `Range` (`&HeaderMap::new()`), the whole file is
    /// always sent.
    pub fn ranges(mut self, headers: &HeaderMap) -> Self {
        self.given_range(
            headers.get(http::header::RANGE),
            headers.get(http::header::IF_RANGE),
        );
        self
    }

    fn given_range(&mut self, range: Option<&HeaderValue>, if_range: Option<&HeaderValue>) {
        self.range = range.map(super::text::latin1);
        self.if_range = if_range.map(super::text::latin1);
        self.range_given = true;
    }

    fn content_disposition(&self) -> Option<HeaderValue> {
        let name = self.filename.as_deref()?;
        let kind = if self.inline { "inline" } else { "attachment" };
        let quoted = utf8_percent_encode(name, QUOTE_SAFE).to_string();
        let value = if quoted == name {
            format!("{kind}; filename=\"{name}\"")
        } else {
            format!("{kind}; filename*=utf-8''{quoted}")
        };
        HeaderValue::try_from(value).ok()
    }
}

/// `media_type` with `; charset=utf-8` added to a `text/*` type without
/// one, as Starlette's `Response` adds it.
fn with_charset(media_type: &HeaderValue) -> HeaderValue {
    let text = media_type.as_bytes();
    let lower = text.to_ascii_lowercase();
    if lower.starts_with(b"text/") && !lower.windows(8).any(|w| w == b"charset=") {
        let mut value = text.to_vec();
        value.extend_from_slice(b"; charset=utf-8");
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            return value;
        }
    }
    media_type.clone()
}

/// Opens `path` for reading, never blocking on a FIFO.
fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

impl IntoResponse for FileResponse {
    fn into_response(self) -> Response {
        let (etag, last_modified) = validators(&self.metadata);
        let guessed_from = self
            .filename
            .as_deref()
            .map_or(self.path.as_path(), Path::new);
        let head = FileHead {
            size: self.metadata.len(),
            status: self.status,
            content_type: match &self.media_type {
                Some(given) => with_charset(given),
                None => content_type(guessed_from),
            },
            etag,
            last_modified,
        };
        let (status, mut headers, segments) =
            match head.parts(self.range.as_deref(), self.if_range.as_deref()) {
                Ok(parts) => parts,
                Err(refused) => return refused.into_response(),
            };
        if let Some(disposition) = self.content_disposition() {
            headers.insert(CONTENT_DISPOSITION, disposition);
        }
        let body = Body::new(FileBody::new(
            OpenFile::new(self.file),
            segments.into_iter().collect(),
        ));
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }

    fn describe(doc: &mut ResponseDoc<'_>) {
        doc.content("application/octet-stream", None);
    }

    const __HONOURS_RANGE: bool = true;

    fn __into_response_ranged(
        mut self,
        range: Option<&HeaderValue>,
        if_range: Option<&HeaderValue>,
    ) -> Response {
        if !self.range_given {
            self.given_range(range, if_range);
        }
        self.into_response()
    }
}
