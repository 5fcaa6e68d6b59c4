//! The `ruby` import style: `require_relative` against the file's directory, `require` against
//! the file's ancestors and the roots' `source_roots`, probing the language's `extensions`.

use std::path::Path;

use infill_syntax::ImportRules;

use super::{Lookup, Resolution, found};
use crate::extract::Import;
use crate::paths::normalize;

pub(super) fn resolve(
    rules: &ImportRules,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let extensions = &rules.extensions;
    let spec = import.path.trim();
    if import.head.starts_with("require_relative") {
        let dir = from.parent().unwrap_or(Path::new(""));
        return found(lookup.probe(&normalize(&dir.join(spec)), extensions));
    }
    let hit = lookup
        .search_dirs(from, &rules.source_roots)
        .iter()
        .find_map(|dir| lookup.probe(&normalize(&dir.join(spec)), extensions));
    match hit {
        Some(id) => Resolution::Files(vec![id]),
        None => Resolution::External,
    }
}
