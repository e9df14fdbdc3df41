"""Number round-trip fuzz for tutorial POST /echo: compares raw response bytes.

Fixed edge cases plus 200 random numbers (seeded), each bare and in an array; prints each
difference and a count line.
Run: REF_PYTHON=... SUT=... python3 fuzz_num.py  (or via run_all.sh; see ../README.md).
"""
import os, sys, json, random
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import *
random.seed(11)
_, rp = start_ref("tutapp"); _, sp = start_sut("tutorial")
nums = ["0", "-0", "0.0", "-0.0", "0e0", "-0e0", "0E+0", "1E2", "1e-7", "1e-5", "1e-4", "0.0001", "0.00001", "1e15", "1e16", "1e17", "123456789012345678",
        "1.5e-10", "2.5", "1e308", "1.7976931348623157e308", "4.9e-324", "1e-323", "2e-308", "9007199254740993", "9007199254740993.0",
        "-9223372036854775808", "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "-1", "1.0e0", "10.50", "0.1e1",
        "1.25e+2", "12345678901234567890.5", "100", "1e2", "-1e-2", "3.0", "-3.0e-0", "0.5", "1e22", "1e21", "1e20", "123e-2", "5e-324", "1e-320",
        "0.30000000000000004", "1.1", "2.2", "7.000000000000001", "1e+", "[-0]", "{\"a\":-0}", "[1e400]"]
for _ in range(200):
    k = random.choice(["int", "float", "exp"])
    if k == "int": nums.append(str(random.choice([-1, 1]) * random.randint(0, 10 ** random.randint(1, 25))))
    elif k == "float": nums.append(repr(random.uniform(-1e6, 1e6)) if random.random() < .5 else "%.*f" % (random.randint(0, 20), random.uniform(-1e3, 1e3)))
    else: nums.append("%de%d" % (random.randint(-99, 99), random.randint(-330, 330)))
diff = 0
for n in nums:
    for doc in (n, "[" + n + "]"):
        raw = build("POST", "/echo", [("Content-Type", "application/json")], doc.encode())
        out = []
        for port in (rp, sp):
            rs, _, _ = exchange(port, fill(raw, port)); r = rs[0]
            out.append((r.status, r.body))
        if out[0] != out[1]:
            diff += 1; print("DIFF", doc, "| ref", out[0][0], out[0][1][:80], "| sut", out[1][0], out[1][1][:80])
print(len(nums) * 2, "docs,", diff, "differ")
