"""The static scenario (SCENARIOS.md): StaticFiles(html=True) at /static,
GET / beside it, behind GZip(minimum_size=500); the tree is written into a
fresh temporary directory at import, every file dated 2026-01-01T00:00:00Z."""
import contextlib, os, shutil, tempfile
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

MODIFIED = 1_767_225_600
TREE = {
    "index.html": b"<h1>home</h1>\n", "hello.txt": b"hello, world\n", "data.json": b'{"a":1}\n',
    "big.txt": b"0123456789" * 1000, "bytes.bin": bytes(range(256)), "sub/index.html": b"<p>sub</p>\n",
    "sub/page.html": b"<p>page</p>\n", "with space.txt": b"space\n", "ünï.txt": b"unicode\n",
    "404.html": b"<h1>not here</h1>\n", "../secret.txt": b"secret\n",
}
base = tempfile.mkdtemp(prefix="sluice-ref-static-")
public = os.path.join(base, "public")
for name, content in TREE.items():
    path = os.path.normpath(os.path.join(public, name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)
    os.utime(path, (MODIFIED, MODIFIED))

@contextlib.asynccontextmanager
async def lifespan(app):
    # uvicorn re-raises SIGTERM after its shutdown, so atexit never runs.
    yield
    shutil.rmtree(base, ignore_errors=True)

app = FastAPI(lifespan=lifespan)
@app.get("/")
async def root(): return {"Hello": "World"}
app.mount("/static", StaticFiles(directory=public, html=True))
app.add_middleware(GZipMiddleware, minimum_size=500)
