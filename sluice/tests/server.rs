//! The real server over loopback sockets: keep-alive, HTTP/2, panics,
//! graceful shutdown, timeouts and limits, and a taken address.
//!
//! No test sleeps to let something happen (see `support::wire`): handlers
//! and background tasks signal on channels, and a state of the server that
//! cannot signal is polled with a generous deadline. Where a test needs
//! real time to pass (a timeout it checks), it measures the time that did
//! pass, so that a loaded machine cannot make it pass or fail wrongly.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use sluice::{App, ServeError, Server};
use support::wire::{
    connect, eventually, exchange, read_response, read_until_closed, start, start_with,
    try_read_response, within,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};

fn app() -> App {
    App::new()
        .get("/", || async { "hello" })
        .get("/panic", || async {
            if true {
                panic!("handler bug")
            }
            "never"
        })
}

/// A handler that says when it has started, then waits until the test
/// lets it finish.
#[derive(Clone, Default)]
struct Gate {
    started: Arc<Notify>,
    release: Arc<Notify>,
}

impl Gate {
    /// Routes `path` to a handler that waits at this gate, then answers
    /// `answer`.
    fn route(&self, app: App, path: &str, answer: &'static str) -> App {
        let gate = self.clone();
        app.get(path, move || {
            let gate = gate.clone();
            async move {
                gate.started.notify_one();
                gate.release.notified().await;
                answer
            }
        })
    }

    async fn until_started(&self) {
        within("the handler starts", self.started.notified()).await;
    }

    fn release(&self) {
        self.release.notify_one();
    }
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let server = start(app()).await;
    let mut stream = connect(server.addr).await;
    for _ in 0..3 {
        let response = exchange(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nhello"), "{response}");
    }
    server.stop().await.expect("clean exit");
}

/// `GET /` over HTTP/2 (prior knowledge) on `stream`: `hello`.
async fn get_hello_over_http2<S>(stream: S, addr: std::net::SocketAddr)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
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
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let server = start(app()).await;
    let stream = connect(server.addr).await;
    get_hello_over_http2(stream, server.addr).await;
    server.stop().await.expect("clean exit");
}

/// A client stream whose first write sends only the first `head` bytes,
/// and whose next write waits `PAUSE`: the server sees the start of the
/// connection before the rest.
struct SlowStart {
    io: TcpStream,
    head: usize,
    started: bool,
    pause: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

/// [`SlowStart`]'s pause: the server looks at a new connection's first
/// bytes at once, so this is ample. Were the machine so slow that the
/// server saw both parts together, the connection would take the common
/// path, and the test would still check that it is served right.
const PAUSE: Duration = Duration::from_millis(100);

impl SlowStart {
    fn new(io: TcpStream, head: usize) -> Self {
        SlowStart {
            io,
            head,
            started: false,
            pause: None,
        }
    }
}

impl tokio::io::AsyncRead for SlowStart {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for SlowStart {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if !this.started {
            let head = this.head.min(buf.len());
            let written =
                std::task::ready!(std::pin::Pin::new(&mut this.io).poll_write(cx, &buf[..head]))?;
            this.started = true;
            this.pause = Some(Box::pin(tokio::time::sleep(PAUSE)));
            return std::task::Poll::Ready(Ok(written));
        }
        if let Some(pause) = &mut this.pause {
            std::task::ready!(std::future::Future::poll(pause.as_mut(), cx));
            this.pause = None;
        }
        std::pin::Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn http2_whose_preface_comes_in_parts_is_served() {
    // The first five bytes begin both HTTP/2's preface and no HTTP/1
    // request the server could tell apart from it yet.
    let server = start(app()).await;
    let stream = SlowStart::new(connect(server.addr).await, 5);
    get_hello_over_http2(stream, server.addr).await;
    server.stop().await.expect("clean exit");
}

#[tokio::test]
async fn http1_that_starts_like_the_http2_preface_is_served() {
    // `P` begins the preface and `PUT`: the server learns which only from
    // the second byte.
    let server = start(app()).await;
    let mut stream = SlowStart::new(connect(server.addr).await, 1);
    stream
        .write_all(b"PUT / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
        .await
        .expect("write");
    let mut response = Vec::new();
    let mut buf = [0; 1024];
    within("a response", async {
        while !response.ends_with(b"}") {
            let n = stream.io.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed early: {}",
                String::from_utf8_lossy(&response)
            );
            response.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{response}"
    );
    assert!(
        response.ends_with("{\"detail\":\"Method Not Allowed\"}"),
        "{response}"
    );
    server.stop().await.expect("clean exit");
}

#[tokio::test]
async fn a_panicking_handler_does_not_take_the_server_down() {
    let server = start(app()).await;
    let mut stream = connect(server.addr).await;
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
    let mut other = connect(server.addr).await;
    assert!(exchange(&mut other, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
    server.stop().await.expect("clean exit");
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight_and_refuses_new_ones() {
    let gate = Gate::default();
    let mut server = start(gate.route(app(), "/slow", "slow done")).await;
    let addr = server.addr;
    let mut stream = connect(addr).await;
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    gate.until_started().await;
    server.begin_shutdown();
    server.until_listener_closed().await;
    assert!(
        !server.is_finished(),
        "the server waits for the request in flight"
    );
    gate.release();
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("slow done"), "{response}");
    server.finished().await.expect("clean exit");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

/// A grace period far longer than any wait in these tests: a shutdown
/// that returns within [`support::wire::DEADLINE`] did not wait for it.
const LONG_GRACE: Duration = Duration::from_secs(3600);

/// Shutting down with an idle keep-alive connection open: the connection
/// is closed at once and the server returns without waiting out the grace
/// period, with or without the header-read timeout.
async fn idle_http1_connection_is_closed_at_shutdown(header_timeout: Option<Duration>) {
    let mut server = start_with(app(), |server| {
        server
            .grace_period(LONG_GRACE)
            .header_read_timeout(header_timeout)
    })
    .await;
    let mut idle = connect(server.addr).await;
    assert!(exchange(&mut idle, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
    server.begin_shutdown();
    assert_eq!(
        read_until_closed(&mut idle).await,
        "",
        "closed, nothing sent"
    );
    server.finished().await.expect("clean exit");
}

#[tokio::test]
async fn an_idle_connection_does_not_hold_up_shutdown() {
    idle_http1_connection_is_closed_at_shutdown(Some(Duration::from_secs(30))).await;
}

#[tokio::test]
async fn an_idle_connection_does_not_hold_up_shutdown_without_a_header_timeout() {
    idle_http1_connection_is_closed_at_shutdown(None).await;
}

#[tokio::test]
async fn a_connection_that_never_sends_does_not_hold_up_shutdown() {
    let mut server = start_with(app(), |server| server.grace_period(LONG_GRACE)).await;
    let mut silent = connect(server.addr).await;
    // The server has accepted it once it answers another connection.
    let mut other = connect(server.addr).await;
    assert!(exchange(
        &mut other,
        b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .await
    .ends_with("hello"));
    server.begin_shutdown();
    assert_eq!(
        read_until_closed(&mut silent).await,
        "",
        "closed, nothing sent"
    );
    server.finished().await.expect("clean exit");
}

#[tokio::test]
async fn an_idle_http2_connection_is_sent_goaway_at_shutdown() {
    let mut server = start_with(app(), |server| server.grace_period(LONG_GRACE)).await;
    let stream = connect(server.addr).await;
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    let conn = tokio::spawn(conn);
    let request = http::Request::get(format!("http://{}/", server.addr))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.status(), 200);
    server.begin_shutdown();
    within("the client sees the connection end", conn)
        .await
        .expect("the client task did not panic")
        .expect("a clean end (GOAWAY), not an error");
    server.finished().await.expect("clean exit");
}

#[tokio::test]
async fn shutdown_waits_for_background_tasks() {
    let release = Arc::new(Notify::new());
    let done = Arc::new(AtomicBool::new(false));
    let (r, flag) = (release.clone(), done.clone());
    let app = App::new().get("/", move |tasks: sluice::BackgroundTasks| {
        let (release, flag) = (r.clone(), flag.clone());
        async move {
            tasks.add(async move {
                release.notified().await;
                flag.store(true, Ordering::SeqCst);
            });
            "queued"
        }
    });
    let mut server = start(app).await;
    let mut stream = connect(server.addr).await;
    assert!(exchange(
        &mut stream,
        b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .await
    .ends_with("queued"));
    server.begin_shutdown();
    server.until_listener_closed().await;
    assert!(
        !server.is_finished(),
        "the server waits for the background task"
    );
    release.notify_one();
    server.finished().await.expect("clean exit");
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

#[tokio::test]
async fn serve_reports_an_invalid_app_before_it_listens() {
    // The address is taken: had `serve` bound it first, the error would be
    // the address's. The app is built first, so that nothing says it
    // listens for an app that cannot serve.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let app = App::new()
        .get("/a", || async { "" })
        .get("/a", || async { "" });
    let err = sluice::serve(app, addr).await.expect_err("duplicate route");
    assert!(matches!(err, ServeError::Config(_)), "{err}");
}

fn body_length_app() -> App {
    App::new().post(
        "/",
        |body: bytes::Bytes| async move { body.len().to_string() },
    )
}

#[tokio::test]
async fn a_body_that_stalls_is_answered_with_408() {
    let server = start_with(body_length_app(), |s| {
        s.body_idle_timeout(Some(Duration::from_millis(200)))
    })
    .await;
    let mut stream = connect(server.addr).await;
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

/// Runs `attempt` until one is fair (it returns `Some`), up to 5 times.
/// For tests of timeouts: an attempt in which the load on the machine
/// stretched a pause past the timeout proves nothing either way.
async fn fair_attempt<F, Fut>(what: &str, mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut unfair = Vec::new();
    for _ in 0..5 {
        match attempt().await {
            Ok(()) => return,
            Err(why) => {
                eprintln!("{what}: attempt not fair ({why}), trying again");
                unfair.push(why);
            }
        }
    }
    panic!("{what}: no fair attempt in 5: {unfair:?}");
}

#[tokio::test]
async fn a_slow_but_steady_body_is_not_cut_off() {
    // Each byte comes well within the idle timeout, the whole body takes
    // longer than it: the timer restarts with every byte.
    const IDLE: Duration = Duration::from_millis(1000);
    const PAUSE: Duration = Duration::from_millis(300);
    let server = start_with(body_length_app(), |s| s.body_idle_timeout(Some(IDLE))).await;
    fair_attempt("a slow body", || async {
        let mut stream = connect(server.addr).await;
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\n")
            .await
            .expect("write");
        let started = Instant::now();
        let mut longest = Duration::ZERO;
        let mut last = Instant::now();
        for byte in [b"a", b"b", b"c", b"d"] {
            tokio::time::sleep(PAUSE).await;
            stream.write_all(byte).await.expect("write");
            longest = longest.max(last.elapsed());
            last = Instant::now();
        }
        let took = started.elapsed();
        let response = read_response(&mut stream).await;
        if longest >= IDLE - Duration::from_millis(200) {
            return Err(format!(
                "a pause of {longest:?} against a timeout of {IDLE:?}"
            ));
        }
        assert!(took > IDLE, "the body took longer than the timeout");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("\r\n\r\n4"), "{response}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_head_that_never_ends_is_cut_off() {
    let server = start_with(app(), |s| {
        s.header_read_timeout(Some(Duration::from_millis(200)))
    })
    .await;
    let mut stream = connect(server.addr).await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("write");
    // Closed by the server: the test's own deadline would fail it.
    let response = read_until_closed(&mut stream).await;
    assert!(!response.contains("200 OK"), "{response}");
}

#[tokio::test]
async fn too_many_headers_are_refused_with_431() {
    let server = start_with(app(), |s| s.max_headers(10)).await;
    let mut stream = connect(server.addr).await;
    let mut request = String::from("GET / HTTP/1.1\r\nhost: x\r\n");
    for i in 0..20 {
        request.push_str(&format!("x-h{i}: v\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let response = read_until_closed(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
}

#[tokio::test]
async fn a_huge_head_is_refused_with_431() {
    let server = start_with(app(), |s| s.max_header_bytes(8 * 1024)).await;
    let mut stream = connect(server.addr).await;
    let request = format!(
        "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let _ = stream.write_all(request.as_bytes()).await;
    let response = read_until_closed(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
}

#[tokio::test]
async fn connections_over_the_limit_get_a_clear_503() {
    let server = start_with(app(), |s| s.max_connections(1)).await;
    let addr = server.addr;
    let mut first = connect(addr).await;
    assert!(exchange(&mut first, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
    let mut second = connect(addr).await;
    let refused = read_until_closed(&mut second).await;
    assert!(
        refused.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{refused}"
    );
    assert!(refused.contains("retry-after: 1"), "{refused}");
    drop(first);
    // The slot comes back when the server has seen the hang-up, which it
    // does not signal: ask until a connection is served.
    eventually("a slot is free again", || async move {
        let mut third = connect(addr).await;
        if third
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .is_err()
        {
            return false;
        }
        matches!(try_read_response(&mut third).await, Ok(Some(r)) if r.ends_with("hello"))
    })
    .await;
}

#[tokio::test]
async fn a_client_that_hangs_up_cancels_the_handler() {
    /// Says when the handler's future is dropped.
    struct Guard(mpsc::UnboundedSender<&'static str>);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.send("dropped");
        }
    }
    let (events, mut seen) = mpsc::unbounded_channel();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let app = App::new().get("/slow", move || {
        let guard = Guard(events.clone());
        let finished = f.clone();
        async move {
            let _ = guard.0.send("started");
            // Work that only ends when the client is gone.
            std::future::pending::<()>().await;
            finished.store(true, Ordering::SeqCst);
            drop(guard);
            "done"
        }
    });
    let server = start(app).await;
    let mut stream = connect(server.addr).await;
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    assert_eq!(
        within("the handler starts", seen.recv()).await,
        Some("started")
    );
    drop(stream);
    assert_eq!(
        within("the handler's work is cancelled", seen.recv()).await,
        Some("dropped")
    );
    assert!(!finished.load(Ordering::SeqCst));
}

#[tokio::test]
async fn background_tasks_run_when_the_client_hangs_up_mid_stream() {
    let (ran, mut task_ran) = mpsc::unbounded_channel::<()>();
    let app = App::new().get("/stream", move |tasks: sluice::BackgroundTasks| {
        let ran = ran.clone();
        async move {
            tasks.add(async move {
                let _ = ran.send(());
            });
            // An endless stream, a chunk every 20 ms: the hang-up shows
            // when the next chunk cannot be written.
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
    let server = start(app).await;
    let mut stream = connect(server.addr).await;
    stream
        .write_all(b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    let mut first = [0u8; 256];
    let n = within("the response starts", stream.read(&mut first))
        .await
        .expect("read");
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    drop(stream);
    assert_eq!(
        within(
            "the background task runs although the client left",
            task_ran.recv()
        )
        .await,
        Some(())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_answers_every_request_it_started() {
    /// Requests started before the shutdown begins: enough that some are
    /// in flight when it does.
    const LOAD: usize = 64;

    let started = Arc::new(AtomicUsize::new(0));
    let background = Arc::new(AtomicUsize::new(0));
    let loaded = Arc::new(Notify::new());
    let (s, b, l) = (started.clone(), background.clone(), loaded.clone());
    let app = App::new().get("/work", move |tasks: sluice::BackgroundTasks| {
        let n = s.fetch_add(1, Ordering::SeqCst);
        if n + 1 == LOAD {
            l.notify_one();
        }
        let b = b.clone();
        async move {
            // Handlers and tasks of varied length, so that the shutdown
            // finds some of each still running.
            tasks.add(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                b.fetch_add(1, Ordering::SeqCst);
            });
            tokio::time::sleep(Duration::from_millis(1 + (n % 20) as u64)).await;
            "done"
        }
    });
    let mut server = start(app).await;
    let addr = server.addr;

    let answered = Arc::new(AtomicUsize::new(0));
    let unanswered = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (answered, unanswered) = (answered.clone(), unanswered.clone());
        clients.push(tokio::spawn(async move {
            let mut broken = Vec::new();
            // Keep sending through the shutdown, until the server refuses
            // new connections.
            'connections: loop {
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
    within("the load builds up", loaded.notified()).await;
    server.begin_shutdown();
    let result = server.finished().await;
    assert!(result.is_ok(), "{result:?}");
    for client in clients {
        let broken = within("a client sees the server gone", client)
            .await
            .expect("client");
        assert!(broken.is_empty(), "responses cut off: {broken:?}");
    }
    let started = started.load(Ordering::SeqCst);
    let answered = answered.load(Ordering::SeqCst);
    assert!(started >= LOAD, "the load was real: {started} requests");
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

/// The header-read timeout of the watchdog tests: long enough that the
/// test's own pauses on a loaded machine stay well within it.
const WATCHDOG: Duration = Duration::from_millis(1000);

fn watchdog_app() -> App {
    // A handler and a stream slower than `WATCHDOG`: being slow is their
    // job here.
    App::new()
        .get("/", || async { "hello" })
        .get("/slow", || async {
            tokio::time::sleep(WATCHDOG * 3 / 2).await;
            "slow done"
        })
        .get("/stream", || async {
            let ticks = futures_util::stream::unfold(0u8, |n| async move {
                if n == 6 {
                    return None;
                }
                tokio::time::sleep(WATCHDOG / 4).await;
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
    // A line comes far more often than the timeout: only a timeout on the
    // whole head, not one per read, can cut the connection off.
    const PAUSE: Duration = Duration::from_millis(100);
    let server = start_with(watchdog_app(), |s| s.header_read_timeout(Some(WATCHDOG))).await;
    fair_attempt("a trickled head", || async {
        let mut stream = connect(server.addr).await;
        stream
            .write_all(b"GET / HTTP/1.1\r\n")
            .await
            .expect("write");
        let mut longest = Duration::ZERO;
        let mut last = Instant::now();
        within("the server cuts the connection off", async {
            for i in 0.. {
                tokio::time::sleep(PAUSE).await;
                if stream
                    .write_all(format!("x-slow-{i}: 1\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
                longest = longest.max(last.elapsed());
                last = Instant::now();
                let mut probe = [0u8; 64];
                if let Ok(0) = stream.try_read(&mut probe) {
                    return;
                }
            }
        })
        .await;
        if longest >= WATCHDOG / 2 {
            return Err(format!(
                "a pause of {longest:?} against a timeout of {WATCHDOG:?}"
            ));
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_timeout() {
    let server = start_with(watchdog_app(), |s| s.header_read_timeout(Some(WATCHDOG))).await;
    let mut stream = connect(server.addr).await;
    // The connection is idle from when its response was sent, which is
    // after this; the watchdog's clock may run up to a sweep late.
    let sent = Instant::now();
    assert!(exchange(&mut stream, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .ends_with("hello"));
    let rest = read_until_closed(&mut stream).await;
    assert!(rest.is_empty(), "{rest}");
    let took = sent.elapsed();
    assert!(took >= WATCHDOG / 2, "closed after {took:?}");
}

#[tokio::test]
async fn a_connection_that_never_sends_is_closed_at_the_timeout() {
    let server = start_with(watchdog_app(), |s| s.header_read_timeout(Some(WATCHDOG))).await;
    let connected = Instant::now();
    let mut silent = connect(server.addr).await;
    let rest = read_until_closed(&mut silent).await;
    assert!(rest.is_empty(), "{rest}");
    let took = connected.elapsed();
    assert!(took >= WATCHDOG / 2, "closed after {took:?}");
}

#[tokio::test]
async fn a_slow_handler_and_a_slow_stream_outlast_the_header_timeout() {
    let server = start_with(watchdog_app(), |s| s.header_read_timeout(Some(WATCHDOG))).await;
    let mut stream = connect(server.addr).await;
    assert!(
        exchange(&mut stream, b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .ends_with("slow done")
    );
    stream
        .write_all(b"GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    let response = read_until_closed(&mut stream).await;
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
    let server = start_with(watchdog_app(), |s| s.header_read_timeout(Some(WATCHDOG))).await;
    let stream = connect(server.addr).await;
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    for path in ["/slow", "/stream"] {
        let request = http::Request::get(format!("http://{}{path}", server.addr))
            .body(Empty::<Bytes>::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        assert_eq!(response.status(), 200);
        let body = within("the body", response.into_body().collect())
            .await
            .expect("body")
            .to_bytes();
        assert!(body == "slow done" || body == "abcdef", "{body:?}");
    }
}
