//! The real server over loopback sockets: keep-alive, HTTP/2, panics,
//! graceful shutdown, and a taken address.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use sluice::{App, ServeError, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

fn app() -> App {
    App::new()
        .get("/", || async { "hello" })
        .get("/panic", || async {
            if true {
                panic!("handler bug")
            }
            "never"
        })
        .get("/slow", || async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "slow done"
        })
}

/// Starts `app` on a free port; returns its address, a shutdown trigger and
/// the server task.
async fn start(
    app: App,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), ServeError>>,
) {
    let (tx, rx) = oneshot::channel::<()>();
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("bind a free port")
        .with_shutdown_signal(async {
            let _ = rx.await;
        })
        .grace_period(Duration::from_secs(5));
    let addr = server.local_addr();
    let task = tokio::spawn(server.serve(app));
    (addr, tx, task)
}

/// Reads one HTTP/1.1 response with a content-length body.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "connection closed early: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let (addr, stop, task) = start(app()).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    for _ in 0..3 {
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("write");
        let response = read_response(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nhello"), "{response}");
    }
    stop.send(()).expect("server running");
    task.await.expect("joined").expect("clean exit");
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let (addr, stop, task) = start(app()).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    let request = http::Request::get(format!("http://{addr}/"))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(body, "hello");
    drop(sender);
    stop.send(()).expect("server running");
    task.await.expect("joined").expect("clean exit");
}

#[tokio::test]
async fn a_panicking_handler_does_not_take_the_server_down() {
    let (addr, stop, task) = start(app()).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /panic HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    assert!(
        response.ends_with(r#"{"detail":"Internal Server Error"}"#),
        "{response}"
    );
    assert!(!response.contains("handler bug"));
    // Same connection, then a new one: both still served.
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    assert!(read_response(&mut stream).await.ends_with("hello"));
    let mut other = TcpStream::connect(addr).await.expect("connect");
    other
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    assert!(read_response(&mut other).await.ends_with("hello"));
    stop.send(()).expect("server running");
    task.await.expect("joined").expect("clean exit");
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight_and_refuses_new_ones() {
    let (addr, stop, task) = start(app()).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).expect("server running");
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("slow done"), "{response}");
    task.await.expect("joined").expect("clean exit");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn shutdown_waits_for_background_tasks() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let app = App::new().get("/", move |tasks: sluice::BackgroundTasks| {
        let flag = flag.clone();
        async move {
            tasks.add(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                flag.store(true, Ordering::SeqCst);
            });
            "queued"
        }
    });
    let (addr, stop, task) = start(app).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    assert!(read_response(&mut stream).await.ends_with("queued"));
    stop.send(()).expect("server running");
    task.await.expect("joined").expect("clean exit");
    assert!(
        done.load(Ordering::SeqCst),
        "the background task ran before the server returned"
    );
}

#[tokio::test]
async fn a_taken_address_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let err = Server::bind(addr).await.expect_err("the port is taken");
    assert!(matches!(err, ServeError::Bind { .. }));
    assert_eq!(
        err.to_string(),
        format!("cannot listen on {addr}: the address is already in use")
    );
}

#[tokio::test]
async fn an_invalid_app_is_reported_before_serving() {
    let server = Server::bind("127.0.0.1:0").await.expect("bind");
    let app = App::new()
        .get("/a", || async { "" })
        .get("/a", || async { "" });
    let err = server.serve(app).await.expect_err("duplicate route");
    assert!(matches!(err, ServeError::Config(_)), "{err}");
}
