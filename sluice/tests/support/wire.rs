//! The real server on a free loopback port, spoken to with raw HTTP/1.1
//! bytes, and waiting on it.
//!
//! No test sleeps to let something happen. A test waits for a signal (the
//! handler sends on a channel when it starts, a background task when it
//! ran), or, where the thing waited on is inside the server and cannot
//! signal (a listener closed, a connection slot freed), polls for it. Every
//! wait has the same generous [`DEADLINE`] and fails with what it was
//! waiting for, so a loaded machine makes a test slower, not red.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use sluice::{App, ServeError, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long any wait may take before the test fails: far beyond what a
/// loaded 2-core machine needs, short enough that a hang is reported.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often a condition that cannot signal is checked again.
const POLL: Duration = Duration::from_millis(10);

/// Awaits `future`, failing the test if it takes longer than [`DEADLINE`].
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(DEADLINE, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: still waiting after {DEADLINE:?}"),
    }
}

/// Checks `condition` until it holds, failing the test after [`DEADLINE`].
/// Only for what cannot signal when it happens.
pub async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    within(what, async {
        while !condition().await {
            tokio::time::sleep(POLL).await;
        }
    })
    .await;
}

/// A server started by [`start`]; it shuts down when this is dropped.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Running {
    /// Starts the graceful shutdown and returns at once.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).expect("the server is running");
        }
    }

    /// Whether `serve` has returned.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for `serve` to return (after [`Running::begin_shutdown`]).
    pub async fn finished(self) -> Result<(), ServeError> {
        within("the server returns", self.task)
            .await
            .expect("the server task did not panic")
    }

    /// Shuts the server down and waits for `serve` to return.
    pub async fn stop(mut self) -> Result<(), ServeError> {
        self.begin_shutdown();
        self.finished().await
    }

    /// Waits until the listener is closed, which is the first thing a
    /// graceful shutdown does: from then on the server is shutting down.
    pub async fn until_listener_closed(&self) {
        let addr = self.addr;
        eventually("the listener closes", || async move {
            TcpStream::connect(addr).await.is_err()
        })
        .await;
    }
}

/// Starts `app` on a free port, with a grace period of [`DEADLINE`].
pub async fn start(app: App) -> Running {
    start_with(app, |server| server).await
}

/// Starts `app` on a free port with `configure` applied to the server.
pub async fn start_with(app: App, configure: impl FnOnce(Server) -> Server) -> Running {
    let (stop, stopped) = oneshot::channel::<()>();
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("bind a free port")
        .grace_period(DEADLINE);
    let server = configure(server).with_shutdown_signal(async {
        let _ = stopped.await;
    });
    let addr = server.local_addr();
    let task = tokio::spawn(server.serve(app));
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Opens a connection to the server.
pub async fn connect(addr: SocketAddr) -> TcpStream {
    within("connect", TcpStream::connect(addr))
        .await
        .expect("connect")
}

/// Sends raw request bytes and reads the response.
pub async fn exchange(stream: &mut TcpStream, request: &[u8]) -> String {
    stream.write_all(request).await.expect("write");
    read_response(stream).await
}

/// Reads one response with a `content-length` body (or none), failing the
/// test if the connection closes first.
pub async fn read_response(stream: &mut TcpStream) -> String {
    match within("a response", try_read_response(stream)).await {
        Ok(Some(response)) => response,
        Ok(None) => panic!("connection closed before a response"),
        Err(cut) => panic!("connection closed early: {cut}"),
    }
}

/// Reads one response; `Ok(None)` when the connection closed before any
/// byte of it arrived, `Err` for a response cut off in the middle.
pub async fn try_read_response(stream: &mut TcpStream) -> Result<Option<String>, String> {
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

/// Reads until the server closes the connection (a reset counts as
/// closed), failing the test if it does not within [`DEADLINE`].
pub async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = within(
        "the server closes the connection",
        stream.read_to_end(&mut buf),
    )
    .await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// Reads from `stream` until what was read holds `needle`, failing the
/// test if the connection closes first or [`DEADLINE`] passes: for a
/// streamed body, read piece by piece as the server sends it.
pub async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut read = Vec::new();
    within(needle, async {
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&read).contains(needle) {
            let n = stream.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed before {needle:?}: {}",
                String::from_utf8_lossy(&read)
            );
            read.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    String::from_utf8(read).expect("UTF-8")
}

/// Sends `request` (raw bytes, which should ask for `connection: close`)
/// on a fresh connection and reads the whole response.
pub async fn request_once(addr: SocketAddr, request: &str) -> String {
    let mut stream = connect(addr).await;
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write the request");
    read_until_closed(&mut stream).await
}

/// The status code of a raw response.
pub fn status_of(response: &str) -> u16 {
    response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"))
}

/// The first value of header `name` (lowercase, as the server writes it)
/// in a raw response's head.
pub fn header_of<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or(response);
    head.lines().find_map(|line| {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(": "))
    })
}
