//! The static scenario: Starlette's `StaticFiles(directory=..., html=True)`
//! mounted at `/static`, `GET /` beside it, everything behind
//! `GZip(minimum_size=500)`. The files are written at startup into a fresh
//! temporary directory, removed again when the server stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sluice::middleware::GZip;
use sluice::{App, StaticFiles};

use super::core::hello_world;

/// 2026-01-01T00:00:00Z, every file's modification time.
const MODIFIED: u64 = 1_767_225_600;

/// The served tree, relative to `<tmp>/public`.
fn tree() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("index.html", b"<h1>home</h1>\n".to_vec()),
        ("hello.txt", b"hello, world\n".to_vec()),
        ("data.json", b"{\"a\":1}\n".to_vec()),
        ("big.txt", b"0123456789".repeat(1000)),
        ("bytes.bin", (0..=255u8).collect()),
        ("sub/index.html", b"<p>sub</p>\n".to_vec()),
        ("sub/page.html", b"<p>page</p>\n".to_vec()),
        ("with space.txt", b"space\n".to_vec()),
        ("ünï.txt", b"unicode\n".to_vec()),
        ("404.html", b"<h1>not here</h1>\n".to_vec()),
        ("../secret.txt", b"secret\n".to_vec()),
    ]
}

/// A temporary directory, removed when the app that holds it is dropped.
struct TempTree(PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_tree(base: &Path) -> std::io::Result<PathBuf> {
    let public = base.join("public");
    let modified = UNIX_EPOCH + Duration::from_secs(MODIFIED);
    for (name, content) in tree() {
        let path = public.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, content)?;
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(modified)?;
    }
    Ok(public)
}

fn fresh_base() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("sluice-static-{}-{nanos:x}", std::process::id()))
}

pub(crate) fn static_files() -> App {
    let base = fresh_base();
    let guard = Arc::new(TempTree(base.clone()));
    let public = match write_tree(&base) {
        Ok(public) => public,
        Err(e) => {
            eprintln!("conformance-app: cannot write the static tree in {base:?}: {e}");
            std::process::exit(1);
        }
    };
    App::new()
        .state(guard)
        .get("/", hello_world)
        .mount("/static", StaticFiles::new(public).html(true))
        .add_middleware(GZip::new().minimum_size(500))
}
