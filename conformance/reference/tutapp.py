import time
from typing import Any
from fastapi import FastAPI, Request, Body
app = FastAPI()
@app.middleware("http")
async def add_process_time_header(request: Request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Process-Time"] = str(time.perf_counter() - start)
    return response
@app.get("/")
async def root(): return {"Hello": "World"}
@app.get("/items/{item_id}")
async def read_item(item_id: int): return {"item_id": item_id}
@app.post("/echo")
async def echo(payload: Any = Body()): return payload
