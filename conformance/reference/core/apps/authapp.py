"""FastAPI twin of the `auth` scenario (SCENARIOS.md), served by uvicorn --http httptools.

Started by ../lib.py (start_ref("authapp")); every GET route also answers HEAD as SCENARIOS.md asks.
"""
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
app = FastAPI()
GH = ["GET", "HEAD"]

@app.middleware("http")
async def authenticate(request: Request, call_next):
    if request.url.path == "/health" and request.method in ("GET", "HEAD"):
        return await call_next(request)
    if request.headers.get("Authorization") != "Bearer valid_token":
        return JSONResponse({"detail": "Unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return await call_next(request)

@app.api_route("/protected", methods=GH)
async def protected():
    return {"message": "This is a protected route"}

@app.api_route("/health", methods=GH)
async def health():
    return {"status": "ok"}
