//! `UploadFile` fields in `Form<T>`: FastAPI's `UploadFile`. Every
//! expected answer was recorded from FastAPI 0.165 for the same body, to
//! the same models read as `Annotated[Model, Form()]`.

mod support;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice::extract::{Form, Query, UploadFile};
use sluice::openapi::OpenApi;
use sluice::testing::TestClient;
use sluice::{App, Json};
use support::bodies::{multipart, part, post_as, MULTIPART};

#[derive(Deserialize, JsonSchema)]
struct Up {
    file: UploadFile,
    #[serde(default = "n")]
    note: String,
}

fn n() -> String {
    "n".to_owned()
}

async fn up(Form(form): Form<Up>) -> Json<Value> {
    Json(json!({
        "filename": form.file.filename(),
        "ct": form.file.content_type(),
        "size": form.file.size(),
        "data": form.file.text(),
        "note": form.note,
    }))
}

#[derive(Deserialize, JsonSchema)]
struct Many {
    files: Vec<UploadFile>,
}

async fn many(Form(form): Form<Many>) -> Json<Value> {
    Json(json!(form
        .files
        .iter()
        .map(UploadFile::filename)
        .collect::<Vec<_>>()))
}

#[derive(Deserialize, JsonSchema)]
struct Opt {
    file: Option<UploadFile>,
}

async fn opt(Form(form): Form<Opt>) -> Json<Value> {
    Json(json!({"file": form.file.as_ref().map(UploadFile::filename)}))
}

fn app() -> App {
    App::new()
        .post("/up", up)
        .post("/many", many)
        .post("/opt", opt)
}

fn client() -> TestClient {
    TestClient::new(app())
}

fn file(name: &str, filename: &str, content: &[u8]) -> Vec<u8> {
    let head = format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"");
    part(&head, content)
}

fn text(name: &str, content: &[u8]) -> Vec<u8> {
    part(
        &format!("Content-Disposition: form-data; name=\"{name}\""),
        content,
    )
}

fn not_a_file(loc: &Value, input: &str) -> Value {
    json!({"type": "value_error", "loc": loc,
           "msg": "Value error, Expected UploadFile, received: <class 'str'>",
           "input": input, "ctx": {"error": {}}})
}

fn missing(name: &str) -> Value {
    json!({"type": "missing", "loc": ["body", name], "msg": "Field required", "input": {}})
}

#[tokio::test]
async fn files_are_read_as_fastapi_reads_them() {
    let client = client();
    let typed = part(
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain",
        b"hello",
    );
    let cases: Vec<(&str, Vec<u8>, u16, Value)> = vec![
        (
            "/up",
            multipart(&[typed]),
            200,
            json!({"filename": "a.txt", "ct": "text/plain", "size": 5, "data": "hello", "note": "n"}),
        ),
        (
            "/up",
            multipart(&[text("file", b"hello")]),
            422,
            json!({"detail": [not_a_file(&json!(["body", "file"]), "hello")]}),
        ),
        // An empty file name is still a file.
        (
            "/up",
            multipart(&[file("file", "", b"hello")]),
            200,
            json!({"filename": "", "ct": null, "size": 5, "data": "hello", "note": "n"}),
        ),
        (
            "/up",
            multipart(&[]),
            422,
            json!({"detail": [missing("file")]}),
        ),
        (
            "/up",
            multipart(&[text("note", b"x")]),
            422,
            json!({"detail": [{"type": "missing", "loc": ["body", "file"],
                               "msg": "Field required", "input": {"note": "x"}}]}),
        ),
        // Of two files, the last counts.
        (
            "/up",
            multipart(&[file("file", "a", b"1"), file("file", "b", b"2")]),
            200,
            json!({"filename": "b", "ct": null, "size": 1, "data": "2", "note": "n"}),
        ),
        (
            "/many",
            multipart(&[file("files", "a", b"1"), file("files", "b", b"2")]),
            200,
            json!(["a", "b"]),
        ),
        (
            "/many",
            multipart(&[file("files", "a", b"1"), text("files", b"2")]),
            422,
            json!({"detail": [not_a_file(&json!(["body", "files", 1]), "2")]}),
        ),
        (
            "/many",
            multipart(&[]),
            422,
            json!({"detail": [missing("files")]}),
        ),
        ("/opt", multipart(&[]), 200, json!({"file": null})),
        // An empty file is sent; an empty text is not.
        (
            "/opt",
            multipart(&[file("file", "x", b"")]),
            200,
            json!({"file": "x"}),
        ),
        (
            "/up",
            multipart(&[text("file", b"")]),
            422,
            json!({"detail": [missing("file")]}),
        ),
    ];
    for (path, body, status, expected) in cases {
        let answer = post_as(&client, path, MULTIPART, body.clone()).await;
        assert_eq!(
            answer,
            (status, expected),
            "{path} {}",
            String::from_utf8_lossy(&body)
        );
    }
    // A urlencoded form has no files.
    let answer = post_as(
        &client,
        "/up",
        "application/x-www-form-urlencoded",
        b"file=x".to_vec(),
    )
    .await;
    assert_eq!(
        answer,
        (
            422,
            json!({"detail": [not_a_file(&json!(["body", "file"]), "x")]})
        )
    );
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Mixed {
    name: String,
    file: UploadFile,
    age: i64,
}

#[tokio::test]
async fn file_issues_are_listed_with_the_others_in_field_order() {
    async fn mixed(Form(form): Form<Mixed>) -> String {
        format!("{} {} {}", form.name, form.file.filename(), form.age)
    }
    let client = TestClient::new(App::new().post("/mixed", mixed));
    let body = multipart(&[text("file", b"oops"), text("age", b"x")]);
    // FastAPI's, byte for byte.
    assert_eq!(
        post_as(&client, "/mixed", MULTIPART, body).await,
        (
            422,
            json!({"detail": [
                {"type": "missing", "loc": ["body", "name"], "msg": "Field required",
                 "input": {"file": "oops", "age": "x"}},
                not_a_file(&json!(["body", "file"]), "oops"),
                {"type": "int_parsing", "loc": ["body", "age"],
                 "msg": "Input should be a valid integer, unable to parse string as an integer",
                 "input": "x"}
            ]})
        )
    );
    let body = multipart(&[
        text("name", b"ann"),
        file("file", "f.bin", b"\x00\x01"),
        text("age", b"7"),
    ]);
    let res = client
        .post("/mixed")
        .header("content-type", MULTIPART)
        .body(body)
        .await;
    assert_eq!(res.text(), "ann f.bin 7");
}

#[tokio::test]
async fn a_file_keeps_its_bytes_and_headers() {
    async fn raw(Form(form): Form<Up>) -> Vec<u8> {
        let extra = form
            .file
            .headers()
            .get("x-extra")
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default();
        [form.file.into_bytes().to_vec(), extra].concat()
    }
    let client = TestClient::new(App::new().post("/raw", raw));
    let content: Vec<u8> = (0..=255u8).collect();
    let body = multipart(&[part(
        "Content-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\nX-Extra: !",
        &content,
    )]);
    let res = client
        .post("/raw")
        .header("content-type", MULTIPART)
        .body(body)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().to_vec(), [content, b"!".to_vec()].concat());
}

#[test]
fn the_document_has_a_multipart_body_as_fastapi_writes_it() {
    let service = app()
        .openapi(OpenApi::new())
        .build()
        .expect("the app builds");
    let doc = service.openapi().expect("a document");
    let body = &doc["paths"]["/up"]["post"]["requestBody"];
    assert_eq!(body["required"], true);
    let schema = &body["content"]["multipart/form-data"]["schema"];
    let name = schema["$ref"]
        .as_str()
        .expect("a reference")
        .rsplit('/')
        .next()
        .expect("a name");
    let model = &doc["components"]["schemas"][name];
    // FastAPI: {"type": "string", "contentMediaType": "application/octet-stream"}.
    assert_eq!(
        model["properties"]["file"],
        json!({"type": "string", "contentMediaType": "application/octet-stream"})
    );
    assert_eq!(model["required"], json!(["file"]));
    let many = &doc["paths"]["/many"]["post"]["requestBody"]["content"]["multipart/form-data"];
    assert!(many.is_object(), "{doc:#}");
}

#[test]
fn an_upload_file_outside_a_form_is_refused_at_build() {
    #[derive(Deserialize, JsonSchema)]
    struct Params {
        #[allow(dead_code)]
        file: UploadFile,
    }
    async fn query(Query(_): Query<Params>) {}
    let err = TestClient::try_new(App::new().get("/q", query)).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "the handler of GET /q cannot work: Query<Params>: field `file` is an UploadFile, \
         which only a multipart form sends; read it with Form<T>"
    );
    async fn bare(Query(_): Query<UploadFile>) {}
    let err = TestClient::try_new(App::new().get("/b", bare)).expect_err("refused");
    assert!(
        err.to_string()
            .contains("an UploadFile is a field of a form"),
        "{err}"
    );
    async fn bare_form(Form(_): Form<Option<UploadFile>>) {}
    let err = TestClient::try_new(App::new().post("/f", bare_form)).expect_err("refused");
    assert!(
        err.to_string()
            .contains("an UploadFile is a field of a form"),
        "{err}"
    );
    async fn map(Form(_): Form<std::collections::HashMap<String, UploadFile>>) {}
    let err = TestClient::try_new(App::new().post("/m", map)).expect_err("refused");
    assert!(err.to_string().contains("a map cannot hold them"), "{err}");
    async fn json(Json(_): Json<Params>) {}
    let err = TestClient::try_new(App::new().post("/j", json)).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "the handler of POST /j cannot work: Json<Params> holds an UploadFile, which only a \
         multipart form sends; read it with Form<T>"
    );
}

/// Starlette's 1 MiB limit is for text parts; a file may be larger, up to
/// the app's body limit.
#[tokio::test]
async fn files_are_bound_by_the_body_limit_not_the_part_limit() {
    let client = TestClient::new(App::new().post("/up", up).max_body_size(3 << 20));
    let big = vec![b'x'; 2 << 20];
    let (status, answer) = post_as(
        &client,
        "/up",
        MULTIPART,
        multipart(&[file("file", "big", &big)]),
    )
    .await;
    assert_eq!((status, &answer["size"]), (200, &json!(2 << 20)));

    let bigger = vec![b'x'; 4 << 20];
    let res = client
        .post("/up")
        .header("content-type", MULTIPART)
        .body(multipart(&[file("file", "bigger", &bigger)]))
        .await;
    assert_eq!(res.status(), 413);
}

/// An issue's type, loc and message.
type Issue = (String, Value, String);

#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code)]
struct Texts {
    name: String,
    nick: Option<String>,
    #[serde(default)]
    age: i64,
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    tags: Vec<String>,
}

/// FastAPI answers pydantic's type issue for a file where text should be
/// (its input is the Python object; here, the file's name, size and
/// headers).
#[tokio::test]
async fn a_file_sent_to_a_text_field_is_its_type_issue() {
    async fn texts(Form(form): Form<Texts>) -> String {
        form.name
    }
    let client = TestClient::new(App::new().post("/t", texts));
    let issue = |kind: &str, loc: Value, msg: &str| (kind.to_owned(), loc, msg.to_owned());
    let cases: Vec<(Vec<Vec<u8>>, Vec<Issue>)> = vec![
        (
            vec![file("name", "f.txt", b"x")],
            vec![issue(
                "string_type",
                json!(["body", "name"]),
                "Input should be a valid string",
            )],
        ),
        // The last value counts.
        (
            vec![text("name", b"a"), file("name", "f", b"x")],
            vec![issue(
                "string_type",
                json!(["body", "name"]),
                "Input should be a valid string",
            )],
        ),
        (
            vec![
                text("name", b"a"),
                text("nick", b"x"),
                file("nick", "f", b"x"),
            ],
            vec![issue(
                "string_type",
                json!(["body", "nick"]),
                "Input should be a valid string",
            )],
        ),
        (
            vec![text("name", b"a"), file("age", "f", b"1")],
            vec![issue(
                "int_type",
                json!(["body", "age"]),
                "Input should be a valid integer",
            )],
        ),
        (
            vec![text("name", b"a"), file("ok", "f", b"1")],
            vec![issue(
                "bool_type",
                json!(["body", "ok"]),
                "Input should be a valid boolean",
            )],
        ),
        (
            vec![
                text("name", b"a"),
                text("tags", b"t"),
                file("tags", "f", b"1"),
                text("tags", b"u"),
            ],
            vec![issue(
                "string_type",
                json!(["body", "tags", 1]),
                "Input should be a valid string",
            )],
        ),
    ];
    for (parts, expected) in cases {
        let body = multipart(&parts);
        let (status, answer) = post_as(&client, "/t", MULTIPART, body.clone()).await;
        let got: Vec<Issue> = answer["detail"]
            .as_array()
            .unwrap_or_else(|| panic!("no issues: {answer}"))
            .iter()
            .map(|i| {
                (
                    i["type"].as_str().unwrap_or("?").to_owned(),
                    i["loc"].clone(),
                    i["msg"].as_str().unwrap_or("?").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            (status, got),
            (422, expected),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
    // A file first, then text: the text counts.
    let body = multipart(&[file("name", "f", b"x"), text("name", b"a")]);
    let res = client
        .post("/t")
        .header("content-type", MULTIPART)
        .body(body)
        .await;
    assert_eq!(res.text(), "a");
    // The input says which file it was.
    let body = multipart(&[file("name", "f.txt", b"xyz")]);
    let (_, answer) = post_as(&client, "/t", MULTIPART, body).await;
    assert_eq!(
        answer["detail"][0]["input"],
        json!({"filename": "f.txt", "size": 3,
               "headers": {"content-disposition": "form-data; name=\"name\"; filename=\"f.txt\""}})
    );
}

/// What a browser sends for a file input left empty (no file name, no
/// content) is not sent, for FastAPI: a single field is missing (or its
/// default), a list leaves it out.
#[tokio::test]
async fn an_empty_file_input_is_not_sent() {
    let client = client();
    let blank = || file("file", "", b"");
    let cases: Vec<(&str, Vec<Vec<u8>>, u16, Value)> = vec![
        (
            "/up",
            vec![blank()],
            422,
            json!({"detail": [missing("file")]}),
        ),
        ("/opt", vec![blank()], 200, json!({"file": null})),
        // The last value counts: a blank one after a file unsends it.
        (
            "/opt",
            vec![file("file", "a", b"1"), blank()],
            200,
            json!({"file": null}),
        ),
        (
            "/many",
            vec![file("files", "", b""), file("files", "a", b"1")],
            200,
            json!(["a"]),
        ),
        // An empty file name with content is a file.
        (
            "/opt",
            vec![file("file", "", b"x")],
            200,
            json!({"file": ""}),
        ),
    ];
    for (path, parts, status, expected) in cases {
        let body = multipart(&parts);
        let answer = post_as(&client, path, MULTIPART, body.clone()).await;
        assert_eq!(
            answer,
            (status, expected),
            "{path} {}",
            String::from_utf8_lossy(&body)
        );
    }

    // A blank file after a text value unsends the text field too.
    async fn texts(Form(form): Form<Texts>) -> String {
        form.age.to_string()
    }
    let client = TestClient::new(App::new().post("/t", texts));
    let body = multipart(&[text("name", b"a"), text("age", b"5"), file("age", "", b"")]);
    let res = client
        .post("/t")
        .header("content-type", MULTIPART)
        .body(body)
        .await;
    assert_eq!(res.text(), "0");
}

/// python-multipart strips a Windows path from a file name; Starlette
/// reads a part's headers as Latin-1.
#[tokio::test]
async fn file_names_and_content_types_are_read_as_starlette_reads_them() {
    let client = client();
    // The part written byte by byte: its Content-Type has a raw 0xE9.
    let mut head =
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\x\\y.txt\"\r\n"
            .to_vec();
    head.extend_from_slice(b"Content-Type: t\xe9xt/plain\r\n\r\nhi\r\n");
    let body = multipart(&[head]);
    let (status, answer) = post_as(&client, "/up", MULTIPART, body).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&answer["filename"], &answer["ct"]),
        (&json!("y.txt"), &json!("t\u{e9}xt/plain"))
    );
}

/// A file among a text list's values: each issue at its part's position,
/// as FastAPI 0.165 answers `nums: list[int] = []`; an empty file input is
/// left out of the list first.
#[tokio::test]
async fn a_file_among_a_list_s_values_keeps_every_position() {
    #[derive(Deserialize, JsonSchema)]
    struct Nums {
        #[serde(default)]
        nums: Vec<i64>,
    }
    async fn nums(Form(form): Form<Nums>) -> Json<Vec<i64>> {
        Json(form.nums)
    }
    let client = TestClient::new(App::new().post("/n", nums));
    // The parts sent, then each issue's type and list position.
    type Case = (Vec<Vec<u8>>, Vec<(&'static str, i64)>);
    let cases: Vec<Case> = vec![
        (
            vec![file("nums", "f", b"1"), text("nums", b"x")],
            vec![("int_type", 0), ("int_parsing", 1)],
        ),
        (
            vec![
                text("nums", b"x"),
                file("nums", "f", b"1"),
                text("nums", b"y"),
            ],
            vec![("int_parsing", 0), ("int_type", 1), ("int_parsing", 2)],
        ),
        (
            vec![file("nums", "", b""), text("nums", b"x")],
            vec![("int_parsing", 0)],
        ),
    ];
    for (parts, expected) in cases {
        let (status, answer) = post_as(&client, "/n", MULTIPART, multipart(&parts)).await;
        let got: Vec<(&str, i64)> = answer["detail"]
            .as_array()
            .unwrap_or_else(|| panic!("no issues: {answer}"))
            .iter()
            .map(|i| {
                (
                    i["type"].as_str().unwrap_or("?"),
                    i["loc"][2].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        assert_eq!((status, got), (422, expected));
    }
}

/// A file sent to an enum field is pydantic's `enum` issue naming the
/// choices, as FastAPI 0.165 answers a `str` `Enum` form field.
#[tokio::test]
async fn a_file_sent_to_an_enum_field_is_an_enum_issue() {
    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    enum Color {
        Red,
        Green,
    }
    #[derive(Deserialize, JsonSchema)]
    struct Paint {
        color: Color,
    }
    async fn paint(Form(form): Form<Paint>) -> &'static str {
        match form.color {
            Color::Red => "red",
            Color::Green => "green",
        }
    }
    let client = TestClient::new(App::new().post("/c", paint));
    let body = multipart(&[text("color", b"green")]);
    let res = client
        .post("/c")
        .header("content-type", MULTIPART)
        .body(body)
        .await;
    assert_eq!(res.text(), "green");
    let body = multipart(&[file("color", "f.txt", b"red")]);
    let (status, answer) = post_as(&client, "/c", MULTIPART, body).await;
    let issue = &answer["detail"][0];
    assert_eq!(
        (
            status,
            &issue["type"],
            &issue["loc"],
            &issue["msg"],
            &issue["ctx"]
        ),
        (
            422,
            &json!("enum"),
            &json!(["body", "color"]),
            &json!("Input should be 'red' or 'green'"),
            &json!({"expected": "'red' or 'green'"}),
        ),
        "{answer}"
    );
    assert_eq!(issue["input"]["filename"], "f.txt");
}
