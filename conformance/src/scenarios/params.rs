//! The `params` scenario (not in SCENARIOS.md): path, query, cookie and
//! header parameters, uploaded files and JSON bodies, the routes of
//! `conformance/reference/params/ref.py`, for the differential check
//! there.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sluice::extract::{Cookies, Form, Headers, Path, Query, UploadFile};
use sluice::{App, Json};

/// `class Color(str, Enum)`, and `Literal["red", "green"]`.
#[derive(Deserialize, Serialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Green,
}

fn ten() -> i64 {
    10
}

fn n() -> String {
    "n".to_owned()
}

fn one() -> i64 {
    1
}

#[derive(Deserialize, JsonSchema)]
struct Str {
    session_id: String,
}

#[derive(Deserialize, JsonSchema)]
struct OptStr {
    ads_id: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct Int {
    #[serde(default = "ten")]
    limit: i64,
}

#[derive(Deserialize, JsonSchema)]
struct Float {
    ratio: f64,
}

#[derive(Deserialize, JsonSchema)]
struct Bool {
    flag: bool,
}

#[derive(Deserialize, JsonSchema)]
struct Colored {
    color: Color,
}

#[derive(Deserialize, JsonSchema)]
struct All {
    session_id: String,
    ads_id: Option<String>,
    #[serde(default = "ten")]
    limit: i64,
    ratio: Option<f64>,
    #[serde(default)]
    flag: bool,
    color: Option<Color>,
}

/// Separate query parameters (`q: str`, `n: int = 0`, ...).
#[derive(Deserialize, Serialize, JsonSchema)]
struct QSep {
    q: String,
    #[serde(default)]
    n: i64,
    r: Option<f64>,
    flag: Option<bool>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    ids: Vec<i64>,
    color: Option<Color>,
    opt: Option<String>,
}

/// A query model with `extra="forbid"`.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct QStrict {
    q: String,
    #[serde(default)]
    n: i64,
    #[serde(default)]
    tags: Vec<String>,
}

/// Query parameters under other names (`Query(alias="item-query")`).
#[derive(Deserialize, Serialize, JsonSchema)]
struct QAlias {
    #[serde(rename = "item-query")]
    item_query: Option<String>,
    #[serde(rename = "N", default)]
    n: i64,
    #[serde(rename = "tag", default)]
    tags: Vec<String>,
}

/// Header parameters under other names (`Header(alias="X-Secret-Token")`),
/// renamed as sluice reads header names: lower case, `_` for `-`.
#[derive(Deserialize, Serialize, JsonSchema)]
struct HAlias {
    #[serde(rename = "x_secret_token")]
    token: String,
    #[serde(rename = "accept_language")]
    lang: Option<String>,
}

/// Separate header parameters (`x_token: Annotated[str, Header()]`, ...).
#[derive(Deserialize, Serialize, JsonSchema)]
struct HModel {
    x_token: String,
    user_agent: Option<String>,
    #[serde(default)]
    x_count: i64,
    #[serde(default)]
    x_tags: Vec<String>,
    x_flag: Option<bool>,
    x_color: Option<Color>,
}

/// A header model with `extra="forbid"`; `host` and `content_length`,
/// which every request of the differential sends, are fields.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct HStrict {
    x_token: String,
    x_ratio: Option<f64>,
    host: Option<String>,
    content_length: Option<String>,
}

/// `model_config = ConfigDict(extra="forbid")`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Strict {
    session_id: String,
    #[serde(default)]
    n: i64,
}

/// A JSON body: every kind of field pydantic reads in its lax mode.
#[derive(Deserialize, Serialize, JsonSchema)]
struct Item {
    name: String,
    price: f64,
    count: i64,
    ok: bool,
    tags: Vec<String>,
    note: Option<String>,
}

/// A forbidding JSON body, with an enum and models inside.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Order {
    color: Color,
    item: Item,
    #[serde(default)]
    extras: Vec<Item>,
}

fn v(value: impl Serialize) -> Json<Value> {
    Json(json!({ "v": value }))
}

/// A file as the routes answer it: name, type, size and bytes in hex.
fn file(upload: &UploadFile) -> Value {
    let hex: String = upload.bytes().iter().map(|b| format!("{b:02x}")).collect();
    json!({"filename": upload.filename(), "ct": upload.content_type(),
           "size": upload.size(), "data": hex})
}

#[derive(Deserialize, JsonSchema)]
struct Up {
    file: UploadFile,
    #[serde(default = "n")]
    note: String,
    tag: Option<String>,
    #[serde(default = "one")]
    count: i64,
}

#[derive(Deserialize, JsonSchema)]
struct Mixed {
    name: String,
    file: UploadFile,
    age: i64,
}

#[derive(Deserialize, JsonSchema)]
struct Many {
    files: Vec<UploadFile>,
    #[serde(default = "n")]
    note: String,
}

#[derive(Deserialize, JsonSchema)]
struct ManyOpt {
    #[serde(default)]
    files: Vec<UploadFile>,
}

#[derive(Deserialize, JsonSchema)]
struct Opt {
    file: Option<UploadFile>,
    #[serde(default = "n")]
    note: String,
}

#[derive(Deserialize, JsonSchema)]
struct OptForm {
    name: String,
    file: UploadFile,
    #[serde(default)]
    count: i64,
}

/// `GET /c/...` read cookies; `POST /u/...` read forms with files.
pub(crate) fn params() -> App {
    App::new()
        .get("/c/str", |Cookies(c): Cookies<Str>| async move {
            v(c.session_id)
        })
        .get("/c/optstr", |Cookies(c): Cookies<OptStr>| async move {
            v(c.ads_id)
        })
        .get(
            "/c/int",
            |Cookies(c): Cookies<Int>| async move { v(c.limit) },
        )
        .get("/c/float", |Cookies(c): Cookies<Float>| async move {
            v(c.ratio)
        })
        .get(
            "/c/bool",
            |Cookies(c): Cookies<Bool>| async move { v(c.flag) },
        )
        .get("/c/lit", |Cookies(c): Cookies<Colored>| async move {
            v(c.color)
        })
        .get("/c/enum", |Cookies(c): Cookies<Colored>| async move {
            v(c.color)
        })
        .get("/c/all", |Cookies(c): Cookies<All>| async move {
            Json(
                json!({"session_id": c.session_id, "ads_id": c.ads_id, "limit": c.limit,
                        "ratio": c.ratio, "flag": c.flag, "color": c.color}),
            )
        })
        .get("/c/strict", |Cookies(c): Cookies<Strict>| async move {
            Json(json!({"session_id": c.session_id, "n": c.n}))
        })
        .post("/u/up", |Form(x): Form<Up>| async move {
            Json(json!({"file": file(&x.file), "note": x.note, "tag": x.tag, "count": x.count}))
        })
        .post("/u/mixed", |Form(x): Form<Mixed>| async move {
            Json(json!({"name": x.name, "file": file(&x.file), "age": x.age}))
        })
        .post("/u/many", |Form(x): Form<Many>| async move {
            Json(json!({"files": x.files.iter().map(file).collect::<Vec<_>>(), "note": x.note}))
        })
        .post("/u/manyopt", |Form(x): Form<ManyOpt>| async move {
            Json(json!({"files": x.files.iter().map(file).collect::<Vec<_>>()}))
        })
        .post("/u/opt", |Form(x): Form<Opt>| async move {
            Json(json!({"file": x.file.as_ref().map(file), "note": x.note}))
        })
        .get("/p/s/{s}", |Path(s): Path<String>| async move {
            Json(json!({ "s": s }))
        })
        .get("/p/f/{f}", |Path(f): Path<f64>| async move {
            Json(json!({ "f": f }))
        })
        .get("/p/b/{b}", |Path(b): Path<bool>| async move {
            Json(json!({ "b": b }))
        })
        .get("/p/c/{c}", |Path(c): Path<Color>| async move {
            Json(json!({ "c": c }))
        })
        .get(
            "/p/two/{a}/{n}",
            |Path((a, n)): Path<(String, i64)>| async move { Json(json!({ "a": a, "n": n })) },
        )
        .get(
            "/p/rest/{rest:path}",
            |Path(rest): Path<String>| async move { Json(json!({ "rest": rest })) },
        )
        .get("/q/sep", |Query(q): Query<QSep>| async move { Json(q) })
        .get("/q/alias", |Query(q): Query<QAlias>| async move {
            Json(json!({ "item_query": q.item_query, "n": q.n, "tags": q.tags }))
        })
        .get("/h/alias", |Headers(h): Headers<HAlias>| async move {
            Json(json!({ "token": h.token, "lang": h.lang }))
        })
        .get(
            "/q/strict",
            |Query(q): Query<QStrict>| async move { Json(q) },
        )
        .get(
            "/h/model",
            |Headers(h): Headers<HModel>| async move { Json(h) },
        )
        .get("/h/strict", |Headers(h): Headers<HStrict>| async move {
            Json(h)
        })
        .post("/j/item", |Json(x): Json<Item>| async move { Json(x) })
        .post("/j/order", |Json(x): Json<Order>| async move { Json(x) })
        .post("/u/optform", |form: Option<Form<OptForm>>| async move {
            let form = form
                .map(|Form(x)| json!({"name": x.name, "file": file(&x.file), "count": x.count}));
            Json(json!({ "form": form }))
        })
}
