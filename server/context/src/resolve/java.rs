//! The `java` import style: `import a.b.C` through the packages files declare (longest known
//! package prefix, then the class by file stem), else a directory layout under the roots'
//! `source_roots`, probing the language's `extensions`.

use std::path::PathBuf;

use infill_syntax::ImportRules;

use super::{Lookup, Resolution, files};
use crate::extract::Import;
use crate::ids::FileId;

pub(super) fn stem_of<'a>(lookup: &Lookup<'a>, id: FileId) -> Option<&'a str> {
    (lookup.path_of)(id).and_then(|p| p.file_stem()).and_then(|s| s.to_str())
}

pub(super) fn resolve(rules: &ImportRules, lookup: &Lookup<'_>, import: &Import) -> Resolution {
    let path = import.path.trim().trim_end_matches(".*");
    let wildcard = import.path.trim().ends_with('*') || import.head.contains('*');
    let parts: Vec<&str> = path.split('.').collect();
    // Longest package prefix that we know; the next part is the class.
    for split in (1..=parts.len()).rev() {
        let package = parts[..split].join(".");
        let Some(ids) = lookup.packages.get(&package) else { continue };
        match parts.get(split) {
            Some(class) => {
                let hit: Vec<FileId> =
                    ids.iter().copied().filter(|&id| stem_of(lookup, id) == Some(*class)).collect();
                if !hit.is_empty() {
                    return files(hit);
                }
            }
            None if wildcard || split == parts.len() => {
                return files(ids.iter().copied().take(64).collect());
            }
            None => {}
        }
    }
    // Directory layout without a declared package: a/b/C.java under some root.
    let relative: PathBuf = parts.iter().collect();
    for root in lookup.roots {
        for base in &rules.source_roots {
            let candidate = root.join(base).join(&relative);
            for ext in &rules.extensions {
                if let Some(id) = lookup.file(&candidate.with_extension(ext)) {
                    return Resolution::Files(vec![id]);
                }
            }
        }
    }
    Resolution::External
}
