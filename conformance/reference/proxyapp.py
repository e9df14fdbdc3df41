from fastapi import FastAPI, Request
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
app = FastAPI()
app.add_middleware(HTTPSRedirectMiddleware)
@app.get("/whoami")
async def whoami(request: Request):
    return {"client": request.client.host, "scheme": request.url.scheme}
