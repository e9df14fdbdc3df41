"""FastAPI twin of the `gzip` scenario (SCENARIOS.md), served by uvicorn --http httptools.

Started by ../lib.py (start_ref("gzipapp")); every GET route also answers HEAD as SCENARIOS.md asks.
"""
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import PlainTextResponse, StreamingResponse
app = FastAPI()
app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=9)
GH = ["GET", "HEAD"]

@app.api_route("/large", methods=GH, response_class=PlainTextResponse)
async def large():
    return "x" * 4000

@app.api_route("/small", methods=GH, response_class=PlainTextResponse)
async def small():
    return "x" * 10

@app.api_route("/stream", methods=GH)
async def stream():
    async def gen():
        for _ in range(10):
            yield b"x" * 100
    return StreamingResponse(gen(), media_type="text/plain")

@app.api_route("/encoded", methods=GH)
async def encoded():
    return PlainTextResponse("x" * 4000, headers={"Content-Encoding": "text"})

@app.api_route("/events", methods=GH)
async def events():
    async def gen():
        for _ in range(40):
            yield "data: " + "x" * 92 + "\n\n"
    return StreamingResponse(gen(), media_type="text/event-stream")
