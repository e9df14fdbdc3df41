#!/bin/sh
# Rerun the whole core/ differential battery: the FastAPI twins in apps/
# (served by uvicorn) against conformance-app. See ../README.md.
#   REF_PYTHON  Python with fastapi==0.165.0, starlette==1.10.0, uvicorn[standard]==0.54.0 (default: python3)
#   SUT         conformance-app binary (default: <repo>/target/release/conformance-app)
#   OUT         outputs go to $OUT/out (default: a new temporary directory)
set -e
PY="${REF_PYTHON:-python3}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-core.XXXXXX")}"
mkdir -p "$OUT/out"
OUT="$(cd "$OUT" && pwd)"
export OUT PYTHONDONTWRITEBYTECODE=1
O="$OUT/out"
cd "$(dirname "$0")"
echo "outputs in $O"
"$PY" run.py order errors auth lifecycle body gzip tutorial   # writes $O/<scenario>.txt
for s in order errors auth lifecycle body gzip tutorial; do "$PY" summarize.py "$O/$s.txt" | grep -- "^--\|^=="; done
"$PY" fuzz_json.py > "$O/fuzz_json.txt"; tail -1 "$O/fuzz_json.txt"                   # malformed JSON: 422 loc/ctx
"$PY" fuzz_num.py > "$O/fuzz_num.txt"; tail -1 "$O/fuzz_num.txt"                      # JSON number round-trip (raw bytes)
"$PY" extra_redirects.py > "$O/extra_redirects.txt"; tail -1 "$O/extra_redirects.txt" # trailing-slash redirects
"$PY" auth_extra.py > "$O/auth_extra.txt"; tail -1 "$O/auth_extra.txt"                # auth: encoded paths, odd Hosts
"$PY" httplevel_table.py > "$O/httplevel_table.txt"                                   # transport-level status table
"$PY" limits_bisect.py                                                                # header/URL size limits
"$PY" ws_mw.py                                                                        # WebSocket handshakes vs middleware
"$PY" life_disc.py                                                                    # lifecycle with client disconnects
"$PY" lifetiming.py                                                                   # lifecycle ordering (pipelined)
"$PY" lifetiming2.py                                                                  # lifecycle ordering (keep-alive)
echo "outputs in $O"
