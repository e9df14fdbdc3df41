from typing import Any
from fastapi import FastAPI, Request, Body
from starlette.middleware.sessions import SessionMiddleware
app = FastAPI()
app.add_middleware(SessionMiddleware, secret_key="conformance-secret")
@app.get("/session")
async def get_session(request: Request):
    return {"session": request.session}
@app.put("/session/{key}")
async def put_session(key: str, request: Request, value: Any = Body()):
    request.session[key] = value
    return {"session": request.session}
@app.delete("/session")
async def delete_session(request: Request):
    request.session.clear()
    return {"session": {}}
@app.get("/public")
async def public():
    return {"ok": True}
