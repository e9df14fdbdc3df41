//! WebSockets: routes whose handlers talk to the client over a [`WebSocket`],
//! FastAPI's `@app.websocket(...)`, with the handshake going through the
//! whole middleware stack.
//!
//! ```
//! use sluice::testing::TestClient;
//! use sluice::websocket::WebSocket;
//! use sluice::{App, Path, Query};
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use serde_json::{json, Value};
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Params { q: Option<String> }
//!
//! async fn item(Path(item_id): Path<i64>, Query(params): Query<Params>, mut ws: WebSocket) -> sluice::Result<()> {
//!     ws.accept().await?;
//!     ws.send_json(&json!({"item_id": item_id, "q": params.q})).await?;
//!     ws.close(1000, "").await?;
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(App::new().websocket("/ws/items/{item_id}", item));
//! let mut ws = client.websocket("/ws/items/7?q=x").await.expect("accepted");
//! assert_eq!(ws.recv_json::<Value>().await, json!({"item_id": 7, "q": "x"}));
//! assert_eq!(ws.recv_close().await.code, 1000);
//!
//! // A bad path parameter refuses the handshake, as FastAPI does.
//! let refused = client.websocket("/ws/items/abc").await.expect_err("refused");
//! assert_eq!(refused.status(), 403);
//! # }
//! ```
//!
//! # The handshake
//!
//! A request is a WebSocket handshake when its `Connection` header lists
//! `upgrade` and its `Upgrade` header is `websocket`, as uvicorn decides;
//! any other request, `GET /ws` included, is plain HTTP and never reaches a
//! WebSocket route. A handshake goes to the WebSocket routes only:
//!
//! - a handshake without a valid `Sec-WebSocket-Key` (the base64 of 16
//!   bytes), or with a `Sec-WebSocket-Version` other than 13, or that is
//!   not a `GET` over HTTP/1.1, gets `400` with a `text/plain`
//!   explanation (and `Sec-WebSocket-Version: 13` for a wrong version);
//! - a path with no WebSocket route gets `403` with an empty `text/plain`
//!   body, as uvicorn answers (there is no trailing-slash redirect for
//!   WebSockets);
//! - invalid path, query or header input (a `422` for HTTP) refuses the
//!   handshake the same way: `403`;
//! - another extractor error (an [`HttpError`](crate::HttpError) from a
//!   dependency, say) is answered with its own response, like for HTTP.
//!
//! Then the handler runs, while the handshake waits for its answer:
//!
//! | the handler | the client gets |
//! |---|---|
//! | calls [`WebSocket::accept`] | `101 Switching Protocols` (with the [`Accept`] subprotocol and headers) |
//! | calls [`WebSocket::close`] before accepting, or returns without accepting | `403`, empty `text/plain` body |
//! | fails or panics before accepting | the error's response (a `500`, or the [`HttpError`](crate::HttpError)'s status), as for HTTP |
//! | returns after accepting | a close frame with 1000 |
//! | fails or panics after accepting | a close frame with 1011; the error is logged |
//!
//! `accept` returns once the `101` has passed out through the middleware
//! and been sent: the connection is then the socket's.
//!
//! # Through the middleware stack
//!
//! FastAPI's HTTP middleware never sees a WebSocket, so authentication
//! written as middleware does not protect one. In sluice the handshake is an
//! ordinary request that goes through the whole stack, and the `101` (or
//! the refusal) back out through it. Any middleware can refuse a handshake
//! with an ordinary response before the upgrade, and whatever it puts in
//! the request's [`Locals`](crate::Locals) or extensions is there for the
//! handler's extractors. How the built-ins treat a handshake:
//!
//! | middleware | on a handshake |
//! |---|---|
//! | [`TrustedHost`](crate::middleware::TrustedHost) | refuses a host that is not allowed: `400 Invalid host header`, as Starlette does |
//! | [`Authentication`](crate::middleware::Authentication) | refuses a missing or bad credential (`401`); the principal is in the handler's request |
//! | [`ProxyHeaders`](crate::middleware::ProxyHeaders) | as for any request: the handler's [`ClientAddr`](crate::ClientAddr) and the request's scheme are the ones the proxy reports |
//! | [`Sessions`](crate::middleware::sessions::Sessions) | the handler reads the session from the handshake's cookie; a change made before `accept` is saved on the `101` (`Set-Cookie`), a change after it is lost, since the response has left |
//! | [`HttpsRedirect`](crate::middleware::HttpsRedirect) | redirects a plain handshake to `wss://` (`307`), as Starlette does |
//! | [`RequestId`](crate::middleware::RequestId), [`ProcessTime`](crate::middleware::ProcessTime) | act as for any request: their headers are on the `101` |
//! | [`AccessLog`](crate::middleware::AccessLog) | logs the handshake with its status (`101`, `403`, ...) and the time to answer it |
//! | [`Timeout`](crate::middleware::Timeout) | limits the time to answer the handshake, not the conversation |
//! | [`Cors`](crate::middleware::Cors) | leaves it alone: no CORS headers (browsers do not apply CORS to WebSockets; check `Origin` yourself if you need to) |
//! | [`GZip`](crate::middleware::GZip), [`Compression`](crate::middleware::Compression) | leave it alone: a `101` is never compressed |
//! | [`BodyLimit`](crate::middleware::BodyLimit), [`ErrorHandler`](crate::middleware::ErrorHandler) | as for any request (a handshake has no body; an error before `accept` is an ordinary error response) |
//!
//! Use [`is_websocket_request`] in your own middleware to tell a handshake
//! from plain HTTP.
//!
//! # Messages and closing
//!
//! [`WebSocket::recv`] returns text and binary messages whole (fragments
//! are joined) and answers pings with pongs carrying their payload. A
//! client's close frame is answered with the same code, and `recv` returns
//! [`WebSocketError::Disconnected`] with it; a handler that lets this error
//! out with `?` ends quietly. A client that breaks the protocol is closed
//! with the code RFC 6455 gives and the reason uvicorn gives: 1002 for an
//! unmasked frame (`incorrect masking`) or a reserved opcode (`invalid
//! opcode`), 1007 for invalid UTF-8 in a text message, 1009 for a message
//! over the size limit (16 MiB by default, see [`Accept::max_message_size`]).
//! A client that disappears without a close frame ends the socket with
//! 1006; it never takes the server down. One that vanishes without even
//! closing its connection (a network cut) is noticed by keepalive pings,
//! as uvicorn sends them: a client silent for 20 s is pinged, and one that
//! answers nothing within another 20 s is dropped, so `recv` returns
//! 1006 ([`Accept::ping_interval`], [`Accept::ping_timeout`]). [`WebSocket::send`] waits until
//! the message has been written, so a client that does not read slows its
//! handler down instead of filling the server's memory; after 20 s without
//! taking a message, the client is dropped and `send` returns 1006
//! ([`Accept::send_timeout`]), even in a handler that never calls `recv`.
//!
//! # Lifecycle
//!
//! Dependencies ([`Dep`](crate::Dep)) entered for a WebSocket handler are
//! cleaned up when the socket has closed (function-scope ones when the
//! handler returns), after the request's background tasks; a failed
//! handler's cleanups see its error. When the server shuts down, open
//! sockets waiting in `recv` or `send` are closed with 1001 (going away),
//! and the server waits for their handlers within its grace period.
//!
//! # Why tokio-tungstenite
//!
//! The framing, masking, fragmentation, UTF-8 and close rules are
//! [`tokio-tungstenite`](https://docs.rs/tokio-tungstenite)'s, used through
//! its raw-socket API over hyper's upgraded connection, so sluice answers
//! the handshake itself and the `101` passes through the middleware. It is
//! what axum's `WebSocketUpgrade` is built on (a Rust user gets the same
//! wire behaviour), it passes the Autobahn test suite, it enforces message
//! and frame size limits while reading, and its read and write buffers are
//! configurable, which keeps an idle socket small. `fastwebsockets` is
//! lower level (frames, with fragment assembly as an opt-in wrapper);
//! tungstenite's stream of whole messages is what this API hands out.
//!
//! # Testing
//!
//! [`TestClient::websocket`](crate::testing::TestClient::websocket) opens a
//! WebSocket in process, through the whole stack, as FastAPI's
//! `TestClient.websocket_connect` does.

mod handler;
mod handshake;
pub(crate) mod io;
mod socket;

pub use handler::{SessionResult, WebSocketHandler};
pub(crate) use handshake::is_handshake;
pub use handshake::is_websocket_request;
pub use socket::{
    Accept, CloseFrame, Message, WebSocket, WebSocketError, DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_PING_INTERVAL, DEFAULT_PING_TIMEOUT, DEFAULT_SEND_TIMEOUT,
};

pub(crate) use handler::WebSocketSpec;
pub(crate) use handshake::{check as check_handshake, refusal};
