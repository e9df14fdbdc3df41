"""The benchmark scenarios written with FastAPI, the way its tutorial teaches.

    python app.py <scenario> [--host 127.0.0.1] [--port 8000]

Same command-line contract as conformance-app: prints
`listening on http://HOST:PORT` once the socket listens, serves with uvicorn
(uvloop, httptools, one worker, no access log) until SIGINT/SIGTERM, and
exits 0; an unknown scenario or a bad flag exits 2.

Scenarios (../../../shared/conformance/SCENARIOS.md):
- perf-bare:  GET /hello -> {"message":"Hello, World!"}, no middleware.
- perf-stack: the same route behind the tutorial stack, outermost first:
  error handling, CORS (as in the `cors` scenario), trusted host
  (allowed_hosts=["*"]), GZip (minimum_size=500), process time, logging at
  debug level (nothing is written: the logger's level is WARNING), and the
  bearer-token check.
- gzip:       GET /large (4000 bytes of "x") and /small behind
  GZipMiddleware(minimum_size=500, compresslevel=9).
"""

import logging
import socket
import sys
import time

import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse

logger = logging.getLogger("bench")


def perf_bare() -> FastAPI:
    app = FastAPI()

    # GET and HEAD, as every sluice route answers (and as the reference app does).
    @app.api_route("/hello", methods=["GET", "HEAD"])
    async def hello():
        return {"message": "Hello, World!"}

    return app


def perf_stack() -> FastAPI:
    app = perf_bare()

    # FastAPI runs the middleware added last first: innermost first here.
    @app.middleware("http")
    async def authenticate(request: Request, call_next):
        if request.url.path != "/health":
            if request.headers.get("Authorization") != "Bearer valid_token":
                return JSONResponse(
                    {"detail": "Unauthorized"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)

    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        logger.debug("request: %s %s", request.method, request.url.path)
        response = await call_next(request)
        logger.debug("response: %s", response.status_code)
        return response

    @app.middleware("http")
    async def add_process_time_header(request: Request, call_next):
        start_time = time.perf_counter()
        response = await call_next(request)
        process_time = time.perf_counter() - start_time
        response.headers["X-Process-Time"] = str(process_time)
        return response

    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["*"])
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["http://localhost", "http://localhost:8080"],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Process-Time"],
        max_age=600,
    )

    @app.middleware("http")
    async def catch_exceptions(request: Request, call_next):
        try:
            return await call_next(request)
        except Exception:
            logger.exception("unhandled error")
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500)

    return app


def gzip() -> FastAPI:
    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=9)

    @app.get("/large")
    async def large():
        return PlainTextResponse("x" * 4000)

    @app.get("/small")
    async def small():
        return PlainTextResponse("x" * 10)

    return app


SCENARIOS = {"perf-bare": perf_bare, "perf-stack": perf_stack, "gzip": gzip}


def parse_args(argv: list[str]) -> tuple[str, str, int]:
    scenario, host, port = None, "127.0.0.1", 8000
    it = iter(argv)
    for arg in it:
        if arg in ("--host", "--port"):
            value = next(it, None)
            if value is None:
                raise ValueError(f"{arg} needs a value")
            if arg == "--host":
                host = value
            elif value.isdigit() and int(value) < 65536:
                port = int(value)
            else:
                raise ValueError(f"--port must be a number from 0 to 65535, got {value!r}")
        elif arg.startswith("-"):
            raise ValueError(f"unknown flag {arg!r}")
        elif scenario is None:
            scenario = arg
        else:
            raise ValueError(f"unexpected argument {arg!r}")
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    return scenario, host, port


def main() -> int:
    try:
        scenario, host, port = parse_args(sys.argv[1:])
    except ValueError as e:
        print(f"app.py: {e}", file=sys.stderr)
        return 2
    app = SCENARIOS[scenario]()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        workers=1,
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=2048,
    )
    print(f"listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
