//! `UploadFile`: a file part of a multipart form, as a field of a
//! [`Form<T>`](super::Form) struct.
//!
//! serde has no way to hand a file to a struct, so the form's
//! deserializer ([`Params`](super::de::Params)) serves a file field as a
//! newtype struct with a name of its own ([`UPLOAD_FILE`]), holding the
//! part's file name, headers and bytes; `UploadFile`'s `Deserialize` asks
//! for exactly that.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use http::HeaderMap;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::shape::Shape;

/// The name the form's deserializer recognises an `UploadFile` by.
pub(crate) const UPLOAD_FILE: &str = "$sluice::UploadFile";

/// A file sent in a `multipart/form-data` body: a field of a
/// [`Form<T>`](super::Form) struct, FastAPI's `UploadFile`.
///
/// - `file: UploadFile` is required: without a file part of that name the
///   answer is FastAPI's 422 `missing`, and a text field sent in its place
///   is its 422 `value_error` (`"Expected UploadFile, received: <class
///   'str'>"`); of two files, the last counts.
/// - `file: Option<UploadFile>` may be left out.
/// - `files: Vec<UploadFile>` takes every file of that name, in order (a
///   required list, as FastAPI's `list[UploadFile]`; add
///   `#[serde(default)]` to allow none).
///
/// The file is in memory, bound by the app's body limit
/// ([`App::max_body_size`](crate::App::max_body_size)); to stream large
/// uploads, read the body with [`Multipart`](super::Multipart) instead.
/// In the OpenAPI document, a form with a file is a `multipart/form-data`
/// body, and the field a string of `contentMediaType:
/// application/octet-stream`, as FastAPI writes it.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use serde_json::{json, Value};
/// use sluice::extract::{Form, UploadFile};
/// use sluice::testing::TestClient;
/// use sluice::{App, Json};
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Upload {
///     file: UploadFile,
///     note: Option<String>,
/// }
///
/// async fn upload(Form(form): Form<Upload>) -> Json<Value> {
///     Json(json!({
///         "filename": form.file.filename(),
///         "content_type": form.file.content_type(),
///         "size": form.file.size(),
///         "note": form.note,
///     }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().post("/upload", upload));
/// let body = "--x\r\n\
///     Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
///     Content-Type: text/plain\r\n\r\n\
///     hello\r\n\
///     --x--\r\n";
/// let res = client.post("/upload")
///     .header("content-type", "multipart/form-data; boundary=x")
///     .body(body)
///     .await;
/// assert_eq!(
///     res.json::<Value>(),
///     json!({"filename": "a.txt", "content_type": "text/plain", "size": 5, "note": null})
/// );
///
/// // No file: FastAPI's 422.
/// let res = client.post("/upload")
///     .header("content-type", "multipart/form-data; boundary=x")
///     .body("--x--\r\n")
///     .await;
/// assert_eq!(res.status(), 422);
/// assert_eq!(res.json::<Value>()["detail"][0]["loc"], json!(["body", "file"]));
/// # }
/// ```
#[derive(Clone, Default)]
pub struct UploadFile {
    filename: String,
    /// The `Content-Type` header, decoded as Starlette decodes headers.
    content_type: Option<String>,
    headers: HeaderMap,
    data: Bytes,
}

impl UploadFile {
    /// A file part, as the form reader found it.
    pub(crate) fn new(filename: String, headers: HeaderMap, data: Bytes) -> Self {
        UploadFile {
            filename,
            content_type: content_type_of(&headers),
            headers,
            data,
        }
    }

    /// The part's file name (`filename=` of its `Content-Disposition`),
    /// decoded in the form's charset. A Windows path before it
    /// (`C:\dir\a.txt`, as old browsers sent) is dropped, as
    /// python-multipart drops it; anything else is as the client sent it:
    /// it may be empty, and may hold `/` or `..`. Never use it as a path on
    /// the server without cleaning it.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The part's `Content-Type`, if it has one (Starlette's
    /// `UploadFile.content_type`: bytes past ASCII read as Latin-1).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The part's own headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The file's size in bytes.
    pub fn size(&self) -> usize {
        self.data.len()
    }

    /// The file's content.
    pub fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// The file's content, taken out of the `UploadFile`.
    pub fn into_bytes(self) -> Bytes {
        self.data
    }

    /// The file's content as text, if it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }
}

impl fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadFile")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type())
            .field("size", &self.size())
            .finish()
    }
}

/// A part's `Content-Type`, its bytes read as Latin-1.
fn content_type_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_TYPE)?;
    Some(crate::headers::latin1(value.as_bytes()).into_owned())
}

/// FastAPI's schema of an `UploadFile`, always written in place.
impl JsonSchema for UploadFile {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("UploadFile")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": "string",
            "contentMediaType": "application/octet-stream"
        })
    }
}

/// Whether a field reads [`UploadFile`]s: one, an `Option` of one, or a
/// `Vec` of them.
pub(crate) fn is_file_field(shape: &Shape) -> bool {
    match shape {
        Shape::Newtype(name, _) => *name == UPLOAD_FILE,
        Shape::Option(inner) | Shape::Seq(inner) => is_file_field(inner),
        _ => false,
    }
}

thread_local! {
    /// The file a [`FileDeserializer`] hands to [`UploadFile`]'s
    /// `Deserialize`, further down the same call: serde's data model has
    /// no way to pass an owned value, and this way the file's bytes are
    /// shared, not copied.
    static HANDED: RefCell<Option<UploadFile>> = const { RefCell::new(None) };
}

/// Takes back a file handed over and left, when dropped: after the
/// visitor returns, and if it panics, so that no other reading on this
/// thread finds it.
struct TakenBack;

impl Drop for TakenBack {
    fn drop(&mut self) {
        HANDED.with(|handed| handed.borrow_mut().take());
    }
}

/// Read only from a form: `Form<T>`'s deserializer hands a file part over
/// as the newtype struct named `UPLOAD_FILE`; any other deserializer gets
/// an error.
impl<'de> Deserialize<'de> for UploadFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(UPLOAD_FILE, FileVisitor)
    }
}

struct FileVisitor;

impl<'de> Visitor<'de> for FileVisitor {
    type Value = UploadFile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a file part of a multipart form")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<UploadFile, D::Error> {
        if let Some(file) = HANDED.with(|handed| handed.borrow_mut().take()) {
            return Ok(file);
        }
        // Not from a form: the value is passed over (which tells a shape
        // probe what this is), then refused.
        d.deserialize_ignored_any(de::IgnoredAny)?;
        Err(de::Error::custom(NOT_FROM_A_FORM))
    }
}

const NOT_FROM_A_FORM: &str =
    "an UploadFile is read from a file part of a multipart form, with Form<T>";

/// Serves one file part to [`UploadFile`]'s `Deserialize`.
pub(crate) struct FileDeserializer<'f, E> {
    file: &'f UploadFile,
    error: PhantomData<E>,
}

impl<'f, E> FileDeserializer<'f, E> {
    pub(crate) fn new(file: &'f UploadFile) -> Self {
        FileDeserializer {
            file,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> Deserializer<'de> for FileDeserializer<'_, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(E::custom(NOT_FROM_A_FORM))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    /// Hands the file (its bytes shared) to the visitor, which takes it
    /// at once; whatever it leaves is taken back.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        if name != UPLOAD_FILE {
            return Err(E::custom(NOT_FROM_A_FORM));
        }
        HANDED.with(|handed| *handed.borrow_mut() = Some(self.file.clone()));
        let _taken_back = TakenBack;
        visitor.visit_newtype_struct(de::value::UnitDeserializer::<E>::new())
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A visitor that leaves the file handed to it, then fails or panics.
    struct Leaves {
        panics: bool,
    }

    impl<'de> Visitor<'de> for Leaves {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("nothing")
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
            assert!(!self.panics, "a visitor that panics");
            Err(de::Error::custom("left"))
        }
    }

    fn left_on_this_thread() -> bool {
        HANDED.with(|handed| handed.borrow().is_some())
    }

    #[test]
    fn a_file_left_by_its_visitor_is_taken_back_even_on_a_panic() {
        let file = UploadFile::new("a.txt".into(), HeaderMap::new(), Bytes::from_static(b"x"));
        for panics in [false, true] {
            let read = std::panic::catch_unwind(|| {
                FileDeserializer::<de::value::Error>::new(&file)
                    .deserialize_newtype_struct(UPLOAD_FILE, Leaves { panics })
            });
            assert_eq!(read.is_err(), panics);
            assert!(!left_on_this_thread(), "panics: {panics}");
        }
        // A reading from anything but a form is still refused.
        let read = UploadFile::deserialize(serde_json::json!({"filename": "a.txt"}));
        assert!(read.is_err_and(|e| e.to_string().contains("Form<T>")));
    }
}
