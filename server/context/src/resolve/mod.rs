//! Import resolution: from an import's raw path to workspace files. One strategy per import
//! *style* — the `style` key of a language's `[language.imports]` table in
//! `grammars/languages.toml`, parsed into [`ImportStyle`] when the registry loads — so code
//! names strategies, never languages. One file per style:
//!
//! | style | resolves |
//! |---|---|
//! | `python` | dotted modules and packages (`__init__.py`), relative imports, source roots |
//! | `ecmascript` | relative paths with extension and index probing, tsconfig `baseUrl`/`paths` |
//! | `rust-mod` | `mod x;` (x.rs, x/mod.rs), `use crate::/self::/super::` and workspace crates |
//! | `go` | package import paths inside a module (`go.mod`'s `module` line → directory) |
//! | `c-include` | `#include "…"` relative to the file, its ancestors and include dirs |
//! | `java` | `import a.b.C` through declared packages, then directories |
//! | `csharp` | `using A.B` through declared namespaces |
//! | `ruby` | `require_relative` and `require` against source roots |
//! | `lua` | `require("a.b")` → `a/b.lua`, `a/b/init.lua` |
//! | `path` | plain paths relative to the file, then to the root (shell `source`) |
//! | `none` | nothing resolves |
//!
//! The other keys of the imports table ([`ImportRules`]) are the strategy's data: `extensions`
//! to probe, `index_files`, `source_roots` (directories under a root that act as import roots)
//! and `project_files` (read by [`project`]).

mod csharp;
mod ecmascript;
mod go;
mod include;
mod java;
mod lua;
pub(crate) mod project;
mod python;
mod ruby;
mod rust_mod;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use infill_syntax::{ImportRules, ImportStyle};

use crate::extract::{Import, ImportKind};
use crate::ids::FileId;
use crate::paths::normalize;
use project::Project;

/// What an import resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// Workspace files (a package can be several files).
    Files(Vec<FileId>),
    /// Expected outside the workspace (a system header, a bare npm package, a std module).
    External,
    /// Looked like a workspace import but matched no file.
    Unresolved,
}

/// The lookups a strategy may make; all answered from the index, never from the filesystem.
pub(crate) struct Lookup<'a> {
    pub file_ids: &'a HashMap<PathBuf, FileId>,
    pub dir_files: &'a HashMap<PathBuf, Vec<FileId>>,
    pub packages: &'a HashMap<String, Vec<FileId>>,
    pub path_of: &'a dyn Fn(FileId) -> Option<&'a Path>,
    pub project: &'a Project,
    pub roots: &'a [PathBuf],
}

impl Lookup<'_> {
    pub(crate) fn file(&self, path: &Path) -> Option<FileId> {
        self.file_ids.get(path).copied().or_else(|| self.file_ids.get(&normalize(path)).copied())
    }

    pub(crate) fn root_of(&self, path: &Path) -> Option<&Path> {
        crate::paths::root_of(self.roots, path)
    }

    /// `path` itself, then `path.ext` for each extension.
    pub(crate) fn probe(&self, path: &Path, extensions: &[String]) -> Option<FileId> {
        if let Some(id) = self.file(path) {
            return Some(id);
        }
        let base = path.as_os_str().to_string_lossy();
        extensions.iter().find_map(|ext| self.file(Path::new(&format!("{base}.{ext}"))))
    }

    /// `dir`, its ancestors up to the root, plus `source_roots` under each root.
    pub(crate) fn search_dirs(&self, from: &Path, source_roots: &[String]) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        let root = self.root_of(from);
        let mut dir = from.parent();
        while let Some(current) = dir {
            dirs.push(current.to_path_buf());
            if Some(current) == root || root.is_none() {
                break;
            }
            dir = current.parent();
        }
        for root in self.roots {
            if !dirs.contains(root) {
                dirs.push(root.clone());
            }
            for source in source_roots {
                let candidate = root.join(source);
                if !dirs.contains(&candidate) {
                    dirs.push(candidate);
                }
            }
        }
        dirs
    }
}

/// The rules of a language without an imports table: nothing resolves.
static NO_RULES: ImportRules = ImportRules {
    style: ImportStyle::None,
    extensions: Vec::new(),
    index_files: Vec::new(),
    source_roots: Vec::new(),
    project_files: Vec::new(),
};

/// Resolves one import of the file at `from` (an absolute, normalized path) by the rules of the
/// file's language.
pub(crate) fn resolve(
    rules: Option<&ImportRules>,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let rules = rules.unwrap_or(&NO_RULES);
    if import.kind == ImportKind::System {
        return match include::include(rules, lookup, from, &import.path, true) {
            Some(id) => Resolution::Files(vec![id]),
            None => Resolution::External,
        };
    }
    match rules.style {
        ImportStyle::Python => python::resolve(rules, lookup, from, import),
        ImportStyle::Ecmascript => ecmascript::resolve(rules, lookup, from, import),
        ImportStyle::RustMod => rust_mod::resolve(lookup, from, import),
        ImportStyle::Go => go::resolve(lookup, import),
        ImportStyle::CInclude | ImportStyle::Path => {
            found(include::include(rules, lookup, from, &import.path, false))
        }
        ImportStyle::Java => java::resolve(rules, lookup, import),
        ImportStyle::Csharp => csharp::resolve(lookup, import),
        ImportStyle::Ruby => ruby::resolve(rules, lookup, from, import),
        ImportStyle::Lua => lua::resolve(rules, lookup, from, import),
        ImportStyle::None => Resolution::Unresolved,
    }
}

pub(crate) fn found(id: Option<FileId>) -> Resolution {
    match id {
        Some(id) => Resolution::Files(vec![id]),
        None => Resolution::Unresolved,
    }
}

pub(crate) fn files(mut ids: Vec<FileId>) -> Resolution {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() { Resolution::Unresolved } else { Resolution::Files(ids) }
}
