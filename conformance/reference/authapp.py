from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
app = FastAPI()
@app.middleware("http")
async def auth(request: Request, call_next):
    if request.url.path == "/health" and request.method in ("GET", "HEAD"):
        return await call_next(request)
    if request.headers.get("Authorization") != "Bearer valid_token":
        return JSONResponse({"detail": "Unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return await call_next(request)
@app.get("/protected")
async def protected(): return {"message": "This is a protected route"}
@app.get("/health")
async def health(): return {"status": "ok"}
