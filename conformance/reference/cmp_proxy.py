import sys
from compare import *
CASES = [
 [], [("X-Forwarded-Proto","https")], [("X-Forwarded-Proto","http")], [("X-Forwarded-Proto","ws")], [("X-Forwarded-Proto","wss")],
 [("X-Forwarded-Proto","HTTPS")], [("X-Forwarded-Proto"," https ")], [("X-Forwarded-Proto","https, http")], [("X-Forwarded-Proto",b"https\xa0")],
 [("X-Forwarded-Proto","http"),("X-Forwarded-Proto","https")], [("X-Forwarded-Proto","https"),("X-Forwarded-Proto","http")],
 [("X-Forwarded-Proto","https"),("X-Forwarded-Proto","bogus")],
 [("X-Forwarded-Proto","")], [("X-Forwarded-Proto","ftp")], [("X-Forwarded-Proto","Wss")],
]
XFF = ["1.2.3.4", "1.2.3.4, 127.0.0.1", "127.0.0.1", "127.0.0.1, 127.0.0.1", "1.2.3.4:5678", "[2001:db8::1]:5678", "[2001:db8::1]",
 "2001:DB8::1", "not-an-ip", "1.2.3.4:notaport", "1.2.3.4, ", ", 1.2.3.4", "", "  ", "5.6.7.8, 1.2.3.4", "[::1", "[::1]x", "[::1]:",
 "1.2.3.4:", ":80", "1.2.3.4:+80", "1.2.3.4:8_0", "::ffff:127.0.0.1", "127.0.0.1:80, 10.0.0.1", "10.0.0.1, 127.0.0.1:80", "[127.0.0.1]:80", "fe80::1%eth0",
 "1.2.3.4:99999", "1.2.3.4:-5", b"caf\xe9", "1.2.3.4,127.0.0.1,127.0.0.1", "a b", "1.2.3.4 , 127.0.0.1", "[]", "[]:80", "[127.0.0.1]", "127.0.0.1:abc",
 "127.0.0.1%x", "001.2.3.4", "1.2.3.4:0080", "1.2.3.4: 80", b"1.2.3.4:\xa080", "1.2.3.4:8__0", ",,", "127.0.0.1,", "unknown", "_hidden", "[::1]:80, 127.0.0.1"]
for x in XFF: CASES.append([("X-Forwarded-For", x)])
CASES += [[("X-Forwarded-For","1.2.3.4"),("X-Forwarded-For","127.0.0.1")], [("X-Forwarded-For","1.2.3.4,"),("X-Forwarded-For","")],
          [("X-Forwarded-For","1.2.3.4"),("X-Forwarded-For","5.6.7.8")], [("X-Forwarded-For","1.2.3.4"),("X-Forwarded-Proto","https")],
          [("X-Forwarded-For","1.2.3.4"),("X-Forwarded-Proto","ws"),("Upgrade","websocket")],
          [("X-Forwarded-Proto","http"),("Upgrade","websocket")]]
PATHS = ["/whoami", "/whoami?x=1", "/nope", "/whoami/"]
def run(scen, extra):
    r, rp = start_ref("proxyapp", ["--proxy-headers", "--forwarded-allow-ips", extra])
    s, sp = start_sut(scen)
    fails = 0; n = 0
    try:
        for path in PATHS:
            for c in CASES:
                n += 1
                a = norm(send(rp, "GET", path, c), rp); b = norm(send(sp, "GET", path, c), sp)
                if a != b:
                    fails += 1; print("DIFF", scen, path, c, "\n  ref", a, "\n  sut", b)
    finally:
        r.terminate(); s.terminate()
    print(scen, n, "cases,", fails, "differ")
run("proxy-headers", "127.0.0.1")
run("proxy-headers-untrusted", "10.1.2.3")
