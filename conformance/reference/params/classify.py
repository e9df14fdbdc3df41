"""Groups the differing cases run.py wrote. A file's `input` is compared by
its name and size only: FastAPI dumps its UploadFile object there (temporary
file internals included), sluice writes the file's name, size and headers.

usage: $REF_PYTHON conformance/reference/params/classify.py
"""
import collections, json, os, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from file_input import issue_inputs_as_names as norm  # noqa: E402

RESULTS = os.environ.get("OUT", os.path.join(tempfile.gettempdir(), "params-results.jsonl"))


def cause(r):
    f, s = r["fastapi"], r["sluice"]
    # The request too: sluice reads a JSON integer past 64 bits as a float.
    text = json.dumps(f[1]) + json.dumps(s[1]) + r["body"]
    if f[0] >= 500:
        return "FastAPI 500 (a float it cannot write as JSON: inf, nan)"
    if f[0] == s[0] and norm(f[1]) == norm(s[1]):
        return "the same but for a file's `input` (FastAPI's UploadFile dump)"
    if "99999999999999999999" in text:
        return "an integer past i64 (Python's int has no bound)"
    if "literal_error" in json.dumps(f[1]):
        return "Literal: FastAPI literal_error, sluice enum (a Rust enum is a Python Enum, which matches)"
    return "other: %s %s, FastAPI %d, sluice %d" % (r["method"], r["path"], f[0], s[0])


def main():
    groups, first = collections.Counter(), {}
    for line in open(RESULTS):
        r = json.loads(line)
        c = cause(r)
        groups[c] += 1
        first.setdefault(c, r)
    for c, n in groups.most_common():
        r = first[c]
        print("%5d  %s" % (n, c))
        print("       e.g. %s %s %s %r" % (r["method"], r["path"], json.dumps(r["headers"])[:160], r["body"][:160]))
        print("       FastAPI %s" % json.dumps(r["fastapi"])[:300])
        print("       sluice  %s" % json.dumps(r["sluice"])[:300])


if __name__ == "__main__":
    main()
