"""The static scenario, request by request, against Starlette's StaticFiles.

Etags are each server's own (conditional requests use the etag that server
returned); multipart boundaries and gzip bytes are compared after decoding."""
import gzip as gz
from compare import *

def norm_static(resp, port):
    status, hs, body = resp
    if hs.get("content-encoding") == ["gzip"] and body:
        body = gz.decompress(body)
    ctype = (hs.get("content-type") or [""])[0]
    if "boundary=" in ctype:
        b = ctype.split("boundary=")[1].encode()
        body = body.replace(b, b"BOUNDARY")
        hs["content-type"] = [ctype.split("boundary=")[0] + "boundary=BOUNDARY"]
    status, h, body = norm((status, hs, body), port)
    if "etag" in h: h["etag"] = ["<etag>"]
    if status == 400: body = "<400 text, not compared>"  # SCENARIOS.md: Starlette's text is its own
    h.pop("vary", None) if status == 304 else None
    return status, h, body

r, rp = start_ref("staticapp"); s, sp = start_sut("static")
tags = {p: send(p, "GET", "/static/hello.txt")[1]["etag"][0] for p in (rp, sp)}
DATE = "Thu, 01 Jan 2026 00:00:00 GMT"
G = ("Accept-Encoding", "gzip")
paths = ["/", "/static", "/static/", "/static/hello.txt", "/static/data.json", "/static/big.txt",
         "/static/bytes.bin", "/static/sub", "/static/sub/", "/static/sub?a=1", "/static/sub/page.html",
         "/static/with%20space.txt", "/static/%C3%BCn%C3%AF.txt", "/static/missing", "/static/sub/missing",
         "/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/..%2Fsecret.txt",
         "/static/%2e%2e%2fsecret.txt", "/static//etc/passwd", "/static/%2Fetc%2Fpasswd",
         "/static/hello.txt%00", "/static/" + "a" * 300, "/static/a%5Cb", "/static/%5Chello.txt",
         "/static/sub/../hello.txt", "/static/./hello.txt", "/static//hello.txt", "/static/sub%2Fpage.html",
         "/static/hello.txt/", "/static/sub/%2e%2e/%2e%2e/secret.txt", "/static/index.html",
         "/static/404.html", "/static/sub/..", "/static/sub/.", "/static/%2e", "/static/.."]
cases = []
for p in paths:
    for m in ("GET", "HEAD"):
        cases.append((m, p, lambda port: []))
    cases.append(("GET", p, lambda port: [G]))
for m in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
    for p in ("/static/hello.txt", "/static/missing", "/static/sub"):
        cases.append((m, p, lambda port: []))
INM = lambda port: [("If-None-Match", tags[port])]
for hs in (INM, lambda port: [("If-None-Match", "W/" + tags[port])], lambda port: [("If-None-Match", '"x", ' + tags[port])],
           lambda port: [("If-None-Match", "*")], lambda port: [("If-None-Match", '"nope"')],
           lambda port: [("If-Modified-Since", DATE)], lambda port: [("If-Modified-Since", "Wed, 31 Dec 2025 23:59:59 GMT")],
           lambda port: [("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")], lambda port: [("If-Modified-Since", "garbage")],
           lambda port: [("If-None-Match", '"nope"'), ("If-Modified-Since", DATE)],
           lambda port: [("If-Modified-Since", "Thursday, 01-Jan-26 00:00:00 GMT")],
           lambda port: [("If-Modified-Since", "Thu Jan  1 00:00:00 2026")]):
    for p in ("/static/hello.txt", "/static/missing", "/static/big.txt"):
        for m in ("GET", "HEAD"):
            cases.append((m, p, hs))
ranges = ["bytes=0-4", "bytes=5-", "bytes=-3", "bytes=0-0", "bytes=12-12", "bytes=13-", "bytes=-0", "bytes=0-100",
          "bytes=0-1,3-4", "bytes=3-4,0-1", "bytes=0-3,2-6", "bytes=0-1,2-3", "bytes=0-1,20-30", "bytes=x",
          "bytes=", "bytes=4-2", "items=0-1", "bytes=0-1, 3-4", " bytes=0-1", "bytes=-", "bytes=1-1,-2",
          "bytes=" + ",".join(f"{i}-{i}" for i in range(101)), "bytes=" + ",".join(f"{i}-{i}" for i in range(13)),
          "bytes=0-4,", "bytes=00-04", "bytes=+1-2", "bytes=0-4;x"]
for rg in ranges:
    for p in ("/static/hello.txt", "/static/big.txt", "/static/missing"):
        cases.append(("GET", p, lambda port, rg=rg: [("Range", rg)]))
        cases.append(("GET", p, lambda port, rg=rg: [("Range", rg), G]))
    cases.append(("HEAD", "/static/hello.txt", lambda port, rg=rg: [("Range", rg)]))
for ir in (lambda port: tags[port], lambda port: "W/" + tags[port], lambda port: DATE, lambda port: '"nope"',
           lambda port: "Wed, 31 Dec 2025 23:59:59 GMT", lambda port: "garbage"):
    cases.append(("GET", "/static/hello.txt", lambda port, ir=ir: [("Range", "bytes=0-4"), ("If-Range", ir(port))]))
fails = 0
for method, path, hs in cases:
    a = norm_static(send(rp, method, path, hs(rp)), rp); b = norm_static(send(sp, method, path, hs(sp)), sp)
    if a != b:
        fails += 1; print("DIFF", method, path, hs(sp), "\n  ref", a, "\n  sut", b)
print("static", len(cases), "cases,", fails, "differ")
