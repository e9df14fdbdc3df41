//! Path, query, header and cookie parameters.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};
use std::sync::Arc;

use http::request::Parts;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::check::{
    check_cookies, check_headers, check_no_endless_recursion, check_path, check_query,
};
use super::de::{FileGroup, ParamError, Params, ParamsDeserializer, Source};
use super::listing;
use super::per_type::PerType;
use super::shape::{shape_of, struct_fields, Shape};
use super::{Declaration, FromRequestParts, RequestContext};
use crate::error::{Error, ValidationError, ValidationIssue};
use crate::headers::{cookies, latin1, unquote_cookie};
use crate::openapi::ParameterIn;

/// The 422 of parameters that do not fit `T`: every issue, as FastAPI
/// lists them (see [`listing::every_param_issue`]); a mistake in the
/// program stays its 500.
pub(super) fn every_issue<T: DeserializeOwned + JsonSchema + 'static>(
    error: ParamError,
    pairs: &[(&str, &str)],
    source: Source,
    name_map: fn(&str) -> String,
) -> Error {
    let mut issues = match every_issue_with_files::<T>(error, pairs, &[], source, name_map) {
        Ok(issues) => issues,
        Err(internal) => return internal,
    };
    if !matches!(source, Source::Path) {
        as_model::<T>(&mut issues, pairs, source, name_map);
    }
    Error::new(ValidationError::new(issues))
}

/// A struct with `#[serde(deny_unknown_fields)]` can only be one of
/// FastAPI's parameter models (separate parameters cannot forbid
/// others): its `missing` issues show every parameter sent, as a model's
/// do ([`listing::with_model_input`]). Other structs stand for separate
/// parameters, whose `missing` input is `null`.
fn as_model<T: DeserializeOwned + JsonSchema + 'static>(
    issues: &mut [ValidationIssue],
    pairs: &[(&str, &str)],
    source: Source,
    name_map: fn(&str) -> String,
) {
    if !issues.iter().any(|issue| issue.kind == "missing") {
        return;
    }
    let Some(fields) = model_fields::<T>() else {
        return;
    };
    let values = pairs.iter().map(|(k, v)| (*k, Value::from(*v)));
    let first_wins = matches!(source, Source::Header);
    listing::with_model_input(issues, &fields, values, first_wins, name_map);
}

/// A parameter model's fields: each name as read, and whether a list.
type ModelFields = Arc<[(&'static str, bool)]>;

/// The fields of `T` (name as read, whether a list) when it can only be
/// one of FastAPI's parameter models: an `Option` of a struct (separate
/// parameters cannot be optional together), or a struct that forbids
/// others (`extra="forbid"`); `None` for anything else. Worked out once
/// per type.
fn model_fields<T: DeserializeOwned + JsonSchema + 'static>() -> Option<ModelFields> {
    static MODEL_FIELDS: PerType<Option<ModelFields>> = PerType::new();
    MODEL_FIELDS.get_or_make::<T>(|| {
        let fields = match shape_of::<T>() {
            Shape::Option(inner) => match *inner {
                Shape::Struct { fields, .. } => fields,
                _ => return None,
            },
            Shape::Struct { fields, .. }
                if listing::schema_of::<T>().get("additionalProperties")
                    == Some(&Value::Bool(false)) =>
            {
                fields
            }
            _ => return None,
        };
        Some(
            fields
                .iter()
                .map(|(name, shape)| (*name, shape.is_sequence()))
                .collect(),
        )
    })
}

/// The names of `T`'s fields when [`model_fields`] would find it a
/// model, found by two cheap readings instead of its shape and schema: a
/// client decides when this runs.
fn model_names<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let fields = struct_fields::<T>()?;
    if fields.optional {
        return Some(fields.names);
    }
    // A name no field can have (no header name holds a space).
    let other = Params::new([(" ", "")]);
    match T::deserialize(ParamsDeserializer::new(&other)) {
        Err(error) if error.kind() == "extra_forbidden" => Some(fields.names),
        _ => None,
    }
}

/// `T` from `params` (whose names are `names`), with FastAPI's rule for
/// an optional parameter model (`Model | None = None`, here `Option` of a
/// struct): `None` unless one of the model's own names is sent, or the
/// model forbids others and anything is sent. `on_error` makes the 422.
fn read_params<'n, T: DeserializeOwned>(
    params: &Params<'_>,
    mut names: impl Iterator<Item = &'n str>,
    on_error: impl FnOnce(ParamError) -> Error,
) -> Result<T, Error> {
    let read = T::deserialize(ParamsDeserializer::new(params));
    let Some(fields) = struct_fields::<T>().filter(|fields| fields.optional) else {
        return read.map_err(on_error);
    };
    if names.any(|name| fields.names.contains(&name)) {
        return read.map_err(on_error);
    }
    match read {
        // Only a model that forbids others fails on names of none of its
        // fields; one that does not is not sent.
        Err(error) if error.kind() == "extra_forbidden" => Err(on_error(error)),
        _ => T::deserialize(ParamsDeserializer::new(&Params::new(std::iter::empty())))
            .map_err(on_error),
    }
}

/// The issues of [`every_issue`], for a form whose file fields are
/// `files`; a mistake in the program is its error, a 500.
pub(super) fn every_issue_with_files<T: DeserializeOwned + JsonSchema + 'static>(
    error: ParamError,
    pairs: &[(&str, &str)],
    files: &[FileGroup<'_>],
    source: Source,
    name_map: fn(&str) -> String,
) -> Result<Vec<ValidationIssue>, Error> {
    if error.is_internal() {
        return Err(error.into_error(source, name_map));
    }
    Ok(listing::every_param_issue::<T, _>(
        pairs,
        files,
        source,
        error,
        |error| error.into_issue(source, name_map).ok(),
    ))
}

fn same_name(name: &str) -> String {
    name.to_owned()
}

/// The header a [`Headers`] key names: `x_token` is `x-token`, and a
/// header sent with underscores keeps its name after [`AS_SENT`].
fn header_name(name: &str) -> String {
    match name.strip_prefix(AS_SENT) {
        Some(sent) => sent.to_owned(),
        None => name.replace('_', "-"),
    }
}

/// Marks the key of a header whose own name has an underscore: no field
/// reads it (no header name holds a space), but a model that forbids
/// others names it, as sent.
const AS_SENT: char = ' ';

/// Typed path parameters.
///
/// `T` is one value for a route with one parameter, a tuple (by position)
/// or a struct (by name) for several. Integers accept an optional sign and
/// digits; anything else is FastAPI's
/// `422 {"detail":[{"type":"int_parsing","loc":["path",<name>],...}]}`.
/// Other values are read as [`Query`] reads them, as FastAPI does: a float
/// as pydantic reads one (`" 5 "`, `1_000`, `inf`).
///
/// A type that does not fit the route is refused when the app is built
/// ([`ConfigError::Handler`](crate::ConfigError::Handler)): a single value
/// on a route without exactly one parameter, a tuple of another length
/// than the route's parameters, a struct with a required field that names
/// none of them.
///
/// ```
/// use serde_json::{json, Value};
/// use sluice::extract::Path;
/// use sluice::testing::TestClient;
/// use sluice::{App, Json};
///
/// async fn read_item(Path(item_id): Path<i64>) -> Json<Value> {
///     Json(json!({ "item_id": item_id }))
/// }
///
/// async fn read_file(Path((user, file)): Path<(String, String)>) -> String {
///     format!("{user}/{file}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new()
///     .get("/items/{item_id}", read_item)
///     .get("/users/{user}/files/{*file}", read_file);
/// let client = TestClient::new(app);
/// assert_eq!(client.get("/items/42").await.json::<Value>(), json!({ "item_id": 42 }));
/// assert_eq!(client.get("/users/ann/files/a/b.txt").await.text(), "ann/a/b.txt");
/// assert_eq!(client.get("/items/forty-two").await.status(), 422);
///
/// // Two parameters, one value: refused when the app is built.
/// let wrong = App::new().get("/users/{user}/files/{*file}", read_item);
/// let err = TestClient::try_new(wrong).unwrap_err().to_string();
/// assert!(err.contains("Path<i64> reads one route parameter, but the route has 2"), "{err}");
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequestParts for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(_parts: &mut Parts, cx: &RequestContext) -> Result<Self, Error> {
        let params = match cx.route() {
            Some(route) => Params::new(route.params()),
            None => Params::new(std::iter::empty()),
        }
        .read_as(Source::Path);
        T::deserialize(ParamsDeserializer::new(&params))
            .map(Path)
            .map_err(|e| {
                let pairs: Vec<(&str, &str)> = cx
                    .route()
                    .map(|route| route.params().collect())
                    .unwrap_or_default();
                every_issue::<T>(e, &pairs, Source::Path, same_name)
            })
    }

    /// Refuses a type that does not fit the route's parameters: a single
    /// value needs exactly one, a tuple as many as the route has, a
    /// struct's required fields must each name one. Documents the route
    /// parameters `T` reads.
    fn declare(decl: &mut Declaration<'_>) {
        let params: Vec<&str> = decl.path_params().collect();
        if let Err(problem) =
            check_path::<T>(&params).and_then(|()| check_no_endless_recursion::<T>("Path"))
        {
            decl.problem(problem);
        }
        if let Some(doc) = decl.openapi() {
            doc.path_parameters::<T>();
        }
    }
}

/// Typed query parameters, from `?a=1&b=2`: declare a struct; each field
/// is a parameter.
///
/// - `Option` fields may be missing (FastAPI's `q: str | None = None`);
/// - `Vec` fields collect repeated keys (`?tag=a&tag=b`; add
///   `#[serde(default)]` to let the list be missing);
/// - for other fields the last value wins, as in Starlette;
/// - unknown parameters are ignored, as in FastAPI (with
///   `#[serde(deny_unknown_fields)]` they are FastAPI's `extra_forbidden`
///   422);
/// - bad or missing values are FastAPI's 422 with `loc: ["query", <name>]`,
///   every one of them listed, in the struct's order (past the first, each
///   is found by reading the parameters again with a stand-in for the bad
///   value, made from the struct's JSON Schema);
/// - a type that is not a struct, such as `Query<Option<String>>`, is
///   refused when the app is built
///   ([`ConfigError::Handler`](crate::ConfigError::Handler)), with the
///   struct to write.
///
/// `Query<Option<T>>` with a struct `T` is FastAPI's optional parameter
/// model (`Annotated[Model | None, Query()] = None`): `None` unless one
/// of `T`'s fields is sent, or `T` forbids others and anything is sent;
/// once read, `T` is read whole (a field missing is a 422 whose input is
/// every parameter). `Headers` and `Cookies` follow the same rule.
///
/// A map (`HashMap<String, String>`) reads every parameter. Fields are
/// read from text: numbers, `bool`, enums of names, strings, and `Option`s
/// or `Vec`s of those; a field holding a struct or a map is refused when
/// the app is built, too. Numbers are read as pydantic's lax mode reads
/// them, as FastAPI does: an integer may have spaces around it, `_`
/// between digits and a fraction of zeros (`" 5 "`, `1_000`, `5.0`); a
/// `bool` is `true`/`false`, `on`/`off`, `yes`/`no`, `1`/`0` in any case.
/// (An integer in the *path* is only a sign and digits.)
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use serde_json::{json, Value};
/// use sluice::extract::Query;
/// use sluice::testing::TestClient;
/// use sluice::{App, Json};
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Search {
///     q: Option<String>,
///     limit: u32,
///     #[serde(default)]
///     tag: Vec<String>,
/// }
///
/// async fn search(Query(search): Query<Search>) -> Json<Value> {
///     Json(json!({ "q": search.q, "limit": search.limit, "tag": search.tag }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().get("/items", search));
///
/// let res = client.get("/items?limit=5&tag=a&tag=b&limit=10&utm_source=mail").await;
/// assert_eq!(res.json::<Value>(), json!({ "q": null, "limit": 10, "tag": ["a", "b"] }));
///
/// let res = client.get("/items?q=rust").await;
/// assert_eq!(res.status(), 422);
/// assert_eq!(res.json::<Value>()["detail"][0]["loc"], json!(["query", "limit"]));
///
/// // FastAPI's `q: str | None = None` is a struct field in sluice.
/// async fn bare(Query(q): Query<Option<String>>) -> String {
///     q.unwrap_or_default()
/// }
/// let err = TestClient::try_new(App::new().get("/bare", bare)).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "the handler of GET /bare cannot work: Query<Option<String>> cannot read named \
///      query parameters; declare a struct: #[derive(Deserialize, JsonSchema)] struct Params \
///      { q: Option<String> } and use Query<Params>"
/// );
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequestParts for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, Error> {
        Query::from_query_str(parts.uri.query().unwrap_or(""))
    }

    /// Refuses a type that cannot read named parameters (anything but a
    /// struct or a map, or one with a field that holds a struct or a map).
    /// Documents a query parameter per field of `T`.
    fn declare(decl: &mut Declaration<'_>) {
        if let Err(problem) =
            check_query::<T>().and_then(|()| check_no_endless_recursion::<T>("Query"))
        {
            decl.problem(problem);
        }
        if let Some(doc) = decl.openapi() {
            doc.parameters::<T>(ParameterIn::Query);
        }
    }
}

impl<T: DeserializeOwned + JsonSchema + 'static> Query<T> {
    /// Reads `T` from a raw query string (what follows `?`, without it),
    /// exactly as the extractor does (the extractor calls it): for a
    /// middleware, which has the request rather than extractors.
    ///
    /// The error is the extractor's: FastAPI's 422, listing every bad or
    /// missing value.
    ///
    /// ```
    /// use schemars::JsonSchema;
    /// use serde::Deserialize;
    /// use serde_json::json;
    /// use sluice::extract::Query;
    /// use sluice::ValidationError;
    ///
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Page { skip: Option<u32>, limit: u32 }
    ///
    /// let Query(page) = Query::<Page>::from_query_str("limit=10&utm=x").unwrap();
    /// assert_eq!((page.skip, page.limit), (None, 10));
    ///
    /// let Err(err) = Query::<Page>::from_query_str("skip=-1&limit=ten") else {
    ///     panic!("\"ten\" is no number");
    /// };
    /// assert_eq!(err.status().as_u16(), 422);
    /// let issues = err.downcast_ref::<ValidationError>().expect("FastAPI's 422").issues();
    /// let locs: Vec<_> = issues.iter().map(|issue| json!(issue.loc)).collect();
    /// assert_eq!(locs, [json!(["query", "skip"]), json!(["query", "limit"])]);
    /// ```
    pub fn from_query_str(query: &str) -> Result<Self, Error> {
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
            form_urlencoded::parse(query.as_bytes()).collect();
        let params = Params::new(pairs.iter().map(|(k, v)| (&**k, &**v)));
        read_params(&params, pairs.iter().map(|(k, _)| &**k), |e| {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
            every_issue::<T>(e, &pairs, Source::Query, same_name)
        })
        .map(Query)
    }
}

/// Typed request headers, FastAPI's `Header()` parameters: declare a
/// struct; a field `user_agent` reads the `user-agent` header. As for
/// [`Query`], `Option` fields may be missing, `Vec` fields collect repeated
/// headers, other headers are ignored, and a type that is not a struct (or
/// a map), or a field name no header can have (`X-Token`), is refused when
/// the app is built. Values are read as Latin-1, as Starlette reads them:
/// the bytes `caf\xe9` are `café`, and `café` sent in UTF-8 is `cafÃ©`. As in
/// FastAPI, a single value takes the first of repeated headers, and a
/// header whose own name has an underscore (`x_token`) is never read: a
/// struct with `#[serde(deny_unknown_fields)]` (FastAPI's header model
/// with `extra="forbid"`) forbids it by that name, unless a field has it.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use sluice::extract::Headers;
/// use sluice::testing::TestClient;
/// use sluice::App;
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Client { user_agent: Option<String>, x_token: String }
///
/// async fn who(Headers(client): Headers<Client>) -> String {
///     format!("{} ({})", client.x_token, client.user_agent.unwrap_or_default())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().get("/who", who));
/// let res = client.get("/who").header("x-token", "t1").header("user-agent", "curl").await;
/// assert_eq!(res.text(), "t1 (curl)");
/// let res = client.get("/who").await;
/// assert_eq!(res.status(), 422);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequestParts for Headers<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, Error> {
        let mut underscored = false;
        let pairs: Vec<(String, Cow<'_, str>)> = parts
            .headers
            .iter()
            .filter_map(|(name, value)| {
                // `x_token` reads `x-token` only, as FastAPI's
                // `convert_underscores`: a header named `x_token` is
                // another name (one that proxies may pass or drop).
                if name.as_str().contains('_') {
                    underscored = true;
                    return None;
                }
                Some((name.as_str().replace('-', "_"), latin1(value.as_bytes())))
            })
            .collect();
        let read = read_headers::<T>(&pairs);
        if !underscored {
            return read;
        }
        // A model that forbids others forbids those too, unless one is
        // named as a field is (`x_token`), which FastAPI passes over.
        let Some(fields) = model_names::<T>() else {
            return read;
        };
        let pairs: Vec<(String, Cow<'_, str>)> = parts
            .headers
            .iter()
            .filter_map(|(name, value)| {
                let (name, value) = (name.as_str(), latin1(value.as_bytes()));
                if !name.contains('_') {
                    return Some((name.replace('-', "_"), value));
                }
                let field = fields.contains(&name);
                (!field).then(|| (format!("{AS_SENT}{name}"), value))
            })
            .collect();
        read_headers::<T>(&pairs)
    }

    /// Refuses a type that cannot read named headers, as [`Query`] does,
    /// and struct fields no header name can match. Documents a header
    /// parameter per field of `T` (`x_token` is `x-token`).
    fn declare(decl: &mut Declaration<'_>) {
        if let Err(problem) =
            check_headers::<T>().and_then(|()| check_no_endless_recursion::<T>("Headers"))
        {
            decl.problem(problem);
        }
        if let Some(doc) = decl.openapi() {
            doc.parameters::<T>(ParameterIn::Header);
        }
    }
}

/// `T` from headers (`pairs`: key, value), a 422 listing every issue.
/// Of repeated headers, a single value takes the first, as Starlette's
/// `Headers.get`.
fn read_headers<T: DeserializeOwned + JsonSchema + 'static>(
    pairs: &[(String, Cow<'_, str>)],
) -> Result<Headers<T>, Error> {
    let params = Params::new(pairs.iter().map(|(k, v)| (k.as_str(), &**v))).read_as(Source::Header);
    read_params(&params, pairs.iter().map(|(k, _)| k.as_str()), |e| {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), &**v)).collect();
        every_issue::<T>(e, &pairs, Source::Header, header_name)
    })
    .map(Headers)
}

/// Typed cookies, FastAPI's `Cookie()` parameters: declare a struct; a
/// field `session_id` reads the cookie named `session_id` (cookie names
/// are case-sensitive, and read as they are). As for [`Query`], `Option`
/// fields may be missing, numbers are read as pydantic reads text
/// (`" 5 "`, `5.0`), other cookies are ignored (unless the struct has
/// `#[serde(deny_unknown_fields)]`, pydantic's `extra="forbid"`), and a
/// type that is not a struct (or a map) is refused when the app is built.
///
/// Cookies are read as Starlette reads them: every `Cookie` header, pairs
/// split at `;` and at the first `=`, trimmed, a double-quoted value
/// unquoted, bytes as Latin-1; of a cookie sent twice, the last counts.
/// A cookie holds one value: a `Vec` field, which FastAPI accepts and then
/// answers every request that sends it with a 422 (`list_type`), is
/// refused when the app is built.
///
/// A missing or bad cookie is FastAPI's 422, `loc: ["cookie", name]`.
/// `Cookies<Option<T>>` is FastAPI's optional model (`Model | None =
/// None`), as [`Query`]'s is: the other cookies a browser sends leave it
/// `None`.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::Deserialize;
/// use serde_json::{json, Value};
/// use sluice::extract::Cookies;
/// use sluice::testing::TestClient;
/// use sluice::App;
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Tracking { session_id: String, ads_id: Option<String>, visits: Option<u32> }
///
/// async fn items(Cookies(c): Cookies<Tracking>) -> String {
///     format!("{} {:?} {:?}", c.session_id, c.ads_id, c.visits)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().get("/items", items));
/// let res = client.get("/items").header("cookie", "session_id=s1; visits=3").await;
/// assert_eq!(res.text(), r#"s1 None Some(3)"#);
///
/// let res = client.get("/items").header("cookie", "ads_id=a").await;
/// assert_eq!(res.status(), 422);
/// assert_eq!(res.json::<Value>()["detail"][0]["loc"], json!(["cookie", "session_id"]));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Cookies<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromRequestParts for Cookies<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, Error> {
        // Starlette's cookies are a dict: one value per name, the last,
        // in the order names first came.
        let mut pairs: Vec<(Cow<'_, str>, String)> = Vec::new();
        let mut index: HashMap<Cow<'_, str>, usize> = HashMap::new();
        for (name, value) in cookies(&parts.headers) {
            let (name, value) = (latin1(name), latin1(&unquote_cookie(value)).into_owned());
            match index.entry(name) {
                Entry::Occupied(at) => pairs[*at.get()].1 = value,
                Entry::Vacant(slot) => {
                    pairs.push((slot.key().clone(), value));
                    slot.insert(pairs.len() - 1);
                }
            }
        }
        let params =
            Params::new(pairs.iter().map(|(k, v)| (&**k, v.as_str()))).read_as(Source::Cookie);
        read_params(&params, pairs.iter().map(|(k, _)| &**k), |e| {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, v.as_str())).collect();
            every_issue::<T>(e, &pairs, Source::Cookie, same_name)
        })
        .map(Cookies)
    }

    /// Refuses a type that cannot read named cookies, as [`Query`] does,
    /// and fields that would collect several values. Documents a cookie
    /// parameter per field of `T`.
    fn declare(decl: &mut Declaration<'_>) {
        if let Err(problem) =
            check_cookies::<T>().and_then(|()| check_no_endless_recursion::<T>("Cookies"))
        {
            decl.problem(problem);
        }
        if let Some(doc) = decl.openapi() {
            doc.parameters::<T>(ParameterIn::Cookie);
        }
    }
}
