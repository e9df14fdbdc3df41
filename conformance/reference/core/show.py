"""Print the full DIFF entries of one of run.py's outputs whose case name matches a regex.

usage: python3 show.py $OUT/out/<scenario>.txt REGEX
"""
import sys, re
fn, pat = sys.argv[1], sys.argv[2]
txt = open(fn).read()
for name, req, ref, sut in re.findall(r"DIFF (.*)\n  req (.*)\n  ref (.*)\n  sut (.*)\n", txt):
    if re.search(pat, name):
        print("DIFF", name[:300]); print("  req", req[:600]); print("  ref", ref[:1500]); print("  sut", sut[:1500])
