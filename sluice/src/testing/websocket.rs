//! [`TestClient::websocket`]: WebSockets in process, FastAPI's
//! `TestClient.websocket_connect`.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{
    HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, HOST, SEC_WEBSOCKET_ACCEPT,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{Method, StatusCode, Uri};
use http_body::Body as _;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::DuplexStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::{self, Role};
use tokio_tungstenite::tungstenite::{self, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::{TestClient, TestResponse};
use crate::body::Body;
use crate::websocket::io::TestUpgrade;
use crate::websocket::{CloseFrame, Message};

/// The size of the in-memory pipe between the test client and the app.
const PIPE_SIZE: usize = 64 * 1024;

impl TestClient {
    /// Opens a WebSocket to `path` (with its query), in process and through
    /// the whole stack, as FastAPI's `TestClient.websocket_connect` does.
    /// `.await` it: `Ok` with the socket when the app accepted the
    /// handshake, `Err` with the response when it refused it.
    ///
    /// ```
    /// use sluice::testing::TestClient;
    /// use sluice::websocket::WebSocket;
    /// use sluice::App;
    ///
    /// async fn greet(mut ws: WebSocket) -> sluice::Result<()> {
    ///     ws.accept().await?;
    ///     let name = ws.recv_text().await?;
    ///     ws.send_text(format!("Hello, {name}")).await?;
    ///     Ok(())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = TestClient::new(App::new().websocket("/ws", greet));
    /// let mut ws = client.websocket("/ws").await.expect("accepted");
    /// ws.send_text("Ada").await;
    /// assert_eq!(ws.recv_text().await, "Hello, Ada");
    /// assert_eq!(ws.recv_close().await.code, 1000);
    ///
    /// let refused = client.websocket("/nope").await.expect_err("no such route");
    /// assert_eq!(refused.status(), 403);
    /// # }
    /// ```
    pub fn websocket(&self, path: &str) -> WebSocketRequest {
        WebSocketRequest {
            client: self.clone(),
            path: path.to_owned(),
            headers: HeaderMap::new(),
        }
    }
}

/// A WebSocket handshake being built; `.await` it to connect.
#[must_use = "the handshake is sent when it is awaited"]
pub struct WebSocketRequest {
    client: TestClient,
    path: String,
    headers: HeaderMap,
}

impl fmt::Debug for WebSocketRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketRequest")
            .field("path", &self.path)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl WebSocketRequest {
    /// Adds a header to the handshake (several calls with one name send
    /// several lines; a handshake header given here replaces the
    /// client's).
    ///
    /// # Panics
    ///
    /// When the name or value is invalid.
    #[track_caller]
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Debug,
    {
        let (name, value) = crate::headers::header_pair(name, value);
        self.headers.append(name, value);
        self
    }

    /// Asks for a subprotocol (`Sec-WebSocket-Protocol`); call it once per
    /// protocol, in order of preference.
    ///
    /// # Panics
    ///
    /// When the name is not a valid header value.
    #[track_caller]
    pub fn subprotocol(self, protocol: &str) -> Self {
        self.header(SEC_WEBSOCKET_PROTOCOL, protocol)
    }

    async fn connect(self) -> Result<TestWebSocket, TestResponse> {
        let target = format!("{}{}", self.client.prefix, self.path);
        let uri: Uri = match target.parse() {
            Ok(uri) => uri,
            Err(e) => panic!("invalid WebSocket path {:?}: {e}", self.path),
        };
        let key = HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ==");
        let mut headers = HeaderMap::new();
        if let Ok(host) = HeaderValue::from_str(&self.client.host) {
            headers.insert(HOST, host);
        }
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(SEC_WEBSOCKET_KEY, key.clone());
        headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        for (name, value) in &self.client.headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        let mut replaced = Vec::new();
        for (name, value) in &self.headers {
            if !replaced.contains(name) {
                headers.remove(name);
                replaced.push(name.clone());
            }
            headers.append(name.clone(), value.clone());
        }
        // The handshake carries the jar's cookies and keeps the ones the
        // app sets on it, as any other request of the client does.
        let url = format!("{}://{}{}", self.client.scheme, self.client.host, target);
        let jar_url = self.client.send_cookies(&url, &mut headers);
        let (client_end, server_end) = tokio::io::duplex(PIPE_SIZE);
        let (give_pipe, pipe) = oneshot::channel::<DuplexStream>();
        let (ended, session_ended) = oneshot::channel::<()>();
        let mut request = http::Request::new(Body::empty());
        *request.method_mut() = Method::GET;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        request
            .extensions_mut()
            .insert(TestUpgrade::new(pipe, ended));
        let app = &self.client.app;
        let request = app.request_from_body(request, self.client.conn);
        let response = app.handle(request).await;
        let (mut parts, body) = response.into_parts();
        self.client
            .keep_cookies_from(&parts.headers, jar_url.as_ref());
        if parts.status == StatusCode::SWITCHING_PROTOCOLS {
            let expected = tungstenite::handshake::derive_accept_key(key.as_bytes());
            let accept = parts.headers.get(SEC_WEBSOCKET_ACCEPT);
            assert!(
                accept.is_some_and(|accept| accept.as_bytes() == expected.as_bytes()),
                "the app answered 101 without the right sec-websocket-accept: {:?}",
                parts.headers
            );
            drop(body);
            let _ = give_pipe.send(server_end);
            let stream = WebSocketStream::from_raw_socket(client_end, Role::Client, None).await;
            return Ok(TestWebSocket {
                client: self.client,
                stream,
                headers: parts.headers,
                session_ended: Some(session_ended),
                closed: None,
            });
        }
        drop(give_pipe);
        let known_len = body.size_hint().exact();
        let bytes = match body.collect().await {
            Ok(bytes) => bytes,
            Err(e) => panic!("the response body failed: {e}"),
        };
        self.client
            .settle(&format!("WebSocket {}", self.path))
            .await;
        if !parts.headers.contains_key(CONTENT_LENGTH) {
            if let Some(len) = known_len {
                parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
        }
        Err(TestResponse {
            method: Method::GET,
            url,
            status: parts.status,
            headers: parts.headers,
            extensions: parts.extensions,
            body: bytes,
            body_error: None,
            history: Vec::new(),
        })
    }
}

impl IntoFuture for WebSocketRequest {
    type Output = Result<TestWebSocket, TestResponse>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.connect())
    }
}

impl TestClient {
    /// Waits for the background tasks and cleanups the app has started,
    /// then raises the failures it saw (unless told not to).
    async fn settle(&self, what: &str) {
        self.app.shared().drain_background().await;
        let failures = self.app.shared().take_failures();
        if self.raise_server_exceptions {
            if let Some(failure) = failures.first() {
                panic!(
                    "the app failed while handling {what}: {failure}\n\
                     (to check what the client gets instead, use \
                     TestClient::raise_server_exceptions(false))"
                );
            }
        }
    }
}

/// A WebSocket opened by [`TestClient::websocket`].
///
/// Its methods panic when the conversation does not go as the test
/// expects (a close frame where a message was expected, a message that is
/// not text, ...), so that the test fails there. When the app fails during
/// the session, receiving its close frame panics with the failure, as
/// Starlette's test client raises it (see
/// [`TestClient::raise_server_exceptions`]).
pub struct TestWebSocket {
    client: TestClient,
    stream: WebSocketStream<DuplexStream>,
    headers: HeaderMap,
    session_ended: Option<oneshot::Receiver<()>>,
    /// The server's close frame, once received.
    closed: Option<CloseFrame>,
}

impl fmt::Debug for TestWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestWebSocket")
            .field("headers", &self.headers)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl TestWebSocket {
    /// The headers of the `101` response.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The subprotocol the app selected, if any.
    pub fn subprotocol(&self) -> Option<&str> {
        self.headers
            .get(SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
    }

    /// Sends a message.
    ///
    /// # Panics
    ///
    /// When the connection is closed.
    pub async fn send(&mut self, message: impl Into<Message>) {
        let message = match message.into() {
            Message::Text(text) => tungstenite::Message::Text(Utf8Bytes::from(text)),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
        };
        if let Err(e) = self.stream.send(message).await {
            panic!("the test client could not send: {e}");
        }
    }

    /// Sends a text message.
    ///
    /// # Panics
    ///
    /// When the connection is closed.
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.send(Message::Text(text.into())).await;
    }

    /// Sends a binary message.
    ///
    /// # Panics
    ///
    /// When the connection is closed.
    pub async fn send_bytes(&mut self, bytes: impl Into<Bytes>) {
        self.send(Message::Binary(bytes.into())).await;
    }

    /// Sends `value` as a JSON text message.
    ///
    /// # Panics
    ///
    /// When the value cannot be serialised or the connection is closed.
    pub async fn send_json<T: Serialize + ?Sized>(&mut self, value: &T) {
        let text = serde_json::to_string(value).expect("a value that serialises to JSON");
        self.send(Message::Text(text)).await;
    }

    /// Sends a ping and returns the payload of the pong that answers it.
    ///
    /// # Panics
    ///
    /// When the server closes the socket, or sends a message, first.
    pub async fn ping(&mut self, payload: impl Into<Bytes>) -> Bytes {
        if let Err(e) = self
            .stream
            .send(tungstenite::Message::Ping(payload.into()))
            .await
        {
            panic!("the test client could not send a ping: {e}");
        }
        loop {
            match self.stream.next().await {
                Some(Ok(tungstenite::Message::Pong(payload))) => return payload,
                Some(Ok(tungstenite::Message::Ping(_))) => {}
                other => panic!("expected a pong, got {other:?}"),
            }
        }
    }

    /// The next message, or the server's close frame (1006 when the
    /// connection ended without one). Answers the close frame and, once the
    /// session has ended, raises the app's failures.
    pub async fn recv(&mut self) -> Result<Message, CloseFrame> {
        if let Some(closed) = &self.closed {
            return Err(closed.clone());
        }
        loop {
            match self.stream.next().await {
                Some(Ok(tungstenite::Message::Text(text))) => {
                    return Ok(Message::Text(text.as_str().to_owned()))
                }
                Some(Ok(tungstenite::Message::Binary(bytes))) => return Ok(Message::Binary(bytes)),
                Some(Ok(tungstenite::Message::Close(frame))) => {
                    let frame = match frame {
                        Some(protocol::CloseFrame { code, reason }) => {
                            CloseFrame::new(u16::from(code), reason.as_str())
                        }
                        None => CloseFrame::new(1005, ""),
                    };
                    // Answer it, as a client must.
                    let _ = self.stream.flush().await;
                    return Err(self.closed_with(frame).await);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    return Err(self.closed_with(CloseFrame::new(1006, "")).await)
                }
            }
        }
    }

    async fn closed_with(&mut self, frame: CloseFrame) -> CloseFrame {
        self.closed = Some(frame.clone());
        if let Some(ended) = self.session_ended.take() {
            let _ = ended.await;
        }
        self.client.settle("a WebSocket session").await;
        frame
    }

    /// The next message, which must be text.
    ///
    /// # Panics
    ///
    /// On a binary message or a close frame.
    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Ok(Message::Text(text)) => text,
            other => panic!("expected a text message, got {other:?}"),
        }
    }

    /// The next message, which must be binary.
    ///
    /// # Panics
    ///
    /// On a text message or a close frame.
    pub async fn recv_bytes(&mut self) -> Bytes {
        match self.recv().await {
            Ok(Message::Binary(bytes)) => bytes,
            other => panic!("expected a binary message, got {other:?}"),
        }
    }

    /// The next message (text or binary), parsed as JSON.
    ///
    /// # Panics
    ///
    /// On a close frame, or a message that is not JSON of that shape.
    pub async fn recv_json<T: DeserializeOwned>(&mut self) -> T {
        let message = match self.recv().await {
            Ok(message) => message,
            Err(close) => panic!("expected a JSON message, got the close frame {close:?}"),
        };
        match serde_json::from_slice(message.as_bytes()) {
            Ok(value) => value,
            Err(e) => panic!("the message is not the JSON expected ({e}): {message:?}"),
        }
    }

    /// The server's close frame, which must come next. Returns once the
    /// app's session has ended and its cleanups have run.
    ///
    /// # Panics
    ///
    /// On a message.
    pub async fn recv_close(&mut self) -> CloseFrame {
        match self.recv().await {
            Err(close) => close,
            Ok(message) => panic!("expected the socket to close, got {message:?}"),
        }
    }

    /// Closes the socket with `code` and `reason`, and returns the
    /// server's answer (the same code, normally) once the app's session
    /// has ended and its cleanups have run.
    pub async fn close(mut self, code: u16, reason: &str) -> CloseFrame {
        if let Some(closed) = &self.closed {
            return closed.clone();
        }
        let frame = protocol::CloseFrame {
            code: code.into(),
            reason: Utf8Bytes::from(reason),
        };
        if self.stream.close(Some(frame)).await.is_err() {
            return self.closed_with(CloseFrame::new(1006, "")).await;
        }
        loop {
            match self.recv().await {
                Ok(_) => {}
                Err(close) => return close,
            }
        }
    }
}
