"""Random raw requests to the FastAPI twin of `perf-stack` (app.py, uvicorn +
httptools) and to `conformance-app perf-stack`: methods, paths, hosts,
tokens, origins, preflight headers, Accept-Encodings, cookies. Prints how
many answers are the same and the first differences.

    REF_PYTHON=/path/to/python SUT=target/release/conformance-app \\
        python3 conformance/reference/perf_stack/run.py [N] [SEED]

Two differences are SCENARIOS.md's "must differ" and are taken out of
FastAPI's answer before comparing: its function middleware re-streams every
body, so its GZip compresses bodies below `minimum_size` and adds
`Vary: Accept-Encoding` to every answer; sluice leaves such a body as it
is, and it does not vary. A 405's `allow` is not compared (sluice lists
every method of the path, HEAD too).
"""
import gzip
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("SUT", os.path.join(HERE, "..", "..", "..", "target", "release", "conformance-app"))
from compare import PROCS, PY, free_port, norm, send_raw, start_sut, wait  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 600
R = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)


def start_ref():
    port = free_port()
    p = subprocess.Popen([PY, "-m", "uvicorn", "app:app", "--port", str(port), "--http", "httptools", "--log-level", "warning"],
                         cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append(p)
    wait(port)
    return p, port


def request():
    method = R.choice(["GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "OPTIONS", "PUT", "DELETE"])
    path = R.choice(["/hello", "/hello", "/hello/", "/nope", "/", "/hello?x=1", "/HELLO"])
    headers = [("Host", R.choice(["example.com", "localhost:8000", "a.b", "[::1]"]))]
    if R.random() < 0.7:
        headers.append(("Authorization", R.choice(["Bearer valid_token", "Bearer valid_token", "Bearer x", "bearer valid_token", "Basic abc", ""])))
    if R.random() < 0.7:
        headers.append(("Origin", R.choice(["http://localhost", "http://localhost:8080", "http://evil.com", "null", "HTTP://LOCALHOST"])))
    if R.random() < 0.4:
        headers.append(("Access-Control-Request-Method", R.choice(["GET", "POST", "FOO", ""])))
    if R.random() < 0.3:
        headers.append(("Access-Control-Request-Headers", R.choice(["authorization", "x-custom, content-type", ""])))
    if R.random() < 0.6:
        headers.append(("Accept-Encoding", R.choice(["gzip", "gzip, deflate, br", "identity", "br"])))
    if R.random() < 0.1:
        headers.append(("Cookie", "a=1"))
    R.shuffle(headers)
    lines = [f"{method} {path} HTTP/1.1".encode()] + [k.encode() + b": " + v.encode() for k, v in headers]
    body = b""
    if method in ("POST", "PUT"):
        body = b'{"a":1}'
        lines += [b"Content-Type: application/json", b"Content-Length: 7"]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def without_must_differ(answer):
    """FastAPI's answer as it would be without its re-streaming (above)."""
    status, headers, body = answer
    if status == 405:
        headers.pop("allow", None)
    if headers.get("content-encoding") == ["gzip"]:
        del headers["content-encoding"]
        body = gzip.decompress(body)
        try:
            body = json.loads(body)
        except ValueError:
            pass
    if "vary" in headers:
        headers["vary"] = [t for t in headers["vary"] if t != "accept-encoding"]
        if not headers["vary"]:
            del headers["vary"]
    return status, headers, body


def main():
    (ref, ref_port), (sut, sut_port) = start_ref(), start_sut("perf-stack")
    same = shown = 0
    try:
        for _ in range(N):
            raw = request()
            ref_answer, sut_answer = send_raw(ref_port, raw), send_raw(sut_port, raw)
            a = without_must_differ(norm(ref_answer, ref_port))
            b = norm(sut_answer, sut_port)
            # compare.py leaves the value of x-process-time out; whether it
            # is there counts.
            a[1]["x-process-time"] = "x-process-time" in ref_answer[1]
            b[1]["x-process-time"] = "x-process-time" in sut_answer[1]
            if b[0] == 405:
                b[1].pop("allow", None)
            if a == b:
                same += 1
            elif shown < 12:
                shown += 1
                print("----", raw.split(b"\r\nConnection")[0], "\n  ref", a, "\n  sut", b)
    finally:
        ref.terminate(); sut.terminate()
    print("perf-stack: %d requests, %d the same, %d differ" % (N, same, N - same))


main()
