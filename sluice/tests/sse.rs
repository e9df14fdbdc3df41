//! Server-sent events (`sluice::sse`), as FastAPI's `EventSourceResponse`.
//! The bodies and headers expected are what FastAPI 0.165 sent for the
//! same generator.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use sluice::openapi::OpenApi;
use sluice::sse::{Event, Sse};
use sluice::testing::TestClient;
use sluice::{App, HttpError, Json};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use support::wire::{connect, read_until, start};

#[derive(Serialize)]
struct Item {
    name: &'static str,
}

async fn items() -> Sse<impl futures_util::Stream<Item = Json<Item>>> {
    Sse::new(stream::iter([
        Json(Item { name: "a" }),
        Json(Item { name: "b\nc" }),
    ]))
}

#[tokio::test]
async fn json_items_are_sent_as_fastapi_sends_yielded_models() {
    let res = TestClient::new(App::new().get("/items", items))
        .get("/items")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    assert_eq!(res.header("x-accel-buffering"), Some("no"));
    assert_eq!(res.header("content-length"), None);
    assert_eq!(
        res.text(),
        "data: {\"name\":\"a\"}\n\ndata: {\"name\":\"b\\nc\"}\n\n"
    );
}

/// One event, then nothing for 130 ms, then another: with pings every
/// 50 ms of idleness, two pings come between them (at 50 and 100 ms; the
/// timer starts again at each event). The clock is tokio's, paused, so
/// the count does not depend on the machine's load.
#[tokio::test(start_paused = true)]
async fn an_idle_stream_is_kept_alive_with_pings() {
    async fn slow() -> Sse<impl futures_util::Stream<Item = Event>> {
        let events = stream::iter([Event::data("1")]).chain(
            stream::once(async {
                tokio::time::sleep(Duration::from_millis(130)).await;
                Event::data("2")
            })
            .chain(stream::once(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Event::data("3")
            })),
        );
        Sse::new(events).keep_alive(Duration::from_millis(50))
    }
    let res = TestClient::new(App::new().get("/slow", slow))
        .get("/slow")
        .await;
    assert_eq!(
        res.text(),
        "data: 1\n\n: ping\n\n: ping\n\ndata: 2\n\ndata: 3\n\n"
    );
}

#[tokio::test(start_paused = true)]
async fn no_ping_is_sent_when_keep_alive_is_off() {
    async fn slow() -> Sse<impl futures_util::Stream<Item = Event>> {
        let events = stream::once(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Event::data("late")
        });
        Sse::new(events).no_keep_alive()
    }
    let res = TestClient::new(App::new().get("/slow", slow))
        .get("/slow")
        .await;
    assert_eq!(res.text(), "data: late\n\n");
}

#[tokio::test]
async fn an_error_ends_the_stream_after_what_was_sent() {
    async fn failing() -> Sse<impl futures_util::Stream<Item = Result<Event, HttpError>>> {
        Sse::new(stream::iter([
            Ok(Event::data("first").id("1")),
            Err(HttpError::new(503, "database gone")),
            Ok(Event::data("never")),
        ]))
    }
    async fn bad_id() -> Sse<impl futures_util::Stream<Item = Event>> {
        Sse::new(stream::iter([
            Event::data("first"),
            Event::data("x").id("2\n3"),
            Event::data("never"),
        ]))
    }
    // The error fails the test by default, as a server exception: here it
    // is what is checked.
    let client = TestClient::new(App::new().get("/failing", failing).get("/bad-id", bad_id))
        .raise_server_exceptions(false);
    let res = client.get("/failing").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "data: first\nid: 1\n\n");
    let error = res.body_error().expect("the stream's error").to_string();
    assert!(error.contains("database gone"), "{error}");

    let res = client.get("/bad-id").await;
    assert_eq!(res.text(), "data: first\n\n");
    let error = res.body_error().expect("the stream's error").to_string();
    assert!(error.contains("single line"), "{error}");
}

/// Over the real server, each event reaches the client when it is sent:
/// the client reads the first before the handler's stream has the second.
#[tokio::test]
async fn each_event_is_sent_as_it_comes() {
    let (tx, rx) = mpsc::unbounded_channel::<&'static str>();
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(Some(rx)));
    let app = App::new().get("/live", move || {
        let rx = rx.clone();
        async move {
            let rx = rx.lock().await.take().unwrap();
            let events = tokio_stream_of(rx).map(Event::data);
            Sse::new(events)
        }
    });
    let server = start(app).await;
    let mut conn = connect(server.addr).await;
    conn.write_all(b"GET /live HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();

    tx.send("one").unwrap();
    let head_and_first = read_until(&mut conn, "data: one\n\n").await;
    assert!(
        head_and_first.starts_with("HTTP/1.1 200 OK\r\n"),
        "{head_and_first}"
    );
    assert!(
        head_and_first.contains("transfer-encoding: chunked\r\n"),
        "{head_and_first}"
    );
    assert!(!head_and_first.contains("two"), "{head_and_first}");

    tx.send("two").unwrap();
    read_until(&mut conn, "data: two\n\n").await;
    drop(tx);
    // The stream's end is the body's end: the last, empty chunk.
    let end = read_until(&mut conn, "0\r\n\r\n").await;
    assert_eq!(end.trim_start_matches("\r\n"), "0\r\n\r\n");
    server.stop().await.unwrap();
}

/// The receiver as a stream.
fn tokio_stream_of<T: Send + 'static>(
    rx: mpsc::UnboundedReceiver<T>,
) -> impl futures_util::Stream<Item = T> + Send {
    stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

#[test]
fn the_document_lists_an_event_stream_response() {
    let service = App::new()
        .get("/items", items)
        .openapi(OpenApi::new())
        .build()
        .unwrap();
    let doc = service.openapi().unwrap();
    assert_eq!(
        doc["paths"]["/items"]["get"]["responses"]["200"]["content"],
        serde_json::json!({"text/event-stream": {}})
    );
}
