"""Group the DIFF entries of run.py's outputs by signature (statuses, differing headers/body).

usage: python3 summarize.py $OUT/out/<scenario>.txt [...]
Prints per file a count line, then one line per group (count, ref and sut statuses, what differs)
followed by up to 4 case names.
"""
import sys, re, ast, collections
def sig_of(a, b):
    def shape(x):
        if isinstance(x, list):  # seq
            return tuple(shape(y) for y in x)
        if "resps" not in x: return ("special", tuple(sorted(x)))
        return tuple(r[0] if r else None for r in x["resps"])
    sa, sb = shape(a), shape(b)
    detail = []
    if sa == sb and isinstance(a, dict) and "resps" in a:
        for ra, rb in zip(a["resps"], b["resps"]):
            ha, hb = dict(ra[1]), dict(rb[1])
            for k in sorted(set(ha) | set(hb)):
                if ha.get(k) != hb.get(k): detail.append(k)
            if ra[2] != rb[2]: detail.append("BODY")
        for k in ("closed", "framing", "rawbody", "extra"):
            if a.get(k) != b.get(k): detail.append(k)
    return (sa, sb, tuple(detail))
for fn in sys.argv[1:]:
    txt = open(fn).read()
    entries = re.findall(r"DIFF (.*)\n  req (.*)\n  ref (.*)\n  sut (.*)\n", txt)
    groups = collections.OrderedDict()
    for name, req, ref, sut in entries:
        try:
            a = ast.literal_eval(ref); b = ast.literal_eval(sut)
        except Exception as e:
            a = b = None
        s = sig_of(a, b) if a is not None else ("unparsed",)
        groups.setdefault(s, []).append((name, ref, sut))
    print("==", fn, len(entries), "diffs,", len(groups), "groups")
    for s, items in groups.items():
        print(f"-- {len(items)}x ref={s[0]} sut={s[1]} differ={s[2] if len(s)>2 else ''}")
        for name, ref, sut in items[:4]:
            print("     ", name[:160])
