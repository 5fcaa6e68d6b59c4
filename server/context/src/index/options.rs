//! What the caller controls and learns when indexing a root: [`IndexOptions`] in,
//! [`IndexReport`] out, with a reason for every file that was left out.

use std::path::PathBuf;

use serde::Serialize;

/// The default of [`IndexOptions::max_file_bytes`]: 1 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1_048_576;

/// How [`WorkspaceIndex::index_root`](crate::WorkspaceIndex::index_root) walks.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Files larger than this are skipped (reason [`SkipReason::TooLarge`]). Default 1 MiB.
    pub max_file_bytes: u64,
    /// Extra exclusions (gitignore-style globs relative to the root, or bare names).
    pub exclude_globs: Vec<String>,
    /// Parser threads; 0 means one per available core.
    pub threads: usize,
    /// Honour `.gitignore`, `.ignore` and git excludes (`.infillignore` is always honoured).
    pub respect_gitignore: bool,
    /// At most this many source files are indexed per root; the rest are skipped.
    pub max_files: usize,
    /// Where the on-disk index lives (one file per root, named by a hash of the root's path);
    /// `None` (the default) keeps the index in memory only. With it, a file whose path, size,
    /// modification time and content hash match its record is not parsed again.
    pub persist_dir: Option<PathBuf>,
    /// Run the parser threads at low priority (on Linux, `nice` + 10 for those threads only).
    /// Default true.
    pub low_priority: bool,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            exclude_globs: Vec::new(),
            threads: 0,
            respect_gitignore: true,
            max_files: 200_000,
            persist_dir: None,
            low_priority: true,
        }
    }
}

/// Why a file was not indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than [`IndexOptions::max_file_bytes`].
    TooLarge {
        /// The file's size.
        bytes: u64,
        /// The limit it exceeds.
        limit: u64,
    },
    /// Its name marks a credentials file ([`crate::privacy::is_secret_path`]); never read.
    Secret,
    /// Excluded by [`IndexOptions::exclude_globs`].
    Excluded,
    /// A symbolic link; links are never followed.
    Symlink,
    /// Reading failed.
    Unreadable {
        /// The I/O error.
        error: String,
    },
    /// Past [`IndexOptions::max_files`].
    TooManyFiles,
}

/// One skipped file and why.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// The outcome of indexing one root: never a failure as a whole.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    /// The root, canonicalized.
    pub root: PathBuf,
    /// Source files indexed.
    pub indexed: usize,
    /// Of those, files whose symbols came from the on-disk index (unchanged since it was
    /// written), not from parsing.
    pub reused: usize,
    /// Total bytes of the indexed files.
    pub bytes: u64,
    /// Files of no known language (not read).
    pub unsupported: usize,
    /// Files left out, sorted by path.
    pub skipped: Vec<SkippedFile>,
    /// Imports that looked like workspace imports but matched no file.
    pub unresolved_imports: usize,
    /// Wall time of the whole call.
    pub elapsed_ms: u64,
}
