"""FastAPI twin of the `order` scenario (SCENARIOS.md), served by uvicorn --http httptools.

Started by ../lib.py (start_ref("orderapp")); every GET route also answers HEAD as SCENARIOS.md asks.
"""
from fastapi import FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware
app = FastAPI()
GH = ["GET", "HEAD"]

def mark_in(request, name):
    if not hasattr(request.state, "trail"):
        request.state.trail = []
    request.state.trail.append(name)

def mark_out(response, name):
    prev = response.headers.get("x-out")
    response.headers["x-out"] = f"{prev},{name}" if prev else name

class A(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        mark_in(request, "A")
        response = await call_next(request)
        mark_out(response, "A")
        return response

class B(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        mark_in(request, "B")
        response = await call_next(request)
        mark_out(response, "B")
        return response

app.add_middleware(A)
app.add_middleware(B)

@app.middleware("http")
async def c(request: Request, call_next):
    mark_in(request, "C")
    response = await call_next(request)
    mark_out(response, "C")
    return response

@app.api_route("/trail", methods=GH)
async def trail(request: Request):
    return {"trail": request.state.trail}
