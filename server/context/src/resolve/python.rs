//! The `python` import style: dotted modules and packages (`__init__.py`), relative imports
//! (`from . import x`), and the language's `source_roots` as import roots.

use std::path::{Path, PathBuf};

use infill_syntax::ImportRules;

use super::{Lookup, Resolution, files};
use crate::extract::Import;
use crate::ids::FileId;

fn python_module(lookup: &Lookup<'_>, base: &Path, dotted: &str) -> Option<FileId> {
    let mut path = base.to_path_buf();
    for part in dotted.split('.').filter(|part| !part.is_empty()) {
        path.push(part);
    }
    lookup
        .file(&path.with_extension("py"))
        .or_else(|| lookup.file(&path.with_extension("pyi")))
        .or_else(|| lookup.file(&path.join("__init__.py")))
}

pub(super) fn resolve(
    rules: &ImportRules,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let raw = import.path.trim();
    let dots = raw.chars().take_while(|c| *c == '.').count();
    let module = &raw[dots..];
    let mut bases: Vec<PathBuf> = Vec::new();
    if dots > 0 {
        let mut base = from.parent().map(Path::to_path_buf).unwrap_or_default();
        for _ in 1..dots {
            base.pop();
        }
        bases.push(base);
    } else {
        bases = lookup.search_dirs(from, &rules.source_roots);
    }
    let mut out = Vec::new();
    for base in &bases {
        // `from pkg import name`: a submodule named `name` first, then the module itself.
        let mut any = false;
        for name in &import.names {
            let dotted = if module.is_empty() { name.clone() } else { format!("{module}.{name}") };
            if let Some(id) = python_module(lookup, base, &dotted) {
                out.push(id);
                any = true;
            }
        }
        let whole = if module.is_empty() {
            lookup.file(&base.join("__init__.py"))
        } else {
            python_module(lookup, base, module)
        };
        if let Some(id) = whole
            && (!any || import.names.len() > out.len())
        {
            out.push(id);
            any = true;
        }
        if !any && dots == 0 {
            // `import a.b.c` where only `a.b` is a module (c is an attribute).
            let mut parts: Vec<&str> = module.split('.').collect();
            while parts.len() > 1 {
                parts.pop();
                if let Some(id) = python_module(lookup, base, &parts.join(".")) {
                    out.push(id);
                    any = true;
                    break;
                }
            }
        }
        if any {
            break;
        }
    }
    if out.is_empty() && dots == 0 {
        return Resolution::External;
    }
    files(out)
}
