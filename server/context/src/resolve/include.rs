//! The `c-include` and `path` import styles (and system includes of any style): a path probed
//! relative to the including file, then to its ancestors up to the root, each root, the
//! language's `source_roots` under each root, and an `include/` directory beside each of those.

use std::path::Path;

use infill_syntax::ImportRules;

use super::Lookup;
use crate::ids::FileId;
use crate::paths::normalize;

/// The file `spec` names, probing the language's `extensions`; a `system` include (`<x.h>`)
/// skips the including file's own directory.
pub(super) fn include(
    rules: &ImportRules,
    lookup: &Lookup<'_>,
    from: &Path,
    spec: &str,
    system: bool,
) -> Option<FileId> {
    let spec = spec.trim();
    if spec.is_empty() || Path::new(spec).is_absolute() {
        return None;
    }
    let mut dirs = Vec::new();
    if !system && let Some(dir) = from.parent() {
        dirs.push(dir.to_path_buf());
    }
    for dir in lookup.search_dirs(from, &rules.source_roots) {
        if !dirs.contains(&dir) {
            dirs.push(dir.clone());
        }
        let include = dir.join("include");
        if !dirs.contains(&include) {
            dirs.push(include);
        }
    }
    dirs.iter().find_map(|dir| lookup.probe(&normalize(&dir.join(spec)), &rules.extensions))
}
