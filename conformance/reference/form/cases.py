"""Seeded random form bodies: list of (content_type | None, body bytes, kind)."""
import random

FIELDS = ["username", "password", "remember", "tags", "age", "score"]
UNKNOWN = ["foo", "user", "Username", "tags[]", "age ", " age", "x", "pass word",
           "user%6Eame", "user+name", "%61ge", "t%61gs", "remember%", "%zz", "%FF", "sc\xc3\xb3re"]
STRINGS = ["ann", "a b", "p+w", "p%20w", "", "x=y", "a%26b", "%C3%A9", "%E2%82%AC", "%F0%9F%98%80",
           "%zz", "%2", "%", "%%", "%FF", "%C3", "%C3%28", "%ED%A0%80", "%00", "%0A", "%7E",
           "\xc3\xa9", "\xff", "\xe2\x82\xac", "\xc3", "\x80abc", "caf\xe9", "%C3\xa9",
           "longvalue" * 5, " ", "+", "++", "a+b%2Bc", "null", "None", "[]", "{}", "\t"]
NUMBERS = ["5", " 5 ", "5 ", "+5", "-5", "5.0", "5.5", "1_000", "1e3", "1E3", "-0", "0", "00", "007",
           "0x10", "0b1", "0o7", "inf", "-inf", "Infinity", "nan", "NaN", "1.", ".5", "-.5", "5e-1",
           "9223372036854775807", "9223372036854775808", "-9223372036854775809",
           "99999999999999999999", "1e400", "-1e400", "1e308", "1" * 30, "5.000000000000000001",
           "%35", "%2B5", "5%20", "+5+", "\uff15".encode("utf-8").decode("latin-1"), "%EF%BC%95",
           "٣".encode().decode("latin-1"), "1,000", "5_", "_5", "1__0", "abc", "", "true", "0.0", "1.0",
           "-0.0", "2.5e2", "4.0000000000000001", "1e-400"]
BOOLS = ["on", "off", "yes", "no", "true", "false", "True", "FALSE", "1", "0", "maybe", "",
         "t", "f", "y", "n", "Y", "ON", " true", "true ", "1.0", "0.0", "2", "-1", "%74rue",
         "yes+", "+yes", "oN", "nO", "00", "01", "10", "tru", "truee"]


def enc_str(s: str) -> bytes:
    # our value strings are "latin-1 spelled": each char is one raw byte
    return s.encode("latin-1")


def value_for(rng, name):
    base = name.strip().lower()
    r = rng.random()
    if base in ("age", "score") and r < 0.8:
        return rng.choice(NUMBERS)
    if base == "remember" and r < 0.8:
        return rng.choice(BOOLS)
    if r < 0.15:
        return rng.choice(NUMBERS + BOOLS)
    return rng.choice(STRINGS)


def pair(rng, required_bias):
    r = rng.random()
    if r < 0.78:
        name = rng.choice(FIELDS)
    elif r < 0.93:
        name = rng.choice(UNKNOWN)
    else:
        name = ""
    val = value_for(rng, name)
    form = rng.random()
    if form < 0.85:
        return enc_str(name) + b"=" + enc_str(val)
    if form < 0.92:
        return enc_str(name)            # no '='
    if form < 0.96:
        return enc_str(name) + b"=" + enc_str(val) + b"=" + enc_str(rng.choice(STRINGS))
    return b""                          # empty pair (&&)


def urlencoded(rng):
    pairs = []
    # usually send both required fields somewhere, so the other fields get read
    if rng.random() < 0.75:
        pairs.append(b"username=" + enc_str(rng.choice(STRINGS[:4] + ["ann"] * 4)))
        pairs.append(b"password=" + enc_str(rng.choice(["pw", "s3cret", "p%20w", "a+b"])))
    for _ in range(rng.randint(0, 7)):
        pairs.append(pair(rng, 0))
    rng.shuffle(pairs)
    sep = b"&"
    r = rng.random()
    body = sep.join(pairs)
    if r < 0.05:
        body = body.replace(b"&", b";", 1)
    elif r < 0.08:
        body = b"&" + body
    elif r < 0.11:
        body = body + b"&"
    elif r < 0.13:
        body = body + b"\n"
    return body


CTS_FORM = ["application/x-www-form-urlencoded"] * 14 + [
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded;charset=UTF-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "Application/X-WWW-Form-Urlencoded",
    "application/x-www-form-urlencoded ",
    " application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded;",
]
CTS_OTHER = ["text/plain", "application/json", None, "application/x-www-form-urlencodedx",
             "application/x-www-form", "multipart/form-data", "multipart/form-data; boundary=zz",
             "application/octet-stream", "", "form"]


def mp_part(rng, boundary):
    r = rng.random()
    name = rng.choice(FIELDS * 3 + UNKNOWN[:4] + [""])
    val = enc_str(value_for(rng, name))
    if rng.random() < 0.3:
        val = rng.choice([b"\xc3\xa9t\xc3\xa9", b"\xff\xfe", b"caf\xe9", b"a\r\nb", b"", b"5", b"on", b" 5 "])
    if r < 0.65:
        hdr = b'Content-Disposition: form-data; name="' + enc_str(name) + b'"'
    elif r < 0.8:
        hdr = (b'Content-Disposition: form-data; name="' + enc_str(name) + b'"; filename="f.txt"\r\n'
               b"Content-Type: text/plain")
    elif r < 0.85:
        hdr = b'Content-Disposition: form-data; name="' + enc_str(name) + b'"; filename=""'
    elif r < 0.9:
        hdr = b"Content-Disposition: form-data"           # no name
    elif r < 0.95:
        hdr = b'Content-Disposition: form-data; name="' + enc_str(name) + b'"\r\nContent-Type: text/plain; charset=utf-8'
    else:
        hdr = b'Content-Disposition: form-data; name=' + enc_str(name or "x")  # unquoted name
    return b"--" + boundary + b"\r\n" + hdr + b"\r\n\r\n" + val + b"\r\n"


def multipart(rng):
    boundary = rng.choice([b"XyZ123", b"----WebKitFormBoundary7MA4YWxkTrZu0gW", b"b"])
    parts = []
    if rng.random() < 0.7:
        parts.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="username"\r\n\r\nann\r\n')
        parts.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="password"\r\n\r\npw\r\n')
    for _ in range(rng.randint(0, 5)):
        parts.append(mp_part(rng, boundary))
    rng.shuffle(parts)
    body = b"".join(parts) + b"--" + boundary + b"--\r\n"
    r = rng.random()
    if r < 0.06:
        body = body[: max(1, len(body) - rng.randint(1, 20))]  # truncated
    elif r < 0.09:
        body = b""
    elif r < 0.11:
        body = b"garbage" + body
    ct = "multipart/form-data; boundary=" + boundary.decode()
    if rng.random() < 0.1:
        ct = rng.choice(["multipart/form-data", 'multipart/form-data; boundary="' + boundary.decode() + '"',
                         "Multipart/Form-Data; boundary=" + boundary.decode(),
                         "multipart/form-data; boundary=wrong"])
    return ct, body


def many_fields(rng):
    n = rng.choice([999, 1000, 1001, 1002, 1500])
    extra = max(0, n - 2)
    parts = [b"username=a", b"password=b"] + [b"f%d=1" % i for i in range(extra)]
    rng.shuffle(parts)
    return b"&".join(parts)


def generate(n=3200, seed=20240611):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.85:
            out.append((rng.choice(CTS_FORM), urlencoded(rng), "urlencoded"))
        elif r < 0.92:
            out.append((rng.choice(CTS_OTHER), urlencoded(rng), "other-ct"))
        elif r < 0.995:
            ct, body = multipart(rng)
            out.append((ct, body, "multipart"))
        else:
            out.append(("application/x-www-form-urlencoded", many_fields(rng), "many-fields"))
    return out


if __name__ == "__main__":
    for ct, body, kind in generate()[:30]:
        print(kind, repr(ct), body)


# ---- targeted edge kinds (added after the first run found the urlencoded core clean) ----

def _mp(boundary, parts, end=b"--\r\n", eol=b"\r\n"):
    out = b""
    for hdrs, val in parts:
        out += b"--" + boundary + eol + eol.join(hdrs) + eol + eol + val + eol
    return out + b"--" + boundary + end


CD_VARIANTS = [
    [b'Content-Disposition: form-data; Name="username"'],
    [b'Content-Disposition: attachment; name="username"'],
    [b'content-disposition: form-data; name="username"'],
    [b'CONTENT-DISPOSITION: form-data; name="username"'],
    [b"Content-Disposition: form-data; name*=utf-8''username"],
    [b'Content-Disposition: form-data; name="foo"; name="username"'],
    [b'Content-Disposition: form-data; name="user\\"name"'],
    [b'Content-Disposition: form-data; name="us%65rname"'],
    [b'Content-Disposition: form-data; name="username" '],
    [b'Content-Disposition: form-data;name=username'],
    [b"Content-Disposition: form-data; name='username'"],
    [b'Content-Disposition: form-data; name="username"; filename*=utf-8\'\'f.txt'],
    [b'Content-Disposition: form-data; name="username"; FILENAME="f.txt"'],
    [b'Content-Disposition: form-data; name="sc\xc3\xb3re"'],
    [b'Content-Disposition: form-data; name="\xff"'],
    [b'Content-Type: text/plain'],
    [b'Content-Disposition: form-data; name=""'],
    [b'Content-Disposition: form-data; name="username"', b'X-Other: 1'],
    [b'Content-Disposition: form-data; name = "username"'],
    [b'Content-Disposition:form-data; name="username"'],
    [b'Content-Disposition: form-data; name="username";'],
    [b'Content-Disposition: form-data; name="a;b"'],
    [b'Content-Disposition: form-data; name=user name'],
    [b'Content-Disposition: form-data; name="username"; filename="C:\\\\dir\\\\f.txt"'],
]


def mp_edge(rng):
    b = rng.choice([b"b", b"XyZ123"])
    parts = [([b'Content-Disposition: form-data; name="password"'], b"pw")]
    for _ in range(rng.randint(1, 2)):
        parts.append((rng.choice(CD_VARIANTS), rng.choice([b"ann", b"\xc3\xa9", b"5", b"", b"on"])))
    rng.shuffle(parts)
    r = rng.random()
    ct = "multipart/form-data; boundary=" + b.decode()
    if r < 0.55:
        body = _mp(b, parts)
    elif r < 0.63:
        body = _mp(b, parts, eol=b"\n", end=b"--\n")               # LF only
    elif r < 0.7:
        body = _mp(b, parts, end=b"--")                             # no final CRLF
    elif r < 0.76:
        body = _mp(b, parts, end=b"--\r\nepilogue text\r\n")        # epilogue
    elif r < 0.82:
        body = b"preamble\r\n" + _mp(b, parts)                      # preamble line
    elif r < 0.88:
        body = _mp(b, parts).replace(b"--" + b + b"\r\n", b"--" + b + b"  \r\n")  # transport padding
    elif r < 0.94:
        body = _mp(b, parts, end=b"\r\n")                           # no closing '--'
    else:
        body = _mp(b, parts)[: -rng.randint(1, 12)]                 # truncated end
    return ct, body


CHARSETS = ["utf-8", "UTF-8", "latin-1", "iso-8859-1", "ascii", "utf-16", "bogus", "cp1252", "utf8", '"utf-8"']


def mp_charset(rng):
    b = b"b"
    val = rng.choice([b"\xc3\xa9t\xc3\xa9", b"caf\xe9", b"ann", b"pw", b"\x80", b"\xe2\x82\xac", b"abcd"])
    name = rng.choice([b"username", b"sc\xc3\xb3re", b"tags"])
    parts = [([b'Content-Disposition: form-data; name="password"'], b"pw"),
             ([b'Content-Disposition: form-data; name="' + name + b'"'], val)]
    if name != b"username":
        parts.append(([b'Content-Disposition: form-data; name="username"'], b"ann"))
    ct = "multipart/form-data; boundary=b; charset=" + rng.choice(CHARSETS)
    if rng.random() < 0.3:
        ct = "multipart/form-data; charset=" + rng.choice(CHARSETS) + "; boundary=b"
    return ct, _mp(b, parts)


ODD_CTS = [
    "multipart/form-data; BOUNDARY=b", "multipart/form-data; Boundary=b", "multipart/form-data; boundary = b",
    "multipart/form-data;boundary=b", "multipart/form-data; boundary=b; boundary=c",
    "multipart/form-data; boundary=\"b\"; charset=utf-8", "multipart/form-data ; boundary=b",
    "multipart/form-data; boundary*=b", "MULTIPART/FORM-DATA; boundary=b", "multipart/form-data; boundary=",
    "multipart/mixed; boundary=b", "multipart/form-data,  boundary=b",
]
ODD_FORM_CTS = [
    "application/x-www-form-urlencoded; charset=\xe9", "application/x-www-form-urlencoded; x=\xff",
    "application/x-www-form-urlencoded\t", "\tapplication/x-www-form-urlencoded",
    "application/x-www-form-urlencoded ; charset=utf-8", "application/x-www-form-urlencoded, text/plain",
    "application/x-www-form-urlencoded;;", "application/x-www-form-urlencoded; charset=\"utf-8\"",
    "APPLICATION/X-WWW-FORM-URLENCODED; CHARSET=UTF-8", "application/x-www-form-urlencoded\xa0",
]


def odd_ct(rng):
    if rng.random() < 0.5:
        parts = [([b'Content-Disposition: form-data; name="username"'], b"ann"),
                 ([b'Content-Disposition: form-data; name="password"'], b"pw")]
        return rng.choice(ODD_CTS), _mp(b"b", parts)
    return rng.choice(ODD_FORM_CTS), urlencoded(rng)


def big(rng):
    which = rng.choice(["url-value", "url-name", "url-just-under", "mp-text", "mp-file", "mp-just-under"])
    M = 1024 * 1024
    if which == "url-value":
        return "application/x-www-form-urlencoded", b"username=ann&password=" + b"a" * (M + 10)
    if which == "url-name":
        return "application/x-www-form-urlencoded", b"username=ann&password=pw&" + b"n" * (M - 2) + b"=abc"
    if which == "url-just-under":
        return "application/x-www-form-urlencoded", b"username=ann&password=" + b"a" * (M - 8)
    if which == "mp-text":
        return "multipart/form-data; boundary=b", _mp(b"b", [([b'Content-Disposition: form-data; name="username"'], b"ann"),
                                                              ([b'Content-Disposition: form-data; name="password"'], b"p" * (M + 1))])
    if which == "mp-just-under":
        return "multipart/form-data; boundary=b", _mp(b"b", [([b'Content-Disposition: form-data; name="username"'], b"ann"),
                                                              ([b'Content-Disposition: form-data; name="password"'], b"p" * M)])
    return "multipart/form-data; boundary=b", _mp(b"b", [([b'Content-Disposition: form-data; name="username"'], b"ann"),
                                                          ([b'Content-Disposition: form-data; name="password"'], b"pw"),
                                                          ([b'Content-Disposition: form-data; name="f"; filename="x"'], b"z" * (2 * M))])


def many_parts(rng):
    n = rng.choice([999, 1000, 1001])
    kind = rng.choice(["fields", "files", "empty-pairs", "no-eq"])
    if kind == "empty-pairs":
        return "application/x-www-form-urlencoded", b"username=a&password=b&" + b"&&" * n + b"&x=1" * (n - 3)
    if kind == "no-eq":
        return "application/x-www-form-urlencoded", b"username=a&password=b&" + b"&".join(b"k%d" % i for i in range(n - 2))
    parts = [([b'Content-Disposition: form-data; name="username"'], b"ann"),
             ([b'Content-Disposition: form-data; name="password"'], b"pw")]
    if kind == "fields":
        parts += [([b'Content-Disposition: form-data; name="f%d"' % i], b"1") for i in range(n - 2)]
    else:
        parts += [([b'Content-Disposition: form-data; name="f%d"; filename="x"' % i], b"1") for i in range(n)]
    return "multipart/form-data; boundary=b", _mp(b"b", parts)


def generate_all(n=3200, seed=20240611, n_edge=800, edge_seed=7):
    out = generate(n, seed)
    rng = random.Random(edge_seed)
    for _ in range(n_edge):
        r = rng.random()
        if r < 0.5:
            ct, body = mp_edge(rng); kind = "mp-edge"
        elif r < 0.7:
            ct, body = mp_charset(rng); kind = "mp-charset"
        elif r < 0.95:
            ct, body = odd_ct(rng); kind = "odd-ct"
        elif r < 0.98:
            ct, body = big(rng); kind = "big"
        else:
            ct, body = many_parts(rng); kind = "many-parts"
        out.append((ct, body, kind))
    return out
