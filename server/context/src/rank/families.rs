//! Macro families: a file whose items are wrapped in invocations of several macros from one
//! file (`cfg_rt! {`, `cfg_net! {`, `cfg_io_util! {` from `macros/cfg.rs`) likely starts its
//! next item with another macro of that family, which it does not name yet. With the cursor on
//! a blank line, the family's file lists its macros, the ones the workspace invokes most first.

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

/// Whether the cursor is at the start of a blank line, where a top-level item would begin.
fn on_blank_line(text: &str, cursor: usize) -> bool {
    let Some(before) = text.get(..cursor) else { return false };
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line_end = text[cursor..].find('\n').map_or(text.len(), |nl| cursor + nl);
    line_start == cursor && text[line_start..line_end].trim().is_empty()
}

/// The names of the macros invoked at the start of a line (`name! {`, `name!(`), each once.
fn invoked_macros(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let name = ident_at(line, 0);
        let rest = line[name.len()..].strip_prefix('!').map(str::trim_start);
        let invoked = !name.is_empty()
            && !name.as_bytes()[0].is_ascii_digit()
            && rest.is_some_and(|rest| rest.starts_with(['{', '(', '[']));
        if invoked && !names.contains(&name) && name != "macro_rules" {
            names.push(name);
        }
    }
    names
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
    let mut invoked_from: HashMap<FileId, usize> = HashMap::new();
    for name in invoked_macros(text) {
        let files = state.files_defining(name);
        if files.len() > MAX_FILES_PER_MACRO {
            continue;
        }
        for &file in files {
            let is_macro = state.file(file).is_some_and(|entry| {
                entry
                    .symbols
                    .definitions_named(name)
                    .any(|at| entry.symbols.definitions[at].kind == DefKind::Macro)
            });
            if is_macro && Some(file) != current {
                *invoked_from.entry(file).or_default() += 1;
            }
        }
    }
    let mut families: Vec<(FileId, usize)> =
        invoked_from.into_iter().filter(|&(_, count)| count >= MIN_INVOKED).collect();
    families.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (file, invoked) in families.into_iter().take(MAX_FAMILIES) {
        let Some(entry) = state.file(file) else { continue };
        let defs = &entry.symbols.definitions;
        let mut members: Vec<u32> = (0..defs.len())
            .filter(|&at| defs[at].kind == DefKind::Macro && defs[at].parent.is_none())
            .map(|at| at as u32)
            .collect();
        // The macros the workspace invokes most first.
        let used_by =
            |at: &u32| state.postings(token_hash(&defs[*at as usize].name)).map_or(0, |p| p.df);
        members.sort_by(|a, b| used_by(b).cmp(&used_by(a)).then(a.cmp(b)));
        candidates.push(Candidate {
            file,
            source: Source::Members { container: None, members },
            score: W_FAMILY,
            reason: format!("the macros of a file this one invokes {invoked} of"),
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
        assert!(!on_blank_line(text, 3));
    }
}
