"""Transport-level table for the tutorial scenario: cases.http_level("/") sent to both servers.

Prints one row per case: statuses, start of a 4xx/5xx body, whether the connection was closed;
`!!` marks rows whose first status differs.
Run: REF_PYTHON=... SUT=... python3 httplevel_table.py  (or via run_all.sh; see ../README.md).
"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
import cases as C
_, rp = start_ref("tutapp"); _, sp = start_sut("tutorial")
for c in C.http_level("/"):
    row = []
    for port in (rp, sp):
        rs, closed, extra = exchange(port, fill(c["raw"], port), heads=c.get("heads", (False,)), timeout=c.get("timeout", 4))
        row.append(",".join(str(r.status) for r in rs) + ("" if not rs else (" " + (rs[0].body[:30].decode("latin1") if rs[0].status >= 400 else ""))) + (" [closed]" if closed else " [open]"))
    mark = "  " if row[0].split()[0] == row[1].split()[0] else "!!"
    print(mark, c["name"].ljust(32), "ref:", row[0].ljust(50), "sut:", row[1])
