//! Helpers the workspace's tests share, to drive real tools that `.ci/run`
//! installs: `openapi-spec-validator` (from PyPI, in the venv `.ci/.venv`)
//! and Debian's `chromium`.
//!
//! In CI (`CI` set in the environment) a missing tool fails the test; on a
//! developer's machine the test says it skipped and why, and passes.
//!
//! ```
//! // Finds nothing under a directory without the venv.
//! let found = test_support::find_tool("OPENAPI_SPEC_VALIDATOR_NOT_SET", &[], "no-such-tool-here");
//! assert!(found.is_none());
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Whether this run is CI's, where every tool must be there.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// A tool: the path in `env_var` if set, else the first of `candidates`
/// that exists, else `name` on the `PATH`.
pub fn find_tool(env_var: &str, candidates: &[PathBuf], name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        return Some(PathBuf::from(path));
    }
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Some(found.clone());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A missing tool: fails in CI, else says the test skipped.
fn missing(what: &str, how: &str) {
    assert!(
        !in_ci(),
        "{what} is missing, and CI must run this test: {how}"
    );
    eprintln!("SKIPPED: {what} is not installed ({how})");
}

/// `openapi-spec-validator`, if installed.
pub fn openapi_validator() -> Option<PathBuf> {
    find_tool(
        "OPENAPI_SPEC_VALIDATOR",
        &[workspace_root().join(".ci/.venv/bin/openapi-spec-validator")],
        "openapi-spec-validator",
    )
}

/// Checks `document` with `openapi-spec-validator` (OpenAPI 3.1 and its
/// JSON Schema dialect), panicking with the validator's report if it is
/// not valid. Skips, saying so, where the validator is not installed
/// (outside CI).
pub fn validate_openapi(document: &serde_json::Value, name: &str) {
    let Some(validator) = openapi_validator() else {
        missing(
            "openapi-spec-validator",
            ".ci/run installs it into .ci/.venv; or set OPENAPI_SPEC_VALIDATOR",
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "sluice-openapi-{}-{}",
        std::process::id(),
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("openapi.json");
    let text = serde_json::to_string_pretty(document).expect("JSON");
    std::fs::write(&file, text).expect("the document written");
    let output = Command::new(&validator)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{} could not run: {e}", validator.display()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "openapi-spec-validator rejects the document of {name}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Debian's `chromium`, if installed; in CI its absence fails the test,
/// elsewhere the test is skipped, and says so.
pub fn chromium() -> Option<PathBuf> {
    let found = find_tool(
        "CHROMIUM",
        &[PathBuf::from("/usr/bin/chromium")],
        "chromium",
    );
    if found.is_none() {
        missing(
            "chromium",
            ".ci/run installs Debian's chromium (apt-get install chromium); or set CHROMIUM",
        );
    }
    found
}

/// The DOM of `url` after its scripts ran, from headless Chromium
/// (`--dump-dom`), with the flags this machine needs (no sandbox as root,
/// no GPU, no background connections) and a fresh profile.
///
/// # Panics
///
/// When Chromium cannot start or fails.
pub fn dump_dom(chromium: &Path, url: &str) -> String {
    dump_dom_with(chromium, url, &[])
}

/// [`dump_dom`] with more Chromium flags, e.g. `--disable-popup-blocking`
/// for a page that opens a window of its own.
///
/// # Panics
///
/// When Chromium cannot start or fails.
pub fn dump_dom_with(chromium: &Path, url: &str, flags: &[&str]) -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let profile =
        std::env::temp_dir().join(format!("sluice-chromium-{}-{run}", std::process::id()));
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--virtual-time-budget=20000",
            "--run-all-compositor-stages-before-draw",
        ])
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("{} could not start: {e}", chromium.display()));
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
