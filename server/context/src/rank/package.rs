//! Packages (Go): the files of a directory are one package, whose functions and types each of
//! them uses without an import or a qualifier. With the cursor before a name that is not typed
//! yet, the package's definitions that the most of its files use, and that this file does not
//! name yet, are likely next: a helper like `stringInSlice`, a type like `HandlersChain`.
//!
//! With the cursor right after an imported package's name (`logrus.`), what follows is one of
//! that package's exported names: those the workspace uses most come first.

use std::collections::{HashMap, HashSet};

use super::symbols::NameUse;
use crate::extract::DefKind;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::{ident_before, identifiers, strip_member_access, token_hash};
use crate::resolve::Resolution;

/// Weight of the package's most used definition; the others scale with their use.
const W_PACKAGE: f32 = 0.35;
/// At most this many names are raised.
const MAX_NAMES: usize = 8;
/// At most this many files of the directory are read.
const MAX_FILES: usize = 64;
/// A definition counts when at least this many other files of the package use it.
const MIN_USERS: usize = 2;
/// Weight of an imported package's most used exported name, after `package.`.
const W_EXPORTED: f32 = 0.6;
/// At most this many exported names are raised.
const MAX_EXPORTED: usize = 10;

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

/// Forgets the names a Go file's imports bind to packages (`log` for `log "…/logrus"`): such a
/// name is a package, not a definition to look up (the package's own `log` method is not it).
pub(super) fn forget_package_names(
    state: &State,
    current: Option<FileId>,
    names: &mut HashMap<&str, NameUse<'_>>,
) {
    let Some(entry) = current.and_then(|id| state.file(id)) else { return };
    if entry.language.as_deref().is_none_or(|l| l.name != "go") {
        return;
    }
    for import in &entry.symbols.imports {
        names.remove(go_import_name(&import.path, &import.names).as_str());
    }
}

/// The name a Go import binds: its alias, else its path's last element (`gin` for
/// `github.com/gin-gonic/gin`, the element before a `/v2` version suffix).
fn go_import_name(path: &str, names: &[String]) -> String {
    if let Some(alias) = names.first() {
        return alias.clone();
    }
    let mut parts = path.rsplit('/');
    let last = parts.next().unwrap_or(path);
    let versioned =
        last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    let name = if versioned { parts.next().unwrap_or(last) } else { last };
    name.replace('-', "_")
}

/// With the cursor right after `name.` where `name` is a Go package the current file imports
/// from the workspace, that package's exported top-level names (only its types after `&`, `*`
/// or `[]`), the workspace's most used first, with their weights.
pub(super) fn exported_names<'a>(
    state: &'a State,
    current: Option<FileId>,
    text: &str,
    cursor: usize,
) -> Vec<(&'a str, f32)> {
    let Some(entry) = current.and_then(|id| state.file(id)) else { return Vec::new() };
    if entry.language.as_deref().is_none_or(|l| l.name != "go") {
        return Vec::new();
    }
    let Some((head, ".")) = text.get(..cursor).and_then(strip_member_access) else {
        return Vec::new();
    };
    let qualifier = ident_before(head, head.len());
    let lead = &head[..head.len() - qualifier.len()];
    if qualifier.is_empty() || lead.ends_with('.') {
        return Vec::new();
    }
    // `&log.`, `*logrus.`, `[]gin.`: only a type fits.
    let type_only = lead.ends_with(['&', '*', ']']);
    let files = entry.symbols.imports.iter().zip(&entry.resolved).find_map(|(import, resolved)| {
        match resolved {
            Resolution::Files(files)
                if go_import_name(&import.path, &import.names) == qualifier =>
            {
                Some(files)
            }
            _ => None,
        }
    });
    let Some(files) = files else { return Vec::new() };
    let mut exported: Vec<(&'a str, u32)> = Vec::new();
    for &file in files.iter().take(MAX_FILES) {
        let Some(defining) = state.file(file) else { continue };
        if defining.path.to_string_lossy().ends_with("_test.go") {
            continue;
        }
        for def in &defining.symbols.definitions {
            let name: &str = &def.name;
            let fits = match def.kind {
                DefKind::Class | DefKind::Type => true,
                DefKind::Function | DefKind::Constant => !type_only,
                _ => false,
            };
            if def.parent.is_none()
                && fits
                && name.starts_with(|c: char| c.is_ascii_uppercase())
                && !exported.iter().any(|(seen, _)| *seen == name)
            {
                let df = state.postings(token_hash(name)).map_or(0, |p| p.df);
                exported.push((name, df));
            }
        }
    }
    exported.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    exported.truncate(MAX_EXPORTED);
    let most = exported.first().map_or(1, |&(_, df)| df.max(1)) as f32;
    exported
        .into_iter()
        .map(|(name, df)| (name, W_EXPORTED * (0.5 + 0.5 * df as f32 / most)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_a_go_import_binds() {
        assert_eq!(go_import_name("github.com/sirupsen/logrus", &[]), "logrus");
        assert_eq!(go_import_name("github.com/go-playground/validator/v10", &[]), "validator");
        assert_eq!(go_import_name("github.com/sirupsen/logrus", &["log".to_string()]), "log");
        assert_eq!(go_import_name("fmt", &[]), "fmt");
    }
}
