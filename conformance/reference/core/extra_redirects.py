"""Trailing-slash redirects of the tutorial scenario: status, Location and body start.

Odd paths under /items/5/ (queries, encodings, dot segments, backslashes, absolute-form) times odd
Host headers (none, empty, foreign, IPv6); prints each difference and a count line.
Run: REF_PYTHON=... SUT=... python3 extra_redirects.py  (or via run_all.sh; see ../README.md).
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
_, rp = start_ref("tutapp"); _, sp = start_sut("tutorial")
paths = [b"/items/5/?", b"/items/5/?&", b"/items/5/?a=%zz", b"/items/5/?a=\xc3\xa9", b"/items/5/?a=+b", b"/items/5/??", b"/items/5/?a=%2F&b=/", b"/items/5/?#",
         b"/items/5/;a", b"/items/%35/", b"/items/5/.", b"/items/5/./", b"/items/5/..", b"/items/%2e/", b"/items/5%20/", b"/items/5/%20", b"/items/5/ ",
         b"/items/'5'/", b"/items/5/?q='\"<>", b"/items/5/?q=`^{}|\\", b"/items/5/?q=%00", b"/items/%00/", b"/items/5%00/", b"/items/~5/", b"/items/5~/",
         b"/items/5/?q=a%20b+c", b"/items/%E2%82%AC/", b"/items/\xe2\x82\xac/", b"/items/a%25b/", b"/items/a%2525b/", b"/items/5/?%", b"//items/5/", b"/items//5/",
         b"/./", b"/.", b"/%2e/", b"/items/5/%2e", b"/items/5/%2e/", b"http://evil.com/items/5/", b"/items/5/?next=http://evil.com", b"/\\evil.com/", b"/items/5/\\"]
hosts = [b"{HOST}", b"evil.com", b"evil.com:1", b"[::1]:80", b"", None]
n = d = 0
for p in paths:
    for h in hosts:
        raw = b"GET " + p + b" HTTP/1.1\r\n" + (b"Host: " + h + b"\r\n" if h is not None else b"") + b"Connection: close\r\n\r\n"
        out = []
        for port in (rp, sp):
            rs, _, _ = exchange(port, fill(raw, port))
            r = rs[0] if rs else None
            out.append(None if r is None else (r.status, (r.h("location") or [""])[0].replace(str(port), "{PORT}"), r.body[:80] if r.status != 307 else b""))
        n += 1
        if out[0] != out[1]:
            d += 1; print("DIFF", raw[:80], "\n   ref", out[0], "\n   sut", out[1])
print(n, "requests,", d, "differ")
