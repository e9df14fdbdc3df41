//! The static-file workloads: `GET /static/4k.bin` and `GET /static/1m.bin`
//! served from a directory that `bench/run` writes, by sluice's
//! [`StaticFiles`] (the `bench-sluice` binary) and by tower-http's
//! `ServeDir` in axum (`bench-axum`).
//!
//! Both servers read the directory from the `SLUICE_BENCH_STATIC_DIR`
//! environment variable; [`write_files`] fills one.
//!
//! ```
//! use tower::ServiceExt;
//! use sluice_bench::static_files;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let dir = std::env::temp_dir().join(format!("sluice-bench-doc-{}", std::process::id()));
//! static_files::write_files(&dir).unwrap();
//! let app = sluice_bench::axum_apps::static_files(&dir);
//! let req = axum::http::Request::get("/static/4k.bin").body(axum::body::Body::empty()).unwrap();
//! let res = app.oneshot(req).await.unwrap();
//! assert_eq!(res.headers()["content-length"], "4096");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! ```

use std::path::{Path, PathBuf};

use sluice::{App, StaticFiles};

/// The environment variable that names the directory to serve.
pub const DIR_ENV: &str = "SLUICE_BENCH_STATIC_DIR";

/// The workloads: each serves the same directory; `bench/run` requests a
/// different file in each.
pub const NAMES: &[&str] = &["static-4k", "static-1m"];

/// The files, by name and size.
pub const FILES: &[(&str, usize)] = &[("4k.bin", 4096), ("1m.bin", 1024 * 1024)];

/// The bytes of a file of `len` bytes: `i % 251` at offset `i`, so a part
/// served from the wrong offset shows.
pub fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Writes [`FILES`] into `dir` (created if needed).
///
/// # Errors
///
/// When the directory or a file cannot be written.
pub fn write_files(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, len) in FILES {
        std::fs::write(dir.join(name), content(*len))?;
    }
    Ok(())
}

/// The directory named by [`DIR_ENV`].
///
/// # Errors
///
/// When the variable is not set.
pub fn dir() -> std::io::Result<PathBuf> {
    std::env::var_os(DIR_ENV).map(PathBuf::from).ok_or_else(|| {
        std::io::Error::other(format!(
            "set {DIR_ENV} to a directory holding {}",
            FILES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" and ")
        ))
    })
}

/// sluice's side: [`StaticFiles`] mounted at `/static`, nothing else.
pub fn sluice_app(dir: &Path) -> App {
    App::new().mount("/static", StaticFiles::new(dir))
}
