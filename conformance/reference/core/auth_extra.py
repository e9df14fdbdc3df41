"""Auth scenario: encoded `?`/`#`/`/` in the path, odd Host headers and absolute-form targets.

Compares status, Location and body start; prints each difference and a count line.
Run: REF_PYTHON=... SUT=... python3 auth_extra.py  (or via run_all.sh; see ../README.md).
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
_, rp = start_ref("authapp"); _, sp = start_sut("auth")
cases = []
for p in [b"/health%3F", b"/health%3Fx", b"/health%23", b"/health%23x", b"/health%3F/", b"/%2Fhealth", b"//health", b"/health?", b"/health#", b"/health%3B"]:
    for m in [b"GET", b"HEAD", b"POST"]:
        cases.append(m + b" " + p + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
for h in [b"evil.com/x", b"a?b", b"a#b", b"a/", b"a@b", b"a b", b"", b"[::1]", b"EXAMPLE.com:80"]:
    for m in [b"GET", b"HEAD", b"POST"]:
        cases.append(m + b" /health HTTP/1.1\r\nHost: " + h + b"\r\nConnection: close\r\n\r\n")
    cases.append(b"GET /protected HTTP/1.1\r\nHost: " + h + b"\r\nAuthorization: Bearer valid_token\r\nConnection: close\r\n\r\n")
    cases.append(b"GET /health/ HTTP/1.1\r\nHost: " + h + b"\r\nAuthorization: Bearer valid_token\r\nConnection: close\r\n\r\n")
cases.append(b"GET http://x/health HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
cases.append(b"GET http://x/y/health HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
d = 0
for raw in cases:
    out = []
    for port in (rp, sp):
        rs, _, _ = exchange(port, fill(raw, port), heads=(raw.startswith(b"HEAD"),))
        r = rs[0] if rs else None
        out.append(None if r is None else (r.status, (r.h("location") or [""])[0].replace(str(port), "{PORT}"), r.body[:60]))
    if out[0] != out[1]:
        d += 1; print("DIFF", raw[:70], "\n   ref", out[0], "\n   sut", out[1])
print(len(cases), "requests,", d, "differ")
