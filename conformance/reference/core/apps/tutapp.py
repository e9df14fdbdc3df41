"""FastAPI twin of the `tutorial` scenario (SCENARIOS.md), served by uvicorn --http httptools.

Started by ../lib.py (start_ref("tutapp")); every GET route also answers HEAD as SCENARIOS.md asks.
"""
import time
from typing import Any
from fastapi import FastAPI, Request, Body
app = FastAPI()
GH = ["GET", "HEAD"]  # SCENARIOS.md: every GET route also answers HEAD

@app.middleware("http")
async def add_process_time_header(request: Request, call_next):
    start_time = time.perf_counter()
    response = await call_next(request)
    process_time = time.perf_counter() - start_time
    response.headers["X-Process-Time"] = str(process_time)
    return response

@app.api_route("/", methods=GH)
async def root():
    return {"Hello": "World"}

@app.api_route("/items/{item_id}", methods=GH)
async def read_item(item_id: int):
    return {"item_id": item_id}

@app.post("/echo")
async def echo(payload: Any = Body()):
    return payload
