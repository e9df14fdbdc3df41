"""Raw HTTP/1.1 differential harness: FastAPI twin (uvicorn+httptools) vs conformance-app.

Shared by the scripts of this directory (see ../README.md); not run by itself.
SUT: the conformance-app binary (default <repo>/target/release/conformance-app);
REF_PYTHON: a Python with fastapi==0.165.0, starlette==1.10.0,
uvicorn[standard]==0.54.0 (default: this Python); OUT: outputs go to $OUT/out
(default: a new temporary directory).
"""
import atexit, gzip, json, os, re, socket, subprocess, sys, tempfile, time, zlib
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PY = os.environ.get("REF_PYTHON", sys.executable)
SUT = os.environ.get("SUT", os.path.join(REPO, "target", "release", "conformance-app"))
_OUT = []
def out_dir():
    """$OUT/out (created), or out/ in a new temporary directory when OUT is not set."""
    if not _OUT:
        d = os.path.join(os.environ.get("OUT") or tempfile.mkdtemp(prefix="sluice-core-"), "out")
        os.makedirs(d, exist_ok=True); _OUT.append(d)
    return _OUT[0]
PROCS = []
def _cleanup():
    for p in PROCS:
        try: p.terminate(); p.wait(3)
        except Exception: pass
atexit.register(_cleanup)

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def wait(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); return
        except OSError: time.sleep(0.05)
    raise SystemExit(f"no server on {port}")

def start_ref(module, log=None):
    port = free_port()
    p = subprocess.Popen([PY, "-m", "uvicorn", f"{module}:app", "--port", str(port), "--http", "httptools", "--log-level", "warning"],
                         cwd=os.path.join(HERE, "apps"), stdout=subprocess.DEVNULL,
                         stderr=open(log, "w") if log else subprocess.DEVNULL)
    PROCS.append(p); wait(port); return p, port

def start_sut(scenario, log=None):
    port = free_port()
    p = subprocess.Popen([SUT, scenario, "--port", str(port)], stdout=subprocess.DEVNULL,
                         stderr=open(log, "w") if log else subprocess.DEVNULL)
    PROCS.append(p); wait(port); return p, port

def alive(port):
    try: socket.create_connection(("127.0.0.1", port), timeout=0.5).close(); return True
    except OSError: return False

class Resp:
    def __init__(self, status, reason, version, headers, body, framing):
        self.status, self.reason, self.version, self.headers, self.body, self.framing = status, reason, version, headers, body, framing
    def h(self, name):
        return [v for k, v in self.headers if k.lower() == name]
    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:200]!r}>"

def parse_one(buf, head_req):
    """Parse one response from buf; returns (Resp, rest) or None if incomplete."""
    i = buf.find(b"\r\n\r\n")
    if i < 0: return None
    lines = buf[:i].split(b"\r\n")
    first = lines[0].split(b" ", 2)
    try:
        version = first[0].decode(); status = int(first[1]); reason = first[2].decode("latin1") if len(first) > 2 else ""
    except Exception:
        return Resp(-1, "", "", [], buf, "garbage"), b""
    hs = []
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        hs.append((k.strip().decode("latin1").lower(), v.strip().decode("latin1")))
    rest = buf[i+4:]
    hd = {k: v for k, v in hs}
    if head_req or status in (204, 304) or 100 <= status < 200:
        return Resp(status, reason, version, hs, b"", "none"), rest
    if "chunked" in hd.get("transfer-encoding", "").lower():
        out = b""; r = rest
        while True:
            j = r.find(b"\r\n")
            if j < 0: return None
            n = int(r[:j].split(b";")[0], 16)
            if n == 0:
                k = r.find(b"\r\n\r\n", j)
                if k < 0:
                    # trailers absent: expect \r\n right after
                    if r[j+2:j+4] == b"\r\n": return Resp(status, reason, version, hs, out, "chunked"), r[j+4:]
                    return None
                return Resp(status, reason, version, hs, out, "chunked"), r[k+4:]
            if len(r) < j + 2 + n + 2: return None
            out += r[j+2:j+2+n]; r = r[j+2+n+2:]
    if "content-length" in hd:
        n = int(hd["content-length"])
        if len(rest) < n: return None
        return Resp(status, reason, version, hs, rest[:n], "length"), rest[n:]
    return ("until-close", Resp(status, reason, version, hs, rest, "close"))

def exchange(port, raw, heads=(False,), timeout=4.0, linger=0.25, chunks=None, delay=0.0):
    """Send raw bytes (or list of chunks with delay), read all responses.
    heads: per expected response, whether it answers a HEAD. Returns (responses, closed, extra_bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if chunks:
            for c in chunks:
                s.sendall(c); time.sleep(delay)
        else:
            s.sendall(raw)
    except OSError:
        pass
    buf = b""; resps = []; closed = False
    deadline = time.time() + timeout
    idx = 0
    lingering = None
    while True:
        # parse what we can
        while buf:
            hr = heads[idx] if idx < len(heads) else heads[-1]
            r = parse_one(buf, hr)
            if r is None or isinstance(r, tuple) and r[0] == "until-close": break
            resp, buf = r
            resps.append(resp)
            if resp.status >= 200 or resp.status < 0: idx += 1
        now = time.time()
        if now > deadline: break
        complete = idx >= len(heads)
        if complete and lingering is None: lingering = now + linger
        if lingering and now > lingering: break
        s.settimeout(max(0.01, min(deadline, lingering or deadline) - now))
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            closed = True; break
        if not data:
            closed = True; break
        buf += data
    if buf:
        hr = heads[idx] if idx < len(heads) else heads[-1]
        r = parse_one(buf, hr)
        if isinstance(r, tuple) and r and r[0] == "until-close":
            resps.append(r[1]); buf = b""
    s.close()
    return resps, closed, buf

IGN = {"date", "server"}
def norm_resp(r, port, keep_len=True):
    if r is None: return None
    hs = {}
    for k, v in r.headers:
        if k in IGN: continue
        if k == "x-process-time":
            v = "<float>" if re.fullmatch(r"\d+(\.\d+)?(e-?\d+)?", v) else "BAD:" + v
        if k == "location": v = v.replace(str(port), "{PORT}")
        if k in ("vary", "allow"): v = ", ".join(sorted(t.strip().lower() for t in v.split(",")))
        if k == "content-type": v = v.replace(" ", "").lower()
        hs.setdefault(k, []).append(v)
    body = r.body
    enc = hs.get("content-encoding", [""])[0]
    if enc == "gzip" and body:
        try: body = b"GZIP:" + gzip.decompress(body)
        except Exception as e: body = b"BADGZIP:" + body
    try:
        j = json.loads(body) if body else None
        if isinstance(j, (dict, list)): body = ("json", json.dumps(j, sort_keys=True))
    except Exception:
        pass
    return (r.status, tuple(sorted((k, tuple(v)) for k, v in hs.items())), body)

def fmt(resps, closed, port):
    out = []
    for r in resps:
        out.append(norm_resp(r, port))
    return out

def build(method, path, headers=(), body=b"", host="{HOST}", version="HTTP/1.1", cl=True, close=True):
    lines = [f"{method} {path} {version}".encode("latin1") if isinstance(path, str) else method.encode() + b" " + path + b" " + version.encode()]
    if host is not None:
        lines.append(b"Host: " + (host.encode("latin1") if isinstance(host, str) else host))
    for k, v in headers:
        lines.append((k.encode("latin1") if isinstance(k, str) else k) + b": " + (v.encode("latin1") if isinstance(v, str) else v))
    if cl and (body or method in ("POST", "PUT", "PATCH")):
        lines.append(b"Content-Length: %d" % len(body))
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body

def fill(raw, port):
    return raw.replace(b"{HOST}", f"127.0.0.1:{port}".encode()).replace(b"{PORT}", str(port).encode())
