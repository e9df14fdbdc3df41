from compare import *
J = ("Content-Type", "application/json")
def run(module, scen, cases):
    r, rp = start_ref(module); s, sp = start_sut(scen)
    fails = 0
    for method, path, hs, body in cases:
        a = norm(send(rp, method, path, hs, body), rp); b = norm(send(sp, method, path, hs, body), sp)
        if a != b:
            fails += 1; print("DIFF", scen, method, path, hs, body, "\n  ref", a, "\n  sut", b)
    print(scen, len(cases), "cases,", fails, "differ")
bodies = [b'{"a":1}', b'[1,2]', b'5', b'-1.5', b'"s"', b'null', b'true', b'', b'{', b'nul', b'[1,', b' 7 ', b'{"a":[{"b":null}]}', b'1e400', b'"\\ud800"']
run("tutapp", "tutorial", [("POST", "/echo", [J], b) for b in bodies] + [("POST", "/echo", [], b) for b in bodies[:3]]
    + [("POST", "/echo", [("Content-Type", "text/plain")], b'{"a":1}'), ("POST", "/echo", [("Content-Type", "application/vnd.x+json")], b'[1]')])
T = ("Authorization", "Bearer valid_token")
run("authapp", "auth", [(m, p, h, b) for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS") for p in ("/health", "/protected", "/nope", "/health/")
    for h, b in (([], b''), ([T], b''))])
