"""FastAPI twin of the `body` scenario (SCENARIOS.md), served by uvicorn --http httptools.

Started by ../lib.py (start_ref("bodyapp")).
"""
from fastapi import FastAPI, Request, Response
app = FastAPI()

@app.middleware("http")
async def body_length(request: Request, call_next):
    body = await request.body()
    response = await call_next(request)
    response.headers["x-body-length"] = str(len(body))
    return response

@app.post("/echo")
async def echo(request: Request):
    body = await request.body()
    headers = {}
    if "content-type" in request.headers:
        headers["content-type"] = request.headers["content-type"]
    return Response(content=body, headers=headers)
