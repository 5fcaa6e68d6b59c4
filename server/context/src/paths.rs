//! Path handling shared by the walker, the resolvers and the ranker: lexical normalization (no
//! filesystem access, so symlinks are never followed) and the workspace root a path belongs to.

use std::path::{Component, Path, PathBuf};

/// Lexically normalizes `.` and `..` (no filesystem access, so symlinks are never followed).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` made absolute against the process's directory (when it can be read), then normalized.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|dir| dir.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    normalize(&absolute)
}

/// The innermost of `roots` that holds `path`.
pub(crate) fn root_of<'r>(roots: &'r [PathBuf], path: &Path) -> Option<&'r Path> {
    roots
        .iter()
        .filter(|root| path.starts_with(root))
        .max_by_key(|root| root.as_os_str().len())
        .map(PathBuf::as_path)
}

/// `path` relative to its innermost root, with `/` separators (the whole path when no root
/// holds it).
pub(crate) fn relative_to_root(roots: &[PathBuf], path: &Path) -> String {
    let relative =
        root_of(roots, path).and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path);
    relative.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
    }

    #[test]
    fn innermost_root_wins() {
        let roots = [PathBuf::from("/w"), PathBuf::from("/w/sub")];
        assert_eq!(root_of(&roots, Path::new("/w/sub/x.rs")), Some(Path::new("/w/sub")));
        assert_eq!(relative_to_root(&roots, Path::new("/w/a/b.rs")), "a/b.rs");
        assert_eq!(relative_to_root(&roots, Path::new("/elsewhere/c.rs")), "/elsewhere/c.rs");
    }
}
