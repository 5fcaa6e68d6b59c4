//! Layer 2 of the privacy filter: the user's exclusions (`context.exclude` globs and
//! `.infillignore` files) and the workspace boundary, for the walker and for open buffers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{IGNORE_FILE_NAME, is_secret_path};

/// The user's exclusions and the workspace boundary: which paths may be read at all.
#[derive(Debug)]
pub struct PathFilter {
    roots: Vec<PathBuf>,
    globs: GlobSet,
    /// Per directory, its parsed `.infillignore` (None when it has none). Filled lazily.
    ignore_files: Mutex<HashMap<PathBuf, Option<Gitignore>>>,
}

impl Default for PathFilter {
    fn default() -> Self {
        PathFilter::new(Vec::new(), &[])
    }
}

/// Why a path may not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Not inside any workspace root.
    OutsideRoots,
    /// The name marks a credentials file.
    Secret,
    /// A user glob or `.infillignore` excludes it.
    Excluded,
}

impl PathFilter {
    /// `exclude_globs` are matched against the path relative to its root (and, for patterns
    /// without a `/`, against the file name too). Invalid globs are logged and ignored.
    pub fn new(roots: Vec<PathBuf>, exclude_globs: &[String]) -> PathFilter {
        let mut builder = GlobSetBuilder::new();
        for pattern in exclude_globs {
            let patterns = if pattern.contains('/') {
                vec![pattern.trim_start_matches('/').to_owned()]
            } else {
                vec![pattern.clone(), format!("**/{pattern}"), format!("**/{pattern}/**")]
            };
            for pattern in patterns {
                match Glob::new(&pattern) {
                    Ok(glob) => {
                        builder.add(glob);
                    }
                    Err(error) => tracing::warn!(%pattern, %error, "ignoring invalid exclude glob"),
                }
            }
        }
        let globs = builder.build().unwrap_or_else(|_| GlobSet::empty());
        PathFilter { roots, globs, ignore_files: Mutex::new(HashMap::new()) }
    }

    /// The workspace roots.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The root that holds `path` (lexically), if any.
    pub fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots
            .iter()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.as_os_str().len())
            .map(PathBuf::as_path)
    }

    /// Whether the user's globs exclude `path` (relative path tested).
    pub fn glob_excluded(&self, root: &Path, path: &Path) -> bool {
        let relative = path.strip_prefix(root).unwrap_or(path);
        self.globs.is_match(relative)
    }

    /// Checks a path that arrives from outside the walker (an editor buffer): inside a root, not
    /// a secret, not excluded by globs or by any `.infillignore` between it and its root.
    pub fn check(&self, path: &Path) -> Result<(), Denied> {
        let Some(root) = self.root_of(path) else {
            return Err(Denied::OutsideRoots);
        };
        if is_secret_path(path) {
            return Err(Denied::Secret);
        }
        if self.glob_excluded(root, path) || self.infillignored(root, path) {
            return Err(Denied::Excluded);
        }
        Ok(())
    }

    /// Whether the text of an editor buffer at `path` must stay out of every prompt: its name
    /// marks a credentials file ([`is_secret_path`]), or the user's globs or an `.infillignore`
    /// between it and its root exclude it. Unlike [`PathFilter::check`], being outside the roots
    /// is no reason by itself: such a file gets the name check, and the globs matched against its
    /// whole path. `.infillignore` files are read once and cached (this runs on every
    /// keystroke's request); [`PathFilter::clear_cache`] makes an edited one apply.
    pub fn is_private(&self, path: &Path) -> bool {
        if is_secret_path(path) {
            return true;
        }
        match self.root_of(path) {
            Some(root) => self.glob_excluded(root, path) || self.infillignored(root, path),
            None => self.globs.is_match(path),
        }
    }

    fn infillignored(&self, root: &Path, path: &Path) -> bool {
        let Ok(mut cache) = self.ignore_files.lock() else {
            return false;
        };
        dirs_within(root, path).any(|dir| {
            cache
                .entry(dir.to_path_buf())
                .or_insert_with(|| ignore_file_in(dir))
                .as_ref()
                .is_some_and(|matcher| ignores(matcher, path))
        })
    }

    /// Forgets cached `.infillignore` files (call when one changes).
    pub fn clear_cache(&self) {
        if let Ok(mut cache) = self.ignore_files.lock() {
            cache.clear();
        }
    }
}

/// The directories from `path`'s parent up to `root`, deepest first.
fn dirs_within<'a>(root: &'a Path, path: &'a Path) -> impl Iterator<Item = &'a Path> {
    path.ancestors().skip(1).take_while(move |dir| dir.starts_with(root))
}

/// The parsed `.infillignore` of `dir`, when it has one.
fn ignore_file_in(dir: &Path) -> Option<Gitignore> {
    let file = dir.join(IGNORE_FILE_NAME);
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    builder.add(file);
    builder.build().ok()
}

fn ignores(matcher: &Gitignore, path: &Path) -> bool {
    matcher.matched_path_or_any_parents(path, false).is_ignore()
}
