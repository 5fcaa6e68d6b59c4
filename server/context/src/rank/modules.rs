//! Rust module paths: with the cursor right after `crate::runtime::park::` (or a path from
//! `self::`, `super::` or a child module of the current one), the next token is an item of that
//! module, and the path names its file (`runtime/park.rs` or `runtime/park/mod.rs` under the
//! crate's root). The file's top-level items are listed, the ones the workspace uses most first.

use std::path::{Path, PathBuf};

use super::candidate::{Candidate, Source};
use crate::extract::DefKind;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::token_hash;

/// Score of a module's listing (as a receiver's members).
const W_MODULE: f32 = 6.0;
/// At most this many path segments are followed.
const MAX_SEGMENTS: usize = 8;

/// The module path written right before the cursor, without its last `::`: `["crate",
/// "runtime", "park"]` for `let p = crate::runtime::park::`. Empty when the cursor does not
/// follow `::`, or the path is a type's (`Builder::`: a capitalized segment).
pub(super) fn path_before(text: &str, cursor: usize) -> Vec<&str> {
    let Some(mut before) = text.get(..cursor) else { return Vec::new() };
    let mut segments = Vec::new();
    while let Some(rest) = before.strip_suffix("::") {
        let start = rest
            .bytes()
            .rposition(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$'))
            .map_or(0, |at| at + 1);
        let segment = &rest[start..];
        if segment.is_empty() || segments.len() == MAX_SEGMENTS {
            break;
        }
        segments.push(segment);
        before = &rest[..start];
    }
    segments.reverse();
    let typed = segments.iter().any(|s| s.starts_with(|c: char| c.is_ascii_uppercase()));
    if typed || segments.first().is_some_and(|s| s.starts_with(|c: char| c.is_ascii_digit())) {
        return Vec::new();
    }
    segments
}

/// The directory holding `dir`'s crate root (`lib.rs` or `main.rs`), searching upwards.
fn crate_root(state: &State, dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| ["lib.rs", "main.rs"].iter().any(|root| state.id_of(&d.join(root)).is_some()))
        .map(Path::to_path_buf)
}

/// The directory of the module a file defines: a crate root's or a `mod.rs`'s own directory,
/// else a directory named after the file (`runtime/park.rs` → `runtime/park/`).
fn module_dir(file: &Path) -> Option<PathBuf> {
    let dir = file.parent()?;
    let stem = file.file_stem()?.to_str()?;
    Some(if matches!(stem, "lib" | "main" | "mod") { dir.to_path_buf() } else { dir.join(stem) })
}

/// The file of the module at `dir` (a module directory): `dir.rs`, else `dir/mod.rs`; the crate
/// root for the root's directory.
fn module_file(state: &State, dir: &Path) -> Option<FileId> {
    let named = dir.with_extension("rs");
    ["lib.rs", "main.rs", "mod.rs"]
        .iter()
        .map(|root| dir.join(root))
        .chain(std::iter::once(named))
        .find_map(|path| state.id_of(&path))
}

/// The file a module path leads to from the current file.
fn resolve(state: &State, current: &Path, segments: &[&str]) -> Option<FileId> {
    let (first, rest) = segments.split_first()?;
    let here = module_dir(current)?;
    let mut dir = match *first {
        "crate" | "$crate" => crate_root(state, current.parent()?)?,
        "self" => here,
        "super" => here.parent()?.to_path_buf(),
        // A child module of the current one (a name brought by `use` may be any crate's).
        name => here.join(name),
    };
    for segment in rest {
        dir = match *segment {
            "super" => dir.parent()?.to_path_buf(),
            "self" => dir,
            name => dir.join(name),
        };
    }
    module_file(state, &dir)
}

/// A listing of the items of the module named by the path before the cursor, in Rust files.
pub(super) fn module_candidates(
    state: &State,
    text: &str,
    cursor: usize,
    current: Option<FileId>,
    candidates: &mut Vec<Candidate>,
) {
    let Some(entry) = current.and_then(|id| state.file(id)) else { return };
    if entry.language.as_deref().is_none_or(|l| l.name != "rust") {
        return;
    }
    let segments = path_before(text, cursor);
    if segments.is_empty() {
        return;
    }
    let Some(file) = resolve(state, &entry.path, &segments).filter(|&f| Some(f) != current) else {
        return;
    };
    let Some(module) = state.file(file) else { return };
    let defs = &module.symbols.definitions;
    let mut members: Vec<u32> = (0..defs.len())
        .filter(|&at| defs[at].parent.is_none() && !matches!(defs[at].kind, DefKind::Impl))
        .map(|at| at as u32)
        .collect();
    if members.is_empty() {
        return;
    }
    let used_by =
        |at: &u32| state.postings(token_hash(&defs[*at as usize].name)).map_or(0, |p| p.df);
    members.sort_by_cached_key(|at| (std::cmp::Reverse(used_by(at)), *at));
    candidates.push(Candidate {
        file,
        source: Source::Members { container: None, members },
        score: W_MODULE,
        reason: format!("items of module `{}`", segments.join("::")),
        stable: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(text: &str) -> Vec<&str> {
        path_before(text, text.len())
    }

    #[test]
    fn module_paths_before_the_cursor() {
        assert_eq!(at_end("let p = crate::runtime::park::"), ["crate", "runtime", "park"]);
        assert_eq!(at_end("match $crate::macros::"), ["$crate", "macros"]);
        assert_eq!(at_end("    super::util::"), ["super", "util"]);
        assert_eq!(at_end("x = io::"), ["io"]);
        // A type's path, nothing after `::`, or a name being typed.
        assert!(at_end("let b = Builder::").is_empty());
        assert!(at_end("crate::runtime::Handle::").is_empty());
        assert!(at_end("let x = ").is_empty());
        assert!(at_end("crate::runtime::pa").is_empty());
    }

    #[test]
    fn module_directories() {
        assert_eq!(module_dir(Path::new("/c/src/lib.rs")).unwrap(), Path::new("/c/src"));
        assert_eq!(module_dir(Path::new("/c/src/io/mod.rs")).unwrap(), Path::new("/c/src/io"));
        assert_eq!(
            module_dir(Path::new("/c/src/runtime/park.rs")).unwrap(),
            Path::new("/c/src/runtime/park")
        );
    }
}
