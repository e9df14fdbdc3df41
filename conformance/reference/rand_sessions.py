"""Random walks through the sessions scenario: the same sequence of PUT,
GET, DELETE and /public requests to the FastAPI twin (sessapp.py) and to
conformance-app, each server with its own cookie jar (its cookies go back
to it only), now and then a cookie tampered with, dropped, doubled or from
an older step. Keys are random path segments (encoded, Unicode, reused),
values random JSON (nested, Unicode, escapes, floats at the edges of
Python's layout). Prints how many answers are the same and the first
differences; see README.md.

    REF_PYTHON=/path/to/python python3 conformance/reference/rand_sessions.py [WALKS] [SEED]
"""
import json, random, sys, urllib.parse
from compare import start_ref, start_sut, send, norm

WALKS = int(sys.argv[1]) if len(sys.argv) > 1 else 150
R = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
J = ("Content-Type", "application/json")
KEYS = ["user", "n", "a", "b", "z", "A", "cart", "caf\u00e9", "a b", "a%2Fb", "1", "0", "-", "_x", "\u00e9\u00e9", "\U0001F600", "x.y", "k" * 40]
FLOATS = [0.5, 1.5, -2.25, 1e-05, 1e-7, 1.5e-07, 1e16, 1e22, 123456789.125, 3.141592653589793, -0.0, 2.0, 1e300, 5e-324]
STRS = ["", "x", "caf\u00e9", "\u00e9\U0001F600", "a\"b", "back\\slash", "tab\tnl\n", "\u2028", "<script>", "\x00", "null", "{}"]


def value(depth=0):
    r = R.random()
    if depth < 3 and r < 0.15:
        return {R.choice(KEYS): value(depth + 1) for _ in range(R.randint(0, 3))}
    if depth < 3 and r < 0.28:
        return [value(depth + 1) for _ in range(R.randint(0, 3))]
    return R.choice([None, True, False, R.randint(-10**6, 10**6), R.choice([0, -1, 2**53, 2**63 - 1, -2**63]),
                     R.choice(FLOATS), R.choice(STRS)])


def cookie_of(resp):
    for v in resp[1].get("set-cookie", []):
        name, _, val = v.split(";")[0].partition("=")
        if name == "session":
            return val
    return None


def main():
    (r, rp), (s, sp) = start_ref("sessapp"), start_sut("sessions")
    same = n = 0
    shown = 0
    try:
        for walk in range(WALKS):
            jars = {rp: [], sp: []}  # every cookie each server set, oldest first
            steps = []
            for _ in range(R.randint(1, 12)):
                k = R.random()
                if k < 0.5:
                    key = urllib.parse.quote(R.choice(KEYS), safe="%")
                    steps.append(("PUT", "/session/" + key, [J], json.dumps(value(), ensure_ascii=R.random() < 0.5).encode()))
                elif k < 0.75:
                    steps.append(("GET", "/session", [], b""))
                elif k < 0.85:
                    steps.append(("DELETE", "/session", [], b""))
                else:
                    steps.append(("GET", "/public", [], b""))
            cookie_plan = [R.choice(["last", "last", "last", "last", "none", "older", "tamper", "double", "garbage-after"]) for _ in steps]
            for (method, path, hs, body), plan in zip(steps, cookie_plan):
                outs = []
                for port in (rp, sp):
                    jar = jars[port]
                    headers = list(hs)
                    if jar and plan != "none":
                        c = jar[-1] if plan != "older" else jar[0]
                        if plan == "tamper" and c:
                            i = len(c) // 2
                            c = c[:i] + ("A" if c[i] != "A" else "B") + c[i + 1:]
                        cookie = "session=" + c
                        if plan == "double":
                            cookie = "session=" + jar[0] + "; session=" + c
                        if plan == "garbage-after":
                            cookie = cookie + "; session=garbage"
                        headers.append(("Cookie", cookie))
                    resp = send(port, method, path, headers, body)
                    got = cookie_of(resp)
                    if got is not None:
                        jar.append(got)
                    st, h, b = norm(resp, port)
                    # Key order and number layout count: the raw body, not
                    # its parse.
                    outs.append((st, h, resp[2]))
                n += 1
                if outs[0] == outs[1]:
                    same += 1
                elif shown < 12:
                    shown += 1
                    print("----", method, path, body[:120], plan, "\n  ref", outs[0], "\n  sut", outs[1])
    finally:
        r.terminate(); s.terminate()
    print("sessions: %d requests in %d walks, %d the same, %d differ" % (n, WALKS, same, n - same))


main()
