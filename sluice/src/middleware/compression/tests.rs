//! Unit tests of the shared rules: media-type exclusion, `no-transform`,
//! ETag weakening and the settings checks.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use http::{HeaderMap, HeaderValue};

use super::encoder::{Codec, Coding};
use super::rules::{has_no_transform, mark_encoded, Rules};

fn content_type(value: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
    headers
}

#[test]
fn default_exclusions_match_type_subtype_and_wildcards() {
    let rules = Rules::default();
    for excluded in [
        "text/event-stream",
        "TEXT/EVENT-STREAM",
        "text/event-stream; charset=utf-8",
        "  text/event-stream  ;charset=utf-8",
        "image/png",
        "image/WebP",
        "audio/mpeg",
        "Video/mp4",
        "application/grpc",
        "application/grpc+proto",
        "application/grpc+json",
        "application/x-gzip",
        "font/woff2",
    ] {
        assert!(rules.is_excluded(&content_type(excluded)), "{excluded}");
    }
    for compressed in [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/json",
        "image/svg+xml",
        "application/grpc-web",
        "application/grpcx",
        "text/event-streams",
        "font/woff3",
        "audio",
        "",
        "garbage",
    ] {
        assert!(
            !rules.is_excluded(&content_type(compressed)),
            "{compressed}"
        );
    }
    assert!(!rules.is_excluded(&HeaderMap::new()), "no content-type");
}

#[test]
fn custom_exclusions_are_lower_cased_and_checked() {
    let mut rules = Rules::default();
    rules.set_excluded([" Application/JSON ", "text/*"]);
    assert!(rules.validate("GZip").is_ok());
    assert!(rules.is_excluded(&content_type("application/json")));
    assert!(rules.is_excluded(&content_type("application/json+x")));
    assert!(rules.is_excluded(&content_type("text/html")));
    assert!(!rules.is_excluded(&content_type("image/png")));

    for bad in ["json", "*/*", "text/", "/plain", "text/pl ain", "a/b/c"] {
        let mut rules = Rules::default();
        rules.set_excluded(["text/plain", bad]);
        let err = rules.validate("GZip").expect_err(bad);
        assert!(err.to_string().contains("GZip"), "{err}");
    }
    let mut rules = Rules::default();
    rules.set_excluded(["json"]);
    rules.set_excluded(["application/json"]);
    assert!(
        rules.validate("GZip").is_ok(),
        "a later valid list clears the error"
    );
}

#[test]
fn no_transform_is_found_among_directives() {
    let with = |values: &[&'static str]| {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(CACHE_CONTROL, HeaderValue::from_static(value));
        }
        has_no_transform(&headers)
    };
    assert!(with(&["no-transform"]));
    assert!(with(&["public, max-age=60, No-Transform"]));
    assert!(with(&["public", " no-transform "]));
    assert!(!with(&["no-store, no-cache"]));
    assert!(!with(&["private=\"no-transform\""]));
    assert!(!with(&[]));
}

#[test]
fn a_strong_etag_is_weakened_and_a_weak_one_kept() {
    let gzip = Codec {
        coding: Coding::Gzip,
        level: 9,
    };
    for (before, after) in [
        ("\"v1\"", "W/\"v1\""),
        ("W/\"v1\"", "W/\"v1\""),
        ("\"\"", "W/\"\""),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert(ETAG, HeaderValue::from_static(before));
        mark_encoded(&mut headers, gzip);
        assert_eq!(headers[ETAG], after);
        assert_eq!(headers["content-encoding"], "gzip");
    }
}
