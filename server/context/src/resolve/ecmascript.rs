//! The `ecmascript` import style: relative specifiers probed with the language's `extensions` and
//! `index_files`, root-relative ones, then tsconfig/jsconfig `paths` and `baseUrl`.

use std::path::Path;

use infill_syntax::ImportRules;

use super::{Lookup, Resolution, found};
use crate::extract::Import;
use crate::ids::FileId;
use crate::paths::normalize;

pub(super) fn resolve(
    rules: &ImportRules,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let (extensions, index_files) = (&rules.extensions, &rules.index_files);
    let spec = import.path.split(['?', '#']).next().unwrap_or_default();
    let probe = |target: &Path| -> Option<FileId> {
        if let Some(id) = lookup.probe(target, extensions) {
            return Some(id);
        }
        // TypeScript's ESM style names the emitted `.js`; the source is `.ts`.
        let text = target.to_string_lossy();
        for (emitted, sources) in [
            (".js", &["ts", "tsx"][..]),
            (".jsx", &["tsx"][..]),
            (".mjs", &["mts"][..]),
            (".cjs", &["cts"][..]),
        ] {
            if let Some(stem) = text.strip_suffix(emitted) {
                for source in sources {
                    if let Some(id) = lookup.file(Path::new(&format!("{stem}.{source}"))) {
                        return Some(id);
                    }
                }
            }
        }
        index_files.iter().find_map(|index| lookup.probe(&target.join(index), extensions))
    };
    if spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." {
        let dir = from.parent().unwrap_or(Path::new(""));
        return found(probe(&normalize(&dir.join(spec))));
    }
    if let Some(rest) = spec.strip_prefix('/') {
        return found(lookup.root_of(from).and_then(|root| probe(&root.join(rest))));
    }
    // tsconfig `paths`, then `baseUrl`, from the nearest config above the file.
    if let Some((_, config)) =
        lookup.project.tsconfigs.iter().find(|(dir, _)| from.starts_with(dir))
        && let Some(base) = &config.base_url
    {
        for (pattern, targets) in &config.paths {
            let captured = match pattern.split_once('*') {
                Some((prefix, suffix)) => spec
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix(suffix))
                    .map(str::to_owned),
                None => (spec == pattern).then(String::new),
            };
            let Some(captured) = captured else { continue };
            for target in targets {
                let target = target.replace('*', &captured);
                if let Some(id) = probe(&normalize(&base.join(target))) {
                    return Resolution::Files(vec![id]);
                }
            }
        }
        if let Some(id) = probe(&normalize(&base.join(spec))) {
            return Resolution::Files(vec![id]);
        }
    }
    Resolution::External
}
