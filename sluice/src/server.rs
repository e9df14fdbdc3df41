//! The server: hyper 1.x on tokio, HTTP/1.1 (keep-alive) and HTTP/2
//! (prior knowledge), with graceful shutdown.
//!
//! ```no_run
//! use sluice::{App, Server};
//!
//! # async fn doc() -> Result<(), sluice::ServeError> {
//! let app = App::new().get("/", || async { "hello" });
//! // Built first: a misconfigured app is reported before anything listens.
//! let service = app.build()?;
//! let server = Server::bind("127.0.0.1:8000").await?;
//! println!("listening on http://{}", server.local_addr());
//! server.serve_service(service).await?; // until SIGINT or SIGTERM
//! # Ok(()) }
//! ```
//!
//! On SIGINT or SIGTERM (or the future given to
//! [`Server::with_shutdown_signal`]) the server stops accepting connections,
//! lets requests in flight finish, closes idle keep-alive connections,
//! closes open WebSockets with 1001 (going away) and waits for their
//! handlers, runs the background tasks and cleanups still pending, then the
//! app's [`on_shutdown`](crate::App::on_shutdown) hooks, and returns, all
//! within [`Server::grace_period`].
//!
//! HTTP/1.1 connections can be upgraded: a WebSocket handshake's `101`
//! hands the connection to its [`WebSocket`](crate::websocket::WebSocket),
//! and the header-read timeout no longer applies to it.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::ReadBuf;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use crate::app::{App, AppService};
use crate::body::{Ending, OnEnd};
use crate::error::ConfigError;
use crate::request::ConnectionInfo;
use crate::watchdog::{InFlight, Watch, Watchdog, Watched};

/// Why the server could not start or stopped with an error.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound (already in use, not permitted, ...).
    Bind {
        /// The address asked for, as given.
        addr: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The app's configuration is invalid.
    Config(ConfigError),
    /// Another I/O failure.
    Io(std::io::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Bind { addr, source } if source.kind() == std::io::ErrorKind::AddrInUse => {
                write!(f, "cannot listen on {addr}: the address is already in use")
            }
            ServeError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            ServeError::Config(e) => write!(f, "invalid app configuration: {e}"),
            ServeError::Io(e) => write!(f, "server i/o error: {e}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Bind { source, .. } => Some(source),
            ServeError::Config(e) => Some(e),
            ServeError::Io(e) => Some(e),
        }
    }
}

impl From<ConfigError> for ServeError {
    fn from(e: ConfigError) -> Self {
        ServeError::Config(e)
    }
}

type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A bound listener and the server settings; [`Server::serve`] runs an app
/// on it.
#[must_use]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shutdown: Option<ShutdownSignal>,
    grace_period: Duration,
    header_read_timeout: Option<Duration>,
    body_idle_timeout: Option<Duration>,
    max_connections: usize,
    max_headers: usize,
    max_header_bytes: usize,
}

/// Sent to a client that connects while [`Server::max_connections`] are
/// open, before the connection is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 19\r\nretry-after: 1\r\nconnection: close\r\n\r\nService Unavailable";

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("grace_period", &self.grace_period)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_idle_timeout", &self.body_idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_headers", &self.max_headers)
            .field("max_header_bytes", &self.max_header_bytes)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `addr` (`"127.0.0.1:8000"`, `("0.0.0.0", 80)`, a
    /// `SocketAddr`; port 0 picks a free port).
    ///
    /// # Errors
    ///
    /// [`ServeError::Bind`] when the address is taken or not permitted.
    pub async fn bind<A: ToSocketAddrs + fmt::Debug>(addr: A) -> Result<Server, ServeError> {
        let shown = format!("{addr:?}").trim_matches('"').to_owned();
        match TcpListener::bind(addr).await {
            Ok(listener) => Server::from_listener(listener),
            Err(source) => Err(ServeError::Bind {
                addr: shown,
                source,
            }),
        }
    }

    /// Serves on a listener bound elsewhere.
    ///
    /// # Errors
    ///
    /// When the listener's address cannot be read.
    pub fn from_listener(listener: TcpListener) -> Result<Server, ServeError> {
        let local_addr = listener.local_addr().map_err(ServeError::Io)?;
        Ok(Server {
            listener,
            local_addr,
            shutdown: None,
            grace_period: Duration::from_secs(30),
            header_read_timeout: Some(Duration::from_secs(30)),
            body_idle_timeout: Some(Duration::from_secs(30)),
            max_connections: 10_000,
            max_headers: 100,
            max_header_bytes: 64 * 1024,
        })
    }

    /// The address the server listens on (with the real port when port 0
    /// was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Shuts down when `signal` completes, instead of on SIGINT/SIGTERM.
    pub fn with_shutdown_signal<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// How long shutdown waits for requests in flight, background tasks and
    /// cleanups before giving up on them (30 s by default).
    pub fn grace_period(mut self, period: Duration) -> Self {
        self.grace_period = period;
        self
    }

    /// How long a connection may keep the server waiting for a request
    /// head before it is closed (30 s by default; `None` to wait forever):
    /// a client sending its headers slowly (slowloris), or a keep-alive
    /// connection left idle after its last response. A slow handler or a
    /// long streamed response never counts. Checked a few times per
    /// timeout, so a connection is closed up to an eighth of it late, by a
    /// thread of the server's own (`sluice-watchdog`) that sleeps between
    /// checks and ends with the server.
    pub fn header_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long the client may send nothing while a handler reads the
    /// request body (30 s by default; `None` to wait forever). Reading the
    /// body then fails, and the client gets `408 {"detail":"Request Timeout"}`.
    pub fn body_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.body_idle_timeout = timeout;
        self
    }

    /// How many connections may be open at once (10,000 by default). A
    /// client connecting beyond that gets `503 Service Unavailable` with
    /// `retry-after: 1` and the connection is closed.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How many header lines a request may have (100 by default). More is
    /// answered with `431 Request Header Fields Too Large`.
    pub fn max_headers(mut self, max: usize) -> Self {
        self.max_headers = max;
        self
    }

    /// How large a request head (request line and headers) may be, in bytes
    /// (64 KiB by default, at least 8 KiB). Larger is answered with `431`.
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        self.max_header_bytes = max.max(8 * 1024);
        self
    }

    /// Builds `app` and serves it until the shutdown signal.
    ///
    /// # Errors
    ///
    /// [`ServeError::Config`] when the app's configuration is invalid.
    pub async fn serve(self, app: App) -> Result<(), ServeError> {
        let service = app.build()?;
        self.serve_service(service).await
    }

    /// Serves an already built app.
    ///
    /// # Errors
    ///
    /// Only on unrecoverable listener failures.
    pub async fn serve_service(self, service: AppService) -> Result<(), ServeError> {
        tracing::debug!(target: "sluice", addr = %self.local_addr, "serving\n{}", service.describe());
        // The header-read timeout is the watchdog's, not hyper's: hyper's
        // arms a timer and makes an extra read on every request. The
        // watchdog also carries the shutdown signal to every connection.
        let (watchdog, _sweeper) =
            Watchdog::new(self.header_read_timeout).map_err(ServeError::Io)?;
        let connections = TaskTracker::new();
        let protocols = Arc::new(Protocols::new(self.max_headers, self.max_header_bytes));
        let mut shutdown = self
            .shutdown
            .unwrap_or_else(|| Box::pin(termination_signal()));
        let local_addr = self.local_addr;
        let body_idle_timeout = self.body_idle_timeout;
        let slots = Arc::new(Semaphore::new(self.max_connections));
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, remote_addr) = match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            // Out of file descriptors and similar: wait a bit
                            // rather than spin.
                            tracing::warn!(target: "sluice", error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        tracing::warn!(target: "sluice", %remote_addr, "connection refused: max_connections reached");
                        tokio::spawn(refuse(stream));
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let conn_info = ConnectionInfo {
                        remote_addr: Some(remote_addr),
                        local_addr: Some(local_addr),
                        secure: false,
                    };
                    // The connection's own handle on the app: each request
                    // clones it, and a count written by every request on
                    // every core would travel between them.
                    let app = Arc::new(service.clone());
                    let handle = app.connection_handle();
                    let watch = watchdog.watch();
                    let conn_watch = watch.clone();
                    let hyper_service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
                        // Converted before the future is made, so that the
                        // future holds a pointer rather than the whole head.
                        let req =
                            app.request_from_hyper(req, conn_info, body_idle_timeout, &handle);
                        let app = app.clone();
                        let in_flight = conn_watch.request_started();
                        async move {
                            let response = app.handle(req).await;
                            if response.status() == http::StatusCode::SWITCHING_PROTOCOLS {
                                // A WebSocket from now on: never idle HTTP.
                                if let Some(in_flight) = &in_flight {
                                    in_flight.upgraded();
                                }
                            }
                            Ok::<_, Infallible>(match in_flight {
                                // Busy until the response has been sent. A
                                // small whole body goes out with the head,
                                // at once: no need to follow it.
                                Some(in_flight) if !is_small_whole_body(response.body()) => {
                                    response.map(|body| Ending::wrap(body, in_flight))
                                }
                                _ => response,
                            })
                        }
                    });
                    let protocols = protocols.clone();
                    connections.spawn(async move {
                        let io = Watched::new(stream, watch.clone());
                        let serving = Serving { watch: &watch, remote_addr };
                        match first_bytes(&io, &watch).await {
                            Ok(Some(Protocol::Http1)) => {
                                let conn = protocols
                                    .http1
                                    .serve_connection(TokioIo::new(io), hyper_service)
                                    .with_upgrades();
                                serving.until_closed(conn, |conn| conn.graceful_shutdown()).await;
                            }
                            Ok(Some(Protocol::Http2)) => {
                                let conn = protocols
                                    .http2
                                    .serve_connection(TokioIo::new(io), hyper_service);
                                serving.until_closed(conn, |conn| conn.graceful_shutdown()).await;
                            }
                            Ok(Some(Protocol::Unsure)) => {
                                let conn = protocols
                                    .auto
                                    .serve_connection_with_upgrades(
                                        TokioIo::new(io),
                                        hyper_service,
                                    );
                                serving.until_closed(conn, |conn| conn.graceful_shutdown()).await;
                            }
                            // Closed, or told to close, before a byte came.
                            Ok(None) => {}
                            Err(e) => {
                                tracing::debug!(
                                    target: "sluice", error = %e, %remote_addr,
                                    "connection ended before a request"
                                );
                            }
                        }
                        watch.http_ended();
                        drop(slot);
                    });
                }
                () = &mut shutdown => break,
            }
        }
        drop(self.listener);
        tracing::info!(target: "sluice", "shutting down: finishing requests in flight");
        let deadline = tokio::time::Instant::now() + self.grace_period;
        // Open WebSockets close with 1001 (going away); their handlers
        // finish within the grace period too.
        let sockets = service.shared().sockets();
        sockets.closing.cancel();
        sockets.tracker.close();
        watchdog.close_all();
        connections.close();
        if tokio::time::timeout_at(deadline, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(target: "sluice", open = connections.len(), "grace period over: connections still open were dropped");
        }
        if tokio::time::timeout_at(deadline, sockets.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(target: "sluice", open = sockets.tracker.len(), "grace period over: websocket handlers still running were abandoned");
        }
        let tracker = service.tracker();
        tracker.close();
        if tokio::time::timeout_at(deadline, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(target: "sluice", pending = tracker.len(), "grace period over: background tasks still running were abandoned");
        }
        if tokio::time::timeout_at(deadline, service.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(target: "sluice", "grace period over: shutdown hooks still running were abandoned");
        }
        Ok(())
    }
}

/// A request in flight until its response body has been sent.
impl OnEnd for InFlight {
    fn end(self, _complete: bool) {}
}

/// What a new connection speaks, as its first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    /// It opened with HTTP/2's connection preface (prior knowledge).
    Http2,
    /// What came so far begins the preface, but not all of it yet.
    Unsure,
}

/// HTTP/2's client connection preface (RFC 9113, section 3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

impl Protocol {
    fn of(first: &[u8]) -> Protocol {
        let n = first.len().min(H2_PREFACE.len());
        if first[..n] != H2_PREFACE[..n] {
            Protocol::Http1
        } else if n == H2_PREFACE.len() {
            Protocol::Http2
        } else {
            Protocol::Unsure
        }
    }
}

/// hyper's connection builders, configured once for all connections.
///
/// A connection whose first bytes tell its protocol is served by hyper's
/// own HTTP/1 or HTTP/2 connection. Only one whose first bytes begin the
/// HTTP/2 preface without completing it is left to hyper-util's `auto`
/// connection, which reads until it knows and replays what it read. That
/// replay sits under every read of the connection's life, at a cost of
/// about 200 instructions per request; peeking costs one `recv` per
/// connection, in place of the first short read `auto` makes.
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
    auto: auto::Builder<TokioExecutor>,
}

impl Protocols {
    fn new(max_headers: usize, max_header_bytes: usize) -> Self {
        let mut http1 = http1::Builder::new();
        http1
            .header_read_timeout(None)
            .max_headers(max_headers)
            .max_buf_size(max_header_bytes)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2.timer(TokioTimer::new());
        // hyper-util's builder cannot take the two above: the same
        // settings, given again.
        let mut auto = auto::Builder::new(TokioExecutor::new());
        auto.http1()
            .header_read_timeout(None)
            .max_headers(max_headers)
            .max_buf_size(max_header_bytes)
            .keep_alive(true);
        auto.http2().timer(TokioTimer::new());
        Protocols { http1, http2, auto }
    }
}

/// Waits for a new connection's first bytes, leaving them to be read:
/// `None` if the client closed it, or the server began shutting down,
/// before any came; an error if the header-read timeout ran out first.
async fn first_bytes(io: &Watched<TcpStream>, watch: &Watch) -> std::io::Result<Option<Protocol>> {
    let mut first = [0; H2_PREFACE.len()];
    std::future::poll_fn(|cx| {
        if watch.take_closing() {
            return Poll::Ready(Ok(None));
        }
        let mut buf = ReadBuf::new(&mut first);
        let peeked = std::task::ready!(io.poll_peek(cx, &mut buf))?;
        Poll::Ready(Ok((peeked > 0).then(|| Protocol::of(buf.filled()))))
    })
    .await
}

/// A connection being served: what [`Serving::until_closed`] needs besides
/// the connection.
struct Serving<'a> {
    watch: &'a Watch,
    remote_addr: SocketAddr,
}

impl Serving<'_> {
    /// Drives `conn` to its end, asking it to close gracefully (with
    /// `graceful_shutdown`) once the server begins shutting down.
    async fn until_closed<C, E>(&self, conn: C, graceful_shutdown: impl Fn(Pin<&mut C>))
    where
        C: Future<Output = Result<(), E>>,
        E: fmt::Display,
    {
        let mut conn = std::pin::pin!(conn);
        let served = std::future::poll_fn(|cx| {
            if self.watch.take_closing() {
                graceful_shutdown(conn.as_mut());
            }
            conn.as_mut().poll(cx)
        })
        .await;
        if let Err(e) = served {
            tracing::debug!(
                target: "sluice", error = %e, remote_addr = %self.remote_addr,
                "connection ended with an error"
            );
        }
    }
}

/// A body small enough to leave with its response head in one write.
fn is_small_whole_body(body: &crate::Body) -> bool {
    body.as_bytes()
        .is_some_and(|bytes| bytes.len() <= 64 * 1024)
}

/// Tells a client over the connection limit to come back later.
async fn refuse(mut stream: TcpStream) {
    use tokio::io::AsyncWriteExt;
    let write = async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// A future that completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
///
/// The signal handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives in between is not lost
/// (and does not kill the process). Call it before announcing that the
/// server is ready:
///
/// ```no_run
/// # async fn doc(app: sluice::App) -> Result<(), sluice::ServeError> {
/// let service = app.build()?;
/// let server = sluice::Server::bind("127.0.0.1:8000")
///     .await?
///     .with_shutdown_signal(sluice::termination_signal());
/// println!("listening on http://{}", server.local_addr());
/// server.serve_service(service).await
/// # }
/// ```
pub fn termination_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let interrupt = async {
                match interrupt {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let terminate = async {
                match terminate {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = interrupt => {}
                () = terminate => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Serves `app` on `addr` until SIGINT or SIGTERM, then shuts down
/// gracefully. The app is built first, so that an invalid one is reported
/// before the address is bound and "listening" is logged.
///
/// # Errors
///
/// When the app's configuration is invalid or the address cannot be bound.
pub async fn serve(app: App, addr: impl ToSocketAddrs + fmt::Debug) -> Result<(), ServeError> {
    let service = app.build()?;
    let server = Server::bind(addr).await?;
    tracing::info!(target: "sluice", "listening on http://{}", server.local_addr());
    server.serve_service(service).await
}

#[cfg(test)]
mod tests {
    use super::{Protocol, H2_PREFACE};

    #[test]
    fn the_first_bytes_tell_the_protocol_once_they_leave_the_preface() {
        assert_eq!(Protocol::of(b"GET / HTTP/1.1\r\n"), Protocol::Http1);
        assert_eq!(Protocol::of(b"PUT"), Protocol::Http1);
        assert_eq!(Protocol::of(b"PRI * HTTP/1.1\r\n"), Protocol::Http1);
        assert_eq!(Protocol::of(b"P"), Protocol::Unsure);
        assert_eq!(Protocol::of(&H2_PREFACE[..23]), Protocol::Unsure);
        assert_eq!(Protocol::of(H2_PREFACE), Protocol::Http2);
    }
}
