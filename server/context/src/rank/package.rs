//! Package helpers (Go): the files of a directory are one package, whose functions and types
//! each of them uses without an import or a qualifier. With the cursor before a name that is
//! not typed yet, the package's definitions that the most of its files use, and that this file
//! does not name yet, are likely next: a helper like `stringInSlice`, a type like
//! `HandlersChain`.

use std::collections::{HashMap, HashSet};

use super::symbols::NameUse;
use crate::extract::DefKind;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::{identifiers, token_hash};

/// Weight of the package's most used definition; the others scale with their use.
const W_PACKAGE: f32 = 0.35;
/// At most this many names are raised.
const MAX_NAMES: usize = 8;
/// At most this many files of the directory are read.
const MAX_FILES: usize = 64;
/// A definition counts when at least this many other files of the package use it.
const MIN_USERS: usize = 2;

/// The package's most used definitions that `text` (the current file, in `dir`) does not name,
/// with their weights, best first. Test files (`_test.go`) are the package's only for tests.
pub(super) fn package_names<'a>(
    state: &'a State,
    current: Option<FileId>,
    text: &str,
    expected: &HashMap<&str, NameUse<'_>>,
) -> Vec<(&'a str, f32)> {
    let Some(entry) = current.and_then(|id| state.file(id)) else { return Vec::new() };
    if entry.language.as_deref().is_none_or(|l| l.name != "go") {
        return Vec::new();
    }
    let Some(dir) = entry.path.parent() else { return Vec::new() };
    let is_test =
        |id: FileId| state.file(id).is_some_and(|e| e.path.to_string_lossy().ends_with("_test.go"));
    let testing = entry.path.to_string_lossy().ends_with("_test.go");
    let package: Vec<FileId> = state
        .files_in_dir(dir)
        .iter()
        .copied()
        .filter(|&id| Some(id) != current)
        .filter(|&id| {
            state.file(id).is_some_and(|e| e.language.as_deref().is_some_and(|l| l.name == "go"))
        })
        .take(MAX_FILES)
        .collect();
    let members: HashSet<FileId> = package.iter().copied().collect();
    let named: HashSet<&str> = identifiers(text).map(|(_, name)| name).collect();
    let mut used: Vec<(&'a str, usize)> = Vec::new();
    for &file in &package {
        if !testing && is_test(file) {
            continue;
        }
        let Some(defining) = state.file(file) else { continue };
        for def in &defining.symbols.definitions {
            let kind_fits = matches!(
                def.kind,
                DefKind::Function | DefKind::Class | DefKind::Type | DefKind::Constant
            );
            let name: &str = &def.name;
            if def.parent.is_some()
                || !kind_fits
                || name.len() < 4
                || named.contains(name)
                || expected.contains_key(name)
                || used.iter().any(|(seen, _)| *seen == name)
            {
                continue;
            }
            let Some(postings) = state.postings(token_hash(name)) else { continue };
            // Files of the package other than the defining one that hold the name; a name in
            // too many files to list its postings is in all of them.
            let users = if postings.files.is_empty() {
                members.len().saturating_sub(1)
            } else {
                postings.files.iter().filter(|&&f| f != file && members.contains(&f)).count()
            };
            if users >= MIN_USERS {
                used.push((name, users));
            }
        }
    }
    used.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    used.truncate(MAX_NAMES);
    let most = used.first().map_or(1, |&(_, users)| users) as f32;
    used.into_iter()
        .map(|(name, users)| (name, W_PACKAGE * (0.5 + 0.5 * users as f32 / most)))
        .collect()
}
