"""Run the differential cases of cases.py against a scenario's FastAPI twin (apps/) and conformance-app.

usage: REF_PYTHON=... SUT=... OUT=... python3 run.py SCENARIO [SCENARIO...]
Writes $OUT/out/<scenario>.txt (every differing case, then a count line), the
servers' stderr as <scenario>.ref.log / <scenario>.sut.log, and
counts-<scenarios>.json; prints one count line per scenario.
"""
import sys, os, json, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
import cases as C

MOD = {"tutorial": "tutapp", "order": "orderapp", "auth": "authapp", "errors": "errorsapp",
       "gzip": "gzipapp", "lifecycle": "lifecycleapp", "body": "bodyapp"}

def run_case(port, case):
    if case.get("sleep"): time.sleep(case["sleep"])
    if case.get("disconnect") is not None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        sock.sendall(fill(case["raw"], port)); time.sleep(case["disconnect"]); sock.close()
        return {"disconnected": True}
    raw = fill(case["raw"], port) if case.get("raw") is not None else None
    chunks = [fill(c, port) for c in case["chunks"]] if case.get("chunks") else None
    resps, closed, extra = exchange(port, raw, heads=case.get("heads", (False,)), chunks=chunks,
                                    delay=case.get("delay", 0.0), linger=case.get("linger", 0.25),
                                    timeout=case.get("timeout", 4.0))
    out = {"resps": [norm_resp(r, port) for r in resps]}
    if case.get("check_close"): out["closed"] = closed
    if case.get("framing"): out["framing"] = [(r.framing, r.h("content-length"), r.h("transfer-encoding"), r.h("connection")) for r in resps]
    if case.get("rawbody"): out["rawbody"] = [r.body for r in resps]
    if extra: out["extra"] = extra[:200]
    return out

def main():
    out = out_dir()
    if not os.environ.get("OUT"): print("outputs in", out, flush=True)
    total = {}
    for scen in sys.argv[1:]:
        gen = getattr(C, scen.replace("-", "_"))
        _, rp = start_ref(MOD[scen], log=os.path.join(out, scen + ".ref.log"))
        _, sp = start_sut(scen, log=os.path.join(out, scen + ".sut.log"))
        cs = gen()
        n = 0; nd = 0
        with open(os.path.join(out, scen + ".txt"), "w") as f:
            for case in cs:
                if case.get("seq"):  # a sequence of sub-cases, state carried; compare all
                    a = [run_case(rp, c) for c in case["seq"]]
                    b = [run_case(sp, c) for c in case["seq"]]
                else:
                    a = run_case(rp, case); b = run_case(sp, case)
                n += 1
                if a != b:
                    nd += 1
                    f.write(f"DIFF {case['name']}\n  req {case.get('raw') or case.get('chunks') or [c.get('raw') for c in case.get('seq', [])]!r}\n  ref {a!r}\n  sut {b!r}\n")
            f.write(f"{scen}: {n} cases, {nd} differ; sut alive={alive(sp)} ref alive={alive(rp)}\n")
        print(f"{scen}: {n} cases, {nd} differ", flush=True)
        total[scen] = (n, nd)
    json.dump(total, open(os.path.join(out, "counts-" + "-".join(sys.argv[1:]) + ".json"), "w"))

if __name__ == "__main__":
    main()
