"""Malformed-JSON fuzz for tutorial POST /echo: compares status + 422 detail (type, loc, input, ctx).

Truncations, insertions and deletions of valid documents plus hand-picked bad ones; prints each
difference and a count line.
Run: REF_PYTHON=... SUT=... python3 fuzz_json.py  (or via run_all.sh; see ../README.md).
"""
import os, sys, json, random
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
random.seed(7)
_, rp = start_ref("tutapp"); _, sp = start_sut("tutorial")
base = [b'{"a":1}', b'[1,2,3]', b'"str"', b'123', b'-1.5e3', b'true', b'null', b'{"a":[1,{"b":"c"}],"d":null}', b'[[],{}]', b'"\\u00e9\\n"', b'{"a":"\xc3\xa9"}']
docs = set()
for b in base:
    for i in range(len(b) + 1):
        docs.add(b[:i])                      # truncations
        for ins in [b" ", b",", b"x", b"}", b"]", b'"', b"\\", b"\n", b"\t", b"\x00", b"0", b"-", b".", b"e", b":", b"{", b"["]:
            docs.add(b[:i] + ins + b[i:])    # insertions
        if i < len(b):
            docs.add(b[:i] + b[i+1:])        # deletions
extra = [b"01", b"1.", b"-01", b"1.e5", b"1e", b"1e+", b"-", b"--1", b"0.", b".0", b"00", b"1.0.0", b'"\\x"', b'"\\u12"', b'"\\u12g4"', b'"\\ud800\\u"',
         b'"abc', b'"a\x01b"', b'"a\x7fb"', b'[1 2]', b'{"a" 1}', b'{"a":}', b'{,}', b'[,]', b'{"a":1 "b":2}', b'{1:2}', b"tru", b"truex", b"nulll", b"fals",
         b"True", b"None", b"[", b"{", b"]", b"}", b" ", b"\n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf ", b"\xef\xbb\xbfx", b"x\xef\xbb\xbf", b'{"a":1}\xef\xbb\xbf',
         b"\xe2\x80\x8b1", b"1 2", b"[1]]", b"{}}", b'"a"b', b"1\n2", b"\n1\nx", b"[\n1,\n2\n,]", b'{"a":\n\n x}', b'"\xc3\xa9\xc3\xa9" x', b'["\xc3\xa9", x]',
         b'["\xf0\x9f\x98\x80", x]', b'"\xf0\x9f\x98\x80\x01"', b'{"\xc3\xa9":1,}', b"1e999", b"-1e999", b"1e-999", b"[1e400]", b'{"a":1e400}', b"123abc", b"0x1", b"Infinityx", b"-Infinityx", b"NaNx", b"-NaN", b"+Infinity"]
docs.update(extra)
docs = sorted(docs)
diffs = 0
for d in docs:
    raw = build("POST", "/echo", [("Content-Type", "application/json")], d)
    out = []
    for port in (rp, sp):
        rs, _, _ = exchange(port, fill(raw, port))
        r = rs[0] if rs else None
        try: j = json.loads(r.body)
        except Exception: j = r.body if r else None
        if isinstance(j, dict) and isinstance(j.get("detail"), list):
            for it in j["detail"]: it.pop("msg", None)
        out.append((r.status if r else None, j))
    if out[0] != out[1]:
        diffs += 1
        print("DIFF", repr(d)[:80], "\n   ref", str(out[0])[:250], "\n   sut", str(out[1])[:250])
print(len(docs), "docs,", diffs, "differ")
