//! The `rust-mod` import style: `mod x;` declarations (`x.rs`, `x/mod.rs`), `use` trees from
//! `crate::`, `self::`, `super::` or a sibling module, and workspace crates (`Cargo.toml`).

use std::path::{Path, PathBuf};

use super::{Lookup, Resolution, files, found};
use crate::extract::{Import, ImportKind};
use crate::ids::FileId;

/// Expands a use tree (`a::{b, c::{d as e, self}}`) into flat paths.
fn expand_use_tree(tree: &str) -> Vec<String> {
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

pub(super) fn resolve(lookup: &Lookup<'_>, from: &Path, import: &Import) -> Resolution {
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
}
