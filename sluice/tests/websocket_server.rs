//! WebSockets over the real server and real sockets, with tungstenite's
//! client: the wire-level rules (masking, opcodes, UTF-8, pings, sizes),
//! clients that vanish or do not read, the watchdog and graceful shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sluice::http::HeaderValue;
use sluice::websocket::{Accept, Message, WebSocket, WebSocketError};
use sluice::{App, Next, Request, Response, ServeError, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{client_async, WebSocketStream};

async fn echo(mut ws: WebSocket) -> sluice::Result<()> {
    ws.accept_with(Accept::new().max_message_size(1024 * 1024 + 16))
        .await?;
    loop {
        let message = ws.recv().await?;
        ws.send(message).await?;
    }
}

fn app() -> App {
    App::new()
        .websocket("/ws", echo)
        .get("/", || async { "hello" })
}

struct Running {
    addr: std::net::SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

async fn start_with(app: App, configure: impl FnOnce(Server) -> Server) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("bind a free port")
        .with_shutdown_signal(async {
            let _ = rx.await;
        })
        .grace_period(Duration::from_secs(5));
    let server = configure(server);
    let addr = server.local_addr();
    let task = tokio::spawn(server.serve(app));
    Running {
        addr,
        shutdown: Some(tx),
        task,
    }
}

async fn start(app: App) -> Running {
    start_with(app, |server| server).await
}

type Client = WebSocketStream<TcpStream>;

async fn connect(addr: std::net::SocketAddr, path: &str) -> Client {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (client, response) = client_async(format!("ws://{addr}{path}"), tcp)
        .await
        .expect("handshake");
    assert_eq!(response.status(), 101);
    client
}

/// The next frame the server sends: a message, or its close frame.
async fn next(client: &mut Client) -> WsMessage {
    tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .expect("an answer in time")
        .expect("a frame")
        .expect("a valid frame")
}

fn close_code(message: &WsMessage) -> Option<u16> {
    match message {
        WsMessage::Close(Some(CloseFrame { code, .. })) => Some(u16::from(*code)),
        _ => None,
    }
}

#[tokio::test]
async fn echoes_text_and_binary_over_a_real_socket() {
    let server = start(app()).await;
    let mut client = connect(server.addr, "/ws").await;
    client.send(WsMessage::text("hello")).await.expect("send");
    assert_eq!(next(&mut client).await, WsMessage::text("hello"));
    let big = vec![7u8; 1024 * 1024];
    client
        .send(WsMessage::binary(big.clone()))
        .await
        .expect("send");
    assert_eq!(next(&mut client).await, WsMessage::binary(big));
}

#[tokio::test]
async fn a_mounted_app_upgrades_its_own_websocket_route() {
    let inner = App::new().websocket("/echo", echo).build().expect("valid");
    let server = start(app().mount("/v1", inner)).await;
    let mut client = connect(server.addr, "/v1/echo").await;
    client.send(WsMessage::text("mounted")).await.expect("send");
    assert_eq!(next(&mut client).await, WsMessage::text("mounted"));
}

#[tokio::test]
async fn a_client_close_is_answered_with_its_code_and_reason() {
    let server = start(app()).await;
    let mut client = connect(server.addr, "/ws").await;
    client
        .send(WsMessage::Close(Some(CloseFrame {
            code: 4000.into(),
            reason: "done".into(),
        })))
        .await
        .expect("send");
    let answer = next(&mut client).await;
    assert_eq!(close_code(&answer), Some(4000));
}

#[tokio::test]
async fn a_ping_is_answered_with_a_pong_carrying_its_payload() {
    let server = start(app()).await;
    let mut client = connect(server.addr, "/ws").await;
    client
        .send(WsMessage::Ping(b"payload-123"[..].into()))
        .await
        .expect("send");
    assert_eq!(
        next(&mut client).await,
        WsMessage::Pong(b"payload-123"[..].into())
    );
}

#[tokio::test]
async fn invalid_utf8_in_a_text_message_closes_with_1007() {
    let server = start(app()).await;
    let mut client = connect(server.addr, "/ws").await;
    let frame = Frame::message(vec![0xff, 0xfe, 0x41], OpCode::Data(Data::Text), true);
    client.send(WsMessage::Frame(frame)).await.expect("send");
    assert_eq!(close_code(&next(&mut client).await), Some(1007));
}

/// The close frame's code and reason.
fn close_of(message: &WsMessage) -> Option<(u16, String)> {
    match message {
        WsMessage::Close(Some(CloseFrame { code, reason })) => {
            Some((u16::from(*code), reason.as_str().to_owned()))
        }
        _ => None,
    }
}

#[tokio::test]
async fn a_reserved_opcode_closes_with_1002() {
    let server = start(app()).await;
    let mut client = connect(server.addr, "/ws").await;
    let frame = Frame::message(vec![1, 2, 3], OpCode::Data(Data::Reserved(3)), true);
    client.send(WsMessage::Frame(frame)).await.expect("send");
    assert_eq!(
        close_of(&next(&mut client).await),
        Some((1002, "invalid opcode".to_owned()))
    );
}

#[tokio::test]
async fn protocol_errors_close_with_uvicorns_reasons() {
    let server = start(app()).await;
    let cases: [(Frame, &str); 3] = [
        (
            Frame::message(vec![1], OpCode::Data(Data::Continue), true),
            "unexpected continuation frame",
        ),
        (
            Frame::message(vec![1], OpCode::Data(Data::Text), false),
            "expected a continuation frame",
        ),
        (Frame::ping(vec![0u8; 126]), "control frame too long"),
    ];
    for (frame, reason) in cases {
        let mut client = connect(server.addr, "/ws").await;
        let mut frames = vec![frame];
        if reason == "expected a continuation frame" {
            frames.push(Frame::message(vec![2], OpCode::Data(Data::Text), true));
        }
        for frame in frames {
            client.send(WsMessage::Frame(frame)).await.expect("send");
        }
        assert_eq!(
            close_of(&next(&mut client).await),
            Some((1002, reason.to_owned())),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn an_oversize_message_closes_with_1009() {
    let server = start(app()).await;
    let mut client = connect(server.addr, "/ws").await;
    client
        .send(WsMessage::binary(vec![0u8; 1024 * 1024 + 17]))
        .await
        .expect("send");
    // uvicorn's reason.
    assert_eq!(
        close_of(&next(&mut client).await),
        Some((
            1009,
            "frame with 1048593 bytes exceeds limit of 1048592 bytes".to_owned()
        ))
    );
}

/// A raw handshake on `tcp`; returns the response head.
async fn raw_handshake(tcp: &mut TcpStream, extra: &str) -> String {
    let request = format!(
        "GET /ws HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    );
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tcp.read(&mut byte).await.expect("read");
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&head));
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test]
async fn an_unmasked_frame_closes_with_1002() {
    let server = start(app()).await;
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    let head = raw_handshake(&mut tcp, "sec-websocket-version: 13\r\n").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // Speaking as a server is how tungstenite sends frames unmasked.
    let mut unmasked = WebSocketStream::from_raw_socket(tcp, Role::Server, None).await;
    unmasked.send(WsMessage::text("hi")).await.expect("send");
    let mut tcp = unmasked.into_inner();
    let mut answer = [0u8; 4];
    tcp.read_exact(&mut answer).await.expect("a close frame");
    // FIN + close opcode, no mask, 19 bytes of payload: 1002 and
    // uvicorn's reason.
    assert_eq!(answer, [0x88, 19, 0x03, 0xea]);
    let mut reason = [0u8; 17];
    tcp.read_exact(&mut reason).await.expect("the reason");
    assert_eq!(&reason, b"incorrect masking");
}

#[tokio::test]
async fn a_wrong_version_gets_400_with_the_supported_version() {
    let server = start(app()).await;
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    let head = raw_handshake(&mut tcp, "sec-websocket-version: 8\r\n").await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(head.contains("sec-websocket-version: 13\r\n"), "{head}");
    assert!(
        head.contains("content-type: text/plain; charset=utf-8\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn a_refused_handshake_gets_403_with_an_empty_body() {
    async fn refuse(mut ws: WebSocket) -> sluice::Result<()> {
        ws.close(1008, "").await?;
        Ok(())
    }
    let server = start(App::new().websocket("/ws", refuse)).await;
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    let head = raw_handshake(&mut tcp, "sec-websocket-version: 13\r\n").await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert!(head.contains("content-length: 0\r\n"), "{head}");
    assert!(
        head.contains("content-type: text/plain; charset=utf-8\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn a_vanishing_client_ends_its_handler_and_the_server_keeps_serving() {
    let (seen, mut ends) = mpsc::unbounded_channel::<u16>();
    let app = App::new().websocket("/ws", move |mut ws: WebSocket| {
        let seen = seen.clone();
        async move {
            ws.accept().await?;
            loop {
                match ws.recv().await {
                    Ok(message) => ws.send(message).await?,
                    Err(WebSocketError::Disconnected(frame)) => {
                        let _ = seen.send(frame.code);
                        return Ok::<(), sluice::Error>(());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    });
    let server = start(app).await;
    for _ in 0..20 {
        let mut client = connect(server.addr, "/ws").await;
        client.send(WsMessage::text("x")).await.expect("send");
        assert_eq!(next(&mut client).await, WsMessage::text("x"));
        // Gone without a close frame.
        drop(client);
        let code = tokio::time::timeout(Duration::from_secs(5), ends.recv())
            .await
            .expect("the handler noticed")
            .expect("a code");
        assert_eq!(code, 1006);
    }
    let mut client = connect(server.addr, "/ws").await;
    client.send(WsMessage::text("still")).await.expect("send");
    assert!(matches!(next(&mut client).await, WsMessage::Text(t) if t == "still"));
}

#[tokio::test]
async fn a_client_that_does_not_read_slows_its_handler_down() {
    let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<usize>();
    let app = App::new().websocket("/ws", move |mut ws: WebSocket| {
        let sent_tx = sent_tx.clone();
        async move {
            ws.accept().await?;
            let chunk = bytes::Bytes::from(vec![0u8; 64 * 1024]);
            for i in 1..=4096 {
                ws.send(Message::Binary(chunk.clone())).await?;
                let _ = sent_tx.send(i);
            }
            Ok::<(), sluice::Error>(())
        }
    });
    let server = start(app).await;
    let client = connect(server.addr, "/ws").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut sent = 0;
    while let Ok(i) = sent_rx.try_recv() {
        sent = i;
    }
    // 256 MiB would be sent by now without backpressure; the socket
    // buffers hold a few MiB at most.
    assert!(
        sent < 512,
        "{sent} messages of 64 KiB sent to a client that reads nothing"
    );
    drop(client);
}

#[tokio::test]
async fn an_idle_socket_outlives_the_header_read_timeout() {
    let server = start_with(app(), |server| {
        server.header_read_timeout(Some(Duration::from_millis(100)))
    })
    .await;
    let mut client = connect(server.addr, "/ws").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.send(WsMessage::text("awake")).await.expect("send");
    assert_eq!(next(&mut client).await, WsMessage::text("awake"));
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_1001() {
    let mut server = start(app()).await;
    let mut client = connect(server.addr, "/ws").await;
    client.send(WsMessage::text("a")).await.expect("send");
    assert_eq!(next(&mut client).await, WsMessage::text("a"));
    let _ = server.shutdown.take().expect("running").send(());
    assert_eq!(close_code(&next(&mut client).await), Some(1001));
    // The client answers the close (tungstenite sends the queued answer on
    // flush); the server is done within the grace period.
    let _ = client.flush().await;
    let stopped = tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("stopped in time")
        .expect("not panicked");
    assert!(stopped.is_ok());
}

#[tokio::test]
async fn a_plain_get_to_the_websocket_path_is_the_json_404() {
    let server = start(app()).await;
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    tcp.write_all(b"GET /ws HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert!(
        response.ends_with(r#"{"detail":"Not Found"}"#),
        "{response}"
    );
}

/// Reports how each socket ended; pings after 100 ms of silence and gives
/// up 100 ms after an unanswered ping.
fn keepalive_app(ends: mpsc::UnboundedSender<u16>) -> App {
    App::new().websocket("/ws", move |mut ws: WebSocket| {
        let ends = ends.clone();
        async move {
            let accept = Accept::new()
                .ping_interval(Some(Duration::from_millis(100)))
                .ping_timeout(Duration::from_millis(100));
            ws.accept_with(accept).await?;
            loop {
                match ws.recv().await {
                    Ok(message) => ws.send(message).await?,
                    Err(WebSocketError::Disconnected(frame)) => {
                        let _ = ends.send(frame.code);
                        return Ok::<(), sluice::Error>(());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    })
}

#[tokio::test]
async fn a_client_that_answers_no_ping_is_dropped() {
    let (ends_tx, mut ends) = mpsc::unbounded_channel::<u16>();
    let server = start(keepalive_app(ends_tx)).await;
    // Connected, then silent and deaf: what a client behind a cut network
    // looks like.
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    let head = raw_handshake(&mut tcp, "sec-websocket-version: 13\r\n").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let code = tokio::time::timeout(Duration::from_secs(5), ends.recv())
        .await
        .expect("the handler noticed the dead client")
        .expect("a code");
    assert_eq!(code, 1006);
    // On the wire: an empty ping, then the close frame (1011).
    let mut wire = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut wire)).await;
    assert_eq!(&wire[..2], &[0x89, 0x00], "{wire:?}");
    assert_eq!(&wire[2..6], &[0x88, 24, 0x03, 0xf3], "{wire:?}");
}

#[tokio::test]
async fn a_client_that_answers_pings_stays_connected() {
    let (ends_tx, mut ends) = mpsc::unbounded_channel::<u16>();
    let server = start(keepalive_app(ends_tx)).await;
    let mut client = connect(server.addr, "/ws").await;
    // tungstenite answers each ping while it reads.
    let mut pings = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(800);
    while let Ok(frame) = tokio::time::timeout_at(until, client.next()).await {
        match frame.expect("open").expect("a valid frame") {
            WsMessage::Ping(payload) => {
                assert!(payload.is_empty());
                pings += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(pings >= 2, "{pings} pings in 800 ms");
    assert!(ends.try_recv().is_err(), "the socket was dropped");
    client.send(WsMessage::text("alive")).await.expect("send");
    loop {
        match next(&mut client).await {
            WsMessage::Ping(_) => continue,
            other => break assert_eq!(other, WsMessage::text("alive")),
        }
    }
}

/// Sends what the test asks for, once the client says go: the receive
/// limit is 1 KiB.
fn big_sender(messages: Vec<Message>) -> App {
    App::new().websocket("/ws", move |mut ws: WebSocket| {
        let messages = messages.clone();
        async move {
            ws.accept_with(Accept::new().max_message_size(1024)).await?;
            let _ = ws.recv().await?;
            for message in messages {
                ws.send(message).await?;
            }
            ws.close(1000, "").await?;
            Ok::<(), sluice::Error>(())
        }
    })
}

/// One frame the server sent: FIN, opcode, payload.
type RawFrame = (bool, u8, Vec<u8>);

/// Reads the server's frames (unmasked) off `tcp` up to its close frame.
async fn raw_frames_until_close(tcp: &mut TcpStream) -> Vec<RawFrame> {
    let mut frames = Vec::new();
    loop {
        let mut head = [0u8; 2];
        tcp.read_exact(&mut head).await.expect("a frame head");
        let len = match head[1] & 0x7f {
            126 => u64::from(tcp.read_u16().await.expect("a length")),
            127 => tcp.read_u64().await.expect("a length"),
            n => u64::from(n),
        };
        let mut payload = vec![0u8; usize::try_from(len).expect("a length")];
        tcp.read_exact(&mut payload).await.expect("a payload");
        let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
        frames.push((fin, opcode, payload));
        if opcode == 0x8 {
            return frames;
        }
    }
}

/// Connects, says go, and reads the server's frames up to its close.
async fn frames_after_go(addr: std::net::SocketAddr) -> Vec<RawFrame> {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let head = raw_handshake(&mut tcp, "sec-websocket-version: 13\r\n").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut client = WebSocketStream::from_raw_socket(tcp, Role::Client, None).await;
    client.send(WsMessage::text("go")).await.expect("send");
    raw_frames_until_close(&mut client.into_inner()).await
}

#[tokio::test]
async fn the_receive_limit_does_not_limit_what_the_handler_sends() {
    // 256 KiB of binary, and text whose 64 KiB cuts fall inside characters.
    let binary: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    let text = "é€𝄞".repeat(20_000);
    let server = start(big_sender(vec![
        Message::Binary(bytes::Bytes::from(binary.clone())),
        Message::Text(text.clone()),
        Message::Text("small".to_owned()),
    ]))
    .await;
    let mut client = connect(server.addr, "/ws").await;
    client.send(WsMessage::text("go")).await.expect("send");
    assert!(matches!(next(&mut client).await, WsMessage::Binary(b) if b == binary));
    assert!(matches!(next(&mut client).await, WsMessage::Text(t) if t.as_str() == text));
    assert!(matches!(next(&mut client).await, WsMessage::Text(t) if t == "small"));
    assert_eq!(close_code(&next(&mut client).await), Some(1000));
}

#[tokio::test]
async fn a_long_message_goes_out_in_fragments_cut_between_characters() {
    let text = "é€𝄞".repeat(20_000);
    let server = start(big_sender(vec![Message::Text(text.clone())])).await;
    let frames = frames_after_go(server.addr).await;
    let (close, parts) = frames.split_last().expect("frames");
    assert_eq!((close.0, close.1), (true, 0x8));
    // A text frame, then continuations, the last one final; none longer
    // than 64 KiB, and each whole UTF-8 on its own.
    assert!(parts.len() > 1, "{} frames", parts.len());
    for (i, (fin, opcode, payload)) in parts.iter().enumerate() {
        assert_eq!(*opcode, if i == 0 { 0x1 } else { 0x0 }, "frame {i}");
        assert_eq!(*fin, i == parts.len() - 1, "frame {i}");
        assert!(payload.len() <= 64 * 1024, "frame {i}: {}", payload.len());
        assert!(
            std::str::from_utf8(payload).is_ok(),
            "frame {i} cuts a character"
        );
    }
    let whole: Vec<u8> = parts.iter().flat_map(|(_, _, p)| p.clone()).collect();
    assert_eq!(whole, text.as_bytes());
}

#[tokio::test]
async fn a_message_within_the_limit_is_one_frame() {
    let server = start(big_sender(vec![Message::Binary(bytes::Bytes::from(
        vec![7u8; 1000],
    ))]))
    .await;
    let frames = frames_after_go(server.addr).await;
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0], (true, 0x2, vec![7u8; 1000]));
}

#[tokio::test]
async fn with_the_default_limit_a_longer_message_is_sent_too() {
    let size = 17 * 1024 * 1024;
    let app = App::new().websocket("/ws", move |mut ws: WebSocket| async move {
        ws.accept().await?;
        let _ = ws.recv().await?;
        ws.send(Message::Binary(bytes::Bytes::from(vec![1u8; size])))
            .await?;
        ws.close(1000, "").await?;
        Ok::<(), sluice::Error>(())
    });
    let server = start(app).await;
    let tcp = TcpStream::connect(server.addr).await.expect("connect");
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (mut client, _) = tokio_tungstenite::client_async_with_config(
        format!("ws://{}/ws", server.addr),
        tcp,
        Some(config),
    )
    .await
    .expect("handshake");
    client.send(WsMessage::text("go")).await.expect("send");
    let message = tokio::time::timeout(Duration::from_secs(30), client.next())
        .await
        .expect("in time")
        .expect("a message")
        .expect("valid");
    assert!(matches!(message, WsMessage::Binary(b) if b.len() == size));
}

/// A raw handshake to `path`, and everything the server sends in 2 s.
async fn handshake_answer(app: App, path: &str) -> String {
    let server = start(app).await;
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_handshake_never_reaches_an_http_route() {
    // An app without any WebSocket route.
    let answer = handshake_answer(App::new().get("/", || async { "hello" }), "/").await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(!answer.contains("hello"), "{answer}");
    // A mounted app without one, under an app with one.
    let inner = App::new()
        .get("/page", || async { "inner page" })
        .build()
        .expect("a valid app");
    let app = App::new().websocket("/ws", echo).mount("/sub", inner);
    let answer = handshake_answer(app, "/sub/page").await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(!answer.contains("inner page"), "{answer}");
}

/// Turns `GET /?upgrade` into a handshake, as no real middleware would.
async fn make_handshake(mut req: Request, next: Next) -> Response {
    if req.uri().query() == Some("upgrade") {
        let headers = req.headers_mut();
        headers.insert("connection", HeaderValue::from_static("Upgrade"));
        headers.insert("upgrade", HeaderValue::from_static("websocket"));
    }
    next.run(req).await
}

/// The server tells the router that a plain HTTP/1.1 request has no
/// `Upgrade` header, which spares it a look; once a middleware has
/// changed the headers, the router looks again.
#[tokio::test]
async fn a_handshake_made_by_a_middleware_is_told_apart_too() {
    let server = start(
        App::new()
            .get("/", || async { "hello" })
            .middleware(make_handshake),
    )
    .await;
    let mut answers = Vec::new();
    for path in ["/", "/?upgrade"] {
        let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
        let request =
            format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        tcp.read_to_end(&mut out).await.expect("read");
        answers.push(String::from_utf8_lossy(&out).into_owned());
    }
    assert!(answers[0].starts_with("HTTP/1.1 200"), "{}", answers[0]);
    assert!(answers[0].ends_with("hello"), "{}", answers[0]);
    // Told apart as a handshake, and refused as uvicorn refuses one
    // without a key.
    assert!(answers[1].starts_with("HTTP/1.1 400"), "{}", answers[1]);
    assert!(
        answers[1]
            .trim_end()
            .ends_with("missing Sec-WebSocket-Key header."),
        "{}",
        answers[1]
    );
}

#[tokio::test]
async fn a_handler_may_close_with_1014() {
    let app = App::new().websocket("/ws", |mut ws: WebSocket| async move {
        ws.accept().await?;
        ws.close(1014, "upstream down").await?;
        Ok::<(), sluice::Error>(())
    });
    let server = start(app).await;
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    let head = raw_handshake(&mut tcp, "sec-websocket-version: 13\r\n").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // Read as bytes: tungstenite's client would call 1014 a protocol error.
    let frames = raw_frames_until_close(&mut tcp).await;
    let (_, _, payload) = frames.last().expect("a close frame");
    assert_eq!(&payload[..2], &1014u16.to_be_bytes());
    assert_eq!(&payload[2..], b"upstream down");
}
