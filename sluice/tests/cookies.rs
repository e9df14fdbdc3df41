//! `Cookies<T>`: FastAPI's `Cookie()` parameters. Every expected answer
//! here is FastAPI 0.165's (Starlette 1.10) for the same request to
//! `session_id: Annotated[str, Cookie()]`, `ads_id: Annotated[str | None,
//! Cookie()] = None`, `limit: Annotated[int, Cookie()] = 10`.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice::extract::Cookies;
use sluice::openapi::OpenApi;
use sluice::testing::TestClient;
use sluice::{App, Json};

#[derive(Deserialize, JsonSchema)]
struct One {
    session_id: String,
    ads_id: Option<String>,
    #[serde(default = "ten")]
    limit: i64,
}

fn ten() -> i64 {
    10
}

async fn one(Cookies(c): Cookies<One>) -> Json<Value> {
    Json(json!({"session_id": c.session_id, "ads_id": c.ads_id, "limit": c.limit}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Strict {
    session_id: String,
    #[serde(default)]
    n: i64,
}

async fn strict(Cookies(c): Cookies<Strict>) -> Json<Value> {
    Json(json!({"session_id": c.session_id, "n": c.n}))
}

fn app() -> App {
    App::new().get("/one", one).get("/strict", strict)
}

async fn answer(client: &TestClient, path: &str, cookie: Option<&str>) -> (u16, Value) {
    let mut req = client.get(path);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let res = req.await;
    (res.status().as_u16(), res.json())
}

fn missing() -> Value {
    json!({"detail": [{"type": "missing", "loc": ["cookie", "session_id"],
                       "msg": "Field required", "input": null}]})
}

#[tokio::test]
async fn cookies_are_read_as_fastapi_reads_them() {
    let client = TestClient::new(app());
    let ok = |session: &str, ads: Value, limit: i64| {
        (
            200,
            json!({"session_id": session, "ads_id": ads, "limit": limit}),
        )
    };
    let cases: &[(Option<&str>, (u16, Value))] = &[
        (None, (422, missing())),
        (Some("session_id=abc"), ok("abc", Value::Null, 10)),
        (
            Some("session_id=abc; ads_id=x; limit=5"),
            ok("abc", json!("x"), 5),
        ),
        // pydantic's lax numbers, as for query parameters.
        (
            Some("session_id=abc; limit= 5.0 "),
            ok("abc", Value::Null, 5),
        ),
        (
            Some(r#"session_id="a\"b\073c"; limit=1_000"#),
            ok("a\"b;c", Value::Null, 1000),
        ),
        // Of a cookie sent twice, the last counts.
        (Some("session_id=a; session_id=b"), ok("b", Value::Null, 10)),
        (Some("session_id=; ads_id="), ok("", json!(""), 10)),
        // A chunk without `=` is a value without a name.
        (Some("session_id"), (422, missing())),
        (Some("=session_id"), (422, missing())),
        (
            Some("  session_id  =  a b  ;;; "),
            ok("a b", Value::Null, 10),
        ),
        (Some("session_id=a=b=c"), ok("a=b=c", Value::Null, 10)),
        // Names are case-sensitive; values are not percent-decoded.
        (Some("Session_Id=a"), (422, missing())),
        (Some("session_id=%41%20"), ok("%41%20", Value::Null, 10)),
    ];
    for (cookie, expected) in cases {
        assert_eq!(
            &answer(&client, "/one", *cookie).await,
            expected,
            "{cookie:?}"
        );
    }
    assert_eq!(
        answer(&client, "/one", Some("session_id=abc; limit=x")).await,
        (
            422,
            json!({"detail": [{"type": "int_parsing", "loc": ["cookie", "limit"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "x"}]})
        )
    );
}

/// Starlette 1.10 reads every `Cookie` header, in order.
#[tokio::test]
async fn every_cookie_header_is_read() {
    let client = TestClient::new(app());
    let res = client
        .get("/one")
        .header("cookie", "session_id=first; limit=1")
        .header("cookie", "ads_id=y; session_id=second")
        .await;
    assert_eq!(
        res.json::<Value>(),
        json!({"session_id": "second", "ads_id": "y", "limit": 1})
    );
}

#[tokio::test]
async fn bytes_past_ascii_are_latin_1_as_in_starlette() {
    let client = TestClient::new(app());
    let value = sluice::HeaderValue::from_bytes(b"session_id=caf\xc3\xa9").expect("a value");
    let res = client.get("/one").header("cookie", value).await;
    assert_eq!(res.json::<Value>()["session_id"], "caf\u{c3}\u{a9}");
}

#[tokio::test]
async fn forbidden_extras_and_bad_values_are_all_listed() {
    let client = TestClient::new(app());
    assert_eq!(
        answer(&client, "/strict", Some("session_id=s; other=1; n=x")).await,
        (
            422,
            json!({"detail": [
                {"type": "int_parsing", "loc": ["cookie", "n"],
                 "msg": "Input should be a valid integer, unable to parse string as an integer",
                 "input": "x"},
                {"type": "extra_forbidden", "loc": ["cookie", "other"],
                 "msg": "Extra inputs are not permitted", "input": "1"}
            ]})
        )
    );
    assert_eq!(
        answer(&client, "/strict", Some("session_id=s")).await,
        (200, json!({"session_id": "s", "n": 0}))
    );
}

fn build_error(app: App) -> String {
    match TestClient::try_new(app) {
        Ok(_) => panic!("the app was accepted"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn a_type_that_cannot_read_cookies_is_refused_at_build() {
    async fn bare(Cookies(_): Cookies<String>) {}
    assert_eq!(
        build_error(App::new().get("/bare", bare)),
        "the handler of GET /bare cannot work: Cookies<String> cannot read named cookies; \
         declare a struct: #[derive(Deserialize, JsonSchema)] struct RequestCookies \
         { session_id: String } and use Cookies<RequestCookies>"
    );

    // FastAPI accepts `list[str]` from a cookie, then answers 422
    // `list_type` to every request that sends it.
    #[derive(Deserialize, JsonSchema)]
    struct Listed {
        #[allow(dead_code)]
        tags: Option<Vec<String>>,
    }
    async fn listed(Cookies(_): Cookies<Listed>) {}
    assert_eq!(
        build_error(App::new().get("/listed", listed)),
        "the handler of GET /listed cannot work: Cookies<Listed>: field `tags` is a list, \
         but a cookie has one value (of one sent twice, the last counts); make it a single value"
    );
    async fn map(Cookies(_): Cookies<std::collections::HashMap<String, Vec<String>>>) {}
    assert!(build_error(App::new().get("/map", map)).contains("each value is a list"));
}

#[tokio::test]
async fn a_map_takes_every_cookie() {
    async fn all(Cookies(c): Cookies<std::collections::BTreeMap<String, String>>) -> Json<Value> {
        Json(json!(c))
    }
    let client = TestClient::new(App::new().get("/all", all));
    let res = client.get("/all").header("cookie", "b=2; a=1; b=3").await;
    assert_eq!(res.json::<Value>(), json!({"a": "1", "b": "3"}));
}

#[test]
fn each_field_is_a_cookie_parameter_in_the_document() {
    let service = app()
        .openapi(OpenApi::new())
        .build()
        .expect("the app builds");
    let doc = service.openapi().expect("a document");
    let params = doc["paths"]["/one"]["get"]["parameters"]
        .as_array()
        .expect("parameters");
    let seen: Vec<(&str, &str, bool)> = params
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("a name"),
                p["in"].as_str().expect("a place"),
                p["required"].as_bool().expect("required"),
            )
        })
        .collect();
    // FastAPI: the same names, all `"in": "cookie"`, only `session_id`
    // required.
    assert_eq!(
        seen,
        [
            ("session_id", "cookie", true),
            ("ads_id", "cookie", false),
            ("limit", "cookie", false)
        ]
    );
    assert_eq!(params[2]["schema"]["default"], 10);
}

/// A struct that forbids other cookies can only be FastAPI's cookie
/// model (`extra="forbid"`): a missing field's input is every cookie
/// sent, as a model's is.
#[tokio::test]
async fn a_forbidding_model_shows_every_cookie_as_a_missing_field_s_input() {
    let client = TestClient::new(app());
    let missing_from = |input: Value| {
        json!({"type": "missing", "loc": ["cookie", "session_id"], "msg": "Field required",
               "input": input})
    };
    assert_eq!(
        answer(&client, "/strict", None).await,
        (422, json!({"detail": [missing_from(json!({}))]}))
    );
    assert_eq!(
        answer(&client, "/strict", Some("n=1; other=x")).await,
        (
            422,
            json!({"detail": [
                missing_from(json!({"n": "1", "other": "x"})),
                {"type": "extra_forbidden", "loc": ["cookie", "other"],
                 "msg": "Extra inputs are not permitted", "input": "x"}
            ]})
        )
    );
    // Cookies are one value per name (Starlette's dict): the last.
    assert_eq!(
        answer(&client, "/strict", Some("other=1; other=2")).await,
        (
            422,
            json!({"detail": [
                missing_from(json!({"other": "2"})),
                {"type": "extra_forbidden", "loc": ["cookie", "other"],
                 "msg": "Extra inputs are not permitted", "input": "2"}
            ]})
        )
    );
    // Separate parameters (no `deny_unknown_fields`): `null`, as before.
    assert_eq!(answer(&client, "/one", Some("n=1")).await, (422, missing()));
}

/// FastAPI's optional parameter model (`Annotated[Model | None,
/// Cookie()] = None`, here `Option` of a struct): `None` unless one of its
/// own names is sent, or it forbids others and anything is sent; when
/// read, a missing field's input is the whole model, as for any model.
/// Recorded from FastAPI 0.165 (raw ASGI requests).
#[tokio::test]
async fn an_optional_model_is_none_unless_one_of_its_names_is_sent() {
    #[derive(Deserialize, JsonSchema, serde::Serialize)]
    struct Session {
        session_id: String,
        #[serde(default)]
        n: i64,
    }
    #[derive(Deserialize, JsonSchema, serde::Serialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        session_id: String,
        #[serde(default)]
        n: i64,
    }
    #[derive(Deserialize, JsonSchema, serde::Serialize)]
    struct Loose {
        a: Option<String>,
    }
    let app =
        App::new()
            .get("/m", |Cookies(c): Cookies<Option<Session>>| async move {
                Json(json!({ "c": c }))
            })
            .get("/s", |Cookies(c): Cookies<Option<Strict>>| async move {
                Json(json!({ "c": c }))
            })
            .get("/l", |Cookies(c): Cookies<Option<Loose>>| async move {
                Json(json!({ "c": c }))
            })
            .get(
                "/q",
                |sluice::Query(c): sluice::Query<Option<Session>>| async move {
                    Json(json!({ "c": c }))
                },
            );
    let client = TestClient::new(app);
    let missing = |input: Value| {
        json!({"type": "missing", "loc": ["cookie", "session_id"], "msg": "Field required",
               "input": input})
    };
    let bad_n = json!({"type": "int_parsing", "loc": ["cookie", "n"],
                       "msg": "Input should be a valid integer, unable to parse string as an integer",
                       "input": "x"});
    let cases = [
        ("/m", "", 200, json!({"c": null})),
        ("/m", "other=1", 200, json!({"c": null})),
        (
            "/m",
            "session_id=a",
            200,
            json!({"c": {"session_id": "a", "n": 0}}),
        ),
        (
            "/m",
            "n=2",
            422,
            json!({"detail": [missing(json!({"n": "2"}))]}),
        ),
        (
            "/m",
            "n=x",
            422,
            json!({"detail": [missing(json!({"n": "x"})), bad_n.clone()]}),
        ),
        ("/m", "session_id=a; n=x", 422, json!({"detail": [bad_n]})),
        ("/s", "", 200, json!({"c": null})),
        (
            "/s",
            "other=1",
            422,
            json!({"detail": [
                missing(json!({"other": "1"})),
                {"type": "extra_forbidden", "loc": ["cookie", "other"],
                 "msg": "Extra inputs are not permitted", "input": "1"}
            ]}),
        ),
        (
            "/s",
            "n=2",
            422,
            json!({"detail": [missing(json!({"n": "2"}))]}),
        ),
        ("/l", "other=1", 200, json!({"c": null})),
        ("/l", "a=1", 200, json!({"c": {"a": "1"}})),
    ];
    for (path, cookie, status, body) in cases {
        let mut req = client.get(path);
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        let res = req.await;
        assert_eq!(
            (res.status().as_u16(), res.json::<Value>()),
            (status, body),
            "{path} {cookie:?}"
        );
    }
    // The same rule for a query model.
    for (query, status, body) in [
        ("", 200, json!({"c": null})),
        ("?other=1", 200, json!({"c": null})),
        (
            "?n=2",
            422,
            json!({"detail": [{"type": "missing", "loc": ["query", "session_id"],
                               "msg": "Field required", "input": {"n": "2"}}]}),
        ),
    ] {
        let res = client.get(&format!("/q{query}")).await;
        assert_eq!(
            (res.status().as_u16(), res.json::<Value>()),
            (status, body),
            "{query}"
        );
    }
}

/// A forbidding model lists every cookie it does not know, however many
/// and however long, in the order sent, as FastAPI does: finding them is
/// one pass, not one reading of the whole header per cookie.
#[tokio::test]
async fn a_forbidding_model_lists_every_unknown_cookie() {
    let client = TestClient::new(app());
    let long = "v".repeat(140);
    let names: Vec<String> = (0..100).map(|i| format!("c{i:03}")).collect();
    let mut header = String::from("session_id=a");
    for name in &names {
        header.push_str(&format!("; {name}={long}"));
    }
    let (status, body) = answer(&client, "/strict", Some(&header)).await;
    assert_eq!(status, 422);
    let listed: Vec<(&str, &str, &str)> = body["detail"]
        .as_array()
        .expect("a list of issues")
        .iter()
        .map(|issue| {
            (
                issue["type"].as_str().unwrap_or_default(),
                issue["loc"][1].as_str().unwrap_or_default(),
                issue["input"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str, &str)> = names
        .iter()
        .map(|name| ("extra_forbidden", name.as_str(), long.as_str()))
        .collect();
    assert_eq!(listed, expected);
}
