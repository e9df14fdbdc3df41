//! Path, query and header parameters.

use std::borrow::Cow;

use http::request::Parts;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::de::{Params, ParamsDeserializer, Source};
use super::{Declaration, FromRequestParts, RequestContext};
use crate::error::Error;
use crate::openapi::ParameterIn;

fn same_name(name: &str) -> String {
    name.to_owned()
}

fn header_name(name: &str) -> String {
    name.replace('_', "-")
}

/// Typed path parameters.
///
/// `T` is one value for a route with one parameter, a tuple (by position)
/// or a struct (by name) for several. Integers accept an optional sign and
/// digits; anything else is FastAPI's
/// `422 {"detail":[{"type":"int_parsing","loc":["path",<name>],...}]}`.
///
/// ```
/// use sluice::extract::Path;
/// use sluice::{App, Json};
/// use serde_json::{json, Value};
///
/// async fn read_item(Path(item_id): Path<i64>) -> Json<Value> {
///     Json(json!({ "item_id": item_id }))
/// }
///
/// async fn read_file(Path((user, file)): Path<(String, String)>) -> String {
///     format!("{user}/{file}")
/// }
///
/// let app = App::new()
///     .get("/items/{item_id}", read_item)
///     .get("/users/{user}/files/{*file}", read_file);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send> FromRequestParts for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(_parts: &mut Parts, cx: &RequestContext) -> Result<Self, Error> {
        let params = match cx.route() {
            Some(route) => Params::new(route.params()),
            None => Params::new(std::iter::empty()),
        };
        T::deserialize(ParamsDeserializer::new(&params))
            .map(Path)
            .map_err(|e| e.into_error(Source::Path, same_name))
    }

    /// Documents the route parameters `T` reads.
    fn declare(decl: &mut Declaration<'_>) {
        if let Some(doc) = decl.openapi() {
            doc.path_parameters::<T>();
        }
    }
}

/// Typed query parameters, from `?a=1&b=2`.
///
/// A struct reads them by name (`Option` fields may be missing, `Vec`
/// fields collect repeated keys; for other fields the last value wins, as
/// in Starlette). Bad or missing values are FastAPI's 422 with
/// `loc: ["query", <name>]`.
///
/// ```
/// use sluice::extract::Query;
/// use sluice::App;
/// use schemars::JsonSchema;
/// use serde::Deserialize;
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Page { skip: Option<u32>, limit: u32 }
///
/// async fn list(Query(page): Query<Page>) -> String {
///     format!("{}..{}", page.skip.unwrap_or(0), page.limit)
/// }
///
/// let app = App::new().get("/items", list);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send> FromRequestParts for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, Error> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
            form_urlencoded::parse(query.as_bytes()).collect();
        let params = Params::new(pairs.iter().map(|(k, v)| (&**k, &**v)));
        T::deserialize(ParamsDeserializer::new(&params))
            .map(Query)
            .map_err(|e| e.into_error(Source::Query, same_name))
    }

    /// Documents a query parameter per field of `T`.
    fn declare(decl: &mut Declaration<'_>) {
        if let Some(doc) = decl.openapi() {
            doc.parameters::<T>(ParameterIn::Query);
        }
    }
}

/// Typed request headers, FastAPI's `Header()` parameters: a struct field
/// `user_agent` reads the `user-agent` header. Values that are not visible
/// ASCII are skipped.
///
/// ```
/// use sluice::extract::Headers;
/// use sluice::App;
/// use schemars::JsonSchema;
/// use serde::Deserialize;
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Client { user_agent: Option<String>, x_token: String }
///
/// async fn who(Headers(client): Headers<Client>) -> String {
///     format!("{} ({})", client.x_token, client.user_agent.unwrap_or_default())
/// }
///
/// let app = App::new().get("/who", who);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<T>(pub T);

impl<T: DeserializeOwned + JsonSchema + Send> FromRequestParts for Headers<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, Error> {
        let pairs: Vec<(String, &str)> = parts
            .headers
            .iter()
            .filter_map(|(name, value)| {
                let value = value.to_str().ok()?;
                Some((name.as_str().replace('-', "_"), value))
            })
            .collect();
        let params = Params::new(pairs.iter().map(|(k, v)| (k.as_str(), *v)));
        T::deserialize(ParamsDeserializer::new(&params))
            .map(Headers)
            .map_err(|e| e.into_error(Source::Header, header_name))
    }

    /// Documents a header parameter per field of `T` (`x_token` is
    /// `x-token`).
    fn declare(decl: &mut Declaration<'_>) {
        if let Some(doc) = decl.openapi() {
            doc.parameters::<T>(ParameterIn::Header);
        }
    }
}
