//! The `go` import style: an import path inside a module named by a `go.mod` is the directory
//! of that package; its non-test `.go` files are the targets.

use super::{Lookup, Resolution, files};
use crate::extract::Import;
use crate::ids::FileId;

pub(super) fn resolve(lookup: &Lookup<'_>, import: &Import) -> Resolution {
    let path = import.path.as_str();
    let module = lookup
        .project
        .go_modules
        .iter()
        .filter(|(_, module)| path == module || path.starts_with(&format!("{module}/")))
        .max_by_key(|(_, module)| module.len());
    let Some((dir, module)) = module else { return Resolution::External };
    let rest = path[module.len()..].trim_start_matches('/');
    let package_dir = if rest.is_empty() { dir.clone() } else { dir.join(rest) };
    let ids: Vec<FileId> = lookup
        .dir_files
        .get(&package_dir)
        .map(|ids| {
            ids.iter()
                .copied()
                .filter(|&id| {
                    (lookup.path_of)(id).is_some_and(|p| {
                        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                        name.ends_with(".go") && !name.ends_with("_test.go")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    files(ids)
}
