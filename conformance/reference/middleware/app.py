"""FastAPI twins of the cors, cors-wildcard, cors-regex, trusted-host and https-redirect
scenarios (SCENARIOS.md); the scenario is read from $KIND. Served by run.py."""
import os
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
KIND = os.environ["KIND"]
app = FastAPI()
@app.get("/")
async def root(): return {"Hello": "World"}
if KIND in ("cors", "cors-wildcard"):
    @app.post("/items", status_code=201)
    async def items(item: dict): return item
if KIND == "cors":
    @app.get("/boom")
    async def boom(): raise RuntimeError("boom")
    from tutapp import add_process_time_header  # the tutorial's, as in `tutorial`
    app.middleware("http")(add_process_time_header)
    app.add_middleware(CORSMiddleware, allow_origins=["http://localhost", "http://localhost:8080"], allow_credentials=True,
                       allow_methods=["*"], allow_headers=["*"], expose_headers=["X-Process-Time"], max_age=600)
elif KIND == "cors-wildcard":
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["X-Custom"])
elif KIND == "cors-regex":
    app.add_middleware(CORSMiddleware, allow_origin_regex=r"https://.*\.example\.org", allow_credentials=True)
elif KIND == "trusted-host":
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.com", "www.example.net"])
elif KIND == "https-redirect":
    app.add_middleware(HTTPSRedirectMiddleware)
