"""WebSocket handshakes sent to HTTP routes: what each scenario's middleware does with them.

Prints the handshake's answer from both servers per scenario and route (and, for lifecycle, the
event log afterwards).
Run: REF_PYTHON=... SUT=... python3 ws_mw.py  (or via run_all.sh; see ../README.md).
"""
import os, sys, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
WS = b"GET %s HTTP/1.1\r\nHost: {HOST}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
for scen, mod, path, extra in [("lifecycle", "lifecycleapp", b"/work", b""), ("auth", "authapp", b"/protected", b""), ("auth", "authapp", b"/health", b""),
                               ("auth", "authapp", b"/nope", b"Authorization: Bearer valid_token\r\n"), ("order", "orderapp", b"/trail", b""), ("body", "bodyapp", b"/echo", b""),
                               ("tutorial", "tutapp", b"/", b""), ("errors", "errorsapp", b"/error", b""), ("gzip", "gzipapp", b"/large", b"Accept-Encoding: gzip\r\n")]:
    _, rp = start_ref(mod); _, sp = start_sut(scen)
    for label, port in (("ref", rp), ("sut", sp)):
        if scen == "lifecycle": exchange(port, fill(b"DELETE /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", port))
        rs, closed, extra_b = exchange(port, fill(WS % (path, extra), port), timeout=2)
        r = rs[0]
        line = f"{scen:9s} {path.decode():10s} {label} {r.status} {[h for h in r.headers if h[0] not in ('date','server')]} {r.body[:60]!r}"
        if scen == "lifecycle":
            time.sleep(0.3)
            rs2, _, _ = exchange(port, fill(b"GET /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", port))
            line += " log=" + rs2[0].body.decode()
        print(line)
