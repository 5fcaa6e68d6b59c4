//! The on-disk index: a warm start takes unchanged files from it and parses the rest; a damaged,
//! truncated or old-format file is rebuilt, never trusted; nothing private reaches it.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use infill_context::*;

const PROJECT: &str = r#"
//- /src/lib.rs
mod shapes;
use crate::shapes::Circle;

/// The area of a unit circle.
pub fn unit_area() -> f64 {
    Circle { radius: 1.0 }.area()
}
//- /src/shapes.rs
pub struct Circle {
    pub radius: f64,
}

impl Circle {
    pub fn area(&self) -> f64 {
        3.14 * self.radius * self.radius
    }
}
//- /app/main.py
from app.util import helper

def main():
    return helper(2)
//- /app/util.py
def helper(x):
    return x * 2
"#;

fn persisting(dir: &Path) -> IndexOptions {
    IndexOptions { persist_dir: Some(dir.to_path_buf()), ..IndexOptions::default() }
}

/// Indexes `root` in a fresh index (a fresh start of the server).
fn start(root: &Path, options: &IndexOptions) -> (WorkspaceIndex, IndexReport) {
    let index = WorkspaceIndex::default();
    let report = index.index_root(root, options, &|_, _| {});
    (index, report)
}

/// Everything the index knows about every file, as JSON, for comparing two indexes.
fn knowledge(index: &WorkspaceIndex) -> Vec<String> {
    index
        .paths()
        .iter()
        .map(|path| serde_json::to_string(&index.file_info(path).expect("indexed")).unwrap())
        .collect()
}

/// The index files in `dir`.
fn index_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "index"));
    files
}

#[test]
fn a_warm_start_reuses_unchanged_files_and_knows_the_same() {
    let (_dir, root) = write_fixture(PROJECT);
    let cache = tempfile::tempdir().unwrap();
    let options = persisting(cache.path());
    let (cold, report) = start(&root, &options);
    assert_eq!((report.indexed, report.reused), (4, 0));
    assert_eq!(index_files(cache.path()).len(), 1);

    let (warm, report) = start(&root, &options);
    assert_eq!((report.indexed, report.reused), (4, 4));
    assert_eq!(knowledge(&warm), knowledge(&cold));
    assert_eq!(warm.definitions_named("helper").len(), 1);
    let info = warm.file_info(&root.join("src/lib.rs")).unwrap();
    assert_eq!(info.imports[0].files, [root.join("src/shapes.rs")], "imports resolve again");
}

#[test]
fn a_changed_file_is_parsed_again_even_with_the_same_size_and_time() {
    let (_dir, root) = write_fixture(PROJECT);
    let cache = tempfile::tempdir().unwrap();
    let options = persisting(cache.path());
    start(&root, &options);

    let util = root.join("app/util.py");
    let modified = std::fs::metadata(&util).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&util).unwrap();
    std::fs::write(&util, text.replace("helper", "helpex")).unwrap();
    let file = std::fs::File::options().write(true).open(&util).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);

    let (warm, report) = start(&root, &options);
    assert_eq!((report.indexed, report.reused), (4, 3));
    assert_eq!(warm.definitions_named("helpex").len(), 1);
    assert!(warm.definitions_named("helper").is_empty());

    let (_, report) = start(&root, &options);
    assert_eq!(report.reused, 4, "the new content was written back");
}

#[test]
fn added_and_deleted_files_are_noticed() {
    let (_dir, root) = write_fixture(PROJECT);
    let cache = tempfile::tempdir().unwrap();
    let options = persisting(cache.path());
    start(&root, &options);
    std::fs::remove_file(root.join("app/util.py")).unwrap();
    std::fs::write(root.join("app/extra.py"), "def extra():\n    pass\n").unwrap();

    let (warm, report) = start(&root, &options);
    assert_eq!((report.indexed, report.reused), (4, 3));
    assert!(warm.definitions_named("helper").is_empty(), "a deleted file is not resurrected");
    assert_eq!(warm.definitions_named("extra").len(), 1);
    let main = warm.file_info(&root.join("app/main.py")).unwrap();
    assert!(main.imports[0].files.is_empty(), "nothing resolves to the deleted file");
}

/// Damages the one index file in `dir` with `damage`, then checks that the next start ignores
/// it, knows what a cold start knows, and writes a good file again.
fn check_rebuilt(damage: impl Fn(&Path)) {
    let (_dir, root) = write_fixture(PROJECT);
    let cache = tempfile::tempdir().unwrap();
    let options = persisting(cache.path());
    let (cold, _) = start(&root, &options);
    let file = index_files(cache.path()).pop().expect("an index file");
    damage(&file);

    let (rebuilt, report) = start(&root, &options);
    assert_eq!((report.indexed, report.reused), (4, 0), "a damaged file is not trusted");
    assert_eq!(knowledge(&rebuilt), knowledge(&cold));
    let (_, report) = start(&root, &options);
    assert_eq!(report.reused, 4, "the damaged file was rewritten");
}

#[test]
fn a_truncated_index_file_is_rebuilt() {
    check_rebuilt(|file| {
        let len = std::fs::metadata(file).unwrap().len();
        std::fs::File::options().write(true).open(file).unwrap().set_len(len / 2).unwrap();
    });
}

#[test]
fn a_corrupt_index_file_is_rebuilt() {
    check_rebuilt(|file| {
        let mut bytes = std::fs::read(file).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(file, bytes).unwrap();
    });
}

#[test]
fn an_index_file_of_another_format_version_is_rebuilt() {
    check_rebuilt(|file| {
        let mut bytes = std::fs::read(file).unwrap();
        bytes[8..12].copy_from_slice(&0u32.to_le_bytes());
        std::fs::write(file, bytes).unwrap();
    });
}

#[test]
fn an_index_file_written_for_other_queries_is_rebuilt() {
    check_rebuilt(|file| {
        let mut bytes = std::fs::read(file).unwrap();
        bytes[12] ^= 1; // the fingerprint
        std::fs::write(file, bytes).unwrap();
    });
}

#[test]
fn an_empty_or_foreign_index_file_is_rebuilt() {
    check_rebuilt(|file| std::fs::write(file, b"").unwrap());
    check_rebuilt(|file| std::fs::write(file, b"not an index at all, just some text").unwrap());
}

#[test]
fn nothing_private_reaches_the_index_file() {
    let (_dir, root) = write_fixture(
        r#"
//- /.infillignore
private/
//- /.env
API_TOKEN=AKIAIOSFODNN7EXAMPLQ
//- /config.py
GITHUB = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"

def connect(host):
    return host
//- /private/notes.py
def private_plan():
    pass
//- /vendor/dep.py
def vendored_thing():
    pass
"#,
    );
    let cache = tempfile::tempdir().unwrap();
    let options =
        IndexOptions { exclude_globs: vec!["vendor/**".into()], ..persisting(cache.path()) };
    let (_, report) = start(&root, &options);
    assert_eq!(report.indexed, 1, "only config.py");
    let bytes = std::fs::read(index_files(cache.path()).pop().unwrap()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("connect"), "the index file holds names");
    for private in [
        "AKIAIOSFODNN7EXAMPLQ",
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        ".env",
        "private_plan",
        "notes.py",
        "vendored_thing",
        "dep.py",
    ] {
        assert!(!text.contains(private), "{private} reached the index file");
    }
}

#[test]
fn an_unwritable_index_directory_only_costs_the_warm_start() {
    let (_dir, root) = write_fixture(PROJECT);
    let cache = tempfile::tempdir().unwrap();
    let blocker = cache.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let options = persisting(&blocker.join("index"));
    let (index, report) = start(&root, &options);
    assert_eq!((report.indexed, report.reused), (4, 0));
    assert_eq!(index.definitions_named("helper").len(), 1);
    let (_, report) = start(&root, &options);
    assert_eq!(report.reused, 0);
}

#[test]
fn each_root_has_its_own_index_file() {
    let (_a, first) = write_fixture(PROJECT);
    let (_b, second) = write_fixture("//- /x.py\ndef x():\n    pass\n");
    let cache = tempfile::tempdir().unwrap();
    let options = persisting(cache.path());
    let index = WorkspaceIndex::default();
    index.index_root(&first, &options, &|_, _| {});
    index.index_root(&second, &options, &|_, _| {});
    assert_eq!(index_files(cache.path()).len(), 2);
    let (_, report) = start(&second, &options);
    assert_eq!((report.indexed, report.reused), (1, 1));
}

#[test]
fn an_index_file_of_another_root_is_not_used() {
    let (_a, first) = write_fixture(PROJECT);
    let (_b, second) = write_fixture(PROJECT);
    let cache = tempfile::tempdir().unwrap();
    let options = persisting(cache.path());
    start(&first, &options);
    let first_file = index_files(cache.path()).pop().unwrap();
    let (cold, _) = start(&second, &options);
    let second_file =
        index_files(cache.path()).into_iter().find(|file| *file != first_file).unwrap();
    // As if the two roots' paths hashed alike.
    std::fs::copy(&first_file, &second_file).unwrap();

    let (warm, report) = start(&second, &options);
    assert_eq!(report.reused, 0);
    assert_eq!(knowledge(&warm), knowledge(&cold));
}

#[test]
fn saving_deletes_the_index_files_of_roots_that_are_gone() {
    let (gone_dir, gone) = write_fixture(PROJECT);
    let (_kept, kept) = write_fixture(PROJECT);
    let cache = tempfile::tempdir().unwrap();
    let options = persisting(cache.path());
    start(&gone, &options);
    start(&kept, &options);
    assert_eq!(index_files(cache.path()).len(), 2);
    drop(gone_dir);
    std::fs::write(kept.join("new.py"), "def new():\n    pass\n").unwrap();

    start(&kept, &options);
    assert_eq!(index_files(cache.path()).len(), 1);
    let (_, report) = start(&kept, &options);
    assert_eq!((report.indexed, report.reused), (5, 5));
}
