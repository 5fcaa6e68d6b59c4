//! The workspace as the completion pipeline sees it: the index of every root, kept current from
//! document events, and the context that goes into completion prompts.
//!
//! Context is "sticky": it is ranked again when the cursor moves to another file or more than
//! [`STICKY_LINES`] lines from where it was ranked, not on every keystroke, so the prompt's prefix
//! (and the engine's cache of it) stays put while the user types. Nothing here knows LSP: paths
//! are file-system paths and cursors are byte offsets.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use infill_context::privacy::PathFilter;
use infill_context::{ContextRequest, ContextResult, IndexOptions, IndexReport, WorkspaceIndex};
use infill_engine::ContextFile;

use crate::edits::{LineChange, RecentEdits};

/// Lines the cursor may move before the context is ranked again.
pub const STICKY_LINES: usize = 24;

/// Tokens of workspace context per prompt when nothing else is configured.
pub const DEFAULT_TOKEN_BUDGET: usize = 1024;

/// How the workspace is indexed and how much of it goes into a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSettings {
    /// Index the workspace and put related code from other files into prompts.
    pub enabled: bool,
    /// Tokens of workspace context per prompt.
    pub token_budget: usize,
    /// Files larger than this are not indexed (bytes).
    pub max_file_bytes: u64,
    /// Extra globs never to read or send (on top of `.infillignore`).
    pub exclude: Vec<String>,
    /// Bytes of the user's recent edits elsewhere (other files, far in this one) that go into
    /// a prompt as a small diff, after the workspace context; 0 leaves them out.
    pub recent_edits_bytes: usize,
    /// Where the on-disk index lives, so a restart parses only the files that changed; `None`
    /// (the library's default) keeps the index in memory only.
    pub index_dir: Option<PathBuf>,
}

/// Bytes of recent edits per prompt when nothing else is configured (some 250 tokens).
pub const DEFAULT_RECENT_EDITS_BYTES: usize = 1024;

impl Default for ContextSettings {
    fn default() -> Self {
        let index = IndexOptions::default();
        Self {
            enabled: true,
            token_budget: DEFAULT_TOKEN_BUDGET,
            max_file_bytes: index.max_file_bytes,
            exclude: index.exclude_globs,
            recent_edits_bytes: DEFAULT_RECENT_EDITS_BYTES,
            index_dir: index.persist_dir,
        }
    }
}

/// The ranking last used for a completion prompt, and where it was made.
struct Sticky {
    path: PathBuf,
    line: usize,
    files: Vec<ContextFile>,
}

/// The privacy filter of [`Workspace::is_private`], and the roots and globs it was made from.
struct PrivacyFilter {
    roots: Vec<PathBuf>,
    exclude: Vec<String>,
    filter: Arc<PathFilter>,
}

/// The workspace index, its roots and settings, and the sticky context cache.
pub struct Workspace {
    index: Arc<WorkspaceIndex>,
    roots: RwLock<Vec<PathBuf>>,
    sticky: Mutex<Option<Sticky>>,
    settings: RwLock<ContextSettings>,
    privacy: Mutex<Option<PrivacyFilter>>,
    edits: RecentEdits,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("roots", &self.roots())
            .field("settings", &self.settings())
            .finish_non_exhaustive()
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new(Arc::new(WorkspaceIndex::default()), ContextSettings::default())
    }
}

impl Workspace {
    /// A workspace over `index`, with no roots yet.
    pub fn new(index: Arc<WorkspaceIndex>, settings: ContextSettings) -> Self {
        Self {
            index,
            roots: RwLock::new(Vec::new()),
            sticky: Mutex::new(None),
            settings: RwLock::new(settings),
            privacy: Mutex::new(None),
            edits: RecentEdits::default(),
        }
    }

    /// Records an edit of an open document for the recent-edits section of prompts; nothing for
    /// a private file.
    pub fn record_edit(&self, change: &LineChange<'_>) {
        if self.settings().recent_edits_bytes > 0 && !self.is_private(change.path) {
            self.edits.record(change);
        }
    }

    /// Forgets the recent edits of `path` (closed or deleted).
    pub fn forget_edits(&self, path: &Path) {
        self.edits.forget(path);
    }

    /// Whether the file at `path` is private: its text must never reach a prompt, so an open
    /// buffer of it gets no completion, no context and no action. Private are files whose name
    /// marks credentials (`.env*`, keys, `credentials*`, …:
    /// [`is_secret_path`](infill_context::is_secret_path)), and, inside a workspace root, files
    /// that the configured exclude globs or an `.infillignore` between the file and its root
    /// exclude ([`PathFilter::is_private`]: the same rules the indexer skips files by). A file
    /// outside every root gets the name check and the globs. The resolved path (through
    /// symlinks) is checked as well as the given one, so a link cannot hide a secret file.
    pub fn is_private(&self, path: &Path) -> bool {
        let filter = self.privacy_filter();
        if filter.is_private(path) {
            return true;
        }
        std::fs::canonicalize(path)
            .is_ok_and(|resolved| resolved != path && filter.is_private(&resolved))
    }

    /// The filter for the current roots (the editor's, as given and resolved, and the index's)
    /// and exclude globs; made again when they change.
    fn privacy_filter(&self) -> Arc<PathFilter> {
        let mut roots = self.roots();
        roots.extend(self.index.roots());
        roots.sort();
        roots.dedup();
        let exclude = self.settings().exclude;
        let mut cached = self.privacy.lock().unwrap_or_else(|e| e.into_inner());
        match cached.as_ref() {
            Some(cached) if cached.roots == roots && cached.exclude == exclude => {
                Arc::clone(&cached.filter)
            }
            _ => {
                // The roots as given and as resolved: resolved once, here, not per keystroke.
                let mut all: Vec<PathBuf> =
                    roots.iter().filter_map(|root| std::fs::canonicalize(root).ok()).collect();
                all.extend(roots.iter().cloned());
                all.sort();
                all.dedup();
                let filter = Arc::new(PathFilter::new(all, &exclude));
                *cached = Some(PrivacyFilter { roots, exclude, filter: Arc::clone(&filter) });
                filter
            }
        }
    }

    /// Forgets the `.infillignore` files read so far, so that [`Workspace::is_private`] reads
    /// them again (call when one was created, changed or deleted).
    pub fn forget_ignore_files(&self) {
        if let Some(cached) = self.privacy.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            cached.filter.clear_cache();
        }
    }

    /// Replaces the settings; they apply to the next indexing and the next ranking.
    pub fn set_settings(&self, settings: ContextSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// The current settings.
    pub fn settings(&self) -> ContextSettings {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the workspace roots (the editor's workspace folders).
    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        *self.roots.write().unwrap_or_else(|e| e.into_inner()) = roots;
    }

    /// The workspace roots.
    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The index itself.
    pub fn index(&self) -> &Arc<WorkspaceIndex> {
        &self.index
    }

    /// The index options the settings ask for.
    fn options(&self) -> IndexOptions {
        let settings = self.settings();
        IndexOptions {
            max_file_bytes: settings.max_file_bytes,
            exclude_globs: settings.exclude,
            persist_dir: settings.index_dir,
            ..IndexOptions::default()
        }
    }

    /// Indexes one root (blocking; run it on a blocking thread). `progress(done, total)` is
    /// called as files finish.
    pub fn index_root(&self, root: &Path, progress: &dyn Fn(usize, usize)) -> IndexReport {
        let report = self.index.index_root(root, &self.options(), progress);
        tracing::info!(
            root = %root.display(),
            indexed = report.indexed,
            reused = report.reused,
            skipped = report.skipped.len(),
            ms = report.elapsed_ms,
            "indexed"
        );
        report
    }

    /// Takes the live text of an open or changed file into the index (when context is enabled).
    pub fn update_file(&self, path: &Path, text: &str) {
        if self.settings().enabled {
            self.index.update_file(path, text);
        }
    }

    /// Drops a deleted file from the index.
    pub fn remove_file(&self, path: &Path) {
        self.index.remove_file(path);
    }

    /// Notes that the editor opened `path` (a ranking signal).
    pub fn opened(&self, path: &Path) {
        self.index.note_opened(path);
    }

    /// Notes that the user edited `path` (a ranking signal).
    pub fn edited(&self, path: &Path) {
        self.index.note_edited(path);
    }

    /// Ranks context for a cursor without caching (for `infill/context` and `infill context`).
    pub fn rank(&self, path: &Path, text: &str, cursor: usize) -> ContextResult {
        let budget = self.settings().token_budget;
        let edits = self.edits.edited_lines();
        let mut request = ContextRequest::new(path, text, cursor, budget);
        request.recent_edits = &edits;
        self.index.rank(&request)
    }

    /// Context files for a completion prompt, least changing first, then the recent edits
    /// ([`crate::edits`]). Reuses the last ranking
    /// while the cursor stays in the same file within [`STICKY_LINES`] lines of where it was
    /// made; otherwise brings the index up to the live text of `path` and ranks again.
    /// Empty when context is disabled.
    pub fn context_for_completion(
        &self,
        path: &Path,
        text: &str,
        cursor: usize,
    ) -> Vec<ContextFile> {
        if !self.settings().enabled {
            return Vec::new();
        }
        let line = line_of(text, cursor);
        let reused = {
            let sticky = self.sticky.lock().unwrap_or_else(|e| e.into_inner());
            sticky
                .as_ref()
                .filter(|sticky| sticky.path == path && sticky.line.abs_diff(line) <= STICKY_LINES)
                .map(|sticky| sticky.files.clone())
        };
        if let Some(files) = reused {
            return self.with_recent_edits(files, path, line);
        }
        // Bring the index up to the live buffer before ranking from it.
        self.index.update_file(path, text);
        let files = to_context_files(&self.rank(path, text, cursor));
        *self.sticky.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Sticky { path: path.to_path_buf(), line, files: files.clone() });
        self.with_recent_edits(files, path, line)
    }

    /// `files` and, last, the recent edits away from line `line` of `path`.
    fn with_recent_edits(
        &self,
        mut files: Vec<ContextFile>,
        path: &Path,
        line: usize,
    ) -> Vec<ContextFile> {
        let budget = self.settings().recent_edits_bytes;
        if let Some(mut section) = self.edits.section(path, line, budget) {
            section.text = infill_context::redact(&section.text).into_owned();
            files.push(section);
        }
        files
    }
}

/// The 0-based line of byte offset `cursor` in `text` (an offset past the end counts the
/// whole text).
fn line_of(text: &str, cursor: usize) -> usize {
    let end = cursor.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&byte| byte == b'\n').count()
}

/// Snippets as prompt files, keeping their order (stable first, most relevant last).
pub fn to_context_files(result: &ContextResult) -> Vec<ContextFile> {
    result
        .snippets
        .iter()
        .map(|snippet| ContextFile {
            path: snippet.relative_path.clone(),
            text: snippet.text.clone(),
        })
        .collect()
}

/// The directory to index for a lone file: its nearest ancestor holding `.git`, else its own
/// directory. The file is canonicalized first when it exists.
pub fn root_for(file: &Path) -> PathBuf {
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let start = file.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    start.ancestors().find(|dir| dir.join(".git").exists()).map(Path::to_path_buf).unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_newlines_before_the_cursor() {
        assert_eq!(line_of("", 0), 0);
        assert_eq!(line_of("a\nb\nc", 2), 1);
        assert_eq!(line_of("a\nb\nc", 1), 0);
        assert_eq!(line_of("a\nb\nc", 99), 2);
        // Inside a multi-byte character: no panic, the same line.
        assert_eq!(line_of("é\né", 1), 0);
    }

    #[test]
    fn the_default_settings_come_from_the_library_defaults() {
        let settings = ContextSettings::default();
        assert!(settings.enabled);
        assert_eq!(settings.max_file_bytes, IndexOptions::default().max_file_bytes);
        assert_eq!(settings.exclude, IndexOptions::default().exclude_globs);
        assert_eq!(settings.token_budget, DEFAULT_TOKEN_BUDGET);
    }

    #[test]
    fn secret_and_excluded_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("secret")).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/.infillignore"), "generated_*.py\n").unwrap();
        let settings =
            ContextSettings { exclude: vec!["secret/**".into()], ..ContextSettings::default() };
        let workspace = Workspace::new(Arc::new(WorkspaceIndex::default()), settings);
        // Before any root is known, only names count.
        assert!(workspace.is_private(&root.join(".env")));
        assert!(!workspace.is_private(&root.join("secret/plan.py")));
        workspace.set_roots(vec![root.clone()]);
        assert!(workspace.is_private(&root.join(".env")));
        assert!(workspace.is_private(&root.join(".env.production")));
        assert!(workspace.is_private(&root.join("certs/server.pem")));
        assert!(workspace.is_private(&root.join("secret/plan.py")));
        assert!(workspace.is_private(&root.join("src/generated_api.py")));
        assert!(!workspace.is_private(&root.join("src/main.py")));
        assert!(!workspace.is_private(&root.join("README.md")));
        // Outside every root, the name still counts.
        assert!(workspace.is_private(Path::new("/somewhere/else/.env")));
        assert!(!workspace.is_private(Path::new("/somewhere/else/main.py")));
        // A changed `.infillignore` applies once the workspace is told.
        std::fs::write(root.join("src/.infillignore"), "generated_*.py\nlocal_*.py\n").unwrap();
        workspace.forget_ignore_files();
        assert!(workspace.is_private(&root.join("src/local_notes.py")));
        // New settings apply at once.
        workspace.set_settings(ContextSettings::default());
        assert!(!workspace.is_private(&root.join("secret/plan.py")));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_a_secret_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join(".env"), "TOKEN=x\n").unwrap();
        std::os::unix::fs::symlink(root.join(".env"), root.join("settings.py")).unwrap();
        let workspace = Workspace::default();
        workspace.set_roots(vec![root.clone()]);
        assert!(workspace.is_private(&root.join("settings.py")));
    }

    #[test]
    fn a_lone_file_is_indexed_from_its_git_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        std::fs::write(root.join("src/deep/a.py"), "x = 1\n").unwrap();
        assert_eq!(root_for(&root.join("src/deep/a.py")), root);
        let plain = tempfile::tempdir().unwrap();
        let plain_root = std::fs::canonicalize(plain.path()).unwrap();
        std::fs::write(plain_root.join("b.py"), "y = 2\n").unwrap();
        assert_eq!(root_for(&plain_root.join("b.py")), plain_root);
    }
}
