"""Lifecycle scenario: event order of POST /work then GET /log on one keep-alive connection.

GET /log sent 0, 0.05 and 0.3 s after the POST's response, and two POSTs on separate connections;
10 rounds each; prints how often each event sequence was seen per server.
Run: REF_PYTHON=... SUT=... python3 lifetiming2.py  (or via run_all.sh; see ../README.md).
"""
import os, sys, time, json, socket
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
_, rp = start_ref("lifecycleapp"); _, sp = start_sut("lifecycle")
def req(port, raw):
    rs, closed, extra = exchange(port, fill(raw, port), linger=0)
    return rs[0]
def readresp(s):
    buf = b""
    while True:
        buf += s.recv(65536)
        r = parse_one(buf, False)
        if r and not isinstance(r[0], str): return r[0]
for label, port in (("ref", rp), ("sut", sp)):
    for pause in (0, 0.05, 0.3):
        res = {}
        for i in range(10):
            req(port, b"DELETE /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(fill(b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n", port)); readresp(s)
            time.sleep(pause)
            s.sendall(fill(b"GET /log HTTP/1.1\r\nHost: {HOST}\r\n\r\n", port)); r = readresp(s)
            s.close()
            ev = tuple(json.loads(r.body)["events"])
            res[ev] = res.get(ev, 0) + 1
        print(label, "keepalive pause", pause, res)
    res = {}
    for i in range(10):
        req(port, b"DELETE /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
        req(port, b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        req(port, b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        time.sleep(0.3)
        r = req(port, b"GET /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
        ev = tuple(json.loads(r.body)["events"])
        res[ev] = res.get(ev, 0) + 1
    print(label, "two works", res)
