//! Extractors and FastAPI's 422 shape.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice::extract::{Headers, Path, Query};
use sluice::testing::TestClient;
use sluice::{App, Bytes, Json, State};

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

#[tokio::test]
async fn a_path_extractor_that_does_not_fit_the_route_is_a_server_error() {
    async fn wrong(Path(_): Path<(String, String)>) -> &'static str {
        "never"
    }
    let res = TestClient::new(App::new().get("/{one}", wrong))
        .raise_server_exceptions(false)
        .get("/x")
        .await;
    assert_eq!(res.status(), 500);
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
    assert_eq!(res.json::<Value>()["detail"][0]["type"], "dict_type");
    assert_eq!(res.json::<Value>()["detail"][0]["loc"], json!(["body"]));
    // Without any content-type, FastAPI parses JSON anyway.
    let res = client
        .post("/items")
        .body("{\"name\":\"x\",\"price\":1}")
        .await;
    assert_eq!(res.status(), 200);
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

#[tokio::test]
async fn a_json_null_body_is_a_missing_body() {
    let client = TestClient::new(App::new().post("/items", create));
    let res = client.post("/items").json(&Value::Null).await;
    assert_eq!(res.json::<Value>()["detail"][0]["type"], "missing");
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
