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

/// Sends a raw request and reads the response.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> String {
    stream.write_all(request).await.expect("write");
    read_response(stream).await
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
        let response = exchange(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
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
    let response = exchange(&mut stream, b"GET /panic HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    assert!(
        response.ends_with(r#"{"detail":"Internal Server Error"}"#),
        "{response}"
    );
    assert!(!response.contains("handler bug"));
    // Same connection, then a new one: both still served.
    assert!(exchange(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
    let mut other = TcpStream::connect(addr).await.expect("connect");
    assert!(exchange(&mut other, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
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
    assert!(exchange(
        &mut stream,
        b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .await
    .ends_with("queued"));
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

/// Starts `app` on a free port with `configure` applied to the server.
async fn start_with(
    app: App,
    configure: impl FnOnce(Server) -> Server,
) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let (tx, rx) = oneshot::channel::<()>();
    let server = Server::bind("127.0.0.1:0").await.expect("bind a free port");
    let server = configure(server).with_shutdown_signal(async {
        let _ = rx.await;
    });
    let addr = server.local_addr();
    tokio::spawn(server.serve(app));
    (addr, tx)
}

async fn read_to_end(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_body_that_stalls_is_answered_with_408() {
    let app = App::new().post(
        "/",
        |body: bytes::Bytes| async move { body.len().to_string() },
    );
    let (addr, _stop) = start_with(app, |s| {
        s.body_idle_timeout(Some(Duration::from_millis(200)))
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let response = exchange(
        &mut stream,
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n12",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        response.ends_with(r#"{"detail":"Request Timeout"}"#),
        "{response}"
    );
}

#[tokio::test]
async fn a_slow_but_steady_body_is_not_cut_off() {
    let app = App::new().post(
        "/",
        |body: bytes::Bytes| async move { body.len().to_string() },
    );
    let (addr, _stop) = start_with(app, |s| {
        s.body_idle_timeout(Some(Duration::from_millis(300)))
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\n")
        .await
        .expect("write");
    for byte in [b"a", b"b", b"c", b"d"] {
        tokio::time::sleep(Duration::from_millis(150)).await;
        stream.write_all(byte).await.expect("write");
    }
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("\r\n\r\n4"), "{response}");
}

#[tokio::test]
async fn a_head_that_never_ends_is_cut_off() {
    let (addr, _stop) = start_with(app(), |s| {
        s.header_read_timeout(Some(Duration::from_millis(200)))
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let response = read_to_end(&mut stream).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "closed by the server, not by the test"
    );
    assert!(!response.contains("200 OK"), "{response}");
}

#[tokio::test]
async fn too_many_headers_are_refused_with_431() {
    let (addr, _stop) = start_with(app(), |s| s.max_headers(10)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = String::from("GET / HTTP/1.1\r\nhost: x\r\n");
    for i in 0..20 {
        request.push_str(&format!("x-h{i}: v\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let response = read_to_end(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
}

#[tokio::test]
async fn a_huge_head_is_refused_with_431() {
    let (addr, _stop) = start_with(app(), |s| s.max_header_bytes(8 * 1024)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let _ = stream.write_all(request.as_bytes()).await;
    let response = read_to_end(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
}

#[tokio::test]
async fn connections_over_the_limit_get_a_clear_503() {
    let (addr, _stop) = start_with(app(), |s| s.max_connections(1)).await;
    let mut first = TcpStream::connect(addr).await.expect("connect");
    assert!(exchange(&mut first, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
    let mut second = TcpStream::connect(addr).await.expect("connect");
    let refused = read_to_end(&mut second).await;
    assert!(
        refused.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{refused}"
    );
    assert!(refused.contains("retry-after: 1"), "{refused}");
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(addr).await.expect("connect");
    third
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    assert!(
        read_response(&mut third).await.ends_with("hello"),
        "a slot is free again"
    );
}

#[tokio::test]
async fn a_client_that_hangs_up_cancels_the_handler() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    struct Guard(Arc<AtomicBool>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let (d, f) = (dropped.clone(), finished.clone());
    let app = App::new().get("/slow", move || {
        let guard = Guard(d.clone());
        let finished = f.clone();
        async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3)).await;
            finished.store(true, Ordering::SeqCst);
            "done"
        }
    });
    let (addr, _stop) = start_with(app, |s| s).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stream);
    for _ in 0..20 {
        if dropped.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        dropped.load(Ordering::SeqCst),
        "the handler's work was cancelled"
    );
    assert!(!finished.load(Ordering::SeqCst));
}

#[tokio::test]
async fn background_tasks_run_when_the_client_hangs_up_mid_stream() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let app = App::new().get("/stream", move |tasks: sluice::BackgroundTasks| {
        let flag = flag.clone();
        async move {
            tasks.add(async move { flag.store(true, Ordering::SeqCst) });
            let ticks = futures_util::stream::unfold(0u64, |n| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from(format!("tick {n}\n"))),
                    n + 1,
                ))
            });
            sluice::Body::from_stream(ticks)
        }
    });
    let (addr, _stop) = start_with(app, |s| s).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    let mut first = [0u8; 256];
    let n = stream.read(&mut first).await.expect("read");
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    drop(stream);
    for _ in 0..40 {
        if ran.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        ran.load(Ordering::SeqCst),
        "the background task ran although the client left"
    );
}

/// Reads one response; `Ok(None)` when the connection closed before any
/// byte of it arrived, `Err` for a response cut off in the middle.
async fn try_read_response(stream: &mut TcpStream) -> Result<Option<String>, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            Err(_) if buf.is_empty() => return Ok(None),
            Err(e) => return Err(format!("read failed mid-response: {e}")),
        };
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(format!("cut off: {:?}", String::from_utf8_lossy(&buf)))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Ok(Some(text));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_answers_every_request_it_started() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let started = Arc::new(AtomicUsize::new(0));
    let background = Arc::new(AtomicUsize::new(0));
    let (s, b) = (started.clone(), background.clone());
    let app = App::new().get("/work", move |tasks: sluice::BackgroundTasks| {
        let n = s.fetch_add(1, Ordering::SeqCst);
        let b = b.clone();
        async move {
            tasks.add(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                b.fetch_add(1, Ordering::SeqCst);
            });
            tokio::time::sleep(Duration::from_millis(1 + (n % 20) as u64)).await;
            "done"
        }
    });
    let (tx, rx) = oneshot::channel::<()>();
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .grace_period(Duration::from_secs(10))
        .with_shutdown_signal(async {
            let _ = rx.await;
        });
    let addr = server.local_addr();
    let server = tokio::spawn(server.serve(app));

    let answered = Arc::new(AtomicUsize::new(0));
    let unanswered = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (answered, unanswered) = (answered.clone(), unanswered.clone());
        clients.push(tokio::spawn(async move {
            let mut broken = Vec::new();
            // Keep sending through the shutdown, until the server refuses
            // new connections.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            'connections: while tokio::time::Instant::now() < deadline {
                let Ok(mut stream) = TcpStream::connect(addr).await else {
                    break;
                };
                loop {
                    if stream
                        .write_all(b"GET /work HTTP/1.1\r\nhost: x\r\n\r\n")
                        .await
                        .is_err()
                    {
                        unanswered.fetch_add(1, Ordering::SeqCst);
                        continue 'connections;
                    }
                    match try_read_response(&mut stream).await {
                        Ok(Some(response)) => {
                            assert!(response.starts_with("HTTP/1.1 200"), "{response}");
                            assert!(response.ends_with("done"), "{response}");
                            answered.fetch_add(1, Ordering::SeqCst);
                            if response.contains("connection: close") {
                                continue 'connections;
                            }
                        }
                        // Closed before the server read it: never started.
                        Ok(None) => {
                            unanswered.fetch_add(1, Ordering::SeqCst);
                            continue 'connections;
                        }
                        Err(cut) => broken.push(cut),
                    }
                }
            }
            broken
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    tx.send(()).expect("server running");
    let result = tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("the server stops within its grace period")
        .expect("joined");
    assert!(result.is_ok(), "{result:?}");
    for client in clients {
        let broken = client.await.expect("client");
        assert!(broken.is_empty(), "responses cut off: {broken:?}");
    }
    let started = started.load(Ordering::SeqCst);
    let answered = answered.load(Ordering::SeqCst);
    assert!(started > 50, "the load was real: {started} requests");
    assert_eq!(
        answered, started,
        "every request the server started was answered"
    );
    assert_eq!(
        background.load(Ordering::SeqCst),
        started,
        "every background task ran before the server returned"
    );
    eprintln!(
        "shutdown under load: {started} started, {answered} answered, {} closed before the server read them",
        unanswered.load(Ordering::SeqCst)
    );
}

fn watchdog_app() -> App {
    App::new()
        .get("/", || async { "hello" })
        .get("/slow", || async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "slow done"
        })
        .get("/stream", || async {
            let ticks = futures_util::stream::unfold(0u8, |n| async move {
                if n == 6 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'a' + n])),
                    n + 1,
                ))
            });
            sluice::Body::from_stream(ticks)
        })
}

#[tokio::test]
async fn headers_trickled_slowly_are_cut_off_at_the_timeout() {
    let (addr, _stop) = start_with(watchdog_app(), |s| {
        s.header_read_timeout(Some(Duration::from_millis(300)))
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\n")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let mut cut_off = false;
    for i in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream
            .write_all(format!("x-slow-{i}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            cut_off = true;
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
        {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "the connection was closed");
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "closed {took:?} after the first line"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_timeout() {
    let (addr, _stop) = start_with(watchdog_app(), |s| {
        s.header_read_timeout(Some(Duration::from_millis(200)))
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    assert!(exchange(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
    let started = std::time::Instant::now();
    let rest = read_to_end(&mut stream).await;
    assert!(rest.is_empty(), "{rest}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_secs(2),
        "closed after {took:?}"
    );
}

#[tokio::test]
async fn a_slow_handler_and_a_slow_stream_outlast_the_header_timeout() {
    let (addr, _stop) = start_with(watchdog_app(), |s| {
        s.header_read_timeout(Some(Duration::from_millis(150)))
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    assert!(
        exchange(&mut stream, b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .ends_with("slow done")
    );
    stream
        .write_all(b"GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    let response = read_to_end(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    for chunk in ["a", "b", "c", "d", "e", "f"] {
        assert!(
            response.contains(&format!("\r\n1\r\n{chunk}\r\n")),
            "{response}"
        );
    }
}

#[tokio::test]
async fn an_http2_stream_outlasts_the_header_timeout() {
    let (addr, _stop) = start_with(watchdog_app(), |s| {
        s.header_read_timeout(Some(Duration::from_millis(150)))
    })
    .await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    for path in ["/slow", "/stream"] {
        let request = http::Request::get(format!("http://{addr}{path}"))
            .body(Empty::<Bytes>::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        assert_eq!(response.status(), 200);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        assert!(body == "slow done" || body == "abcdef", "{body:?}");
    }
}
