//! The forwarded-header grammars: uvicorn's reading of `X-Forwarded-For`
//! (Python's `str.strip`, `int` and `ipaddress` rules, reproduced for the
//! bytes a header can hold) and RFC 7239's `Forwarded`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::headers::{python_space, trim_by};

/// Python's `str.strip()` on latin-1 text (see [`python_space`]).
pub(super) fn py_strip(bytes: &[u8]) -> &[u8] {
    trim_by(bytes, python_space)
}

/// Python's `int(text)` for a port: `None` when it raises, else the value
/// when it is a usable port (1 to 65535), `Some(None)` otherwise (zero,
/// negative, too large).
fn py_int(text: &[u8]) -> Option<Option<u16>> {
    let text = py_strip(text);
    let (negative, digits) = match text.first() {
        Some(b'+') => (false, &text[1..]),
        Some(b'-') => (true, &text[1..]),
        _ => (false, text),
    };
    if !digits.first()?.is_ascii_digit() || !digits.last()?.is_ascii_digit() {
        return None;
    }
    let mut value: u32 = 0;
    let mut count = 0usize;
    let mut after_underscore = false;
    for &b in digits {
        if b == b'_' {
            if after_underscore {
                return None;
            }
            after_underscore = true;
            continue;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        after_underscore = false;
        count += 1;
        value = value.saturating_mul(10).saturating_add(u32::from(b - b'0'));
    }
    // CPython refuses to convert more digits than this (int_max_str_digits).
    if count > 4300 {
        return None;
    }
    Some(match u16::try_from(value) {
        Ok(port) if port > 0 && !negative => Some(port),
        _ => None,
    })
}

/// uvicorn's `_parse_host_port`: `[v6]`, `[v6]:port` and `v4:port` lose
/// the brackets and the port; anything else is the host as it is.
pub(super) fn parse_host_port(value: &[u8]) -> (&[u8], Option<u16>) {
    if value.first() == Some(&b'[') {
        let Some(end) = value.iter().position(|&b| b == b']') else {
            return (value, None);
        };
        let host = &value[1..end];
        return match &value[end + 1..] {
            [] => (host, None),
            [b':', port @ ..] => (host, py_int(port).flatten()),
            _ => (value, None),
        };
    }
    if value.iter().filter(|&&b| b == b':').count() == 1 {
        if let Some(colon) = value.iter().position(|&b| b == b':') {
            return match py_int(&value[colon + 1..]) {
                Some(port) => (&value[..colon], port),
                None => (value, None),
            };
        }
    }
    (value, None)
}

/// Python's `ipaddress.ip_address(text)`: the address, and the IPv6 scope
/// (`fe80::1%eth0`) when there is one.
pub(crate) fn py_ip(text: &str) -> Option<(IpAddr, Option<&str>)> {
    match text.split_once('%') {
        Some((addr, scope)) => {
            if scope.is_empty() || scope.contains('%') {
                return None;
            }
            let ip = addr.parse::<Ipv6Addr>().ok()?;
            Some((IpAddr::V6(ip), Some(scope)))
        }
        None => text.parse::<IpAddr>().ok().map(|ip| (ip, None)),
    }
}

/// One element of a `Forwarded` header: the `for=` node and `proto=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Element {
    pub(super) node: Option<Node>,
    pub(super) proto: Option<String>,
}

/// A `for=` node: the host as written (brackets removed) and its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Node {
    pub(super) host: String,
    pub(super) port: Option<u16>,
}

/// The elements of every `Forwarded` line, in order; an element that
/// breaks the grammar is `None`. `None` overall when there is none.
pub(super) fn forwarded_elements<'a>(
    lines: impl Iterator<Item = &'a [u8]>,
) -> Option<Vec<Option<Element>>> {
    let mut elements = Vec::new();
    for line in lines {
        for raw in split_outside_quotes(line, b',') {
            let raw = trim_ows(raw);
            if raw.is_empty() {
                continue; // RFC 9110 §5.6.1: empty list elements are ignored.
            }
            elements.push(parse_element(raw));
        }
    }
    (!elements.is_empty()).then_some(elements)
}

/// Splits at `sep` where it is not inside a quoted string. An unterminated
/// quote makes the last piece run to the end (and fail to parse).
fn split_outside_quotes(text: &[u8], sep: u8) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in text.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if !quoted && b == sep {
            pieces.push(&text[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&text[start..]);
    pieces
}

fn trim_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// `forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )`,
/// each parameter at most once.
fn parse_element(raw: &[u8]) -> Option<Element> {
    let mut element = Element {
        node: None,
        proto: None,
    };
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for pair in split_outside_quotes(raw, b';') {
        let pair = trim_ows(pair);
        if pair.is_empty() {
            continue;
        }
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (name, value) = (&pair[..eq], &pair[eq + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return None;
        }
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            return None;
        }
        let value = parse_value(value)?;
        match name.as_slice() {
            b"for" => element.node = Some(parse_node(&value)?),
            b"proto" => element.proto = Some(value),
            _ => {}
        }
        seen.push(name);
    }
    Some(element)
}

/// `value = token / quoted-string`, unquoted.
fn parse_value(value: &[u8]) -> Option<String> {
    if let [b'"', inner @ .., b'"'] = value {
        let mut out = Vec::with_capacity(inner.len());
        let mut bytes = inner.iter();
        while let Some(&b) = bytes.next() {
            match b {
                b'\\' => {
                    let &next = bytes.next()?;
                    if !(next == b'\t' || next == b' ' || next >= 0x21) || next == 0x7F {
                        return None;
                    }
                    out.push(next);
                }
                b'"' => return None,
                b'\t' | b' ' | 0x21..=0x7E | 0x80..=0xFF => out.push(b),
                _ => return None,
            }
        }
        // Only ASCII is meaningful in a node or a scheme.
        return String::from_utf8(out).ok().filter(|s| s.is_ascii());
    }
    if value.is_empty() || !value.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    String::from_utf8(value.to_vec()).ok()
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7239 `node = nodename [ ":" node-port ]`.
fn parse_node(text: &str) -> Option<Node> {
    let (host, rest) = if let Some(inner) = text.strip_prefix('[') {
        let end = inner.find(']')?;
        let host = &inner[..end];
        host.parse::<Ipv6Addr>().ok()?;
        (host, &inner[end + 1..])
    } else {
        let (host, rest) = match text.find(':') {
            Some(colon) => (&text[..colon], &text[colon..]),
            None => (text, ""),
        };
        let valid = host.eq_ignore_ascii_case("unknown")
            || is_obfuscated(host)
            || host.parse::<Ipv4Addr>().is_ok();
        if !valid {
            return None;
        }
        (host, rest)
    };
    let port = match rest {
        "" => None,
        _ => {
            let port = rest.strip_prefix(':')?;
            if is_obfuscated(port) {
                None
            } else if !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit())
            {
                Some(port.parse::<u16>().ok()?)
            } else {
                return None;
            }
        }
    };
    Some(Node {
        host: host.to_owned(),
        port,
    })
}

/// `obfnode`/`obfport`: `_` and then letters, digits, `.`, `_`, `-`.
fn is_obfuscated(text: &str) -> bool {
    text.strip_prefix('_').is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    })
}
