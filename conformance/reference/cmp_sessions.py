from compare import *
J = ("Content-Type", "application/json")
def cookie_of(resp):
    for v in resp[1].get("set-cookie", []):
        pair = v.split(";")[0]; name, _, val = pair.partition("=")
        if name == "session": return val
    return None
def edit(v, how):
    if how == "truncate": return v[:-1]
    if how == "append": return v + "x"
    i = len(v)//2; c = v[i]; A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return v[:i] + (A[(A.index(c)+31) % len(A)] if c in A else "A") + v[i+1:]
def run():
    r, rp = start_ref("sessapp"); s, sp = start_sut("sessions")
    jars = {rp: {}, sp: {}}
    fails = 0; n = 0
    def go(name, method, path, headers=(), body=b"", save=None, cookie=None):
        nonlocal fails, n
        n += 1
        out = []
        for port in (rp, sp):
            hs = list(headers)
            if cookie is not None:
                hs.append(("Cookie", cookie(jars[port])))
            resp = send(port, method, path, hs, body)
            if save: jars[port][save] = cookie_of(resp)
            out.append(norm(resp, port))
        if out[0] != out[1]:
            fails += 1; print("DIFF", name, "\n  ref", out[0], "\n  sut", out[1])
    go("first", "GET", "/session")
    go("public", "GET", "/public")
    go("head", "HEAD", "/session")
    go("delete-none", "DELETE", "/session")
    go("put", "PUT", "/session/user", [J], b'"alice"', save="A")
    go("get-A", "GET", "/session", cookie=lambda j: f"session={j['A']}")
    go("public-A", "GET", "/public", cookie=lambda j: f"session={j['A']}")
    go("head-A", "HEAD", "/session", cookie=lambda j: f"session={j['A']}")
    go("put-B", "PUT", "/session/n", [J], b'5', save="B", cookie=lambda j: f"session={j['A']}")
    go("get-B", "GET", "/session", cookie=lambda j: f"session={j['B']}")
    go("get-A-again", "GET", "/session", cookie=lambda j: f"session={j['A']}")
    go("delete-B", "DELETE", "/session", save="C", cookie=lambda j: f"session={j['B']}")
    for how in ("flip", "truncate", "append"):
        go("get-"+how, "GET", "/session", cookie=lambda j, h=how: f"session={edit(j['A'], h)}")
        go("delete-"+how, "DELETE", "/session", cookie=lambda j, h=how: f"session={edit(j['A'], h)}")
        go("put-"+how, "PUT", "/session/x", [J], b'1', cookie=lambda j, h=how: f"session={edit(j['A'], h)}")
    go("last-garbage", "GET", "/session", cookie=lambda j: f"session={j['A']}; session=garbage")
    go("last-valid", "GET", "/session", cookie=lambda j: f"session=garbage; session={j['A']}")
    go("two-headers", "GET", "/session", [("Cookie", "session=garbage")], cookie=lambda j: f"other=1; session={j['A']}")
    go("quoted", "GET", "/session", cookie=lambda j: f'session="{j["A"]}"')
    go("spaced", "GET", "/session", cookie=lambda j: f'a=b;  session = {j["A"]} ;c=d')
    go("empty", "GET", "/session", cookie=lambda j: "session=")
    go("null", "GET", "/session", cookie=lambda j: "session=null")
    go("no-eq", "GET", "/session", cookie=lambda j: "session")
    go("delete-empty-cookie", "DELETE", "/session", cookie=lambda j: "session=")
    for body, hs in [(b'', [J]), (b'{', [J]), (b'null', [J]), (b'[1,2]', [J]), (b'"x"', []), (b'{"a":{"b":[1,null]}}', [J]),
                     (b'3.5', [J]), (b'true', [J]), (b'"\\u00e9\\ud83d\\ude00"', [J])]:
        go(f"put-body-{body!r}-{hs}", "PUT", "/session/k", hs, body)
    go("put-encoded-key", "PUT", "/session/a%20b", [J], b'1')
    go("put-then-get", "PUT", "/session/k2", [J], b'2', save="D", cookie=lambda j: f"session={j['A']}")
    go("get-D", "GET", "/session", cookie=lambda j: f"session={j['D']}")
    go("405", "POST", "/session", [J], b'{}')
    go("slash", "GET", "/session/")
    go("404", "GET", "/nope", cookie=lambda j: f"session={j['A']}")
    go("put-no-key", "PUT", "/session/", [J], b'1')
    go("overwrite", "PUT", "/session/user", [J], b'"bob"', cookie=lambda j: f"session={j['A']}")
    print("sessions", n, "cases,", fails, "differ")
run()
