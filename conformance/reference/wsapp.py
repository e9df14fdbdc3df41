"""The websocket scenario (SCENARIOS.md) as a FastAPI user writes it."""
from fastapi import FastAPI, WebSocket
from starlette.middleware.trustedhost import TrustedHostMiddleware

app = FastAPI()
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])


@app.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            if message["text"] == "bye":
                await websocket.close(code=1000, reason="bye")
                return
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@app.websocket("/ws/items/{item_id}")
async def item(websocket: WebSocket, item_id: int, q: str | None = None):
    await websocket.accept()
    await websocket.send_json({"item_id": item_id, "q": q}, mode="text")
    await websocket.close(code=1000)


@app.websocket("/ws/reject")
async def reject(websocket: WebSocket):
    await websocket.close(code=1008)
