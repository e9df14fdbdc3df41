"""FastAPI twin of the `errors` scenario (SCENARIOS.md), served by uvicorn --http httptools.

Started by ../lib.py (start_ref("errorsapp")); every GET route also answers HEAD as SCENARIOS.md asks.
"""
import logging
from fastapi import FastAPI, Request, HTTPException
from fastapi.responses import JSONResponse
logger = logging.getLogger("errors")
app = FastAPI()
GH = ["GET", "HEAD"]

@app.middleware("http")
async def error_handling(request: Request, call_next):
    try:
        return await call_next(request)
    except Exception as exc:
        logger.exception("unhandled error: %s", exc)
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)

@app.api_route("/", methods=GH)
async def root():
    return {"Hello": "World"}

@app.api_route("/error", methods=GH)
async def error():
    raise RuntimeError("the database went away")

@app.api_route("/panic", methods=GH)
async def panic():
    raise AssertionError("the handler panicked")

@app.api_route("/http-error", methods=GH)
async def http_error():
    raise HTTPException(status_code=418, detail="I'm a teapot")
