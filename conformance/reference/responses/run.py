"""Random cookies and server-sent events: sluice against Starlette/FastAPI.

    cargo build --release -p conformance --example response_probe
    $REF_PYTHON conformance/reference/responses/run.py [N] [SEED]

Draws N random `set_cookie` argument sets (names, values, paths and
domains from all of Latin-1 plus `€`, quotes, separators and control
characters) and N random events (data, comment, event and id with `\\r`,
`\\n`, `\\r\\n`, NUL, non-ASCII), writes each with Starlette 1.10's
`Response.set_cookie` or FastAPI 0.165's `format_sse_event` (after its
`ServerSentEvent` checks), and with sluice (`response_probe`), and compares
the bytes. Where Starlette writes a cookie whose `path` or `domain` holds a
control character or `;`, sluice refuses it on purpose (see
`sluice::cookie`): such cases are counted apart, and any other difference
is listed.
"""

import json
import random
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from fastapi.sse import ServerSentEvent, format_sse_event
from starlette.responses import Response

ROOT = Path(__file__).resolve().parents[3]
PROBE = ROOT / "target" / "release" / "examples" / "response_probe"
REFUSED_ON_PURPOSE = re.compile(r"[\x00-\x1f\x7f-\x9f;]")


def probe(mode, cases):
    lines = "".join(json.dumps(c) + "\n" for c in cases)
    out = subprocess.run([str(PROBE), mode], input=lines, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    return ["ERR" if o == "ERR" else json.loads(o) for o in out]


def random_cookies(rng, n):
    alphabet = ([chr(c) for c in range(0x100)] + ["€", " ", ";", ",", '"', "\\", "="] * 5
                + list("abcXYZ019!#$%&'*+-.^_`|~:()/<=>?@[]{}") * 8)

    def text(most):
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, most)))

    return [dict(key=text(5) if rng.random() < 0.5 else rng.choice(["session", "a", "x-y"]),
                 value=text(10),
                 max_age=rng.choice([None, 0, 1, 3600, 10**9]),
                 expires=rng.choice([None, 0, 1798859045, 4102444800]),
                 path=rng.choice([None, "/", "/app", "", text(6)]),
                 domain=rng.choice([None, "example.com", "", text(6)]),
                 secure=rng.random() < 0.5, httponly=rng.random() < 0.5,
                 samesite=rng.choice([None, "lax", "strict", "none"]))
            for _ in range(n)]


def starlette_cookie(case):
    args = dict(case)
    if args["expires"] is not None:
        args["expires"] = datetime.fromtimestamp(args["expires"], tz=timezone.utc)
    response = Response()
    try:
        response.set_cookie(**args)
    except Exception:
        return "ERR"
    return response.headers.raw[-1][1].decode("latin-1")


def random_events(rng, n):
    alphabet = list("ab é€:") + ["\r", "\n", "\r\n", "\0"] * 2

    def text():
        if rng.random() < 0.3:
            return None
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))

    return [dict(data=text(), event=text(), id=text(), retry=rng.choice([None, 0, 3000]),
                 comment=text()) for _ in range(n)]


def fastapi_event(case):
    try:
        ServerSentEvent(raw_data=case["data"], event=case["event"], id=case["id"],
                        retry=case["retry"], comment=case["comment"])
    except Exception:
        return "ERR"
    return format_sse_event(data_str=case["data"], event=case["event"], id=case["id"],
                            retry=case["retry"], comment=case["comment"]).decode("latin-1")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    failed = False

    cookies = random_cookies(rng, n)
    same = on_purpose = 0
    other = []
    for case, mine in zip(cookies, probe("cookie", cookies)):
        theirs = starlette_cookie(case)
        if theirs == mine:
            same += 1
        elif mine == "ERR" and any(REFUSED_ON_PURPOSE.search(case[k] or "") for k in ("path", "domain")):
            on_purpose += 1
        else:
            other.append((case, theirs, mine))
    print(f"cookies: {n} cases, {same} the same, {on_purpose} refused on purpose "
          f"(a control character or ';' in path or domain), {len(other)} other")
    for case, theirs, mine in other[:10]:
        print("  ", json.dumps(case), "\n     starlette:", repr(theirs), "\n     sluice:   ", repr(mine))
    failed |= bool(other)

    events = random_events(rng, n)
    diffs = [(c, fastapi_event(c), m) for c, m in zip(events, probe("sse", events))
             if fastapi_event(c) != m]
    print(f"events: {n} cases, {n - len(diffs)} the same, {len(diffs)} different")
    for case, theirs, mine in diffs[:10]:
        print("  ", json.dumps(case), "\n     fastapi:", repr(theirs), "\n     sluice: ", repr(mine))
    failed |= bool(diffs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
