"""FastAPI twin of the `perf-stack` scenario (SCENARIOS.md): the perf-bare route
behind the tutorial stack, outermost first: error handling, CORS (as in `cors`),
trusted host (`*`), GZip (`minimum_size=500`), process time, logging at debug
level, the bearer-token check. Served by run.py."""
import logging
import os
import sys
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tutapp import add_process_time_header  # noqa: E402
logger = logging.getLogger("x")
app = FastAPI()
@app.api_route("/hello", methods=["GET", "HEAD"])
async def hello(): return {"message": "Hello, World!"}
@app.middleware("http")
async def authenticate(request: Request, call_next):
    if request.headers.get("Authorization") != "Bearer valid_token":
        return JSONResponse({"detail": "Unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return await call_next(request)
@app.middleware("http")
async def log_requests(request: Request, call_next):
    logger.debug("%s %s", request.method, request.url.path)
    return await call_next(request)
app.middleware("http")(add_process_time_header)  # the tutorial's, as in `tutorial`
app.add_middleware(GZipMiddleware, minimum_size=500)
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["*"])
app.add_middleware(CORSMiddleware, allow_origins=["http://localhost", "http://localhost:8080"], allow_credentials=True,
                   allow_methods=["*"], allow_headers=["*"], expose_headers=["X-Process-Time"], max_age=600)
@app.middleware("http")
async def error_handling(request: Request, call_next):
    try:
        return await call_next(request)
    except Exception as exc:
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
