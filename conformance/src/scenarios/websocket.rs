//! The websocket scenario: echo, path and query input, a refused socket,
//! behind `TrustedHost`.

use serde::{Deserialize, Serialize};
use sluice::middleware::TrustedHost;
use sluice::websocket::{Message, WebSocket};
use sluice::{App, Path, Query};

/// `@app.websocket("/ws")`: echoes text as text and binary as binary;
/// `bye` closes with 1000 and the reason `bye`.
async fn echo(mut websocket: WebSocket) -> sluice::Result<()> {
    websocket.accept().await?;
    loop {
        match websocket.recv().await? {
            Message::Text(text) if text == "bye" => {
                websocket.close(1000, "bye").await?;
                return Ok(());
            }
            message => websocket.send(message).await?,
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ItemQuery {
    q: Option<String>,
}

#[derive(Serialize)]
struct Item {
    item_id: i64,
    q: Option<String>,
}

/// `@app.websocket("/ws/items/{item_id}")` with `q: str | None = None`:
/// sends the item as compact JSON text, then closes with 1000.
async fn item(
    Path(item_id): Path<i64>,
    Query(query): Query<ItemQuery>,
    mut websocket: WebSocket,
) -> sluice::Result<()> {
    websocket.accept().await?;
    websocket
        .send_json(&Item {
            item_id,
            q: query.q,
        })
        .await?;
    websocket.close(1000, "").await?;
    Ok(())
}

/// `@app.websocket("/ws/reject")`: closes before accepting (1008), which
/// refuses the handshake.
async fn reject(mut websocket: WebSocket) -> sluice::Result<()> {
    websocket.close(1008, "").await?;
    Ok(())
}

/// `TrustedHostMiddleware(allowed_hosts=["127.0.0.1", "localhost"])` and
/// the three WebSocket routes.
pub(crate) fn websocket() -> App {
    App::new()
        .websocket("/ws", echo)
        .websocket("/ws/items/{item_id}", item)
        .websocket("/ws/reject", reject)
        .add_middleware(TrustedHost::new().allowed_hosts(["127.0.0.1", "localhost"]))
}
