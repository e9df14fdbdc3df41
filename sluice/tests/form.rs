//! `Form<T>` against FastAPI 0.165's `Annotated[Login, Form()]`: every
//! expected answer below was recorded from FastAPI's TestClient with the
//! same model and the same request.

mod support;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::extract::Form;
use sluice::openapi::OpenApi;
use sluice::testing::TestClient;
use sluice::{App, Json};
use support::bodies::{multipart, part, post_as, MULTIPART};

/// `class Login(BaseModel)` with the same fields and defaults.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Login {
    username: String,
    password: String,
    #[serde(default)]
    remember: bool,
    #[serde(default)]
    tags: Vec<String>,
    age: Option<i64>,
}

async fn login(Form(login): Form<Login>) -> Json<Login> {
    Json(login)
}

fn client() -> TestClient {
    TestClient::new(App::new().post("/login", login))
}

const FORM: &str = "application/x-www-form-urlencoded";

async fn post(client: &TestClient, content_type: Option<&str>, body: &'static str) -> (u16, Value) {
    let mut request = client.post("/login");
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let res = request.body(body).await;
    (res.status().as_u16(), res.json())
}

fn missing(name: &str, input: &Value) -> Value {
    json!({"type": "missing", "loc": ["body", name], "msg": "Field required", "input": input})
}

#[tokio::test]
async fn fields_are_read_as_fastapi_reads_them() {
    let client = client();
    let ok = |username: &str, password: &str, remember: bool, tags: Value, age: Value| json!({"username": username, "password": password, "remember": remember, "tags": tags, "age": age});
    let cases: Vec<(&str, &'static str, u16, Value)> = vec![
        (
            "lists collect, bool from on",
            "username=ann&password=pw&tags=a&tags=b&remember=on",
            200,
            ok("ann", "pw", true, json!(["a", "b"]), Value::Null),
        ),
        (
            "the last value wins",
            "username=a&username=b&password=c",
            200,
            ok("b", "c", false, json!([]), Value::Null),
        ),
        (
            "unknown fields are ignored",
            "username=a&password=c&zzz=1",
            200,
            ok("a", "c", false, json!([]), Value::Null),
        ),
        (
            "percent and plus decoded",
            "username=%C3%A9&password=p%20w+x",
            200,
            ok("é", "p w x", false, json!([]), Value::Null),
        ),
        (
            "bad UTF-8 replaced",
            "username=%FF&password=x",
            200,
            ok("\u{fffd}", "x", false, json!([]), Value::Null),
        ),
        (
            "a list keeps empty values",
            "username=a&password=b&tags=",
            200,
            ok("a", "b", false, json!([""]), Value::Null),
        ),
        (
            "spaces around a number",
            "username=a&password=b&age=+5+",
            200,
            ok("a", "b", false, json!([]), json!(5)),
        ),
        (
            "an empty field is not sent",
            "username=a&password=b&remember=",
            200,
            ok("a", "b", false, json!([]), Value::Null),
        ),
        (
            "one missing: the form is its input",
            "username=ann",
            422,
            json!({"detail": [missing("password", &json!({"username": "ann"}))]}),
        ),
        (
            "no fields",
            "",
            422,
            json!({"detail": [missing("username", &json!({})), missing("password", &json!({}))]}),
        ),
        (
            "bad values, in the model's order",
            "username=a&password=b&age=x&remember=maybe",
            422,
            json!({"detail": [
                {"type": "bool_parsing", "loc": ["body", "remember"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"},
                {"type": "int_parsing", "loc": ["body", "age"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
            ]}),
        ),
        (
            "empty values are left out of the form",
            "username=&password=b&age=",
            422,
            json!({"detail": [missing("username", &json!({"password": "b"}))]}),
        ),
        (
            "lists and repeated unknown fields in the input",
            "tags=a&tags=b&password=x&zzz=1&zzz=2",
            422,
            json!({"detail": [missing("username", &json!({"password": "x", "tags": ["a", "b"], "zzz": ["1", "2"]}))]}),
        ),
        (
            "a last empty value and an empty list item",
            "tags=&password=x&password=y",
            422,
            json!({"detail": [missing("username", &json!({"password": "y", "tags": [""]}))]}),
        ),
        (
            "fields without a value",
            "a&username&password=b",
            422,
            json!({"detail": [missing("username", &json!({"password": "b", "a": ""}))]}),
        ),
        (
            "names without values, and empty names",
            "password=x&k&k&=y&&=",
            422,
            json!({"detail": [missing("username", &json!({"password": "x", "k": ["", ""], "": ["y", ""]}))]}),
        ),
        (
            "raw bytes are Latin-1, percent-encoded ones UTF-8",
            "username=é&password=%C3%A9",
            200,
            json!({"username": "Ã©", "password": "é", "remember": false, "tags": [], "age": null}),
        ),
        (
            "the last of a repeated number",
            "username=a&password=b&age=1&age=x",
            422,
            json!({"detail": [{"type": "int_parsing", "loc": ["body", "age"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}]}),
        ),
    ];
    for (what, body, status, expected) in cases {
        assert_eq!(
            post(&client, Some(FORM), body).await,
            (status, expected),
            "{what}: {body:?}"
        );
    }
}

/// Starlette's limit: 1,000 fields (recorded: 1,000 is read, 1,001 is a
/// 400 in its words).
#[tokio::test]
async fn more_than_a_thousand_fields_is_a_400() {
    let client = client();
    for (count, status) in [(1000, 200), (1001, 400)] {
        let body = format!(
            "username=a&password=b&{}",
            (2..count)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join("&")
        );
        let res = client
            .post("/login")
            .header("content-type", FORM)
            .body(body)
            .await;
        assert_eq!(res.status().as_u16(), status, "{count} fields");
        if status == 400 {
            assert_eq!(
                res.json::<Value>(),
                json!({"detail": "Too many fields. Maximum number of fields is 1000."})
            );
        }
    }
}

#[tokio::test]
async fn another_content_type_has_no_fields() {
    let client = client();
    let none =
        json!({"detail": [missing("username", &json!({})), missing("password", &json!({}))]});
    for content_type in [None, Some("application/json"), Some("text/plain")] {
        let (status, body) = post(&client, content_type, "username=a&password=b").await;
        assert_eq!((status, body), (422, none.clone()), "{content_type:?}");
    }
    // Nor is such a body read: past the body limit, it is not a 413.
    let small = TestClient::new(App::new().post("/login", login).max_body_size(10));
    let res = small
        .post("/login")
        .header("content-type", "application/json")
        .body(vec![b' '; 100])
        .await;
    assert_eq!(
        (res.status().as_u16(), res.json::<Value>()),
        (422, none.clone())
    );
    // The media type's case and parameters do not matter.
    let (status, body) = post(
        &client,
        Some("Application/X-WWW-Form-URLEncoded; charset=utf-8"),
        "username=a&password=b",
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// One text part, or a file part with `filename`.
fn field(name: &str, filename: Option<&str>, value: &[u8]) -> Vec<u8> {
    let head = match filename {
        Some(filename) => format!(
            "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
             Content-Type: text/plain"
        ),
        None => format!("Content-Disposition: form-data; name=\"{name}\""),
    };
    part(&head, value)
}

/// A multipart form (`curl -F`, a browser's `FormData`) is read as
/// Starlette reads one; every answer recorded from FastAPI 0.165 with
/// python-multipart.
#[tokio::test]
async fn a_multipart_form_is_read_as_starlette_reads_it() {
    let client = client();
    let body = multipart(&[
        field("username", None, b"ann"),
        field("password", None, b"pw"),
        field("tags", None, b"a"),
        field("tags", None, b"b"),
        field("f", Some("f.txt"), b"hi"),
    ]);
    assert_eq!(
        post_as(&client, "/login", MULTIPART, body).await,
        (
            200,
            json!({"username": "ann", "password": "pw", "remember": false, "tags": ["a", "b"], "age": null})
        )
    );
    // Not UTF-8: read as Latin-1. Empty: not sent.
    let body = multipart(&[
        field("username", None, b"\xff"),
        field("password", None, b""),
    ]);
    assert_eq!(
        post_as(&client, "/login", MULTIPART, body).await,
        (
            422,
            json!({"detail": [missing("password", &json!({"username": "ÿ"}))]})
        )
    );
    let bad = |detail: &str| (400, json!({ "detail": detail }));
    assert_eq!(
        post_as(&client, "/login", MULTIPART, b"garbage".to_vec()).await,
        bad("Invalid multipart data.")
    );
    assert_eq!(
        post_as(
            &client,
            "/login",
            "multipart/form-data",
            b"garbage".to_vec()
        )
        .await,
        bad("Missing boundary in multipart.")
    );
    let body = b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n".to_vec();
    assert_eq!(
        post_as(&client, "/login", MULTIPART, body).await,
        bad("The Content-Disposition header field \"name\" must be provided.")
    );
    let many: Vec<Vec<u8>> = (0..1001)
        .map(|i| field(&format!("k{i}"), None, b"v"))
        .collect();
    assert_eq!(
        post_as(&client, "/login", MULTIPART, multipart(&many)).await,
        bad("Too many fields. Maximum number of fields is 1000.")
    );
    let files: Vec<Vec<u8>> = (0..1001)
        .map(|i| field(&format!("f{i}"), Some("f.txt"), b"v"))
        .collect();
    assert_eq!(
        post_as(&client, "/login", MULTIPART, multipart(&files)).await,
        bad("Too many files. Maximum number of files is 1000.")
    );
}

#[test]
fn the_document_has_the_form_body_as_fastapi_writes_it() {
    let service = App::new()
        .post("/login", login)
        .openapi(OpenApi::new())
        .build()
        .expect("the app builds");
    let doc = service.openapi().expect("a document");
    let op = &doc["paths"]["/login"]["post"];
    assert_eq!(
        op["requestBody"],
        json!({"content": {"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Login"}}}, "required": true})
    );
    assert!(op["responses"]["422"].is_object(), "{op:#}");
    test_support::validate_openapi(doc, "form");
}

#[test]
fn a_form_that_is_no_struct_is_refused_when_the_app_is_built() {
    async fn bare(Form(name): Form<String>) -> String {
        name
    }
    let err = App::new()
        .post("/bare", bare)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Form<String> cannot read named form fields; declare a struct"),
        "{err}"
    );
}

/// As for a JSON body, a form's issues join those of the other arguments,
/// in FastAPI's order: path, query, then body.
#[tokio::test]
async fn form_issues_are_listed_with_the_other_arguments() {
    use sluice::extract::{Path, Query};

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Page {
        limit: i64,
    }

    async fn update(
        Path(_id): Path<i64>,
        Query(_page): Query<Page>,
        Form(_login): Form<Login>,
    ) -> &'static str {
        "ok"
    }
    let client = TestClient::new(App::new().put("/users/{id}", update));
    let res = client
        .put("/users/abc?limit=x")
        .header("content-type", FORM)
        .body("password=pw")
        .await;
    assert_eq!(res.status(), 422);
    let locs: Vec<Value> = res.json::<Value>()["detail"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|issue| issue["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        [
            json!(["path", "id"]),
            json!(["query", "limit"]),
            json!(["body", "username"])
        ]
    );
}

/// A status and its JSON body.
type Answer = (u16, Value);

/// The edges of a multipart body, each answer recorded from FastAPI 0.165
/// with python-multipart 0.0.34.
#[tokio::test]
async fn multipart_edges_are_read_as_starlette_reads_them() {
    let client = client();
    let text = |disposition: &str, value: &[u8]| {
        part(
            &format!("Content-Disposition: form-data; {disposition}"),
            value,
        )
    };
    let (u, p) = (
        text("name=\"username\"", b"ann"),
        text("name=\"password\"", b"pw"),
    );
    let end = b"--b--\r\n".to_vec();
    let ok = |username: &str, password: &str| {
        (
            200,
            json!({"username": username, "password": password, "remember": false, "tags": [], "age": null}),
        )
    };
    let cases: Vec<(&str, &str, Vec<u8>, Answer)> = vec![
        (
            "an empty body has no fields",
            MULTIPART,
            Vec::new(),
            (
                422,
                json!({"detail": [missing("username", &json!({})), missing("password", &json!({}))]}),
            ),
        ),
        (
            "anything before the first boundary",
            MULTIPART,
            [b"hello\r\n".to_vec(), u.clone(), p.clone(), end.clone()].concat(),
            (400, json!({"detail": "Invalid multipart data."})),
        ),
        (
            "a parameter's name in any case",
            MULTIPART,
            [text("Name=\"username\"", b"ann"), p.clone(), end.clone()].concat(),
            ok("ann", "pw"),
        ),
        (
            "the last of two names",
            MULTIPART,
            [
                text("name=\"foo\"; name=\"username\"", b"ann"),
                p.clone(),
                end.clone(),
            ]
            .concat(),
            ok("ann", "pw"),
        ),
        (
            "the body's charset, Latin-1",
            "multipart/form-data; boundary=b; charset=latin-1",
            [
                text("name=\"username\"", "é".as_bytes()),
                p.clone(),
                end.clone(),
            ]
            .concat(),
            ok("Ã©", "pw"),
        ),
        (
            "spaces in the content type, the last boundary",
            "multipart/form-data ; boundary = c; boundary=b",
            [u.clone(), p.clone(), end.clone()].concat(),
            ok("ann", "pw"),
        ),
        (
            "cut short: the finished parts stand",
            MULTIPART,
            [
                u.clone(),
                p.clone(),
                b"--b\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nab".to_vec(),
            ]
            .concat(),
            ok("ann", "pw"),
        ),
        (
            "no closing boundary",
            MULTIPART,
            [u.clone(), p.clone(), b"--b\r\n".to_vec()].concat(),
            ok("ann", "pw"),
        ),
        (
            "a text part over 1 MiB",
            MULTIPART,
            [
                u.clone(),
                text("name=\"password\"", &vec![b'a'; 1024 * 1024 + 1]),
                end.clone(),
            ]
            .concat(),
            (
                400,
                json!({"detail": "Part exceeded maximum size of 1024KB."}),
            ),
        ),
        (
            "a urlencoded field over 1 MiB, name and value",
            FORM,
            [
                b"username=ann&password=".to_vec(),
                vec![b'a'; 1024 * 1024 - 8 + 1],
            ]
            .concat(),
            (
                400,
                json!({"detail": "Field exceeded maximum size of 1024KB."}),
            ),
        ),
    ];
    for (what, content_type, body, expected) in cases {
        assert_eq!(
            post_as(&client, "/login", content_type, body).await,
            expected,
            "{what}"
        );
    }
    // At the limits, both are read.
    let at_limit = [
        u.clone(),
        text("name=\"password\"", &vec![b'a'; 1024 * 1024]),
        end,
    ]
    .concat();
    assert_eq!(post_as(&client, "/login", MULTIPART, at_limit).await.0, 200);
    let at_limit = [
        b"username=ann&password=".to_vec(),
        vec![b'a'; 1024 * 1024 - 8],
    ]
    .concat();
    assert_eq!(post_as(&client, "/login", FORM, at_limit).await.0, 200);
}

/// FastAPI's `form: Annotated[Login | None, Form()] = None`.
#[tokio::test]
async fn an_optional_form_is_none_when_no_field_of_it_is_named() {
    async fn opt(form: Option<Form<Login>>) -> Json<Value> {
        Json(json!({"form": form.map(|Form(login)| login)}))
    }
    let client = TestClient::new(App::new().post("/opt", opt));
    let none = || (200, json!({"form": null}));
    let cases: Vec<(&'static str, (u16, Value))> = vec![
        ("", none()),
        ("other=1", none()),
        (
            "username=a&password=b",
            (
                200,
                json!({"form": {"username": "a", "password": "b", "remember": false,
                                 "tags": [], "age": null}}),
            ),
        ),
        // A field sent empty is named: the form is read, and it is missing.
        (
            "username=&password=",
            (
                422,
                json!({"detail": [missing("username", &json!({})),
                                  missing("password", &json!({}))]}),
            ),
        ),
        (
            "other=1&username=",
            (
                422,
                json!({"detail": [missing("username", &json!({"other": "1"})),
                                  missing("password", &json!({"other": "1"}))]}),
            ),
        ),
        (
            "tags=a",
            (
                422,
                json!({"detail": [missing("username", &json!({"tags": ["a"]})),
                                  missing("password", &json!({"tags": ["a"]}))]}),
            ),
        ),
    ];
    for (body, expected) in cases {
        let res = client
            .post("/opt")
            .header("content-type", FORM)
            .body(body)
            .await;
        assert_eq!(
            (res.status().as_u16(), res.json::<Value>()),
            expected,
            "{body:?}"
        );
    }
    // No form at all: another content type, or no body.
    let res = client.post("/opt").json(&json!({"username": "a"})).await;
    assert_eq!(res.json::<Value>(), json!({"form": null}));
    assert_eq!(
        client.post("/opt").await.json::<Value>(),
        json!({"form": null})
    );

    let service = App::new()
        .post("/opt", opt)
        .openapi(OpenApi::new())
        .build()
        .expect("the app builds");
    let body = &service.openapi().expect("a document")["paths"]["/opt"]["post"]["requestBody"];
    assert!(
        body["content"]["application/x-www-form-urlencoded"].is_object(),
        "{body:#}"
    );
    // FastAPI leaves `required` out, which means the same.
    assert_eq!(body["required"], false, "{body:#}");
}
