"""Case generators per scenario, used by run.py (one function per scenario, named after it).

Each case: {name, raw, heads, ...} or {name, seq: [cases]} (a sequence run on one server, state carried).
http_level() is the transport-level battery (request line, headers, framing, limits, pipelining)
shared by every scenario; httplevel_table.py prints it as a table.
"""
from lib import build
import json

def R(method, path, headers=(), body=b"", name=None, host="{HOST}", version="HTTP/1.1", cl=True, close=True, **kw):
    raw = build(method, path, headers, body, host=host, version=version, cl=cl, close=close)
    d = {"name": name or f"{method} {path!r} {list(headers)!r} {body[:40]!r} host={host!r} {version}", "raw": raw,
         "heads": (method.upper() == "HEAD",)}
    d.update(kw)
    return d

def RAW(name, raw, head=False, **kw):
    d = {"name": name, "raw": raw, "heads": (head,)}
    d.update(kw); return d

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "QUERY", "FOO", "get", "Get"]

def method_battery(paths, methods=METHODS, headers=()):
    out = []
    for p in paths:
        for m in methods:
            out.append(R(m, p, headers))
    return out

HOSTS = [("example.com", True), ("example.com:8080", True), ("EXAMPLE.COM", True), ("[::1]:8000", True), ("[::1]", True),
         ("", True), (None, True), ("a b", True), ("x/y", True), ("evil.com@good.com", True), ("example.com:80", True),
         ("h\xe9.com", True), ("example.com.", True), ("127.0.0.1", True), ("{HOST}", True), ("[::1", True), ("ex%41mple.com", True),
         ("example.com?x", True), ("example.com#f", True), ("example.com:abc", True)]

def redirect_battery(paths, methods=("GET", "HEAD", "POST"), headers=()):
    out = []
    for p in paths:
        for h, _ in HOSTS:
            for m in methods:
                out.append(R(m, p, headers, host=h))
        out.append(R("GET", p, headers, host="{HOST}", version="HTTP/1.0"))
        out.append(R("GET", p, headers, host=None, version="HTTP/1.0"))
        out.append(R("GET", p, list(headers) + [("Host", "second.com")], host="first.com"))
    return out

def http_level(get_path="/", post_path=None, post_ct="application/json", post_body=b'{"a":1}'):
    """Transport-level oddities."""
    P = get_path.encode()
    out = [
        RAW("http10 no host", b"GET " + P + b" HTTP/1.0\r\n\r\n", check_close=True, framing=True),
        RAW("http10 host", b"GET " + P + b" HTTP/1.0\r\nHost: {HOST}\r\n\r\n", check_close=True, framing=True),
        RAW("http10 keepalive", b"GET " + P + b" HTTP/1.0\r\nHost: {HOST}\r\nConnection: keep-alive\r\n\r\n", check_close=True, framing=True),
        RAW("http11 keepalive", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\n\r\n", check_close=True, framing=True),
        RAW("http11 close", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", check_close=True, framing=True),
        RAW("http11 Close upper", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: CLOSE\r\n\r\n", check_close=True),
        RAW("http11 close,keep-alive", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: keep-alive, close\r\n\r\n", check_close=True),
        RAW("http11 no host", b"GET " + P + b" HTTP/1.1\r\nConnection: close\r\n\r\n"),
        RAW("http11 two hosts", b"GET " + P + b" HTTP/1.1\r\nHost: a.com\r\nHost: b.com\r\nConnection: close\r\n\r\n"),
        RAW("http11 empty host", b"GET " + P + b" HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n"),
        RAW("http/1.2", b"GET " + P + b" HTTP/1.2\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("http/2.0", b"GET " + P + b" HTTP/2.0\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("http/0.9", b"GET " + P + b"\r\n\r\n"),
        RAW("garbage", b"GARBAGE\r\n\r\n"),
        RAW("bad version", b"GET " + P + b" FOO/1.1\r\nHost: {HOST}\r\n\r\n"),
        RAW("lowercase version", b"GET " + P + b" http/1.1\r\nHost: {HOST}\r\n\r\n"),
        RAW("space in target", b"GET /a b HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("two spaces", b"GET  " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("LF only", b"GET " + P + b" HTTP/1.1\nHost: {HOST}\nConnection: close\n\n"),
        RAW("obs-fold", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: b\r\n c\r\nConnection: close\r\n\r\n"),
        RAW("obs-fold tab", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: b\r\n\tc\r\nConnection: close\r\n\r\n"),
        RAW("header no colon", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A\r\nConnection: close\r\n\r\n"),
        RAW("header space before colon", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A : b\r\nConnection: close\r\n\r\n"),
        RAW("header name space", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX A: b\r\nConnection: close\r\n\r\n"),
        RAW("header NUL value", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: b\x00c\r\nConnection: close\r\n\r\n"),
        RAW("header latin1 value", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: caf\xe9\r\nConnection: close\r\n\r\n"),
        RAW("header utf8 value", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: caf\xc3\xa9\r\nConnection: close\r\n\r\n"),
        RAW("header CTL value", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: b\x01c\r\nConnection: close\r\n\r\n"),
        RAW("header empty name", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\n: b\r\nConnection: close\r\n\r\n"),
        RAW("header 8k", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: " + b"a" * 8000 + b"\r\nConnection: close\r\n\r\n"),
        RAW("header 16k", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: " + b"a" * 16000 + b"\r\nConnection: close\r\n\r\n"),
        RAW("header 64k", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: " + b"a" * 65536 + b"\r\nConnection: close\r\n\r\n"),
        RAW("header 200k", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: " + b"a" * 200000 + b"\r\nConnection: close\r\n\r\n"),
        RAW("header 1M", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nX-A: " + b"a" * 1000000 + b"\r\nConnection: close\r\n\r\n", timeout=8),
        RAW("headers x99", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(97)) + b"Connection: close\r\n\r\n"),
        RAW("headers x101", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"Connection: close\r\n\r\n"),
        RAW("headers x200", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(200)) + b"Connection: close\r\n\r\n"),
        RAW("url 8k", b"GET " + P + b"?" + b"a" * 8000 + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("url 64k", b"GET " + P + b"?" + b"a" * 65536 + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("url 1M", b"GET " + P + b"?" + b"a" * 1000000 + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", timeout=8),
        RAW("absolute-form", b"GET http://other.com" + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("absolute-form https q", b"GET https://other.com:9" + P + b"?q=1 HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("asterisk OPTIONS", b"OPTIONS * HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("asterisk GET", b"GET * HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("no leading slash", b"GET " + P.lstrip(b"/") + b"x HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("CONNECT authority", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n"),
        RAW("GET with CL body", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"),
        RAW("GET with chunked body", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        RAW("CL abc", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: abc\r\nConnection: close\r\n\r\n"),
        RAW("CL -1", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: -1\r\nConnection: close\r\n\r\n"),
        RAW("CL +1", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: +1\r\nConnection: close\r\n\r\nx"),
        RAW("CL 1,1", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 1, 1\r\nConnection: close\r\n\r\nx"),
        RAW("CL two same", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"),
        RAW("CL two differ", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nxx"),
        RAW("CL huge", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 99999999999999999999999\r\nConnection: close\r\n\r\n"),
        RAW("CL space", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 1 2\r\nConnection: close\r\n\r\nxx"),
        RAW("CL empty", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length:\r\nConnection: close\r\n\r\n"),
        RAW("CL short body then close", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc", timeout=2),
        RAW("CL and TE", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"),
        RAW("TE gzip,chunked", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"),
        RAW("TE identity", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: identity\r\nConnection: close\r\n\r\n"),
        RAW("TE chunked,identity", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked, identity\r\nConnection: close\r\n\r\n0\r\n\r\n"),
        RAW("TE CHUNKED", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: CHUNKED\r\nConnection: close\r\n\r\n0\r\n\r\n"),
        RAW("TE http10 chunked", b"GET " + P + b" HTTP/1.0\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        RAW("bad chunk size", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
        RAW("pipelined two", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\n\r\nGET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", heads=(False, False), check_close=True),
        RAW("pipelined head+get", b"HEAD " + P + b" HTTP/1.1\r\nHost: {HOST}\r\n\r\nGET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", heads=(True, False), check_close=True),
        RAW("leading CRLF", b"\r\nGET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("Expect 100 GET", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"),
        RAW("Expect bogus", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nExpect: bogus\r\nConnection: close\r\n\r\n"),
        RAW("Upgrade h2c", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", timeout=2),
        RAW("Upgrade websocket on http route", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", timeout=2),
        RAW("Upgrade foo", b"GET " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n", timeout=2),
        RAW("Host with port 0", b"GET " + P + b" HTTP/1.1\r\nHost: example.com:0\r\nConnection: close\r\n\r\n"),
        RAW("non-ascii in path raw", b"GET " + P + b"\xc3\xa9 HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("ctl in path", b"GET " + P + b"\x01 HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("tab in path", b"GET " + P + b"\tx HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("fragment in target", b"GET " + P + b"#frag HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("brackets/quotes in query", b"GET " + P + b"?a=[1]&b=\"x\"&c={}|^` HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method too long", b"A" * 100 + b" " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method with digits", b"M1 " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method PRI", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        RAW("method with dash", b"X-FOO " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method LINK", b"LINK " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method PROPFIND", b"PROPFIND " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method MKCOL", b"MKCOL " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method SEARCH", b"SEARCH " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        RAW("method PURGE", b"PURGE " + P + b" HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
    ]
    return out

# ---------------------------------------------------------------- tutorial
ITEM_IDS = ["5", "+5", "-5", "-0", "+0", "0", "007", "-007", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "99999999999999999999999", "18446744073709551615",
            "1.0", "5.0", "5.", ".5", "1e3", "1E3", "5e0", "0x10", "0b1", "0o7", "1_000", "5_", "_5", "+", "-", "+-5", "--5", "++5",
            "%205", "5%20", "%20", "%2B5", "%2D5", "%35", "%09" + "5", "5%09", "%0A5", "%00", "5%00", "%", "%zz", "%25", "%2F", "5%2F", "a%2Fb", "%2F5",
            "%C3%A9", "%D9%A1%D9%A2", "%EF%BC%95", "%E2%81%B5", "%FF", "%C3", "abc", "5a", "a5", "5;x", "5,6", "%5", "%%35",
            "\u0665".encode().decode("latin1"), "NaN", "inf", "-inf", "true", "null", "00000000000000000000000000001", "+00", "-%30",
            " 5".replace(" ", "%20"), "5 5".replace(" ", "%20"), "5%0D", "%E5%8F%82"]

def tutorial():
    cs = []
    paths = ["/", "//", "///", "/?", "/?a=1", "//?a=1", "/?a=1&a=2", "/?%zz", "/#x", "/index.html", "/.", "/./", "/..", "/../",
             "/items", "/items/", "/items/?q=1", "/items//", "/items//5", "/items/5/", "/items/5/?q=1", "/items/5//", "/items/5//?q=1",
             "/items/5/x", "/items/5/x/", "/ITEMS/5", "/Items/5", "/items/./5", "/items/../items/5", "/./items/5", "//items/5",
             "/items/5?", "/items/5?q=%zz&r", "/items/5#frag", "/%69tems/5", "/items%2F5", "/items%2f5", "/items/5%2F", "/items/5%2F?q=1",
             "/items/5%3F", "/items/5%23", "/%2F", "/%2e", "/%2E%2E/items/5", "/echo", "/echo/", "/echo/?q=1", "//echo", "/ECHO",
             "/nope", "/nope/", "/%", "/%zz", "/\u00e9".encode().decode("latin1"), "/%C3%A9", "/%C3%A9/", "/%FF/", "/items/%C3%A9/",
             "/items/%2F/", "/items/%FF/", "/items/5/%2F", "/items/5%2F%2F", "/items/%20/", "/items/+5/", "/items/5;a=b", "/;a", "/items;a/5"]
    for p in paths:
        for m in METHODS:
            cs.append(R(m, p))
    for i in ITEM_IDS:
        cs.append(R("GET", "/items/" + i))
        cs.append(R("HEAD", "/items/" + i))
        cs.append(R("GET", "/items/" + i + "/"))
        cs.append(R("GET", "/items/" + i + "?q=1"))
    cs += redirect_battery(["/items/5/", "/items/5/?a=1&b=%20c", "/items/5//", "/items/%C3%A9/?x=%C3%A9", "/items/a%20b/", "/items/5%2F",
                            "/items/%3Cscript%3E/", "/items/'\"/", "/items/5/?q=a%2Fb#x"])
    # JSON echo
    cts = [None, "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "application/json; charset=latin-1",
           "APPLICATION/JSON", "Application/Json", "application/JSON", "application/vnd.api+json", "application/problem+json",
           "application/ld+json; charset=utf-8", "application/VND.X+JSON", "text/json", "text/plain", "text/plain; charset=utf-8",
           "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", "application/json-patch+json",
           "application/+json", "application/json ", "application/json;", "application/json; foo", "application/json; q=\"x\"",
           "application/x-json", "application/*", "*/*", "", "application", "application/json, text/plain", "application/json+xml",
           "application/xml", "application/octet-stream", "json", "application /json", "application/ json", "application/json\t",
           "application/json;charset=utf-16", "text/html", "image/png", "application/jsonl", "application/x-ndjson", "application/geo+json",
           "application/json; charset=\"utf-8\"", "application/json ;charset=utf-8", "applicatio/json", "APPLICATION/vnd.api+JSON; charset=UTF-8"]
    bodies = [b'{"a":1}', b'[1,2]', b'5', b'-1.5', b'"s"', b'null', b'true', b'false', b'', b'{', b'nul', b'[1,', b' 7 ', b'\n{"a":1}\n',
              b'{"a":[{"b":null}]}', b'1e400', b'-1e400', b'1e-400', b'"\\ud800"', b'"\\udc00\\ud800"', b'123456789012345678901234567890',
              b'12345678901234567890', b'-12345678901234567890', b'9223372036854775807', b'9223372036854775808', b'-9223372036854775809',
              b'18446744073709551615', b'18446744073709551616',
              b'1.0', b'1e5', b'1E5', b'1e+5', b'-0', b'-0.0', b'0.1', b'1.5e300', b'3.141592653589793238462643383279', b'0.30000000000000004',
              b'1e22', b'1e21', b'1e16', b'123456789.123456789', b'5e-324', b'2.2250738585072014e-308', b'1.7976931348623157e308', b'100000000000000000000000.0',
              b'\xef\xbb\xbf{"a":1}', b'\xef\xbb\xbf5', b'\xff\xfe{\x00}\x00', b'\xfe\xff\x00[\x00]', b'{\x00}\x00', b'\x00{\x00}',
              b'{"a":1} x', b'{"a":1}{"b":2}', b'NaN', b'Infinity', b'-Infinity', b'{"a":NaN}', b"'a'", b'{"a":1,"a":2}', b'{"b":1,"a":2}',
              b'{"a":"\\u00e9"}', '{"a":"é"}'.encode(), b'{"a":"\xff"}', b'"\xff"', b'"\xc3"', b'{"a":"\\u0000"}', b'"\\/"', b'"<>&\'"',
              b'"\\u2028\\u2029"', b'"\\ud83d\\ude00"', '"😀"'.encode(), b'{"":1}', b'{"a":{}}', b'[[]]', b'[]', b'{}', b'"', b'""',
              b'01', b'-', b'+1', b'.5', b'1.', b'0x10', b'[1,]', b'{"a":1,}', b'{a:1}', b'/*c*/1', b'1 // c', b'"\t"', b'"a\nb"', b'\t\r\n 1 \t\r\n',
              b'\x0c1', b'\xa01', b'1\x00', b'[' * 100 + b']' * 100, b'[' * 127 + b']' * 127, b'[' * 128 + b']' * 128, b'[' * 129 + b']' * 129,
              b'[' * 500 + b']' * 500, b'[' * 2000 + b']' * 2000, b'{"a":' * 200 + b'1' + b'}' * 200,
              b'{"x":"' + b'a' * 100000 + b'"}', json.dumps(list(range(5000))).encode(), b'[1.0, 2.50, -0.0, 1e2]', b'{"a":1.0}',
              b'true false', b'{"a":[1,2,{"b":[true,false,null,"x",1.5]}]}']
    for ct in cts:
        hs = [("Content-Type", ct)] if ct is not None else []
        for b in bodies:
            cs.append(R("POST", "/echo", hs, b, rawbody=True))
    # JSON by chunked / expect / odd framing
    J = [("Content-Type", "application/json")]
    for b in [b'{"a":1}', b'', b'[1,2,3]', b'{']:
        chunked = b"".join(b"%x\r\n%s\r\n" % (1, b[i:i+1]) for i in range(len(b))) + b"0\r\n\r\n"
        cs.append(R("POST", "/echo", J + [("Transfer-Encoding", "chunked")], chunked, cl=False, name=f"chunked {b!r}"))
        cs.append(R("POST", "/echo", J + [("Expect", "100-continue")], b, name=f"expect {b!r}", heads=(False,)))
    cs.append({"name": "expect 100 wait", "chunks": [build("POST", "/echo", J + [("Expect", "100-continue"), ("Content-Length", "7")], b"", cl=False), b'{"a":1}'],
               "delay": 0.4, "heads": (False,)})
    cs.append(R("POST", "/echo", J + [("Transfer-Encoding", "chunked")], b"7;ext=1\r\n{\"a\":1}\r\n0\r\nX-Trailer: 1\r\n\r\n", cl=False, name="chunk ext + trailer"))
    cs.append(R("POST", "/echo", J + [("Content-Length", "0")], b"", cl=False, name="explicit CL 0"))
    cs.append(R("POST", "/echo", J, b"", cl=False, name="no CL no body"))
    cs.append(R("POST", "/echo", [("Content-Type", "application/json"), ("Content-Type", "text/plain")], b'{"a":1}', name="two CT json first"))
    cs.append(R("POST", "/echo", [("Content-Type", "text/plain"), ("Content-Type", "application/json")], b'{"a":1}', name="two CT text first"))
    cs.append(R("POST", "/echo", [("content-type", "application/json")], b'{"a":1}', name="lower ct name"))
    cs.append(R("POST", "/echo", [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], __import__("gzip").compress(b'{"a":1}'), name="gzip request body"))
    cs.append(R("PUT", "/echo", J, b'{"a":1}'))
    cs.append(R("PATCH", "/echo", J, b'{"a":1}'))
    cs.append(R("POST", "/echo/", J, b'{"a":1}'))
    cs.append(R("POST", "/", J, b'{"a":1}'))
    cs.append(R("POST", "/echo?x=1", J, b'{"a":1}'))
    cs.append(R("POST", "/echo", J, b'{"a":1}' + b" " * 3_000_000, name="3MB ws body"))
    cs.append(R("POST", "/echo", J, json.dumps({"k": "v" * 5_000_000}).encode(), name="5MB body", timeout=15))
    cs += http_level("/")
    cs += http_level("/items/5")
    return cs

def order():
    paths = ["/trail", "/trail/", "/trail/?a=1", "/trail//", "//trail", "/Trail", "/nope", "/nope/", "/", "/trail?x=1", "/trail%2F", "/%74rail"]
    cs = method_battery(paths)
    cs += redirect_battery(["/trail/", "/trail/?q=1"])
    cs += http_level("/trail")
    cs.append(R("POST", "/trail", [("Content-Type", "application/json")], b'{"a":1}'))
    cs.append(R("GET", "/trail", [("X-Out", "Z")], name="x-out in request"))
    return cs

TOKENS = [None, "Bearer valid_token", "bearer valid_token", "BEARER valid_token", "Bearer  valid_token", "Bearer valid_token ",
          " Bearer valid_token", "Bearer\tvalid_token", "Bearer valid_token\t", "Bearer valid_token2", "Bearer VALID_TOKEN", "Bearer",
          "", "Basic dmFsaWRfdG9rZW4=", "valid_token", "Bearer valid_token, Bearer x", "Bearer valid%5Ftoken", "Bearer valid_toke",
          "Bearer valid_token\x00"]

def auth():
    cs = []
    paths = ["/health", "/health/", "/health?x=1", "/health/?x=1", "//health", "/%68ealth", "/HEALTH", "/Health", "/health%2F", "/health/x",
             "/health;x", "/health#x", "/protected", "/protected/", "/protected/?q=1", "/%70rotected", "/nope", "/nope/", "/", "/health//",
             "/./health", "/x/../health"]
    for p in paths:
        for m in METHODS:
            for t in (None, "Bearer valid_token"):
                cs.append(R(m, p, [("Authorization", t)] if t else []))
    for t in TOKENS:
        for p in ["/protected", "/health", "/nope", "/protected/"]:
            for m in ["GET", "HEAD", "POST"]:
                cs.append(R(m, p, [("Authorization", t)] if t is not None else []))
    for name in ["authorization", "AUTHORIZATION", "AuThOrIzAtIoN"]:
        cs.append(R("GET", "/protected", [(name, "Bearer valid_token")]))
    for pair in [("Bearer valid_token", "Bearer x"), ("Bearer x", "Bearer valid_token"), ("Bearer valid_token", "Bearer valid_token"),
                 ("", "Bearer valid_token"), ("Bearer valid_token", "")]:
        cs.append(R("GET", "/protected", [("Authorization", pair[0]), ("Authorization", pair[1])]))
        cs.append(R("POST", "/health", [("Authorization", pair[0]), ("Authorization", pair[1])]))
    cs.append(RAW("obs-fold auth", b"GET /protected HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer\r\n valid_token\r\nConnection: close\r\n\r\n"))
    cs.append(R("POST", "/protected", [("Authorization", "Bearer valid_token"), ("Content-Type", "application/json")], b'{"a":1}'))
    cs.append(R("POST", "/health", [("Content-Type", "application/json")], b'{"a":1}'))
    cs += redirect_battery(["/health/", "/protected/", "/protected/?q=1"], headers=[("Authorization", "Bearer valid_token")])
    cs += redirect_battery(["/health/"])
    cs += http_level("/health")
    cs += http_level("/protected")
    return cs

def errors():
    paths = ["/", "/error", "/panic", "/http-error", "/error/", "/panic/", "/http-error/", "/nope", "/error?x=1", "/http-error/?x=1", "//error"]
    cs = method_battery(paths)
    for i in range(5):
        cs.append(R("GET", "/panic", name=f"panic again {i}"))
        cs.append(R("GET", "/error", name=f"error again {i}"))
    for acc in ["text/html", "application/json", "*/*", "text/html,application/xhtml+xml"]:
        for p in ["/error", "/panic", "/http-error", "/nope"]:
            cs.append(R("GET", p, [("Accept", acc)]))
    cs.append(RAW("panic keepalive then get", b"GET /panic HTTP/1.1\r\nHost: {HOST}\r\n\r\nGET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", heads=(False, False), check_close=True))
    cs.append(RAW("error keepalive", b"GET /error HTTP/1.1\r\nHost: {HOST}\r\n\r\n", check_close=True, framing=True))
    cs.append(RAW("panic keepalive", b"GET /panic HTTP/1.1\r\nHost: {HOST}\r\n\r\n", check_close=True, framing=True))
    cs.append(RAW("teapot keepalive", b"GET /http-error HTTP/1.1\r\nHost: {HOST}\r\n\r\n", check_close=True, framing=True))
    cs.append(RAW("http10 panic", b"GET /panic HTTP/1.0\r\n\r\n", check_close=True, framing=True))
    cs += redirect_battery(["/error/", "/http-error/?q=1"])
    cs += http_level("/error")
    cs += http_level("/http-error")
    return cs

AES = [None, "gzip", "GZIP", "Gzip", "gzip;q=0", "gzip; q=0", "gzip;q=0.0", "gzip;q=0.000", "gzip;q=0.001", "gzip;q=1", "gzip;q=0.5",
       "identity", "identity;q=0", "*", "*;q=0", "gzip;q=0, *", "*, gzip;q=0", "br", "deflate", "deflate, gzip", "gzip, deflate, br",
       "br;q=1, gzip;q=0.1", "x-gzip", "notgzip", "gzipx", "", "gzip,", ",gzip", " gzip ", "compress", "zstd", "gzip;level=1",
       "identity, gzip;q=0", "GZIP;Q=0", "gzip;q=abc", "gzip;q=2", "gzip;q=-1", "gzip ; q=0"]

def gzip():
    cs = []
    for p in ["/large", "/small", "/stream", "/encoded", "/events", "/nope", "/large/", "/large?x=1"]:
        for ae in AES:
            for m in ["GET", "HEAD"]:
                cs.append(R(m, p, [("Accept-Encoding", ae)] if ae is not None else [], framing=True))
        for m in ["POST", "PUT", "DELETE", "OPTIONS", "FOO"]:
            cs.append(R(m, p, [("Accept-Encoding", "gzip")]))
            cs.append(R(m, p))
    for pair in [("br", "gzip"), ("gzip", "br"), ("gzip;q=0", "gzip"), ("identity", "gzip")]:
        for p in ["/large", "/small", "/stream"]:
            cs.append(R("GET", p, [("Accept-Encoding", pair[0]), ("Accept-Encoding", pair[1])]))
    for p in ["/large", "/stream", "/events", "/encoded"]:
        cs.append(RAW(f"keepalive {p}", b"GET " + p.encode() + b" HTTP/1.1\r\nHost: {HOST}\r\nAccept-Encoding: gzip\r\n\r\n", check_close=True, framing=True, rawbody=p == "/stream"))
        cs.append(RAW(f"http10 {p}", b"GET " + p.encode() + b" HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n", check_close=True, framing=True))
        cs.append(RAW(f"http10 noae {p}", b"GET " + p.encode() + b" HTTP/1.0\r\n\r\n", check_close=True, framing=True))
    for ct in [None, "application/json"]:
        cs.append(R("GET", "/large", [("Accept-Encoding", "gzip"), ("Range", "bytes=0-10")]))
        cs.append(R("GET", "/large", [("Accept-Encoding", "gzip"), ("If-None-Match", "*")]))
    cs += redirect_battery(["/large/", "/small/?q=1"], headers=[("Accept-Encoding", "gzip")])
    cs += http_level("/large")
    return cs

def lifecycle():
    cs = []
    def seq(name, reqs):
        s = [R("DELETE", "/log")] + reqs + [dict(R("GET", "/log"), sleep=0.6)]
        return {"name": name, "seq": s}
    reqs = [
        R("POST", "/work"), R("POST", "/work", [("Content-Type", "application/json")], b'{"a":1}'), R("HEAD", "/work"), R("GET", "/work"),
        R("PUT", "/work"), R("OPTIONS", "/work"), R("POST", "/work/"), R("POST", "/work/?q=1"), R("GET", "/nope"), R("HEAD", "/nope"),
        R("POST", "/log"), R("HEAD", "/log"), R("GET", "/log"), R("DELETE", "/log"), R("DELETE", "/log/"), R("PUT", "/log"),
        R("GET", "/log/"), R("FOO", "/work"), R("get", "/log"), R("POST", "//work"), R("POST", "/WORK"),
        RAW("work keepalive", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n", check_close=True),
        RAW("work http10", b"POST /work HTTP/1.0\r\nContent-Length: 0\r\n\r\n", check_close=True),
        RAW("work expect", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"),
        RAW("work chunked", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
        RAW("work bad CL", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: abc\r\nConnection: close\r\n\r\n"),
        RAW("work 2x pipelined", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\nPOST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", heads=(False, False)),
    ]
    for r in reqs:
        cs.append(seq("seq " + r["name"], [r]))
    cs.append(seq("two works", [R("POST", "/work"), R("POST", "/work")]))
    cs.append(seq("work then 404", [R("POST", "/work"), R("GET", "/nope")]))
    # client disconnects right after sending
    cs.append(seq("disconnect after send", [dict(RAW("work disconnect", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n"), disconnect=0.0)]))
    cs.append(seq("disconnect mid body", [dict(RAW("work partial", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 10\r\n\r\n{}"), disconnect=0.1)]))
    cs += http_level("/log")
    for r in [R("DELETE", "/log"), R("DELETE", "/log", [("Content-Type", "application/json")], b"{}"), R("GET", "/log", [("Accept", "text/html")])]:
        cs.append(dict(r, framing=True))
    return cs

def body():
    cs = []
    cts = [None, "text/plain", "text/plain; charset=utf-8", "text/plain;charset=latin-1", "TEXT/PLAIN", "application/octet-stream",
           "application/json", "application/json; charset=utf-8", "image/png", "multipart/form-data; boundary=x",
           "application/x-www-form-urlencoded", "x/y; a=b", "", "garbage", "text/html; charset=\"utf-8\"", "text/plain; charset=utf-8; x=y",
           "caf\xe9/x", "a" * 3000, "text/event-stream", "application/gzip"]
    bodies = [b"", b"hello", bytes(range(256)), bytes(range(256)) * 4, "héllo".encode(), b"\xff\xfe\x00", b"a=1&b=2", b'{"a":1}',
              b"x" * 100000, b"\r\n\r\n", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"]
    for ct in cts:
        hs = [("Content-Type", ct)] if ct is not None else []
        for b in bodies:
            cs.append(R("POST", "/echo", hs, b, rawbody=True))
    for b in [b"hello", b"", bytes(range(256))]:
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(b[i:i+7]), b[i:i+7]) for i in range(0, len(b), 7)) + b"0\r\n\r\n"
        cs.append(R("POST", "/echo", [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")], chunked, cl=False, name=f"chunked {b[:10]!r}", rawbody=True))
        cs.append(R("POST", "/echo", [("Content-Type", "text/plain"), ("Expect", "100-continue")], b, name=f"expect {b[:10]!r}", rawbody=True))
    cs.append({"name": "expect wait body", "chunks": [build("POST", "/echo", [("Content-Type", "text/plain"), ("Expect", "100-continue"), ("Content-Length", "5")], b"", cl=False), b"hello"],
               "delay": 0.4, "heads": (False,)})
    cs.append({"name": "slow body", "chunks": [build("POST", "/echo", [("Content-Type", "text/plain"), ("Content-Length", "10")], b"", cl=False), b"hello", b"world"],
               "delay": 0.2, "heads": (False,)})
    cs.append({"name": "slow chunked", "chunks": [build("POST", "/echo", [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")], b"", cl=False), b"5\r\nhello\r\n", b"5\r\nworld\r\n", b"0\r\n\r\n"],
               "delay": 0.2, "heads": (False,)})
    for size in [1 << 20, 2 << 20, 3 << 20, 5 << 20, 11 << 20, 17 << 20]:
        cs.append(R("POST", "/echo", [("Content-Type", "application/octet-stream")], b"z" * size, name=f"size {size}", timeout=30))
    cs.append(R("POST", "/echo", [("Content-Type", "text/plain"), ("Content-Type", "application/json")], b"hi", name="two CTs"))
    cs.append(R("POST", "/echo", [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], b"hi", name="content-encoding req"))
    cs.append(R("POST", "/echo", [("Content-Type", "text/plain"), ("Content-Length", "5")], b"hello", cl=False, name="CL given"))
    cs.append(R("POST", "/echo", [("Content-Type", "text/plain")], b"", cl=False, name="no CL"))
    paths = ["/echo", "/echo/", "/echo/?q=1", "/nope", "/", "//echo", "/ECHO", "/echo?x=1"]
    for p in paths:
        for m in METHODS:
            cs.append(R(m, p, [("Content-Type", "text/plain")], b"abc" if m not in ("HEAD",) else b""))
            cs.append(R(m, p))
    cs += redirect_battery(["/echo/", "/echo/?q=1"], methods=("POST", "GET"))
    cs += http_level("/echo")
    return cs
