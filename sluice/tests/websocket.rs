//! WebSockets through the test client: routes, the handshake's answers,
//! messages, closing, the middleware stack and the lifecycle.

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{json, Value};
use sluice::extract::{Headers, Local};
use sluice::middleware::{Cors, GZip, TrustedHost};
use sluice::testing::TestClient;
use sluice::websocket::{Accept, Message, WebSocket, WebSocketError};
use sluice::{
    App, Dep, Dependency, HttpError, Next, Outcome, Path, Query, Request, RequestContext, Response,
    Router, State,
};

async fn echo(mut ws: WebSocket) -> sluice::Result<()> {
    ws.accept().await?;
    loop {
        match ws.recv().await? {
            Message::Text(text) if text == "bye" => {
                ws.close(1000, "bye").await?;
                return Ok(());
            }
            message => ws.send(message).await?,
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ItemQuery {
    q: Option<String>,
}

async fn item(
    Path(item_id): Path<i64>,
    Query(query): Query<ItemQuery>,
    mut ws: WebSocket,
) -> sluice::Result<()> {
    ws.accept().await?;
    ws.send_json(&json!({"item_id": item_id, "q": query.q}))
        .await?;
    ws.close(1000, "").await?;
    Ok(())
}

async fn reject(mut ws: WebSocket) -> sluice::Result<()> {
    ws.close(1008, "").await?;
    Ok(())
}

fn app() -> App {
    App::new()
        .websocket("/ws", echo)
        .websocket("/ws/items/{item_id}", item)
        .websocket("/ws/reject", reject)
}

#[tokio::test]
async fn text_and_binary_messages_echo_in_order() {
    let client = TestClient::new(app());
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.send_text("one").await;
    ws.send_bytes(vec![0u8, 1, 2]).await;
    ws.send_text("three").await;
    assert_eq!(ws.recv().await, Ok(Message::Text("one".into())));
    assert_eq!(&ws.recv_bytes().await[..], &[0, 1, 2]);
    assert_eq!(ws.recv_text().await, "three");
}

#[tokio::test]
async fn a_one_mebibyte_message_arrives_whole() {
    let client = TestClient::new(app());
    let mut ws = client.websocket("/ws").await.expect("accepted");
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    ws.send_bytes(big.clone()).await;
    assert_eq!(ws.recv_bytes().await.to_vec(), big);
}

#[tokio::test]
async fn handler_close_sends_code_and_reason() {
    let client = TestClient::new(app());
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.send_text("bye").await;
    let close = ws.recv_close().await;
    assert_eq!((close.code, close.reason.as_str()), (1000, "bye"));
}

#[tokio::test]
async fn the_101_carries_the_accept_key() {
    let client = TestClient::new(app());
    let ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(
        ws.headers()["sec-websocket-accept"],
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(ws.subprotocol(), None);
}

#[tokio::test]
async fn path_and_query_reach_the_handler() {
    let client = TestClient::new(app());
    let mut ws = client
        .websocket("/ws/items/42?q=a&q=b")
        .await
        .expect("accepted");
    assert_eq!(ws.recv_text().await, r#"{"item_id":42,"q":"b"}"#);
    let close = ws.recv_close().await;
    assert_eq!((close.code, close.reason.as_str()), (1000, ""));
    let mut ws = client.websocket("/ws/items/-3").await.expect("accepted");
    assert_eq!(ws.recv_text().await, r#"{"item_id":-3,"q":null}"#);
}

#[tokio::test]
async fn a_bad_path_parameter_refuses_with_an_empty_403() {
    let client = TestClient::new(app());
    let refused = client
        .websocket("/ws/items/abc")
        .await
        .expect_err("refused");
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(refused.text(), "");
}

#[tokio::test]
async fn closing_before_accepting_refuses_with_403() {
    let client = TestClient::new(app());
    let refused = client.websocket("/ws/reject").await.expect_err("refused");
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.text(), "");
}

#[tokio::test]
async fn returning_before_accepting_refuses_with_403() {
    async fn silent(_ws: WebSocket) {}
    let client = TestClient::new(App::new().websocket("/ws", silent));
    let refused = client.websocket("/ws").await.expect_err("refused");
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn unknown_path_and_trailing_slash_get_403() {
    let client = TestClient::new(app());
    assert_eq!(
        client
            .websocket("/nope")
            .await
            .expect_err("no route")
            .status(),
        403
    );
    assert_eq!(
        client
            .websocket("/ws/")
            .await
            .expect_err("no redirect")
            .status(),
        403
    );
}

#[tokio::test]
async fn plain_get_to_a_websocket_path_is_the_json_404() {
    let client = TestClient::new(app());
    let response = client.get("/ws").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.text(), r#"{"detail":"Not Found"}"#);
    // And no trailing-slash redirect towards a WebSocket-only path.
    assert_eq!(client.get("/ws/").await.status(), 404);
}

#[tokio::test]
async fn http_and_websocket_routes_share_a_path() {
    let app = app().get("/ws", || async { "plain" });
    let client = TestClient::new(app);
    assert_eq!(client.get("/ws").await.text(), "plain");
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.send_text("hi").await;
    assert_eq!(ws.recv_text().await, "hi");
}

#[tokio::test]
async fn a_bad_key_or_version_gets_400() {
    let client = TestClient::new(app());
    let refused = client
        .websocket("/ws")
        .header("sec-websocket-key", "short")
        .await
        .expect_err("bad key");
    assert_eq!(refused.status(), 400);
    assert_eq!(
        refused.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(refused
        .text()
        .starts_with("Failed to open a WebSocket connection: invalid Sec-WebSocket-Key header"));
    let refused = client
        .websocket("/ws")
        .header("sec-websocket-version", "8")
        .await
        .expect_err("bad version");
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.header("sec-websocket-version"), Some("13"));
}

#[tokio::test]
async fn a_client_close_is_answered_with_the_same_code() {
    let client = TestClient::new(app());
    let ws = client.websocket("/ws").await.expect("accepted");
    let answer = ws.close(4001, "done").await;
    assert_eq!(answer.code, 4001);
}

#[tokio::test]
async fn a_ping_is_answered_with_its_payload() {
    let client = TestClient::new(app());
    let mut ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(&ws.ping(&b"are you there"[..]).await[..], b"are you there");
}

#[tokio::test]
async fn returning_after_accepting_closes_with_1000() {
    async fn once(mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        ws.send_text("only").await?;
        Ok(())
    }
    let client = TestClient::new(App::new().websocket("/ws", once));
    let mut ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(ws.recv_text().await, "only");
    assert_eq!(ws.recv_close().await.code, 1000);
}

#[tokio::test]
async fn a_failing_handler_closes_with_1011() {
    async fn fails(mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        Err(sluice::Error::msg("database is gone"))
    }
    let client = TestClient::new(App::new().websocket("/ws", fails)).raise_server_exceptions(false);
    let mut ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(ws.recv_close().await.code, 1011);
}

#[tokio::test]
async fn a_panicking_handler_closes_with_1011() {
    async fn panics(mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        panic!("boom");
    }
    let client =
        TestClient::new(App::new().websocket("/ws", panics)).raise_server_exceptions(false);
    let mut ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(ws.recv_close().await.code, 1011);
}

#[tokio::test]
#[should_panic(expected = "database is gone")]
async fn the_test_client_raises_a_handler_failure() {
    async fn fails(mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        Err(sluice::Error::msg("database is gone"))
    }
    let client = TestClient::new(App::new().websocket("/ws", fails));
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.recv_close().await;
}

#[tokio::test]
async fn failing_before_accepting_is_an_error_response() {
    async fn fails(_ws: WebSocket) -> sluice::Result<()> {
        Err(HttpError::new(401, "Unauthorized"))?
    }
    let client = TestClient::new(App::new().websocket("/ws", fails));
    let refused = client.websocket("/ws").await.expect_err("refused");
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.text(), r#"{"detail":"Unauthorized"}"#);
}

#[tokio::test]
async fn accept_selects_a_subprotocol_and_adds_headers() {
    async fn chat(mut ws: WebSocket) -> sluice::Result<()> {
        let offered = ws.subprotocols().join(",");
        ws.accept_with(
            Accept::new()
                .subprotocol("chat")
                .header("x-offered", offered),
        )
        .await?;
        Ok(())
    }
    let client = TestClient::new(App::new().websocket("/ws", chat));
    let ws = client
        .websocket("/ws")
        .subprotocol("superchat")
        .subprotocol("chat")
        .await
        .expect("accepted");
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert_eq!(ws.headers()["x-offered"], "superchat,chat");
}

#[tokio::test]
async fn an_oversize_message_closes_with_1009() {
    async fn small(mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept_with(Accept::new().max_message_size(8)).await?;
        loop {
            let message = ws.recv().await?;
            ws.send(message).await?;
        }
    }
    let client = TestClient::new(App::new().websocket("/ws", small));
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.send_text("12345678").await;
    assert_eq!(ws.recv_text().await, "12345678");
    ws.send_text("123456789").await;
    assert_eq!(ws.recv_close().await.code, 1009);
}

#[tokio::test]
async fn json_messages_round_trip() {
    async fn double(mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        let value: Value = ws.recv_json().await?;
        ws.send_json(&json!({"double": value["n"].as_i64().unwrap_or(0) * 2}))
            .await?;
        Ok(())
    }
    let client = TestClient::new(App::new().websocket("/ws", double));
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.send_json(&json!({"n": 21})).await;
    assert_eq!(ws.recv_json::<Value>().await, json!({"double": 42}));
}

/// Starlette's `send_json` writes `json.dumps(data, separators=(",", ":"))`:
/// the text of each float is Python's.
#[tokio::test]
async fn json_messages_write_floats_as_python_does() {
    async fn floats(mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        ws.send_json(&json!({"small": 1.5e-7, "large": 1e16, "whole": 2.0}))
            .await?;
        Ok(())
    }
    let client = TestClient::new(App::new().websocket("/ws", floats));
    let mut ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(
        ws.recv_text().await,
        r#"{"small":1.5e-07,"large":1e+16,"whole":2.0}"#
    );
}

#[tokio::test]
async fn recv_after_the_client_closed_is_disconnected_with_its_code() {
    let seen = Arc::new(Mutex::new(None));
    let app = {
        let seen = seen.clone();
        App::new().websocket("/ws", move |mut ws: WebSocket| {
            let seen = seen.clone();
            async move {
                ws.accept().await?;
                let error = ws.recv().await.expect_err("closed");
                if let WebSocketError::Disconnected(frame) = &error {
                    *seen.lock().unwrap() = Some((frame.code, frame.reason.clone()));
                }
                Err::<(), _>(error)
            }
        })
    };
    let client = TestClient::new(app);
    let ws = client.websocket("/ws").await.expect("accepted");
    ws.close(4000, "leaving").await;
    assert_eq!(
        seen.lock().unwrap().clone(),
        Some((4000, "leaving".to_owned()))
    );
}

// The stack.

#[tokio::test]
async fn trusted_host_refuses_a_handshake_for_another_host() {
    let app = app().add_middleware(TrustedHost::new().allowed_hosts(["127.0.0.1", "localhost"]));
    let client = TestClient::new(app);
    let refused = client
        .websocket("/ws")
        .header("host", "evil.example")
        .await
        .expect_err("refused");
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.text(), "Invalid host header");
    let mut ws = client
        .websocket("/ws")
        .header("host", "localhost")
        .await
        .expect("accepted");
    ws.send_text("ok").await;
    assert_eq!(ws.recv_text().await, "ok");
}

#[tokio::test]
async fn https_redirect_sends_a_plain_handshake_to_wss() {
    let client = TestClient::new(app().add_middleware(sluice::middleware::HttpsRedirect::new()));
    let refused = client
        .websocket("/ws?x=1")
        .header("host", "example.com")
        .await
        .expect_err("redirected");
    assert_eq!(refused.status(), 307);
    assert_eq!(refused.header("location"), Some("wss://example.com/ws?x=1"));
}

#[tokio::test]
async fn middleware_sees_the_handshake_and_its_101() {
    async fn tag(req: Request, next: Next) -> Response {
        let is_ws = sluice::websocket::is_websocket_request(req.headers());
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-was-websocket", is_ws.to_string().parse().unwrap());
        response
    }
    let client = TestClient::new(app().middleware(tag));
    let ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(ws.headers()["x-was-websocket"], "true");
    assert_eq!(
        client.get("/nope").await.header("x-was-websocket"),
        Some("false")
    );
}

#[tokio::test]
async fn middleware_can_refuse_the_handshake_and_pass_values_to_the_handler() {
    #[derive(Clone)]
    struct User(String);

    async fn auth(req: Request, next: Next) -> Result<Response, HttpError> {
        let user = req
            .header("authorization")
            .ok_or_else(|| HttpError::new(401, "Unauthorized"))?
            .to_owned();
        req.locals().insert(User(user));
        Ok(next.run(req).await)
    }
    async fn whoami(Local(user): Local<User>, mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        ws.send_text(user.0).await?;
        Ok(())
    }
    let client = TestClient::new(App::new().websocket("/ws", whoami).middleware(auth));
    let refused = client.websocket("/ws").await.expect_err("no credentials");
    assert_eq!(refused.status(), 401);
    let mut ws = client
        .websocket("/ws")
        .header("authorization", "alice")
        .await
        .expect("accepted");
    assert_eq!(ws.recv_text().await, "alice");
}

#[tokio::test]
async fn cors_and_gzip_leave_the_handshake_alone() {
    let app = app()
        .add_middleware(GZip::new())
        .add_middleware(Cors::new().allow_origins(["http://localhost"]));
    let client = TestClient::new(app);
    let ws = client
        .websocket("/ws")
        .header("origin", "http://localhost")
        .header("accept-encoding", "gzip")
        .await
        .expect("accepted");
    assert!(ws.headers().get("access-control-allow-origin").is_none());
    assert!(ws.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn router_websocket_routes_get_the_prefix_and_router_middleware() {
    async fn mark(req: Request, next: Next) -> Response {
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-router", "yes".parse().unwrap());
        response
    }
    let router = Router::new().websocket("/echo", echo).middleware(mark);
    let client = TestClient::new(App::new().include_router("/chat", router));
    let ws = client.websocket("/chat/echo").await.expect("accepted");
    assert_eq!(ws.headers()["x-router"], "yes");
}

#[tokio::test]
async fn state_and_headers_extractors_work() {
    #[derive(Deserialize, schemars::JsonSchema)]
    struct Hdrs {
        user_agent: String,
    }
    async fn greet(
        State(greeting): State<&'static str>,
        Headers(h): Headers<Hdrs>,
        mut ws: WebSocket,
    ) -> sluice::Result<()> {
        ws.accept().await?;
        ws.send_text(format!("{greeting}, {}", h.user_agent))
            .await?;
        Ok(())
    }
    let client = TestClient::new(App::new().state("hello").websocket("/ws", greet));
    let mut ws = client
        .websocket("/ws")
        .header("user-agent", "tester")
        .await
        .expect("accepted");
    assert_eq!(ws.recv_text().await, "hello, tester");
}

// The lifecycle.

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().expect("not poisoned").push(event.into());
    }
    fn events(&self) -> Vec<String> {
        self.0.lock().expect("not poisoned").clone()
    }
}

struct Db {
    log: Log,
}

impl Dependency for Db {
    async fn enter(
        _parts: &mut sluice::http::request::Parts,
        cx: &RequestContext,
    ) -> sluice::Result<Self> {
        let log = cx.state::<Log>().cloned().unwrap_or_default();
        log.push("dep:enter");
        Ok(Db { log })
    }

    async fn exit(&self, outcome: &Outcome) {
        self.log.push(format!("dep:exit ok={}", outcome.is_ok()));
    }
}

#[tokio::test]
async fn dependency_cleanup_runs_when_the_socket_closes() {
    async fn uses_db(db: Dep<Db>, mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        db.log.push("accepted");
        let text = ws.recv_text().await?;
        db.log.push(format!("got {text}"));
        Ok(())
    }
    let log = Log::default();
    let client = TestClient::new(App::new().state(log.clone()).websocket("/ws", uses_db));
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.send_text("hi").await;
    assert!(!log.events().iter().any(|e| e.starts_with("dep:exit")));
    assert_eq!(ws.recv_close().await.code, 1000);
    assert_eq!(
        log.events(),
        ["dep:enter", "accepted", "got hi", "dep:exit ok=true"]
    );
}

#[tokio::test]
async fn dependency_cleanup_sees_a_failed_session() {
    async fn fails(_db: Dep<Db>, mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        Err(sluice::Error::msg("broken"))
    }
    let log = Log::default();
    let client = TestClient::new(App::new().state(log.clone()).websocket("/ws", fails))
        .raise_server_exceptions(false);
    let mut ws = client.websocket("/ws").await.expect("accepted");
    assert_eq!(ws.recv_close().await.code, 1011);
    assert_eq!(log.events(), ["dep:enter", "dep:exit ok=false"]);
}

#[tokio::test]
async fn dependency_cleanup_runs_when_the_client_leaves() {
    async fn waits(db: Dep<Db>, mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        let _ = ws.recv().await;
        db.log.push("client gone");
        Ok(())
    }
    let log = Log::default();
    let client = TestClient::new(App::new().state(log.clone()).websocket("/ws", waits));
    let ws = client.websocket("/ws").await.expect("accepted");
    ws.close(1000, "").await;
    assert_eq!(
        log.events(),
        ["dep:enter", "client gone", "dep:exit ok=true"]
    );
}

#[tokio::test]
async fn authentication_refuses_a_handshake_and_hands_the_principal_to_the_handler() {
    use sluice::extract::Extension;
    use sluice::middleware::{Authentication, Rejection};

    #[derive(Clone)]
    struct User(String);

    async fn verify(token: String) -> Result<User, Rejection> {
        match token.as_str() {
            "alice-token" => Ok(User("alice".into())),
            _ => Err(Rejection::unauthorized()),
        }
    }
    async fn whoami(Extension(user): Extension<User>, mut ws: WebSocket) -> sluice::Result<()> {
        ws.accept().await?;
        ws.send_text(user.0).await?;
        Ok(())
    }
    // Browsers cannot set `Authorization` on a WebSocket: a query key.
    let app = App::new()
        .websocket("/ws", whoami)
        .add_middleware(Authentication::api_key_query("token", verify));
    let client = TestClient::new(app);
    let refused = client.websocket("/ws").await.expect_err("no token");
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.text(), r#"{"detail":"Unauthorized"}"#);
    let refused = client
        .websocket("/ws?token=mallory")
        .await
        .expect_err("bad token");
    assert_eq!(refused.status(), 401);
    let mut ws = client
        .websocket("/ws?token=alice-token")
        .await
        .expect("accepted");
    assert_eq!(ws.recv_text().await, "alice");
}

#[tokio::test]
async fn the_session_is_in_the_handler_and_a_change_before_accept_sets_the_cookie() {
    use sluice::middleware::sessions::{Session, Sessions};

    const SECRET: &str = "a secret of thirty-two bytes or more, for tests";

    async fn login(session: Session) -> sluice::Result<&'static str> {
        session.insert("user", "alice")?;
        Ok("ok")
    }
    async fn chat(session: Session, mut ws: WebSocket) -> sluice::Result<()> {
        let Some(user) = session.get::<String>("user") else {
            // Refuses the handshake: 403.
            return ws.close(1008, "").await.map_err(Into::into);
        };
        session.insert("visits", 1)?;
        ws.accept().await?;
        ws.send_text(format!("hello {user}")).await?;
        Ok(())
    }
    let app = App::new()
        .post("/login", login)
        .websocket("/ws", chat)
        .add_middleware(Sessions::new(SECRET));
    let client = TestClient::new(app);

    let refused = client.websocket("/ws").await.expect_err("no session");
    assert_eq!(refused.status(), 403);

    let res = client.post("/login").await;
    let cookie = res
        .header("set-cookie")
        .expect("a session cookie")
        .split(';')
        .next()
        .expect("name=value")
        .to_owned();
    let mut ws = client
        .websocket("/ws")
        .header("cookie", &cookie)
        .await
        .expect("accepted");
    assert_eq!(ws.recv_text().await, "hello alice");
    // The change made before `accept` is saved on the 101.
    let set_cookie = ws
        .headers()
        .get("set-cookie")
        .expect("the changed session's cookie")
        .to_str()
        .expect("ascii");
    assert!(set_cookie.starts_with("session="), "{set_cookie}");
    assert_ne!(set_cookie.split(';').next(), Some(cookie.as_str()));
    assert_eq!(
        ws.headers().get("vary").map(|v| v.as_bytes()),
        Some(&b"Cookie"[..])
    );
}

#[tokio::test]
async fn proxy_headers_and_request_id_act_on_the_handshake() {
    use sluice::extract::Extension;
    use sluice::middleware::{ProxyHeaders, ReqId, RequestId};
    use sluice::ClientAddr;

    #[derive(Clone)]
    struct SchemeSeen(String);

    async fn scheme(req: Request, next: Next) -> Result<Response, HttpError> {
        req.locals().insert(SchemeSeen(req.scheme().to_owned()));
        Ok(next.run(req).await)
    }
    async fn who(
        client: ClientAddr,
        Extension(id): Extension<ReqId>,
        Local(scheme): Local<SchemeSeen>,
        mut ws: WebSocket,
    ) -> sluice::Result<()> {
        ws.accept().await?;
        ws.send_text(format!("{} {} {}", client.host(), scheme.0, id))
            .await?;
        Ok(())
    }
    let app = App::new()
        .websocket("/ws", who)
        .middleware(scheme)
        .add_middleware(RequestId::new())
        .add_middleware(ProxyHeaders::new().trusted(["127.0.0.1"]));
    let client = TestClient::new(app).client_addr("127.0.0.1:5000".parse().expect("addr"));
    let mut ws = client
        .websocket("/ws")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "wss")
        .header("x-request-id", "abc-123")
        .await
        .expect("accepted");
    assert_eq!(
        ws.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"abc-123"[..])
    );
    assert_eq!(ws.recv_text().await, "203.0.113.9 wss abc-123");
}

/// A client that stops reading fills the connection; `send` gives up after
/// the send timeout with 1006 instead of waiting as long as TCP would,
/// though the handler never calls `recv`.
#[tokio::test]
async fn send_to_a_client_that_stops_reading_gives_up_after_the_send_timeout() {
    let (ended_tx, ended) = tokio::sync::oneshot::channel();
    let ended_tx = Arc::new(Mutex::new(Some(ended_tx)));
    let app = App::new().websocket("/ws", move |mut ws: WebSocket| {
        let ended_tx = ended_tx.clone();
        async move {
            let timeout = std::time::Duration::from_millis(200);
            ws.accept_with(Accept::new().send_timeout(Some(timeout)))
                .await?;
            let chunk = "x".repeat(16 * 1024);
            let mut sent = 0;
            let error = loop {
                let started = std::time::Instant::now();
                match ws.send_text(chunk.as_str()).await {
                    Ok(()) => sent += 1,
                    Err(error) => break (error, started.elapsed()),
                }
            };
            let tx = ended_tx.lock().unwrap().take();
            let _ = tx.expect("one socket").send((sent, error));
            Ok::<(), sluice::Error>(())
        }
    });
    let client = TestClient::new(app);
    let _deaf = client.websocket("/ws").await.expect("accepted");
    let (sent, (error, waited)) = tokio::time::timeout(std::time::Duration::from_secs(10), ended)
        .await
        .expect("send gave up")
        .expect("the handler reported");
    assert!(sent >= 1, "the buffers took some messages first");
    match error {
        WebSocketError::Disconnected(frame) => assert_eq!(frame.code, 1006),
        other => panic!("expected 1006, got {other:?}"),
    }
    assert!(
        waited >= std::time::Duration::from_millis(200),
        "gave up after {waited:?}, before the timeout"
    );
}

#[tokio::test]
async fn a_handshake_under_a_mount_reaches_the_mounted_app() {
    // The outer app has WebSocket routes of its own, and the mounted app
    // answers under its prefix, as Starlette's `Mount` passes WebSocket
    // scopes on.
    let inner = App::new().websocket("/echo", echo).build().expect("valid");
    let client = TestClient::new(app().mount("/v1", inner));
    let mut ws = client.websocket("/v1/echo").await.expect("accepted");
    ws.send_text("through the mount").await;
    assert_eq!(ws.recv_text().await, "through the mount");
    // Nothing at that path in the mounted app: refused, as any unknown path.
    let refused = client.websocket("/v1/nope").await.expect_err("refused");
    assert_eq!(refused.status(), 403);
    // The outer app's own routes still answer.
    let mut ws = client.websocket("/ws").await.expect("accepted");
    ws.send_text("outer").await;
    assert_eq!(ws.recv_text().await, "outer");
}
