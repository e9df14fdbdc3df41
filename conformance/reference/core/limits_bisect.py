"""Header and URL size limits of both servers (tutorial scenario), found by bisection.

Prints (largest size with the small-size status, that status, smallest size with another, its status)
for one long header value, a long query string and many headers.
Run: REF_PYTHON=... SUT=... python3 limits_bisect.py  (or via run_all.sh; see ../README.md).
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
_, rp = start_ref("tutapp"); _, sp = start_sut("tutorial")
def st(port, raw):
    rs, _, _ = exchange(port, fill(raw, port), timeout=5)
    return rs[0].status if rs else None
def bisect(port, mk, lo, hi):
    s_lo = st(port, mk(lo))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if st(port, mk(mid)) == s_lo: lo = mid
        else: hi = mid
    return lo, s_lo, hi, st(port, mk(hi))
hdr = lambda n: b"GET / HTTP/1.1\r\nHost: {HOST}\r\nX-A: " + b"a" * n + b"\r\nConnection: close\r\n\r\n"
url = lambda n: b"GET /?" + b"a" * n + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
many = lambda n: b"GET / HTTP/1.1\r\nHost: {HOST}\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(n)) + b"Connection: close\r\n\r\n"
for label, port in (("ref", rp), ("sut", sp)):
    print(label, "header value", bisect(port, hdr, 1000, 2_000_000))
    print(label, "url", bisect(port, url, 1000, 2_000_000))
    print(label, "num headers", bisect(port, many, 1, 3000))
