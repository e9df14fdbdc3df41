//! `StaticFiles`: Starlette 1.10's behaviour, through the test client, on
//! the static scenario's tree (mounted at `/static`, `GET /` beside it,
//! `GZip(minimum_size=500)` around everything).

#[path = "support/static_tree.rs"]
mod static_tree;

use std::io::Read;

use proptest::prelude::*;
use serde_json::{json, Value};
use sluice::middleware::GZip;
use sluice::testing::{TestClient, TestResponse};
use sluice::{App, ConfigError, Json, StaticFiles};
use static_tree::{Tree, LAST_MODIFIED, SECRET};

fn app(tree: &Tree) -> App {
    App::new()
        .get("/", || async { Json(json!({"Hello": "World"})) })
        .mount("/static", StaticFiles::new(tree.public()).html(true))
        .add_middleware(GZip::new().minimum_size(500))
}

fn client(tree: &Tree) -> TestClient {
    TestClient::new(app(tree))
}

fn not_found_page(res: &TestResponse) -> bool {
    res.status() == 404 && res.text() == "<h1>not here</h1>\n"
}

fn json_404(res: &TestResponse) -> bool {
    res.status() == 404
        && res.header("content-type") == Some("application/json")
        && res.json::<Value>() == json!({"detail": "Not Found"})
}

async fn etag(client: &TestClient, path: &str) -> String {
    let res = client.get(path).await;
    res.header("etag").expect("an etag").to_owned()
}

#[tokio::test]
async fn a_file_is_served_with_its_headers() {
    let tree = Tree::new();
    let res = client(&tree).get("/static/hello.txt").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "hello, world\n");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("content-length"), Some("13"));
    assert_eq!(res.header("last-modified"), Some(LAST_MODIFIED));
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    let etag = res.header("etag").expect("an etag");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "{etag}"
    );
}

#[tokio::test]
async fn the_route_beside_the_mount_still_answers() {
    let tree = Tree::new();
    let res = client(&tree).get("/").await;
    assert_eq!(res.json::<Value>(), json!({"Hello": "World"}));
}

#[tokio::test]
async fn content_types_come_from_the_extension() {
    let tree = Tree::new();
    let client = client(&tree);
    for (path, expected) in [
        ("/static/data.json", "application/json"),
        ("/static/index.html", "text/html; charset=utf-8"),
        ("/static/bytes.bin", "application/octet-stream"),
        ("/static/big.txt", "text/plain; charset=utf-8"),
    ] {
        let res = client.get(path).await;
        assert_eq!(res.header("content-type"), Some(expected), "{path}");
    }
    tree.write("noextension", b"x");
    let res = client.get("/static/noextension").await;
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
}

/// Where sluice does better than Starlette: a compressed file is served as
/// what it is. Starlette names the type inside (`style.css.gz` as
/// `text/css`) but sends no `content-encoding`, so a browser would read
/// gzip bytes as CSS.
#[tokio::test]
async fn a_compressed_file_is_served_as_what_it_is() {
    let tree = Tree::new();
    for name in ["style.css.gz", "x.tar.gz", "doc.txt.bz2"] {
        tree.write(name, b"\x1f\x8b");
    }
    let client = client(&tree);
    for (path, expected) in [
        ("/static/style.css.gz", "application/gzip"),
        ("/static/x.tar.gz", "application/gzip"),
        ("/static/doc.txt.bz2", "application/x-bzip2"),
    ] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.header("content-type"), Some(expected), "{path}");
        assert_eq!(res.header("content-encoding"), None, "{path}");
    }
}

#[tokio::test]
async fn names_with_spaces_and_unicode_are_served() {
    let tree = Tree::new();
    let client = client(&tree);
    assert_eq!(
        client.get("/static/with%20space.txt").await.text(),
        "space\n"
    );
    assert_eq!(
        client.get("/static/%C3%BCn%C3%AF.txt").await.text(),
        "unicode\n"
    );
}

#[tokio::test]
async fn bytes_are_sent_as_they_are() {
    let tree = Tree::new();
    let res = client(&tree).get("/static/bytes.bin").await;
    assert_eq!(&res.bytes()[..], &(0..=255u8).collect::<Vec<_>>()[..]);
}

#[tokio::test]
async fn head_gets_the_headers_of_a_get_without_the_body() {
    let tree = Tree::new();
    let client = client(&tree);
    let get = client.get("/static/big.txt").await;
    let head = client.head("/static/big.txt").await;
    assert_eq!(head.status(), 200);
    assert!(head.bytes().is_empty());
    for name in [
        "content-type",
        "content-length",
        "last-modified",
        "etag",
        "accept-ranges",
    ] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    assert_eq!(head.header("content-length"), Some("10000"));
}

#[tokio::test]
async fn other_methods_get_405_before_the_path_is_looked_at() {
    let tree = Tree::new();
    let client = client(&tree);
    for path in [
        "/static/hello.txt",
        "/static/missing",
        "/static/sub",
        "/static/../secret.txt",
    ] {
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            let res = client
                .request(method.parse().expect("a method"), path)
                .await;
            assert_eq!(res.status(), 405, "{method} {path}");
            assert_eq!(res.header("allow"), Some("GET, HEAD"));
            assert_eq!(res.json::<Value>(), json!({"detail": "Method Not Allowed"}));
        }
    }
}

#[tokio::test]
async fn if_none_match_with_the_etag_gives_a_bare_304() {
    let tree = Tree::new();
    let client = client(&tree);
    let etag = etag(&client, "/static/hello.txt").await;
    let res = client
        .get("/static/hello.txt")
        .header("if-none-match", &etag)
        .await;
    assert_eq!(res.status(), 304);
    assert!(res.bytes().is_empty());
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    for absent in [
        "last-modified",
        "content-type",
        "content-length",
        "accept-ranges",
    ] {
        assert_eq!(res.header(absent), None, "{absent}");
    }
}

#[tokio::test]
async fn if_none_match_compares_weakly_and_accepts_lists_and_a_star() {
    let tree = Tree::new();
    let client = client(&tree);
    let etag = etag(&client, "/static/hello.txt").await;
    for value in [
        format!("W/{etag}"),
        format!("\"a\", {etag} , \"b\""),
        "*".to_owned(),
    ] {
        let res = client
            .get("/static/hello.txt")
            .header("if-none-match", &value)
            .await;
        assert_eq!(res.status(), 304, "{value}");
    }
    let res = client
        .get("/static/hello.txt")
        .header("if-none-match", "\"other\"")
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn if_modified_since_at_or_after_the_date_gives_304() {
    let tree = Tree::new();
    let client = client(&tree);
    for date in [
        LAST_MODIFIED,
        "Fri, 01 Jan 2027 00:00:00 GMT",
        "Thursday, 01-Jan-26 00:00:00 GMT",
        "Thu Jan  1 00:00:00 2026",
    ] {
        let res = client
            .get("/static/hello.txt")
            .header("if-modified-since", date)
            .await;
        assert_eq!(res.status(), 304, "{date}");
    }
    for date in ["Wed, 31 Dec 2025 23:59:59 GMT", "yesterday", ""] {
        let res = client
            .get("/static/hello.txt")
            .header("if-modified-since", date)
            .await;
        assert_eq!(res.status(), 200, "{date:?}");
    }
    // A field of more than 4,300 digits is a ValueError for Python's
    // `int()`, so `parsedate` gives nothing and the header is ignored.
    let huge = "9".repeat(4301);
    for date in [
        format!("Thu, 01 Jan {huge} 00:00:00 GMT"),
        format!("Thu, {huge} Jan 2026 00:00:00 GMT"),
        format!("Thu, 01 Jan 2026 {huge}:00:00 GMT"),
    ] {
        let res = client
            .get("/static/hello.txt")
            .header("if-modified-since", date.as_str())
            .await;
        assert_eq!(res.status(), 200, "{}...", &date[..20]);
    }
}

#[tokio::test]
async fn if_modified_since_is_ignored_when_if_none_match_is_present() {
    let tree = Tree::new();
    let res = client(&tree)
        .get("/static/hello.txt")
        .header("if-none-match", "\"other\"")
        .header("if-modified-since", LAST_MODIFIED)
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_conditional_request_for_a_missing_path_gets_the_404_page() {
    let tree = Tree::new();
    let client = client(&tree);
    let res = client
        .get("/static/missing")
        .header("if-none-match", "*")
        .await;
    assert!(not_found_page(&res));
    let res = client
        .get("/static/missing")
        .header("if-modified-since", LAST_MODIFIED)
        .await;
    assert!(not_found_page(&res));
}

#[tokio::test]
async fn a_single_range_gives_206_with_content_range() {
    let tree = Tree::new();
    let client = client(&tree);
    for (range, content_range, body) in [
        ("bytes=0-4", "bytes 0-4/13", "hello"),
        ("bytes=7-", "bytes 7-12/13", "world\n"),
        ("bytes=-6", "bytes 7-12/13", "world\n"),
        ("bytes=7-100", "bytes 7-12/13", "world\n"),
    ] {
        let res = client.get("/static/hello.txt").header("range", range).await;
        assert_eq!(res.status(), 206, "{range}");
        assert_eq!(res.header("content-range"), Some(content_range), "{range}");
        assert_eq!(
            res.header("content-length"),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(res.text(), body, "{range}");
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
}

/// The parts of a `multipart/byteranges` body: (content-range, bytes).
fn multipart(res: &TestResponse) -> Vec<(String, Vec<u8>)> {
    let content_type = res.header("content-type").expect("a content type");
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .expect("multipart/byteranges");
    assert_eq!(boundary.len(), 26);
    let mut rest: &[u8] = res.bytes();
    let closing = format!("--{boundary}--");
    assert!(
        rest.ends_with(closing.as_bytes()),
        "ends with the closing boundary"
    );
    let opening = format!("--{boundary}\r\n");
    let mut parts = Vec::new();
    while let Some(after) = rest.strip_prefix(opening.as_bytes()) {
        let head_end = after
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a part head");
        let head = String::from_utf8_lossy(&after[..head_end]).into_owned();
        let range = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Range: "))
            .expect("a content range")
            .to_owned();
        let (start, end) = range
            .strip_prefix("bytes ")
            .and_then(|r| r.split('/').next())
            .and_then(|r| r.split_once('-'))
            .map(|(a, b)| {
                (
                    a.parse::<usize>().expect("a start"),
                    b.parse::<usize>().expect("an end"),
                )
            })
            .expect("a range");
        let data_start = head_end + 4;
        let data_end = data_start + (end - start + 1);
        parts.push((range, after[data_start..data_end].to_vec()));
        assert_eq!(&after[data_end..data_end + 2], b"\r\n");
        rest = &after[data_end + 2..];
    }
    assert_eq!(rest, closing.as_bytes());
    parts
}

#[tokio::test]
async fn several_ranges_give_multipart_byteranges() {
    let tree = Tree::new();
    let res = client(&tree)
        .get("/static/hello.txt")
        .header("range", "bytes=0-1,7-8")
        .await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.header("content-length"),
        Some(res.bytes().len().to_string().as_str())
    );
    assert_eq!(
        multipart(&res),
        [
            ("bytes 0-1/13".to_owned(), b"he".to_vec()),
            ("bytes 7-8/13".to_owned(), b"wo".to_vec())
        ]
    );
    let text = res.text();
    assert!(text.contains("Content-Type: text/plain; charset=utf-8\r\n"));
}

#[tokio::test]
async fn ranges_are_sorted_and_overlapping_or_adjacent_ones_merged() {
    let tree = Tree::new();
    let client = client(&tree);
    let res = client
        .get("/static/hello.txt")
        .header("range", "bytes=9-10,0-1,1-3")
        .await;
    assert_eq!(
        multipart(&res),
        [
            ("bytes 0-3/13".to_owned(), b"hell".to_vec()),
            ("bytes 9-10/13".to_owned(), b"rl".to_vec())
        ]
    );
    // Merged into one: a plain 206.
    let res = client
        .get("/static/hello.txt")
        .header("range", "bytes=5-12,0-4")
        .await;
    assert_eq!(res.header("content-range"), Some("bytes 0-12/13"));
    assert_eq!(res.text(), "hello, world\n");
}

#[tokio::test]
async fn an_unsatisfiable_range_gives_416() {
    let tree = Tree::new();
    let client = client(&tree);
    for range in ["bytes=13-", "bytes=-0", "bytes=0-1,20-30"] {
        let res = client.get("/static/hello.txt").header("range", range).await;
        assert_eq!(res.status(), 416, "{range}");
        assert_eq!(res.header("content-range"), Some("bytes */13"));
        assert!(res.bytes().is_empty());
    }
}

#[tokio::test]
async fn a_malformed_range_gives_400() {
    let tree = Tree::new();
    let client = client(&tree);
    for range in ["bytes", "items=0-1", "bytes=", "bytes=a-b", "bytes=5-3", ""] {
        let res = client.get("/static/hello.txt").header("range", range).await;
        assert_eq!(res.status(), 400, "{range:?}");
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn a_range_number_python_cannot_read_skips_its_range() {
    let tree = Tree::new();
    let client = client(&tree);
    let range = |value: String| {
        let client = &client;
        async move {
            client
                .get("/static/hello.txt")
                .header("range", value.as_str())
                .await
        }
    };
    // 4,300 digits is still a number for Python's `int()`.
    let res = range(format!("bytes=0-{}", "9".repeat(4300))).await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.header("content-range"), Some("bytes 0-12/13"));
    // One more is a ValueError: Starlette skips the range, and with none
    // left the header is malformed.
    let huge = "9".repeat(4301);
    assert_eq!(range(format!("bytes=0-{huge}")).await.status(), 400);
    assert_eq!(range(format!("bytes={huge}-")).await.status(), 400);
    let res = range(format!("bytes=0-1,5-{huge}")).await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.header("content-range"), Some("bytes 0-1/13"));
    assert_eq!(res.text(), "he");
}

#[tokio::test]
async fn more_than_a_hundred_ranges_give_the_whole_file() {
    let tree = Tree::new();
    let many = vec!["0-0"; 101].join(",");
    let res = client(&tree)
        .get("/static/hello.txt")
        .header("range", &format!("bytes={many}"))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "hello, world\n");
}

#[tokio::test]
async fn if_range_is_honoured_only_for_an_exact_strong_etag_or_the_date() {
    let tree = Tree::new();
    let client = client(&tree);
    let etag = etag(&client, "/static/hello.txt").await;
    for (if_range, status) in [
        (etag.clone(), 206),
        (LAST_MODIFIED.to_owned(), 206),
        (format!("W/{etag}"), 200),
        ("\"other\"".to_owned(), 200),
        ("Wed, 31 Dec 2025 00:00:00 GMT".to_owned(), 200),
    ] {
        let res = client
            .get("/static/hello.txt")
            .header("range", "bytes=0-1")
            .header("if-range", &if_range)
            .await;
        assert_eq!(res.status(), status, "{if_range}");
    }
}

#[tokio::test]
async fn a_range_on_head_gets_the_206_headers_only() {
    let tree = Tree::new();
    let res = client(&tree)
        .head("/static/hello.txt")
        .header("range", "bytes=0-4")
        .await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.header("content-length"), Some("5"));
    assert!(res.bytes().is_empty());
}

#[tokio::test]
async fn a_directory_serves_its_index_html() {
    let tree = Tree::new();
    let client = client(&tree);
    let res = client.get("/static/").await;
    assert_eq!(res.text(), "<h1>home</h1>\n");
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(client.get("/static/sub/").await.text(), "<p>sub</p>\n");
}

#[tokio::test]
async fn a_directory_without_the_slash_redirects_to_the_absolute_url() {
    let tree = Tree::new();
    let client = client(&tree);
    let res = client.get("/static/sub?a=1&b=%20").await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("http://testserver/static/sub/?a=1&b=%20")
    );
    let res = client
        .get("/static/sub")
        .header("host", "example.com:8080")
        .await;
    assert_eq!(
        res.header("location"),
        Some("http://example.com:8080/static/sub/")
    );
}

#[tokio::test]
async fn the_mount_point_itself_redirects_to_the_slash() {
    let tree = Tree::new();
    let res = client(&tree).get("/static?x=1").await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("http://testserver/static/?x=1")
    );
}

#[tokio::test]
async fn a_missing_path_serves_404_html_with_status_404() {
    let tree = Tree::new();
    let res = client(&tree).get("/static/missing.txt").await;
    assert!(not_found_page(&res));
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(res.header("content-length"), Some("18"));
}

#[tokio::test]
async fn without_html_mode_a_directory_and_a_missing_path_are_the_json_404() {
    let tree = Tree::new();
    let client = TestClient::new(App::new().mount("/static", StaticFiles::new(tree.public())));
    assert!(json_404(&client.get("/static/sub/").await));
    assert!(json_404(&client.get("/static/missing").await));
}

#[tokio::test]
async fn paths_are_normalised_before_the_lookup() {
    let tree = Tree::new();
    let client = client(&tree);
    for path in [
        "/static/sub/../hello.txt",
        "/static/./hello.txt",
        "/static//hello.txt",
        "/static/hello.txt/",
        "/static/%2e/hello.txt",
        "/static/../public/hello.txt",
    ] {
        let res = client.get(path).await;
        assert_eq!(
            (res.status().as_u16(), res.text()),
            (200, "hello, world\n".into()),
            "{path}"
        );
    }
    assert_eq!(
        client.get("/static/sub%2Fpage.html").await.text(),
        "<p>page</p>\n"
    );
}

#[tokio::test]
async fn paths_that_leave_the_directory_get_the_404_page() {
    let tree = Tree::new();
    let client = client(&tree);
    for path in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2Fsecret.txt",
        "/static/%2E%2E%2fsecret.txt",
        "/static/sub/../../secret.txt",
        "/static/%2Fetc%2Fpasswd",
        "/static//etc/passwd",
        "/static/..",
    ] {
        let res = client.get(path).await;
        assert!(not_found_page(&res), "{path}: {res:?}");
    }
}

#[tokio::test]
async fn a_nul_or_an_overlong_name_gets_the_json_404() {
    let tree = Tree::new();
    let client = client(&tree);
    for path in [
        "/static/hello.txt%00".to_owned(),
        "/static/../%00".to_owned(),
        format!("/static/{}", "a".repeat(300)),
        format!("/static/sub/{}", "a".repeat(300)),
    ] {
        let res = client.get(&path).await;
        assert!(
            json_404(&res),
            "{path}: {} {:?}",
            res.status(),
            res.headers()
        );
    }
    // Normalised away, a NUL segment is harmless.
    assert_eq!(client.get("/static/a%00/../hello.txt").await.status(), 200);
    assert!(not_found_page(
        &client.get("/static/%00/../../secret.txt").await
    ));
}

#[tokio::test]
async fn a_backslash_is_an_ordinary_character() {
    let tree = Tree::new();
    tree.write("a\\b.txt", b"backslash\n");
    let client = client(&tree);
    assert_eq!(client.get("/static/a%5Cb.txt").await.text(), "backslash\n");
    assert!(not_found_page(&client.get("/static/..%5Csecret.txt").await));
    // A path that starts with one is refused, as Starlette refuses it.
    tree.write("\\lead.txt", b"lead\n");
    assert!(not_found_page(&client.get("/static/%5Clead.txt").await));
}

#[cfg(unix)]
#[tokio::test]
async fn a_link_that_points_outside_is_not_served_unless_followed() {
    let tree = Tree::new();
    tree.link("out.txt", tree.base.join("secret.txt"));
    tree.link("up", "..");
    let client = client(&tree);
    assert!(not_found_page(&client.get("/static/out.txt").await));
    assert!(not_found_page(&client.get("/static/up/secret.txt").await));

    let following = TestClient::new(App::new().mount(
        "/static",
        StaticFiles::new(tree.public()).follow_symlinks(true),
    ));
    assert_eq!(following.get("/static/out.txt").await.text(), SECRET);
    // `..` still cannot leave.
    assert!(json_404(&following.get("/static/../secret.txt").await));

    // Following links, Starlette only joins the path: one that leaves is
    // "not found" (the 404 page in html mode) before a NUL in it matters.
    let following = TestClient::new(
        App::new().mount(
            "/static",
            StaticFiles::new(tree.public())
                .html(true)
                .follow_symlinks(true),
        ),
    );
    assert!(not_found_page(&following.get("/static/../%00").await));
    assert!(json_404(&following.get("/static/%00").await));
    assert!(json_404(&following.get("/static/sub/%00").await));
}

#[cfg(unix)]
#[tokio::test]
async fn a_link_that_stays_inside_is_served() {
    let tree = Tree::new();
    tree.link("alias.json", "data.json");
    tree.link("subdir", "sub");
    let client = client(&tree);
    let res = client.get("/static/alias.json").await;
    assert_eq!(res.text(), "{\"a\":1}\n");
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        client.get("/static/subdir/page.html").await.text(),
        "<p>page</p>\n"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_loop_of_links_is_not_found() {
    let tree = Tree::new();
    tree.link("a", "b");
    tree.link("b", "a");
    assert!(not_found_page(&client(&tree).get("/static/a").await));
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

#[tokio::test]
async fn gzip_compresses_a_large_file_and_leaves_a_small_one() {
    let tree = Tree::new();
    let client = client(&tree);
    let res = client
        .get("/static/big.txt")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("vary"), Some("Accept-Encoding"));
    assert_eq!(gunzip(res.bytes()), b"0123456789".repeat(1000));
    let res = client
        .get("/static/hello.txt")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("vary"), None);
}

#[tokio::test]
async fn gzip_never_touches_a_range_a_304_or_a_head() {
    let tree = Tree::new();
    let client = client(&tree);
    let res = client
        .get("/static/big.txt")
        .header("accept-encoding", "gzip")
        .header("range", "bytes=0-999")
        .await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("vary"), None);
    assert_eq!(res.bytes().len(), 1000);

    let res = client
        .get("/static/big.txt")
        .header("accept-encoding", "gzip")
        .header("if-modified-since", LAST_MODIFIED)
        .await;
    assert_eq!(res.status(), 304);
    assert_eq!(res.header("content-encoding"), None);

    let res = client
        .head("/static/big.txt")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("content-length"), Some("10000"));
    assert_eq!(res.header("vary"), None);
}

#[tokio::test]
async fn a_missing_directory_fails_the_build() {
    let err = App::new()
        .mount("/static", StaticFiles::new("/nonexistent/sluice/static"))
        .build()
        .expect_err("the directory is missing");
    assert!(matches!(err, ConfigError::Middleware { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/sluice/static"),
        "{err}"
    );
    let tree = Tree::new();
    let file = StaticFiles::new(tree.public().join("hello.txt"));
    assert!(file.check().is_err(), "a file is not a directory");
}

#[tokio::test]
async fn a_file_larger_than_a_chunk_streams_whole_and_in_order() {
    let tree = Tree::new();
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    tree.write("large.bin", &content);
    let client = client(&tree);
    let res = client.get("/static/large.bin").await;
    assert_eq!(res.header("content-length"), Some("300000"));
    assert!(res.bytes()[..] == content[..], "the whole file, in order");
    let res = client
        .get("/static/large.bin")
        .header("range", "bytes=70000-200000,1-2")
        .await;
    let parts = multipart(&res);
    assert_eq!(parts.len(), 2);
    assert!(parts[0].1 == content[1..3], "the first part");
    assert!(parts[1].1 == content[70_000..200_001], "the second part");
    // Streamed: GZip compresses it as a stream, without a content-length.
    let res = client
        .get("/static/large.bin")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(gunzip(res.bytes()) == content, "the whole file, compressed");
}

// ---- Traversal properties -------------------------------------------------

/// Pieces of request paths, including every way of spelling a way out.
const PIECES: &[&str] = &[
    "..",
    ".",
    "",
    "%2e%2e",
    "%2E%2e",
    ".%2e",
    "%2e",
    "%2f",
    "%2F",
    "%5c",
    "\\",
    "%00",
    "/",
    "//",
    "secret.txt",
    "public",
    "sub",
    "hello.txt",
    "out",
    "up",
    "loop",
    "%252e%252e",
    "%c0%ae%c0%ae",
    "..%2f..",
    "%2e%2e%5c",
    "index.html",
    "404.html",
    "~",
    "%",
];

fn target(pieces: &[usize]) -> String {
    let mut path = String::from("/static/");
    for (i, &piece) in pieces.iter().enumerate() {
        if i > 0 && i % 2 == 0 {
            path.push('/');
        }
        path.push_str(PIECES[piece % PIECES.len()]);
    }
    path
}

fn traversal_setup() -> (Tree, tokio::runtime::Runtime) {
    let tree = Tree::new();
    #[cfg(unix)]
    {
        tree.link("out", tree.base.join("secret.txt"));
        tree.link("up", "..");
        tree.link("loop", "loop");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    (tree, runtime)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever the path, the answer is one of the directory's files, the
    /// 404 page, a redirect, or an error; never the file outside.
    #[test]
    fn nothing_outside_the_directory_is_ever_served(
        pieces in proptest::collection::vec(0usize..64, 0..10),
        follow in any::<bool>(),
        head in any::<bool>(),
    ) {
        let (tree, runtime) = traversal_setup();
        let path = target(&pieces);
        prop_assume!(path.parse::<sluice::http::Uri>().is_ok());
        // Followed links are trusted by design: only `..` must not leave.
        prop_assume!(!(follow && (path.contains("out") || path.contains("up"))));
        let files = StaticFiles::new(tree.public()).html(true).follow_symlinks(follow);
        let client = TestClient::new(App::new().mount("/static", files));
        let res = runtime.block_on(async {
            if head { client.head(&path).await } else { client.get(&path).await }
        });
        let body = res.bytes();
        prop_assert!(!String::from_utf8_lossy(body).contains("secret"), "{path}: {res:?}");
        prop_assert!([200, 206, 307, 400, 404, 416].contains(&res.status().as_u16()), "{path}: {res:?}");
        if res.status() == 200 && !follow && !head {
            let inside = static_tree::files()
                .into_iter()
                .filter(|(name, _)| !name.starts_with(".."))
                .any(|(_, content)| content == body.as_ref());
            prop_assert!(inside, "{path} gave something that is not a file of the directory: {res:?}");
        }
    }

    /// Any bytes at all in the path, encoded: never a panic, never the
    /// secret.
    #[test]
    fn arbitrary_encoded_bytes_never_reach_outside(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let (tree, runtime) = traversal_setup();
        let mut path = String::from("/static/");
        for byte in &bytes {
            if byte.is_ascii_alphanumeric() || *byte == b'.' || *byte == b'/' {
                path.push(char::from(*byte));
            } else {
                path.push_str(&format!("%{byte:02X}"));
            }
        }
        let client = TestClient::new(App::new().mount("/static", StaticFiles::new(tree.public()).html(true)));
        let res = runtime.block_on(async { client.get(&path).await });
        prop_assert!(!String::from_utf8_lossy(res.bytes()).contains("secret"), "{path}: {res:?}");
    }
}

#[tokio::test]
async fn behind_proxy_headers_the_directory_redirect_keeps_the_forwarded_scheme() {
    let tree = Tree::new();
    let app = app(&tree).add_middleware(sluice::middleware::ProxyHeaders::new().trusted(["*"]));
    let res = TestClient::new(app)
        .get("/static/sub")
        .header("x-forwarded-proto", "https")
        .header("host", "example.com")
        .await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        res.header("location"),
        Some("https://example.com/static/sub/")
    );
}

/// Answers with the route an outer middleware sees after the request.
async fn route_seen(req: sluice::Request, next: sluice::Next) -> sluice::Response {
    let locals = req.locals().clone();
    let mut response = next.run(req).await;
    let route = locals
        .route()
        .map_or_else(|| "none".to_owned(), |r| r.template().to_owned());
    response
        .headers_mut()
        .insert("x-route", route.parse().expect("a header value"));
    response
}

#[tokio::test]
async fn an_outer_middleware_sees_the_mount_as_the_route() {
    let tree = Tree::new();
    let client = TestClient::new(app(&tree).middleware(route_seen));
    for path in ["/static/hello.txt", "/static/sub/", "/static/missing"] {
        let res = client.get(path).await;
        assert_eq!(res.header("x-route"), Some("/static"), "{path}");
    }
    assert_eq!(client.get("/").await.header("x-route"), Some("/"));
}
