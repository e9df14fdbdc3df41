"""Differential run: every generated case to FastAPI (TestClient, in-process) and to sluice (HTTP).

usage: $REF_PYTHON conformance/reference/form/run.py [N] [SEED]
Serves `conformance-app form` ($SUT, default target/release/conformance-app)
and writes every case to $OUT (default: form-results.jsonl in the temporary
directory), then prints a summary; classify.py groups the differences.
"""
import base64, http.client, json, os, socket, subprocess, sys, tempfile, time, warnings

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases, ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.environ.get("OUT", os.path.join(tempfile.gettempdir(), "form-results.jsonl"))
SUT = os.environ.get("SUT", os.path.join(HERE, "..", "..", "..", "target", "release", "conformance-app"))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def canon(text):
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except Exception:
        return "RAW:" + text


class Sluice:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([SUT, "form", "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close(); break
            except OSError:
                time.sleep(0.05)
        self.conn = None

    def post(self, body, ct):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                headers = {} if ct is None else {"Content-Type": ct.encode("latin-1")}
                self.conn.request("POST", "/login", body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read().decode("utf-8", "replace")
            except (http.client.HTTPException, OSError):
                self.conn.close(); self.conn = None
                if attempt:
                    raise

    def stop(self):
        self.proc.terminate(); self.proc.wait()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3200
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20240611
    all_cases = cases.generate_all(n, seed)
    sut = Sluice()
    out = open(RESULTS, "w")
    same = diff = fastapi_unserializable = 0
    try:
        for i, (ct, body, kind) in enumerate(all_cases):
            fs, fb, fexc = ref.answer(body, ct)
            ss, sb = sut.post(body, ct)
            if fexc is not None or fs == 500:
                verdict = "fastapi-500"; fastapi_unserializable += 1
            elif fs == ss and canon(fb) == canon(sb):
                verdict = "same"; same += 1
            else:
                verdict = "diff"; diff += 1
            out.write(json.dumps({"i": i, "kind": kind, "ct": ct, "body": base64.b64encode(body).decode(),
                                  "body_repr": repr(body) if len(body) < 4000 else repr(body[:300]) + f"...<{len(body)} bytes>", "fastapi": [fs, fb, fexc], "sluice": [ss, sb],
                                  "verdict": verdict}) + "\n")
    finally:
        sut.stop(); out.close()
    print(f"cases={len(all_cases)} same={same} differ={diff} fastapi_500_or_raised={fastapi_unserializable}")


if __name__ == "__main__":
    main()
