"""Lifecycle scenario: event order of POST /work, on its own connection and pipelined with GET /log.

20 rounds each; prints how often each event sequence was seen per server.
Run: REF_PYTHON=... SUT=... python3 lifetiming.py  (or via run_all.sh; see ../README.md).
"""
import os, sys, time, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
_, rp = start_ref("lifecycleapp"); _, sp = start_sut("lifecycle")
def req(port, raw):
    rs, closed, extra = exchange(port, fill(raw, port), linger=0)
    return rs[0]
for label, port in (("ref", rp), ("sut", sp)):
    res = {}
    for i in range(20):
        req(port, b"DELETE /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
        req(port, b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        r = req(port, b"GET /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
        ev = tuple(json.loads(r.body)["events"])
        res[ev] = res.get(ev, 0) + 1
    print(label, res)
    res = {}
    for i in range(20):
        req(port, b"DELETE /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")
        # keep-alive: POST then GET on the same connection
        rs, closed, extra = exchange(port, fill(b"POST /work HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\nGET /log HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n", port), heads=(False, False), linger=0)
        ev = tuple(json.loads(rs[1].body)["events"])
        res[ev] = res.get(ev, 0) + 1
    print(label, "pipelined", res)
