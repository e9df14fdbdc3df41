"""The websocket scenario, handshake by handshake and frame by frame: the same
raw bytes to uvicorn (wsapp.py) and to conformance-app (see README.md)."""
import os, socket, struct, time
from compare import start_ref, start_sut

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
MASK = b"\x01\x02\x03\x04"


def frame(opcode, payload=b"", masked=True, fin=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


def handshake(path, host="127.0.0.1", key=KEY, version="13", extra=(), upgrade=True):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    if upgrade:
        lines += ["Connection: Upgrade", "Upgrade: websocket"]
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_exact(s, n, buf):
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def run_case(port, request, frames=(), wait=1.5):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    s.sendall(request)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        k = k.strip().lower()
        if k in ("date", "server", "connection", "content-length", "x-process-time"):
            continue
        headers.setdefault(k, []).append(v.strip())
    if "content-type" in headers:
        headers["content-type"] = [v.replace(" ", "").lower() for v in headers["content-type"]]
    if status != 101:
        body = rest
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
        except OSError:
            pass
        s.close()
        return status, headers, body, None
    for f in frames:
        try:
            s.sendall(f)
        except OSError:
            break  # the server closed while we were sending
    got, buf = [], rest
    try:
        while True:
            buf = read_exact(s, 2, buf)
            b0, b1 = buf[0], buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                buf = read_exact(s, 4, buf); n = struct.unpack("!H", buf[2:4])[0]; off = 4
            elif n == 127:
                buf = read_exact(s, 10, buf); n = struct.unpack("!Q", buf[2:10])[0]; off = 10
            buf = read_exact(s, off + n, buf)
            payload, buf = buf[off:off + n], buf[off + n:]
            opcode = b0 & 0x0F
            if opcode == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                got.append(("close", code, payload[2:]))
                break
            if len(payload) > 64:
                payload = (len(payload), payload[:8], payload[-8:])
            got.append((opcode, b0 & 0x80, payload))
    except (EOFError, socket.timeout, OSError) as e:
        got.append(("end", type(e).__name__))
    s.close()
    return status, headers, b"", got


BIG = os.urandom(1 << 20)
BIG_TEXT = ("é" * (1 << 19)).encode()
CASES = [
    ("echo text, binary, bye", handshake("/ws"),
     [frame(1, b"hello"), frame(2, b"\x00\x01\xff"), frame(1, b"bye")]),
    ("echo 1 MiB binary and text", handshake("/ws"),
     [frame(2, BIG), frame(1, BIG_TEXT), frame(1, b"bye")]),
    ("fragmented text", handshake("/ws"),
     [frame(1, b"hel", fin=False), frame(0, b"lo"), frame(1, b"bye")]),
    ("client close 1001 with reason", handshake("/ws"), [frame(8, close_payload(1001, b"going"))]),
    ("client close 4000", handshake("/ws"), [frame(8, close_payload(4000))]),
    ("client close without code", handshake("/ws"), [frame(8)]),
    ("ping", handshake("/ws"), [frame(9, b"are you there"), frame(8, close_payload(1000))]),
    ("invalid utf-8", handshake("/ws"), [frame(1, b"\xff\xfe")]),
    ("unmasked frame", handshake("/ws"), [frame(1, b"hi", masked=False)]),
    ("reserved opcode", handshake("/ws"), [frame(3, b"x")]),
    ("reserved control opcode", handshake("/ws"), [frame(0xB, b"x")]),
    ("reserved bit", handshake("/ws"), [bytes([0xC1]) + frame(1, b"x")[1:]]),
    ("fragmented ping", handshake("/ws"), [frame(9, b"x", fin=False)]),
    ("ping too long", handshake("/ws"), [frame(9, b"x" * 126)]),
    ("unexpected continuation", handshake("/ws"), [frame(0, b"x")]),
    ("expected continuation", handshake("/ws"), [frame(1, b"a", fin=False), frame(1, b"b")]),
    ("close one byte", handshake("/ws"), [frame(8, b"\x03")]),
    ("close code 999", handshake("/ws"), [frame(8, close_payload(999))]),
    ("close code 1005", handshake("/ws"), [frame(8, close_payload(1005))]),
    ("close reason not utf-8", handshake("/ws"), [frame(8, close_payload(1000, b"\xff"))]),
    ("split utf-8 across fragments", handshake("/ws"),
     [frame(1, b"\xc3", fin=False), frame(0, b"\xa9"), frame(1, b"bye")]),
    ("subprotocol asked", handshake("/ws", extra=["Sec-WebSocket-Protocol: chat, superchat"]),
     [frame(8, close_payload(1000))]),
    ("items", handshake("/ws/items/5?q=x"), []),
    ("items no q", handshake("/ws/items/5"), []),
    ("items empty q", handshake("/ws/items/5?q="), []),
    ("items repeated q", handshake("/ws/items/5?q=a&q=b"), []),
    ("items negative", handshake("/ws/items/-3"), []),
    ("items bad id", handshake("/ws/items/abc"), []),
    ("reject", handshake("/ws/reject"), []),
    ("unknown path", handshake("/nope"), []),
    ("trailing slash", handshake("/ws/"), []),
    ("plain GET", handshake("/ws", upgrade=False, key=None, version=None), []),
    ("host not allowed", handshake("/ws", host="evil.example"), []),
    ("no key", handshake("/ws", key=None), []),
    ("bad key", handshake("/ws", key="not base64!"), []),
    ("short key", handshake("/ws", key="c2hvcnQ="), []),
    ("version 8", handshake("/ws", version="8"), []),
    ("no version", handshake("/ws", version=None), []),
]

if __name__ == "__main__":
    _, rp = start_ref("wsapp")
    _, sp = start_sut("websocket")
    fails = 0
    for name, request, frames in CASES:
        a = run_case(rp, request, frames)
        b = run_case(sp, request, frames)
        if a != b:
            fails += 1
            print("DIFF", name, "\n  ref", a, "\n  sut", b)
    print("websocket", len(CASES), "cases,", fails, "differ")
