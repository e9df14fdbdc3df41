//! One operation of the document as the app is built: what the handler's
//! arguments ([`OperationDoc`]), its return type ([`ResponseDoc`]), the
//! middleware around it and the route's settings ([`RouteDoc`]) say.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::{Method, StatusCode};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use super::schemas::{object_properties, Schemas, Side};

/// Where a parameter is read from: OpenAPI's `in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParameterIn {
    /// A path parameter (`/items/{item_id}`); always required.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl ParameterIn {
    fn as_str(self) -> &'static str {
        match self {
            ParameterIn::Path => "path",
            ParameterIn::Query => "query",
            ParameterIn::Header => "header",
            ParameterIn::Cookie => "cookie",
        }
    }
}

/// A security scheme: how a client proves who it is. Middleware and
/// extractors that check credentials add one to the operations they
/// guard ([`OperationDoc::security`]); the document lists each under
/// `components.securitySchemes` by [name](SecurityScheme::named).
///
/// ```
/// use sluice::openapi::SecurityScheme;
///
/// let bearer = SecurityScheme::bearer().bearer_format("JWT");
/// assert_eq!(bearer.name(), "HTTPBearer");
/// let key = SecurityScheme::api_key_header("x-api-key").named("ApiKey");
/// assert_eq!(key.name(), "ApiKey");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityScheme {
    name: Cow<'static, str>,
    value: Map<String, Value>,
    /// Why the scheme cannot be documented, reported when the app is built.
    invalid: Option<&'static str>,
}

impl SecurityScheme {
    fn new(name: &'static str, value: Value) -> Self {
        let value = match value {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        SecurityScheme {
            name: Cow::Borrowed(name),
            value,
            invalid: None,
        }
    }

    /// OAuth2's password flow: the client posts a username and a password
    /// as a form to `token_url` and gets a bearer token back (named
    /// `OAuth2PasswordBearer`, as FastAPI's `OAuth2PasswordBearer` is).
    /// Swagger UI's Authorize button asks for them and sends the token on
    /// every call after. A relative `token_url` (`"token"`) is relative to
    /// the document's URL.
    ///
    /// ```
    /// use serde_json::json;
    /// use sluice::middleware::{Authentication, StaticToken};
    /// use sluice::openapi::{OpenApi, SecurityScheme};
    /// use sluice::routing::get;
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let scheme = SecurityScheme::oauth2_password("token").scope("items", "Read items");
    /// let auth = Authentication::bearer(StaticToken::new("s3cret")).openapi_scheme(scheme);
    /// let app = App::new()
    ///     .route("/items", get(|| async { "[]" }).add_middleware(auth))
    ///     .openapi(OpenApi::new());
    /// let doc = TestClient::new(app).get("/openapi.json").await.json::<serde_json::Value>();
    /// assert_eq!(
    ///     doc["components"]["securitySchemes"]["OAuth2PasswordBearer"],
    ///     json!({
    ///         "type": "oauth2",
    ///         "flows": { "password": { "tokenUrl": "token", "scopes": { "items": "Read items" } } }
    ///     })
    /// );
    /// assert_eq!(doc["paths"]["/items"]["get"]["security"], json!([{ "OAuth2PasswordBearer": [] }]));
    /// # }
    /// ```
    pub fn oauth2_password(token_url: impl Into<String>) -> Self {
        SecurityScheme::new(
            "OAuth2PasswordBearer",
            json!({
                "type": "oauth2",
                "flows": { "password": { "scopes": {}, "tokenUrl": token_url.into() } }
            }),
        )
    }

    /// OAuth2's authorization code flow: the user signs in at
    /// `authorization_url`, and the code that comes back is traded for a
    /// token at `token_url` (named `OAuth2AuthorizationCodeBearer`, as
    /// FastAPI's `OAuth2AuthorizationCodeBearer` is). Swagger UI gets the
    /// code on its redirect page
    /// ([`OpenApi::swagger_ui_oauth2_redirect_url`](crate::openapi::OpenApi::swagger_ui_oauth2_redirect_url)).
    pub fn oauth2_authorization_code(
        authorization_url: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        SecurityScheme::new(
            "OAuth2AuthorizationCodeBearer",
            json!({
                "type": "oauth2",
                "flows": {
                    "authorizationCode": {
                        "scopes": {},
                        "authorizationUrl": authorization_url.into(),
                        "tokenUrl": token_url.into()
                    }
                }
            }),
        )
    }

    /// A scope the OAuth2 flows offer, and what it grants (FastAPI's
    /// `scopes={name: description}`); an operation asks for scopes with
    /// [`OperationDoc::security`]. Only for an OAuth2 scheme: on another,
    /// building the app fails.
    #[must_use]
    pub fn scope(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        let (name, description) = (name.into(), Value::String(description.into()));
        self.each_flow("scope() is for OAuth2 schemes only", |flow| {
            if let Some(Value::Object(scopes)) = flow.get_mut("scopes") {
                scopes.insert(name.clone(), description.clone());
            }
        });
        self
    }

    /// Where the OAuth2 flows' tokens are refreshed (`refreshUrl`). Only
    /// for an OAuth2 scheme: on another, building the app fails.
    #[must_use]
    pub fn refresh_url(mut self, url: impl Into<String>) -> Self {
        let url = Value::String(url.into());
        self.each_flow("refresh_url() is for OAuth2 schemes only", |flow| {
            flow.insert("refreshUrl".to_owned(), url.clone());
        });
        self
    }

    /// Changes every flow of an OAuth2 scheme; another is marked
    /// `invalid`.
    fn each_flow(
        &mut self,
        invalid: &'static str,
        mut change: impl FnMut(&mut Map<String, Value>),
    ) {
        match self.value.get_mut("flows") {
            Some(Value::Object(flows)) => {
                for flow in flows.values_mut() {
                    if let Value::Object(flow) = flow {
                        change(flow);
                    }
                }
            }
            _ => self.invalid = Some(invalid),
        }
    }

    /// HTTP Basic authentication (named `HTTPBasic`).
    pub fn basic() -> Self {
        SecurityScheme::new("HTTPBasic", json!({ "type": "http", "scheme": "basic" }))
    }

    /// HTTP Digest authentication (named `HTTPDigest`).
    pub fn digest() -> Self {
        SecurityScheme::new("HTTPDigest", json!({ "type": "http", "scheme": "digest" }))
    }

    /// OpenID Connect, described by the discovery document at `url`
    /// (named `OpenIdConnect`).
    pub fn openid_connect(url: impl Into<String>) -> Self {
        SecurityScheme::new(
            "OpenIdConnect",
            json!({ "type": "openIdConnect", "openIdConnectUrl": url.into() }),
        )
    }

    /// `Authorization: Bearer <token>` (named `HTTPBearer`, as FastAPI's
    /// `HTTPBearer` is).
    pub fn bearer() -> Self {
        SecurityScheme::new("HTTPBearer", json!({ "type": "http", "scheme": "bearer" }))
    }

    /// An API key in the header `name` (named `APIKeyHeader`).
    pub fn api_key_header(name: impl Into<String>) -> Self {
        SecurityScheme::new(
            "APIKeyHeader",
            json!({ "type": "apiKey", "in": "header", "name": name.into() }),
        )
    }

    /// An API key in the query parameter `name` (named `APIKeyQuery`).
    pub fn api_key_query(name: impl Into<String>) -> Self {
        SecurityScheme::new(
            "APIKeyQuery",
            json!({ "type": "apiKey", "in": "query", "name": name.into() }),
        )
    }

    /// An API key in the cookie `name` (named `APIKeyCookie`).
    pub fn api_key_cookie(name: impl Into<String>) -> Self {
        SecurityScheme::new(
            "APIKeyCookie",
            json!({ "type": "apiKey", "in": "cookie", "name": name.into() }),
        )
    }

    /// Names the scheme in the document (two different schemes need two
    /// names).
    #[must_use]
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// A hint about the bearer token's format, e.g. `JWT`.
    #[must_use]
    pub fn bearer_format(mut self, format: impl Into<String>) -> Self {
        self.value
            .insert("bearerFormat".to_owned(), Value::String(format.into()));
        self
    }

    /// A description shown in the docs.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.value
            .insert("description".to_owned(), Value::String(text.into()));
        self
    }

    /// The scheme's name in the document.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn to_value(&self) -> Value {
        Value::Object(self.value.clone())
    }

    /// Why the scheme cannot be documented, if it cannot.
    pub(crate) fn invalid(&self) -> Option<&'static str> {
        self.invalid
    }
}

/// One parameter, as the document lists it.
#[derive(Debug, Clone)]
pub(crate) struct Parameter {
    pub(crate) name: String,
    pub(crate) location: ParameterIn,
    pub(crate) required: bool,
    pub(crate) schema: Value,
    pub(crate) description: Option<String>,
    pub(crate) deprecated: bool,
}

impl Parameter {
    pub(crate) fn to_value(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".to_owned(), Value::String(self.name.clone()));
        out.insert(
            "in".to_owned(),
            Value::String(self.location.as_str().to_owned()),
        );
        out.insert("required".to_owned(), Value::Bool(self.required));
        if let Some(description) = &self.description {
            out.insert("description".to_owned(), Value::String(description.clone()));
        }
        if self.deprecated {
            out.insert("deprecated".to_owned(), Value::Bool(true));
        }
        out.insert("schema".to_owned(), self.schema.clone());
        Value::Object(out)
    }
}

/// One response: a description and its content, by media type.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseSpec {
    pub(crate) description: Option<Cow<'static, str>>,
    /// Media type and schema (`None`: no schema, e.g. raw bytes).
    pub(crate) content: Vec<(Cow<'static, str>, Option<Value>)>,
}

impl ResponseSpec {
    pub(crate) fn to_value(&self, default_description: &str) -> Value {
        let mut out = Map::new();
        let description = self.description.as_deref().unwrap_or(default_description);
        out.insert(
            "description".to_owned(),
            Value::String(description.to_owned()),
        );
        if !self.content.is_empty() {
            let mut content = Map::new();
            for (media_type, schema) in &self.content {
                let mut media = Map::new();
                if let Some(schema) = schema {
                    media.insert("schema".to_owned(), schema.clone());
                }
                content.insert(media_type.to_string(), Value::Object(media));
            }
            out.insert("content".to_owned(), Value::Object(content));
        }
        Value::Object(out)
    }
}

/// Media types and their schemas (`None`: any value).
pub(crate) type Content = Vec<(Cow<'static, str>, Option<Value>)>;

/// What the extractors, the return type and the middleware of one
/// operation declared.
#[derive(Debug, Default)]
pub(crate) struct Operation {
    pub(crate) parameters: Vec<Parameter>,
    /// Media type and schema of the body, and whether it is required.
    pub(crate) request_body: Option<(Content, bool)>,
    /// The success response, from the return type.
    pub(crate) success: ResponseSpec,
    /// Other responses a middleware or an extractor declared.
    pub(crate) responses: Vec<(StatusCode, ResponseSpec)>,
    /// Security requirements: each scheme and its scopes.
    pub(crate) security: Vec<(SecurityScheme, Vec<String>)>,
    /// Whether an extractor validates input (the operation gets a 422).
    pub(crate) validates: bool,
}

/// The description of one operation, as the app is built: extractors add
/// their parameters and bodies to it ([`Declaration::openapi`](crate::extract::Declaration::openapi)),
/// middleware its security ([`Middleware::describe`](crate::Middleware::describe)).
///
/// A schema comes from the type's [`JsonSchema`] (derive it with
/// `#[derive(schemars::JsonSchema)]`); a named model becomes a component
/// schema that the operation refers to.
///
/// ```
/// use sluice::extract::{Declaration, FromRequestParts, RequestContext};
/// use sluice::openapi::{OpenApi, ParameterIn};
/// use sluice::testing::TestClient;
/// use sluice::{App, HttpError};
/// use sluice::http::request::Parts;
///
/// /// The `x-tenant` header, as a number.
/// struct Tenant(u32);
///
/// impl FromRequestParts for Tenant {
///     type Rejection = HttpError;
///
///     async fn from_request_parts(parts: &mut Parts, _cx: &RequestContext) -> Result<Self, HttpError> {
///         parts.headers.get("x-tenant")
///             .and_then(|v| v.to_str().ok()?.parse().ok())
///             .map(Tenant)
///             .ok_or_else(|| HttpError::new(400, "x-tenant is missing"))
///     }
///
///     fn declare(decl: &mut Declaration<'_>) {
///         if let Some(doc) = decl.openapi() {
///             doc.parameter::<u32>("x-tenant", ParameterIn::Header, true);
///         }
///     }
/// }
///
/// async fn tenant(Tenant(id): Tenant) -> String { id.to_string() }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().get("/tenant", tenant).openapi(OpenApi::new()));
/// let doc: serde_json::Value = client.get("/openapi.json").await.json();
/// let parameter = &doc["paths"]["/tenant"]["get"]["parameters"][0];
/// assert_eq!(parameter["name"], "x-tenant");
/// assert_eq!(parameter["in"], "header");
/// assert_eq!(parameter["schema"]["type"], "integer");
/// # }
/// ```
pub struct OperationDoc<'a> {
    method: &'a Method,
    path: &'a str,
    path_params: &'a [Arc<str>],
    schemas: &'a mut Schemas,
    op: &'a mut Operation,
}

impl fmt::Debug for OperationDoc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperationDoc")
            .field("method", self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<'a> OperationDoc<'a> {
    pub(crate) fn new(
        method: &'a Method,
        path: &'a str,
        path_params: &'a [Arc<str>],
        schemas: &'a mut Schemas,
        op: &'a mut Operation,
    ) -> Self {
        OperationDoc {
            method,
            path,
            path_params,
            schemas,
            op,
        }
    }

    /// The operation's method.
    pub fn method(&self) -> &Method {
        self.method
    }

    /// The route's path as declared, e.g. `/items/{item_id}`.
    pub fn path(&self) -> &str {
        self.path
    }

    /// One parameter whose value is a `T`.
    pub fn parameter<T: JsonSchema + ?Sized>(
        &mut self,
        name: impl Into<String>,
        location: ParameterIn,
        required: bool,
    ) {
        let schema = self.schemas.schema_for::<T>(Side::Input);
        self.push_parameter(name.into(), location, required, schema);
    }

    /// One parameter per property of `T` (a struct): FastAPI's query,
    /// header and cookie parameters. A property is required unless it has
    /// a default or may be missing (`Option`); its schema carries the
    /// default and its doc comment. Header names are written with `-` for
    /// `_`, as [`Headers`](crate::extract::Headers) reads them.
    pub fn parameters<T: JsonSchema + ?Sized>(&mut self, location: ParameterIn) {
        let schema = self.schemas.inline_schema_for::<T>(Side::Input);
        let resolved = self.schemas.resolve(Side::Input, &schema).clone();
        let Some((properties, required)) = object_properties(&resolved) else {
            // A map or any value: no parameter to name.
            self.op.validates = true;
            return;
        };
        for (name, property) in properties {
            let is_required = location == ParameterIn::Path || required.contains(&name.as_str());
            let name = match location {
                ParameterIn::Header => name.replace('_', "-"),
                _ => name.clone(),
            };
            self.push_parameter(name, location, is_required, property.clone());
        }
    }

    /// The path parameters `T` reads, as [`Path<T>`](crate::extract::Path)
    /// does: a struct by field name, a tuple by position, a single value
    /// for the route's one parameter.
    pub fn path_parameters<T: JsonSchema + ?Sized>(&mut self) {
        let schema = self.schemas.inline_schema_for::<T>(Side::Input);
        let resolved = self.schemas.resolve(Side::Input, &schema).clone();
        let names: Vec<Arc<str>> = self.path_params.to_vec();
        if let Some((properties, _)) = object_properties(&resolved) {
            for name in &names {
                if let Some(property) = properties.get(&**name) {
                    self.push_parameter(
                        name.to_string(),
                        ParameterIn::Path,
                        true,
                        property.clone(),
                    );
                }
            }
            return;
        }
        let by_position = resolved
            .get("prefixItems")
            .and_then(Value::as_array)
            .cloned();
        let each = resolved
            .get("items")
            .or_else(|| resolved.get("additionalProperties"))
            .filter(|_| resolved.get("prefixItems").is_none() && is_container(&resolved))
            .cloned();
        for (i, name) in names.iter().enumerate() {
            let schema = match (&by_position, &each) {
                (Some(positions), _) => match positions.get(i) {
                    Some(schema) => schema.clone(),
                    None => continue,
                },
                (None, Some(each)) => each.clone(),
                (None, None) if names.len() == 1 => self.schemas.schema_for::<T>(Side::Input),
                (None, None) => continue,
            };
            self.push_parameter(name.to_string(), ParameterIn::Path, true, schema);
        }
    }

    fn push_parameter(
        &mut self,
        name: String,
        location: ParameterIn,
        required: bool,
        mut schema: Value,
    ) {
        self.op.validates = true;
        let description = match &mut schema {
            Value::Object(map) => map
                .remove("description")
                .and_then(|d| d.as_str().map(str::to_owned)),
            _ => None,
        };
        let deprecated = schema.get("deprecated").and_then(Value::as_bool) == Some(true);
        if let Some(existing) = self
            .op
            .parameters
            .iter_mut()
            .find(|p| p.name == name && p.location == location)
        {
            existing.required |= required;
            return;
        }
        self.op.parameters.push(Parameter {
            name,
            location,
            required,
            schema,
            description,
            deprecated,
        });
    }

    /// A JSON request body holding a `T`, as [`Json<T>`](crate::Json)
    /// reads it; `required` is false for an optional body.
    pub fn json_body<T: JsonSchema + ?Sized>(&mut self, required: bool) {
        self.model_body::<T>("application/json", required);
    }

    /// A form body (`application/x-www-form-urlencoded`) holding a `T`,
    /// required or not; the operation gets FastAPI's 422.
    pub fn form_body<T: JsonSchema + ?Sized>(&mut self, required: bool) {
        self.model_body::<T>("application/x-www-form-urlencoded", required);
    }

    /// A `multipart/form-data` body holding a `T` (a form with files),
    /// required or not; the operation gets FastAPI's 422.
    pub fn multipart_form_body<T: JsonSchema + ?Sized>(&mut self, required: bool) {
        self.model_body::<T>("multipart/form-data", required);
    }

    fn model_body<T: JsonSchema + ?Sized>(&mut self, media_type: &'static str, required: bool) {
        let schema = self.schemas.schema_for::<T>(Side::Input);
        self.op.validates = true;
        self.op.request_body = Some((vec![(Cow::Borrowed(media_type), Some(schema))], required));
    }

    /// A request body of `media_type`, with the schema of `T` if given
    /// (raw bodies have none). It does not add a 422.
    pub fn body(
        &mut self,
        media_type: impl Into<Cow<'static, str>>,
        schema: Option<Value>,
        required: bool,
    ) {
        self.op.request_body = Some((vec![(media_type.into(), schema)], required));
    }

    /// Says that the operation validates input, so it documents FastAPI's
    /// 422 response. Parameters and JSON bodies say so themselves.
    pub fn validates(&mut self) {
        self.op.validates = true;
    }

    /// Requires `scheme` for the operation (with OAuth scopes, if any).
    pub fn security(&mut self, scheme: SecurityScheme, scopes: &[&str]) {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        if !self
            .op
            .security
            .iter()
            .any(|(s, sc)| s.name() == scheme.name() && *sc == scopes)
        {
            self.op.security.push((scheme, scopes));
        }
    }

    /// Adds a response: `status`, its description, and its content as
    /// `describe` gives it (e.g. `<Json<Message> as IntoResponse>::describe`,
    /// or `|_| {}` for none).
    pub fn response(
        &mut self,
        status: StatusCode,
        description: impl Into<Cow<'static, str>>,
        describe: fn(&mut ResponseDoc<'_>),
    ) {
        let mut spec = ResponseSpec {
            description: Some(description.into()),
            content: Vec::new(),
        };
        describe(&mut ResponseDoc {
            schemas: self.schemas,
            spec: &mut spec,
        });
        self.op.responses.retain(|(s, _)| *s != status);
        self.op.responses.push((status, spec));
    }

    /// The success response, from the handler's return type.
    pub(crate) fn success(&mut self, describe: fn(&mut ResponseDoc<'_>)) {
        let mut spec = ResponseSpec::default();
        describe(&mut ResponseDoc {
            schemas: self.schemas,
            spec: &mut spec,
        });
        self.op.success = spec;
    }

    /// Where the description is now, for [`OperationDoc::optional_since`].
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            parameters: self.op.parameters.len(),
            had_body: self.op.request_body.is_some(),
            validates: self.op.validates,
        }
    }

    /// Makes what was described since `mark` optional: an extractor whose
    /// failure the handler takes as `None`.
    pub(crate) fn optional_since(&mut self, mark: Mark) {
        for parameter in &mut self.op.parameters[mark.parameters..] {
            if parameter.location != ParameterIn::Path {
                parameter.required = false;
            }
        }
        if !mark.had_body {
            if let Some((_, required)) = &mut self.op.request_body {
                *required = false;
            }
        }
        self.op.validates = mark.validates;
    }

    /// The names of the path parameters documented so far.
    pub(crate) fn documented_path_params(&self) -> impl Iterator<Item = &str> {
        self.op
            .parameters
            .iter()
            .filter(|p| p.location == ParameterIn::Path)
            .map(|p| p.name.as_str())
    }
}

/// A point in an operation's description.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    parameters: usize,
    had_body: bool,
    validates: bool,
}

fn is_container(schema: &Value) -> bool {
    matches!(
        schema.get("type").and_then(Value::as_str),
        Some("array" | "object")
    )
}

/// The content of a response, as a type describes it in
/// [`IntoResponse::describe`](crate::IntoResponse::describe).
///
/// ```
/// use sluice::openapi::ResponseDoc;
/// use sluice::{IntoResponse, Response};
///
/// /// A CSV export.
/// struct Csv(String);
///
/// impl IntoResponse for Csv {
///     fn into_response(self) -> Response {
///         ([("content-type", "text/csv")], self.0).into_response()
///     }
///
///     fn describe(doc: &mut ResponseDoc<'_>) {
///         let schema = doc.schema_for::<String>();
///         doc.content("text/csv", Some(schema));
///     }
/// }
/// ```
pub struct ResponseDoc<'a> {
    schemas: &'a mut Schemas,
    spec: &'a mut ResponseSpec,
}

impl fmt::Debug for ResponseDoc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseDoc")
            .field("content", &self.spec.content)
            .finish_non_exhaustive()
    }
}

impl ResponseDoc<'_> {
    /// The schema of `T` as the app writes it: a `$ref` to a component for
    /// a named model.
    pub fn schema_for<T: JsonSchema + ?Sized>(&mut self) -> Value {
        self.schemas.schema_for::<T>(Side::Output)
    }

    /// Content of `media_type`, with a schema if there is one.
    pub fn content(&mut self, media_type: impl Into<Cow<'static, str>>, schema: Option<Value>) {
        let media_type = media_type.into();
        self.spec.content.retain(|(m, _)| *m != media_type);
        self.spec.content.push((media_type, schema));
    }

    /// `application/json` content holding a `T`.
    pub fn json<T: JsonSchema + ?Sized>(&mut self) {
        let schema = self.schema_for::<T>();
        self.content("application/json", Some(schema));
    }

    /// The response's description (the document says "Successful
    /// Response" otherwise).
    pub fn description(&mut self, text: impl Into<Cow<'static, str>>) {
        self.spec.description = Some(text.into());
    }
}

/// What a route says about its operation beyond its types: FastAPI's
/// `summary=`, `tags=`, `status_code=`, ... of a path operation.
#[derive(Clone, Debug)]
pub(crate) struct RouteDoc {
    pub(crate) summary: Option<Cow<'static, str>>,
    pub(crate) description: Option<Cow<'static, str>>,
    pub(crate) tags: Vec<Cow<'static, str>>,
    pub(crate) deprecated: bool,
    pub(crate) operation_id: Option<Cow<'static, str>>,
    pub(crate) responses: Vec<ExtraResponse>,
    pub(crate) status: Option<StatusCode>,
    pub(crate) include: bool,
    /// The handler's name, for the default operation id.
    pub(crate) handler_name: Option<&'static str>,
    /// The route's name for `url_for`, in place of the handler's.
    pub(crate) name: Option<Cow<'static, str>>,
}

/// A response a route declares beyond its success response.
#[derive(Clone)]
pub(crate) struct ExtraResponse {
    pub(crate) status: StatusCode,
    pub(crate) description: Cow<'static, str>,
    pub(crate) describe: fn(&mut ResponseDoc<'_>),
}

impl fmt::Debug for ExtraResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraResponse")
            .field("status", &self.status)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl Default for RouteDoc {
    fn default() -> Self {
        RouteDoc {
            summary: None,
            description: None,
            tags: Vec::new(),
            deprecated: false,
            operation_id: None,
            responses: Vec::new(),
            status: None,
            include: true,
            handler_name: None,
            name: None,
        }
    }
}
