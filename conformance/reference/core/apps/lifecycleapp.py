"""FastAPI twin of the `lifecycle` scenario (SCENARIOS.md), served by uvicorn --http httptools.

Started by ../lib.py (start_ref("lifecycleapp")); every GET route also answers HEAD as SCENARIOS.md asks.
"""
from fastapi import FastAPI, Request, Depends, BackgroundTasks, Response
app = FastAPI()
GH = ["GET", "HEAD"]
EVENTS: list[str] = []

@app.middleware("http")
async def log_middleware(request: Request, call_next):
    EVENTS.append("mw:before")
    response = await call_next(request)
    EVENTS.append("mw:after")
    return response

async def resource():
    EVENTS.append("dep:enter")
    try:
        yield
    finally:
        EVENTS.append("dep:exit")

async def background():
    EVENTS.append("background")

@app.post("/work")
async def work(background_tasks: BackgroundTasks, _r=Depends(resource)):
    EVENTS.append("handler")
    background_tasks.add_task(background)
    return {"ok": True}

@app.api_route("/log", methods=GH)
async def read_log():
    return {"events": list(EVENTS)}

@app.delete("/log", status_code=204)
async def clear_log():
    EVENTS.clear()
    return Response(status_code=204)
