//! Macro families: a file whose items are wrapped in invocations of several macros from one
//! file (`cfg_rt! {`, `cfg_net! {`, `cfg_io_util! {` from `macros/cfg.rs`) likely starts its
//! next item with another macro of that family, which it does not name yet. With the cursor on
//! a blank line where such an item can begin, the family's file lists its macros: first the
//! counterparts of the ones this file invokes (`cfg_not_loom` → `cfg_loom`), then the ones it
//! invokes, then the ones the workspace invokes most. A file that invokes none of a family yet
//! borrows the families of the files beside it.

use std::collections::HashMap;

use super::candidate::{Candidate, Source};
use crate::extract::DefKind;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::ident_at;
use crate::lexical::token_hash;

/// Score of a family's listing.
const W_FAMILY: f32 = 4.0;
/// A file is a family when this file invokes at least this many distinct macros from it.
const MIN_INVOKED: usize = 1;
/// A macro defined in more files than this says nothing about which file is its family.
const MAX_FILES_PER_MACRO: usize = 2;
/// At most this many families are listed.
const MAX_FAMILIES: usize = 2;
/// At most this many files of the same directory are read for a file that invokes no family.
const MAX_SIBLINGS: usize = 16;

/// Whether the cursor is on a blank line where an item wrapped in a macro can begin: at the
/// start of the line, or after indentation at which `text` already invokes a macro (the items
/// of a `cfg_rt! {` block are themselves wrapped in `cfg_trace! {` at one level deeper).
fn on_blank_line(text: &str, cursor: usize) -> bool {
    let Some(before) = text.get(..cursor) else { return false };
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line_end = text[cursor..].find('\n').map_or(text.len(), |nl| cursor + nl);
    let indent = &text[line_start..cursor];
    if !text[line_start..line_end].trim().is_empty() || indent.contains(|c| c != ' ' && c != '\t') {
        return false;
    }
    indent.is_empty()
        || text.lines().any(|line| {
            line.strip_prefix(indent)
                .is_some_and(|rest| !rest.starts_with([' ', '\t']) && invoked_macro(rest).is_some())
        })
}

/// The macro a line (without its indentation) starts by invoking: `name! {`, `name!(`.
fn invoked_macro(line: &str) -> Option<&str> {
    let name = ident_at(line, 0);
    let rest = line[name.len()..].strip_prefix('!').map(str::trim_start);
    let invoked = !name.is_empty()
        && !name.as_bytes()[0].is_ascii_digit()
        && rest.is_some_and(|rest| rest.starts_with(['{', '(', '[']));
    (invoked && name != "macro_rules").then_some(name)
}

/// The names of the macros invoked at the start of a line (`name! {`, `name!(`), each once.
fn invoked_macros(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for line in text.lines() {
        if let Some(name) = invoked_macro(line.trim_start())
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// Whether one name is the other with a `not_` segment (`cfg_loom` and `cfg_not_loom`).
fn counterparts(a: &str, b: &str) -> bool {
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    long.len() == short.len() + 4
        && long.match_indices("not_").any(|(at, _)| {
            (at == 0 || long.as_bytes()[at - 1] == b'_')
                && long[..at] == short[..at]
                && long[at + 4..] == short[at..]
        })
}

/// The files (other than `current`) that define `name` as a macro, when few do.
fn macro_files(state: &State, name: &str, current: Option<FileId>) -> Vec<FileId> {
    let files = state.files_defining(name);
    if files.len() > MAX_FILES_PER_MACRO {
        return Vec::new();
    }
    files
        .iter()
        .copied()
        .filter(|&file| {
            Some(file) != current
                && state.file(file).is_some_and(|entry| {
                    entry
                        .symbols
                        .definitions_named(name)
                        .any(|at| entry.symbols.definitions[at].kind == DefKind::Macro)
                })
        })
        .collect()
}

/// Listings of the macro families that `text` (the current file) draws on, when the cursor is
/// on a blank line.
pub(super) fn family_candidates(
    state: &State,
    text: &str,
    cursor: usize,
    current: Option<FileId>,
    candidates: &mut Vec<Candidate>,
) {
    if !on_blank_line(text, cursor) {
        return;
    }
    let mut invoked = invoked_macros(text);
    let mut invoked_from: HashMap<FileId, usize> = HashMap::new();
    for &name in &invoked {
        for file in macro_files(state, name, current) {
            *invoked_from.entry(file).or_default() += 1;
        }
    }
    // A file that invokes no family yet (its first wrapped item) borrows its neighbours'.
    let mut borrowed = false;
    if invoked_from.is_empty()
        && let Some(dir) = current.and_then(|id| state.file(id)).and_then(|e| e.path.parent())
    {
        for &sibling in state.files_in_dir(dir).iter().take(MAX_SIBLINGS) {
            let Some(entry) = state.file(sibling).filter(|_| Some(sibling) != current) else {
                continue;
            };
            for name in invoked_macros(&entry.text) {
                for file in macro_files(state, name, current) {
                    *invoked_from.entry(file).or_default() += 1;
                    borrowed = true;
                }
                if !invoked.contains(&name) {
                    invoked.push(name);
                }
            }
        }
    }
    let mut families: Vec<(FileId, usize)> =
        invoked_from.into_iter().filter(|&(_, count)| count >= MIN_INVOKED).collect();
    families.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (file, count) in families.into_iter().take(MAX_FAMILIES) {
        let Some(entry) = state.file(file) else { continue };
        let defs = &entry.symbols.definitions;
        let mut members: Vec<u32> = (0..defs.len())
            .filter(|&at| defs[at].kind == DefKind::Macro && defs[at].parent.is_none())
            .map(|at| at as u32)
            .collect();
        // The counterparts of the invoked macros, then the invoked ones, then the ones the
        // workspace invokes most.
        let rank = |at: &u32| {
            let name: &str = &defs[*at as usize].name;
            let class = if invoked.iter().any(|used| counterparts(used, name)) {
                0
            } else if invoked.contains(&name) {
                1
            } else {
                2
            };
            let used_by = state.postings(token_hash(name)).map_or(0, |p| p.df);
            (class, std::cmp::Reverse(used_by))
        };
        members.sort_by_cached_key(|at| (rank(at), *at));
        let reason = if borrowed {
            format!("the macros of a file this directory's files invoke {count} of")
        } else {
            format!("the macros of a file this one invokes {count} of")
        };
        candidates.push(Candidate {
            file,
            source: Source::Members { container: None, members },
            score: W_FAMILY,
            reason,
            stable: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_invoked_at_the_start_of_lines() {
        let text = "cfg_rt! {\n    mod a;\n}\n\ncfg_net!(mod b;);\nlet v = vec![1];\n\
                    cfg_rt! {\n}\nmacro_rules! local { () => {} }\nprintln!(\"x\");\n";
        assert_eq!(invoked_macros(text), ["cfg_rt", "cfg_net", "println"]);
    }

    #[test]
    fn only_a_blank_line_asks_for_a_family() {
        let text = "cfg_rt! {\n}\n\n    \nfn f() {}\n";
        assert!(on_blank_line(text, text.find("\n\n").unwrap() + 1));
        // An indented blank line is inside a block, where items are not wrapped in macros.
        assert!(!on_blank_line(text, text.find("    \n").unwrap() + 4));
        assert!(!on_blank_line(text, text.find("fn").unwrap()));
        // Indented, where the file already wraps items at that depth.
        let nested = "cfg_rt! {\n    cfg_trace! {\n    }\n\n    \n}\n";
        let blank = nested.find("    \n}").unwrap();
        assert!(on_blank_line(nested, blank + 4));
        assert!(!on_blank_line(nested, blank + 2));
        assert!(!on_blank_line(text, 3));
    }

    #[test]
    fn counterparts_differ_by_one_not_segment() {
        assert!(counterparts("cfg_loom", "cfg_not_loom"));
        assert!(counterparts("cfg_not_coop", "cfg_coop"));
        assert!(counterparts("not_ready", "ready"));
        assert!(!counterparts("cfg_loom", "cfg_loom"));
        assert!(!counterparts("cfg_net", "cfg_not_rt"));
        assert!(!counterparts("cfg_knot_x", "cfg_kx"));
    }
}
