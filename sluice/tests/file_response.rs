//! `FileResponse`: a file as a handler's response. Each expected status,
//! header and body is what FastAPI 0.165 (Starlette 1.10's `FileResponse`)
//! sent for the same arguments and request (`etag` and `last-modified`
//! aside, checked on their own).

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, FileResponse, HeaderMap, HeaderValue, StatusCode};

/// A directory of its own with `data.csv` (`a,b\n1,2\n`), removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sluice-file-response-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        std::fs::write(dir.join("data.csv"), "a,b\n1,2\n").expect("write");
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `GET path` answering `data.csv` as `build` makes the response, with the
/// request's ranges.
fn route(
    app: App,
    path: &str,
    file: &Arc<PathBuf>,
    build: fn(FileResponse) -> FileResponse,
) -> App {
    let file = file.clone();
    app.get(path, move |headers: HeaderMap| {
        let file = file.clone();
        async move {
            let response = FileResponse::open(file.as_path()).await?;
            Ok::<_, sluice::Error>(build(response).ranges(&headers))
        }
    })
}

fn app(dir: &Dir) -> App {
    let file = Arc::new(dir.0.join("data.csv"));
    let mut app = App::new();
    app = route(app, "/plain", &file, |f| f);
    app = route(app, "/named", &file, |f| f.filename("report.csv"));
    app = route(app, "/spaced", &file, |f| f.filename("my report.csv"));
    app = route(app, "/accent", &file, |f| f.filename("résumé 2026.pdf"));
    app = route(app, "/inline", &file, |f| f.filename("r.txt").inline());
    app = route(app, "/typed", &file, |f| {
        f.media_type(HeaderValue::from_static("text/x-custom"))
    });
    app = route(app, "/created", &file, |f| f.status(StatusCode::CREATED));
    app
}

fn headers(res: &TestResponse) -> Value {
    let mut out = serde_json::Map::new();
    for (name, value) in res.headers() {
        if name != "etag" && name != "last-modified" {
            out.insert(
                name.to_string(),
                Value::from(value.to_str().expect("ASCII")),
            );
        }
    }
    Value::Object(out)
}

#[tokio::test]
async fn a_file_is_sent_with_starlettes_headers() {
    let dir = Dir::new("headers");
    let client = TestClient::new(app(&dir));
    let cases = [
        (
            "/plain",
            json!({"content-type": "text/csv; charset=utf-8", "accept-ranges": "bytes", "content-length": "8"}),
        ),
        (
            "/named",
            json!({"content-type": "text/csv; charset=utf-8", "accept-ranges": "bytes",
                   "content-disposition": "attachment; filename=\"report.csv\"", "content-length": "8"}),
        ),
        (
            "/spaced",
            json!({"content-type": "text/csv; charset=utf-8", "accept-ranges": "bytes",
                   "content-disposition": "attachment; filename*=utf-8''my%20report.csv", "content-length": "8"}),
        ),
        (
            "/accent",
            json!({"content-type": "application/pdf", "accept-ranges": "bytes",
                   "content-disposition": "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%202026.pdf",
                   "content-length": "8"}),
        ),
        (
            "/inline",
            json!({"content-type": "text/plain; charset=utf-8", "accept-ranges": "bytes",
                   "content-disposition": "inline; filename=\"r.txt\"", "content-length": "8"}),
        ),
        (
            "/typed",
            json!({"content-type": "text/x-custom; charset=utf-8", "accept-ranges": "bytes", "content-length": "8"}),
        ),
    ];
    for (path, expected) in cases {
        let res = client.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(headers(&res), expected, "{path}");
        assert_eq!(res.text(), "a,b\n1,2\n", "{path}");
        // The validators StaticFiles sends for the same file.
        let etag = res.header("etag").expect("an etag");
        assert!(etag.starts_with('"') && etag.ends_with("-8\""), "{etag}");
        let modified = res.header("last-modified").expect("a date");
        assert!(httpdate::parse_http_date(modified).is_ok(), "{modified}");
    }
    // HEAD: the headers of the GET, no body.
    let res = client.head("/named").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-length"), Some("8"));
    assert!(res.bytes().is_empty());
}

#[tokio::test]
async fn ranges_are_answered_as_starlette_answers_them() {
    let dir = Dir::new("ranges");
    let client = TestClient::new(app(&dir));

    let res = client.get("/named").header("range", "bytes=4-").await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        headers(&res),
        json!({"content-type": "text/csv; charset=utf-8", "accept-ranges": "bytes",
               "content-disposition": "attachment; filename=\"report.csv\"",
               "content-length": "4", "content-range": "bytes 4-7/8"})
    );
    assert_eq!(res.text(), "1,2\n");

    let res = client.get("/named").header("range", "bytes=0-1,4-5").await;
    assert_eq!(res.status(), 206);
    let content_type = res.header("content-type").expect("a type");
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .expect("multipart");
    let expected = format!(
        "--{boundary}\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Range: bytes 0-1/8\r\n\r\na,\r\n\
         --{boundary}\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Range: bytes 4-5/8\r\n\r\n1,\r\n\
         --{boundary}--"
    );
    assert_eq!(res.text(), expected);
    assert_eq!(res.header("content-length"), Some("236"));

    let res = client.get("/named").header("range", "bytes=100-").await;
    assert_eq!(res.status(), 416);
    assert_eq!(
        headers(&res),
        json!({"content-range": "bytes */8", "content-length": "0", "content-type": "text/plain; charset=utf-8"})
    );

    // A 400, as in Starlette; its text is StaticFiles' own (Starlette's:
    // "Range header: range must be requested").
    let res = client.get("/named").header("range", "bytes=x").await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.text(), "the Range header asks for no range");

    // An If-Range that no longer matches: the whole file.
    let res = client
        .get("/named")
        .header("range", "bytes=0-1")
        .header("if-range", "\"nope\"")
        .await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "a,b\n1,2\n".into())
    );
    // One that does: the range.
    let etag = res.header("etag").expect("an etag").to_owned();
    let res = client
        .get("/named")
        .header("range", "bytes=0-1")
        .header("if-range", etag)
        .await;
    assert_eq!((res.status().as_u16(), res.text()), (206, "a,".into()));

    // Not a 200: no ranges.
    let res = client.get("/created").header("range", "bytes=0-1").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (201, "a,b\n1,2\n".into())
    );
}

#[tokio::test]
async fn a_handler_s_file_answers_ranges_without_being_given_the_headers() {
    // As a FastAPI handler returns `FileResponse(path)`: Starlette reads
    // `Range` from the request itself.
    let dir = Dir::new("auto-ranges");
    let file = dir.0.join("data.csv");
    let in_result = file.clone();
    let bare = file.clone();
    let app = App::new()
        .get("/result", move || {
            let file = in_result.clone();
            async move { FileResponse::open(file).await.map_err(sluice::Error::new) }
        })
        .get("/bare", move || {
            let file = bare.clone();
            async move {
                FileResponse::open(file)
                    .await
                    .expect("the file")
                    .filename("report.csv")
            }
        })
        .get("/opted-out", move || {
            let file = file.clone();
            async move {
                // Headers given by hand win: none here, so no ranges.
                let file = FileResponse::open(file).await?;
                Ok::<_, sluice::Error>(file.ranges(&HeaderMap::new()))
            }
        });
    let client = TestClient::new(app);

    for path in ["/result", "/bare"] {
        let res = client.get(path).header("range", "bytes=0-1").await;
        assert_eq!(res.status(), 206, "{path}");
        assert_eq!(res.header("content-range"), Some("bytes 0-1/8"), "{path}");
        assert_eq!(res.text(), "a,", "{path}");
        let res = client.get(path).await;
        assert_eq!(
            (res.status().as_u16(), res.text()),
            (200, "a,b\n1,2\n".into()),
            "{path}"
        );
    }
    let res = client.get("/bare").header("range", "bytes=4-").await;
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"report.csv\"")
    );
    assert_eq!(res.text(), "1,2\n");
    let res = client.get("/result").header("range", "bytes=100-").await;
    assert_eq!(res.status(), 416);
    assert_eq!(res.header("content-range"), Some("bytes */8"));
    let res = client
        .get("/result")
        .header("range", "bytes=0-1")
        .header("if-range", "\"stale\"")
        .await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "a,b\n1,2\n".into())
    );

    let res = client.get("/opted-out").header("range", "bytes=0-1").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "a,b\n1,2\n".into())
    );
}

#[tokio::test]
async fn a_file_with_headers_added_still_answers_ranges() {
    // Starlette's `FileResponse(path, headers={...})`: the headers go on
    // the 206 as on the 200, and the range is still the response's.
    let dir = Dir::new("ranges-with-headers");
    let file = dir.0.join("data.csv");
    let in_map = file.clone();
    let in_pairs = file.clone();
    let app = App::new()
        .get("/map", move || {
            let file = in_map.clone();
            async move {
                let mut headers = HeaderMap::new();
                headers.insert("cache-control", HeaderValue::from_static("max-age=60"));
                Ok::<_, sluice::Error>((headers, FileResponse::open(file).await?))
            }
        })
        .get("/pairs", move || {
            let file = in_pairs.clone();
            async move {
                let file = FileResponse::open(file).await?;
                Ok::<_, sluice::Error>(([("cache-control", "max-age=60")], file))
            }
        })
        .get("/status", move || {
            let file = file.clone();
            async move {
                // A status given in the tuple replaces the response's, so
                // no range is answered: the whole file, with that status.
                let file = FileResponse::open(file).await?;
                Ok::<_, sluice::Error>((StatusCode::ACCEPTED, file))
            }
        });
    let client = TestClient::new(app);

    for path in ["/map", "/pairs"] {
        let res = client.get(path).header("range", "bytes=2-4").await;
        assert_eq!(res.status(), 206, "{path}");
        assert_eq!(res.header("content-range"), Some("bytes 2-4/8"), "{path}");
        assert_eq!(res.header("cache-control"), Some("max-age=60"), "{path}");
        assert_eq!(res.text(), "b\n1", "{path}");
        let res = client.get(path).header("range", "bytes=9-").await;
        assert_eq!(res.status(), 416, "{path}");
        assert_eq!(res.header("content-range"), Some("bytes */8"), "{path}");
        let res = client.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.header("cache-control"), Some("max-age=60"), "{path}");
        assert_eq!(res.text(), "a,b\n1,2\n", "{path}");
    }
    let res = client.get("/status").header("range", "bytes=2-4").await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (202, "a,b\n1,2\n".into())
    );
}

#[tokio::test]
async fn a_missing_file_or_a_directory_is_a_500_naming_it() {
    let dir = Dir::new("missing");
    let missing = dir.0.join("gone.csv");
    let directory = dir.0.clone();
    let app = App::new()
        .get("/missing", move || {
            let missing = missing.clone();
            async move {
                FileResponse::open(missing)
                    .await
                    .map_err(sluice::Error::new)
            }
        })
        .get("/dir", move || {
            let directory = directory.clone();
            async move {
                FileResponse::open(directory)
                    .await
                    .map_err(sluice::Error::new)
            }
        });
    let client = TestClient::new(app).raise_server_exceptions(false);
    let res = client.get("/missing").await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.json::<Value>(),
        json!({"detail": "Internal Server Error"})
    );
    let res = client.get("/dir").await;
    assert_eq!(res.status(), 500);
    let error = res.error().expect("the error").to_string();
    assert!(error.contains("is not a file"), "{error}");
}

#[tokio::test]
async fn a_large_file_streams_whole() {
    let dir = Dir::new("large");
    let path = dir.0.join("large.bin");
    // Past several 64 KiB chunks, not a multiple of one.
    let content: Vec<u8> = (0..300_001u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).expect("write");
    let app = App::new().get("/large", move |headers: HeaderMap| {
        let path = path.clone();
        async move {
            let file = FileResponse::open(path).await?;
            Ok::<_, sluice::Error>(file.ranges(&headers))
        }
    });
    let client = TestClient::new(app);
    let res = client.get("/large").await;
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
    assert_eq!(res.header("content-length"), Some("300001"));
    assert_eq!(res.bytes().as_ref(), content.as_slice());
    let res = client.get("/large").header("range", "bytes=-70000").await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().as_ref(), &content[content.len() - 70_000..]);
}
