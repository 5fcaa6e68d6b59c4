//! The `lua` import style: `require("a.b")` → `a/b.<ext>` or `a/b/init.<ext>` under the file's
//! ancestors and the roots' `source_roots`.

use std::path::{Path, PathBuf};

use infill_syntax::ImportRules;

use super::{Lookup, Resolution};
use crate::extract::Import;

pub(super) fn resolve(
    rules: &ImportRules,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let extensions = &rules.extensions;
    let relative: PathBuf = import.path.trim().split('.').collect();
    let hit = lookup.search_dirs(from, &rules.source_roots).iter().find_map(|dir| {
        let base = dir.join(&relative);
        lookup.probe(&base, extensions).or_else(|| lookup.probe(&base.join("init"), extensions))
    });
    match hit {
        Some(id) => Resolution::Files(vec![id]),
        None => Resolution::External,
    }
}
