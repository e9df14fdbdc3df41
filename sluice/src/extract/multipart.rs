//! A `multipart/form-data` body, part by part: how files are uploaded.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyDataStream;
use serde_json::json;

use super::form_head::{self, Charset};
use super::{Declaration, FromRequest, RequestContext};
use crate::error::{BodyError, Error, HttpError};
use crate::request::Request;

/// A `multipart/form-data` body, read one part at a time as it arrives,
/// with each part's name, file name and content type: the way to receive
/// files (FastAPI's `UploadFile` and `File()`), without holding a whole
/// upload in memory unless you ask for it ([`Field::bytes`]). For text
/// fields alone, [`Form<T>`](super::Form) reads them into a struct.
///
/// The whole body is bound by the app's body limit
/// ([`App::max_body_size`](crate::App::max_body_size)): past it, reading
/// is a `413`. A body that is not multipart is a `415`; a malformed one
/// is FastAPI's `400` (`"Invalid multipart data."`). These come back as
/// the [`Error`] of [`Multipart::next_field`] or of the field's reads, so
/// that a handler can pass them on with `?`. Like [`Json`](crate::Json),
/// it reads the body, so it is the handler's last argument.
///
/// ```
/// use serde_json::{json, Value};
/// use sluice::extract::Multipart;
/// use sluice::testing::TestClient;
/// use sluice::{App, Json};
///
/// async fn upload(mut form: Multipart) -> sluice::Result<Json<Value>> {
///     let mut files = Vec::new();
///     while let Some(field) = form.next_field().await? {
///         let name = field.name().unwrap_or_default().to_owned();
///         let file_name = field.file_name().map(str::to_owned);
///         let size = field.bytes().await?.len();
///         files.push(json!({ "field": name, "filename": file_name, "size": size }));
///     }
///     Ok(Json(json!(files)))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().post("/files", upload));
/// let body = "--x\r\n\
///     Content-Disposition: form-data; name=\"note\"\r\n\r\n\
///     hello\r\n\
///     --x\r\n\
///     Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
///     Content-Type: text/plain\r\n\r\n\
///     0123456789\r\n\
///     --x--\r\n";
/// let res = client.post("/files")
///     .header("content-type", "multipart/form-data; boundary=x")
///     .body(body)
///     .await;
/// assert_eq!(
///     res.json::<Value>(),
///     json!([
///         { "field": "note", "filename": null, "size": 5 },
///         { "field": "file", "filename": "a.txt", "size": 10 },
///     ])
/// );
/// # }
/// ```
pub struct Multipart {
    inner: multer::Multipart<'static>,
    limit: usize,
    /// How part names are decoded (the body's `charset`).
    charset: Charset,
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl FromRequest for Multipart {
    type Rejection = Error;

    async fn from_request(mut req: Request, _cx: &RequestContext) -> Result<Self, Error> {
        let options = form_head::content_type(req.headers());
        if options.media_type != "multipart/form-data" {
            return Err(Error::new(HttpError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected a multipart/form-data body",
            )));
        }
        let bad =
            |detail: &str| Error::new(HttpError::new(StatusCode::BAD_REQUEST, detail.to_owned()));
        let Some(boundary) = options.get("boundary") else {
            return Err(bad("Missing boundary in multipart."));
        };
        if boundary.is_empty() {
            return Err(bad("Invalid multipart data."));
        }
        let boundary = form_head::latin1(boundary).into_owned();
        let charset = Charset::of(&options);
        let limit = req.body_limit();
        let constraints = multer::Constraints::new()
            .size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
        let stream = BodyDataStream::new(req.take_body());
        Ok(Multipart {
            inner: multer::Multipart::with_constraints(stream, boundary, constraints),
            limit,
            charset,
        })
    }

    /// Documents a required `multipart/form-data` body.
    fn declare(decl: &mut Declaration<'_>) {
        if let Some(doc) = decl.openapi() {
            doc.body(
                "multipart/form-data",
                Some(json!({ "type": "object" })),
                true,
            );
        }
    }
}

impl Multipart {
    /// The next part, once the one before it has been read or dropped;
    /// `None` after the last.
    ///
    /// # Errors
    ///
    /// A `400` for a malformed body, a `413` past the body limit, or the
    /// error of reading the body.
    pub async fn next_field(&mut self) -> Result<Option<Field>, Error> {
        let limit = self.limit;
        match self.inner.next_field().await {
            Ok(field) => Ok(field.map(|inner| {
                let (name, file_name) = form_head::part_names(inner.headers(), self.charset)
                    .map_or((None, None), |(name, file_name)| (Some(name), file_name));
                Field {
                    inner,
                    limit,
                    name,
                    file_name,
                }
            })),
            Err(error) => Err(read_error(error, limit)),
        }
    }
}

/// One part of a [`Multipart`] body: a form field, or a file.
pub struct Field {
    inner: multer::Field<'static>,
    limit: usize,
    name: Option<String>,
    file_name: Option<String>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("file_name", &self.file_name())
            .field("content_type", &self.content_type())
            .finish_non_exhaustive()
    }
}

impl Field {
    /// The part's name (`name` in its `Content-Disposition`, read as
    /// Starlette reads it: the last of several, in the body's charset or
    /// else Latin-1).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The uploaded file's name (`filename`), for a file; as the client
    /// sent it, so never use it as a path on the server as it is.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The part's `Content-Type`, if it has one.
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type().map(AsRef::as_ref)
    }

    /// The part's own headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The next piece of the part's content as it arrives; `None` at its
    /// end. For a large file, write each piece away rather than keep them.
    ///
    /// # Errors
    ///
    /// As [`Multipart::next_field`].
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let limit = self.limit;
        self.inner
            .chunk()
            .await
            .map_err(|error| read_error(error, limit))
    }

    /// The part's whole content.
    ///
    /// # Errors
    ///
    /// As [`Multipart::next_field`].
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let limit = self.limit;
        self.inner
            .bytes()
            .await
            .map_err(|error| read_error(error, limit))
    }

    /// The part's whole content as text, as Starlette reads a form field:
    /// UTF-8, or else Latin-1.
    ///
    /// # Errors
    ///
    /// As [`Multipart::next_field`].
    pub async fn text(self) -> Result<String, Error> {
        Ok(Charset::Utf8.decode(&self.bytes().await?))
    }
}

/// The response-ready error for a failure to read a multipart body.
fn read_error(error: multer::Error, limit: usize) -> Error {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            Error::new(BodyError::too_large(limit))
        }
        // The body itself could not be read (a client that went away, a
        // body that took too long): its own error.
        multer::Error::StreamReadFailed(cause) => match cause.downcast::<BodyError>() {
            Ok(body) => Error::new(*body),
            Err(_) => Error::new(HttpError::new(
                StatusCode::BAD_REQUEST,
                "Invalid multipart data.",
            )),
        },
        _ => Error::new(HttpError::new(
            StatusCode::BAD_REQUEST,
            "Invalid multipart data.",
        )),
    }
}
