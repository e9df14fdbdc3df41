"""Random raw requests to the FastAPI twin (app.py, uvicorn + httptools) and to
conformance-app, for the cors, cors-wildcard, cors-regex, trusted-host and
https-redirect scenarios; prints how many answers are the same and the first
differences (status, headers, body; date, server, content-length and the value
of x-process-time ignored, vary compared as a set of lower-case tokens).

    REF_PYTHON=/path/to/python SUT=target/release/conformance-app \
        python3 conformance/reference/middleware/run.py cors 600 [seed]

What is left out of the random requests, because the two differ there by
design or by their HTTP parsers (README.md, "Known differences"): unknown,
lower-case and HEAD methods, trailing whitespace or a raw LF in a header
value, more than one Host line, a percent-encoded path in a redirect (sluice
keeps it as sent), `[::1]:80` (Starlette writes `https://::1/`), and
X-Forwarded-Proto (uvicorn applies it from 127.0.0.1 by default; the
proxy-headers scenarios test it).
"""
import os, random, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("SUT", os.path.join(HERE, "..", "..", "..", "target", "release", "conformance-app"))
from compare import norm as norm_common, send_raw, start_ref, start_sut  # noqa: E402


def start(kind):
    os.environ["KIND"] = kind  # read by app.py
    return start_ref("middleware.app"), start_sut(kind)


def send(port, raw):
    return send_raw(port, raw)


def norm(resp, port):
    status, headers, body = norm_common(resp, port)
    # compare.py leaves the header's value out; whether it is there counts.
    headers["x-process-time"] = "x-process-time" in resp[1]
    if status == 405:
        # sluice lists every method of the path (SCENARIOS.md), HEAD too.
        headers.pop("allow", None)
    return status, headers, body


def raw_request(method, target, headers, body=b""):
    lines = [f"{method} {target} HTTP/1.1".encode()]
    for k, v in headers: lines.append(k.encode() + b": " + (v if isinstance(v, bytes) else v.encode("latin1")))
    if body: lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
R = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
ORIGINS = ["http://localhost", "http://localhost:8080", "http://localhost/", "HTTP://LOCALHOST", "http://Localhost", "http://localhost:80",
  "http://localhost:8081", "https://localhost", "http://evil.com", "null", "", " http://localhost", "*",
  "https://app.example.org", "https://a.b.example.org", "https://example.org", "https://app.example.org.evil.com", "https://app.example.orgx",
  "http://app.example.org", "https://.example.org", "https://app.EXAMPLE.org", "HTTPS://app.example.org", "https://app.example.org:443",
  "https://app.example.org/", "https://app.example.org/x", "https://ap p.example.org", "https://\u00e9.example.org",
  "http://localhost, http://localhost:8080", "https://app.example.org:8443"]
METHODS_REQ = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "QUERY", "get", "post", "", "GET, POST", "FOO", " GET", "TRACE", "CONNECT", "G@T"]
HDRS = ["X-Custom", "x-custom", "content-type", "Content-Type", "X-Custom, Content-Type", "x-custom,content-type", " x-custom ", "x-other",
  "X-Custom,,", ",x-custom", "accept", "Authorization", "x-custom, x-custom", "", " ", "accept-language, content-language", "X-CUSTOM",
  "x-custom , accept", "x custom", "content-type, x-other", "Accept, Accept-Language, Content-Language, Content-Type", "x-custom;q=1"]
METHODS = ["GET", "GET", "POST", "OPTIONS", "OPTIONS", "OPTIONS", "PUT", "DELETE", "PATCH", "QUERY"]
PATHS = ["/", "/", "/items", "/nope", "/items/", "/?x=1", "//", "/%2F"]
HOSTS = ["example.com", "EXAMPLE.COM", "example.com:8000", "a.example.com", "a.b.example.com", ".example.com", "example.com.", "www.example.net",
  "example.net", "evil.com", "", "example.com:abc", "[::1]", "example.com:", "user@example.com", "www.example.net:8080", "Www.Example.Net",
  "example.com:80", "example.com:443", "127.0.0.1", "127.0.0.1:80", "xexample.com", "example.com:0", "a.example.com.", "*.example.com", "localhost",
  "example.net:80", "example.net:443", "b\u00e9.example.com", "example.com:99999", "a_b.example.com", "EXAMPLE.com:8080"]
RPATHS = ["/", "/?q=1", "/a/b", "/a?b=c&d", "//x", "/?", "/?q=%20", "/x?q=a#frag", "/caf%C3%A9", "/items/?a=1&a=2", "/.."]
def gen_cors():
    m = R.choice(METHODS); p = R.choice(PATHS); hs = [("Host", "example.com")]
    for _ in range(R.choice([0, 1, 1, 1, 1, 2])): hs.append(("Origin", R.choice(ORIGINS)))
    if R.random() < 0.6 or m.upper() == "OPTIONS":
        if R.random() < 0.85: hs.append(("Access-Control-Request-Method", R.choice(METHODS_REQ)))
    if R.random() < 0.5: hs.append(("Access-Control-Request-Headers", R.choice(HDRS)))
    if R.random() < 0.1: hs.append(("Access-Control-Request-Headers", R.choice(HDRS)))
    if R.random() < 0.1: hs.append(("Access-Control-Request-Private-Network", R.choice(["true", "false", ""])))
    if R.random() < 0.15: hs.append(("Cookie", "a=1"))
    if R.random() < 0.1: hs.append(("Authorization", "Bearer x"))
    R.shuffle(hs)
    body = b""
    if m == "POST" and R.random() < 0.8:
        hs.append(("Content-Type", "application/json")); body = R.choice([b'{"a":1}', b'[1,2]', b'{bad', b'"s"'])
    return raw_request(m, p, hs, body)
def gen_host(kind):
    m = R.choice(["GET", "GET", "GET", "POST", "OPTIONS", "PUT"]); p = R.choice(RPATHS)
    hs = []
    n = R.choice([1, 1, 1, 1, 1, 1, 0])
    for _ in range(n): hs.append(("Host", R.choice(HOSTS)))
    if R.random() < 0.1: hs.append(("Origin", "http://example.com"))
    if m == "POST" and R.random() < 0.5: hs.append(("Content-Type", "application/json")); return raw_request(m, p, hs, b'{"a":1}')
    return raw_request(m, p, hs)
kind = sys.argv[1]; n = int(sys.argv[2])
(r, rp), (s, sp) = start(kind)
same = 0; diffs = []
try:
    for i in range(n):
        raw = gen_cors() if kind.startswith("cors") else gen_host(kind)
        a = norm(send(rp, raw), rp); b = norm(send(sp, raw), sp)
        if a == b: same += 1
        else: diffs.append((raw, a, b))
finally:
    r.terminate(); s.terminate()
print(kind, n, "cases,", same, "same,", len(diffs), "differ")
for raw, a, b in diffs[:int(os.environ.get("SHOW", "15"))]:
    print("----", raw.split(b"\r\nConnection")[0]); print("  ref", a); print("  sut", b)
