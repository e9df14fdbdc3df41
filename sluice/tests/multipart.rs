//! `Multipart`: uploads read part by part, with their names, file names
//! and content types, the body limit, and the errors of a bad body.

mod support;

use serde_json::{json, Value};
use sluice::extract::Multipart;
use sluice::openapi::OpenApi;
use sluice::testing::TestClient;
use sluice::{App, Body, Bytes, Json};
use support::bodies::{multipart, part, post_as, MULTIPART};

/// Every part: its name, file name, content type, one of its own headers,
/// how many pieces it came in and its size, or its text.
async fn describe(mut form: Multipart) -> sluice::Result<Json<Value>> {
    let mut parts = Vec::new();
    while let Some(mut field) = form.next_field().await? {
        let mut part = json!({
            "name": field.name(),
            "filename": field.file_name(),
            "content_type": field.content_type(),
            "x_tag": field.headers().get("x-tag").and_then(|v| v.to_str().ok()),
        });
        if field.file_name().is_some() {
            let mut size = 0;
            while let Some(chunk) = field.chunk().await? {
                size += chunk.len();
            }
            part["size"] = json!(size);
        } else {
            part["text"] = json!(field.text().await?);
        }
        parts.push(part);
    }
    Ok(Json(json!(parts)))
}

fn app() -> App {
    App::new().post("/upload", describe)
}

#[tokio::test]
async fn files_and_fields_come_part_by_part() {
    let client = TestClient::new(app());
    let file: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let body = multipart(&[
        part(
            "Content-Disposition: form-data; name=\"note\"",
            b"caf\xc3\xa9",
        ),
        part(
            "Content-Disposition: form-data; name=\"legacy\"",
            b"caf\xe9",
        ),
        part(
            "Content-Disposition: form-data; name=\"photo\"; filename=\"cat.bin\"\r\n\
             Content-Type: application/octet-stream\r\nX-Tag: first",
            &file,
        ),
        part(
            "Content-Disposition: form-data; name=\"empty\"; filename=\"e.txt\"",
            b"",
        ),
    ]);
    let (status, parts) = post_as(&client, "/upload", MULTIPART, body).await;
    assert_eq!(status, 200, "{parts}");
    assert_eq!(
        parts,
        json!([
            {"name": "note", "filename": null, "content_type": null, "x_tag": null, "text": "café"},
            // Not UTF-8: Latin-1, as Starlette reads a form field.
            {"name": "legacy", "filename": null, "content_type": null, "x_tag": null, "text": "café"},
            {"name": "photo", "filename": "cat.bin", "content_type": "application/octet-stream", "x_tag": "first", "size": 100_000},
            {"name": "empty", "filename": "e.txt", "content_type": null, "x_tag": null, "size": 0},
        ])
    );
}

#[tokio::test]
async fn a_body_past_the_limit_is_a_413() {
    let client = TestClient::new(app().max_body_size(1_000));
    let big = multipart(&[part(
        "Content-Disposition: form-data; name=\"f\"; filename=\"big\"",
        &[b'x'; 5_000],
    )]);
    // Sent in pieces without a length, so that the limit is found while
    // the parts are read.
    let pieces: Vec<Result<Bytes, std::io::Error>> = big
        .chunks(700)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let res = client
        .post("/upload")
        .header("content-type", MULTIPART)
        .body(Body::from_stream(futures_util::stream::iter(pieces)))
        .await;
    assert_eq!(res.status(), 413, "{}", res.text());
    assert!(res.header("content-length").is_some());
    // With its length, it is refused before it is read.
    let res = client
        .post("/upload")
        .header("content-type", MULTIPART)
        .body(big)
        .await;
    assert_eq!(res.status(), 413);
    // Within it, the same app reads the file.
    let small = multipart(&[part(
        "Content-Disposition: form-data; name=\"f\"; filename=\"small\"",
        &[b'x'; 500],
    )]);
    let (status, parts) = post_as(&client, "/upload", MULTIPART, small).await;
    assert_eq!((status, &parts[0]["size"]), (200, &json!(500)), "{parts}");
}

#[tokio::test]
async fn a_body_that_is_not_multipart_or_is_broken_is_refused() {
    let client = TestClient::new(app());
    let detail = |d: &str| json!({ "detail": d });
    assert_eq!(
        post_as(&client, "/upload", "application/json", b"{}".to_vec()).await,
        (415, detail("Expected a multipart/form-data body"))
    );
    assert_eq!(
        post_as(
            &client,
            "/upload",
            "multipart/form-data",
            b"--b--\r\n".to_vec()
        )
        .await,
        (400, detail("Missing boundary in multipart."))
    );
    assert_eq!(
        post_as(&client, "/upload", MULTIPART, b"garbage".to_vec()).await,
        (400, detail("Invalid multipart data."))
    );
    // A part cut short.
    assert_eq!(
        post_as(
            &client,
            "/upload",
            MULTIPART,
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nab".to_vec()
        )
        .await,
        (400, detail("Invalid multipart data."))
    );
}

#[test]
fn the_document_has_a_multipart_body() {
    let service = app()
        .openapi(OpenApi::new())
        .build()
        .expect("the app builds");
    let doc = service.openapi().expect("a document");
    assert_eq!(
        doc["paths"]["/upload"]["post"]["requestBody"],
        json!({"content": {"multipart/form-data": {"schema": {"type": "object"}}}, "required": true})
    );
    test_support::validate_openapi(doc, "multipart");
}
