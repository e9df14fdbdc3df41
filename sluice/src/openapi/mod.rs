//! OpenAPI 3.1 from the handlers' types, served at `/openapi.json`, with
//! Swagger UI at `/docs` and ReDoc at `/redoc`, as FastAPI does.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//! use serde_json::Value;
//! use sluice::extract::{Path, Query};
//! use sluice::openapi::OpenApi;
//! use sluice::routing::post;
//! use sluice::testing::TestClient;
//! use sluice::{App, Json, StatusCode};
//!
//! #[derive(Serialize, Deserialize, JsonSchema)]
//! struct Item {
//!     name: String,
//!     price: f64,
//!     #[serde(default)]
//!     tags: Vec<String>,
//! }
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Page {
//!     q: Option<String>,
//!     #[serde(default = "ten")]
//!     limit: u32,
//! }
//! fn ten() -> u32 { 10 }
//!
//! async fn read_item(Path(item_id): Path<i64>, Query(page): Query<Page>) -> Json<Item> {
//!     Json(Item { name: format!("item {item_id}"), price: 1.0, tags: vec![] })
//! }
//!
//! async fn create_item(Json(item): Json<Item>) -> Json<Item> {
//!     Json(item)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/items/{item_id}", read_item)
//!     .route("/items", post(create_item).summary("Create an item").status(StatusCode::CREATED))
//!     .openapi(OpenApi::new().title("Shop").version("1.0.0"));
//! let client = TestClient::new(app);
//!
//! let doc: Value = client.get("/openapi.json").await.json();
//! assert_eq!(doc["openapi"], "3.1.0");
//! assert_eq!(doc["info"]["title"], "Shop");
//! let read = &doc["paths"]["/items/{item_id}"]["get"];
//! assert_eq!(read["summary"], "Read Item");
//! assert_eq!(read["parameters"][0]["name"], "item_id");
//! assert_eq!(read["parameters"][2]["schema"]["default"], 10);
//! assert_eq!(read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Item");
//! assert!(read["responses"]["422"].is_object());
//! let create = &doc["paths"]["/items"]["post"];
//! assert!(create["responses"]["201"].is_object());
//! assert_eq!(create["requestBody"]["required"], true);
//! assert_eq!(doc["components"]["schemas"]["Item"]["required"], serde_json::json!(["name", "price"]));
//!
//! let docs = client.get("/docs").await;
//! assert!(docs.text().contains("SwaggerUIBundle"));
//! assert_eq!(client.post("/items").json(&serde_json::json!({"name": "x", "price": 2})).await.status(), 201);
//! # }
//! ```
//!
//! # Where the document comes from
//!
//! From the same types that read the request, and nothing else:
//!
//! | in the handler | in the document |
//! |---|---|
//! | [`Path<T>`](crate::extract::Path) | path parameters: a struct's fields by name, a tuple by position, one value for the route's one parameter |
//! | [`Query<T>`](crate::extract::Query) | a query parameter per field of `T`: required unless it is an `Option` or has a default, with the default and the field's doc comment |
//! | [`Headers<T>`](crate::extract::Headers) | a header parameter per field (`x_token` is `x-token`) |
//! | [`Cookies<T>`](crate::extract::Cookies) | a cookie parameter per field |
//! | [`Json<T>`](crate::Json) (argument) | the request body (`Option<Json<T>>`: not required) |
//! | [`Form<T>`](crate::extract::Form) | an `application/x-www-form-urlencoded` request body holding `T`, or `multipart/form-data` when `T` has [`UploadFile`](crate::extract::UploadFile) fields (each a `format: binary` string) |
//! | [`Multipart`](crate::extract::Multipart) | a `multipart/form-data` request body |
//! | any of these | the 422 response, with FastAPI's `HTTPValidationError` and `ValidationError` schemas |
//! | the return type | the success response: `Json<T>` is `application/json` with `T`'s schema, `String` is `text/plain`, `Html` is `text/html`, `()` and `StatusCode` have no content, `Result<T, E>` and `(StatusCode, T)` are `T`'s |
//! | [`Authentication`](crate::middleware::Authentication) around the route | its security scheme (bearer or API key, or the one given to `openapi_scheme`) |
//!
//! The schemas come from [`schemars`] (JSON Schema 2020-12, the dialect of
//! OpenAPI 3.1), which reads serde's attributes (`rename`, `rename_all`,
//! `default`, `skip`, `flatten`, enum representations) and doc comments.
//! Each model used in a body or a response is a component schema named
//! after it and referred to with `$ref`; a model whose reading and writing
//! schemas differ (a field skipped when writing, say) gets two,
//! `Name-Input` and `Name-Output`, as in FastAPI. `Option<T>` is `T` or
//! `null`.
//!
//! So every model in `Json<T>`, `Form<T>`, `Query<T>`, `Path<T>`,
//! `Headers<T>` and `Cookies<T>` derives
//! [`JsonSchema`](schemars::JsonSchema) as well as serde's traits
//! (add `schemars = "1"` to your dependencies), whether or not the app
//! serves a document: the extractors need it to describe themselves. An
//! untyped JSON value is `serde_json::Value` (`{}` in the document). A
//! type from another crate without a `JsonSchema` goes in a field marked
//! `#[schemars(with = "...")]`, or in a newtype of your own.
//!
//! # What the route says
//!
//! The rest is said where the route is declared, on its
//! [`MethodRouter`](crate::routing::MethodRouter) (each setting applies to
//! the handler just before it) or its [`Router`](crate::Router):
//! [`summary`](crate::routing::MethodRouter::summary),
//! [`description`](crate::routing::MethodRouter::description),
//! [`tag`](crate::routing::MethodRouter::tag),
//! [`deprecated`](crate::routing::MethodRouter::deprecated),
//! [`operation_id`](crate::routing::MethodRouter::operation_id),
//! [`response`](crate::routing::MethodRouter::response),
//! [`status`](crate::routing::MethodRouter::status) (FastAPI's
//! `status_code=`: the document's success status, and the response's
//! when the handler's is 200) and
//! [`include_in_schema`](crate::routing::MethodRouter::include_in_schema).
//! Without a summary, an operation's is its handler's name in title case
//! (`read_item` is "Read Item"), and its id is FastAPI's
//! (`read_item_items__item_id__get`).
//!
//! # When it is built
//!
//! Once, in [`App::build`](crate::App::build), never per request; routes
//! other than the docs' own pay nothing. Building fails with a
//! [`ConfigError`](crate::ConfigError) when the document could not be
//! right: a route parameter that no `Path<T>` names (the document must
//! describe every parameter of a path), or two operations with the same
//! id.
//!
//! # The docs pages
//!
//! `/docs`, `/redoc`, `/openapi.json` and `/docs/oauth2-redirect` (where
//! Swagger UI's OAuth2 flows come back to) are ordinary routes of the app,
//! so its middleware (CORS, authentication, ...) applies to them too; they
//! are not in the document. Each path can be changed or turned off
//! ([`OpenApi::docs_url`], ...). The pages load Swagger UI and ReDoc from
//! the jsDelivr CDN, at URLs you can change; with the `embedded-docs`
//! feature, the app serves them itself (from `{docs_url}/swagger-ui-bundle.js`,
//! `{docs_url}/swagger-ui.css` and `{redoc_url}/redoc.standalone.js`), for
//! machines that cannot reach a CDN.
//!
//! An app [mounted](crate::App::mount) under a prefix serves its docs
//! below it: the pages name `{prefix}{openapi_url}` and their assets under
//! the prefix, and the document lists the prefix first in `servers`, as
//! FastAPI does under a `root_path`, so "Try it out" calls the mounted
//! routes.

use std::borrow::Cow;

use serde_json::{Map, Value};

mod document;
mod operation;
mod pages;
mod schemas;

pub(crate) use document::{DocBuilder, Entry};
pub(crate) use operation::{ExtraResponse, Operation, RouteDoc};
pub use operation::{OperationDoc, ParameterIn, ResponseDoc, SecurityScheme};
pub use pages::{REDOC_VERSION, SWAGGER_UI_VERSION};

/// The app's OpenAPI document and docs pages: what
/// [`App::openapi`](crate::App::openapi) takes.
///
/// The defaults are FastAPI's: title `sluice`, version `0.1.0`, the
/// document at `/openapi.json`, Swagger UI at `/docs`, ReDoc at `/redoc`.
///
/// ```
/// use sluice::openapi::OpenApi;
///
/// let docs = OpenApi::new()
///     .title("Shop")
///     .version("2.1.0")
///     .description("Items and orders.")
///     .server("https://api.example.com", "production")
///     .tag("items", "Everything about items")
///     .redoc_url(None); // no ReDoc page
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct OpenApi {
    title: Cow<'static, str>,
    version: Cow<'static, str>,
    summary: Option<String>,
    description: Option<String>,
    terms_of_service: Option<String>,
    contact: Option<Value>,
    license: Option<Value>,
    pub(crate) servers: Vec<Value>,
    pub(crate) tags: Vec<Value>,
    openapi_url: Option<String>,
    docs_url: Option<String>,
    redoc_url: Option<String>,
    swagger_ui_js_url: Option<String>,
    swagger_ui_css_url: Option<String>,
    redoc_js_url: Option<String>,
    favicon_url: Option<String>,
    swagger_ui_parameters: Map<String, Value>,
    swagger_ui_oauth2_redirect_url: Option<String>,
    swagger_ui_init_oauth: Option<Value>,
}

impl Default for OpenApi {
    fn default() -> Self {
        OpenApi::new()
    }
}

impl OpenApi {
    /// FastAPI's defaults.
    pub fn new() -> Self {
        OpenApi {
            title: Cow::Borrowed("sluice"),
            version: Cow::Borrowed("0.1.0"),
            summary: None,
            description: None,
            terms_of_service: None,
            contact: None,
            license: None,
            servers: Vec::new(),
            tags: Vec::new(),
            openapi_url: Some("/openapi.json".to_owned()),
            docs_url: Some("/docs".to_owned()),
            redoc_url: Some("/redoc".to_owned()),
            swagger_ui_js_url: None,
            swagger_ui_css_url: None,
            redoc_js_url: None,
            favicon_url: None,
            swagger_ui_parameters: Map::new(),
            swagger_ui_oauth2_redirect_url: Some("/docs/oauth2-redirect".to_owned()),
            swagger_ui_init_oauth: None,
        }
    }

    /// The API's title (`info.title`), also the pages' title.
    pub fn title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = title.into();
        self
    }

    /// The API's version (`info.version`), not OpenAPI's.
    pub fn version(mut self, version: impl Into<Cow<'static, str>>) -> Self {
        self.version = version.into();
        self
    }

    /// A short summary of the API (`info.summary`).
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// A description of the API (`info.description`); Markdown.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// A URL to the terms of service (`info.termsOfService`).
    pub fn terms_of_service(mut self, url: impl Into<String>) -> Self {
        self.terms_of_service = Some(url.into());
        self
    }

    /// Who to contact about the API (`info.contact`); empty strings are
    /// left out.
    pub fn contact(mut self, name: &str, url: &str, email: &str) -> Self {
        let mut contact = Map::new();
        for (key, value) in [("name", name), ("url", url), ("email", email)] {
            if !value.is_empty() {
                contact.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
        self.contact = Some(Value::Object(contact));
        self
    }

    /// The API's license (`info.license`): its name and an SPDX
    /// identifier (e.g. `"MIT"`), or `""` for none.
    pub fn license(mut self, name: &str, identifier: &str) -> Self {
        let mut license = Map::new();
        license.insert("name".to_owned(), Value::String(name.to_owned()));
        if !identifier.is_empty() {
            license.insert(
                "identifier".to_owned(),
                Value::String(identifier.to_owned()),
            );
        }
        self.license = Some(Value::Object(license));
        self
    }

    /// Adds a server the API is served from (`servers`), with a
    /// description (`""` for none).
    pub fn server(mut self, url: &str, description: &str) -> Self {
        let mut server = Map::new();
        server.insert("url".to_owned(), Value::String(url.to_owned()));
        if !description.is_empty() {
            server.insert(
                "description".to_owned(),
                Value::String(description.to_owned()),
            );
        }
        self.servers.push(Value::Object(server));
        self
    }

    /// Describes a tag (FastAPI's `openapi_tags`); the docs list tags in
    /// the order described here.
    pub fn tag(mut self, name: &str, description: &str) -> Self {
        let mut tag = Map::new();
        tag.insert("name".to_owned(), Value::String(name.to_owned()));
        if !description.is_empty() {
            tag.insert(
                "description".to_owned(),
                Value::String(description.to_owned()),
            );
        }
        self.tags.push(Value::Object(tag));
        self
    }

    /// Where the document is served (`/openapi.json`); `None` serves no
    /// document, and so no docs pages either.
    pub fn openapi_url(mut self, path: Option<&str>) -> Self {
        self.openapi_url = path.map(str::to_owned);
        self
    }

    /// Where Swagger UI is served (`/docs`); `None` for nowhere.
    pub fn docs_url(mut self, path: Option<&str>) -> Self {
        self.docs_url = path.map(str::to_owned);
        self
    }

    /// Where ReDoc is served (`/redoc`); `None` for nowhere.
    pub fn redoc_url(mut self, path: Option<&str>) -> Self {
        self.redoc_url = path.map(str::to_owned);
        self
    }

    /// The URL of Swagger UI's script (`swagger-ui-bundle.js`), e.g. on
    /// your own CDN.
    pub fn swagger_ui_js_url(mut self, url: impl Into<String>) -> Self {
        self.swagger_ui_js_url = Some(url.into());
        self
    }

    /// The URL of Swagger UI's stylesheet (`swagger-ui.css`).
    pub fn swagger_ui_css_url(mut self, url: impl Into<String>) -> Self {
        self.swagger_ui_css_url = Some(url.into());
        self
    }

    /// The URL of ReDoc's script (`redoc.standalone.js`).
    pub fn redoc_js_url(mut self, url: impl Into<String>) -> Self {
        self.redoc_js_url = Some(url.into());
        self
    }

    /// The URL of the pages' favicon (none by default).
    pub fn favicon_url(mut self, url: impl Into<String>) -> Self {
        self.favicon_url = Some(url.into());
        self
    }

    /// A Swagger UI configuration parameter (FastAPI's
    /// `swagger_ui_parameters`), e.g. `("docExpansion", json!("none"))`.
    pub fn swagger_ui_parameter(mut self, name: &str, value: Value) -> Self {
        self.swagger_ui_parameters.insert(name.to_owned(), value);
        self
    }

    /// Where Swagger UI's OAuth2 flows come back to
    /// (`/docs/oauth2-redirect`, as in FastAPI, whatever
    /// [`docs_url`](OpenApi::docs_url) is); `None` for nowhere. Served
    /// with Swagger UI only, and needed for the flows that leave the page
    /// ([`SecurityScheme::oauth2_authorization_code`], implicit), not for
    /// [`SecurityScheme::oauth2_password`]. Register this URL, on your
    /// app's origin, as a redirect URI with your authorization server.
    ///
    /// ```
    /// use sluice::openapi::OpenApi;
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().openapi(OpenApi::new()));
    /// let page = client.get("/docs/oauth2-redirect").await;
    /// assert_eq!(page.status(), 200);
    /// assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    /// assert!(page.text().contains("swaggerUIRedirectOauth2"));
    /// // The docs page sends the flows there.
    /// let docs = client.get("/docs").await.text();
    /// assert!(docs.contains(r#"window.location.origin + "/docs/oauth2-redirect""#));
    ///
    /// let client = TestClient::new(
    ///     App::new().openapi(OpenApi::new().swagger_ui_oauth2_redirect_url(None)),
    /// );
    /// assert_eq!(client.get("/docs/oauth2-redirect").await.status(), 404);
    /// assert!(!client.get("/docs").await.text().contains("oauth2RedirectUrl"));
    /// # }
    /// ```
    pub fn swagger_ui_oauth2_redirect_url(mut self, path: Option<&str>) -> Self {
        self.swagger_ui_oauth2_redirect_url = path.map(str::to_owned);
        self
    }

    /// The settings Swagger UI's OAuth2 dialog starts with (FastAPI's
    /// `swagger_ui_init_oauth`, given to Swagger UI's `initOAuth`), e.g.
    /// `json!({"clientId": "docs", "usePkceWithAuthorizationCodeGrant": true})`.
    /// A client secret put here is shown to everyone who opens the docs.
    /// Anything but a JSON object fails the build.
    ///
    /// ```
    /// use serde_json::json;
    /// use sluice::openapi::OpenApi;
    /// use sluice::testing::TestClient;
    /// use sluice::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let docs = OpenApi::new().swagger_ui_init_oauth(json!({ "clientId": "docs" }));
    /// let client = TestClient::new(App::new().openapi(docs));
    /// let page = client.get("/docs").await.text();
    /// assert!(page.contains(r#"window.ui.initOAuth({"clientId":"docs"});"#));
    /// # }
    /// ```
    pub fn swagger_ui_init_oauth(mut self, settings: Value) -> Self {
        self.swagger_ui_init_oauth = Some(settings);
        self
    }

    /// The settings that can only be wrong, reported when the app is built.
    pub(crate) fn check(&self) -> Result<(), crate::ConfigError> {
        match &self.swagger_ui_init_oauth {
            Some(settings) if !settings.is_object() => Err(crate::ConfigError::OpenApi {
                reason: format!(
                    "swagger_ui_init_oauth takes an object of Swagger UI's initOAuth \
                     settings, not {settings}"
                ),
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn info(&self) -> Value {
        let mut info = Map::new();
        info.insert("title".to_owned(), Value::String(self.title.to_string()));
        if let Some(summary) = &self.summary {
            info.insert("summary".to_owned(), Value::String(summary.clone()));
        }
        if let Some(description) = &self.description {
            info.insert("description".to_owned(), Value::String(description.clone()));
        }
        if let Some(terms) = &self.terms_of_service {
            info.insert("termsOfService".to_owned(), Value::String(terms.clone()));
        }
        if let Some(contact) = &self.contact {
            info.insert("contact".to_owned(), contact.clone());
        }
        if let Some(license) = &self.license {
            info.insert("license".to_owned(), license.clone());
        }
        info.insert(
            "version".to_owned(),
            Value::String(self.version.to_string()),
        );
        Value::Object(info)
    }

    /// The paths the docs routes take, to check them before routing.
    pub(crate) fn routes(&self) -> Vec<DocsRoute> {
        let mut routes = Vec::new();
        let Some(openapi_url) = &self.openapi_url else {
            return routes;
        };
        routes.push(DocsRoute {
            path: openapi_url.clone(),
            kind: DocsKind::Document,
        });
        // The pages name the document and their own assets below the
        // prefix of the mount the app is served under, if any.
        let document_url = format!("{ROOT_PATH}{openapi_url}");
        if let Some(docs_url) = &self.docs_url {
            let (js, css) = match (&self.swagger_ui_js_url, &self.swagger_ui_css_url) {
                (Some(js), Some(css)) => (js.clone(), css.clone()),
                (js, css) => {
                    let local = cfg!(feature = "embedded-docs");
                    let js = js.clone().unwrap_or_else(|| {
                        if local {
                            format!(
                                "{ROOT_PATH}{}",
                                asset_path(docs_url, pages::SWAGGER_UI_JS_FILE)
                            )
                        } else {
                            pages::SWAGGER_UI_JS_CDN.to_owned()
                        }
                    });
                    let css = css.clone().unwrap_or_else(|| {
                        if local {
                            format!(
                                "{ROOT_PATH}{}",
                                asset_path(docs_url, pages::SWAGGER_UI_CSS_FILE)
                            )
                        } else {
                            pages::SWAGGER_UI_CSS_CDN.to_owned()
                        }
                    });
                    (js, css)
                }
            };
            let redirect_url = self
                .swagger_ui_oauth2_redirect_url
                .as_ref()
                .map(|path| format!("{ROOT_PATH}{path}"));
            let oauth = pages::SwaggerOAuth {
                redirect_url: redirect_url.as_deref(),
                init: self.swagger_ui_init_oauth.as_ref(),
            };
            let page = pages::swagger_ui(
                &self.title,
                &document_url,
                &js,
                &css,
                self.favicon_url.as_deref(),
                &self.swagger_ui_parameters,
                oauth,
            );
            routes.push(DocsRoute {
                path: docs_url.clone(),
                kind: DocsKind::Html(page),
            });
            if let Some(path) = &self.swagger_ui_oauth2_redirect_url {
                routes.push(DocsRoute {
                    path: path.clone(),
                    kind: DocsKind::Html(pages::oauth2_redirect(&self.title)),
                });
            }
            #[cfg(feature = "embedded-docs")]
            for (file, content_type, bytes) in pages::SWAGGER_UI_ASSETS {
                routes.push(DocsRoute {
                    path: asset_path(docs_url, file),
                    kind: DocsKind::Asset(content_type, bytes),
                });
            }
        }
        if let Some(redoc_url) = &self.redoc_url {
            let js = self.redoc_js_url.clone().unwrap_or_else(|| {
                if cfg!(feature = "embedded-docs") {
                    format!("{ROOT_PATH}{}", asset_path(redoc_url, pages::REDOC_JS_FILE))
                } else {
                    pages::REDOC_JS_CDN.to_owned()
                }
            });
            let page = pages::redoc(&self.title, &document_url, &js, self.favicon_url.as_deref());
            routes.push(DocsRoute {
                path: redoc_url.clone(),
                kind: DocsKind::Html(page),
            });
            #[cfg(feature = "embedded-docs")]
            for (file, content_type, bytes) in pages::REDOC_ASSETS {
                routes.push(DocsRoute {
                    path: asset_path(redoc_url, file),
                    kind: DocsKind::Asset(content_type, bytes),
                });
            }
        }
        routes
    }
}

/// Stands in a docs page for the prefix of the mount the app is served
/// under (Starlette's `root_path`), filled in per request by
/// [`with_root_path`]. Plain ASCII, so that escaping leaves it as it is.
pub(crate) const ROOT_PATH: &str = "__sluice_root_path__";

/// A docs page with `root_path` in place of [`ROOT_PATH`].
pub(crate) fn with_root_path(page: &str, root_path: &str) -> String {
    page.replace(ROOT_PATH, root_path)
}

/// The document as a mounted app serves it: the mount's prefix first in
/// `servers` (unless listed), as FastAPI serves it under a `root_path`.
pub(crate) fn document_under(document: &[u8], root_path: &str) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(document).ok()?;
    let object = value.as_object_mut()?;
    let servers = object
        .entry("servers")
        .or_insert_with(|| Value::Array(Vec::new()));
    let list = servers.as_array_mut()?;
    let listed = list
        .iter()
        .any(|server| server.get("url").and_then(Value::as_str) == Some(root_path));
    if !listed {
        let mut server = Map::new();
        server.insert("url".to_owned(), Value::String(root_path.to_owned()));
        list.insert(0, Value::Object(server));
    }
    crate::floats::to_vec(&value).ok()
}

fn asset_path(page: &str, file: &str) -> String {
    format!("{}/{file}", page.trim_end_matches('/'))
}

/// A route the docs add to the app.
#[derive(Debug)]
pub(crate) struct DocsRoute {
    pub(crate) path: String,
    pub(crate) kind: DocsKind,
}

/// What a docs route serves.
#[derive(Debug)]
pub(crate) enum DocsKind {
    /// The document, once it is built.
    Document,
    /// A page, with [`ROOT_PATH`] where the prefix of a mount goes.
    Html(String),
    /// An embedded asset: its content type and bytes.
    #[cfg_attr(not(feature = "embedded-docs"), allow(dead_code))]
    Asset(&'static str, &'static [u8]),
}
