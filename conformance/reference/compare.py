"""Differential check: the same raw requests to the FastAPI reference and to conformance-app.

Shared by cmp_*.py (see README.md). SUT: the conformance-app binary (default
target/debug/conformance-app from the repository root); REF_PYTHON: a Python
with fastapi==0.165.0, starlette==1.10.0, uvicorn[standard]==0.54.0.
"""
import atexit, json, os, socket, subprocess, sys, time, re
PROCS = []
atexit.register(lambda: [p.terminate() for p in PROCS])
HERE = os.path.dirname(os.path.abspath(__file__))
SUT = os.environ.get("SUT", os.path.join(HERE, "..", "..", "target", "debug", "conformance-app"))
PY = os.environ.get("REF_PYTHON", sys.executable)

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start_ref(module, extra=()):
    port = free_port()
    p = subprocess.Popen([PY, "-m", "uvicorn", f"{module}:app", "--port", str(port), "--http", "httptools", "--log-level", "warning", *extra],
                         cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append(p); wait(port); return p, port

def start_sut(scenario):
    port = free_port()
    p = subprocess.Popen([SUT, scenario, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append(p); wait(port); return p, port

def wait(port):
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); return
        except OSError: time.sleep(0.05)
    raise SystemExit(f"no server on {port}")

def send(port, method, path, headers=(), body=b"", host=b"example.com"):
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + host]
    for k, v in headers:
        lines.append(k.encode() + b": " + (v if isinstance(v, bytes) else v.encode("latin1")))
    if body or method in ("POST", "PUT"):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return send_raw(port, b"\r\n".join(lines) + b"\r\n\r\n" + body)

def send_raw(port, raw):
    """Sends a request as it is written (it should close the connection)
    and reads the answer: status, headers (lower-case name: values), body
    (de-chunked)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(raw)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk: break
        data += chunk
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    hl = head.split(b"\r\n")
    try:
        status = int(hl[0].split()[1])
    except (IndexError, ValueError):
        status = 0
    hs = {}
    for l in hl[1:]:
        k, _, v = l.partition(b":")
        hs.setdefault(k.strip().lower().decode(), []).append(v.strip().decode("latin1"))
    if "transfer-encoding" in hs:
        out = b""; r = rest
        while r:
            n, _, r = r.partition(b"\r\n"); n = int(n, 16)
            if n == 0: break
            out += r[:n]; r = r[n+2:]
        rest = out
    return status, hs, rest

IGNORE = {"date", "server", "content-length", "connection", "transfer-encoding", "x-process-time"}
def norm(resp, port):
    status, hs, body = resp
    h = {k: v for k, v in hs.items() if k not in IGNORE}
    if "location" in h: h["location"] = [x.replace(str(port), "{PORT}") for x in h["location"]]
    if "set-cookie" in h: h["set-cookie"] = [re.sub(r"^session=([^;]+)", lambda m: "session=" + ("null" if m.group(1)=="null" else "<v>"), x) for x in h["set-cookie"]]
    if "vary" in h: h["vary"] = sorted(t.strip().lower() for x in h["vary"] for t in x.split(","))
    if "content-type" in h: h["content-type"] = [x.replace(" ", "").lower() for x in h["content-type"]]
    try: b = json.loads(body)
    except Exception: b = body
    if isinstance(b, dict) and isinstance(b.get("detail"), list):
        for d in b["detail"]:
            if isinstance(d, dict): d.pop("msg", None); d.pop("url", None); d.pop("ctx", None)
    return status, h, b
