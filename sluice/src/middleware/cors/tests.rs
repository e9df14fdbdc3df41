//! Unit tests for the parsers behind [`Cors`](super::Cors); the behaviour is
//! tested through `TestClient` in `sluice/tests/cors.rs`.

use super::*;

#[test]
fn origins_as_browsers_send_them_are_accepted() {
    for origin in [
        "null",
        "http://localhost",
        "http://localhost:8080",
        "https://app.example.org",
        "https://xn--bcher-kva.example",
        "http://127.0.0.1:3000",
        "http://[::1]:8000",
        "http://[2001:db8::1]",
        "chrome-extension://abcdefghijklmnop",
        "https://example.com:8443",
        "http://example.com:443",
        "https://example.com:80",
    ] {
        assert_eq!(check_origin(origin), Ok(()), "{origin}");
    }
}

#[test]
fn origins_that_can_never_match_are_refused_with_the_reason() {
    for (origin, reason) in [
        ("", "empty"),
        ("localhost:8080", "no scheme"),
        ("https://example.com/", "trailing slash"),
        ("https://example.com/app", "no path"),
        ("https://example.com?q", "no path"),
        ("https://user@example.com", "user info"),
        ("https://*.example.com", "allow_origin_regex"),
        ("HTTPS://example.com", "scheme in lower case"),
        ("https://Example.com", "host in lower case"),
        ("http://[::1", "closing bracket"),
        ("http://[nope]", "IPv6 address is invalid"),
        ("http://[::1]x", "after the IPv6"),
        ("http://:8080", "no host"),
        ("http://example.com:", "not a number"),
        ("http://example.com:http", "not a number"),
        ("http://example.com:70000", "above 65535"),
        ("http://example.com:080", "leading zeros"),
        ("http://example.com:80", "default port"),
        ("https://example.com:443", "default port"),
        ("https://exa mple.com", "whitespace"),
        ("https://bücher.example", "punycode"),
        ("https://ex!ample.com", "host name cannot have"),
        ("1http://example.com", "scheme is invalid"),
    ] {
        match check_origin(origin) {
            Ok(()) => panic!("{origin:?} was accepted"),
            Err(e) => assert!(e.contains(reason), "{origin:?}: {e:?} lacks {reason:?}"),
        }
    }
}

#[test]
fn tokens_follow_rfc_9110() {
    for token in ["GET", "X-Custom", "content-type", "QUERY", "x_y.z~!", "*"] {
        assert!(is_token(token), "{token}");
    }
    for not in ["", "X Custom", "a,b", "a:b", "é", "a\tb", "(x)"] {
        assert!(!is_token(not), "{not:?}");
    }
}

#[test]
fn trimming_follows_python_str_strip_on_latin_1() {
    assert_eq!(trim_python_space(b" \t x-a \xa0\x85"), b"x-a");
    assert_eq!(trim_python_space(b"\x1c\x1fx\x0b\x0c"), b"x");
    assert_eq!(trim_python_space(b"   "), b"");
    assert_eq!(trim_python_space(b""), b"");
    assert_eq!(trim_python_space(b"a b"), b"a b");
}

#[test]
fn header_bytes_decode_as_latin_1() {
    assert!(matches!(
        latin1(b"https://a.org"),
        Cow::Borrowed("https://a.org")
    ));
    assert_eq!(latin1(b"https://\xe9.org"), "https://\u{e9}.org");
    // Valid UTF-8 that is not ASCII is still read byte by byte.
    assert_eq!(latin1("é".as_bytes()), "\u{c3}\u{a9}");
}

#[test]
fn failure_text_lists_the_checks_in_starlette_order() {
    let all = Failures {
        origin: true,
        method: true,
        headers: true,
        private_network: true,
    };
    assert_eq!(
        all.text().as_deref(),
        Some("Disallowed CORS origin, method, headers, private-network")
    );
    let some = Failures {
        method: true,
        private_network: true,
        ..Failures::default()
    };
    assert_eq!(
        some.text().as_deref(),
        Some("Disallowed CORS method, private-network")
    );
    assert_eq!(Failures::default().text(), None);
}

#[test]
fn allow_headers_value_is_the_sorted_union_with_the_safelisted_four() {
    let cors = Cors::new().allow_headers(["X-Custom", "authorization", "Accept", "content-type"]);
    assert_eq!(
        cors.headers_value,
        "Accept, Accept-Language, Content-Language, Content-Type, X-Custom, authorization, content-type"
    );
    let lower: Vec<&str> = cors.headers.iter().map(|h| &**h).collect();
    assert_eq!(
        lower,
        [
            "accept",
            "accept-language",
            "authorization",
            "content-language",
            "content-type",
            "x-custom"
        ]
    );
}

#[test]
fn star_in_methods_expands_to_starlette_list() {
    let cors = Cors::new().allow_methods(["PATCH", "*"]);
    assert_eq!(
        cors.methods_value,
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY"
    );
}

#[test]
fn a_later_setter_call_replaces_the_earlier_problem() {
    let cors = Cors::new()
        .allow_origins(["https://example.com/"])
        .allow_origins(["https://example.com"]);
    assert!(Middleware::validate(&cors).is_ok());
}

#[test]
fn a_regex_cannot_escape_its_anchors() {
    let cors = Cors::new().allow_origin_regex("https://a)|(b");
    assert!(Middleware::validate(&cors).is_err());
}
