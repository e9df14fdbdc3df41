//! The OpenAPI document: what each extractor, return type, route setting
//! and middleware puts in it, the docs pages, and the build errors for
//! documents that could not be right.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::extract::{Declaration, Headers, Path, Query};
use sluice::http::request::Parts;
use sluice::middleware::rate_limit::RateLimit;
use sluice::middleware::{Authentication, Rejection};
use sluice::openapi::{OpenApi, ParameterIn, SecurityScheme};
use sluice::routing::{delete, get, post};
use sluice::testing::TestClient;
use sluice::{
    App, ConfigError, Dep, Dependency, Html, HttpError, Json, Method, Next, Request,
    RequestContext, Response, Router, StatusCode,
};

fn document(app: App) -> Value {
    let service = app.openapi(OpenApi::new()).build().expect("the app builds");
    service.openapi().expect("a document").clone()
}

fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "no {method} {path} in {doc:#}");
    op
}

fn parameter<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["parameters"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no parameter {name} in {op:#}"))
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct UserFile {
    user: String,
    file_id: u32,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Search {
    /// Words to look for.
    q: Option<String>,
    #[serde(default = "ten")]
    limit: u32,
    #[serde(default)]
    tag: Vec<String>,
    sort: Sort,
}

fn ten() -> u32 {
    10
}

#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Sort {
    Newest,
    Oldest,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct ClientHeaders {
    user_agent: Option<String>,
    x_request_id: String,
}

async fn by_struct(Path(_p): Path<UserFile>, Query(_s): Query<Search>) {}
async fn by_tuple(Path(_p): Path<(String, i64)>, Headers(_h): Headers<ClientHeaders>) {}
async fn by_value(Path(_id): Path<Sort>) {}

#[test]
fn parameters_come_from_path_query_and_headers() {
    let doc = document(
        App::new()
            .get("/users/{user}/files/{file_id}", by_struct)
            .get("/pairs/{name}/{n}", by_tuple)
            .get("/sorted/{order}", by_value),
    );
    let op = operation(&doc, "/users/{user}/files/{file_id}", "get");
    let names: Vec<&str> = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["user", "file_id", "q", "limit", "tag", "sort"]);
    assert_eq!(
        parameter(op, "file_id"),
        &json!({"name": "file_id", "in": "path", "required": true,
                "schema": {"type": "integer", "format": "uint32", "minimum": 0}})
    );
    let q = parameter(op, "q");
    assert_eq!(q["in"], "query");
    assert_eq!(q["required"], false);
    assert_eq!(q["description"], "Words to look for.");
    assert_eq!(q["schema"]["type"], json!(["string", "null"]));
    assert_eq!(parameter(op, "limit")["schema"]["default"], 10);
    assert_eq!(parameter(op, "limit")["required"], false);
    assert_eq!(parameter(op, "tag")["schema"]["type"], "array");
    assert_eq!(parameter(op, "sort")["required"], true);
    assert_eq!(
        parameter(op, "sort")["schema"]["$ref"],
        "#/components/schemas/Sort"
    );
    assert_eq!(
        doc["components"]["schemas"]["Sort"]["enum"],
        json!(["newest", "oldest"])
    );
    // Parameter models are not components; only what they refer to is.
    assert!(doc["components"]["schemas"].get("Search").is_none());
    assert!(op["responses"]["422"].is_object());

    let op = operation(&doc, "/pairs/{name}/{n}", "get");
    assert_eq!(parameter(op, "name")["schema"]["type"], "string");
    assert_eq!(parameter(op, "n")["schema"]["type"], "integer");
    let header = parameter(op, "x-request-id");
    assert_eq!(
        (&header["in"], &header["required"]),
        (&json!("header"), &json!(true))
    );
    assert_eq!(parameter(op, "user-agent")["required"], false);

    let op = operation(&doc, "/sorted/{order}", "get");
    assert_eq!(
        parameter(op, "order")["schema"]["$ref"],
        "#/components/schemas/Sort"
    );
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Dimensions {
    width: f64,
    height: f64,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Product {
    product_name: String,
    #[serde(rename = "cost")]
    price: f64,
    #[serde(default)]
    in_stock: bool,
    #[serde(skip)]
    #[allow(dead_code)]
    cache_key: u64,
    dimensions: Option<Dimensions>,
    #[serde(flatten)]
    audit: Audit,
    kind: Kind,
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Audit {
    created_by: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Kind {
    Book { pages: u32 },
    Music,
}

async fn create_product(Json(product): Json<Product>) -> (StatusCode, Json<Product>) {
    (StatusCode::CREATED, Json(product))
}

#[test]
fn serde_attributes_shape_the_schemas() {
    let doc = document(App::new().post("/products", create_product));
    let op = operation(&doc, "/products", "post");
    assert_eq!(
        op["requestBody"],
        json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}},
               "required": true})
    );
    let product = &doc["components"]["schemas"]["Product"];
    let properties = product["properties"].as_object().expect("properties");
    let names: Vec<&str> = properties.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["productName", "cost", "inStock", "dimensions", "created_by", "kind"],
        "rename, rename_all, skip and flatten (a flattened struct keeps its own names, as serde reads them)"
    );
    assert_eq!(
        product["required"],
        json!(["productName", "cost", "created_by", "kind"])
    );
    assert_eq!(properties["inStock"]["default"], false);
    assert_eq!(
        properties["dimensions"]["anyOf"],
        json!([{"$ref": "#/components/schemas/Dimensions"}, {"type": "null"}])
    );
    let kind = &doc["components"]["schemas"]["Kind"];
    let variants = kind["oneOf"].as_array().expect("one schema per variant");
    assert_eq!(variants[0]["properties"]["type"]["const"], "book");
    assert_eq!(variants[1]["properties"]["type"]["const"], "music");
    // One schema for reading and writing: a default is not "required"
    // when written either, as in FastAPI.
    assert!(doc["components"]["schemas"].get("Product-Input").is_none());
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Product"
    );
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Account {
    name: String,
    #[serde(skip_serializing)]
    #[allow(dead_code)]
    password: String,
}

async fn sign_up(Json(account): Json<Account>) -> Json<Account> {
    Json(account)
}

#[test]
fn a_model_read_and_written_differently_gets_two_schemas() {
    let doc = document(App::new().post("/accounts", sign_up));
    let schemas = &doc["components"]["schemas"];
    assert!(schemas.get("Account").is_none(), "{schemas:#}");
    assert!(schemas["Account-Input"]["properties"]
        .get("password")
        .is_some());
    assert!(schemas["Account-Output"]["properties"]
        .get("password")
        .is_none());
    let op = operation(&doc, "/accounts", "post");
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Account-Input"
    );
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Account-Output"
    );
}

async fn text() -> String {
    String::new()
}
async fn page() -> Html<&'static str> {
    Html("<p>hi</p>")
}
async fn nothing() {}
async fn status() -> StatusCode {
    StatusCode::ACCEPTED
}
async fn fallible() -> Result<Json<Dimensions>, HttpError> {
    Err(HttpError::new(404, "Not Found"))
}
async fn untyped() -> Json<Value> {
    Json(json!({"user": "me"}))
}
async fn bytes() -> Vec<u8> {
    vec![1, 2, 3]
}

#[test]
fn the_return_type_describes_the_success_response() {
    let doc = document(
        App::new()
            .get("/text", text)
            .get("/page", page)
            .get("/nothing", nothing)
            .get("/status", status)
            .get("/fallible", fallible)
            .get("/untyped", untyped)
            .get("/bytes", bytes),
    );
    let success = |path: &str| operation(&doc, path, "get")["responses"]["200"].clone();
    assert_eq!(
        success("/text"),
        json!({"description": "Successful Response",
               "content": {"text/plain": {"schema": {"type": "string"}}}})
    );
    assert_eq!(
        success("/page")["content"],
        json!({"text/html": {"schema": {"type": "string"}}})
    );
    assert_eq!(
        success("/nothing"),
        json!({"description": "Successful Response"})
    );
    assert_eq!(
        success("/status"),
        json!({"description": "Successful Response"})
    );
    assert_eq!(
        success("/fallible")["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Dimensions"
    );
    assert_eq!(
        success("/untyped")["content"],
        json!({"application/json": {"schema": {}}}),
        "an untyped JSON value is the empty schema, as FastAPI writes it"
    );
    assert_eq!(
        success("/bytes")["content"],
        json!({"application/octet-stream": {}})
    );
    // Nothing here validates input: no 422, and no 422 schemas.
    assert!(operation(&doc, "/text", "get")["responses"]
        .get("422")
        .is_none());
    assert!(doc["components"]["schemas"]
        .get("HTTPValidationError")
        .is_none());
}

async fn create() -> Json<Dimensions> {
    Json(Dimensions {
        width: 1.0,
        height: 2.0,
    })
}
async fn remove(Path(_id): Path<u32>) {}

#[tokio::test]
async fn a_route_status_is_documented_and_sent() {
    let app = || {
        App::new()
            .route("/things", post(create).status(StatusCode::CREATED))
            .route("/things/{id}", delete(remove).status(204))
    };
    let doc = document(app());
    let created = &operation(&doc, "/things", "post")["responses"];
    assert!(created.get("200").is_none());
    assert_eq!(
        created["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Dimensions"
    );
    let removed = &operation(&doc, "/things/{id}", "delete")["responses"];
    assert_eq!(
        removed["204"],
        json!({"description": "Successful Response"})
    );

    // The setting also makes the response's status, documented or not.
    let client = TestClient::new(app());
    assert_eq!(client.post("/things").await.status(), 201);
    let res = client.delete("/things/7").await;
    assert_eq!(res.status(), 204);
    assert!(res.bytes().is_empty());
    // An error keeps its own status.
    assert_eq!(client.delete("/things/x").await.status(), 422);
}

async fn health() -> &'static str {
    "ok"
}

#[tokio::test]
async fn head_the_docs_routes_and_hidden_routes_are_not_listed() {
    let app = App::new()
        .get("/health", health)
        .route("/internal", get(health).include_in_schema(false))
        .include_router(
            "/admin",
            Router::new().get("/stats", health).include_in_schema(false),
        )
        .openapi(OpenApi::new());
    let client = TestClient::new(app);
    let doc: Value = client.get("/openapi.json").await.json();
    let paths: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    assert_eq!(paths, ["/health"]);
    let methods: Vec<&String> = doc["paths"]["/health"]
        .as_object()
        .expect("a path item")
        .keys()
        .collect();
    assert_eq!(methods, ["get"], "the HEAD every GET answers is not listed");
    // Hidden routes still work.
    assert_eq!(client.get("/internal").await.text(), "ok");
    assert_eq!(client.get("/admin/stats").await.text(), "ok");
    assert_eq!(client.head("/health").await.status(), 200);
}

#[derive(Serialize, JsonSchema)]
struct Message {
    message: String,
}

async fn read_thing(Path(_id): Path<u32>) -> Json<Dimensions> {
    Json(Dimensions {
        width: 1.0,
        height: 1.0,
    })
}

#[test]
fn route_and_router_settings_reach_the_document() {
    let things = Router::new()
        .route(
            "/{id}",
            get(read_thing)
                .summary("Read a thing")
                .description("Reads **one** thing.")
                .tag("reads")
                .operation_id("getThing")
                .response::<Json<Message>>(404, "No such thing")
                .delete(remove)
                .deprecated()
                .response::<()>(StatusCode::CONFLICT, "Still in use"),
        )
        .tag("things")
        .response::<Json<Message>>(StatusCode::FORBIDDEN, "Not yours");
    let doc = document(App::new().include_router("/things", things));
    let read = operation(&doc, "/things/{id}", "get");
    assert_eq!(read["summary"], "Read a thing");
    assert_eq!(read["description"], "Reads **one** thing.");
    assert_eq!(
        read["tags"],
        json!(["things", "reads"]),
        "the router's tags first"
    );
    assert_eq!(read["operationId"], "getThing");
    assert!(read.get("deprecated").is_none());
    assert_eq!(read["responses"]["404"]["description"], "No such thing");
    assert_eq!(
        read["responses"]["404"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Message"
    );
    assert_eq!(read["responses"]["403"]["description"], "Not yours");
    let remove = operation(&doc, "/things/{id}", "delete");
    assert_eq!(
        remove["summary"], "Remove",
        "the handler's name in title case"
    );
    assert_eq!(remove["operationId"], "remove_things__id__delete");
    assert_eq!(remove["deprecated"], true);
    assert_eq!(remove["tags"], json!(["things"]));
    assert_eq!(
        remove["responses"]["409"],
        json!({"description": "Still in use"})
    );
    assert!(remove["responses"].get("404").is_none());
}

#[test]
fn a_setting_before_any_handler_fails_the_build() {
    let err = sluice::routing::MethodRouter::new().summary("lost");
    let err = App::new().route("/x", err).build().unwrap_err();
    assert!(
        err.to_string()
            .contains("summary() applies to the handler added just before it"),
        "{err}"
    );
}

#[test]
fn two_operations_with_one_id_fail_the_build() {
    let app = App::new()
        .route("/a", get(health).operation_id("health"))
        .route("/b", get(health).operation_id("health"))
        .openapi(OpenApi::new());
    let err = app.build().unwrap_err();
    assert!(matches!(err, ConfigError::OpenApi { .. }));
    assert_eq!(
        err.to_string(),
        "the OpenAPI document cannot be built: the operation id \"health\" is used by both \
         GET /a and GET /b; give one of them another with .operation_id(...)"
    );
}

async fn ignores_its_parameter() -> &'static str {
    "?"
}

#[test]
fn a_route_parameter_no_path_names_fails_the_build_of_a_documented_app() {
    let app = || App::new().get("/items/{item_id}", ignores_its_parameter);
    let err = app().openapi(OpenApi::new()).build().unwrap_err();
    assert!(matches!(err, ConfigError::Handler { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the handler of GET /items/{item_id} cannot work: the route parameter {item_id} is \
         read by no Path<T> argument, so the OpenAPI document cannot describe it; read it \
         with a Path<T> (a struct field or a tuple position for item_id), or leave the route \
         out of the document with .include_in_schema(false)"
    );
    // Without a document, or with the route left out of it, it builds.
    assert!(app().build().is_ok());
    let hidden = App::new()
        .route(
            "/items/{item_id}",
            get(ignores_its_parameter).include_in_schema(false),
        )
        .openapi(OpenApi::new());
    assert!(hidden.build().is_ok());
}

async fn verify(token: String) -> Result<String, Rejection> {
    match token.as_str() {
        "good" => Ok(token),
        _ => Err(Rejection::unauthorized()),
    }
}

#[tokio::test]
async fn authentication_shows_its_scheme_where_it_applies() {
    let keyed = Router::new()
        .get("/reports", health)
        .add_middleware(Authentication::api_key_header("x-api-key", verify));
    let app = App::new()
        .get("/health", health)
        .get("/me", health)
        .route(
            "/jwt",
            get(health).add_middleware(
                Authentication::bearer(verify)
                    .openapi_scheme(SecurityScheme::bearer().bearer_format("JWT").named("JWT")),
            ),
        )
        .include_router("/keyed", keyed)
        .add_middleware(
            Authentication::bearer(verify)
                .exempt("/health")
                .exempt("/docs")
                .exempt("/openapi.json"),
        )
        .openapi(OpenApi::new());
    let client = TestClient::new(app);
    let doc: Value = client.get("/openapi.json").await.json();
    assert!(
        operation(&doc, "/health", "get").get("security").is_none(),
        "exempt"
    );
    assert_eq!(
        operation(&doc, "/me", "get")["security"],
        json!([{"HTTPBearer": []}])
    );
    assert_eq!(
        operation(&doc, "/keyed/reports", "get")["security"],
        json!([{"APIKeyHeader": []}, {"HTTPBearer": []}]),
        "the router's middleware and the app's"
    );
    assert_eq!(
        operation(&doc, "/jwt", "get")["security"],
        json!([{"JWT": []}, {"HTTPBearer": []}])
    );
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({
            "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "HTTPBearer": {"type": "http", "scheme": "bearer"},
            "JWT": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        })
    );
    test_support::validate_openapi(&doc, "authentication");
}

/// `exempt_route` lets one method of a path through; only that method's
/// operation goes without the scheme.
#[tokio::test]
async fn an_exempted_route_has_no_scheme_and_its_other_methods_do() {
    let app = App::new()
        .route("/items", get(health).post(health))
        .add_middleware(
            Authentication::bearer(verify)
                .exempt_route(Method::GET, "/items")
                .exempt("/openapi.json"),
        )
        .openapi(OpenApi::new());
    let client = TestClient::new(app);
    assert_eq!(client.get("/items").await.status(), 200);
    assert_eq!(client.post("/items").await.status(), 401);
    let doc: Value = client.get("/openapi.json").await.json();
    assert!(
        operation(&doc, "/items", "get").get("security").is_none(),
        "{:#}",
        operation(&doc, "/items", "get")
    );
    assert_eq!(
        operation(&doc, "/items", "post")["security"],
        json!([{"HTTPBearer": []}])
    );
}

#[test]
fn two_different_schemes_with_one_name_fail_the_build() {
    let app = App::new()
        .route(
            "/a",
            get(health).add_middleware(Authentication::api_key_header("x-a", verify)),
        )
        .route(
            "/b",
            get(health).add_middleware(Authentication::api_key_header("x-b", verify)),
        )
        .openapi(OpenApi::new());
    let err = app.build().unwrap_err().to_string();
    assert!(
        err.contains("two different security schemes are named \"APIKeyHeader\""),
        "{err}"
    );
}

/// The OAuth2, Basic, Digest and OpenID Connect schemes are written as
/// FastAPI 0.165 writes those of `OAuth2PasswordBearer`,
/// `OAuth2AuthorizationCodeBearer`, `HTTPBasic`, `HTTPDigest` and
/// `OpenIdConnect` (recorded from `app.openapi()`), scopes and all.
#[test]
fn oauth2_and_the_other_schemes_are_written_as_fastapi_writes_them() {
    let guarded = |scheme: SecurityScheme| {
        get(health).add_middleware(Authentication::bearer(verify).openapi_scheme(scheme))
    };
    let doc = document(
        App::new()
            .route(
                "/p",
                guarded(
                    SecurityScheme::oauth2_password("token")
                        .scope("me", "Read me")
                        .scope("items", "Read items"),
                ),
            )
            .route(
                "/a",
                guarded(
                    SecurityScheme::oauth2_authorization_code(
                        "https://auth/authorize",
                        "https://auth/token",
                    )
                    .refresh_url("https://auth/refresh")
                    .scope("x", "X"),
                ),
            )
            .route("/b", guarded(SecurityScheme::basic()))
            .route("/d", guarded(SecurityScheme::digest()))
            .route(
                "/o",
                guarded(SecurityScheme::openid_connect(
                    "https://auth/.well-known/openid-configuration",
                )),
            ),
    );
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({
            "OAuth2PasswordBearer": {
                "type": "oauth2",
                "flows": {"password": {"scopes": {"me": "Read me", "items": "Read items"}, "tokenUrl": "token"}}
            },
            "OAuth2AuthorizationCodeBearer": {
                "type": "oauth2",
                "flows": {"authorizationCode": {
                    "refreshUrl": "https://auth/refresh",
                    "scopes": {"x": "X"},
                    "authorizationUrl": "https://auth/authorize",
                    "tokenUrl": "https://auth/token"
                }}
            },
            "HTTPBasic": {"type": "http", "scheme": "basic"},
            "HTTPDigest": {"type": "http", "scheme": "digest"},
            "OpenIdConnect": {
                "type": "openIdConnect",
                "openIdConnectUrl": "https://auth/.well-known/openid-configuration"
            }
        })
    );
    for (path, name) in [
        ("/p", "OAuth2PasswordBearer"),
        ("/a", "OAuth2AuthorizationCodeBearer"),
        ("/b", "HTTPBasic"),
        ("/d", "HTTPDigest"),
        ("/o", "OpenIdConnect"),
    ] {
        assert_eq!(
            operation(&doc, path, "get")["security"],
            json!([{ name: [] }]),
            "{path}"
        );
    }
    test_support::validate_openapi(&doc, "security schemes");
}

#[test]
fn a_scope_on_a_scheme_without_flows_fails_the_build() {
    for (scheme, method) in [
        (SecurityScheme::bearer().scope("me", "Read me"), "scope()"),
        (
            SecurityScheme::basic().refresh_url("https://auth/refresh"),
            "refresh_url()",
        ),
    ] {
        let app = App::new()
            .route(
                "/me",
                get(health).add_middleware(Authentication::bearer(verify).openapi_scheme(scheme)),
            )
            .openapi(OpenApi::new());
        let err = app.build().unwrap_err().to_string();
        assert!(
            err.contains(&format!("{method} is for OAuth2 schemes only")),
            "{err}"
        );
    }
}

/// FastAPI's `/docs/oauth2-redirect`: served beside Swagger UI, wherever
/// it is asked to be, below a mount's prefix too, and named on the docs
/// page; not in the document.
#[tokio::test]
async fn swagger_ui_s_oauth2_redirect_page_is_served_beside_it() {
    let app = App::new().get("/health", health).openapi(
        OpenApi::new()
            .docs_url(Some("/api/docs"))
            .swagger_ui_oauth2_redirect_url(Some("/api/oauth"))
            .swagger_ui_init_oauth(json!({"clientId": "docs", "scopes": "me items"})),
    );
    let client = TestClient::new(app);
    let page = client.get("/api/oauth").await;
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page
        .text()
        .contains("window.opener.swaggerUIRedirectOauth2"));
    assert_eq!(client.get("/docs/oauth2-redirect").await.status(), 404);
    let docs = client.get("/api/docs").await.text();
    assert!(
        docs.contains(r#"config.oauth2RedirectUrl = window.location.origin + "/api/oauth";"#),
        "{docs}"
    );
    assert!(
        docs.contains(r#"window.ui.initOAuth({"clientId":"docs","scopes":"me items"});"#),
        "{docs}"
    );
    let doc: Value = client.get("/openapi.json").await.json();
    assert_eq!(doc["paths"], json!({"/health": doc["paths"]["/health"]}));

    // Without Swagger UI, no redirect page either, as in FastAPI.
    let client = TestClient::new(App::new().openapi(OpenApi::new().docs_url(None)));
    assert_eq!(client.get("/docs/oauth2-redirect").await.status(), 404);

    // Mounted: the page is below the prefix, and the docs name it there.
    let sub = App::new()
        .openapi(OpenApi::new())
        .build()
        .expect("the mounted app builds");
    let client = TestClient::new(App::new().mount("/v1", sub));
    assert_eq!(client.get("/v1/docs/oauth2-redirect").await.status(), 200);
    let docs = client.get("/v1/docs").await.text();
    assert!(
        docs.contains(r#"window.location.origin + "/v1/docs/oauth2-redirect";"#),
        "{docs}"
    );
}

#[test]
fn a_wrong_oauth_setting_fails_the_build() {
    let app = App::new()
        .get("/docs/oauth2-redirect", health)
        .openapi(OpenApi::new());
    let err = app.build().unwrap_err().to_string();
    assert_eq!(err, "route GET /docs/oauth2-redirect is declared twice");
    let app = App::new().openapi(OpenApi::new().swagger_ui_init_oauth(json!("docs")));
    let err = app.build().unwrap_err().to_string();
    assert!(
        err.contains(
            "swagger_ui_init_oauth takes an object of Swagger UI's initOAuth settings, not \"docs\""
        ),
        "{err}"
    );
    let app = App::new().openapi(OpenApi::new().swagger_ui_oauth2_redirect_url(Some("no-slash")));
    let err = app.build().unwrap_err().to_string();
    assert_eq!(
        err,
        r#"invalid route path "no-slash": a route path must start with '/'"#
    );
}

async fn stamp(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    response
        .headers_mut()
        .insert("x-stamped", "yes".parse().expect("a header value"));
    response
}

#[tokio::test]
async fn middleware_applies_to_the_docs_routes() {
    let app = App::new()
        .get("/health", health)
        .middleware(stamp)
        .add_middleware(Authentication::bearer(verify).exempt("/health"))
        .openapi(OpenApi::new());
    let client = TestClient::new(app);
    for path in ["/openapi.json", "/docs", "/redoc"] {
        let res = client.get(path).await;
        assert_eq!(
            res.status(),
            401,
            "{path} is behind the app's authentication"
        );
        let res = client
            .get(path)
            .header("authorization", "Bearer good")
            .await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.header("x-stamped"), Some("yes"), "{path}");
    }
}

#[tokio::test]
async fn the_docs_paths_can_move_or_be_turned_off() {
    let app = App::new().get("/health", health).openapi(
        OpenApi::new()
            .openapi_url(Some("/api/schema.json"))
            .docs_url(Some("/api/docs"))
            .redoc_url(None)
            .title("Moved <API>")
            .swagger_ui_js_url("https://assets.example.com/ui.js")
            .swagger_ui_css_url("https://assets.example.com/ui.css")
            .favicon_url("/favicon.ico")
            .swagger_ui_parameter("docExpansion", json!("none")),
    );
    let client = TestClient::new(app);
    assert_eq!(client.get("/openapi.json").await.status(), 404);
    assert_eq!(client.get("/docs").await.status(), 404);
    assert_eq!(client.get("/redoc").await.status(), 404);
    let doc: Value = client.get("/api/schema.json").await.json();
    assert_eq!(doc["info"]["title"], "Moved <API>");
    let page = client.get("/api/docs").await.text();
    assert!(page.contains(r#""url":"/api/schema.json""#), "{page}");
    assert!(page.contains(r#""docExpansion":"none""#), "{page}");
    assert!(
        page.contains(r#"<script src="https://assets.example.com/ui.js">"#),
        "{page}"
    );
    assert!(
        page.contains(r#"href="https://assets.example.com/ui.css""#),
        "{page}"
    );
    assert!(
        page.contains(r#"<link rel="icon" href="/favicon.ico">"#),
        "{page}"
    );
    assert!(
        page.contains("<title>Moved &lt;API&gt; - Swagger UI</title>"),
        "{page}"
    );

    // No document: no pages either.
    let app = App::new()
        .get("/health", health)
        .openapi(OpenApi::new().openapi_url(None));
    let client = TestClient::new(app);
    for path in ["/openapi.json", "/docs", "/redoc"] {
        assert_eq!(client.get(path).await.status(), 404, "{path}");
    }
}

#[cfg(not(feature = "embedded-docs"))]
#[tokio::test]
async fn the_pages_load_their_assets_from_a_cdn_by_default() {
    let client = TestClient::new(App::new().openapi(OpenApi::new()));
    let docs = client.get("/docs").await.text();
    assert!(docs.contains(&format!(
        "https://cdn.jsdelivr.net/npm/swagger-ui-dist@{}/swagger-ui-bundle.js",
        sluice::openapi::SWAGGER_UI_VERSION
    )));
    let redoc = client.get("/redoc").await.text();
    assert!(redoc.contains(&format!(
        "https://cdn.jsdelivr.net/npm/redoc@{}/bundles/redoc.standalone.js",
        sluice::openapi::REDOC_VERSION
    )));
    assert_eq!(client.get("/docs/swagger-ui-bundle.js").await.status(), 404);
}

#[cfg(feature = "embedded-docs")]
#[tokio::test]
async fn the_embedded_assets_are_served_by_the_app() {
    let client = TestClient::new(App::new().openapi(OpenApi::new()));
    let docs = client.get("/docs").await.text();
    assert!(
        docs.contains(r#"<script src="/docs/swagger-ui-bundle.js">"#),
        "{docs}"
    );
    assert!(docs.contains(r#"href="/docs/swagger-ui.css""#), "{docs}");
    let js = client.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(js.text().contains("SwaggerUIBundle"));
    let css = client.get("/docs/swagger-ui.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let redoc = client.get("/redoc").await.text();
    assert!(
        redoc.contains(r#"<script src="/redoc/redoc.standalone.js">"#),
        "{redoc}"
    );
    assert_eq!(client.get("/redoc/redoc.standalone.js").await.status(), 200);
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Paging {
    page: u32,
}

async fn optional_inputs(_paging: Option<Query<Paging>>, _body: Option<Json<Dimensions>>) {}

/// A database session that reads the tenant from a header.
struct Session;

impl Dependency for Session {
    async fn enter(_parts: &mut Parts, _cx: &RequestContext) -> sluice::Result<Self> {
        Ok(Session)
    }

    fn declare(decl: &mut Declaration<'_>) {
        if let Some(doc) = decl.openapi() {
            doc.parameter::<String>("x-tenant", ParameterIn::Header, true);
        }
    }
}

async fn with_session(_session: Dep<Session>) {}

#[test]
fn optional_extractors_and_dependencies_describe_themselves() {
    let doc = document(
        App::new()
            .post("/optional", optional_inputs)
            .get("/session", with_session),
    );
    let op = operation(&doc, "/optional", "post");
    assert_eq!(parameter(op, "page")["required"], false);
    assert_eq!(op["requestBody"]["required"], false);
    let op = operation(&doc, "/session", "get");
    assert_eq!(
        parameter(op, "x-tenant"),
        &json!({"name": "x-tenant", "in": "header", "required": true, "schema": {"type": "string"}})
    );
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct ValidationError {
    field: String,
}

async fn clash(Json(_v): Json<ValidationError>) {}

#[test]
fn a_model_named_like_fastapis_422_schemas_fails_the_build() {
    let err = App::new()
        .post("/clash", clash)
        .openapi(OpenApi::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a model is named ValidationError, as FastAPI's 422 schema is"),
        "{err}"
    );
}

#[tokio::test]
async fn the_document_is_built_once_and_served_as_built() {
    let service = App::new()
        .get("/users/{user}/files/{file_id}", by_struct)
        .openapi(
            OpenApi::new()
                .title("Files")
                .version("3.0.0")
                .description("All the files.")
                .summary("Files API")
                .server("https://files.example.com", "production")
                .contact("Ops", "https://example.com", "ops@example.com")
                .license("MIT", "MIT")
                .tag("files", "Everything about files"),
        )
        .build()
        .expect("the app builds");
    let built = service.openapi().expect("a document").clone();
    assert_eq!(
        built["info"],
        json!({"title": "Files", "summary": "Files API", "description": "All the files.",
               "contact": {"name": "Ops", "url": "https://example.com", "email": "ops@example.com"},
               "license": {"name": "MIT", "identifier": "MIT"}, "version": "3.0.0"})
    );
    assert_eq!(
        built["servers"],
        json!([{"url": "https://files.example.com", "description": "production"}])
    );
    assert_eq!(
        built["tags"],
        json!([{"name": "files", "description": "Everything about files"}])
    );
    let client = TestClient::from_service(service);
    let served = client.get("/openapi.json").await;
    assert_eq!(served.header("content-type"), Some("application/json"));
    assert_eq!(served.bytes(), &serde_json::to_vec(&built).expect("JSON"));
}

/// An app with one of everything, through the validator.
#[test]
fn a_document_with_every_feature_passes_the_validator() {
    let mut app = App::new()
        .get("/users/{user}/files/{file_id}", by_struct)
        .get("/pairs/{name}/{n}", by_tuple)
        .get("/sorted/{order}", by_value)
        .post("/products", create_product)
        .post("/accounts", sign_up)
        .get("/text", text)
        .get("/page", page)
        .get("/untyped", untyped)
        .get("/bytes", bytes)
        .route("/things", post(create).status(StatusCode::CREATED))
        .route("/things/{id}", delete(remove).status(204))
        .post("/optional", optional_inputs)
        .get("/session", with_session)
        .get("/files/{rest:path}", by_rest)
        .add_middleware(Authentication::bearer(verify));
    let mut extra: HashMap<&str, u32> = HashMap::new();
    extra.insert("a", 1);
    for (name, _) in extra {
        app = app.route(&format!("/extra/{name}"), get(health).tag("extra"));
    }
    let doc = document(app);
    assert!(
        doc["paths"].get("/files/{rest}").is_some(),
        "{:#}",
        doc["paths"]
    );
    test_support::validate_openapi(&doc, "every feature");
}

async fn by_rest(Path(_rest): Path<String>) {}

/// `RateLimit` documents its 429 on the operations it covers, with the
/// default body's schema, and not on an exempted one.
#[test]
fn rate_limited_operations_document_their_429() {
    let doc = document(
        App::new()
            .get("/items", nothing)
            .get("/health", nothing)
            .add_middleware(RateLimit::per_minute(10).exempt("/health")),
    );
    let limited = &operation(&doc, "/items", "get")["responses"]["429"];
    assert_eq!(limited["description"], "Too Many Requests");
    let schema = &limited["content"]["application/json"]["schema"];
    assert_eq!(schema["properties"]["detail"]["type"], "string");
    assert_eq!(schema["required"], json!(["detail"]));
    let health = operation(&doc, "/health", "get");
    assert!(health["responses"].get("429").is_none(), "{health:#}");

    // A custom refusal has a body the document cannot know.
    let custom = RateLimit::per_minute(10).on_refused(|_| StatusCode::TOO_MANY_REQUESTS);
    let doc = document(App::new().get("/items", nothing).add_middleware(custom));
    let limited = &operation(&doc, "/items", "get")["responses"]["429"];
    assert_eq!(limited["description"], "Too Many Requests");
    assert!(limited.get("content").is_none(), "{limited:#}");
}

/// Mounted under a prefix, an app's docs pages name its document (and
/// their own assets) below the prefix, and the document lists the prefix
/// first in `servers`, as FastAPI does under a `root_path`.
#[tokio::test]
async fn a_mounted_app_s_docs_name_its_own_document() {
    let sub = App::new()
        .get("/ping", || async { "pong" })
        .openapi(
            OpenApi::new()
                .title("sub")
                .server("https://api.example.com", "prod"),
        )
        .build()
        .expect("the mounted app builds");
    let client = TestClient::new(App::new().mount("/v1", sub));

    let doc: Value = client.get("/v1/openapi.json").await.json();
    assert_eq!(
        doc["servers"],
        json!([{"url": "/v1"}, {"url": "https://api.example.com", "description": "prod"}])
    );
    let docs = client.get("/v1/docs").await.text();
    assert!(docs.contains(r#""url":"/v1/openapi.json""#), "{docs}");
    let redoc = client.get("/v1/redoc").await.text();
    assert!(redoc.contains(r#"spec-url="/v1/openapi.json""#), "{redoc}");
    if cfg!(feature = "embedded-docs") {
        assert!(
            docs.contains(r#"src="/v1/docs/swagger-ui-bundle.js""#),
            "{docs}"
        );
        assert!(
            redoc.contains(r#"src="/v1/redoc/redoc.standalone.js""#),
            "{redoc}"
        );
    }
    assert!(!docs.contains("__sluice"), "{docs}");

    // Served by itself, the same app names the plain paths.
    let alone = App::new()
        .get("/ping", || async { "pong" })
        .openapi(OpenApi::new().title("sub"));
    let client = TestClient::new(alone);
    let doc: Value = client.get("/openapi.json").await.json();
    assert!(doc.get("servers").is_none(), "{doc}");
    let docs = client.get("/docs").await.text();
    assert!(docs.contains(r#""url":"/openapi.json""#), "{docs}");
    assert!(!docs.contains("__sluice"), "{docs}");
}
