//! `middleware::Cors`: Starlette 1.10's CORSMiddleware, observed through
//! `TestClient`, plus what sluice does better (CORS headers on every
//! response, configuration errors at build time).

mod support;

use proptest::prelude::*;
use serde_json::{json, Value};
use sluice::middleware::Cors;
use sluice::testing::{TestClient, TestResponse};
use sluice::{
    App, ConfigError, HttpError, IntoResponse, Json, Next, Request, Response, StatusCode,
};

const LOCALHOST: &str = "http://localhost";
const PREFLIGHT_VARY: &str = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network";
const ALL_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY";
const SAFELISTED: &str = "Accept, Accept-Language, Content-Language, Content-Type";

async fn hello() -> Json<Value> {
    Json(json!({"Hello": "World"}))
}

async fn create_item(Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    (StatusCode::CREATED, Json(body))
}

async fn boom() -> Json<Value> {
    panic!("boom")
}

async fn varies() -> Response {
    ([("vary", "Accept-Encoding")], "varies").into_response()
}

async fn options_handler() -> &'static str {
    "options handler"
}

fn routes() -> App {
    App::new()
        .get("/", hello)
        .post("/items", create_item)
        .get("/boom", boom)
        .get("/vary", varies)
        .options("/opt", options_handler)
}

/// The `cors` conformance scenario's settings.
fn tutorial_cors() -> Cors {
    Cors::new()
        .allow_origins(["http://localhost", "http://localhost:8080"])
        .allow_credentials(true)
        .allow_methods(["*"])
        .allow_headers(["*"])
        .expose_headers(["X-Process-Time"])
        .max_age(600)
}

fn client(cors: Cors) -> TestClient {
    TestClient::new(routes().add_middleware(cors))
}

async fn preflight(client: &TestClient, path: &str, origin: &str, method: &str) -> TestResponse {
    client
        .options(path)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .await
}

/// The `access-control-*` headers of a response, name and value.
fn cors_headers(res: &TestResponse) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = res
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("access-control-"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn config_error(cors: Cors) -> String {
    match TestClient::try_new(routes().add_middleware(cors)) {
        Ok(_) => panic!("the app was built"),
        Err(err) => {
            assert!(matches!(err, ConfigError::Middleware { .. }), "{err:?}");
            err.to_string()
        }
    }
}

// ---------------------------------------------------------------- simple requests

#[tokio::test]
async fn simple_request_from_listed_origin_echoes_it_with_credentials_and_exposed_headers() {
    let client = client(tutorial_cors());
    let res = client.get("/").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"Hello": "World"}));
    assert_eq!(
        cors_headers(&res),
        [
            ("access-control-allow-credentials".into(), "true".into()),
            ("access-control-allow-origin".into(), LOCALHOST.into()),
            (
                "access-control-expose-headers".into(),
                "X-Process-Time".into()
            ),
        ]
    );
    assert_eq!(res.header_all("vary"), ["Origin"]);
}

#[tokio::test]
async fn simple_request_from_unlisted_origin_gets_no_allow_origin_but_the_other_headers() {
    // Starlette sends credentials and expose-headers whatever the origin.
    let client = client(tutorial_cors());
    let res = client.get("/").header("origin", "http://evil.com").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        cors_headers(&res),
        [
            ("access-control-allow-credentials".into(), "true".into()),
            (
                "access-control-expose-headers".into(),
                "X-Process-Time".into()
            ),
        ]
    );
    assert_eq!(res.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn request_without_origin_gets_no_cors_headers_but_vary_origin() {
    let client = client(tutorial_cors());
    let res = client.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(cors_headers(&res).is_empty(), "{res:?}");
    assert_eq!(res.header_all("vary"), ["Origin"]);
}

#[tokio::test]
async fn listed_origins_are_compared_exactly() {
    let client = client(tutorial_cors());
    for origin in [
        "http://localhost:8081",
        "https://localhost",
        "http://LOCALHOST",
        "http://localhost/",
        "http://localhost.evil.com",
        "",
    ] {
        let res = client.get("/").header("origin", origin).await;
        assert_eq!(
            res.header("access-control-allow-origin"),
            None,
            "{origin:?}"
        );
    }
    let res = client
        .get("/")
        .header("origin", "http://localhost:8080")
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("http://localhost:8080")
    );
}

#[tokio::test]
async fn wildcard_answers_any_origin_with_a_star() {
    let client = client(Cors::new().allow_origins(["*"]));
    let res = client
        .get("/")
        .header("origin", "https://example.org")
        .await;
    assert_eq!(
        cors_headers(&res),
        [("access-control-allow-origin".into(), "*".into())]
    );
    assert_eq!(res.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn wildcard_with_credentials_echoes_any_origin() {
    let client = client(Cors::new().allow_origins(["*"]).allow_credentials(true));
    let res = client
        .get("/")
        .header("origin", "https://example.org")
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(res.header("vary"), Some("Origin"));

    let res = preflight(&client, "/", "https://example.org", "GET").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://example.org")
    );
}

#[tokio::test]
async fn null_origin_is_allowed_only_by_a_wildcard_or_when_listed() {
    let res = client(tutorial_cors())
        .get("/")
        .header("origin", "null")
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);

    let res = client(Cors::new().allow_origins(["*"]))
        .get("/")
        .header("origin", "null")
        .await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));

    let res = client(Cors::new().allow_origins(["null"]))
        .get("/")
        .header("origin", "null")
        .await;
    assert_eq!(res.header("access-control-allow-origin"), Some("null"));
}

#[tokio::test]
async fn regex_allows_an_origin_it_matches_entirely() {
    let client = client(
        Cors::new()
            .allow_origin_regex(r"https://.*\.example\.org")
            .allow_credentials(true),
    );
    let res = client
        .get("/")
        .header("origin", "https://app.example.org")
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
}

/// Python's `\Z` ends the text, as the `regex` crate's `\z` does; a
/// pattern ported from Starlette with it builds and works.
#[tokio::test]
async fn regex_takes_pythons_end_anchor() {
    let client = client(Cors::new().allow_origin_regex(r"https://a\.example\.org\Z"));
    let res = client
        .get("/")
        .header("origin", "https://a.example.org")
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://a.example.org")
    );
    let res = client
        .get("/")
        .header("origin", "https://a.example.org.evil")
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);
    // A backslash escaped before a `Z` stays a backslash and a `Z`.
    let client = client_for_regex(r"https://a\\Z");
    assert!(client.is_ok());
}

fn client_for_regex(pattern: &str) -> Result<TestClient, sluice::ConfigError> {
    TestClient::try_new(App::new().add_middleware(Cors::new().allow_origin_regex(pattern)))
}

#[tokio::test]
async fn regex_refuses_an_origin_it_matches_only_in_part() {
    let client = client(Cors::new().allow_origin_regex(r"https://.*\.b\.example"));
    for origin in [
        "https://x.b.example.evil.com",
        "evil-https://x.b.example",
        "http://x.b.example",
    ] {
        let res = client.get("/").header("origin", origin).await;
        assert_eq!(res.header("access-control-allow-origin"), None, "{origin}");
        let res = preflight(&client, "/", origin, "GET").await;
        assert_eq!(res.status(), 400, "{origin}");
        assert_eq!(res.text(), "Disallowed CORS origin");
    }
    let res = client
        .get("/")
        .header("origin", "https://x.b.example")
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://x.b.example")
    );
}

#[tokio::test]
async fn regex_and_list_both_allow() {
    let client = client(
        Cors::new()
            .allow_origins(["http://localhost"])
            .allow_origin_regex(r"https://[a-z]+\.example\.org"),
    );
    for origin in ["http://localhost", "https://app.example.org"] {
        let res = client.get("/").header("origin", origin).await;
        assert_eq!(res.header("access-control-allow-origin"), Some(origin));
    }
}

#[tokio::test]
async fn simple_request_reaches_the_app_whatever_the_origin() {
    let client = client(tutorial_cors());
    let res = client
        .post("/items")
        .header("origin", "http://evil.com")
        .json(&json!({"name": "x"}))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>(), json!({"name": "x"}));
    assert_eq!(res.header("access-control-allow-origin"), None);
}

// ---------------------------------------------------------------- preflight requests

#[tokio::test]
async fn preflight_from_listed_origin_is_answered_ok_with_every_header() {
    let client = client(tutorial_cors());
    let res = client
        .options("/items")
        .header("origin", LOCALHOST)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "X-Example, Content-Type")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "OK");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("content-length"), Some("2"));
    assert_eq!(
        cors_headers(&res),
        [
            ("access-control-allow-credentials".into(), "true".into()),
            (
                "access-control-allow-headers".into(),
                "X-Example, Content-Type".into()
            ),
            ("access-control-allow-methods".into(), ALL_METHODS.into()),
            ("access-control-allow-origin".into(), LOCALHOST.into()),
            ("access-control-max-age".into(), "600".into()),
        ]
    );
    assert_eq!(res.header_all("vary"), [PREFLIGHT_VARY]);
}

#[tokio::test]
async fn preflight_is_answered_for_any_path_without_reaching_the_app() {
    let client = client(tutorial_cors());
    for path in ["/", "/nowhere", "/opt", "/boom"] {
        let res = preflight(&client, path, LOCALHOST, "GET").await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.text(), "OK", "{path}");
    }
}

#[tokio::test]
async fn preflight_with_wildcard_and_no_credentials_answers_star() {
    let client = client(
        Cors::new()
            .allow_origins(["*"])
            .allow_methods(["GET", "POST"])
            .allow_headers(["X-Custom"]),
    );
    let res = preflight(&client, "/", "https://example.org", "GET").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        cors_headers(&res),
        [
            (
                "access-control-allow-headers".into(),
                format!("{SAFELISTED}, X-Custom")
            ),
            ("access-control-allow-methods".into(), "GET, POST".into()),
            ("access-control-allow-origin".into(), "*".into()),
            ("access-control-max-age".into(), "600".into()),
        ]
    );
    assert_eq!(res.header("vary"), Some(PREFLIGHT_VARY));
}

#[tokio::test]
async fn preflight_with_default_settings_allows_get_and_the_safelisted_headers() {
    let client = client(Cors::new().allow_origins([LOCALHOST]));
    let res = preflight(&client, "/", LOCALHOST, "GET").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        cors_headers(&res),
        [
            ("access-control-allow-headers".into(), SAFELISTED.into()),
            ("access-control-allow-methods".into(), "GET".into()),
            ("access-control-allow-origin".into(), LOCALHOST.into()),
            ("access-control-max-age".into(), "600".into()),
        ]
    );
    let res = preflight(&client, "/", LOCALHOST, "POST").await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.text(), "Disallowed CORS method");
}

#[tokio::test]
async fn preflight_with_star_headers_echoes_the_requested_headers_verbatim() {
    let client = client(tutorial_cors());
    let res = client
        .options("/")
        .header("origin", LOCALHOST)
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "x-One,X-TWO ,  authorization",
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("x-One,X-TWO ,  authorization")
    );
}

#[tokio::test]
async fn preflight_with_star_headers_and_no_requested_headers_has_no_allow_headers() {
    let client = client(tutorial_cors());
    let res = preflight(&client, "/", LOCALHOST, "GET").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-headers"), None);
}

#[tokio::test]
async fn preflight_from_unlisted_origin_fails_with_origin_and_keeps_the_other_headers() {
    let client = client(tutorial_cors());
    let res = preflight(&client, "/", "http://evil.com", "GET").await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.text(), "Disallowed CORS origin");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        cors_headers(&res),
        [
            ("access-control-allow-credentials".into(), "true".into()),
            ("access-control-allow-methods".into(), ALL_METHODS.into()),
            ("access-control-max-age".into(), "600".into()),
        ]
    );
    assert_eq!(res.header("vary"), Some(PREFLIGHT_VARY));
}

#[tokio::test]
async fn preflight_method_is_compared_case_sensitively() {
    let client = client(tutorial_cors());
    let res = preflight(&client, "/", LOCALHOST, "post").await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.text(), "Disallowed CORS method");
    // The origin was allowed, so it is still echoed.
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
    let res = preflight(&client, "/", LOCALHOST, "QUERY").await;
    assert_eq!(res.status(), 200);
    let res = preflight(&client, "/", LOCALHOST, "TRACE").await;
    assert_eq!(res.text(), "Disallowed CORS method");
}

#[tokio::test]
async fn preflight_requested_headers_are_trimmed_and_compared_case_insensitively() {
    let client = client(
        Cors::new()
            .allow_origins([LOCALHOST])
            .allow_headers(["X-Custom"]),
    );
    let res = client
        .options("/")
        .header("origin", LOCALHOST)
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            " x-custom ,CONTENT-TYPE,accept",
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("Accept, Accept-Language, Content-Language, Content-Type, X-Custom")
    );
}

#[tokio::test]
async fn preflight_asking_for_an_unlisted_header_fails_with_headers() {
    let client = client(
        Cors::new()
            .allow_origins([LOCALHOST])
            .allow_headers(["X-Custom"]),
    );
    for requested in ["x-custom, x-other", "authorization", "", "x-custom,"] {
        let res = client
            .options("/")
            .header("origin", LOCALHOST)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", requested)
            .await;
        assert_eq!(res.status(), 400, "{requested:?}");
        assert_eq!(res.text(), "Disallowed CORS headers", "{requested:?}");
    }
}

#[tokio::test]
async fn preflight_failures_are_listed_origin_method_headers_in_that_order() {
    let client = client(Cors::new().allow_origins([LOCALHOST]));
    let res = client
        .options("/")
        .header("origin", "http://evil.com")
        .header("access-control-request-method", "DELETE")
        .header("access-control-request-headers", "X-Nope")
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.text(), "Disallowed CORS origin, method, headers");
}

#[tokio::test]
async fn private_network_preflight_is_allowed_only_when_enabled() {
    let off = client(Cors::new().allow_origins([LOCALHOST]));
    let res = off
        .options("/")
        .header("origin", LOCALHOST)
        .header("access-control-request-method", "GET")
        .header("access-control-request-private-network", "true")
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.text(), "Disallowed CORS private-network");
    assert_eq!(res.header("access-control-allow-private-network"), None);

    let on = client(
        Cors::new()
            .allow_origins([LOCALHOST])
            .allow_private_network(true),
    );
    let res = on
        .options("/")
        .header("origin", LOCALHOST)
        .header("access-control-request-method", "GET")
        .header("access-control-request-private-network", "true")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("access-control-allow-private-network"),
        Some("true")
    );

    // Not asked for: not answered.
    let res = preflight(&on, "/", LOCALHOST, "GET").await;
    assert_eq!(res.header("access-control-allow-private-network"), None);
}

#[tokio::test]
async fn every_preflight_check_can_fail_at_once() {
    let client = client(Cors::new().allow_origins([LOCALHOST]));
    let res = client
        .options("/")
        .header("origin", "http://evil.com")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "X-Nope")
        .header("access-control-request-private-network", "true")
        .await;
    assert_eq!(
        res.text(),
        "Disallowed CORS origin, method, headers, private-network"
    );
}

#[tokio::test]
async fn max_age_is_sent_as_configured() {
    let client = client(Cors::new().allow_origins([LOCALHOST]).max_age(86400));
    let res = preflight(&client, "/", LOCALHOST, "GET").await;
    assert_eq!(res.header("access-control-max-age"), Some("86400"));
}

#[tokio::test]
async fn methods_are_sent_in_the_order_given() {
    let client = client(
        Cors::new()
            .allow_origins([LOCALHOST])
            .allow_methods([sluice::Method::POST, sluice::Method::GET]),
    );
    let res = preflight(&client, "/", LOCALHOST, "POST").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("access-control-allow-methods"),
        Some("POST, GET")
    );
}

#[tokio::test]
async fn options_without_request_method_goes_to_the_app_with_simple_headers() {
    let client = client(tutorial_cors());
    // A path without an OPTIONS route: the router's 405.
    let res = client.options("/").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.json::<Value>(), json!({"detail": "Method Not Allowed"}));
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
    assert_eq!(res.header("access-control-allow-methods"), None);
    assert_eq!(res.header("vary"), Some("Origin"));
    // A path with one: the handler answers.
    let res = client.options("/opt").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "options handler");
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
    // An unknown path: 404.
    let res = client.options("/nowhere").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
}

#[tokio::test]
async fn options_with_request_method_but_no_origin_goes_to_the_app() {
    let client = client(tutorial_cors());
    let res = client
        .options("/opt")
        .header("access-control-request-method", "GET")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "options handler");
    assert!(cors_headers(&res).is_empty());
    assert_eq!(res.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn only_an_upper_case_options_is_a_preflight() {
    let client = client(tutorial_cors());
    let res = client
        .request(
            sluice::Method::from_bytes(b"options").expect("a method"),
            "/",
        )
        .header("origin", LOCALHOST)
        .header("access-control-request-method", "GET")
        .await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
}

// ---------------------------------------------------------------- Vary

#[tokio::test]
async fn vary_origin_is_merged_into_the_apps_vary_on_a_cors_request() {
    let client = client(tutorial_cors());
    let res = client.get("/vary").header("origin", LOCALHOST).await;
    assert_eq!(res.header_all("vary"), ["Accept-Encoding, Origin"]);
    let res = client
        .get("/vary")
        .header("origin", "http://evil.com")
        .await;
    assert_eq!(res.header_all("vary"), ["Accept-Encoding, Origin"]);
}

#[tokio::test]
async fn vary_origin_is_merged_into_the_apps_vary_without_an_origin() {
    let client = client(Cors::new().allow_origins(["*"]));
    let res = client.get("/vary").await;
    assert_eq!(res.header_all("vary"), ["Accept-Encoding, Origin"]);
}

#[tokio::test]
async fn preflight_vary_is_merged_by_an_outer_middleware() {
    async fn outer(req: Request, next: Next) -> Response {
        let mut res = next.run(req).await;
        res.headers_mut()
            .append("vary", sluice::HeaderValue::from_static("Accept-Encoding"));
        res
    }
    let client = TestClient::new(routes().add_middleware(tutorial_cors()).middleware(outer));
    let res = preflight(&client, "/", LOCALHOST, "GET").await;
    assert_eq!(res.header_all("vary"), [PREFLIGHT_VARY, "Accept-Encoding"]);
}

// ---------------------------------------------------------------- better than Starlette

#[tokio::test]
async fn a_panicking_handlers_500_carries_the_cors_headers() {
    let client = client(tutorial_cors()).raise_server_exceptions(false);
    let res = client.get("/boom").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        cors_headers(&res),
        [
            ("access-control-allow-credentials".into(), "true".into()),
            ("access-control-allow-origin".into(), LOCALHOST.into()),
            (
                "access-control-expose-headers".into(),
                "X-Process-Time".into()
            ),
        ]
    );
    assert_eq!(res.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn an_inner_middlewares_401_carries_the_cors_headers() {
    async fn require_token(req: Request, next: Next) -> Result<Response, HttpError> {
        if req.header("authorization") != Some("Bearer valid_token") {
            return Err(
                HttpError::new(401, "Unauthorized").with_header("www-authenticate", "Bearer")
            );
        }
        Ok(next.run(req).await)
    }
    let client = TestClient::new(
        routes()
            .middleware(require_token)
            .add_middleware(tutorial_cors()),
    );
    let res = client.get("/").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>(), json!({"detail": "Unauthorized"}));
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(res.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn router_404s_and_405s_carry_the_cors_headers() {
    let client = client(tutorial_cors());
    let res = client.get("/nowhere").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
    let res = client.delete("/").header("origin", LOCALHOST).await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("access-control-allow-origin"), Some(LOCALHOST));
}

// ---------------------------------------------------------------- configuration errors

#[test]
fn an_invalid_regex_is_an_error_when_the_app_is_built() {
    let err = config_error(Cors::new().allow_origin_regex("https://(.*\\.example\\.org"));
    assert!(err.contains("allow_origin_regex"), "{err}");
}

#[test]
fn an_unparsable_origin_is_an_error_when_the_app_is_built() {
    for (origin, reason) in [
        ("http://localhost:8080/", "trailing slash"),
        ("localhost", "no scheme"),
        ("https://*.example.com", "allow_origin_regex"),
        ("https://example.com:443", "default port"),
    ] {
        let err = config_error(Cors::new().allow_origins(["http://ok.example", origin]));
        assert!(
            err.contains("allow_origins") && err.contains(reason),
            "{err}"
        );
    }
}

#[test]
fn an_invalid_header_name_is_an_error_when_the_app_is_built() {
    let err = config_error(Cors::new().allow_headers(["X Custom"]));
    assert!(err.contains("allow_headers"), "{err}");
    let err = config_error(Cors::new().expose_headers(["X-Ok", "bad:name"]));
    assert!(err.contains("expose_headers"), "{err}");
}

#[test]
fn an_invalid_method_is_an_error_when_the_app_is_built() {
    let err = config_error(Cors::new().allow_methods(["GET", "NOT A METHOD"]));
    assert!(err.contains("allow_methods"), "{err}");
}

#[test]
fn the_error_names_the_middleware() {
    let err = App::new()
        .add_middleware(Cors::new().allow_origins(["nope"]))
        .build()
        .expect_err("an invalid origin");
    assert!(
        err.to_string().starts_with("invalid Cors configuration"),
        "{err}"
    );
}

#[tokio::test]
async fn permissive_allows_every_origin_method_and_header() {
    let client = client(Cors::permissive());
    let res = client
        .options("/")
        .header("origin", "https://anywhere.example")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "x-anything")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("x-anything")
    );
    assert_eq!(res.header("access-control-allow-credentials"), None);
}

// ---------------------------------------------------------------- security property

/// The regexes the property test configures, each with an independent
/// oracle for "matches the whole origin".
/// A pattern and whether it matches a whole origin.
type Oracle = (&'static str, fn(&str) -> bool);

const REGEXES: [Oracle; 3] = [
    (r"https://.*\.example\.org", |o| {
        o.len() >= "https://.example.org".len()
            && o.starts_with("https://")
            && o.ends_with(".example.org")
    }),
    (r"http://localhost(:[0-9]+)?", |o| {
        o == "http://localhost"
            || o.strip_prefix("http://localhost:")
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
    }),
    (r"https://[a-z]+\.test", |o| {
        o.strip_prefix("https://")
            .and_then(|rest| rest.strip_suffix(".test"))
            .is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()))
    }),
];

fn origin_strategy() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https")],
        "[a-z]{1,5}(\\.[a-z]{1,4}){0,2}",
        proptest::option::of(1u16..10000),
    )
        .prop_map(|(scheme, host, port)| match port {
            Some(port) if port != 80 && port != 443 => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        })
}

/// A request origin: a configured one, a near miss of one, something a
/// regex may or may not match, or any printable text.
fn request_origin(pool: Vec<String>) -> impl Strategy<Value = String> {
    let near_misses = [
        "https://a.example.org",
        "https://a.example.org.evil.com",
        "https://.example.org",
        "xhttps://a.example.org",
        "http://localhost",
        "http://localhost:",
        "http://localhost:8080",
        "http://localhost:80x",
        "http://localhost.evil.com",
        "https://abc.test",
        "https://abc.test.evil",
        "https://ab1.test",
        "null",
        "",
    ];
    let pick = proptest::sample::select(pool);
    prop_oneof![
        pick.clone(),
        (
            pick.clone(),
            prop_oneof![Just("/"), Just(".evil.com"), Just(":1"), Just(" ")]
        )
            .prop_map(|(o, suffix)| format!("{o}{suffix}")),
        pick.prop_map(|o| o.to_ascii_uppercase()),
        proptest::sample::select(near_misses.to_vec()).prop_map(str::to_owned),
        "[ -~]{0,30}",
    ]
}

#[derive(Debug, Clone)]
struct Config {
    origins: Vec<String>,
    any: bool,
    regex: Option<usize>,
    credentials: bool,
}

fn config_strategy(pool: &[String]) -> impl Strategy<Value = Config> {
    (
        proptest::sample::subsequence(pool.to_vec(), 0..=pool.len()),
        prop::bool::weighted(0.1),
        proptest::option::of(0..REGEXES.len()),
        any::<bool>(),
    )
        .prop_map(|(origins, any, regex, credentials)| Config {
            origins,
            any,
            regex,
            credentials,
        })
}

fn case_strategy() -> impl Strategy<Value = (Config, String)> {
    proptest::collection::vec(origin_strategy(), 1..6)
        .prop_flat_map(|pool| (config_strategy(&pool), request_origin(pool)))
}

proptest! {
    #![proptest_config(support::cases(256))]

    #[test]
    fn cors_never_echoes_an_origin_it_was_not_configured_to_allow((config, origin) in case_strategy()) {
        let mut origins: Vec<&str> = config.origins.iter().map(String::as_str).collect();
        if config.any {
            origins.push("*");
        }
        // A random origin may be `*` itself, which allows any, as
        // Starlette reads it.
        let any = origins.contains(&"*");
        let mut cors = Cors::new()
            .allow_origins(&origins)
            .allow_credentials(config.credentials)
            .allow_methods(["*"]);
        if let Some(i) = config.regex {
            cors = cors.allow_origin_regex(REGEXES[i].0);
        }
        let allowed = any
            || config.origins.contains(&origin)
            || config.regex.is_some_and(|i| (REGEXES[i].1)(&origin));

        let (simple, pre) = support::runtime().block_on(async {
            let client = client(cors);
            let simple = client.get("/").header("origin", origin.as_str()).await;
            let pre = preflight(&client, "/", &origin, "GET").await;
            (simple, pre)
        });
        for res in [&simple, &pre] {
            match res.header("access-control-allow-origin") {
                None => prop_assert!(!allowed, "{:?} allowed but not echoed", origin),
                Some("*") => prop_assert!(any && !config.credentials),
                Some(echoed) => {
                    prop_assert_eq!(echoed, origin.as_str());
                    prop_assert!(allowed, "{:?} echoed but not allowed by {:?}", origin, config);
                }
            }
        }
        prop_assert_eq!(pre.status() == 200, allowed);
    }
}
