//! Extractors and FastAPI's 422 shape.

use std::collections::HashMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice::extract::{Headers, Path, Query};
use sluice::testing::TestClient;
use sluice::{App, Bytes, ConfigError, Json, Router, State};

async fn item(Path(item_id): Path<i64>) -> Json<Value> {
    Json(json!({ "item_id": item_id }))
}

#[tokio::test]
async fn integer_path_parameters_accept_a_sign_and_digits() {
    let client = TestClient::new(App::new().get("/items/{item_id}", item));
    assert_eq!(
        client.get("/items/42").await.json::<Value>(),
        json!({"item_id": 42})
    );
    assert_eq!(
        client.get("/items/-7").await.json::<Value>(),
        json!({"item_id": -7})
    );
    assert_eq!(
        client.get("/items/+7").await.json::<Value>(),
        json!({"item_id": 7})
    );
}

#[tokio::test]
async fn invalid_integer_path_parameter_is_fastapis_422() {
    let client = TestClient::new(App::new().get("/items/{item_id}", item));
    for raw in ["abc", "1.5", "9223372036854775808", "1_000", "%201"] {
        let res = client.get(&format!("/items/{raw}")).await;
        assert_eq!(res.status(), 422, "{raw}");
        let decoded = raw.replace("%20", " ");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": [{
                "type": "int_parsing",
                "loc": ["path", "item_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": decoded,
            }]}),
            "{raw}"
        );
    }
}

#[tokio::test]
async fn a_float_path_parameter_is_read_as_fastapi_reads_it() {
    async fn ratio(Path(f): Path<f64>) -> String {
        format!("{f:?}")
    }
    let client = TestClient::new(App::new().get("/f/{f}", ratio));
    // FastAPI 0.165's answers: only integers are a sign and digits in a
    // path; a float is pydantic's, spaces and underscores included.
    for (raw, read) in [
        ("5%C2%A0", "5.0"),
        ("1_000", "1000.0"),
        ("%205%20", "5.0"),
        ("+5", "5.0"),
        ("1e3", "1000.0"),
        (".5", "0.5"),
        ("5.", "5.0"),
        ("inf", "inf"),
        ("-Infinity", "-inf"),
        ("nan", "NaN"),
        ("%E2%80%835", "5.0"),
    ] {
        let res = client.get(&format!("/f/{raw}")).await;
        assert_eq!(
            (res.status().as_u16(), res.text()),
            (200, read.to_owned()),
            "{raw}"
        );
    }
    for raw in ["0x10", "1,5", "1__0", "_1"] {
        let res = client.get(&format!("/f/{raw}")).await;
        assert_eq!(res.status(), 422, "{raw}");
        assert_eq!(
            res.json::<Value>()["detail"][0]["type"],
            "float_parsing",
            "{raw}"
        );
    }
}

#[tokio::test]
async fn several_path_parameters_by_position_or_by_name() {
    #[derive(Deserialize, JsonSchema)]
    struct Ids {
        user: String,
        n: u8,
    }
    async fn tuple(Path((user, n)): Path<(String, u8)>) -> String {
        format!("{user}:{n}")
    }
    async fn named(Path(ids): Path<Ids>) -> String {
        format!("{}:{}", ids.user, ids.n)
    }
    let app = App::new()
        .get("/t/{user}/{n}", tuple)
        .get("/s/{user}/{n}", named);
    let client = TestClient::new(app);
    assert_eq!(client.get("/t/bob/3").await.text(), "bob:3");
    assert_eq!(client.get("/s/bob/4").await.text(), "bob:4");
    let res = client.get("/s/bob/300").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0]["loc"],
        json!(["path", "n"])
    );
}

/// The reason of the `ConfigError::Handler` building `app` fails with.
fn build_error(app: App) -> (String, String) {
    match TestClient::try_new(app) {
        Ok(_) => panic!("the app was built"),
        Err(ConfigError::Handler {
            method,
            path,
            reason,
            ..
        }) => (format!("{method} {path}"), reason),
        Err(other) => panic!("not a handler error: {other}"),
    }
}

#[tokio::test]
async fn a_path_extractor_that_does_not_fit_the_route_is_refused_when_the_app_is_built() {
    async fn pair(Path(_): Path<(String, String)>) -> &'static str {
        "never"
    }
    let (route, reason) = build_error(App::new().get("/{one}", pair));
    assert_eq!(route, "GET /{one}");
    assert_eq!(
        reason,
        "Path<(String, String)> reads 2 route parameters by position, but the route has 1: \
         {one}; read it with Path<T> for a single value"
    );

    let (_, reason) = build_error(App::new().get("/items", item));
    assert!(reason.starts_with("Path<i64> reads one route parameter, but the route has none"));

    #[derive(Deserialize, JsonSchema)]
    struct Ids {
        #[allow(dead_code)]
        user: String,
        #[allow(dead_code)]
        item_id: u32,
    }
    async fn ids(Path(_): Path<Ids>) -> &'static str {
        "never"
    }
    let (_, reason) = build_error(App::new().get("/users/{user}/items/{id}", ids));
    assert_eq!(
        reason,
        "Path<Ids> needs the route parameter {item_id} for its field `item_id`, but the route \
         has {user}, {id}; add {item_id} to the route's path, name the field after a parameter \
         the route has (#[serde(rename = \"user\")]), or make it an Option"
    );
}

#[tokio::test]
async fn a_path_extractor_counts_the_parameters_of_the_prefix_it_is_included_under() {
    async fn both(Path((user, n)): Path<(String, u32)>) -> String {
        format!("{user}:{n}")
    }
    let users = Router::new().get("/items/{n}", both);
    let client = TestClient::new(App::new().include_router("/users/{user}", users));
    assert_eq!(client.get("/users/ann/items/3").await.text(), "ann:3");
}

#[derive(Deserialize, JsonSchema)]
struct Page {
    q: Option<String>,
    limit: u32,
    #[serde(default)]
    tags: Vec<String>,
}

async fn list(Query(page): Query<Page>) -> Json<Value> {
    Json(json!({"q": page.q, "limit": page.limit, "tags": page.tags}))
}

#[tokio::test]
async fn query_parameters_by_name_with_lists_and_options() {
    let client = TestClient::new(App::new().get("/items", list));
    let res = client
        .get("/items?limit=5&tags=a&tags=b&q=hello%20world")
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"q": "hello world", "limit": 5, "tags": ["a", "b"]})
    );
}

#[tokio::test]
async fn missing_and_invalid_query_parameters_are_422() {
    let client = TestClient::new(App::new().get("/items", list));
    let res = client.get("/items").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["query", "limit"], "msg": "Field required", "input": null}]})
    );
    let res = client.get("/items?limit=ten").await;
    assert_eq!(res.json::<Value>()["detail"][0]["type"], "int_parsing");
    assert_eq!(res.json::<Value>()["detail"][0]["input"], "ten");
}

#[derive(Deserialize, JsonSchema)]
struct Search {
    q: Option<String>,
}

async fn search(Query(search): Query<Search>) -> Json<Value> {
    Json(json!({ "q": search.q }))
}

#[tokio::test]
async fn an_optional_query_parameter_ignores_unknown_ones() {
    // FastAPI's `q: str | None = None`, as a struct field.
    let client = TestClient::new(App::new().get("/search", search));
    for (uri, q) in [
        ("/search?q=x&utm=1", json!("x")),
        ("/search?utm=1&q=x", json!("x")),
        ("/search?foo=bar", Value::Null),
        ("/search", Value::Null),
        ("/search?", Value::Null),
        ("/search?q=", json!("")),
        ("/search?q=a&q=b", json!("b")),
    ] {
        let res = client.get(uri).await;
        assert_eq!(res.status(), 200, "{uri}");
        assert_eq!(res.json::<Value>(), json!({ "q": q }), "{uri}");
    }
}

#[tokio::test]
async fn a_query_type_that_is_no_struct_is_refused_when_the_app_is_built() {
    async fn optional(Query(q): Query<Option<String>>) -> String {
        q.unwrap_or_default()
    }
    let (route, reason) = build_error(App::new().get("/search", optional));
    assert_eq!(route, "GET /search");
    assert_eq!(
        reason,
        "Query<Option<String>> cannot read named query parameters; declare a struct: \
         #[derive(Deserialize, JsonSchema)] struct Params { q: Option<String> } and use Query<Params>"
    );

    async fn required(Query(q): Query<String>) -> String {
        q
    }
    let (_, reason) = build_error(App::new().get("/search", required));
    assert!(
        reason.contains("struct Params { q: String } and use Query<Params>"),
        "{reason}"
    );

    async fn positions(Query(_): Query<(String, u32)>) -> &'static str {
        "never"
    }
    let (_, reason) = build_error(App::new().get("/search", positions));
    assert!(
        reason.contains("struct Params { a: String, b: u32 }"),
        "{reason}"
    );

    async fn list(Query(_): Query<Vec<String>>) -> &'static str {
        "never"
    }
    let (_, reason) = build_error(App::new().post("/search", list));
    assert!(
        reason.contains("struct Params { q: Vec<String> }"),
        "{reason}"
    );

    // Optional or not, the extractor is checked.
    async fn maybe(q: Option<Query<Option<String>>>) -> String {
        q.and_then(|Query(q)| q).unwrap_or_default()
    }
    let (_, reason) = build_error(App::new().get("/search", maybe));
    assert!(
        reason.starts_with("Query<Option<String>> cannot read"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_query_field_holding_a_struct_is_refused_when_the_app_is_built() {
    #[derive(Deserialize, JsonSchema)]
    struct Filter {
        #[allow(dead_code)]
        page: Search,
    }
    async fn filter(Query(_): Query<Filter>) -> &'static str {
        "never"
    }
    let (_, reason) = build_error(App::new().get("/items", filter));
    assert_eq!(
        reason,
        "Query<Filter>: field `page` is a struct (Search), but a query parameter is text \
         (a Vec field collects repeated ones); declare its fields in Filter itself"
    );
}

#[tokio::test]
async fn a_query_map_reads_every_parameter() {
    async fn all(Query(map): Query<HashMap<String, Vec<String>>>) -> Json<Value> {
        Json(json!(map))
    }
    let client = TestClient::new(App::new().get("/all", all));
    let res = client.get("/all?a=1&b=2&a=3").await;
    assert_eq!(res.json::<Value>(), json!({"a": ["1", "3"], "b": ["2"]}));
}

#[tokio::test]
async fn a_header_type_that_is_no_struct_is_refused_when_the_app_is_built() {
    async fn agent(Headers(agent): Headers<String>) -> String {
        agent
    }
    let (_, reason) = build_error(App::new().get("/", agent));
    assert_eq!(
        reason,
        "Headers<String> cannot read named headers; declare a struct: #[derive(Deserialize, JsonSchema)] \
         struct RequestHeaders { user_agent: String } and use Headers<RequestHeaders>"
    );

    #[derive(Deserialize, JsonSchema)]
    struct Dashed {
        #[serde(rename = "X-Token")]
        #[allow(dead_code)]
        token: String,
    }
    async fn dashed(Headers(_): Headers<Dashed>) -> &'static str {
        "never"
    }
    let (_, reason) = build_error(App::new().get("/", dashed));
    assert!(
        reason.contains("field `X-Token` can never match a header"),
        "{reason}"
    );
}

#[tokio::test]
async fn unknown_query_parameters_are_fastapis_extra_forbidden_when_denied() {
    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[allow(dead_code)]
        q: Option<String>,
    }
    async fn strict(Query(_): Query<Strict>) -> &'static str {
        "ok"
    }
    let client = TestClient::new(App::new().get("/strict", strict));
    assert_eq!(client.get("/strict?q=x").await.status(), 200);
    let res = client.get("/strict?q=x&tool=plumbus").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{
            "type": "extra_forbidden",
            "loc": ["query", "tool"],
            "msg": "Extra inputs are not permitted",
            "input": "plumbus",
        }]})
    );
}

#[tokio::test]
async fn headers_are_read_with_underscores_as_hyphens() {
    #[derive(Deserialize, JsonSchema)]
    struct Client {
        user_agent: Option<String>,
        x_token: String,
    }
    async fn who(Headers(client): Headers<Client>) -> String {
        format!(
            "{}|{}",
            client.x_token,
            client.user_agent.unwrap_or_default()
        )
    }
    let client = TestClient::new(App::new().get("/", who));
    let res = client
        .get("/")
        .header("x-token", "t1")
        .header("user-agent", "curl")
        .await;
    assert_eq!(res.text(), "t1|curl");
    let res = client.get("/").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0]["loc"],
        json!(["header", "x-token"])
    );
}

#[derive(Deserialize, serde::Serialize, JsonSchema)]
struct Item {
    name: String,
    price: f64,
}

async fn create(Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

/// FastAPI writes a response with `json.dumps`, so each float is written
/// as Python's `repr` writes it, and so is a float the client sent, when
/// a 422 gives it back.
#[tokio::test]
async fn floats_in_json_are_written_as_python_writes_them() {
    let app = App::new()
        .get("/floats", || async {
            Json(json!({"a": 1e-5, "b": 0.0001, "c": 1e16, "d": 1e15, "e": -1.5e-7, "f": 2.0}))
        })
        .post("/items", create);
    let client = TestClient::new(app);
    assert_eq!(
        client.get("/floats").await.text(),
        r#"{"a":1e-05,"b":0.0001,"c":1e+16,"d":1000000000000000.0,"e":-1.5e-07,"f":2.0}"#
    );
    let res = client
        .post("/items")
        .header("content-type", "application/json")
        .body(r#"{"name": 0.00001, "price": 1.5}"#)
        .await;
    assert_eq!(
        res.text(),
        r#"{"detail":[{"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string","input":1e-05}]}"#
    );
}

#[tokio::test]
async fn json_body_round_trips() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client
        .post("/items")
        .json(&json!({"name": "x", "price": 1.5}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"name": "x", "price": 1.5}));
}

#[tokio::test]
async fn malformed_json_is_json_invalid_with_the_position() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client
        .post("/items")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{
            "type": "json_invalid", "loc": ["body", 9], "msg": "JSON decode error",
            "input": {}, "ctx": {"error": "Expecting value"}
        }]})
    );
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_names_the_field() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client.post("/items").json(&json!({"name": "x"})).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["body", "price"], "msg": "Field required", "input": {"name": "x"}}]})
    );
    let res = client
        .post("/items")
        .json(&json!({"name": "x", "price": "cheap"}))
        .await;
    assert_eq!(res.json::<Value>()["detail"][0]["type"], "float_parsing");
    assert_eq!(
        res.json::<Value>()["detail"][0]["loc"],
        json!(["body", "price"])
    );
}

/// serde's messages quote the client's value: a value that reads like
/// serde's own words for another error is still only a bad value
/// (FastAPI 0.165 answers these three bodies the same way).
#[tokio::test]
async fn a_value_that_reads_like_serde_s_own_words_is_only_a_bad_value() {
    let client = TestClient::new(App::new().post("/items", create));
    let float_parsing = |input: &str| {
        json!({"type": "float_parsing", "loc": ["body", "price"],
               "msg": "Input should be a valid number, unable to parse string as a number",
               "input": input})
    };
    let res = client
        .post("/items")
        .json(&json!({"name": "x", "price": "missing field `q`"}))
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [float_parsing("missing field `q`")]})
    );
    let res = client
        .post("/items")
        .json(&json!({"name": "missing field `price`", "price": "missing field `q`"}))
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [float_parsing("missing field `q`")]})
    );
    let sent = json!({"price": "unknown field `q`, expected `a`"});
    let res = client.post("/items").json(&sent).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": sent},
            float_parsing("unknown field `q`, expected `a`"),
        ]})
    );
}

#[tokio::test]
async fn an_empty_body_is_a_missing_body() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client
        .post("/items")
        .header("content-type", "application/json")
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]})
    );
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_not_parsed_as_json() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client
        .post("/items")
        .text("{\"name\":\"x\",\"price\":1}")
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0]["type"],
        "model_attributes_type"
    );
    assert_eq!(res.json::<Value>()["detail"][0]["loc"], json!(["body"]));
    // Nor without any content-type (FastAPI 0.165's strict_content_type).
    let res = client
        .post("/items")
        .body("{\"name\":\"x\",\"price\":1}")
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0]["input"],
        "{\"name\":\"x\",\"price\":1}"
    );
}

/// A body that is not declared JSON and is not UTF-8 either is never
/// handed on with its bad bytes replaced: pydantic's `string_unicode`.
#[tokio::test]
async fn a_body_that_is_neither_json_nor_utf8_is_refused_not_mangled() {
    let app = App::new().post(
        "/echo",
        |Json(value): Json<Value>| async move { Json(value) },
    );
    let client = TestClient::new(app);
    let res = client
        .post("/echo")
        .header("content-type", "text/plain")
        .body(b"caf\xe9".to_vec())
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "string_unicode", "loc": ["body"],
            "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
            "input": "caf\u{fffd}"}]})
    );
    let res = client
        .post("/echo")
        .header("content-type", "text/plain")
        .body("café")
        .await;
    assert_eq!(res.json::<Value>(), json!("café"));
}

#[tokio::test]
async fn invalid_utf8_json_is_a_400() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client
        .post("/items")
        .header("content-type", "application/json")
        .body(vec![b'"', 0xff, b'"'])
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "There was an error parsing the body"})
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    async fn size(body: Bytes) -> String {
        body.len().to_string()
    }
    let client = TestClient::new(App::new().post("/", size).max_body_size(8));
    assert_eq!(client.post("/").body("12345678").await.text(), "8");
    let res = client.post("/").body("123456789").await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.text(), "Content Too Large");
}

#[tokio::test]
async fn app_state_is_shared_with_handlers() {
    struct Config {
        name: &'static str,
    }
    async fn name(State(config): State<Arc<Config>>) -> &'static str {
        config.name
    }
    let app = App::new()
        .state(Arc::new(Config { name: "sluice" }))
        .get("/", name);
    assert_eq!(TestClient::new(app).get("/").await.text(), "sluice");
}

#[tokio::test]
async fn optional_extractors_do_not_reject() {
    async fn maybe(q: Option<Query<Page>>) -> String {
        q.map_or("none".to_owned(), |Query(p)| p.limit.to_string())
    }
    let client = TestClient::new(App::new().get("/", maybe));
    assert_eq!(client.get("/").await.text(), "none");
    assert_eq!(client.get("/?limit=3").await.text(), "3");
}

/// FastAPI 0.165: `item: Item` with a `null` body.
#[tokio::test]
async fn a_json_null_body_is_a_type_error_for_a_struct() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client.post("/items").json(&Value::Null).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": null}]})
    );
}

/// FastAPI 0.165: `payload: Any = Body()` echoes `null`.
#[tokio::test]
async fn a_json_null_body_is_null_for_a_value() {
    async fn echo(Json(value): Json<Value>) -> Json<Value> {
        Json(value)
    }
    let client = TestClient::new(App::new().post("/echo", echo));
    let res = client.post("/echo").json(&Value::Null).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "null");
    let res = client
        .post("/echo")
        .header("content-type", "application/json")
        .await;
    assert_eq!(res.status(), 422, "an empty body is still missing");
}

/// FastAPI 0.165: `item: Optional[Item]` (required) with a `null` body.
#[tokio::test]
async fn a_json_null_body_is_none_for_an_option() {
    async fn maybe(Json(item): Json<Option<Item>>) -> String {
        format!("{:?}", item.map(|i| i.name))
    }
    let client = TestClient::new(App::new().post("/maybe", maybe));
    let res = client.post("/maybe").json(&Value::Null).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "None");
    let res = client
        .post("/maybe")
        .json(&json!({"name": "x", "price": 1.0}))
        .await;
    assert_eq!(res.text(), "Some(\"x\")");
    let res = client.post("/maybe").json(&json!(5)).await;
    assert_eq!(
        res.json::<Value>()["detail"][0]["type"],
        "model_attributes_type"
    );
}

/// FastAPI 0.165: `payload: dict = Body()` with a `null` body.
#[tokio::test]
async fn a_json_null_body_is_a_type_error_for_a_map() {
    async fn echo(
        Json(map): Json<serde_json::Map<String, Value>>,
    ) -> Json<serde_json::Map<String, Value>> {
        Json(map)
    }
    let client = TestClient::new(App::new().post("/echo", echo));
    let res = client.post("/echo").json(&Value::Null).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "dict_type", "loc": ["body"], "msg": "Input should be a valid dictionary", "input": null}]})
    );
}

#[tokio::test]
async fn an_object_body_refuses_other_json_values() {
    async fn echo(
        Json(map): Json<serde_json::Map<String, Value>>,
    ) -> Json<serde_json::Map<String, Value>> {
        Json(map)
    }
    let client = TestClient::new(App::new().post("/echo", echo));
    let res = client.post("/echo").json(&json!([1, 2])).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "dict_type", "loc": ["body"], "msg": "Input should be a valid dictionary", "input": [1, 2]}]})
    );
    let res = client
        .post("/echo")
        .json(&json!({"b": 1, "a": [true, null]}))
        .await;
    assert_eq!(
        res.text(),
        r#"{"b":1,"a":[true,null]}"#,
        "key order is kept"
    );
}

/// Every kind of field a query struct may have.
#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct Everything {
    s: Option<String>,
    n: Option<i64>,
    f: Option<f64>,
    b: Option<bool>,
    c: Option<char>,
    model: Option<Model>,
    list: Option<Vec<u8>>,
    pair: Option<(u8, String)>,
    id: Option<Id>,
    v: Option<Value>,
    u: Option<()>,
    req: u32,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
enum Model {
    Alexnet,
    Resnet(u8),
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct Id(u64);

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct Flattened {
    a: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct Strict {
    s: Option<String>,
    n: Option<i64>,
}

fn query_strategy() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let key = proptest::sample::select(vec![
        "s", "n", "f", "b", "c", "model", "list", "pair", "id", "v", "u", "req", "a", "other", "",
        "%73", "s%00",
    ]);
    let value = prop_oneof![
        proptest::sample::select(vec![
            "",
            "0",
            "1",
            "-1",
            "300",
            "1.5",
            "nan",
            "true",
            "no",
            "x",
            "alexnet",
            "resnet",
            "Resnet",
            "%ff",
            "%E2%82%AC",
            "a+b",
            "18446744073709551616",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,6}".prop_map(|s| s.replace(['&', '#'], "")),
    ];
    let pair = (key, value, any::<bool>()).prop_map(|(k, v, with_eq)| {
        if with_eq || !v.is_empty() {
            format!("{k}={v}")
        } else {
            k.to_owned()
        }
    });
    proptest::collection::vec(pair, 0..8).prop_map(|pairs| pairs.join("&"))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Whatever a client sends, a query type the build accepts reads it or
    /// answers FastAPI's 422: the client can never cause a 500.
    #[test]
    fn no_query_makes_an_accepted_type_fail_with_a_500(query in query_strategy()) {
        fn status<T: serde::de::DeserializeOwned + schemars::JsonSchema + 'static>(query: &str) -> u16 {
            match Query::<T>::from_query_str(query) {
                Ok(_) => 200,
                Err(err) => err.status().as_u16(),
            }
        }
        for (ty, code) in [
            ("Everything", status::<Everything>(&query)),
            ("Option<Everything>", status::<Option<Everything>>(&query)),
            ("Flattened", status::<Flattened>(&query)),
            ("Strict", status::<Strict>(&query)),
            ("HashMap<String, String>", status::<HashMap<String, String>>(&query)),
            ("HashMap<String, Vec<String>>", status::<HashMap<String, Vec<String>>>(&query)),
            ("Value", status::<Value>(&query)),
        ] {
            proptest::prop_assert!(code == 200 || code == 422, "{ty} on {query:?}: {code}");
        }
    }
}

#[tokio::test]
async fn the_types_the_query_property_uses_are_accepted_when_the_app_is_built() {
    async fn everything(
        _: Query<Everything>,
        _: Query<Option<Everything>>,
        _: Query<Flattened>,
        _: Query<HashMap<String, String>>,
        _: Query<HashMap<String, Vec<String>>>,
        _: Query<Value>,
    ) -> &'static str {
        "ok"
    }
    let strict = |Query(_): Query<Strict>| async { "ok" };
    let app = App::new().get("/", everything).get("/strict", strict);
    let client = TestClient::try_new(app).expect("accepted");
    assert_eq!(
        client
            .get("/?req=1&list=1&list=2&pair=7&pair=x")
            .await
            .text(),
        "ok"
    );
    assert_eq!(client.get("/strict?n=1").await.text(), "ok");
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Net {
    Alexnet,
    Resnet,
    Lenet,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct StrictBody {
    a: i64,
    model: Option<Net>,
}

/// A JSON body's unknown field (`deny_unknown_fields`, pydantic's
/// `extra="forbid"`) and unknown enum value, as FastAPI reports them.
#[tokio::test]
async fn body_extra_fields_and_enum_values_are_reported_as_fastapi_does() {
    let app = App::new().post("/strict", |Json(_): Json<StrictBody>| async { "ok" });
    let client = TestClient::new(app);
    let post = |body: &'static str| {
        client
            .post("/strict")
            .header("content-type", "application/json")
            .body(body)
    };
    let res = post(r#"{"a":1,"b":2}"#).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "extra_forbidden", "loc": ["body", "b"],
            "msg": "Extra inputs are not permitted", "input": 2}]})
    );
    let res = post(r#"{"a":1,"model":"vgg"}"#).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "enum", "loc": ["body", "model"],
            "msg": "Input should be 'alexnet', 'resnet' or 'lenet'", "input": "vgg",
            "ctx": {"expected": "'alexnet', 'resnet' or 'lenet'"}}]})
    );
    // An unknown key may hold backquotes, as serde quotes it.
    let res = post(r#"{"a":1,"x`y":2}"#).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "extra_forbidden", "loc": ["body", "x`y"],
            "msg": "Extra inputs are not permitted", "input": 2}]})
    );
    // The client's value may hold serde's own words; the choices are
    // still the enum's.
    let res = post(r#"{"a":1,"model":"x`, expected `evil"}"#).await;
    assert_eq!(
        res.json::<Value>()["detail"][0]["msg"],
        "Input should be 'alexnet', 'resnet' or 'lenet'"
    );
    // Not a name at all: still the enum's choices, from its schema.
    let res = post(r#"{"a":1,"model":[1]}"#).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "enum", "loc": ["body", "model"],
            "msg": "Input should be 'alexnet', 'resnet' or 'lenet'", "input": [1],
            "ctx": {"expected": "'alexnet', 'resnet' or 'lenet'"}}]})
    );
    assert_eq!(post(r#"{"a":1,"model":"resnet"}"#).await.text(), "ok");
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct Ids {
    ids: Vec<i64>,
}

/// A bad item of a list parameter is named by its position, as FastAPI
/// names it (`loc: ["query", "ids", 1]`).
#[tokio::test]
async fn a_bad_item_of_a_list_parameter_is_named_by_its_position() {
    let app = App::new().get("/ids", |Query(q): Query<Ids>| async move {
        Json(json!({ "ids": q.ids }))
    });
    let client = TestClient::new(app);
    let int_parsing = |index: usize, input: &str| {
        json!({"detail": [{"type": "int_parsing", "loc": ["query", "ids", index],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": input}]})
    };
    let res = client.get("/ids?ids=1&ids=x").await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>(), int_parsing(1, "x"));
    assert_eq!(
        client.get("/ids?ids=").await.json::<Value>(),
        int_parsing(0, "")
    );
    assert_eq!(
        client.get("/ids?ids=1&ids=2").await.json::<Value>(),
        json!({"ids": [1, 2]})
    );
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct TokenHeaders {
    x_token: String,
    #[serde(default)]
    x_tag: Vec<String>,
}

/// FastAPI's `x_token: str = Header()` reads `x-token` only, and the first
/// of repeated lines; a list takes them all, in order.
#[tokio::test]
async fn headers_are_read_as_fastapi_reads_them() {
    let app = App::new().get("/h", |Headers(h): Headers<TokenHeaders>| async move {
        Json(json!({ "x_token": h.x_token, "x_tag": h.x_tag }))
    });
    let client = TestClient::new(app);
    // A header literally named `x_token` is another header.
    let res = client.get("/h").header("x_token", "t").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>()["detail"][0]["loc"],
        json!(["header", "x-token"])
    );
    let res = client
        .get("/h")
        .header("x-token", "a")
        .header("x-token", "b")
        .header("x-tag", "1")
        .header("x-tag", "2")
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"x_token": "a", "x_tag": ["1", "2"]})
    );
}

/// Python's `json.loads` takes UTF-8 with a byte order mark, and counts
/// error positions from after it.
#[tokio::test]
async fn a_json_body_may_start_with_a_byte_order_mark() {
    let app = App::new().post("/echo", |Json(v): Json<Value>| async move { Json(v) });
    let client = TestClient::new(app);
    let post = |body: &'static [u8]| {
        client
            .post("/echo")
            .header("content-type", "application/json")
            .body(body)
    };
    let res = post(b"\xef\xbb\xbf{\"a\":1}").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>(), json!({"a": 1}));
    let res = post(b"\xef\xbb\xbf{\"a\":}").await;
    assert_eq!(res.status(), 422);
    let detail = &res.json::<Value>()["detail"][0];
    assert_eq!(detail["loc"], json!(["body", 5]));
    assert_eq!(detail["ctx"], json!({"error": "Expecting value"}));
}

#[derive(Deserialize, serde::Serialize, JsonSchema)]
struct Size {
    width: f64,
    height: f64,
}

#[derive(Deserialize, serde::Serialize, JsonSchema)]
struct Listed {
    name: String,
    price: f64,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    dimensions: Option<Size>,
}

/// A POST of `body` to `uri`, declared JSON.
fn post_json(
    client: &TestClient,
    uri: &str,
    body: impl Into<sluice::Body>,
) -> sluice::testing::RequestBuilder {
    client
        .post(uri)
        .header("content-type", "application/json")
        .body(body)
}

fn listed_app() -> TestClient {
    let app = App::new()
        .post(
            "/items",
            |Json(item): Json<Listed>| async move { Json(item) },
        )
        // The query before the path: FastAPI lists the path's issues first
        // whatever the order of the arguments.
        .get(
            "/items/{id}",
            |Query(_): Query<Page>, Path(_): Path<i64>| async { "ok" },
        )
        .put(
            "/items/{id}",
            |Path(_): Path<i64>, Json(item): Json<Listed>| async move { Json(item) },
        );
    TestClient::new(app)
}

/// Every field that does not fit is listed, in the model's order, with
/// what the client sent there: FastAPI 0.165's answers, recorded.
#[tokio::test]
async fn every_issue_of_a_body_is_listed_in_the_models_order() {
    let client = listed_app();
    let post = |body: &'static str| post_json(&client, "/items", body);
    let missing = |field: &str, input: Value| json!({"type": "missing", "loc": ["body", field], "msg": "Field required", "input": input});
    let res = post("{}").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [missing("name", json!({})), missing("price", json!({}))]})
    );
    // Sent out of order: still listed as declared.
    let res = post(r#"{"price":"x"}"#).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            missing("name", json!({"price": "x"})),
            {"type": "float_parsing", "loc": ["body", "price"],
             "msg": "Input should be a valid number, unable to parse string as a number", "input": "x"}
        ]})
    );
    let res = post(r#"{"name":1,"price":"x","tags":[1,"a",{}],"dimensions":{"width":"w"}}"#).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "string_type", "loc": ["body", "name"], "msg": "Input should be a valid string", "input": 1},
            {"type": "float_parsing", "loc": ["body", "price"],
             "msg": "Input should be a valid number, unable to parse string as a number", "input": "x"},
            {"type": "string_type", "loc": ["body", "tags", 0], "msg": "Input should be a valid string", "input": 1},
            {"type": "string_type", "loc": ["body", "tags", 2], "msg": "Input should be a valid string", "input": {}},
            {"type": "float_parsing", "loc": ["body", "dimensions", "width"],
             "msg": "Input should be a valid number, unable to parse string as a number", "input": "w"},
            {"type": "missing", "loc": ["body", "dimensions", "height"], "msg": "Field required",
             "input": {"width": "w"}}
        ]})
    );
}

/// serde reads a struct from a list of its fields' values; pydantic does
/// not, and neither does `Json<T>`.
#[tokio::test]
async fn a_model_is_read_from_an_object_only() {
    let client = listed_app();
    let post = |body: &'static str| post_json(&client, "/items", body);
    let not_an_object = |loc: Value, input: Value| {
        json!({"type": "model_attributes_type", "loc": loc,
            "msg": "Input should be a valid dictionary or object to extract fields from", "input": input})
    };
    let res = post(r#"["hammer", 9.5]"#).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [not_an_object(json!(["body"]), json!(["hammer", 9.5]))]})
    );
    let res = post(r#"{"name":"a","price":1,"dimensions":[1,2]}"#).await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [not_an_object(json!(["body", "dimensions"]), json!([1, 2]))]})
    );
}

/// The path, the query and the body are all validated before the answer,
/// and their issues listed together, the path's first.
#[tokio::test]
async fn the_issues_of_every_argument_are_answered_together() {
    let client = listed_app();
    let int_parsing = |loc: Value, input: &str| {
        json!({"type": "int_parsing", "loc": loc,
            "msg": "Input should be a valid integer, unable to parse string as an integer", "input": input})
    };
    let res = client.get("/items/abc?limit=x").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            int_parsing(json!(["path", "id"]), "abc"),
            int_parsing(json!(["query", "limit"]), "x")
        ]})
    );
    let put = |body: &'static str| {
        client
            .put("/items/abc")
            .header("content-type", "application/json")
            .body(body)
    };
    let res = put("{}").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            int_parsing(json!(["path", "id"]), "abc"),
            {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {}},
            {"type": "missing", "loc": ["body", "price"], "msg": "Field required", "input": {}}
        ]})
    );
    let res = put("").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            int_parsing(json!(["path", "id"]), "abc"),
            {"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}
        ]})
    );
    // A body that is not JSON at all is the only answer, as FastAPI reads
    // the body before it validates anything.
    let res = put("{bad").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error",
            "input": {}, "ctx": {"error": "Expecting property name enclosed in double quotes"}}]})
    );
}

/// Unknown fields come after the model's own, in the order sent.
#[tokio::test]
async fn unknown_fields_are_listed_after_the_models_own() {
    let app = App::new().post("/strict", |Json(_): Json<StrictBody>| async { "ok" });
    let client = TestClient::new(app);
    let res = client
        .post("/strict")
        .header("content-type", "application/json")
        .body(r#"{"b":2,"a":"x","model":"vgg","c":3}"#)
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "int_parsing", "loc": ["body", "a"],
             "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
            {"type": "enum", "loc": ["body", "model"], "msg": "Input should be 'alexnet', 'resnet' or 'lenet'",
             "input": "vgg", "ctx": {"expected": "'alexnet', 'resnet' or 'lenet'"}},
            {"type": "extra_forbidden", "loc": ["body", "b"], "msg": "Extra inputs are not permitted", "input": 2},
            {"type": "extra_forbidden", "loc": ["body", "c"], "msg": "Extra inputs are not permitted", "input": 3}
        ]})
    );
}

/// A hostile body's listing is cut (at 1,000 issues, or once 256 KiB have
/// been read again), and the answer comes at once.
#[tokio::test]
async fn the_listing_of_a_hostile_body_is_cut() {
    let client = listed_app();
    let tags = vec![1; 5000];
    let body = json!({"name": "n", "price": 1, "tags": tags}).to_string();
    let started = std::time::Instant::now();
    let res = post_json(&client, "/items", body).await;
    assert_eq!(res.status(), 422);
    let detail = res.json::<Value>()["detail"]
        .as_array()
        .expect("a list")
        .clone();
    // 15 KB read again until 256 KiB: about 17 issues.
    assert!((10..=30).contains(&detail.len()), "{}", detail.len());
    for (index, issue) in detail.iter().enumerate() {
        assert_eq!(issue["loc"], json!(["body", "tags", index]));
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // A body longer than the budget is not read again: its first issue
    // is the list.
    let mut tags = vec![json!("long enough to make the body pass 256 KiB"); 8000];
    tags[0] = json!(1);
    tags[1] = json!(2);
    let body = json!({"name": "n", "price": 1, "tags": tags}).to_string();
    assert!(body.len() > 256 << 10, "{}", body.len());
    let res = post_json(&client, "/items", body).await;
    assert_eq!(res.status(), 422);
    let detail = res.json::<Value>()["detail"].clone();
    assert_eq!(detail.as_array().map(Vec::len), Some(1), "{detail}");
    assert_eq!(detail[0]["loc"], json!(["body", "tags", 0]));
    assert_eq!(detail[0]["input"], json!(1));
}

/// A number in a JSON body is read to the nearest `f64`, as Python's
/// `json.loads` reads it, so an echo gives back the number sent.
#[tokio::test]
async fn a_json_number_is_read_to_the_nearest_float() {
    let app = App::new().post(
        "/echo",
        |Json(value): Json<Value>| async move { Json(value) },
    );
    let client = TestClient::new(app);
    for sent in [
        "995.3124009261687",
        "81e71",
        "0.1",
        "2.2250738585072014e-308",
    ] {
        let res = client
            .post("/echo")
            .header("content-type", "application/json")
            .body(sent)
            .await;
        let back: f64 = res.text().parse().expect("a number");
        let exact: f64 = sent.parse().expect("a number");
        assert_eq!(
            back.to_bits(),
            exact.to_bits(),
            "{sent} came back as {}",
            res.text()
        );
    }
}

/// A JSON body in UTF-16 or UTF-32 is read as Python's `json.loads` reads
/// bytes: by its byte order mark, or by where its first bytes are zero.
#[tokio::test]
async fn a_json_body_in_utf16_or_utf32_is_read_as_json_loads_reads_it() {
    let app = App::new().post(
        "/echo",
        |Json(value): Json<Value>| async move { Json(value) },
    );
    let client = TestClient::new(app);
    let post = |body: Vec<u8>| {
        client
            .post("/echo")
            .header("content-type", "application/json")
            .body(body)
    };
    let text = r#"{"a":["é",1]}"#;
    let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf32le: Vec<u8> = text
        .chars()
        .flat_map(|c| u32::from(c).to_le_bytes())
        .collect();
    let utf32be: Vec<u8> = text
        .chars()
        .flat_map(|c| u32::from(c).to_be_bytes())
        .collect();
    let with_mark = |mark: &[u8], body: &[u8]| [mark, body].concat();
    for body in [
        utf16le.clone(),
        utf16be.clone(),
        utf32le.clone(),
        utf32be.clone(),
        with_mark(&[0xFF, 0xFE], &utf16le),
        with_mark(&[0xFE, 0xFF], &utf16be),
        with_mark(&[0xFF, 0xFE, 0, 0], &utf32le),
        with_mark(&[0, 0, 0xFE, 0xFF], &utf32be),
    ] {
        let res = post(body.clone()).await;
        assert_eq!(res.status(), 200, "{body:?}");
        assert_eq!(res.json::<Value>(), json!({"a": ["é", 1]}));
    }
    // Cut in the middle of a code unit: it does not decode, FastAPI's 400.
    let res = post(utf16le[..utf16le.len() - 1].to_vec()).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text(),
        r#"{"detail":"There was an error parsing the body"}"#
    );
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Kind {
    A,
    B,
}

fn ten() -> i64 {
    10
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct Listing {
    page: i64,
    #[serde(default = "ten")]
    size: i64,
    #[serde(default)]
    tags: Vec<i64>,
    flag: Option<bool>,
    kind: Option<Kind>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct ListedHeaders {
    x_token: String,
    x_count: i64,
    #[serde(default)]
    x_ids: Vec<i64>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct StrictQuery {
    a: i64,
    #[serde(default)]
    b: i64,
}

/// Every bad or missing parameter of a `Query` or `Headers` struct is
/// listed, in the struct's order: FastAPI 0.165's answers, recorded for
/// the same parameters (`page: int, size: int = 10, tags: list[int] =
/// Query([]), flag: bool | None = None, kind: Kind | None = None`; three
/// `Header()`s; a query model with `extra="forbid"`).
#[tokio::test]
async fn every_issue_of_query_and_header_parameters_is_listed() {
    let app = App::new()
        .get("/q", |Query(_): Query<Listing>| async { "ok" })
        .get("/h", |Headers(_): Headers<ListedHeaders>| async { "ok" })
        .get("/s", |Query(_): Query<StrictQuery>| async { "ok" });
    let client = TestClient::new(app);
    // The request, its headers, and FastAPI's answer.
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "/q",
            vec![],
            422,
            r#"{"detail":[{"type":"missing","loc":["query","page"],"msg":"Field required","input":null}]}"#,
        ),
        (
            "/q?page=x&size=y",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_parsing","loc":["query","size"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"y"}]}"#,
        ),
        (
            "/q?size=y",
            vec![],
            422,
            r#"{"detail":[{"type":"missing","loc":["query","page"],"msg":"Field required","input":null},{"type":"int_parsing","loc":["query","size"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"y"}]}"#,
        ),
        (
            "/q?page=1&tags=1&tags=x&tags=2&tags=z",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","tags",1],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_parsing","loc":["query","tags",3],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"z"}]}"#,
        ),
        (
            "/q?page=x&tags=y&flag=maybe&kind=c",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_parsing","loc":["query","tags",0],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"y"},{"type":"bool_parsing","loc":["query","flag"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"},{"type":"enum","loc":["query","kind"],"msg":"Input should be 'a' or 'b'","input":"c","ctx":{"expected":"'a' or 'b'"}}]}"#,
        ),
        (
            "/q?kind=c&flag=2&size=x&page=1",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","size"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"bool_parsing","loc":["query","flag"],"msg":"Input should be a valid boolean, unable to interpret input","input":"2"},{"type":"enum","loc":["query","kind"],"msg":"Input should be 'a' or 'b'","input":"c","ctx":{"expected":"'a' or 'b'"}}]}"#,
        ),
        (
            "/q?page=1&size=2&size=x",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","size"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]}"#,
        ),
        (
            "/q?page=&size=",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""},{"type":"int_parsing","loc":["query","size"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""}]}"#,
        ),
        (
            "/h",
            vec![],
            422,
            r#"{"detail":[{"type":"missing","loc":["header","x-token"],"msg":"Field required","input":null},{"type":"missing","loc":["header","x-count"],"msg":"Field required","input":null}]}"#,
        ),
        (
            "/h",
            vec![("x-count", "x")],
            422,
            r#"{"detail":[{"type":"missing","loc":["header","x-token"],"msg":"Field required","input":null},{"type":"int_parsing","loc":["header","x-count"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]}"#,
        ),
        (
            "/h",
            vec![
                ("x-token", "t"),
                ("x-count", "x"),
                ("x-ids", "1"),
                ("x-ids", "y"),
            ],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["header","x-count"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_parsing","loc":["header","x-ids",1],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"y"}]}"#,
        ),
        (
            "/h",
            vec![("x-ids", "y"), ("x-count", "z")],
            422,
            r#"{"detail":[{"type":"missing","loc":["header","x-token"],"msg":"Field required","input":null},{"type":"int_parsing","loc":["header","x-count"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"z"},{"type":"int_parsing","loc":["header","x-ids",0],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"y"}]}"#,
        ),
        (
            "/s?a=x&b=y&c=1&d=2",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","a"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_parsing","loc":["query","b"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"y"},{"type":"extra_forbidden","loc":["query","c"],"msg":"Extra inputs are not permitted","input":"1"},{"type":"extra_forbidden","loc":["query","d"],"msg":"Extra inputs are not permitted","input":"2"}]}"#,
        ),
        (
            "/s?c=1&a=1",
            vec![],
            422,
            r#"{"detail":[{"type":"extra_forbidden","loc":["query","c"],"msg":"Extra inputs are not permitted","input":"1"}]}"#,
        ),
        (
            "/s?d=1&a=x",
            vec![],
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["query","a"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"extra_forbidden","loc":["query","d"],"msg":"Extra inputs are not permitted","input":"1"}]}"#,
        ),
    ];
    for (uri, headers, status, expected) in cases {
        let mut request = client.get(uri);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let res = request.await;
        assert_eq!(res.status(), status, "{uri}");
        assert_eq!(
            res.json::<Value>(),
            serde_json::from_str::<Value>(expected).expect("JSON"),
            "{uri}"
        );
    }
}

#[derive(Deserialize, JsonSchema, Debug)]
#[allow(dead_code)]
struct UserPath {
    id: i64,
    kind: Kind,
}

/// Every bad path parameter is listed, as FastAPI lists `a: int, b: int`.
#[tokio::test]
async fn every_bad_path_parameter_is_listed() {
    let app = App::new()
        .get("/pair/{a}/{b}", |Path((_, _)): Path<(i64, i64)>| async {
            "ok"
        })
        .get("/users/{id}/{kind}", |Path(_): Path<UserPath>| async {
            "ok"
        });
    let client = TestClient::new(app);
    let int_parsing = |name: &str, input: &str| {
        json!({"type": "int_parsing", "loc": ["path", name],
            "msg": "Input should be a valid integer, unable to parse string as an integer", "input": input})
    };
    let res = client.get("/pair/x/y").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [int_parsing("a", "x"), int_parsing("b", "y")]})
    );
    let res = client.get("/pair/1/y").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [int_parsing("b", "y")]})
    );
    let res = client.get("/users/x/c").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            int_parsing("id", "x"),
            {"type": "enum", "loc": ["path", "kind"], "msg": "Input should be 'a' or 'b'",
             "input": "c", "ctx": {"expected": "'a' or 'b'"}}
        ]})
    );
}

fn one() -> i64 {
    1
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct OrderTag {
    name: String,
    #[serde(default = "one")]
    weight: i64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Color {
    Red,
    Green,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Order {
    id: i64,
    #[serde(default)]
    tags: Vec<OrderTag>,
    #[serde(default)]
    meta: HashMap<String, i64>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    color: Option<Color>,
}

/// Generated bodies for a nested model (a list of models with a default,
/// a map, an optional string and enum, unknown fields), with FastAPI
/// 0.165's answers for the same model in pydantic 2.14, recorded: every
/// issue, in its order, with its input.
#[tokio::test]
async fn a_nested_models_issues_are_listed_as_fastapi_lists_them() {
    let app = App::new().post("/orders", |Json(_): Json<Order>| async { "ok" });
    let client = TestClient::new(app);
    let cases: Vec<(&str, &str)> = vec![
        (
            r#"{"id": 5, "meta": {"c": "x", "b": 1, "a": ["a"]}, "extra": [1], "note": ["a"]}"#,
            r#"{"detail":[{"type":"int_parsing","loc":["body","meta","c"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_type","loc":["body","meta","a"],"msg":"Input should be a valid integer","input":["a"]},{"type":"string_type","loc":["body","note"],"msg":"Input should be a valid string","input":["a"]}]}"#,
        ),
        (
            r#"{"meta": {"b": ""}}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"meta":{"b":""}}},{"type":"int_parsing","loc":["body","meta","b"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""}]}"#,
        ),
        (
            r#"{"color": "blue", "id": 5, "tags": [{"weight": ""}, {"other": [1], "weight": "x", "name": "n"}, {"other": ["a"], "name": "n", "weight": 3}]}"#,
            r#"{"detail":[{"type":"missing","loc":["body","tags",0,"name"],"msg":"Field required","input":{"weight":""}},{"type":"int_parsing","loc":["body","tags",0,"weight"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""},{"type":"int_parsing","loc":["body","tags",1,"weight"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"enum","loc":["body","color"],"msg":"Input should be 'red' or 'green'","input":"blue","ctx":{"expected":"'red' or 'green'"}}]}"#,
        ),
        (
            r#"{"extra": ["a"], "meta": null, "id": 1, "tags": [{"other": ["a"], "name": "x", "weight": 1}, {"weight": ["a"]}], "note": "n"}"#,
            r#"{"detail":[{"type":"missing","loc":["body","tags",1,"name"],"msg":"Field required","input":{"weight":["a"]}},{"type":"int_type","loc":["body","tags",1,"weight"],"msg":"Input should be a valid integer","input":["a"]},{"type":"dict_type","loc":["body","meta"],"msg":"Input should be a valid dictionary","input":null}]}"#,
        ),
        (
            r#"{"color": null, "meta": ["a"], "note": "x", "tags": [], "id": null, "extra": "x"}"#,
            r#"{"detail":[{"type":"int_type","loc":["body","id"],"msg":"Input should be a valid integer","input":null},{"type":"dict_type","loc":["body","meta"],"msg":"Input should be a valid dictionary","input":["a"]}]}"#,
        ),
        (
            r#"{"note": "n", "extra": {}, "meta": {"b": {}, "a": 2}, "tags": [{"name": 3}]}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"note":"n","extra":{},"meta":{"b":{},"a":2},"tags":[{"name":3}]}},{"type":"string_type","loc":["body","tags",0,"name"],"msg":"Input should be a valid string","input":3},{"type":"int_type","loc":["body","meta","b"],"msg":"Input should be a valid integer","input":{}}]}"#,
        ),
        (
            r#"{"color": null, "tags": {"a": 1}, "meta": {"b": [1]}, "extra": 1, "id": 5, "note": "n"}"#,
            r#"{"detail":[{"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":{"a":1}},{"type":"int_type","loc":["body","meta","b"],"msg":"Input should be a valid integer","input":[1]}]}"#,
        ),
        (
            r#"{"tags": 1, "meta": {"a": 1, "c": 1.5, "b": 1}, "id": [], "extra": "x", "note": {"a": 1}, "color": null}"#,
            r#"{"detail":[{"type":"int_type","loc":["body","id"],"msg":"Input should be a valid integer","input":[]},{"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":1},{"type":"int_from_float","loc":["body","meta","c"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5},{"type":"string_type","loc":["body","note"],"msg":"Input should be a valid string","input":{"a":1}}]}"#,
        ),
        (
            r#"{"tags": [{"name": "x", "weight": 1, "other": ""}, {"name": "t", "weight": 2}], "color": "blue", "id": []}"#,
            r#"{"detail":[{"type":"int_type","loc":["body","id"],"msg":"Input should be a valid integer","input":[]},{"type":"enum","loc":["body","color"],"msg":"Input should be 'red' or 'green'","input":"blue","ctx":{"expected":"'red' or 'green'"}}]}"#,
        ),
        (
            r#"{"meta": {"c": [], "b": -2}}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"meta":{"c":[],"b":-2}}},{"type":"int_type","loc":["body","meta","c"],"msg":"Input should be a valid integer","input":[]}]}"#,
        ),
        (
            r#"{"tags": {}}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"tags":{}}},{"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":{}}]}"#,
        ),
        (
            r#"{"tags": ["a"], "meta": {"c": "x", "a": -2}, "note": "n", "id": 5, "extra": "", "color": null}"#,
            r#"{"detail":[{"type":"model_attributes_type","loc":["body","tags",0],"msg":"Input should be a valid dictionary or object to extract fields from","input":"a"},{"type":"int_parsing","loc":["body","meta","c"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]}"#,
        ),
        (
            r#"{"tags": [{"weight": {}, "other": ["a"]}], "extra": [1], "meta": -2, "id": "", "color": "red", "note": "n"}"#,
            r#"{"detail":[{"type":"int_parsing","loc":["body","id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""},{"type":"missing","loc":["body","tags",0,"name"],"msg":"Field required","input":{"weight":{},"other":["a"]}},{"type":"int_type","loc":["body","tags",0,"weight"],"msg":"Input should be a valid integer","input":{}},{"type":"dict_type","loc":["body","meta"],"msg":"Input should be a valid dictionary","input":-2}]}"#,
        ),
        (
            r#"{"id": 5, "tags": [{"name": "t", "weight": 2}], "color": 1, "meta": [], "note": ["a"], "extra": ""}"#,
            r#"{"detail":[{"type":"dict_type","loc":["body","meta"],"msg":"Input should be a valid dictionary","input":[]},{"type":"string_type","loc":["body","note"],"msg":"Input should be a valid string","input":["a"]},{"type":"enum","loc":["body","color"],"msg":"Input should be 'red' or 'green'","input":1,"ctx":{"expected":"'red' or 'green'"}}]}"#,
        ),
        (
            r#"{"id": [1], "extra": "x", "meta": {"c": "x", "b": 1.5}}"#,
            r#"{"detail":[{"type":"int_type","loc":["body","id"],"msg":"Input should be a valid integer","input":[1]},{"type":"int_parsing","loc":["body","meta","c"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_from_float","loc":["body","meta","b"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5}]}"#,
        ),
        (
            r#"{"tags": [{"name": "t", "weight": 2}, {}], "extra": {"a": 1}}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"tags":[{"name":"t","weight":2},{}],"extra":{"a":1}}},{"type":"missing","loc":["body","tags",1,"name"],"msg":"Field required","input":{}}]}"#,
        ),
        (
            r#"{"tags": [{"other": "n", "name": -2}]}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"tags":[{"other":"n","name":-2}]}},{"type":"string_type","loc":["body","tags",0,"name"],"msg":"Input should be a valid string","input":-2}]}"#,
        ),
        (
            r#"{"id": 1.5, "meta": {"a": ["a"], "c": 1.5}, "color": "green", "tags": null, "note": "n"}"#,
            r#"{"detail":[{"type":"int_from_float","loc":["body","id"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5},{"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":null},{"type":"int_type","loc":["body","meta","a"],"msg":"Input should be a valid integer","input":["a"]},{"type":"int_from_float","loc":["body","meta","c"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5}]}"#,
        ),
        (
            r#"{"color": "red", "extra": {}, "meta": ["a"], "id": "x", "note": "n"}"#,
            r#"{"detail":[{"type":"int_parsing","loc":["body","id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"dict_type","loc":["body","meta"],"msg":"Input should be a valid dictionary","input":["a"]}]}"#,
        ),
        (
            r#"{"color": "green", "tags": [{"name": [1], "other": 1, "weight": 1.5}, {"other": null, "name": [1], "weight": {"a": 1}}]}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"color":"green","tags":[{"name":[1],"other":1,"weight":1.5},{"other":null,"name":[1],"weight":{"a":1}}]}},{"type":"string_type","loc":["body","tags",0,"name"],"msg":"Input should be a valid string","input":[1]},{"type":"int_from_float","loc":["body","tags",0,"weight"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5},{"type":"string_type","loc":["body","tags",1,"name"],"msg":"Input should be a valid string","input":[1]},{"type":"int_type","loc":["body","tags",1,"weight"],"msg":"Input should be a valid integer","input":{"a":1}}]}"#,
        ),
        (
            r#"{"tags": ["x", {"name": "t", "weight": 2}], "note": "n", "meta": {"a": ""}}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"tags":["x",{"name":"t","weight":2}],"note":"n","meta":{"a":""}}},{"type":"model_attributes_type","loc":["body","tags",0],"msg":"Input should be a valid dictionary or object to extract fields from","input":"x"},{"type":"int_parsing","loc":["body","meta","a"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""}]}"#,
        ),
        (
            r#"{"id": 5, "color": "green", "extra": {}, "tags": {"a": 1}, "note": -2}"#,
            r#"{"detail":[{"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":{"a":1}},{"type":"string_type","loc":["body","note"],"msg":"Input should be a valid string","input":-2}]}"#,
        ),
        (
            r#"{"tags": [{"name": {}, "other": ["a"], "weight": []}, {"a": 1}], "note": "n", "color": null}"#,
            r#"{"detail":[{"type":"missing","loc":["body","id"],"msg":"Field required","input":{"tags":[{"name":{},"other":["a"],"weight":[]},{"a":1}],"note":"n","color":null}},{"type":"string_type","loc":["body","tags",0,"name"],"msg":"Input should be a valid string","input":{}},{"type":"int_type","loc":["body","tags",0,"weight"],"msg":"Input should be a valid integer","input":[]},{"type":"missing","loc":["body","tags",1,"name"],"msg":"Field required","input":{"a":1}}]}"#,
        ),
        (
            r#"{"color": null, "tags": [{"other": 3, "weight": 3}, 1.5], "meta": {"b": "x", "a": {}}, "id": 5, "note": "n"}"#,
            r#"{"detail":[{"type":"missing","loc":["body","tags",0,"name"],"msg":"Field required","input":{"other":3,"weight":3}},{"type":"model_attributes_type","loc":["body","tags",1],"msg":"Input should be a valid dictionary or object to extract fields from","input":1.5},{"type":"int_parsing","loc":["body","meta","b"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"int_type","loc":["body","meta","a"],"msg":"Input should be a valid integer","input":{}}]}"#,
        ),
    ];
    for (body, expected) in cases {
        let res = post_json(&client, "/orders", body).await;
        assert_eq!(res.status(), 422, "{body}");
        assert_eq!(
            res.json::<Value>(),
            serde_json::from_str::<Value>(expected).expect("JSON"),
            "{body}"
        );
    }
}

#[derive(Deserialize, serde::Serialize, JsonSchema)]
struct Lax {
    n: i64,
    x: f64,
    b: bool,
    #[serde(default)]
    tags: Vec<i64>,
}

/// Numbers and booleans in a JSON body are read as pydantic's lax mode
/// reads them (`" 5 "`, `"2.5"`, `"yes"`, `true` for 1, `3.0` for 3), and
/// what it refuses is refused with its words: FastAPI's answers, recorded.
#[tokio::test]
async fn numbers_and_booleans_are_read_as_pydantic_reads_them() {
    let app = App::new().post("/m", |Json(value): Json<Lax>| async move { Json(value) });
    let client = TestClient::new(app);
    let cases = [
        (
            r#"{"n":" 5 ","x":"2.5","b":"yes","tags":["1_000",true,3.0]}"#,
            200,
            r#"{"n":5,"x":2.5,"b":true,"tags":[1000,1,3]}"#,
        ),
        (
            r#"{"n":true,"x":false,"b":1,"tags":[]}"#,
            200,
            r#"{"n":1,"x":0.0,"b":true,"tags":[]}"#,
        ),
        (
            r#"{"n":"5.5","x":"1__0","b":"2","tags":["x"]}"#,
            422,
            r#"{"detail":[{"type":"int_parsing","loc":["body","n"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"5.5"},{"type":"float_parsing","loc":["body","x"],"msg":"Input should be a valid number, unable to parse string as a number","input":"1__0"},{"type":"bool_parsing","loc":["body","b"],"msg":"Input should be a valid boolean, unable to interpret input","input":"2"},{"type":"int_parsing","loc":["body","tags",0],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]}"#,
        ),
    ];
    for (body, status, expected) in cases {
        let res = post_json(&client, "/m", body).await;
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(
            res.json::<Value>(),
            serde_json::from_str::<Value>(expected).expect("JSON"),
            "{body}"
        );
    }
}

#[derive(Deserialize, JsonSchema)]
struct Priced {
    #[serde(default = "ten")]
    limit: i64,
    price: Option<f64>,
}

async fn priced(Query(q): Query<Priced>) -> Json<Value> {
    Json(json!({ "limit": q.limit, "price": q.price }))
}

/// Query numbers are read as pydantic's lax mode reads them, as FastAPI
/// does (`limit: int = 10`, `price: float | None = None`; each answer
/// recorded from FastAPI 0.165), while an integer path parameter stays a
/// sign and digits (SCENARIOS.md; see the tests above).
#[tokio::test]
async fn query_numbers_are_read_as_pydantic_reads_them() {
    let client = TestClient::new(App::new().get("/items", priced));
    let int_parsing = |input: &str| {
        json!({"detail": [{"type": "int_parsing", "loc": ["query", "limit"],
            "msg": "Input should be a valid integer, unable to parse string as an integer", "input": input}]})
    };
    for (query, status, body) in [
        ("limit=5.0", 200, json!({"limit": 5, "price": null})),
        ("limit=%205%20", 200, json!({"limit": 5, "price": null})),
        ("limit=1_000", 200, json!({"limit": 1000, "price": null})),
        ("limit=+5", 200, json!({"limit": 5, "price": null})),
        ("price=%202.5%20", 200, json!({"limit": 10, "price": 2.5})),
        ("price=1_0.5", 200, json!({"limit": 10, "price": 10.5})),
        ("price=1e3", 200, json!({"limit": 10, "price": 1000.0})),
        ("limit=5.5", 422, int_parsing("5.5")),
        ("limit=", 422, int_parsing("")),
    ] {
        let res = client.get(&format!("/items?{query}")).await;
        assert_eq!(
            (res.status().as_u16(), res.json::<Value>()),
            (status, body),
            "{query}"
        );
    }
}

/// Leads back to itself without reading anything: serde's derive would
/// try `Wrap` again and again on a value neither variant takes, until the
/// stack overflows and the whole server aborts.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Endless {
    Wrap(Box<Endless>),
    N(i64),
}

#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum EndlessOption {
    Wrap(Option<Box<EndlessOption>>),
    N(i64),
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct HoldsEndless {
    name: String,
    value: Endless,
}

/// Recursive, but every step reads something: a list's items, a field.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum Expr {
    Num(i64),
    List(Vec<Expr>),
}

#[derive(Deserialize, JsonSchema)]
struct Tree {
    #[serde(default)]
    children: Vec<Tree>,
    next: Option<Box<Tree>>,
}

fn sum(expr: &Expr) -> i64 {
    match expr {
        Expr::Num(n) => *n,
        Expr::List(items) => items.iter().map(sum).sum(),
    }
}

fn size(tree: &Tree) -> usize {
    1 + tree.children.iter().map(size).sum::<usize>() + tree.next.as_deref().map_or(0, size)
}

/// A type serde would recurse into without end is refused when the app is
/// built, wherever it is; recursive types that read as they go are not.
#[tokio::test]
async fn a_type_that_recurses_without_reading_is_refused_when_the_app_is_built() {
    async fn endless(Json(_v): Json<Endless>) {}
    async fn nested(Json(_v): Json<HoldsEndless>) {}
    async fn optional(Json(_v): Json<EndlessOption>) {}
    for (app, name) in [
        (App::new().post("/e", endless), "Json<Endless>: `Endless`"),
        (
            App::new().post("/e", nested),
            "Json<HoldsEndless>: `Endless`",
        ),
        (
            App::new().post("/e", optional),
            "Json<EndlessOption>: `EndlessOption`",
        ),
    ] {
        let (route, err) = build_error(app);
        assert_eq!(route, "POST /e");
        assert!(
            err.contains(&format!(
                "{name} leads back to itself through its untagged variants (or a newtype) \
                 without reading anything"
            )),
            "{err}"
        );
    }

    async fn expr(Json(e): Json<Expr>) -> String {
        sum(&e).to_string()
    }
    async fn tree(Json(t): Json<Tree>) -> String {
        size(&t).to_string()
    }
    let client = TestClient::new(App::new().post("/expr", expr).post("/tree", tree));
    let res = client
        .post("/expr")
        .json(&json!([1, [2, [3, 4]], []]))
        .await;
    assert_eq!(res.text(), "10");
    // A value neither variant takes is a 422, not a crash.
    let res = client.post("/expr").json(&json!({"a": 1})).await;
    assert_eq!(res.status(), 422);
    let res = client
        .post("/tree")
        .json(&json!({"children": [{"next": {"children": []}}], "next": null}))
        .await;
    assert_eq!(res.text(), "3");
}

/// FastAPI's query model with `extra="forbid"`, recorded from FastAPI
/// 0.165: a missing field's input is every parameter sent (fields first,
/// lists as lists, a repeated other as a list), and a repeated other is
/// forbidden with all its values.
#[tokio::test]
async fn a_forbidding_query_model_reports_as_fastapi_s_model() {
    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Forbidding {
        limit: i64,
        #[serde(default)]
        tags: Vec<String>,
        q: Option<String>,
    }
    let app = App::new().get("/q", |Query(_): Query<Forbidding>| async { "ok" });
    let client = TestClient::new(app);
    let res = client.get("/q").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "missing", "loc": ["query", "limit"], "msg": "Field required",
                           "input": {}}]})
    );
    let res = client.get("/q?tags=a&tags=b&q=x&q=y&o=1&o=2&z=3").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [
            {"type": "missing", "loc": ["query", "limit"], "msg": "Field required",
             "input": {"tags": ["a", "b"], "q": "y", "o": ["1", "2"], "z": "3"}},
            {"type": "extra_forbidden", "loc": ["query", "o"],
             "msg": "Extra inputs are not permitted", "input": ["1", "2"]},
            {"type": "extra_forbidden", "loc": ["query", "z"],
             "msg": "Extra inputs are not permitted", "input": "3"}
        ]})
    );
    // Many long unknown names, past what re-reading the whole query once
    // per name may cost: every one is listed, in the order sent, among
    // the field's issues.
    let long = "v".repeat(2000);
    let mut url = String::from("/q?limit=x");
    for i in 0..30 {
        url.push_str(&format!("&u{i:03}={long}"));
    }
    let res = client.get(url.as_str()).await;
    let detail = res.json::<Value>()["detail"].clone();
    let listed: Vec<(String, String)> = detail
        .as_array()
        .expect("a list of issues")
        .iter()
        .map(|i| (i["type"].to_string(), i["loc"][1].to_string()))
        .collect();
    let mut expected = vec![("\"int_parsing\"".to_owned(), "\"limit\"".to_owned())];
    expected.extend((0..30).map(|i| ("\"extra_forbidden\"".to_owned(), format!("\"u{i:03}\""))));
    assert_eq!(listed, expected);
}

/// `Query::from_query_str`, for middleware, answers as the extractor does:
/// every issue listed, a forbidding struct's missing field with every
/// parameter as its input, a repeated other with all its values.
#[tokio::test]
async fn from_query_str_lists_every_issue_as_the_extractor_does() {
    #[derive(Deserialize, JsonSchema, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Paging {
        skip: u32,
        limit: u32,
    }
    async fn paging(Query(_): Query<Paging>) -> &'static str {
        "ok"
    }
    let client = TestClient::new(App::new().get("/p", paging));
    let query = "skip=x&utm=1&utm=2";
    let Err(err) = Query::<Paging>::from_query_str(query) else {
        panic!("{query:?} is no page");
    };
    let issues = &err
        .downcast_ref::<sluice::ValidationError>()
        .expect("FastAPI's 422")
        .issues();
    let found: Vec<(&str, Value, Value)> = issues
        .iter()
        .map(|i| (&*i.kind, json!(i.loc), i.input.clone()))
        .collect();
    assert_eq!(
        found,
        [
            ("int_parsing", json!(["query", "skip"]), json!("x")),
            (
                "missing",
                json!(["query", "limit"]),
                json!({"skip": "x", "utm": ["1", "2"]})
            ),
            (
                "extra_forbidden",
                json!(["query", "utm"]),
                json!(["1", "2"])
            ),
        ]
    );
    let res = client.get(&format!("/p?{query}")).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>(), json!({ "detail": issues }));
}

/// FastAPI's header model with `extra="forbid"`, recorded from FastAPI
/// 0.165: a header sent with underscores is another name, so it is
/// forbidden as sent (`x_other`), unless it is a field's own name
/// (`x_token`), which is passed over. The test client adds `user-agent`
/// and `host` after the headers each request sets, and those are others
/// too.
#[tokio::test]
async fn a_forbidding_header_model_forbids_headers_sent_with_underscores() {
    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Forbidding {
        x_token: String,
        #[serde(default)]
        n: i64,
    }
    #[derive(Deserialize, JsonSchema)]
    struct Lenient {
        x_token: String,
    }
    let app = App::new()
        .get(
            "/h",
            |Headers(h): Headers<Forbidding>| async move { h.x_token },
        )
        .get(
            "/l",
            |Headers(h): Headers<Lenient>| async move { h.x_token },
        );
    let client = TestClient::new(app);
    let extra = |name: &str, input: Value| {
        json!({"type": "extra_forbidden", "loc": ["header", name],
               "msg": "Extra inputs are not permitted", "input": input})
    };
    let defaults = || {
        vec![
            extra("user-agent", json!("testclient")),
            extra("host", json!("testserver")),
        ]
    };
    let send = |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let mut req = client.get(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req
    };
    // The headers sent, then the 422's detail.
    type Case = (&'static [(&'static str, &'static str)], Vec<Value>);
    let cases: Vec<Case> = vec![
        (
            &[("x_other", "b"), ("x-token", "a")],
            [vec![extra("x_other", json!("b"))], defaults()].concat(),
        ),
        (
            &[("x_other", "b"), ("x_other", "c"), ("x-token", "a")],
            [vec![extra("x_other", json!(["b", "c"]))], defaults()].concat(),
        ),
        (&[("x_token", "b"), ("x-token", "a")], defaults()),
        (
            &[("y", "1"), ("x_other", "b"), ("n", "z")],
            [
                vec![
                    json!({"type": "missing", "loc": ["header", "x-token"], "msg": "Field required",
                           "input": {"n": "z", "y": "1", "x_other": "b",
                                     "user-agent": "testclient", "host": "testserver"}}),
                    json!({"type": "int_parsing", "loc": ["header", "n"],
                           "msg": "Input should be a valid integer, unable to parse string as an integer",
                           "input": "z"}),
                    extra("y", json!("1")),
                    extra("x_other", json!("b")),
                ],
                defaults(),
            ]
            .concat(),
        ),
    ];
    for (headers, detail) in cases {
        let res = send("/h", headers).await;
        assert_eq!(
            (res.status().as_u16(), res.json::<Value>()),
            (422, json!({ "detail": detail })),
            "{headers:?}"
        );
    }
    // A model that does not forbid others passes them over.
    let res = send("/l", &[("x_other", "b"), ("x-token", "a")]).await;
    assert_eq!((res.status().as_u16(), res.text()), (200, "a".to_owned()));
}

/// Header values are Latin-1, as Starlette decodes them (recorded from
/// FastAPI 0.165 with raw ASGI headers): read by a field, and named by a
/// model that forbids others.
#[tokio::test]
async fn header_values_are_read_as_latin_1() {
    #[derive(Deserialize, JsonSchema)]
    struct Token {
        x_token: String,
    }
    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        x_token: String,
        // What the test client sends besides.
        user_agent: Option<String>,
        host: Option<String>,
    }
    let app = App::new()
        .get("/t", |Headers(h): Headers<Token>| async move { h.x_token })
        .get("/s", |Headers(_): Headers<Strict>| async move { "ok" });
    let client = TestClient::new(app);
    let res = client
        .get("/t")
        .header("x-token", b"caf\xe9".as_slice())
        .await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "café".to_owned())
    );
    let res = client.get("/t").header("x-token", "café").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "cafÃ©".to_owned())
    );
    let res = client
        .get("/s")
        .header("x-token", "a")
        .header("x-latin", b"\xe9t\xe9".as_slice())
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": [{"type": "extra_forbidden", "loc": ["header", "x-latin"],
                           "msg": "Extra inputs are not permitted", "input": "été"}]})
    );
}

/// Two models with the same name in different modules: each 422 lists its
/// own model's fields, however often either is asked (what a 422 needs
/// about a model is made once per type and kept).
#[tokio::test]
async fn models_with_the_same_name_keep_their_own_422s() {
    mod shop {
        #[derive(serde::Deserialize, schemars::JsonSchema)]
        #[allow(dead_code)]
        pub(super) struct Item {
            pub(super) name: String,
        }
    }
    mod store {
        #[derive(serde::Deserialize, schemars::JsonSchema)]
        #[allow(dead_code)]
        pub(super) struct Item {
            pub(super) sku: i64,
            pub(super) price: f64,
        }
    }
    let app = App::new()
        .post("/shop", |Json(_): Json<shop::Item>| async { "ok" })
        .post("/store", |Json(_): Json<store::Item>| async { "ok" })
        .get("/shop", |Query(_): Query<shop::Item>| async { "ok" })
        .get("/store", |Query(_): Query<store::Item>| async { "ok" });
    let client = TestClient::new(app);
    let missing = |source: &str, names: &[&str]| -> Vec<Value> {
        names.iter().map(|name| json!([source, name])).collect()
    };
    let locs = |body: Value| -> Vec<Value> {
        body["detail"]
            .as_array()
            .expect("a list of issues")
            .iter()
            .map(|issue| issue["loc"].clone())
            .collect()
    };
    for _ in 0..2 {
        for (path, names) in [("/shop", &["name"][..]), ("/store", &["sku", "price"][..])] {
            let res = client.post(path).json(&json!({})).await;
            assert_eq!(res.status(), 422);
            assert_eq!(locs(res.json()), missing("body", names), "POST {path}");
            let res = client.get(path).await;
            assert_eq!(res.status(), 422);
            assert_eq!(locs(res.json()), missing("query", names), "GET {path}");
        }
    }
}

#[derive(Deserialize, JsonSchema)]
struct Flag {
    #[allow(dead_code)]
    ok: bool,
}

/// A number given for a `bool` is read as an integer first, as pydantic
/// reads it: one that fits 64 bits and is not 0 or 1 cannot be
/// interpreted (`bool_parsing`), any other number is no boolean at all
/// (`bool_type`). The answers are FastAPI 0.165's.
#[tokio::test]
async fn a_number_for_a_bool_is_refused_as_pydantic_refuses_it() {
    let app = App::new().post("/flag", |Json(_): Json<Flag>| async { "ok" });
    let client = TestClient::new(app);
    let cases = [
        ("2", "bool_parsing"),
        ("2.0", "bool_parsing"),
        ("-9223372036854775808", "bool_parsing"),
        ("9223372036854775807", "bool_parsing"),
        ("9.2e18", "bool_parsing"),
        ("9223372036854774784.0", "bool_parsing"),
        ("9.3e18", "bool_type"),
        ("-9223372036854775808.0", "bool_type"),
        ("-9223372036854777856.0", "bool_type"),
        ("10000000000000000000", "bool_type"),
        ("-9223372036854775809", "bool_type"),
        ("1e20", "bool_type"),
        ("2.5", "bool_type"),
        ("1e-300", "bool_type"),
    ];
    for (number, kind) in cases {
        let res = client
            .post("/flag")
            .header("content-type", "application/json")
            .body(format!(r#"{{"ok": {number}}}"#))
            .await;
        assert_eq!(res.status(), 422, "{number}");
        assert_eq!(res.json::<Value>()["detail"][0]["type"], kind, "{number}");
    }
    for number in ["1", "0", "1.0", "-0.0"] {
        let res = client
            .post("/flag")
            .header("content-type", "application/json")
            .body(format!(r#"{{"ok": {number}}}"#))
            .await;
        assert_eq!(res.text(), "ok", "{number}");
    }
}

#[derive(Deserialize, JsonSchema)]
struct Count {
    #[allow(dead_code)]
    count: i64,
}

/// A float given for an integer is read when it is whole and fits 64
/// bits; pydantic calls a whole one past them too large
/// (`int_parsing_size`), not fractional. The answers are FastAPI 0.165's.
#[tokio::test]
async fn a_float_for_an_integer_is_refused_as_pydantic_refuses_it() {
    let app = App::new().post("/count", |Json(c): Json<Count>| async move {
        c.count.to_string()
    });
    let client = TestClient::new(app);
    let too_large = "Unable to parse input string as an integer, exceeded maximum size";
    let fractional = "Input should be a valid integer, got a number with a fractional part";
    let cases = [
        ("9.3e18", "int_parsing_size", too_large, json!(9.3e18)),
        (
            "9223372036854775808.0",
            "int_parsing_size",
            too_large,
            json!(9.223_372_036_854_776e18),
        ),
        (
            "-9223372036854775808.0",
            "int_parsing_size",
            too_large,
            json!(-9.223_372_036_854_776e18),
        ),
        ("1e20", "int_parsing_size", too_large, json!(1e20)),
        ("-1e308", "int_parsing_size", too_large, json!(-1e308)),
        ("2.5", "int_from_float", fractional, json!(2.5)),
        ("1e-300", "int_from_float", fractional, json!(1e-300)),
    ];
    for (number, kind, msg, input) in cases {
        let res = client
            .post("/count")
            .header("content-type", "application/json")
            .body(format!(r#"{{"count": {number}}}"#))
            .await;
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": [{"type": kind, "loc": ["body", "count"], "msg": msg, "input": input}]}),
            "{number}"
        );
    }
    for (number, read) in [
        ("2.0", "2"),
        ("9.2e18", "9200000000000000000"),
        ("-0.0", "0"),
    ] {
        let res = client
            .post("/count")
            .header("content-type", "application/json")
            .body(format!(r#"{{"count": {number}}}"#))
            .await;
        assert_eq!(res.text(), read, "{number}");
    }
}

#[derive(Deserialize, JsonSchema)]
struct Paint {
    color: Color,
}

/// An enum of names takes a name only: whatever else is sent, an object
/// included (serde_json reads `{"red": null}` as `red`), is pydantic's
/// `enum` issue at the enum's place, with what was sent as its input.
/// The answers are FastAPI 0.165's.
#[tokio::test]
async fn an_enum_of_names_takes_a_name_only() {
    let app = App::new().post("/paint", |Json(p): Json<Paint>| async move {
        match p.color {
            Color::Red => "red",
            Color::Green => "green",
        }
    });
    let client = TestClient::new(app);
    for sent in [
        "{}",
        r#"{"red": null}"#,
        r#"{"red": 1}"#,
        r#"{"blue": null}"#,
        r#"{"red": null, "green": null}"#,
        "[]",
        r#"["red"]"#,
        "1",
        "null",
        "true",
    ] {
        let res = client
            .post("/paint")
            .header("content-type", "application/json")
            .body(format!(r#"{{"color": {sent}}}"#))
            .await;
        let input: Value = serde_json::from_str(sent).expect("JSON");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": [{"type": "enum", "loc": ["body", "color"],
                "msg": "Input should be 'red' or 'green'", "input": input,
                "ctx": {"expected": "'red' or 'green'"}}]}),
            "{sent}"
        );
    }
    assert_eq!(
        client
            .post("/paint")
            .json(&json!({"color": "green"}))
            .await
            .text(),
        "green"
    );
}

/// A model with no fields that forbids others.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// serde says "there are no fields" after an unknown key of a model
/// without fields; the key is the client's, and may hold serde's words
/// for a model with fields.
#[tokio::test]
async fn an_unknown_key_of_a_model_without_fields_is_named_whole() {
    let app = App::new().post("/empty", |Json(_): Json<NoFields>| async { "ok" });
    let client = TestClient::new(app);
    for key in ["b", "a`, expected `b"] {
        let res = client.post("/empty").json(&json!({ key: 2 })).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": [{"type": "extra_forbidden", "loc": ["body", key],
                "msg": "Extra inputs are not permitted", "input": 2}]}),
            "{key}"
        );
    }
    assert_eq!(client.post("/empty").json(&json!({})).await.text(), "ok");
}
