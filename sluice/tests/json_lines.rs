//! JSON Lines (`sluice::JsonLines`), as FastAPI streams a generator path
//! operation. The bodies and headers expected are what FastAPI 0.165 sent
//! for the same generator, annotated with its item model.

#![allow(clippy::unwrap_used)]

mod support;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use sluice::openapi::OpenApi;
use sluice::testing::TestClient;
use sluice::{App, HttpError, JsonLines};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use support::wire::{connect, read_until, start};

#[derive(Serialize)]
struct Item {
    name: &'static str,
    price: f64,
    tags: Vec<&'static str>,
}

async fn items() -> JsonLines {
    JsonLines::new(stream::iter([
        Item {
            name: "café",
            price: 1.5,
            tags: vec![],
        },
        Item {
            name: "b\n\"q\"",
            price: 2.0,
            tags: vec!["x"],
        },
    ]))
}

#[tokio::test]
async fn items_are_sent_as_fastapi_sends_yielded_models() {
    let res = TestClient::new(App::new().get("/items", items))
        .get("/items")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("application/jsonl"));
    assert_eq!(res.header("content-length"), None);
    assert_eq!(
        res.text(),
        "{\"name\":\"café\",\"price\":1.5,\"tags\":[]}\n{\"name\":\"b\\n\\\"q\\\"\",\"price\":2.0,\"tags\":[\"x\"]}\n"
    );
    // Each line is a JSON text of its own.
    for line in res.text().lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
}

#[tokio::test]
async fn an_error_ends_the_stream_after_what_was_sent() {
    async fn failing() -> JsonLines {
        JsonLines::try_new(stream::iter([
            Ok(serde_json::json!({"row": 1})),
            Err(HttpError::new(503, "database gone")),
            Ok(serde_json::json!({"row": 3})),
        ]))
    }
    async fn unwritable() -> JsonLines {
        let mut bad = std::collections::BTreeMap::new();
        bad.insert((1, 2), "a tuple key");
        let mut good = std::collections::BTreeMap::new();
        good.insert((0, 0), "never");
        JsonLines::new(stream::iter([None, Some(bad), Some(good)]))
    }
    // The error fails the test by default, as a server exception: here it
    // is what is checked.
    let client = TestClient::new(
        App::new()
            .get("/failing", failing)
            .get("/unwritable", unwritable),
    )
    .raise_server_exceptions(false);
    let res = client.get("/failing").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "{\"row\":1}\n");
    let error = res.body_error().expect("the stream's error").to_string();
    assert!(error.contains("database gone"), "{error}");

    let res = client.get("/unwritable").await;
    assert_eq!(res.text(), "null\n");
    let error = res.body_error().expect("the stream's error").to_string();
    assert!(error.contains("key must be a string"), "{error}");
}

/// Over the real server, each line reaches the client when it is sent:
/// the client reads the first before the handler's stream has the second.
#[tokio::test]
async fn each_line_is_sent_as_it_comes() {
    let (tx, rx) = mpsc::unbounded_channel::<u32>();
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(Some(rx)));
    let app = App::new().get("/live", move || {
        let rx = rx.clone();
        async move {
            let rx = rx.lock().await.take().unwrap();
            let rows = stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|row| (row, rx)) },
            )
            .map(|row| serde_json::json!({ "row": row }));
            JsonLines::new(rows)
        }
    });
    let server = start(app).await;
    let mut conn = connect(server.addr).await;
    conn.write_all(b"GET /live HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();

    tx.send(1).unwrap();
    let head_and_first = read_until(&mut conn, "{\"row\":1}\n").await;
    assert!(
        head_and_first.starts_with("HTTP/1.1 200 OK\r\n"),
        "{head_and_first}"
    );
    assert!(
        head_and_first.contains("transfer-encoding: chunked\r\n"),
        "{head_and_first}"
    );
    assert!(!head_and_first.contains("\"row\":2"), "{head_and_first}");

    tx.send(2).unwrap();
    read_until(&mut conn, "{\"row\":2}\n").await;
    drop(tx);
    // The stream's end is the body's end: the last, empty chunk.
    let end = read_until(&mut conn, "0\r\n\r\n").await;
    assert_eq!(end.trim_start_matches("\r\n"), "0\r\n\r\n");
    server.stop().await.unwrap();
}

#[test]
fn the_document_lists_a_json_lines_response() {
    let service = App::new()
        .get("/items", items)
        .openapi(OpenApi::new())
        .build()
        .unwrap();
    let doc = service.openapi().unwrap();
    assert_eq!(
        doc["paths"]["/items"]["get"]["responses"]["200"]["content"],
        serde_json::json!({"application/jsonl": {}})
    );
}
