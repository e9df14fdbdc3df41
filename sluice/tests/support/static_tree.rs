//! The static scenario's tree (SCENARIOS.md), written into a fresh
//! temporary directory for a test and removed when it is dropped.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

/// 2026-01-01T00:00:00Z.
pub const MODIFIED: u64 = 1_767_225_600;
pub const LAST_MODIFIED: &str = "Thu, 01 Jan 2026 00:00:00 GMT";
pub const SECRET: &str = "secret\n";

pub fn files() -> Vec<(&'static str, Vec<u8>)> {
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
        ("../secret.txt", SECRET.as_bytes().to_vec()),
    ]
}

/// `<tmp>/sluice-test-<pid>-<n>/` holding `public/` (served) and
/// `secret.txt` beside it.
pub struct Tree {
    pub base: PathBuf,
}

impl Tree {
    pub fn new() -> Tree {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let base = std::env::temp_dir().join(format!("sluice-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let tree = Tree { base };
        for (name, content) in files() {
            tree.write(name, &content);
        }
        tree
    }

    /// The served directory.
    pub fn public(&self) -> PathBuf {
        self.base.join("public")
    }

    /// Writes a file under `public/` (dated 2026-01-01).
    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.public().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open")
            .set_modified(UNIX_EPOCH + Duration::from_secs(MODIFIED))
            .expect("set mtime");
        path
    }

    /// A symbolic link `public/<name>` to `target`.
    #[cfg(unix)]
    pub fn link(&self, name: &str, target: impl AsRef<Path>) {
        std::os::unix::fs::symlink(target, self.public().join(name)).expect("symlink");
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}
