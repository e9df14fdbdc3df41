//! The code in the docs is code a user can paste: it names only crates a
//! user's `Cargo.toml` has (sluice, tokio, serde, serde_json, and what the
//! example itself asks for, such as tower-http), never one of sluice's own
//! dependencies such as `http` or `bytes`, which doc tests would accept but
//! a user's crate lacks. sluice re-exports what a user needs
//! (`sluice::http`, `sluice::Bytes`, ...).

use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;

/// sluice's dependencies that a user's crate does not have: doc code must
/// reach them through sluice's re-exports instead.
const NOT_A_USER_DEPENDENCY: &str = "http|http_body|http_body_util|bytes|hyper|hyper_util|tower|tower_layer|tower_service|futures_util|tokio_util|matchit|percent_encoding|form_urlencoded|pin_project_lite|sync_wrapper|serde_path_to_error";

/// The files whose code blocks users read: the crate's sources (doc
/// comments), the Markdown guides included in the docs, and the README.
fn documented_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("../README.md")];
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("source directory is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("rs" | "md")) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The lines of code in `text`'s fenced code blocks (for `.rs` files, in
/// its doc comments), with their line numbers. `text` blocks are skipped.
fn code_lines(path: &Path, text: &str) -> Vec<(usize, String)> {
    let is_rust_source = path.extension().and_then(|e| e.to_str()) == Some("rs");
    // Inside a fence, and whether that fence holds Rust.
    let mut fence: Option<bool> = None;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let doc = if is_rust_source {
            let trimmed = line.trim_start();
            match trimmed
                .strip_prefix("///")
                .or_else(|| trimmed.strip_prefix("//!"))
            {
                Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
                None => {
                    fence = None;
                    continue;
                }
            }
        } else {
            line
        };
        if let Some(info) = doc.trim_start().strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => {
                    let lang = info.split(',').next().unwrap_or("").trim();
                    Some(!matches!(lang, "text" | "sh" | "toml" | "console" | "json"))
                }
            };
            continue;
        }
        if fence == Some(true) {
            lines.push((i + 1, doc.to_owned()));
        }
    }
    lines
}

#[test]
fn doc_examples_name_only_crates_a_user_has() {
    let pattern = Regex::new(&format!(r"(^|[^\w:])({NOT_A_USER_DEPENDENCY})::")).unwrap();
    let mut offenders = Vec::new();
    let files = documented_files();
    let mut checked = 0;
    for path in &files {
        let text = fs::read_to_string(path).unwrap();
        for (number, line) in code_lines(path, &text) {
            checked += 1;
            if let Some(found) = pattern.captures(&line) {
                offenders.push(format!(
                    "{}:{number}: `{}::` in `{}`: write `sluice::{}::...` or use a sluice re-export",
                    path.display(),
                    &found[2],
                    line.trim(),
                    &found[2],
                ));
            }
        }
    }
    assert!(checked > 500, "found only {checked} lines of doc code");
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

#[test]
fn the_check_finds_a_crate_a_user_lacks() {
    let rust = "/// ```\n/// use http::request::Parts;\n/// let x = sluice::http::Method::GET;\n/// ```\nuse http::Method;\n";
    let lines = code_lines(Path::new("x.rs"), rust);
    assert_eq!(
        lines,
        [
            (2, "use http::request::Parts;".to_owned()),
            (3, "let x = sluice::http::Method::GET;".to_owned())
        ]
    );
    let pattern = Regex::new(&format!(r"(^|[^\w:])({NOT_A_USER_DEPENDENCY})::")).unwrap();
    assert!(pattern.is_match(&lines[0].1));
    assert!(!pattern.is_match(&lines[1].1));
    let markdown = "```sh\nuse http::x\n```\n```rust\nbytes::Bytes::new()\n```\n";
    assert_eq!(
        code_lines(Path::new("x.md"), markdown),
        [(5, "bytes::Bytes::new()".to_owned())]
    );
}

/// The `version = "..."` requirement of `dependency` in a `Cargo.toml`
/// line such as `tower-http = { version = "0.7", features = [...] }`.
fn version_of(dependency: &str, text: &str) -> Option<String> {
    let pattern = Regex::new(&format!(
        r#"(?m)^{dependency}\s*=\s*\{{[^}}]*version\s*=\s*"([^"]+)""#
    ))
    .expect("the pattern is valid");
    pattern.captures(text).map(|c| c[1].to_owned())
}

#[test]
fn the_readme_names_the_tower_http_version_the_tests_use() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("../README.md")).unwrap();
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let tested = version_of("tower-http", &manifest).expect("tower-http is a dev-dependency");
    let named =
        version_of("tower-http", &readme).expect("the README's add_layer example names tower-http");
    assert_eq!(
        named, tested,
        "README.md's add_layer example names tower-http {named}, but sluice's tests (and the README's doc test) use {tested}"
    );
    assert!(
        readme.contains(&format!("tower-http {tested}")),
        "README.md's prose should name tower-http {tested}"
    );
}
