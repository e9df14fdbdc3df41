//! From a request path to a file inside the directory, and never outside.
//!
//! 1. The path is percent-decoded and normalised lexically, as Starlette's
//!    `os.path.normpath` does: empty and `.` segments go, `..` removes the
//!    segment before it. What is left is relative; it may start with `..`.
//! 2. It is joined to the directory and resolved as `os.path.realpath`
//!    does: every symbolic link is replaced by its target, `..` after a
//!    link applies to the target. (With `follow_symlinks`, nothing is
//!    resolved: links inside the directory are trusted, as Starlette's
//!    `follow_symlink=True` trusts them.)
//! 3. The result must be the directory or under it, component by
//!    component; anything else is not found. So `sub/../hello.txt` is
//!    served, `../secret.txt` is not, and neither is a link that points
//!    outside, while `../public/hello.txt` (out and back in) is.

use std::ffi::OsStr;
use std::fs::Metadata;
use std::io;
use std::path::{Component, Path, PathBuf};

/// How many symbolic links one lookup follows at most (Linux's own limit
/// for a path): a longer chain is treated as a loop.
const MAX_LINKS: usize = 40;

/// The directory being served, resolved when [`StaticFiles`](super::StaticFiles)
/// is built.
#[derive(Debug, Clone)]
pub(super) struct Root {
    /// Its real path (`realpath`): what resolved paths are checked against.
    pub(super) real: PathBuf,
    /// Its absolute path with `.` and `..` removed, symbolic links kept:
    /// the root of `follow_symlinks`.
    pub(super) absolute: PathBuf,
}

impl Root {
    /// Resolves `directory`, which must exist and be a directory.
    pub(super) fn new(directory: &Path) -> io::Result<Root> {
        let real = std::fs::canonicalize(directory)?;
        if !std::fs::metadata(&real)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Root {
            real,
            absolute: lexical_absolute(directory)?,
        })
    }
}

/// `os.path.abspath`: the current directory joined in front of a relative
/// path, then `.` and `..` applied to the text.
fn lexical_absolute(path: &Path) -> io::Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The segments of a decoded request path after lexical normalisation;
/// `..` only at the start. Empty means the directory itself.
pub(super) fn normalize(decoded: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|last| *last != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            name => out.push(name),
        }
    }
    out
}

/// Why a lookup gave no file and no "not found".
#[derive(Debug)]
pub(super) enum LookupError {
    /// A NUL, or a name the file system refuses as too long: the plain
    /// JSON 404, never the `404.html` page (as in Starlette).
    Unservable,
    /// The file system refused access: 401, as Starlette answers a
    /// `PermissionError`.
    Forbidden,
    /// Any other failure of the file system.
    Failed(io::Error),
}

/// A file or directory found inside the root.
#[derive(Debug)]
pub(super) struct Found {
    /// Its resolved path (symbolic links replaced unless followed).
    pub(super) path: PathBuf,
    /// What `stat` says about it (links followed).
    pub(super) metadata: Metadata,
}

/// Looks up `segments` (normalised) under `root`. `Ok(None)` is "not
/// found": missing, outside the root, or through a loop of links.
pub(super) fn lookup(
    root: &Root,
    segments: &[&str],
    follow_symlinks: bool,
) -> Result<Option<Found>, LookupError> {
    if segments
        .first()
        .is_some_and(|first| first.starts_with('\\'))
    {
        // Starlette refuses a path that starts with a backslash, which
        // Windows would read as absolute.
        return Ok(None);
    }
    // `realpath` trips over a NUL at once; with links followed, Starlette
    // only joins the path, so one that leaves is "not found" first.
    let nul = segments.iter().any(|segment| segment.contains('\0'));
    if nul && !follow_symlinks {
        return Err(LookupError::Unservable);
    }
    #[cfg(windows)]
    if segments.iter().any(|segment| {
        segment.contains(['\\', ':']) || Path::new(segment).components().count() != 1
    }) {
        return Ok(None);
    }
    let (path, base) = if follow_symlinks {
        let mut path = root.absolute.clone();
        for segment in segments {
            if *segment == ".." {
                path.pop();
            } else {
                path.push(segment);
            }
        }
        (path, &root.absolute)
    } else {
        let mut resolver = Resolver {
            path: root.real.clone(),
            seen: Vec::new(),
            links: 0,
        };
        if resolver.walk(segments.iter().map(OsStr::new)).is_err() {
            return Ok(None);
        }
        (resolver.path, &root.real)
    };
    if !path.starts_with(base) {
        return Ok(None);
    }
    if nul {
        return Err(LookupError::Unservable);
    }
    match std::fs::metadata(&path) {
        Ok(metadata) => Ok(Some(Found { path, metadata })),
        Err(error) => match classify(&error) {
            Failure::Missing => Ok(None),
            Failure::TooLong => Err(LookupError::Unservable),
            Failure::Forbidden => Err(LookupError::Forbidden),
            Failure::Other => Err(LookupError::Failed(error)),
        },
    }
}

/// What an error of the file system means for the client.
pub(super) enum Failure {
    Missing,
    TooLong,
    Forbidden,
    Other,
}

pub(super) fn classify(error: &io::Error) -> Failure {
    #[cfg(unix)]
    if let Some(code) = error.raw_os_error() {
        if code == libc::ENAMETOOLONG {
            return Failure::TooLong;
        }
        if code == libc::ELOOP {
            // A loop of links (or, when opening, a file replaced by a link
            // since it was looked up): not something to serve.
            return Failure::Missing;
        }
    }
    match error.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Failure::Missing,
        io::ErrorKind::PermissionDenied => Failure::Forbidden,
        _ => Failure::Other,
    }
}

/// A symbolic link loop, or too many links.
struct Loop;

/// `os.path.realpath` without `strict`: resolves each segment in turn; a
/// segment that cannot be looked at (missing, too long) is kept as is.
struct Resolver {
    path: PathBuf,
    /// Links being resolved (`None`) or resolved (`Some`), as realpath's
    /// `seen`; a link met again while being resolved is a loop.
    seen: Vec<(PathBuf, Option<PathBuf>)>,
    links: usize,
}

impl Resolver {
    fn walk<'a>(&mut self, segments: impl Iterator<Item = &'a OsStr>) -> Result<(), Loop> {
        // Once a segment cannot be looked at, nothing below it can: the
        // rest is joined without asking the file system (a hostile path of
        // thousands of segments costs one failed lstat, not thousands).
        let mut unreachable = false;
        for name in segments {
            if name.is_empty() || name == "." {
                continue;
            }
            if name == ".." {
                self.path.pop();
                unreachable = false;
                continue;
            }
            let candidate = self.path.join(name);
            let is_link = !unreachable
                && match std::fs::symlink_metadata(&candidate) {
                    Ok(metadata) => metadata.file_type().is_symlink(),
                    Err(_) => {
                        unreachable = true;
                        false
                    }
                };
            if !is_link {
                self.path = candidate;
                continue;
            }
            match self.seen.iter().find(|(link, _)| *link == candidate) {
                Some((_, Some(resolved))) => {
                    self.path = resolved.clone();
                    continue;
                }
                Some((_, None)) => return Err(Loop),
                None => {}
            }
            self.links += 1;
            if self.links > MAX_LINKS {
                return Err(Loop);
            }
            let Ok(target) = std::fs::read_link(&candidate) else {
                return Err(Loop);
            };
            self.seen.push((candidate.clone(), None));
            if target.is_absolute() {
                self.path = PathBuf::from("/");
            }
            self.walk(split(&target))?;
            let resolved = self.path.clone();
            if let Some(entry) = self.seen.iter_mut().find(|(link, _)| *link == candidate) {
                entry.1 = Some(resolved);
            }
        }
        Ok(())
    }
}

/// The segments of a link's target, split on `/` only (as Python splits
/// it), bytes as they are.
#[cfg(unix)]
fn split(target: &Path) -> impl Iterator<Item = &OsStr> {
    use std::os::unix::ffi::OsStrExt;
    target
        .as_os_str()
        .as_bytes()
        .split(|&b| b == b'/')
        .map(OsStr::from_bytes)
}

#[cfg(not(unix))]
fn split(target: &Path) -> impl Iterator<Item = &OsStr> {
    target.components().filter_map(|component| match component {
        Component::Normal(name) => Some(name),
        Component::ParentDir => Some(OsStr::new("..")),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_is_lexical() {
        assert_eq!(normalize("/sub/../hello.txt"), ["hello.txt"]);
        assert_eq!(normalize("/./hello.txt"), ["hello.txt"]);
        assert_eq!(normalize("//hello.txt/"), ["hello.txt"]);
        assert_eq!(normalize("/../secret.txt"), ["..", "secret.txt"]);
        assert_eq!(normalize("/a/../../b"), ["..", "b"]);
        assert_eq!(normalize("/../.."), ["..", ".."]);
        assert!(normalize("/").is_empty());
        assert!(normalize("/a/..").is_empty());
        assert_eq!(normalize("/.../a\\b"), ["...", "a\\b"]);
    }
}
