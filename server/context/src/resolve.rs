//! Import resolution: from an import's raw path to workspace files. One strategy per import
//! *style* — the `style` key of a language's `[language.imports]` table in
//! `grammars/languages.toml` — so code names strategies, never languages.
//!
//! | style | resolves |
//! |---|---|
//! | `python` | dotted modules and packages (`__init__.py`), relative imports, `src/` layouts |
//! | `ecmascript` | relative paths with extension and `index` probing, tsconfig `baseUrl`/`paths` |
//! | `rust-mod` | `mod x;` (x.rs, x/mod.rs), `use crate::/self::/super::` and workspace crates |
//! | `go` | package import paths inside a module (`go.mod`'s `module` line → directory) |
//! | `c-include` | `#include "…"` relative to the file, its ancestors and `include/` dirs |
//! | `java` | `import a.b.C` through declared packages, then directories |
//! | `csharp` | `using A.B` through declared namespaces |
//! | `ruby` | `require_relative` and `require` against `lib/` |
//! | `lua` | `require("a.b")` → `a/b.lua`, `a/b/init.lua` |
//! | `path` | plain paths relative to the file, then to the root (shell `source`) |
//! | `none` | nothing resolves |
//!
//! Optional keys of the imports table: `extensions` (probe list for `ecmascript`/`c-include`/
//! `lua`/`ruby`/`path`), `index_files` (`ecmascript`), `source_roots` (directories under a root
//! that act as import roots, e.g. `src`, `lib`).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::extract::{Import, ImportKind};
use crate::index::FileId;

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

/// Project files that steer resolution, collected during the walk.
#[derive(Debug, Default, Clone)]
pub(crate) struct Project {
    /// `(directory of go.mod, module path)`.
    pub go_modules: Vec<(PathBuf, String)>,
    /// `(directory of tsconfig/jsconfig, its settings)`.
    pub tsconfigs: Vec<(PathBuf, TsConfig)>,
    /// Workspace crate name (with `_`) → directory of its `src`.
    pub crates: HashMap<String, PathBuf>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct TsConfig {
    pub base_url: Option<PathBuf>,
    pub paths: Vec<(String, Vec<String>)>,
}

impl Project {
    /// Reads a project file if its name is one we understand. Returns whether it was one.
    pub fn note_file(&mut self, path: &Path, text: &str) -> bool {
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else { return false };
        let Some(dir) = path.parent() else { return false };
        match name {
            "go.mod" => {
                if let Some(module) =
                    text.lines().find_map(|line| line.trim().strip_prefix("module "))
                {
                    let module = module.trim().trim_matches('"').to_owned();
                    self.go_modules.retain(|(existing, _)| existing != dir);
                    self.go_modules.push((dir.to_path_buf(), module));
                }
                true
            }
            "tsconfig.json" | "jsconfig.json" => {
                let config = parse_tsconfig(dir, text);
                self.tsconfigs.retain(|(existing, _)| existing != dir);
                self.tsconfigs.push((dir.to_path_buf(), config));
                self.tsconfigs.sort_by_key(|(dir, _)| std::cmp::Reverse(dir.components().count()));
                true
            }
            "Cargo.toml" => {
                if let Some(name) = cargo_package_name(text) {
                    self.crates.insert(name.replace('-', "_"), dir.join("src"));
                }
                true
            }
            _ => false,
        }
    }
}

/// `name = "…"` inside the `[package]` table, without a TOML parser.
fn cargo_package_name(text: &str) -> Option<String> {
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package
            && let Some(rest) = line.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// Strips `//` and `/* */` comments and trailing commas so serde_json reads a tsconfig.
fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut in_string = false;
    while at < bytes.len() {
        let byte = bytes[at];
        if in_string {
            if byte == b'\\' && at + 1 < bytes.len() {
                out.push_str(&text[at..at + 2]);
                at += 2;
                continue;
            }
            if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if bytes[at..].starts_with(b"//") {
            while at < bytes.len() && bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        } else if bytes[at..].starts_with(b"/*") {
            at += 2;
            while at < bytes.len() && !bytes[at..].starts_with(b"*/") {
                at += 1;
            }
            at += 2;
            continue;
        } else if byte == b',' {
            let rest = text[at + 1..].trim_start();
            if rest.starts_with('}') || rest.starts_with(']') {
                at += 1;
                continue;
            }
        }
        let len = text[at..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[at..at + len]);
        at += len;
    }
    out
}

fn parse_tsconfig(dir: &Path, text: &str) -> TsConfig {
    let mut config = TsConfig::default();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&strip_jsonc(text)) else {
        return config;
    };
    let Some(options) = value.get("compilerOptions") else { return config };
    let base_url =
        options.get("baseUrl").and_then(|v| v.as_str()).map(|base| normalize(&dir.join(base)));
    if let Some(paths) = options.get("paths").and_then(|v| v.as_object()) {
        for (pattern, targets) in paths {
            let targets = targets
                .as_array()
                .map(|list| list.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            config.paths.push((pattern.clone(), targets));
        }
    }
    // `paths` entries are relative to baseUrl when set, else to the tsconfig's directory.
    config.base_url = Some(base_url.clone().unwrap_or_else(|| dir.to_path_buf()));
    if base_url.is_none() && config.paths.is_empty() {
        config.base_url = None;
    }
    config
}

/// Lexically normalizes `.` and `..` (no filesystem access, so symlinks are never followed).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
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
    fn file(&self, path: &Path) -> Option<FileId> {
        self.file_ids.get(path).copied().or_else(|| self.file_ids.get(&normalize(path)).copied())
    }

    fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots
            .iter()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.as_os_str().len())
            .map(PathBuf::as_path)
    }

    /// `path` itself, then `path.ext` for each extension.
    fn probe(&self, path: &Path, extensions: &[String]) -> Option<FileId> {
        if let Some(id) = self.file(path) {
            return Some(id);
        }
        let base = path.as_os_str().to_string_lossy();
        extensions.iter().find_map(|ext| self.file(Path::new(&format!("{base}.{ext}"))))
    }

    /// `dir`, its ancestors up to the root, plus `source_roots` under each root.
    fn search_dirs(&self, from: &Path, source_roots: &[String]) -> Vec<PathBuf> {
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

fn option_list(options: Option<&toml::Value>, key: &str, default: &[&str]) -> Vec<String> {
    options
        .and_then(|table| table.get(key))
        .and_then(|value| value.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(|s| s.trim_start_matches('.').to_owned()))
                .collect()
        })
        .unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect())
}

/// The `style` of an imports table, `"none"` when absent.
pub(crate) fn style_of(options: Option<&toml::Value>) -> &str {
    options.and_then(|table| table.get("style")).and_then(|v| v.as_str()).unwrap_or("none")
}

/// Resolves one import of the file at `from` (an absolute, normalized path).
pub(crate) fn resolve(
    options: Option<&toml::Value>,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    if import.kind == ImportKind::System {
        let extensions = option_list(options, "extensions", &[]);
        return match c_include(lookup, from, &import.path, &extensions, true) {
            Some(id) => Resolution::Files(vec![id]),
            None => Resolution::External,
        };
    }
    match style_of(options) {
        "python" => python(options, lookup, from, import),
        "ecmascript" => ecmascript(options, lookup, from, import),
        "rust-mod" => rust_mod(lookup, from, import),
        "go" => go(lookup, import),
        "c-include" => {
            let extensions = option_list(options, "extensions", &[]);
            found(c_include(lookup, from, &import.path, &extensions, false))
        }
        "java" => java(lookup, import),
        "csharp" => csharp(lookup, import),
        "ruby" => ruby(options, lookup, from, import),
        "lua" => lua(options, lookup, from, import),
        "path" => {
            let extensions = option_list(options, "extensions", &[]);
            found(c_include(lookup, from, &import.path, &extensions, false))
        }
        _ => Resolution::Unresolved,
    }
}

fn found(id: Option<FileId>) -> Resolution {
    match id {
        Some(id) => Resolution::Files(vec![id]),
        None => Resolution::Unresolved,
    }
}

fn files(mut ids: Vec<FileId>) -> Resolution {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() { Resolution::Unresolved } else { Resolution::Files(ids) }
}

// ---- python ----------------------------------------------------------------------------------

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

fn python(
    options: Option<&toml::Value>,
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
        let source_roots = option_list(options, "source_roots", &["src", "lib"]);
        bases = lookup.search_dirs(from, &source_roots);
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

// ---- ecmascript ------------------------------------------------------------------------------

fn ecmascript(
    options: Option<&toml::Value>,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let extensions = option_list(
        options,
        "extensions",
        &["ts", "tsx", "d.ts", "js", "jsx", "mjs", "cjs", "mts", "cts"],
    );
    let index_files = option_list(options, "index_files", &["index"]);
    let spec = import.path.split(['?', '#']).next().unwrap_or_default();
    let probe = |target: &Path| -> Option<FileId> {
        if let Some(id) = lookup.probe(target, &extensions) {
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
        index_files.iter().find_map(|index| lookup.probe(&target.join(index), &extensions))
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

// ---- rust-mod --------------------------------------------------------------------------------

/// Expands a use tree (`a::{b, c::{d as e, self}}`) into flat paths.
pub(crate) fn expand_use_tree(tree: &str) -> Vec<String> {
    let compact: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    expand_into("", &compact, &mut out);
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_owned()
        } else if b.is_empty() {
            a.to_owned()
        } else {
            format!("{a}::{b}")
        }
    };
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim_end_matches("::");
        let inner = tree[open + 1..].strip_suffix('}').unwrap_or(&tree[open + 1..]);
        let base = join(prefix, head);
        let mut depth = 0;
        let mut start = 0;
        for (at, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_into(&base, &inner[start..at], out);
                    start = at + 1;
                }
                _ => {}
            }
        }
        expand_into(&base, &inner[start..], out);
        return;
    }
    let item = tree;
    let item = item.trim_end_matches("::*").trim_end_matches('*');
    let item = if item == "self" { "" } else { item.trim_end_matches("::self") };
    if !item.is_empty() || !prefix.is_empty() {
        out.push(join(prefix, item));
    }
}

/// Whether `file` is a module root whose submodules live beside it (mod.rs, lib.rs, main.rs).
fn is_dir_module(file: &Path) -> bool {
    matches!(file.file_name().and_then(|n| n.to_str()), Some("mod.rs" | "lib.rs" | "main.rs"))
}

/// The directory that holds `file`'s submodules.
fn module_dir(file: &Path) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    if is_dir_module(file) { dir } else { dir.join(file.file_stem().unwrap_or_default()) }
}

fn rust_submodule(lookup: &Lookup<'_>, dir: &Path, name: &str) -> Option<FileId> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    lookup
        .file(&dir.join(format!("{name}.rs")))
        .or_else(|| lookup.file(&dir.join(name).join("mod.rs")))
}

/// The crate root directory of `file`: the nearest ancestor holding lib.rs or main.rs.
fn crate_dir(lookup: &Lookup<'_>, file: &Path) -> Option<(PathBuf, FileId)> {
    let mut dir = file.parent();
    while let Some(current) = dir {
        for root in ["lib.rs", "main.rs"] {
            if let Some(id) = lookup.file(&current.join(root)) {
                return Some((current.to_path_buf(), id));
            }
        }
        if lookup.root_of(current).is_none() {
            break;
        }
        dir = current.parent();
    }
    None
}

/// Walks module segments from a start directory; returns the deepest module file found.
fn rust_walk(lookup: &Lookup<'_>, mut dir: PathBuf, segments: &[&str]) -> Option<FileId> {
    let mut deepest = None;
    for segment in segments {
        match rust_submodule(lookup, &dir, segment) {
            Some(id) => {
                deepest = Some(id);
                dir = dir.join(segment);
            }
            None => break,
        }
    }
    deepest
}

fn rust_mod(lookup: &Lookup<'_>, from: &Path, import: &Import) -> Resolution {
    if import.kind == ImportKind::Submodule {
        return found(rust_submodule(lookup, &module_dir(from), &import.path));
    }
    if import.head.starts_with("extern") {
        return match lookup.project.crates.get(&import.path) {
            Some(src) => found(lookup.file(&src.join("lib.rs"))),
            None => Resolution::External,
        };
    }
    let mut out = Vec::new();
    let mut external = true;
    for path in expand_use_tree(&rename_free(&import.path)) {
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let Some((&first, rest)) = segments.split_first() else { continue };
        let resolved = match first {
            "crate" => {
                external = false;
                crate_dir(lookup, from)
                    .map(|(dir, root)| rust_walk(lookup, dir, rest).unwrap_or(root))
            }
            "self" => {
                external = false;
                rust_walk(lookup, module_dir(from), rest).or_else(|| lookup.file(from))
            }
            "super" => {
                external = false;
                let mut dir = module_dir(from);
                let mut rest = rest;
                dir.pop();
                while let Some((&"super", tail)) = rest.split_first() {
                    dir.pop();
                    rest = tail;
                }
                rust_walk(lookup, dir.clone(), rest).or_else(|| {
                    let parent = dir.with_extension("rs");
                    lookup.file(&parent).or_else(|| lookup.file(&dir.join("mod.rs"))).or_else(
                        || {
                            ["lib.rs", "main.rs"]
                                .iter()
                                .find_map(|root| lookup.file(&dir.join(root)))
                        },
                    )
                })
            }
            name => {
                // A sibling module in scope (2018 uniform paths), then a workspace crate.
                if let Some(id) = rust_walk(lookup, module_dir(from), &segments) {
                    external = false;
                    Some(id)
                } else if let Some(src) = lookup.project.crates.get(name) {
                    external = false;
                    let root = lookup
                        .file(&src.join("lib.rs"))
                        .or_else(|| lookup.file(&src.join("main.rs")));
                    rust_walk(lookup, src.clone(), rest).or(root)
                } else {
                    None
                }
            }
        };
        if let Some(id) = resolved {
            out.push(id);
        }
    }
    if out.is_empty() && external {
        return Resolution::External;
    }
    files(out)
}

/// Removes `as alias` renames from a use tree before whitespace is compacted.
fn rename_free(tree: &str) -> String {
    let mut out = String::with_capacity(tree.len());
    for part in tree.split_inclusive([',', '}', '{']) {
        // `part` is like `x as y,` — keep `x` plus the delimiter.
        let delimiter = part.chars().last().filter(|c| matches!(c, ',' | '}' | '{'));
        let body = delimiter.map_or(part, |d| &part[..part.len() - d.len_utf8()]);
        let kept = match body.find(" as ") {
            Some(at) => &body[..at],
            None => body,
        };
        out.push_str(kept);
        if let Some(d) = delimiter {
            out.push(d);
        }
    }
    out
}

// ---- go --------------------------------------------------------------------------------------

fn go(lookup: &Lookup<'_>, import: &Import) -> Resolution {
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

// ---- c-include / path ------------------------------------------------------------------------

fn c_include(
    lookup: &Lookup<'_>,
    from: &Path,
    spec: &str,
    extensions: &[String],
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
    for dir in lookup.search_dirs(from, &["include".to_owned(), "src".to_owned()]) {
        if !dirs.contains(&dir) {
            dirs.push(dir.clone());
        }
        let include = dir.join("include");
        if !dirs.contains(&include) {
            dirs.push(include);
        }
    }
    dirs.iter().find_map(|dir| lookup.probe(&normalize(&dir.join(spec)), extensions))
}

// ---- java / csharp ---------------------------------------------------------------------------

fn stem_of<'a>(lookup: &Lookup<'a>, id: FileId) -> Option<&'a str> {
    (lookup.path_of)(id).and_then(|p| p.file_stem()).and_then(|s| s.to_str())
}

fn java(lookup: &Lookup<'_>, import: &Import) -> Resolution {
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
        for base in ["", "src", "src/main/java", "src/test/java", "app/src/main/java"] {
            let candidate = root.join(base).join(&relative);
            for ext in ["java", "kt", "scala"] {
                if let Some(id) = lookup.file(&candidate.with_extension(ext)) {
                    return Resolution::Files(vec![id]);
                }
            }
        }
    }
    Resolution::External
}

fn csharp(lookup: &Lookup<'_>, import: &Import) -> Resolution {
    let namespace = import.path.trim();
    let namespace = namespace.rsplit('=').next().unwrap_or(namespace).trim();
    match lookup.packages.get(namespace) {
        Some(ids) => files(ids.iter().copied().take(64).collect()),
        None => Resolution::External,
    }
}

// ---- ruby / lua ------------------------------------------------------------------------------

fn ruby(
    options: Option<&toml::Value>,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let extensions = option_list(options, "extensions", &["rb"]);
    let spec = import.path.trim();
    if import.head.starts_with("require_relative") {
        let dir = from.parent().unwrap_or(Path::new(""));
        return found(lookup.probe(&normalize(&dir.join(spec)), &extensions));
    }
    let source_roots =
        option_list(options, "source_roots", &["lib", "app", "app/models", "app/lib"]);
    let hit = lookup
        .search_dirs(from, &source_roots)
        .iter()
        .find_map(|dir| lookup.probe(&normalize(&dir.join(spec)), &extensions));
    match hit {
        Some(id) => Resolution::Files(vec![id]),
        None => Resolution::External,
    }
}

fn lua(
    options: Option<&toml::Value>,
    lookup: &Lookup<'_>,
    from: &Path,
    import: &Import,
) -> Resolution {
    let extensions = option_list(options, "extensions", &["lua"]);
    let relative: PathBuf = import.path.trim().split('.').collect();
    let source_roots = option_list(options, "source_roots", &["lua", "src", "lib"]);
    let hit = lookup.search_dirs(from, &source_roots).iter().find_map(|dir| {
        let base = dir.join(&relative);
        lookup.probe(&base, &extensions).or_else(|| lookup.probe(&base.join("init"), &extensions))
    });
    match hit {
        Some(id) => Resolution::Files(vec![id]),
        None => Resolution::External,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_trees() {
        assert_eq!(expand_use_tree("crate::a::b"), ["crate::a::b"]);
        assert_eq!(
            expand_use_tree("crate::a::{b, c::{D, E}, self}"),
            ["crate::a::b", "crate::a::c::D", "crate::a::c::E", "crate::a"]
        );
        assert_eq!(expand_use_tree("super::*"), ["super"]);
        assert_eq!(
            expand_use_tree(&rename_free("std::io::{Read as R, Write}")),
            ["std::io::Read", "std::io::Write"]
        );
    }

    #[test]
    fn jsonc() {
        let config = parse_tsconfig(
            Path::new("/w"),
            "{ // c\n \"compilerOptions\": { /* x */ \"baseUrl\": \"./src\", \"paths\": { \"@/*\": [\"lib/*\"], }, }, }",
        );
        assert_eq!(config.base_url.as_deref(), Some(Path::new("/w/src")));
        assert_eq!(config.paths, vec![("@/*".to_owned(), vec!["lib/*".to_owned()])]);
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
    }
}
