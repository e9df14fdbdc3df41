"""Lifecycle scenario with client disconnects: which events run when the client goes away.

Closed after send, closed mid-body, half-close (SHUT_WR), RST; prints the event log per case and server.
Run: REF_PYTHON=... SUT=... python3 life_disc.py  (or via run_all.sh; see ../README.md).
"""
import os, sys, time, json, socket
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
_, rp = start_ref("lifecycleapp"); _, sp = start_sut("lifecycle")
def req(port, raw):
    rs, closed, extra = exchange(port, fill(raw, port), linger=0); return rs[0]
for label, port in (("ref", rp), ("sut", sp)):
    for name, raw, wait in [("closed right after send", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n", 0),
                            ("closed mid-body", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 10\r\n\r\n{}", 0.1),
                            ("half-close (SHUT_WR) after send", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n", -1),
                            ("RST after send", b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n", -2)]:
        req(port, b"DELETE /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
        s = socket.create_connection(("127.0.0.1", port)); s.sendall(fill(raw, port))
        if wait == -1:
            s.shutdown(socket.SHUT_WR); time.sleep(0.3); data = s.recv(1000); s.close()
        elif wait == -2:
            import struct; s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close(); data = b""
        else:
            time.sleep(wait); s.close(); data = b""
        time.sleep(0.6)
        r = req(port, b"GET /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
        print(label, name.ljust(32), json.loads(r.body)["events"], data[:12])
