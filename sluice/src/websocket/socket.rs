//! [`WebSocket`]: one connection, as its handler sees it.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data as OpData, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{self, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::io::{PendingUpgrade, Upgraded};
use crate::error::Error;
use crate::lifecycle::Held;

/// The largest message a socket receives unless told otherwise (16 MiB,
/// uvicorn's `--ws-max-size`). A larger one closes the socket with 1009.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// How long a socket may be silent before the server pings it (uvicorn's
/// `--ws-ping-interval`).
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);

/// How long the server waits for an answer to its ping before it takes the
/// client for gone (uvicorn's `--ws-ping-timeout`).
pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_secs(20);

/// How long [`WebSocket::send`] waits for a client that does not read
/// before it takes the connection for lost; see [`Accept::send_timeout`].
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the server waits for the client's answer to its close frame
/// before it drops the connection anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How much a socket reads at once. Small: an idle socket holds its read
/// buffer for as long as it is open, and messages larger than this still
/// arrive whole.
const READ_BUFFER_SIZE: usize = 4 * 1024;

pub(crate) type Stream = WebSocketStream<Upgraded>;

/// A message received from, or sent to, the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// The message's bytes, text or binary.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(bytes) => bytes,
        }
    }

    /// The text, for a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(text) => Some(text),
            Message::Binary(_) => None,
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.to_owned())
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Self {
        Message::Binary(bytes)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Message::Binary(Bytes::from(bytes))
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Self {
        Message::Binary(Bytes::copy_from_slice(bytes))
    }
}

/// A close code and reason ([RFC 6455 §7.4](https://www.rfc-editor.org/rfc/rfc6455#section-7.4)):
/// `1000` normal, `1001` going away, `1002` protocol error, `1005` no code
/// given, `1006` the connection was lost, `1007` invalid data, `1008`
/// policy violation, `1009` message too big, `1011` server error, `1012`
/// to `1014` restart, try again later, bad gateway.
///
/// A handler may close with any of these but 1005 and 1006 (sent as
/// 1000), and with 3000 to 4999. One limit comes from tungstenite 0.30,
/// which does the framing: it does not know 1014 yet, so a client that
/// closes with 1014 is answered, and reported, as 1002.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code.
    pub code: u16,
    /// The reason (at most 123 bytes on the wire).
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with `code` and `reason`.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }

    fn code_only(code: u16) -> Self {
        CloseFrame::new(code, String::new())
    }

    /// The frame as tungstenite sends it: codes that may not be sent
    /// (1005, 1006, 1015, out of range) become 1000, and the reason is cut
    /// to fit a control frame. 1014 (bad gateway), registered after
    /// tungstenite's list, is sent as it is, as uvicorn sends it.
    fn to_wire(&self) -> protocol::CloseFrame {
        let code = match CloseCode::from(self.code) {
            code if code.is_allowed() || self.code == BAD_GATEWAY => code,
            _ => CloseCode::Normal,
        };
        let mut end = self.reason.len().min(123);
        while !self.reason.is_char_boundary(end) {
            end -= 1;
        }
        protocol::CloseFrame {
            code,
            reason: Utf8Bytes::from(&self.reason[..end]),
        }
    }

    fn from_wire(frame: Option<protocol::CloseFrame>) -> Self {
        match frame {
            Some(frame) => CloseFrame::new(u16::from(frame.code), frame.reason.as_str()),
            None => CloseFrame::code_only(1005),
        }
    }
}

impl fmt::Display for CloseFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} ({})", self.code, self.reason)
        }
    }
}

/// Why a [`WebSocket`] operation failed.
///
/// [`WebSocketError::Disconnected`] is the normal end of a conversation
/// (FastAPI's `WebSocketDisconnect`): a handler that returns it, e.g. with
/// `?` on [`WebSocket::recv`], ends quietly. Any other error returned by a
/// handler is logged and closes the socket with 1011.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebSocketError {
    /// The connection is over: the client closed it (its code and reason;
    /// 1005 when it gave none), it was lost (1006), the client broke the
    /// protocol and the server closed it (1002, 1007 for invalid UTF-8,
    /// 1009 for a message over the size limit), or the server is shutting
    /// down (1001).
    Disconnected(CloseFrame),
    /// The handler already closed the socket.
    Closed,
    /// `recv` or `send` before [`WebSocket::accept`].
    NotAccepted,
    /// `accept` on a socket already accepted, refused or closed.
    AlreadyDecided,
    /// A text message was expected and a binary one came, or the reverse.
    UnexpectedMessage {
        /// `"text"` or `"binary"`.
        expected: &'static str,
    },
    /// A JSON message could not be parsed, or a value could not be
    /// serialised.
    Json(serde_json::Error),
}

impl fmt::Display for WebSocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebSocketError::Disconnected(frame) => write!(f, "websocket disconnected: {frame}"),
            WebSocketError::Closed => f.write_str("the websocket was already closed"),
            WebSocketError::NotAccepted => {
                f.write_str("the websocket is not accepted yet: call `accept` first")
            }
            WebSocketError::AlreadyDecided => {
                f.write_str("the websocket handshake was already accepted or refused")
            }
            WebSocketError::UnexpectedMessage { expected } => {
                write!(f, "expected a {expected} message")
            }
            WebSocketError::Json(e) => write!(f, "invalid JSON message: {e}"),
        }
    }
}

impl std::error::Error for WebSocketError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebSocketError::Json(e) => Some(e),
            _ => None,
        }
    }
}

/// How to accept a handshake: the subprotocol and extra response headers
/// (FastAPI's `websocket.accept(subprotocol=..., headers=...)`), and the
/// size limit of received messages.
///
/// ```
/// use sluice::websocket::{Accept, WebSocket};
///
/// async fn chat(mut ws: WebSocket) -> sluice::Result<()> {
///     let wants_chat = ws.subprotocols().iter().any(|p| p == "chat");
///     let mut accept = Accept::new().header("x-room", "lobby");
///     if wants_chat {
///         accept = accept.subprotocol("chat");
///     }
///     ws.accept_with(accept).await?;
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Accept {
    pub(crate) subprotocol: Option<HeaderValue>,
    pub(crate) headers: HeaderMap,
    max_message_size: usize,
    ping_interval: Option<Duration>,
    ping_timeout: Duration,
    send_timeout: Option<Duration>,
}

impl Default for Accept {
    fn default() -> Self {
        Accept::new()
    }
}

impl Accept {
    /// No subprotocol, no extra headers, the default size limit.
    pub fn new() -> Self {
        Accept {
            subprotocol: None,
            headers: HeaderMap::new(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            ping_interval: Some(DEFAULT_PING_INTERVAL),
            ping_timeout: DEFAULT_PING_TIMEOUT,
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
        }
    }

    /// Selects a subprotocol (`Sec-WebSocket-Protocol` in the `101`); pick
    /// one of [`WebSocket::subprotocols`]. Ignored when it is not a valid
    /// header value.
    pub fn subprotocol(mut self, protocol: &str) -> Self {
        self.subprotocol = HeaderValue::from_str(protocol).ok();
        self
    }

    /// Adds a header to the `101` response. Ignored when the name or value
    /// is invalid.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        if let (Ok(name), Ok(value)) = (name.try_into(), value.try_into()) {
            self.headers.append(name, value);
        }
        self
    }

    /// The largest message to receive, in bytes (default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`]). A larger one closes the socket with
    /// 1009. What the handler sends is not limited (see
    /// [`WebSocket::send`]).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }

    /// Pings a client that has been silent this long (default
    /// [`DEFAULT_PING_INTERVAL`], 20 s, as uvicorn), so that a client that
    /// vanished without closing (a network cut, a laptop lid) is noticed;
    /// `None` never pings. Pings go out while the handler waits in
    /// [`WebSocket::recv`].
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval.map(|i| i.max(Duration::from_millis(1)));
        self
    }

    /// How long to wait for any frame after a ping (default
    /// [`DEFAULT_PING_TIMEOUT`], 20 s): then the connection is dropped and
    /// `recv` returns [`WebSocketError::Disconnected`] with 1006.
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long one [`WebSocket::send`] may wait for the client to take
    /// the message (default [`DEFAULT_SEND_TIMEOUT`], 20 s). A client that
    /// stops reading (gone behind a cut network, or too slow) fills the
    /// connection's buffers; past this, the connection is dropped and
    /// `send` returns [`WebSocketError::Disconnected`] with 1006, so that a
    /// handler that only sends is not stuck for the minutes TCP takes to
    /// give up. `None` waits as long as TCP does.
    pub fn send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.send_timeout = timeout.map(|t| t.max(Duration::from_millis(1)));
        self
    }
}

/// The keepalive pings of an open socket. The timer is re-armed once per
/// interval, not per message: a message only sets `heard`.
struct Keepalive {
    interval: Duration,
    timeout: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    /// A frame came since the timer was armed.
    heard: bool,
    /// A ping is out, unanswered.
    pinged: bool,
}

impl Keepalive {
    fn new(interval: Duration, timeout: Duration) -> Self {
        Keepalive {
            interval,
            timeout,
            timer: Box::pin(tokio::time::sleep(interval)),
            heard: false,
            pinged: false,
        }
    }
}

/// How a [`WebSocket::send`] ended.
enum Sent {
    Done(Result<(), tungstenite::Error>),
    ShuttingDown,
    TimedOut,
}

/// Sleeps for `timeout`; never ends without one.
async fn sleep_or_never(timeout: Option<Duration>) {
    match timeout {
        Some(timeout) => tokio::time::sleep(timeout).await,
        None => std::future::pending().await,
    }
}

/// When the keepalive timer fires; never without one.
async fn keepalive_tick(keepalive: &mut Option<Keepalive>) {
    match keepalive {
        Some(keepalive) => keepalive.timer.as_mut().await,
        None => std::future::pending().await,
    }
}

/// What woke `recv` up.
enum Woken {
    ShuttingDown,
    Frame(Option<Result<tungstenite::Message, tungstenite::Error>>),
    Keepalive,
}

/// What the handler decided about the handshake, for the endpoint waiting
/// to answer it.
pub(crate) enum Decision {
    /// Answer `101`, then hand the connection over through `reply`.
    Accept {
        accept: Accept,
        reply: oneshot::Sender<PendingUpgrade>,
    },
    /// Answer `403`; `ack` once answered.
    Refuse { ack: oneshot::Sender<()> },
    /// The handler ended before deciding.
    Ended(Result<(), Error>),
}

/// What a socket shares with the endpoint that answers its handshake and
/// the task that runs its handler.
#[derive(Default)]
pub(crate) struct Link {
    /// Taken by the first decision.
    decision: Mutex<Option<oneshot::Sender<Decision>>>,
    /// The connection, left here when the socket is dropped so that the
    /// session can close it properly; and whether it was closed already.
    leftover: Mutex<Option<(Stream, bool)>>,
    /// The request's after-send work, held back until the session ends.
    held: Mutex<Option<Held>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only takes and puts happen under these locks.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Link {
    pub(crate) fn new() -> (Arc<Link>, oneshot::Receiver<Decision>) {
        let (tx, rx) = oneshot::channel();
        let link = Link {
            decision: Mutex::new(Some(tx)),
            ..Link::default()
        };
        (Arc::new(link), rx)
    }

    /// The decision sender, if nothing was decided yet.
    pub(crate) fn take_decision(&self) -> Option<oneshot::Sender<Decision>> {
        lock(&self.decision).take()
    }

    pub(crate) fn take_leftover(&self) -> Option<(Stream, bool)> {
        lock(&self.leftover).take()
    }

    pub(crate) fn set_held(&self, held: Option<Held>) {
        *lock(&self.held) = held;
    }

    pub(crate) fn take_held(&self) -> Option<Held> {
        lock(&self.held).take()
    }
}

enum State {
    /// The handshake waits for `accept` (or `close`).
    Pending,
    Open(Stream),
    /// The handler closed it; the connection waits for the client's answer.
    ClosedByUs(Stream),
    /// Refused before accepting, or closed and handed back.
    Closed,
    /// The connection is over.
    Disconnected(CloseFrame),
}

/// A WebSocket connection: the last argument of a
/// [WebSocket handler](crate::App::websocket).
///
/// The handler runs while the handshake waits for its answer: call
/// [`accept`](WebSocket::accept) to answer `101 Switching Protocols`, or
/// [`close`](WebSocket::close) first to refuse it (`403`). Then
/// [`recv`](WebSocket::recv) and [`send`](WebSocket::send) messages.
/// Pings are answered while the handler waits in `recv`; a close frame
/// from the client is answered with the same code and `recv` returns
/// [`WebSocketError::Disconnected`] with it.
///
/// When the handler returns, the socket is closed with 1000; when it fails
/// or panics, with 1011 (and the error is logged).
///
/// ```
/// use sluice::testing::TestClient;
/// use sluice::websocket::{Message, WebSocket};
/// use sluice::App;
///
/// async fn echo(mut ws: WebSocket) -> sluice::Result<()> {
///     ws.accept().await?;
///     loop {
///         match ws.recv().await? {
///             Message::Text(text) if text == "bye" => return Ok(ws.close(1000, "bye").await?),
///             message => ws.send(message).await?,
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = TestClient::new(App::new().websocket("/ws", echo));
/// let mut ws = client.websocket("/ws").await.expect("accepted");
/// ws.send_text("hello").await;
/// assert_eq!(ws.recv_text().await, "hello");
/// ws.send_text("bye").await;
/// let close = ws.recv_close().await;
/// assert_eq!((close.code, close.reason.as_str()), (1000, "bye"));
/// # }
/// ```
pub struct WebSocket {
    state: State,
    link: Arc<Link>,
    subprotocols: Vec<String>,
    closing: CancellationToken,
    keepalive: Option<Keepalive>,
    send_timeout: Option<Duration>,
    /// The longest frame sent; a longer message goes in fragments.
    max_frame: usize,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Pending => "pending",
            State::Open(_) => "open",
            State::ClosedByUs(_) | State::Closed => "closed",
            State::Disconnected(_) => "disconnected",
        };
        f.debug_struct("WebSocket")
            .field("state", &state)
            .field("subprotocols", &self.subprotocols)
            .finish()
    }
}

impl WebSocket {
    pub(crate) fn new(
        link: Arc<Link>,
        subprotocols: Vec<String>,
        closing: CancellationToken,
    ) -> Self {
        WebSocket {
            state: State::Pending,
            link,
            subprotocols,
            closing,
            keepalive: None,
            send_timeout: None,
            max_frame: MIN_SEND_FRAME,
        }
    }

    /// The subprotocols the client asked for (`Sec-WebSocket-Protocol`),
    /// in its order of preference.
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// Whether the socket is accepted and not closed.
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// Accepts the handshake: the app answers `101 Switching Protocols`,
    /// which passes out through the middleware; this returns once it has
    /// been sent and the connection is the socket's.
    ///
    /// # Errors
    ///
    /// [`WebSocketError::AlreadyDecided`] when called twice or after
    /// `close`; [`WebSocketError::Disconnected`] (1006) when the `101`
    /// could not be sent: the client left, or a middleware answered
    /// something else.
    pub async fn accept(&mut self) -> Result<(), WebSocketError> {
        self.accept_with(Accept::new()).await
    }

    /// Accepts the handshake with a subprotocol, extra headers or another
    /// size limit; see [`Accept`] and [`WebSocket::accept`].
    ///
    /// # Errors
    ///
    /// As [`WebSocket::accept`].
    pub async fn accept_with(&mut self, accept: Accept) -> Result<(), WebSocketError> {
        if !matches!(self.state, State::Pending) {
            return Err(WebSocketError::AlreadyDecided);
        }
        let Some(decision) = self.link.take_decision() else {
            return Err(WebSocketError::AlreadyDecided);
        };
        let max_message_size = accept.max_message_size;
        let send_timeout = accept.send_timeout;
        let keepalive = accept
            .ping_interval
            .map(|interval| (interval, accept.ping_timeout));
        let (reply, upgrade) = oneshot::channel();
        let lost = || CloseFrame::code_only(1006);
        if decision.send(Decision::Accept { accept, reply }).is_err() {
            self.state = State::Disconnected(lost());
            return Err(WebSocketError::Disconnected(lost()));
        }
        let io = match upgrade.await {
            Ok(upgrade) => upgrade.into_io().await,
            Err(_) => Err(std::io::ErrorKind::ConnectionAborted.into()),
        };
        let io = match io {
            Ok(io) => io,
            Err(e) => {
                tracing::debug!(target: "sluice", error = %e, "websocket accepted, but the connection was not upgraded");
                self.state = State::Disconnected(lost());
                return Err(WebSocketError::Disconnected(lost()));
            }
        };
        // The write buffer holds one frame of ours, and the pongs queued
        // meanwhile for a client that does not read, up to a bound: what it
        // cannot take is sent in fragments (see `send_message`).
        let max_frame = max_message_size.max(MIN_SEND_FRAME);
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_SIZE)
            .write_buffer_size(0)
            .max_write_buffer_size(max_frame.saturating_add(64 * 1024))
            .max_message_size(Some(max_message_size))
            .max_frame_size(Some(max_message_size));
        let stream = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
        self.state = State::Open(stream);
        self.keepalive = keepalive.map(|(interval, timeout)| Keepalive::new(interval, timeout));
        self.send_timeout = send_timeout;
        self.max_frame = max_frame;
        Ok(())
    }

    /// Receives the next text or binary message. Pings are answered
    /// meanwhile, and a silent client is pinged (see
    /// [`Accept::ping_interval`]). Cancel-safe: use it in `tokio::select!`
    /// next to another source of messages.
    ///
    /// # Errors
    ///
    /// [`WebSocketError::Disconnected`] when the connection is over (see
    /// its docs for the codes); [`WebSocketError::NotAccepted`] before
    /// `accept`; [`WebSocketError::Closed`] after `close`.
    pub async fn recv(&mut self) -> Result<Message, WebSocketError> {
        let closing = self.closing.clone();
        loop {
            let woken = {
                let (stream, keepalive) = self.open_parts()?;
                tokio::select! {
                    biased;
                    () = closing.cancelled() => Woken::ShuttingDown,
                    item = stream.next() => Woken::Frame(item),
                    () = keepalive_tick(keepalive) => Woken::Keepalive,
                }
            };
            let item = match woken {
                Woken::ShuttingDown => return Err(self.going_away().await),
                Woken::Keepalive => match self.keepalive_due().await {
                    Ok(()) => continue,
                    Err(e) => return Err(e),
                },
                Woken::Frame(item) => item,
            };
            if let Some(keepalive) = &mut self.keepalive {
                keepalive.heard = true;
            }
            match item {
                Some(Ok(tungstenite::Message::Text(text))) => {
                    return Ok(Message::Text(text.as_str().to_owned()))
                }
                Some(Ok(tungstenite::Message::Binary(bytes))) => return Ok(Message::Binary(bytes)),
                Some(Ok(tungstenite::Message::Close(frame))) => {
                    // tungstenite has queued the answer (the same code and
                    // reason); send it, and the connection is over.
                    let frame = CloseFrame::from_wire(frame);
                    if let State::Open(stream) = &mut self.state {
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, stream.flush()).await;
                    }
                    self.state = State::Disconnected(frame.clone());
                    return Err(WebSocketError::Disconnected(frame));
                }
                Some(Ok(_)) => {} // ping (its pong is queued) or pong
                Some(Err(error)) => return Err(self.fail(&error).await),
                None => return Err(self.lost()),
            }
        }
    }

    /// Receives a text message.
    ///
    /// # Errors
    ///
    /// As [`WebSocket::recv`], and [`WebSocketError::UnexpectedMessage`]
    /// for a binary message.
    pub async fn recv_text(&mut self) -> Result<String, WebSocketError> {
        match self.recv().await? {
            Message::Text(text) => Ok(text),
            Message::Binary(_) => Err(WebSocketError::UnexpectedMessage { expected: "text" }),
        }
    }

    /// Receives a binary message.
    ///
    /// # Errors
    ///
    /// As [`WebSocket::recv`], and [`WebSocketError::UnexpectedMessage`]
    /// for a text message.
    pub async fn recv_bytes(&mut self) -> Result<Bytes, WebSocketError> {
        match self.recv().await? {
            Message::Binary(bytes) => Ok(bytes),
            Message::Text(_) => Err(WebSocketError::UnexpectedMessage { expected: "binary" }),
        }
    }

    /// Receives a message (text or binary) and parses it as JSON.
    ///
    /// # Errors
    ///
    /// As [`WebSocket::recv`], and [`WebSocketError::Json`] when it is not
    /// JSON of that shape.
    pub async fn recv_json<T: DeserializeOwned>(&mut self) -> Result<T, WebSocketError> {
        let message = self.recv().await?;
        serde_json::from_slice(message.as_bytes()).map_err(WebSocketError::Json)
    }

    /// Sends a message and waits until it has been written to the
    /// connection (so a client that does not read slows the handler down
    /// rather than filling the server's memory). Any size can be sent:
    /// [`Accept::max_message_size`] limits what is received. A message
    /// longer than that limit (and than 64 KiB) goes out in fragments,
    /// which every client puts together again (RFC 6455, section 5.4).
    ///
    /// # Errors
    ///
    /// [`WebSocketError::Disconnected`] when the connection is over;
    /// [`WebSocketError::NotAccepted`] before `accept`;
    /// [`WebSocketError::Closed`] after `close`.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), WebSocketError> {
        let message = message.into();
        let closing = self.closing.clone();
        let send_timeout = self.send_timeout;
        let max_frame = self.max_frame;
        let sent = {
            let stream = self.open()?;
            tokio::select! {
                biased;
                () = closing.cancelled() => Sent::ShuttingDown,
                sent = send_message(stream, message, max_frame) => Sent::Done(sent),
                () = sleep_or_never(send_timeout) => Sent::TimedOut,
            }
        };
        match sent {
            Sent::ShuttingDown => Err(self.going_away().await),
            Sent::Done(Ok(())) => Ok(()),
            Sent::Done(Err(error)) => Err(self.fail(&error).await),
            Sent::TimedOut => {
                tracing::debug!(target: "sluice", timeout = ?send_timeout, "websocket dropped: the client took no message within the send timeout");
                Err(self.lost())
            }
        }
    }

    /// Sends a text message.
    ///
    /// # Errors
    ///
    /// As [`WebSocket::send`].
    pub async fn send_text(&mut self, text: impl Into<String>) -> Result<(), WebSocketError> {
        self.send(Message::Text(text.into())).await
    }

    /// Sends a binary message.
    ///
    /// # Errors
    ///
    /// As [`WebSocket::send`].
    pub async fn send_bytes(&mut self, bytes: impl Into<Bytes>) -> Result<(), WebSocketError> {
        self.send(Message::Binary(bytes.into())).await
    }

    /// Sends `value` as a compact JSON text message (Starlette's
    /// `send_json`).
    ///
    /// # Errors
    ///
    /// As [`WebSocket::send`], and [`WebSocketError::Json`] when the value
    /// cannot be serialised.
    pub async fn send_json<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), WebSocketError> {
        let text = crate::floats::to_string(value).map_err(WebSocketError::Json)?;
        self.send(Message::Text(text)).await
    }

    /// Closes the socket with `code` and `reason` (codes that may not be
    /// sent, such as 1005 and 1006, are sent as 1000; the reason is cut to
    /// 123 bytes). Before `accept`, this refuses the handshake: the client
    /// gets `403`, as uvicorn answers. Closing twice does nothing.
    ///
    /// # Errors
    ///
    /// [`WebSocketError::Disconnected`] when the connection was already
    /// over.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), WebSocketError> {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Pending => {
                if let Some(decision) = self.link.take_decision() {
                    let (ack, acked) = oneshot::channel();
                    if decision.send(Decision::Refuse { ack }).is_ok() {
                        let _ = acked.await;
                    }
                }
                Ok(())
            }
            State::Open(mut stream) => {
                let frame = CloseFrame::new(code, reason).to_wire();
                let sent = tokio::time::timeout(
                    CLOSE_TIMEOUT,
                    stream.send(tungstenite::Message::Close(Some(frame))),
                )
                .await;
                match sent {
                    Ok(Ok(())) => {
                        self.state = State::ClosedByUs(stream);
                        Ok(())
                    }
                    _ => Err(self.lost()),
                }
            }
            State::ClosedByUs(stream) => {
                self.state = State::ClosedByUs(stream);
                Ok(())
            }
            State::Closed => Ok(()),
            State::Disconnected(frame) => {
                self.state = State::Disconnected(frame.clone());
                Err(WebSocketError::Disconnected(frame))
            }
        }
    }

    /// The open stream and its keepalive, or the error that says why there
    /// is no stream.
    fn open_parts(&mut self) -> Result<(&mut Stream, &mut Option<Keepalive>), WebSocketError> {
        match &mut self.state {
            State::Open(stream) => Ok((stream, &mut self.keepalive)),
            State::Pending => Err(WebSocketError::NotAccepted),
            State::ClosedByUs(_) | State::Closed => Err(WebSocketError::Closed),
            State::Disconnected(frame) => Err(WebSocketError::Disconnected(frame.clone())),
        }
    }

    /// The keepalive timer fired: re-arms it when the client was heard
    /// from, pings a client that was silent for an interval, and drops one
    /// that did not answer the ping in time.
    async fn keepalive_due(&mut self) -> Result<(), WebSocketError> {
        let Some(keepalive) = &mut self.keepalive else {
            return Ok(());
        };
        let now = tokio::time::Instant::now();
        if keepalive.heard {
            keepalive.heard = false;
            keepalive.pinged = false;
            let next = now + keepalive.interval;
            keepalive.timer.as_mut().reset(next);
            return Ok(());
        }
        if !keepalive.pinged {
            keepalive.pinged = true;
            let next = now + keepalive.timeout;
            keepalive.timer.as_mut().reset(next);
            let State::Open(stream) = &mut self.state else {
                return Ok(());
            };
            let ping = tungstenite::Message::Ping(Bytes::new());
            return match tokio::time::timeout(CLOSE_TIMEOUT, stream.send(ping)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(self.fail(&error).await),
                Err(_) => Err(self.lost()),
            };
        }
        tracing::debug!(target: "sluice", "websocket closed: no answer to a keepalive ping");
        if let State::Open(stream) = &mut self.state {
            let frame = CloseFrame::new(1011, "keepalive ping timeout").to_wire();
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                stream.send(tungstenite::Message::Close(Some(frame))),
            )
            .await;
        }
        Err(self.lost())
    }

    /// The open stream, or the error that says why there is none.
    fn open(&mut self) -> Result<&mut Stream, WebSocketError> {
        match &mut self.state {
            State::Open(stream) => Ok(stream),
            State::Pending => Err(WebSocketError::NotAccepted),
            State::ClosedByUs(_) | State::Closed => Err(WebSocketError::Closed),
            State::Disconnected(frame) => Err(WebSocketError::Disconnected(frame.clone())),
        }
    }

    /// The connection was lost without a close frame.
    fn lost(&mut self) -> WebSocketError {
        let frame = CloseFrame::code_only(1006);
        self.state = State::Disconnected(frame.clone());
        WebSocketError::Disconnected(frame)
    }

    /// The client broke the protocol or the connection failed: closes with
    /// the code RFC 6455 gives and the reason uvicorn gives (empty for
    /// invalid UTF-8).
    async fn fail(&mut self, error: &tungstenite::Error) -> WebSocketError {
        use tungstenite::error::{CapacityError, Error as E, ProtocolError as P};
        let (code, reason) = match error {
            E::Protocol(P::ResetWithoutClosingHandshake) => return self.lost(),
            E::Utf8(_) => (1007, String::new()),
            E::Capacity(CapacityError::MessageTooLong { size, max_size }) => (
                1009,
                format!("frame with {size} bytes exceeds limit of {max_size} bytes"),
            ),
            E::Protocol(protocol) => (1002, protocol_reason(protocol).to_owned()),
            E::Capacity(_) => (1002, String::new()),
            _ => return self.lost(),
        };
        tracing::debug!(target: "sluice", %error, code, "websocket closed: the client broke the protocol");
        let frame = CloseFrame::new(code, reason);
        if let State::Open(stream) = &mut self.state {
            let _ = tokio::time::timeout(
                CLOSE_TIMEOUT,
                stream.send(tungstenite::Message::Close(Some(frame.to_wire()))),
            )
            .await;
        }
        self.state = State::Disconnected(frame.clone());
        WebSocketError::Disconnected(frame)
    }

    /// The server is shutting down: closes with 1001.
    async fn going_away(&mut self) -> WebSocketError {
        if let State::Open(mut stream) = std::mem::replace(&mut self.state, State::Closed) {
            let frame = CloseFrame::code_only(1001).to_wire();
            let _ = tokio::time::timeout(
                CLOSE_TIMEOUT,
                stream.send(tungstenite::Message::Close(Some(frame))),
            )
            .await;
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, drain(&mut stream)).await;
        }
        let frame = CloseFrame::code_only(1001);
        self.state = State::Disconnected(frame.clone());
        WebSocketError::Disconnected(frame)
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        let leftover = match std::mem::replace(&mut self.state, State::Closed) {
            State::Open(stream) => Some((stream, false)),
            State::ClosedByUs(stream) => Some((stream, true)),
            _ => None,
        };
        if let Some(leftover) = leftover {
            *lock(&self.link.leftover) = Some(leftover);
        }
    }
}

/// The close reason uvicorn (its `websockets` protocol) sends for a frame
/// that breaks RFC 6455.
fn protocol_reason(error: &tungstenite::error::ProtocolError) -> &'static str {
    use tungstenite::error::ProtocolError as P;
    match error {
        P::InvalidOpcode(_) | P::UnknownControlFrameType(_) | P::UnknownDataFrameType(_) => {
            "invalid opcode"
        }
        P::UnmaskedFrameFromClient => "incorrect masking",
        P::NonZeroReservedBits => "reserved bits must be 0",
        P::FragmentedControlFrame => "fragmented control frame",
        P::ControlFrameTooBig => "control frame too long",
        P::UnexpectedContinueFrame => "unexpected continuation frame",
        P::ExpectedFragment(_) => "expected a continuation frame",
        P::InvalidCloseSequence => "close frame too short",
        _ => "",
    }
}

/// The close code for a gateway that got a bad answer upstream (IANA's
/// WebSocket close code registry).
const BAD_GATEWAY: u16 = 1014;

/// `send` writes frames as long as [`Accept::max_message_size`], but never
/// caps them below this.
const MIN_SEND_FRAME: usize = 64 * 1024;

/// Sends `message` in one frame, or in fragments of at most `max_frame`
/// bytes when it is longer (a text message is cut between characters).
async fn send_message(
    stream: &mut Stream,
    message: Message,
    max_frame: usize,
) -> Result<(), tungstenite::Error> {
    let (opcode, mut rest) = match message {
        Message::Text(text) if text.len() <= max_frame => {
            return send_frame(stream, tungstenite::Message::Text(Utf8Bytes::from(text))).await;
        }
        Message::Binary(bytes) if bytes.len() <= max_frame => {
            return send_frame(stream, tungstenite::Message::Binary(bytes)).await;
        }
        Message::Text(text) => (OpData::Text, Bytes::from(text)),
        Message::Binary(bytes) => (OpData::Binary, bytes),
    };
    let mut first = true;
    while !rest.is_empty() {
        let mut end = rest.len().min(max_frame);
        // UTF-8 continuation bytes are 0b10xx_xxxx: step back to the start
        // of a character (`max_frame` is far longer than one).
        while opcode == OpData::Text && end < rest.len() && rest[end] & 0xc0 == 0x80 {
            end -= 1;
        }
        let part = rest.split_to(end);
        let opcode = if first { opcode } else { OpData::Continue };
        first = false;
        let frame = Frame::message(part, OpCode::Data(opcode), rest.is_empty());
        send_frame(stream, tungstenite::Message::Frame(frame)).await?;
    }
    Ok(())
}

/// Sends one frame and waits until it is written. The write buffer may
/// hold pongs queued for a client that did not read: those go out first
/// when the frame does not fit beside them.
async fn send_frame(
    stream: &mut Stream,
    message: tungstenite::Message,
) -> Result<(), tungstenite::Error> {
    match stream.send(message).await {
        Err(tungstenite::Error::WriteBufferFull(message)) => {
            stream.flush().await?;
            stream.send(*message).await
        }
        sent => sent,
    }
}

/// Reads until the client's close frame has come (or the connection ends).
pub(crate) async fn drain(stream: &mut Stream) {
    while let Some(Ok(_)) = stream.next().await {}
}

/// Closes a connection the handler left behind: with 1000 when it
/// returned, 1011 when it failed, unless it was closed already; then waits
/// (a little) for the client's answer.
pub(crate) async fn finish(mut stream: Stream, closed: bool, failed: bool) {
    if !closed {
        let code = if failed { 1011 } else { 1000 };
        let frame = CloseFrame::code_only(code).to_wire();
        let sent = tokio::time::timeout(
            CLOSE_TIMEOUT,
            stream.send(tungstenite::Message::Close(Some(frame))),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            return;
        }
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, drain(&mut stream)).await;
}
