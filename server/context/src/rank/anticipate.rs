//! Anticipation: names the next tokens are likely to use before any of them is typed.
//!
//! With the cursor after `return ` the name the model must write is not near the cursor yet;
//! the symbols signal only sees what is written. These names come from the rest of the file and
//! its structure instead:
//!
//! * names imported but not used yet (outside import statements): imported to be used;
//! * names used after the cursor (the suffix is known) and earlier in the file, beyond the
//!   region the symbols signal reads, falling off with distance;
//! * the signatures of the definitions enclosing the cursor (parameter and return types) and the
//!   bases of the enclosing classes (whose members `self.`/`this.` reach);
//! * names used by sibling functions that look like the one being written (Jaccard of their
//!   identifiers with the lines before the cursor in the enclosing one);
//! * with the cursor right after `q.`, `q::` or `q->`, the members the file reaches through the
//!   same qualifier elsewhere (`httpx.Client` used twenty times, `c.JSON`), most used first:
//!   a module qualifier has no declared type for the members signal to list.
//!
//! Each comes with a weight below that of a name on the cursor's line, so what the user typed
//! still ranks first, and a short reason for the snippet. Apart from names, the definitions that
//! the user's recent edits in other files touched are candidates of their own
//! ([`edited_candidates`]).

use std::collections::HashMap;

use super::candidate::{Candidate, Source};
use super::region::Region;
use super::request::EditedLines;
use crate::extract::{DefKind, FileSymbols, base_name};
use crate::ids::FileId;
use crate::index::State;
use crate::lexical;
use crate::paths::absolute;

/// An imported name that the file does not use yet.
const W_IMPORTED_UNUSED: f32 = 0.9;
/// An imported name already used somewhere in the file.
const W_IMPORTED: f32 = 0.35;
/// How much a name's uses in the file raise its weight (times the log of the count).
const W_FREQUENCY: f32 = 0.2;
/// A frequent name's weight stays below this (under an unused import's).
const MAX_FREQUENT: f32 = 0.85;
/// A name in the signature of a definition enclosing the cursor, or a base of its class.
const W_ENCLOSING: f32 = 0.8;
/// A name used after the region (scaled down with distance).
const W_SUFFIX: f32 = 0.45;
/// A name used before the region (scaled down with distance).
const W_PREFIX: f32 = 0.3;
/// A name used by the most similar sibling function (scaled by its similarity).
const W_SIBLING: f32 = 0.9;
/// Siblings less similar than this lend no names.
const MIN_SIBLING_JACCARD: f32 = 0.12;
/// At most this many similar siblings lend their names.
const MAX_SIBLINGS: usize = 3;
/// Lines before the cursor (within the enclosing function) compared with siblings.
const QUERY_LINES: usize = 24;
/// Bytes of a signature read for its names.
const MAX_SIGNATURE_BYTES: usize = 600;
/// The member the file reaches most often through the cursor's qualifier (others scale down
/// with their share of those uses, to half of it).
const W_QUALIFIED: f32 = 0.95;
/// Qualifiers too general to say what follows them.
const BROAD_QUALIFIERS: &[&str] = &["self", "this", "Self", "super", "crate"];

/// A name the next tokens may use, with its weight and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Anticipated<'t> {
    pub name: &'t str,
    pub weight: f32,
    pub why: &'static str,
}

/// What anticipation reads about the current file: its live text and, when the index holds
/// exactly that text, its definitions and imports (offsets into a stale text would be wrong).
pub(super) struct FileView<'t, 's> {
    pub text: &'t str,
    pub symbols: Option<&'s FileSymbols>,
    /// Base names of what the file's import statements name.
    pub imported: Vec<&'s str>,
}

/// Anticipated names for the cursor of `region` (a region of `file.text`), strongest per name.
pub(super) fn anticipated_names<'t>(
    file: &FileView<'t, '_>,
    region: &Region<'t>,
) -> HashMap<&'t str, Anticipated<'t>> {
    let mut out: HashMap<&'t str, Anticipated<'t>> = HashMap::new();
    let mut note = |name: &'t str, weight: f32, why: &'static str| {
        if name.len() < 2 {
            return;
        }
        let entry = out.entry(name).or_insert(Anticipated { name, weight: 0.0, why });
        if weight > entry.weight {
            *entry = Anticipated { name, weight, why };
        }
    };
    let text = file.text;
    let cursor = region.start + region.cursor;
    let region_end = region.start + region.text.len();
    let import_spans: Vec<(usize, usize)> = file
        .symbols
        .map(|s| s.imports.iter().map(|i| (i.byte, i.end_byte.max(i.byte))).collect())
        .unwrap_or_default();
    let in_import = |at: usize| import_spans.iter().any(|&(start, end)| start <= at && at < end);

    // Uses outside import statements, and the file's names beyond the region by distance.
    let starts = lexical::line_starts(text);
    let cursor_line = lexical::line_of(&starts, cursor);
    let uses: Vec<(usize, &str)> = lexical::identifiers(text)
        .filter(|&(offset, name)| name.len() >= 2 && !in_import(offset))
        .collect();
    let mut used: HashMap<&str, usize> = HashMap::new();
    for &(_, name) in &uses {
        *used.entry(name).or_default() += 1;
    }
    // Among names from the rest of the file, the ones it uses often are the likelier ones
    // (`Segment` used forty times against a helper used once).
    let frequent = |name: &str, weight: f32| {
        let count = used.get(name).copied().unwrap_or(0).max(1);
        (weight * (1.0 + W_FREQUENCY * (count as f32).ln())).min(MAX_FREQUENT)
    };
    for &(offset, name) in &uses {
        if offset >= region_end {
            let distance = lexical::line_of(&starts, offset).saturating_sub(cursor_line);
            let weight = frequent(name, W_SUFFIX / (1.0 + distance as f32 / 30.0));
            note(name, weight, "used after the cursor");
        } else if offset < region.start {
            let distance = cursor_line.saturating_sub(lexical::line_of(&starts, offset));
            let weight = frequent(name, W_PREFIX / (1.0 + distance as f32 / 60.0));
            note(name, weight, "used earlier in the file");
        }
    }

    let members = qualified_members(text, cursor);
    if let Some(&(_, most)) = members.first() {
        for &(name, count) in &members {
            let share = count as f32 / most as f32;
            note(name, W_QUALIFIED * (0.5 + 0.5 * share), "used after the same qualifier");
        }
    }

    for &name in &file.imported {
        // `name` borrows the index; the live text holds the same name when it is used there or
        // when it is imported in the live text, which is where the `&'t str` comes from.
        let Some(live) = find_name(text, name) else { continue };
        if used.get(name).copied().unwrap_or(0) == 0 {
            note(live, W_IMPORTED_UNUSED, "imported, not used yet");
        } else {
            note(live, frequent(name, W_IMPORTED), "imported");
        }
    }

    let Some(symbols) = file.symbols else { return out };
    let enclosing = enclosing_definitions(text, &starts, symbols, cursor);
    for &at in &enclosing {
        let def = &symbols.definitions[at];
        let signature_end = def.body.as_ref().map_or(def.range.end, |b| b.start);
        let signature_end = signature_end.min(def.range.start + MAX_SIGNATURE_BYTES).min(cursor);
        if let Some(signature) = text.get(def.range.start..signature_end) {
            for (_, name) in lexical::identifiers(signature) {
                if name != &*def.name {
                    note(name, W_ENCLOSING, "in the enclosing signature");
                }
            }
        }
        for base in &def.extends {
            if let Some(live) = find_name(text, base_name(base)) {
                note(live, W_ENCLOSING, "a base of the enclosing class");
            }
        }
    }

    // Siblings that look like the function being written lend the names they use.
    let innermost = innermost_function(symbols, &enclosing);
    let query_start = innermost
        .map_or(0, |at| symbols.definitions[at].range.start)
        .max(starts.get(cursor_line.saturating_sub(QUERY_LINES)).copied().unwrap_or(0));
    let Some(query_text) = text.get(query_start..cursor) else { return out };
    let query = lexical::token_set(query_text);
    if query.is_empty() {
        return out;
    }
    let mut siblings: Vec<(f32, &str)> = symbols
        .definitions
        .iter()
        .enumerate()
        .filter(|(at, d)| is_function(d.kind) && !enclosing.contains(at))
        .filter_map(|(_, d)| {
            let body = text.get(d.range.clone())?;
            let similarity = lexical::jaccard(&query, &lexical::token_set(body));
            (similarity >= MIN_SIBLING_JACCARD).then_some((similarity, body))
        })
        .collect();
    siblings.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (similarity, body) in siblings.into_iter().take(MAX_SIBLINGS) {
        for (_, name) in lexical::identifiers(body) {
            note(name, W_SIBLING * similarity, "used by a similar function");
        }
    }
    out
}

/// The definitions enclosing `cursor` in `text` (which `symbols` describe; `starts` are its line
/// starts), outermost first: those whose lines hold the cursor's, or that ended just above it
/// while the cursor is indented deeper than their header (the next statement of their body, not
/// yet part of the tree's node).
pub(super) fn enclosing_definitions(
    text: &str,
    starts: &[usize],
    symbols: &FileSymbols,
    cursor: usize,
) -> Vec<usize> {
    let cursor_line = lexical::line_of(starts, cursor);
    let column = cursor - starts[cursor_line];
    let indent_of = |offset: usize| {
        let line_start = starts[lexical::line_of(starts, offset)];
        text[line_start..].bytes().take_while(|b| *b == b' ' || *b == b'\t').count()
    };
    symbols
        .definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            let (first, last) = (d.start_line as usize, d.end_line as usize);
            let holds = first <= cursor_line && cursor_line <= last;
            let just_above = last < cursor_line
                && cursor_line <= last + 2
                && d.range.start < text.len()
                && indent_of(d.range.start) < column;
            holds || just_above
        })
        .map(|(at, _)| at)
        .collect()
}

/// Whether a definition of this kind is a function or method.
pub(super) fn is_function(kind: DefKind) -> bool {
    matches!(kind, DefKind::Function | DefKind::Method)
}

/// The innermost function or method among `enclosing` (from [`enclosing_definitions`]).
pub(super) fn innermost_function(symbols: &FileSymbols, enclosing: &[usize]) -> Option<usize> {
    enclosing
        .iter()
        .copied()
        .filter(|&at| is_function(symbols.definitions[at].kind))
        .max_by_key(|&at| symbols.definitions[at].range.start)
}

/// With the cursor right after `q.`, `q::`, `q->` or `q?.`, the identifiers that follow the same
/// qualifier and separator elsewhere in `text`, with their counts, most used first (then by
/// name). Empty when the cursor follows no qualifier or a broad one (`self.`, `crate::`).
fn qualified_members(text: &str, cursor: usize) -> Vec<(&str, usize)> {
    let Some(before) = text.get(..cursor) else { return Vec::new() };
    let Some((head, separator)) = lexical::strip_member_access(before) else {
        return Vec::new();
    };
    let qualifier = lexical::ident_before(head, head.len());
    let start = head.len() - qualifier.len();
    if qualifier.is_empty()
        || qualifier.as_bytes()[0].is_ascii_digit()
        || BROAD_QUALIFIERS.contains(&qualifier)
    {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    let pattern = format!("{qualifier}{separator}");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(&pattern)) {
        let at = from + found;
        from = at + pattern.len();
        if at == start || (at > 0 && lexical::is_ident_continue(bytes[at - 1])) {
            continue;
        }
        let name = lexical::ident_at(text, at + pattern.len());
        // `q..` or `q.:` is not a member access.
        if !name.is_empty() && !name.as_bytes()[0].is_ascii_digit() {
            *counts.entry(name).or_default() += 1;
        }
    }
    let mut members: Vec<(&str, usize)> = counts.into_iter().collect();
    members.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    members
}

/// `name` as it occurs in `text` as a whole identifier (borrowed from `text`).
fn find_name<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    if name.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut from = 0;
    while let Some(found) = text.get(from..)?.find(name) {
        let start = from + found;
        let end = start + name.len();
        let clean_start = start == 0 || !is_ident(bytes[start - 1]);
        let clean_end = end >= bytes.len() || !is_ident(bytes[end]);
        if clean_start && clean_end {
            return text.get(start..end);
        }
        from = end;
    }
    None
}

/// Score of a definition the user edited last (older edits count less).
const W_EDITED: f32 = 2.8;
/// At most this many recent edits are looked at.
const MAX_EDITS: usize = 16;

/// Definitions in other files that the user's recent edits touched: what they just wrote or
/// changed is likely to be used next. The innermost definitions overlapping each edit count.
pub(super) fn edited_candidates(
    state: &State,
    edits: &[EditedLines],
    current: Option<FileId>,
    candidates: &mut Vec<Candidate>,
) {
    for (age, edit) in edits.iter().rev().take(MAX_EDITS).enumerate() {
        let Some(file) = state.id_of(&absolute(&edit.path)) else { continue };
        if Some(file) == current {
            continue;
        }
        let Some(entry) = state.file(file) else { continue };
        let defs = &entry.symbols.definitions;
        let (first, last) = (edit.first_line.min(edit.last_line), edit.last_line);
        let touched: Vec<usize> = (0..defs.len())
            .filter(|&at| defs[at].start_line <= last && first <= defs[at].end_line)
            .collect();
        // Innermost: no other touched definition inside it.
        for &at in &touched {
            if touched.iter().any(|&inner| defs[inner].parent == Some(at as u32)) {
                continue;
            }
            candidates.push(Candidate {
                file,
                source: Source::Def { def: at as u32 },
                score: W_EDITED / (1.0 + age as f32 / 4.0),
                reason: format!("`{}` edited recently", defs[at].name),
                stable: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_as_whole_identifiers_only() {
        let text = "prefix_build build_requests build_request(x)";
        assert_eq!(find_name(text, "build_request"), Some("build_request"));
        let at = text.find("build_request(").unwrap();
        assert_eq!(find_name(text, "build_request").map(|n| n.as_ptr()), Some(text[at..].as_ptr()));
        assert_eq!(find_name(text, "missing"), None);
        assert_eq!(find_name(text, ""), None);
    }

    #[test]
    fn members_used_after_the_same_qualifier_most_used_first() {
        let text = "c = httpx.Client()\nr = httpx.get(u)\nwith httpx.Client() as c:\n    \
                    myhttpx.Other()\n    c.close()\nx = httpx.";
        assert_eq!(qualified_members(text, text.len()), [("Client", 2), ("get", 1)]);
        // The separator must match: `io::` members are not `io.` ones.
        let rust = "let a = io::stdin();\nlet b = io.read();\nlet (r, w) = io::";
        assert_eq!(qualified_members(rust, rust.len()), [("stdin", 1)]);
        // Broad qualifiers and cursors that follow no qualifier say nothing.
        let broad = "self.a = 1\nself.";
        assert!(qualified_members(broad, broad.len()).is_empty());
        assert!(qualified_members("x = httpx.get()\ny = ", 20).is_empty());
        assert!(qualified_members("", 0).is_empty());
    }

    #[test]
    fn qualified_members_weigh_in_by_their_share() {
        let text = "use std::io;\nfn f() {\n    let a = io::stdin();\n    let b = io::stdin();\n    \
                    let c = io::stdout();\n    let d = io::";
        let region = Region::around(text, text.len());
        let view = FileView { text, symbols: None, imported: Vec::new() };
        let names = anticipated_names(&view, &region);
        assert_eq!(names["stdin"].why, "used after the same qualifier");
        assert!(names["stdin"].weight > names["stdout"].weight);
        assert!(names["stdout"].weight >= W_QUALIFIED * 0.5);
    }
}
