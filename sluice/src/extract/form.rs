//! Form data: a body of `application/x-www-form-urlencoded` fields, or a
//! `multipart/form-data` one with files.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use http::StatusCode;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::check::{check_form, check_no_endless_recursion};
use super::de::{choices, FileGroup, Params, ParamsDeserializer, Source};
use super::form_head::{self, Charset, Options};
use super::listing::{schema_of, with_model_input};
use super::params::every_issue_with_files;
use super::per_type::PerType;
use super::shape::{shape_of, Shape};
use super::upload::{is_file_field, UploadFile};
use super::{Declaration, FromRequest, RequestContext};
use crate::error::{Error, HttpError, ValidationError, ValidationIssue};
use crate::request::Request;

/// Form fields from the body, as an HTML form posts them
/// (`application/x-www-form-urlencoded`): declare a struct; each field is
/// a form field. FastAPI's `Annotated[Model, Form()]`, or its `Form()`
/// parameters gathered in one struct.
///
/// The fields are read as FastAPI reads them:
///
/// - `Vec` fields collect repeated fields (`tag=a&tag=b`); for other
///   fields the last value wins;
/// - a field sent empty (`age=`) counts as not sent, so an `Option` field
///   is `None` and a required one is missing (a `Vec` field keeps its
///   empty values);
/// - values are read from text as [`Query`](super::Query) reads them
///   (numbers, `bool` from `true`/`on`/`1`/..., enums of names);
/// - unknown fields are ignored (with `#[serde(deny_unknown_fields)]`
///   they are FastAPI's `extra_forbidden` 422);
/// - a body of any other content type has no fields, so the required ones
///   are missing;
/// - more than 1,000 fields, or a field over 1 MiB, is a 400, as in
///   Starlette;
/// - raw bytes past ASCII in a urlencoded body are read as Latin-1, as
///   Starlette reads them (what is percent-encoded is UTF-8);
/// - bad or missing fields are FastAPI's 422 with `loc: ["body", <name>]`,
///   every one of them listed; a missing field's `input` is the form as
///   it came.
///
/// A `multipart/form-data` body (what `curl -F` and a browser's
/// `FormData` send) is read too: its text fields, as Starlette reads them
/// with python-multipart (names and values in the body's `charset`, or
/// else Latin-1; a body cut short keeps its finished parts; a malformed
/// one, or a text part over 1 MiB, is a 400 in Starlette's words). Its
/// file parts are read by [`UploadFile`](super::UploadFile) fields
/// (FastAPI's `UploadFile`); a file sent to a struct's text field is
/// pydantic's type issue (`string_type`, `int_type`, ...), its input the
/// file's name, size and headers, and a map of names to text leaves the
/// files out. To stream large uploads rather than hold them, read the
/// body with [`Multipart`](super::Multipart). A type that is neither a
/// struct of text and file fields nor a map of text is refused when the
/// app is built. Like
/// [`Json`](crate::Json), it reads the body, so it is the handler's last
/// argument, and the body limit applies.
///
/// `Option<Form<T>>` is FastAPI's optional form model (`Model | None =
/// None`): `None` when the body names none of `T`'s fields.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use serde_json::{json, Value};
/// use sluice::extract::Form;
/// use sluice::testing::TestClient;
/// use sluice::{App, Json};
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Login {
///     username: String,
///     password: String,
///     #[serde(default)]
///     remember: bool,
/// }
///
/// async fn login(Form(login): Form<Login>) -> Json<Value> {
///     Json(json!({ "user": login.username, "remember": login.remember }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().post("/login", login));
/// let form = "application/x-www-form-urlencoded";
///
/// let res = client.post("/login").header("content-type", form)
///     .body("username=ann&password=s3cret&remember=on").await;
/// assert_eq!(res.json::<Value>(), json!({ "user": "ann", "remember": true }));
///
/// let res = client.post("/login").header("content-type", form).body("username=ann").await;
/// assert_eq!(res.status(), 422);
/// assert_eq!(
///     res.json::<Value>()["detail"],
///     json!([{
///         "type": "missing", "loc": ["body", "password"], "msg": "Field required",
///         "input": { "username": "ann" }
///     }])
/// );
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequest for Form<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _cx: &RequestContext) -> Result<Self, Error> {
        read_form::<T, _>(req, |fields, input| parse(fields, input).map(Form)).await
    }

    /// Refuses a type that cannot read named fields (as [`Query`] does);
    /// documents a required `application/x-www-form-urlencoded` body of
    /// `T`.
    ///
    /// [`Query`]: super::Query
    fn declare(decl: &mut Declaration<'_>) {
        declare_form::<T>(decl, true);
    }
}

/// An optional form, FastAPI's `form: Annotated[Model | None, Form()] =
/// None`: `None` when the body names none of `T`'s fields (no body, an
/// empty one, another content type, or only other fields); otherwise read
/// as [`Form<T>`] is, its 422s included (a field sent empty is named, and
/// then missing).
impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequest for Option<Form<T>> {
    type Rejection = Error;

    async fn from_request(req: Request, _cx: &RequestContext) -> Result<Self, Error> {
        read_form::<T, _>(req, |fields, input| {
            if !input.named {
                return Ok(None);
            }
            parse(fields, input).map(|form| Some(Form(form)))
        })
        .await
    }

    /// As `Form<T>`'s, for a body that is not required.
    fn declare(decl: &mut Declaration<'_>) {
        declare_form::<T>(decl, false);
    }
}

fn declare_form<T: DeserializeOwned + JsonSchema + 'static>(
    decl: &mut Declaration<'_>,
    required: bool,
) {
    if let Err(problem) = check_form::<T>().and_then(|()| check_no_endless_recursion::<T>("Form")) {
        decl.problem(problem);
    }
    if let Some(doc) = decl.openapi() {
        // FastAPI: a form with a file is sent as multipart.
        let shape = shape_of::<T>();
        let has_files = match shape.unwrapped() {
            Shape::Struct { fields, .. } => fields.iter().any(|(_, field)| is_file_field(field)),
            _ => false,
        };
        if has_files {
            doc.multipart_form_body::<T>(required);
        } else {
            doc.form_body::<T>(required);
        }
    }
}

/// What a form sent, sorted for `T`.
struct FormInput<'a> {
    /// The text fields, as FastAPI reads them (see [`FormFields::sent`]).
    pairs: Vec<(&'a str, &'a str)>,
    /// Every part sent, and the names FastAPI counts as not sent: for the
    /// input of a `missing` issue ([`FormFields::sent_values`]).
    entries: &'a [(Cow<'a, str>, Entry<'a>)],
    unsent: HashSet<&'a str>,
    /// The files of `T`'s file fields.
    files: Vec<FileGroup<'a>>,
    /// What is wrong with `T`'s file fields.
    file_issues: Vec<ValidationIssue>,
    /// Whether the body named any of `T`'s fields at all.
    named: bool,
}

/// One part of a form: text, or a file (a multipart part with a file name).
enum Entry<'a> {
    Text(Cow<'a, str>),
    File(UploadFile),
}

impl Entry<'_> {
    /// Empty text, or what a browser sends for a file input left empty
    /// (no file name, no content): FastAPI counts either as not sent.
    fn is_blank(&self) -> bool {
        match self {
            Entry::Text(text) => text.is_empty(),
            Entry::File(file) => is_blank_file(file),
        }
    }
}

/// A file as the input of an issue: its name, size and headers (FastAPI
/// shows the Python object's attributes).
fn file_input(file: &UploadFile) -> Value {
    let headers: Map<String, Value> = file
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = crate::headers::latin1(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), Value::from(value))
        })
        .collect();
    json!({"filename": file.filename(), "size": file.size(), "headers": headers})
}

/// A file input left empty: no file name, no content.
fn is_blank_file(file: &UploadFile) -> bool {
    file.filename().is_empty() && file.size() == 0
}

/// The entries of `name`, blank files left out, as FastAPI reads a list.
fn list_of<'e, 'a>(
    entries: &'e [(Cow<'_, str>, Entry<'a>)],
    name: &'e str,
) -> impl Iterator<Item = &'e Entry<'a>> + 'e {
    entries
        .iter()
        .filter(move |(key, entry)| {
            key == name && !matches!(entry, Entry::File(f) if is_blank_file(f))
        })
        .map(|(_, entry)| entry)
}

/// The entry of `name` that counts for a single value: the last, unless
/// it is blank.
fn last_of<'e, 'a>(entries: &'e [(Cow<'_, str>, Entry<'a>)], name: &str) -> Option<&'e Entry<'a>> {
    entries
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, entry)| entry)
        .filter(|entry| !entry.is_blank())
}

/// The form's fields, as FastAPI reads them for `T`, handed to `finish`.
async fn read_form<T: DeserializeOwned + JsonSchema + 'static, R>(
    mut req: Request,
    finish: impl FnOnce(&FormFields, &FormInput<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    let kind = body_kind(&form_head::content_type(req.headers()));
    // Starlette reads no fields from another body, nor the body.
    let bytes = match kind {
        BodyKind::Other => bytes::Bytes::new(),
        _ => req.bytes().await?,
    };
    let options = form_head::content_type(req.headers());
    let latin1;
    let entries: Vec<(Cow<'_, str>, Entry<'_>)> = match kind {
        BodyKind::UrlEncoded => {
            if longest_field(&bytes) > MAX_PART_SIZE {
                return Err(bad_request("Field exceeded maximum size of 1024KB."));
            }
            latin1 = raw_bytes_as_latin1(&bytes);
            // One past the limit tells it is passed; no need to read on.
            let pairs: Vec<_> = form_urlencoded::parse(&latin1)
                .take(MAX_FIELDS + 1)
                .map(|(name, value)| (name, Entry::Text(value)))
                .collect();
            if pairs.len() > MAX_FIELDS {
                return Err(bad_request(
                    "Too many fields. Maximum number of fields is 1000.",
                ));
            }
            pairs
        }
        BodyKind::Multipart => multipart_fields(&options, bytes).await?,
        BodyKind::Other => Vec::new(),
    };
    let fields = FormFields::of::<T>();
    let stand_in = UploadFile::default();
    let named = entries
        .iter()
        .any(|(name, _)| fields.is_list(name).is_some());
    let unsent = fields.unsent(&entries);
    let sent = fields.sent(&entries, &unsent);
    let (files, file_issues) = fields.files(&entries, &stand_in);
    let input = FormInput {
        // A text sent to a file field is its issue, not a text field.
        pairs: sent
            .iter()
            .filter(|(name, _)| fields.file_field(name).is_none())
            .copied()
            .collect(),
        entries: &entries,
        unsent,
        files,
        file_issues,
        named,
    };
    finish(&fields, &input)
}

/// The fields read as `T`, or every issue.
fn parse<T: DeserializeOwned + JsonSchema + 'static>(
    fields: &FormFields,
    input: &FormInput<'_>,
) -> Result<T, Error> {
    let params = Params::new(input.pairs.iter().copied()).with_files(&input.files);
    let parsed = T::deserialize(ParamsDeserializer::new(&params));
    let mut issues = input.file_issues.clone();
    match parsed {
        Ok(form) if issues.is_empty() => return Ok(form),
        Ok(_) => {}
        Err(e) => {
            let found = every_issue_with_files::<T>(
                e,
                &input.pairs,
                &input.files,
                Source::Body,
                str::to_owned,
            )?;
            issues.extend(
                found
                    .into_iter()
                    .map(|issue| fields.at_part(issue, input.entries)),
            );
        }
    }
    // A file sent to a required text field is its type issue, not also
    // a `missing` one.
    let mut seen = HashSet::new();
    issues.retain(|issue| seen.insert(issue.loc.clone()));
    // pydantic reports the fields in the order they are declared.
    issues.sort_by_key(|issue| fields.order_of(&issue.loc));
    if issues.iter().any(|issue| issue.kind == "missing") {
        let values = fields.sent_values(input.entries, &input.unsent);
        fields.with_form_as_input(&mut issues, values);
    }
    Err(Error::new(ValidationError::new(issues)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    UrlEncoded,
    Multipart,
    Other,
}

/// What the `Content-Type` says the body is, as Starlette reads it.
fn body_kind(options: &Options<'_>) -> BodyKind {
    match options.media_type.as_str() {
        "application/x-www-form-urlencoded" => BodyKind::UrlEncoded,
        "multipart/form-data" => BodyKind::Multipart,
        _ => BodyKind::Other,
    }
}

/// As many fields (and, in a multipart body, as many files) as Starlette
/// reads from a form.
const MAX_FIELDS: usize = 1000;

fn bad_request(detail: &str) -> Error {
    Error::new(HttpError::new(StatusCode::BAD_REQUEST, detail.to_owned()))
}

/// A urlencoded body as Starlette reads it: its raw bytes as Latin-1
/// (only what is percent-encoded is UTF-8). So each raw byte past ASCII is
/// percent-encoded as its Latin-1 character before the body is parsed.
fn raw_bytes_as_latin1(body: &[u8]) -> Cow<'_, [u8]> {
    if body.is_ascii() {
        return Cow::Borrowed(body);
    }
    let mut out = Vec::with_capacity(body.len() * 2);
    for &byte in body {
        if byte.is_ascii() {
            out.push(byte);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            let mut utf8 = [0; 2];
            for b in char::from(byte).encode_utf8(&mut utf8).bytes() {
                out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
        }
    }
    Cow::Owned(out)
}

/// The most bytes a field (its name and value as sent) or a multipart
/// text part may have, as in Starlette.
const MAX_PART_SIZE: usize = 1024 * 1024;

/// The length of the longest field of a urlencoded body as sent: its
/// name and value, without the `=` between them.
fn longest_field(body: &[u8]) -> usize {
    body.split(|&b| b == b'&')
        .map(|field| field.len() - usize::from(field.contains(&b'=')))
        .max()
        .unwrap_or(0)
}

/// The text fields of a multipart body, in order, as Starlette reads
/// them with python-multipart:
///
/// - names and values in the body's `charset` (UTF-8 by default), or else
///   Latin-1;
/// - a body must open with its boundary: anything before it, or a
///   malformed part, is Starlette's 400;
/// - a body cut short keeps the parts it finished, an empty one has none;
/// - at most 1,000 fields and 1,000 files, a text part at most 1 MiB.
///
/// File parts (those with a file name) are kept whole, as `UploadFile`s.
async fn multipart_fields(
    options: &Options<'_>,
    body: bytes::Bytes,
) -> Result<Vec<(Cow<'static, str>, Entry<'static>)>, Error> {
    let Some(boundary) = options.get("boundary") else {
        return Err(bad_request("Missing boundary in multipart."));
    };
    let boundary = form_head::latin1(boundary).into_owned();
    let charset = Charset::of(options);
    if !body.is_empty() && !opens_with_boundary(&body, boundary.as_bytes()) {
        return Err(bad_request("Invalid multipart data."));
    }
    let stream =
        futures_util::stream::once(std::future::ready(Ok::<_, std::convert::Infallible>(body)));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    let mut files = 0;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // Cut short: the parts read so far stand.
            Err(error) if is_cut_short(&error) => break,
            Err(_) => return Err(bad_request("Invalid multipart data.")),
        };
        let Some((name, file_name)) = form_head::part_names(field.headers(), charset) else {
            return Err(bad_request(
                "The Content-Disposition header field \"name\" must be provided.",
            ));
        };
        if file_name.is_some() {
            files += 1;
            if files > MAX_FIELDS {
                return Err(bad_request(
                    "Too many files. Maximum number of files is 1000.",
                ));
            }
        } else if pairs.len() - files == MAX_FIELDS {
            return Err(bad_request(
                "Too many fields. Maximum number of fields is 1000.",
            ));
        }
        let headers = field.headers().clone();
        let value = match field.bytes().await {
            Ok(value) => value,
            Err(error) if is_cut_short(&error) => break,
            Err(_) => return Err(bad_request("Invalid multipart data.")),
        };
        if let Some(file_name) = file_name {
            let file = UploadFile::new(file_name, headers, value);
            pairs.push((Cow::Owned(name), Entry::File(file)));
            continue;
        }
        if value.len() > MAX_PART_SIZE {
            return Err(bad_request("Part exceeded maximum size of 1024KB."));
        }
        pairs.push((
            Cow::Owned(name),
            Entry::Text(Cow::Owned(charset.decode(&value))),
        ));
    }
    Ok(pairs)
}

/// Whether `body` opens with `--boundary`, then a line end or `--`, as
/// python-multipart requires.
fn opens_with_boundary(body: &[u8], boundary: &[u8]) -> bool {
    let Some(rest) = body
        .strip_prefix(b"--")
        .and_then(|rest| rest.strip_prefix(boundary))
    else {
        return false;
    };
    rest.starts_with(b"\r\n") || rest.starts_with(b"--") || b"\r\n".starts_with(rest)
}

/// Whether multer stopped because the body ended too soon.
fn is_cut_short(error: &multer::Error) -> bool {
    matches!(
        error,
        multer::Error::IncompleteStream
            | multer::Error::IncompleteFieldData { .. }
            | multer::Error::IncompleteHeaders
    )
}

/// A form type's fields, in declared order, which collect repeated
/// values and which read files: worked out once per type (from its
/// `Deserialize` and its JSON Schema), then shared.
#[derive(Debug, Default)]
struct FormFields {
    fields: Vec<FormField>,
    /// For a map: whether each value is a list.
    map_of_lists: Option<bool>,
}

#[derive(Debug)]
struct FormField {
    name: &'static str,
    /// A `Vec`: it collects repeated values.
    list: bool,
    /// An [`UploadFile`] (or a list of them).
    file: bool,
    /// It has no default: FastAPI's `missing` when not sent.
    required: bool,
    /// pydantic's issue when a text field is sent a file: its `type` and
    /// `msg`.
    not_text: TypeIssue,
}

impl FormField {
    /// The issues of files sent to this text field, as pydantic reports an
    /// `UploadFile` where text should be: at the last value of a single
    /// field (the one that counts), at each position of a list. The input
    /// is the file's name, size and headers (FastAPI shows the Python
    /// object's attributes).
    fn files_sent_as_text(&self, entries: &[(Cow<'_, str>, Entry<'_>)]) -> Vec<ValidationIssue> {
        let issue = |file: &UploadFile, index: Option<usize>| {
            let mut loc = vec![Value::from("body"), Value::from(self.name)];
            loc.extend(index.map(Value::from));
            let TypeIssue { kind, msg, ctx } = self.not_text.clone();
            let mut issue = ValidationIssue::new(kind, loc, msg, file_input(file));
            issue.ctx = ctx;
            issue
        };
        if self.list {
            list_of(entries, self.name)
                .enumerate()
                .filter_map(|(index, entry)| match entry {
                    Entry::File(file) => Some(issue(file, Some(index))),
                    Entry::Text(_) => None,
                })
                .collect()
        } else {
            match last_of(entries, self.name) {
                Some(Entry::File(file)) => vec![issue(file, None)],
                _ => Vec::new(),
            }
        }
    }
}

static FORM_FIELDS: PerType<Arc<FormFields>> = PerType::new();

impl FormFields {
    fn of<T: DeserializeOwned + JsonSchema + 'static>() -> Arc<FormFields> {
        FORM_FIELDS.get_or_make::<T>(|| {
            let schema = schema_of::<T>();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            Arc::new(FormFields::from_shape(&shape_of::<T>(), &required))
        })
    }

    fn from_shape(shape: &Shape, required: &[&str]) -> FormFields {
        match shape.unwrapped() {
            Shape::Struct { fields, .. } => FormFields {
                fields: fields
                    .iter()
                    .map(|(name, shape)| FormField {
                        name,
                        list: shape.is_sequence(),
                        file: is_file_field(shape),
                        required: required.contains(name),
                        not_text: type_issue(shape),
                    })
                    .collect(),
                map_of_lists: None,
            },
            Shape::Map(value) => FormFields {
                fields: Vec::new(),
                map_of_lists: Some(value.is_sequence()),
            },
            _ => FormFields::default(),
        }
    }

    /// Whether `name` collects repeated values; `None` for a field the
    /// type does not have.
    fn is_list(&self, name: &str) -> Option<bool> {
        self.fields
            .iter()
            .find(|field| field.name == name)
            .map(|field| field.list)
            .or(self.map_of_lists)
    }

    /// The file field called `name`, if there is one.
    fn file_field(&self, name: &str) -> Option<&FormField> {
        self.fields
            .iter()
            .find(|field| field.file && field.name == name)
    }

    /// Where an issue at `loc` (`["body", field, index?]`) goes in the
    /// list: by the field's place in the type, then by index.
    fn order_of(&self, loc: &[Value]) -> (usize, u64) {
        let name = loc.get(1).and_then(Value::as_str);
        let place = self
            .fields
            .iter()
            .position(|field| Some(field.name) == name)
            .unwrap_or(usize::MAX);
        (place, loc.get(2).and_then(Value::as_u64).unwrap_or(0))
    }

    /// The names of the fields FastAPI counts as not sent: not a list,
    /// and the last value blank (empty text, an empty file input).
    fn unsent<'a>(&self, entries: &'a [(Cow<'_, str>, Entry<'_>)]) -> HashSet<&'a str> {
        // In one pass from the end.
        let mut seen = HashSet::new();
        let mut unsent = HashSet::new();
        for (key, entry) in entries.iter().rev() {
            if seen.insert(&**key) && entry.is_blank() && self.is_list(key) == Some(false) {
                unsent.insert(&**key);
            }
        }
        unsent
    }

    /// The text fields as FastAPI reads them (see [`FormFields::unsent`]).
    fn sent<'a>(
        &self,
        entries: &'a [(Cow<'_, str>, Entry<'_>)],
        unsent: &HashSet<&str>,
    ) -> Vec<(&'a str, &'a str)> {
        entries
            .iter()
            .filter_map(|(key, entry)| match entry {
                Entry::Text(value) if !unsent.contains(&**key) => Some((&**key, &**value)),
                _ => None,
            })
            .collect()
    }

    /// Every value sent, files as [`file_input`], as FastAPI shows the
    /// form in a `missing` issue: blank values of single fields and empty
    /// file inputs of lists left out.
    fn sent_values<'a>(
        &self,
        entries: &'a [(Cow<'_, str>, Entry<'_>)],
        unsent: &HashSet<&str>,
    ) -> Vec<(&'a str, Value)> {
        entries
            .iter()
            .filter(|(key, entry)| {
                let blank_in_list = matches!(entry, Entry::File(file) if is_blank_file(file))
                    && self.is_list(key) == Some(true);
                !unsent.contains(&**key) && !blank_in_list
            })
            .map(|(key, entry)| match entry {
                Entry::Text(value) => (&**key, Value::from(&**value)),
                Entry::File(file) => (&**key, file_input(file)),
            })
            .collect()
    }

    /// `issue`, at the position of its value among all the parts of its
    /// list field: serde counts the text values only, and FastAPI counts
    /// the files sent to a text list too.
    fn at_part(
        &self,
        mut issue: ValidationIssue,
        entries: &[(Cow<'_, str>, Entry<'_>)],
    ) -> ValidationIssue {
        let (Some(name), Some(index)) = (
            issue.loc.get(1).and_then(Value::as_str),
            issue.loc.get(2).and_then(Value::as_u64),
        ) else {
            return issue;
        };
        let is_text_list = self
            .fields
            .iter()
            .any(|field| field.name == name && field.list && !field.file);
        if !is_text_list {
            return issue;
        }
        let part = list_of(entries, name)
            .enumerate()
            .filter(|(_, entry)| matches!(entry, Entry::Text(_)))
            .nth(usize::try_from(index).unwrap_or(usize::MAX))
            .map(|(part, _)| part);
        if let Some(part) = part {
            issue.loc[2] = Value::from(part);
        }
        issue
    }

    /// The files of each file field, as FastAPI reads them, and what is
    /// wrong with them: a required field without a file is `missing`; a
    /// text value where a file should be is pydantic's `value_error`. A
    /// field with a problem is given `stand_in` (an empty file), so that
    /// the other fields are still read and their issues listed; the answer
    /// is then the 422 anyway.
    fn files<'a>(
        &self,
        entries: &'a [(Cow<'_, str>, Entry<'_>)],
        stand_in: &'a UploadFile,
    ) -> (Vec<FileGroup<'a>>, Vec<ValidationIssue>) {
        let mut groups = Vec::new();
        let mut issues = Vec::new();
        for field in self.fields.iter().filter(|field| field.file) {
            let not_text = |index: Option<usize>, text: &str| {
                let mut loc = vec![Value::from("body"), Value::from(field.name)];
                loc.extend(index.map(Value::from));
                let mut issue = ValidationIssue::new(
                    "value_error",
                    loc,
                    "Value error, Expected UploadFile, received: <class 'str'>",
                    Value::from(text),
                );
                issue.ctx = Some(json!({"error": {}}));
                issue
            };
            let files: Vec<&UploadFile> = if field.list {
                list_of(entries, field.name)
                    .enumerate()
                    .map(|(index, entry)| match entry {
                        Entry::File(file) => file,
                        Entry::Text(text) => {
                            issues.push(not_text(Some(index), text));
                            stand_in
                        }
                    })
                    .collect()
            } else {
                // Of several, the last counts, unless it is blank.
                match last_of(entries, field.name) {
                    Some(Entry::File(file)) => vec![file],
                    Some(Entry::Text(text)) => {
                        issues.push(not_text(None, text));
                        vec![stand_in]
                    }
                    None => Vec::new(),
                }
            };
            if files.is_empty() {
                if !field.required {
                    continue;
                }
                issues.push(ValidationIssue::new(
                    "missing",
                    vec![Value::from("body"), Value::from(field.name)],
                    "Field required",
                    Value::Null,
                ));
                if !field.list {
                    groups.push(FileGroup {
                        name: field.name,
                        files: vec![stand_in],
                    });
                    continue;
                }
            }
            groups.push(FileGroup {
                name: field.name,
                files,
            });
        }
        for field in self.fields.iter().filter(|field| !field.file) {
            issues.extend(field.files_sent_as_text(entries));
        }
        (groups, issues)
    }

    /// Gives the `missing` issues among `issues` the form as their input, as
    /// FastAPI reports them for a form model: its fields in declared
    /// order (a list field's values as a list, another's last value),
    /// then the others as sent (a repeated one as a list).
    fn with_form_as_input(&self, issues: &mut [ValidationIssue], pairs: Vec<(&str, Value)>) {
        let fields: Vec<(&str, bool)> = self
            .fields
            .iter()
            .map(|field| (field.name, field.list))
            .collect();
        with_model_input(issues, &fields, pairs, false, str::to_owned);
    }
}

/// pydantic's issue for a value of the wrong type.
#[derive(Debug, Clone)]
struct TypeIssue {
    kind: &'static str,
    msg: Cow<'static, str>,
    ctx: Option<Value>,
}

/// pydantic's issue for a value of the wrong type (a file, here) in a
/// field of this shape.
fn type_issue(shape: &Shape) -> TypeIssue {
    let element = match shape.unwrapped() {
        Shape::Seq(element) => element.unwrapped(),
        other => other,
    };
    let (kind, msg) = match element {
        Shape::Scalar("bool") => ("bool_type", "Input should be a valid boolean"),
        Shape::Scalar("f32" | "f64") => ("float_type", "Input should be a valid number"),
        Shape::Scalar(
            "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128",
        ) => ("int_type", "Input should be a valid integer"),
        // A Rust enum is a Python `Enum`: pydantic names the choices.
        Shape::Enum { variants, .. } => {
            let expected = choices(variants);
            return TypeIssue {
                kind: "enum",
                msg: Cow::Owned(format!("Input should be {expected}")),
                ctx: Some(json!({ "expected": expected })),
            };
        }
        _ => ("string_type", "Input should be a valid string"),
    };
    TypeIssue {
        kind,
        msg: Cow::Borrowed(msg),
        ctx: None,
    }
}
