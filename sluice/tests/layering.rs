//! The crate's modules are layered bottom-up, each using only the modules
//! below it (DESIGN.md, "Inside the crate"), in the order of [`LAYERS`].
//! This test reads the sources and fails on any `crate::` path that
//! reaches a module of a later layer, which also rules out import cycles.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules, bottom layer first: each may use only the ones
/// before it. A new module takes its place here.
const LAYERS: &[&str] = &[
    // plain types
    "headers",
    // JSON text with floats as Python writes them
    "floats",
    "error",
    // the app's named routes, for `url_for`
    "route_names",
    // `Set-Cookie`, as Starlette writes it
    "cookie",
    "body",
    // the OpenAPI document's parts, which responses and extractors describe
    "openapi",
    "response",
    // server-sent events, a response
    "sse",
    // JSON Lines, a response
    "json_lines",
    "url",
    "head",
    // what the built app shares with every request
    "shared",
    // the lifecycle engine and its public face
    "lifecycle",
    "background",
    // the request
    "request",
    // the matched route, told to middleware around the router
    "route_watch",
    // Middleware, Next, the tower adapters, the endpoint trait
    "stack",
    // the cheaper form of the built-ins that never wait
    "hook",
    // extractors and handlers
    "extract",
    "handler",
    // WebSocket routes: handlers, the handshake, the socket
    "websocket",
    // mounted tower services: the prefix stripping, and StaticFiles
    "static_files",
    "mount",
    // the router, an endpoint
    "router",
    "app",
    // serving and testing it
    "watchdog",
    "server",
    "testing",
    // the connection Redis-backed stores share
    "redis",
    // the built-ins, leaves on the public API
    "middleware",
    // what `#[debug_handler]` expands to
    "__private",
];

/// The top-level modules `lib.rs` declares.
fn declared() -> Vec<String> {
    let lib = fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let mut names: Vec<String> = lib
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))?;
            let name = rest.strip_suffix(';')?;
            Some(name.to_owned())
        })
        .collect();
    names.sort();
    names
}

/// Every `.rs` file of a top-level module.
fn files_of(module: &str) -> Vec<PathBuf> {
    let file = src().join(format!("{module}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut dirs = vec![src().join(module)];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("a module directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The top-level modules a source file names with `crate::`, outside
/// comments (doc links are not dependencies).
fn uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        // `use crate::{a, b::C}` groups.
        if let Some(group) = code.split("crate::{").nth(1) {
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
    }
    out
}

#[test]
fn every_module_has_a_place_in_the_layers() {
    let mut layers: Vec<String> = LAYERS.iter().map(|m| (*m).to_owned()).collect();
    layers.sort();
    assert_eq!(declared(), layers, "lib.rs's modules and LAYERS differ");
}

#[test]
fn no_module_uses_one_of_a_later_layer() {
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut violations = Vec::new();
    for module in LAYERS {
        for file in files_of(module) {
            let text = fs::read_to_string(&file).expect("a source file");
            for used in uses(&text) {
                let Some(&used_rank) = rank.get(used.as_str()) else {
                    continue; // a crate-root item, e.g. `crate::Result`
                };
                if used_rank > rank[module] {
                    violations.push(format!(
                        "{} (module `{module}`) uses `crate::{used}`, a later layer",
                        file.strip_prefix(src()).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "layering violations:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn uses_reads_paths_and_groups_but_not_comments() {
    assert_eq!(
        uses("use crate::app::App; // crate::router"),
        ["app"],
        "comments are not uses"
    );
    assert_eq!(
        uses("use crate::{error::Error, stack::Next};"),
        ["error", "stack"]
    );
}
