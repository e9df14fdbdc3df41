//! A chat with rooms over WebSockets: `POST /login` starts a session, the
//! handshake to `/ws/{room}` is authenticated by that session (the browser
//! sends the cookie with it), and everyone in a room sees what anyone in it
//! says. The front end is three static files in `static/`, embedded in the
//! binary and served from `/` and `/static/`.
//!
//! The handshake is an ordinary request that passes through `Sessions`, so
//! the handler reads the user from the session before it accepts; without
//! one it closes before accepting, which refuses the handshake with `403`.
//! Each room is a `tokio::sync::broadcast` channel kept in the app's state,
//! removed when its last member leaves.
//!
//! ```sh
//! SESSION_SECRET=$(openssl rand -base64 32) cargo run -p example-websocket-chat
//! # then open http://127.0.0.1:8000/ in two browser windows
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Deserialize;
use serde_json::{json, Value};
use sluice::middleware::sessions::{Session, Sessions};
use sluice::websocket::{Message, WebSocket, WebSocketError};
use sluice::{App, Html, HttpError, Json, Path, State};
use tokio::sync::broadcast;

/// The longest user or room name.
const MAX_NAME: usize = 32;

/// How many lines a slow member may fall behind before it misses some.
const ROOM_BACKLOG: usize = 64;

/// The open rooms, by name.
#[derive(Clone, Default)]
struct Rooms(Arc<Mutex<HashMap<String, broadcast::Sender<String>>>>);

impl Rooms {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<String>>> {
        // A panic while holding the lock leaves the map as it was.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Joins `room` (opening it if needed): where to say things, and where
    /// to hear them.
    fn join(&self, room: &str) -> (broadcast::Sender<String>, broadcast::Receiver<String>) {
        let mut rooms = self.lock();
        let sender = rooms
            .entry(room.to_owned())
            .or_insert_with(|| broadcast::channel(ROOM_BACKLOG).0)
            .clone();
        let receiver = sender.subscribe();
        (sender, receiver)
    }

    /// Closes `room` once nobody listens.
    fn leave(&self, room: &str) {
        let mut rooms = self.lock();
        if rooms.get(room).is_some_and(|s| s.receiver_count() == 0) {
            rooms.remove(room);
        }
    }

    /// How many rooms are open.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

fn valid_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name.chars().count() <= MAX_NAME
        && !name.chars().any(char::is_control)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Login {
    name: String,
}

/// Starts the user's session (a real app checks a password first).
async fn login(session: Session, Json(login): Json<Login>) -> sluice::Result<Json<Value>> {
    if !valid_name(&login.name) {
        return Err(HttpError::new(422, "A name is 1 to 32 characters").into());
    }
    session.regenerate();
    session.insert("user", &login.name)?;
    Ok(Json(json!({ "user": login.name })))
}

/// One member of a room, from the handshake until the socket closes.
async fn chat(
    Path(room): Path<String>,
    State(rooms): State<Rooms>,
    session: Session,
    mut ws: WebSocket,
) -> sluice::Result<()> {
    let user = session.get::<String>("user");
    let Some(user) = user.filter(|_| valid_name(&room)) else {
        // Closing before accepting refuses the handshake: 403.
        ws.close(1008, "").await?;
        return Ok(());
    };
    ws.accept().await?;
    let (room_tx, mut room_rx) = rooms.join(&room);
    let _ = room_tx.send(format!("{user} joined {room}"));
    let ended = loop {
        tokio::select! {
            said = ws.recv() => match said {
                Ok(Message::Text(text)) => {
                    let _ = room_tx.send(format!("{user}: {text}"));
                }
                Ok(Message::Binary(_)) => {}
                Err(e) => break e,
            },
            heard = room_rx.recv() => {
                let line = match heard {
                    Ok(line) => line,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        format!("({missed} messages missed)")
                    }
                    Err(broadcast::error::RecvError::Closed) => continue,
                };
                // Waits while this member's connection is slow; the room
                // goes on, and this member misses lines instead.
                if let Err(e) = ws.send_text(line).await {
                    break e;
                }
            }
        }
    };
    let _ = room_tx.send(format!("{user} left"));
    drop(room_rx);
    rooms.leave(&room);
    match ended {
        // The member left (or the server is shutting down).
        WebSocketError::Disconnected(_) => Ok(()),
        e => Err(e.into()),
    }
}

const INDEX_HTML: &str = include_str!("../static/index.html");
const CHAT_JS: &str = include_str!("../static/chat.js");
const CHAT_CSS: &str = include_str!("../static/chat.css");

fn app_with(secret: &str, rooms: Rooms) -> App {
    App::new()
        .get("/", || async { Html(INDEX_HTML) })
        .get("/static/chat.js", || async {
            (
                [("content-type", "text/javascript; charset=utf-8")],
                CHAT_JS,
            )
        })
        .get("/static/chat.css", || async {
            ([("content-type", "text/css; charset=utf-8")], CHAT_CSS)
        })
        .post("/login", login)
        .websocket("/ws/{room}", chat)
        .state(rooms)
        .add_middleware(Sessions::new(secret))
}

fn app(secret: &str) -> App {
    app_with(secret, Rooms::default())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("SESSION_SECRET")
        .map_err(|_| "set SESSION_SECRET (e.g. `openssl rand -base64 32`)")?;
    app(&secret).run("127.0.0.1:8000").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::{TestClient, TestWebSocket};

    const SECRET: &str = "the example's secret, 32 bytes or more";

    async fn log_in(client: &TestClient, name: &str) -> String {
        let res = client.post("/login").json(&json!({ "name": name })).await;
        assert_eq!(res.status(), 200, "{}", res.text());
        let set_cookie = res.header("set-cookie").expect("a session cookie");
        set_cookie.split(';').next().expect("name=value").to_owned()
    }

    async fn join(client: &TestClient, name: &str, room: &str) -> TestWebSocket {
        let cookie = log_in(client, name).await;
        let mut ws = client
            .websocket(&format!("/ws/{room}"))
            .header("cookie", &cookie)
            .await
            .expect("accepted");
        // Once its own arrival is heard, the member hears everything after.
        assert_eq!(ws.recv_text().await, format!("{name} joined {room}"));
        ws
    }

    #[tokio::test]
    async fn the_front_end_is_served() {
        let client = TestClient::new(app(SECRET));
        let page = client.get("/").await;
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(page.text().contains(r#"<script src="/static/chat.js">"#));
        let js = client.get("/static/chat.js").await;
        assert_eq!(
            js.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert!(js.text().contains("new WebSocket("));
        let css = client.get("/static/chat.css").await;
        assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    }

    #[tokio::test]
    async fn a_handshake_without_a_session_is_refused() {
        let client = TestClient::new(app(SECRET));
        let refused = client.websocket("/ws/lobby").await.expect_err("refused");
        assert_eq!(refused.status(), 403);
        let forged = client
            .websocket("/ws/lobby")
            .header("cookie", "session=eyJ1c2VyIjoibWFsbG9yeSJ9.forged")
            .await
            .expect_err("refused");
        assert_eq!(forged.status(), 403);
    }

    #[tokio::test]
    async fn a_bad_name_cannot_log_in() {
        let client = TestClient::new(app(SECRET));
        let res = client.post("/login").json(&json!({ "name": " " })).await;
        assert_eq!(res.status(), 422);
        assert_eq!(res.header("set-cookie"), None);
    }

    #[tokio::test]
    async fn members_of_a_room_hear_each_other_and_no_one_else() {
        let rooms = Rooms::default();
        let client = TestClient::new(app_with(SECRET, rooms.clone()));
        let mut alice = join(&client, "alice", "lobby").await;
        let mut bob = join(&client, "bob", "lobby").await;
        assert_eq!(alice.recv_text().await, "bob joined lobby");
        let mut carol = join(&client, "carol", "kitchen").await;
        assert_eq!(rooms.len(), 2);

        alice.send_text("hi bob").await;
        assert_eq!(alice.recv_text().await, "alice: hi bob");
        assert_eq!(bob.recv_text().await, "alice: hi bob");
        carol.send_text("anyone?").await;
        assert_eq!(carol.recv_text().await, "carol: anyone?");

        assert_eq!(bob.close(1000, "").await.code, 1000);
        assert_eq!(alice.recv_text().await, "bob left");
        // Alice heard nothing from the kitchen.
        alice.send_text("bye").await;
        assert_eq!(alice.recv_text().await, "alice: bye");
    }

    #[tokio::test]
    async fn a_room_closes_when_its_last_member_leaves() {
        let rooms = Rooms::default();
        let client = TestClient::new(app_with(SECRET, rooms.clone()));
        let alice = join(&client, "alice", "lobby").await;
        assert_eq!(rooms.len(), 1);
        alice.close(1000, "").await;
        for _ in 0..100 {
            if rooms.len() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the empty room is still open");
    }
}
