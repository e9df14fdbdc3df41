//! FastAPI's "Request Forms and Files" and "Cookie Parameters" chapters:
//! a login form, file uploads beside form fields, several files at once,
//! the HTML page that sends them, and cookies read into a struct.
//!
//! ```sh
//! cargo run -p example-forms-and-files
//! curl -F token=secret -F file=@Cargo.toml http://127.0.0.1:8000/files/
//! curl -F files=@Cargo.toml -F files=@README.md http://127.0.0.1:8000/uploadfiles/
//! curl -d 'username=ann&password=pw' http://127.0.0.1:8000/login/
//! curl -b 'session_id=abc; visits=3' http://127.0.0.1:8000/items/
//! ```
//!
//! Open <http://127.0.0.1:8000/> for the upload page, and
//! <http://127.0.0.1:8000/docs> to try each route from Swagger UI.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice::extract::{Cookies, Form, UploadFile};
use sluice::openapi::OpenApi;
use sluice::{App, Html, HttpError, Json};

/// `username: Annotated[str, Form()], password: Annotated[str, Form()]`.
#[derive(Deserialize, JsonSchema)]
struct Login {
    username: String,
    password: String,
}

async fn login(Form(form): Form<Login>) -> sluice::Result<Json<Value>> {
    // A real app checks a password hash in its user store.
    if (form.username.as_str(), form.password.as_str()) != ("ann", "pw") {
        return Err(HttpError::new(401, "Incorrect username or password").into());
    }
    Ok(Json(json!({"username": form.username})))
}

/// `file: UploadFile, token: Annotated[str, Form()]`: a file and the form
/// fields sent beside it, in one struct.
#[derive(Deserialize, JsonSchema)]
struct FileWithToken {
    file: UploadFile,
    token: String,
}

async fn create_file(Form(form): Form<FileWithToken>) -> Json<Value> {
    Json(json!({
        "file_size": form.file.size(),
        "token": form.token,
        "filename": form.file.filename(),
        "content_type": form.file.content_type(),
    }))
}

/// `files: list[UploadFile]`.
#[derive(Deserialize, JsonSchema)]
struct Files {
    files: Vec<UploadFile>,
}

async fn create_upload_files(Form(form): Form<Files>) -> Json<Value> {
    let names: Vec<&str> = form.files.iter().map(UploadFile::filename).collect();
    Json(json!({"filenames": names}))
}

/// `session_id: Annotated[str, Cookie()], visits: Annotated[int | None,
/// Cookie()] = None`.
#[derive(Deserialize, JsonSchema)]
struct Visitor {
    session_id: String,
    visits: Option<u32>,
}

async fn read_items(Cookies(visitor): Cookies<Visitor>) -> Json<Value> {
    Json(json!({"session_id": visitor.session_id, "visits": visitor.visits}))
}

/// The tutorial's page with two forms that post several files.
async fn main_page() -> Html<&'static str> {
    Html(
        r#"<body>
<form action="/files/" enctype="multipart/form-data" method="post">
<input name="token" type="text"><input name="file" type="file"><input type="submit">
</form>
<form action="/uploadfiles/" enctype="multipart/form-data" method="post">
<input name="files" type="file" multiple><input type="submit">
</form>
</body>"#,
    )
}

fn app() -> App {
    App::new()
        .get("/", main_page)
        .post("/login/", login)
        .post("/files/", create_file)
        .post("/uploadfiles/", create_upload_files)
        .get("/items/", read_items)
        .openapi(OpenApi::new().title("Forms and files"))
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::TestClient;

    const MULTIPART: &str = "multipart/form-data; boundary=x";

    fn part(name: &str, filename: Option<&str>, content: &str) -> String {
        let filename = filename
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        format!(
            "--x\r\nContent-Disposition: form-data; name=\"{name}\"{filename}\r\n\r\n{content}\r\n"
        )
    }

    #[tokio::test]
    async fn a_file_comes_with_its_form_fields() {
        let body =
            part("token", None, "secret") + &part("file", Some("notes.txt"), "hello") + "--x--\r\n";
        let res = TestClient::new(app())
            .post("/files/")
            .header("content-type", MULTIPART)
            .body(body)
            .await;
        assert_eq!(
            res.json::<Value>(),
            json!({"file_size": 5, "token": "secret", "filename": "notes.txt", "content_type": null})
        );
    }

    #[tokio::test]
    async fn a_missing_file_is_fastapis_422() {
        let body = part("token", None, "secret") + "--x--\r\n";
        let res = TestClient::new(app())
            .post("/files/")
            .header("content-type", MULTIPART)
            .body(body)
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<Value>()["detail"],
            json!([{"type": "missing", "loc": ["body", "file"], "msg": "Field required",
                    "input": {"token": "secret"}}])
        );
    }

    #[tokio::test]
    async fn several_files_keep_their_order() {
        let body =
            part("files", Some("a.txt"), "1") + &part("files", Some("b.txt"), "2") + "--x--\r\n";
        let res = TestClient::new(app())
            .post("/uploadfiles/")
            .header("content-type", MULTIPART)
            .body(body)
            .await;
        assert_eq!(
            res.json::<Value>(),
            json!({"filenames": ["a.txt", "b.txt"]})
        );
    }

    #[tokio::test]
    async fn a_login_form_and_cookies_are_read() {
        let client = TestClient::new(app());
        let res = client
            .post("/login/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("username=ann&password=pw")
            .await;
        assert_eq!(res.json::<Value>(), json!({"username": "ann"}));
        let res = client
            .post("/login/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("username=ann&password=guess")
            .await;
        assert_eq!(res.status(), 401);

        let res = client
            .get("/items/")
            .header("cookie", "session_id=abc; visits=3")
            .await;
        assert_eq!(
            res.json::<Value>(),
            json!({"session_id": "abc", "visits": 3})
        );
        let res = client.get("/items/").await;
        assert_eq!(res.status(), 422);
    }

    #[tokio::test]
    async fn the_page_posts_multipart_forms_and_the_document_says_so() {
        let client = TestClient::new(app());
        let page = client.get("/").await.text();
        assert!(page.contains(r#"action="/files/" enctype="multipart/form-data""#));
        let doc = client.get("/openapi.json").await.json::<Value>();
        let body = &doc["paths"]["/files/"]["post"]["requestBody"]["content"];
        assert!(body["multipart/form-data"].is_object(), "{body:#}");
        let cookie = &doc["paths"]["/items/"]["get"]["parameters"][0];
        assert_eq!(
            (&cookie["name"], &cookie["in"]),
            (&json!("session_id"), &json!("cookie"))
        );
    }
}
