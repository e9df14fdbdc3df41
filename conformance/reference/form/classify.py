"""Groups the differing cases run.py wrote by cause (the first rule that matches) and counts them.
The rules name every cause found while Form<T> was written; the ones fixed since match nothing.

usage: $REF_PYTHON conformance/reference/form/classify.py [examples-per-group]
"""
import base64, json, os, re, sys, tempfile
from collections import defaultdict
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from file_input import issue_inputs_as_names  # noqa: E402

I64 = (-(2**63), 2**63 - 1)


def is_mp(ct):
    return ct is not None and ct.split(";")[0].strip().lower() == "multipart/form-data"


def mp_boundary(ct):
    m = re.search(r"boundary=\"?([^\";]+)", ct or "", re.I)
    return m.group(1).encode() if m else None


RULES = []


def rule(name):
    def deco(f):
        RULES.append((name, f)); return f
    return deco


@rule("multipart: a file part where the model has a text field: the same 422, but for the file's `input`")
def _(ct, body, r):
    f, s = r["fastapi"], r["sluice"]
    try:
        return f[0] == s[0] and issue_inputs_as_names(json.loads(f[1])) == issue_inputs_as_names(json.loads(s[1]))
    except (TypeError, ValueError):
        return False


@rule("multipart: part with a filename, differing otherwise")
def _(ct, body, r):
    return is_mp(ct) and re.search(rb"filename", body, re.I) is not None


@rule("multipart: a charset other than UTF-8 or Latin-1 (utf-16, cp1252), which sluice reads as Latin-1")
def _(ct, body, r):
    m = re.search(r"charset=\"?([^\";]+)", ct or "", re.I)
    return is_mp(ct) and m is not None and m.group(1).lower() not in ("utf-8", "utf8")


@rule("multipart: Content-Type spelling multer rejects (space before ';' or around '=')")
def _(ct, body, r):
    return is_mp(ct) and ("boundary =" in ct or " ;" in ct)


@rule("multipart: two boundary parameters (Starlette takes the last, multer the first)")
def _(ct, body, r):
    return is_mp(ct) and ct.lower().count("boundary=") > 1


@rule("multipart: preamble before the first boundary (RFC 2046 allows; python-multipart 400)")
def _(ct, body, r):
    b = mp_boundary(ct)
    return is_mp(ct) and b is not None and body and not body.startswith(b"--" + b)


@rule("multipart: transport padding after a boundary (RFC 2046 allows; python-multipart 400)")
def _(ct, body, r):
    b = mp_boundary(ct)
    return is_mp(ct) and b is not None and re.search(b"--" + re.escape(b) + rb"[ \t]+\r\n", body) is not None


@rule("multipart: a body cut short in a boundary line (python-multipart drops the part before it)")
def _(ct, body, r):
    b = mp_boundary(ct)
    return is_mp(ct) and b is not None and not re.search(b"--" + re.escape(b) + rb"--(\r\n.*)?$", body, re.S)


@rule("multipart: Content-Disposition `Name=` (param name case)")
def _(ct, body, r):
    return is_mp(ct) and b"Name=" in body


@rule("multipart: Content-Disposition with two name params (Starlette last, multer first)")
def _(ct, body, r):
    return is_mp(ct) and re.search(rb'name="[^"]*"; name=', body) is not None


@rule("multipart: non-UTF-8 byte in a part name (Starlette Latin-1; multer: no name -> 400)")
def _(ct, body, r):
    return is_mp(ct) and re.search(rb'name="[^"]*[\x80-\xff]', body) is not None and b'name="\xff"' in body


@rule("multipart: unquoted name containing a space")
def _(ct, body, r):
    return is_mp(ct) and b"name=user name" in body


@rule("1 MB per field/part limit of Starlette (400) not applied by sluice")
def _(ct, body, r):
    return len(body) > 1024 * 1024 and r["fastapi"][0] == 400


@rule("urlencoded Content-Type with a non-ASCII byte (sluice: not a form)")
def _(ct, body, r):
    return ct is not None and any(ord(c) > 127 for c in ct)


@rule("integer beyond i64 in `age` (pydantic int is unbounded; the Rust model is i64)")
def _(ct, body, r):
    return any(not (I64[0] <= int(m) <= I64[1]) for m in re.findall(rb"age=(-?\d{19,})", body))


def main():
    per = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    groups = defaultdict(list)
    totals = defaultdict(int)
    results = os.environ.get("OUT", os.path.join(tempfile.gettempdir(), "form-results.jsonl"))
    for line in open(results):
        r = json.loads(line)
        totals[r["verdict"]] += 1
        if r["verdict"] != "diff":
            continue
        body = base64.b64decode(r["body"])
        for name, f in RULES:
            if f(r["ct"], body, r):
                groups[name].append(r); break
        else:
            groups["UNEXPLAINED"].append(r)
    print(dict(totals))
    for g, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"== {len(rs):4d}  {g}")
        for r in rs[:per]:
            print(f"     #{r['i']} {r['kind']} ct={r['ct']!r} body={r['body_repr'][:200]}\n       F: {r['fastapi'][0]} {r['fastapi'][1][:200]}\n       S: {r['sluice'][0]} {r['sluice'][1][:200]}")


if __name__ == "__main__":
    main()
