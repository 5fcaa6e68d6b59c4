//! Callers and callees of the enclosing function: what the code around the function being
//! written uses.
//!
//! * **callees** — the functions the enclosing function already calls, before the cursor and
//!   after it, that other files define: their names are anticipated (the symbols signal brings
//!   their definitions, skeletons first), and more weakly the workspace names their definitions
//!   use (the types in their signatures above the names in their bodies): a function that calls
//!   `parse_header` is likely to use what `parse_header` returns and takes;
//! * **callers** — the call sites of the enclosing function in other files, found through the
//!   identifier postings: the functions that hold them are candidates of their own (how the
//!   function is used says what it must return), and the names used on the lines around the
//!   calls are anticipated.
//!
//! Every weight sits below the direct signals of [`super::anticipate`] (a name on the cursor's
//! line, an unused import, the enclosing signature), so what the user wrote still ranks first.
//! The work is bounded: a few callees, a few caller files and call sites, a few hundred bytes of
//! each callee's definition read. A common name's callers are not looked up.

use infill_syntax::Language;

use super::anticipate::{Anticipated, is_function};
use super::candidate::{Candidate, Source};
use super::relations::Relations;
use super::symbols::same_family;
use crate::extract::FileSymbols;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::{self, token_hash};

/// A function the enclosing function calls.
const W_CALLEE: f32 = 0.7;
/// A capitalized name (a type) in the signature of a callee's definition.
const W_CALLEE_SIGNATURE: f32 = 0.4;
/// A name used in the body of a callee's definition.
const W_CALLEE_BODY: f32 = 0.25;
/// A name used on the lines around a call of the enclosing function (times the share of the
/// call sites that use it, from half to all).
const W_NEAR_CALL: f32 = 0.25;
/// Score of a function that calls the enclosing one (times its file's relation, falling with
/// rank).
const W_CALLER: f32 = 0.6;
/// At most this many callees are looked at.
const MAX_CALLEES: usize = 16;
/// A callee defined in more files than this is ambiguous: its name is anticipated, its
/// definitions are not read.
const MAX_CALLEE_FILES: usize = 4;
/// Bytes of a callee's signature, and of its body, that are read for names.
const MAX_SIGNATURE_BYTES: usize = 400;
const MAX_CALLEE_BODY_BYTES: usize = 1_500;
/// Bytes of the enclosing function scanned for calls.
const MAX_BODY_BYTES: usize = 16_000;
/// The enclosing function's name shorter than this, or in more files than that, is too common
/// to look up its callers.
const MIN_CALLER_NAME: usize = 3;
const MAX_CALLER_DF: u32 = 64;
/// At most this many files, and call sites in all, are read for callers.
const MAX_CALLER_FILES: usize = 12;
const MAX_CALL_SITES: usize = 16;
/// Lines read before and after a call site.
const LINES_AROUND_CALL: usize = 2;
/// At most this many callers become candidates.
const MAX_CALLERS: usize = 4;

/// What the calls of the enclosing function bring: anticipated names and caller candidates.
#[derive(Default)]
pub(super) struct Calls<'a> {
    pub names: Vec<Anticipated<'a>>,
    pub callers: Vec<Candidate>,
}

impl<'a> Calls<'a> {
    fn note(&mut self, name: &'a str, weight: f32, why: &'static str) {
        if name.len() < 2 {
            return;
        }
        match self.names.iter_mut().find(|n| n.name == name) {
            Some(known) if known.weight >= weight => {}
            Some(known) => *known = Anticipated { name, weight, why },
            None => self.names.push(Anticipated { name, weight, why }),
        }
    }
}

/// The current file as the calls signal reads it: its live text and, for that very text, its
/// definitions.
pub(super) struct CurrentFile<'a> {
    pub id: FileId,
    pub text: &'a str,
    pub symbols: &'a FileSymbols,
    pub language: Option<&'a Language>,
}

/// Callees and callers of the function enclosing `cursor` in `file`; nothing when the cursor
/// is in no function.
/// `function` is the innermost function enclosing the cursor (an index into `file.symbols`'s
/// definitions, from [`super::anticipate::innermost_function`]).
pub(super) fn calls<'a>(
    state: &'a State,
    file: &CurrentFile<'a>,
    cursor: usize,
    function: Option<usize>,
    relations: &Relations,
) -> Calls<'a> {
    let mut out = Calls::default();
    let text = file.text;
    let Some(function) = function else { return out };
    let def = &file.symbols.definitions[function];
    let name: &str = &def.name;
    let end = def.range.end.max(cursor).min(def.range.start + MAX_BODY_BYTES);
    let Some(body) = text.get(def.range.start..end) else { return out };
    callees(state, file, name, body, &mut out);
    callers(state, file, name, relations, &mut out);
    out
}

/// Whether the identifier ending at `end` of `text` is called: `name(`, `name!(`, `name::<T>(`.
fn is_call(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start_matches([' ', '\t']);
    rest.starts_with('(') || rest.starts_with("!(") || rest.starts_with("::<")
}

/// The capitalized qualifier of a call at `start` (`Type` of `Type::new(` or `Type.of(`).
fn type_qualifier(text: &str, start: usize) -> Option<&str> {
    let head = text[..start].strip_suffix("::").or_else(|| text[..start].strip_suffix('.'))?;
    let from = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map(|(at, _)| at)?;
    let qualifier = &head[from..];
    qualifier.starts_with(|c: char| c.is_ascii_uppercase()).then_some(qualifier)
}

/// The functions `body` (the enclosing function `name`) calls that other files define, and the
/// names their definitions use.
fn callees<'a>(
    state: &'a State,
    file: &CurrentFile<'a>,
    name: &str,
    body: &'a str,
    out: &mut Calls<'a>,
) {
    let mut seen: Vec<&'a str> = Vec::new();
    for (offset, ident) in lexical::identifiers(body) {
        if seen.len() >= MAX_CALLEES {
            break;
        }
        if !is_call(body, offset + ident.len()) {
            continue;
        }
        let called = type_qualifier(body, offset).into_iter().chain([ident]);
        for callee in called {
            if callee == name || seen.contains(&callee) || seen.len() >= MAX_CALLEES {
                continue;
            }
            // Local functions are in the file already; the other signals read it.
            if file.symbols.definitions_named(callee).next().is_some() {
                continue;
            }
            let files = state.files_defining(callee);
            if files.is_empty() {
                continue;
            }
            seen.push(callee);
            out.note(callee, W_CALLEE, "called by the enclosing function");
            if files.len() <= MAX_CALLEE_FILES {
                callee_uses(state, file, callee, files, out);
            }
        }
    }
}

/// Names a callee's definitions in `files` use that the workspace defines.
fn callee_uses<'a>(
    state: &'a State,
    file: &CurrentFile<'a>,
    callee: &str,
    files: &[FileId],
    out: &mut Calls<'a>,
) {
    for &other in files {
        if other == file.id {
            continue;
        }
        let Some(entry) = state.file(other) else { continue };
        if !same_family(file.language, entry.language.as_deref()) {
            continue;
        }
        let text: &'a str = &entry.text;
        for at in entry.symbols.definitions_named(callee) {
            let def = &entry.symbols.definitions[at];
            let body = def.body.clone().unwrap_or(def.range.end..def.range.end);
            let signature_end = body.start.min(def.range.start + MAX_SIGNATURE_BYTES);
            let body_end = body.end.min(body.start + MAX_CALLEE_BODY_BYTES);
            // The signature's types (capitalized: its parameters' names are no context).
            if let Some(signature) = text.get(def.range.start..signature_end) {
                for (_, used) in lexical::identifiers(signature) {
                    if used != callee
                        && used.starts_with(|c: char| c.is_ascii_uppercase())
                        && !state.files_defining(used).is_empty()
                    {
                        out.note(used, W_CALLEE_SIGNATURE, "in the signature of a callee");
                    }
                }
            }
            if let Some(body) = text.get(body.start..body_end) {
                for (_, used) in lexical::identifiers(body) {
                    if used != callee && !state.files_defining(used).is_empty() {
                        out.note(used, W_CALLEE_BODY, "used by a function the enclosing one calls");
                    }
                }
            }
        }
    }
}

/// Offsets of `name` as a whole identifier in `text` (a substring search, not a scan of every
/// identifier: caller files can be long).
fn occurrences<'t>(text: &'t str, name: &'t str) -> impl Iterator<Item = usize> + 't {
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(found) = text.get(from..).and_then(|rest| rest.find(name)) {
            let start = from + found;
            let end = start + name.len();
            from = end;
            let clean_start = start == 0 || !is_ident(bytes[start - 1]);
            let clean_end = end >= bytes.len() || !is_ident(bytes[end]);
            if clean_start && clean_end {
                return Some(start);
            }
        }
        None
    })
}

/// The lines around byte `at` of `text`: `LINES_AROUND_CALL` before it and after it.
fn lines_around(text: &str, at: usize) -> &str {
    let bytes = text.as_bytes();
    let mut start = at;
    for _ in 0..=LINES_AROUND_CALL {
        match bytes[..start].iter().rposition(|&b| b == b'\n') {
            Some(nl) => start = nl,
            None => {
                start = 0;
                break;
            }
        }
    }
    let mut end = at;
    for _ in 0..=LINES_AROUND_CALL {
        match bytes[end..].iter().position(|&b| b == b'\n') {
            Some(nl) => end += nl + 1,
            None => {
                end = bytes.len();
                break;
            }
        }
    }
    text.get(start..end).unwrap_or_default()
}

/// The call sites of the enclosing function `name` in other files: the functions that hold
/// them become candidates, the names around them anticipated.
fn callers<'a>(
    state: &'a State,
    file: &CurrentFile<'a>,
    name: &str,
    relations: &Relations,
    out: &mut Calls<'a>,
) {
    if name.len() < MIN_CALLER_NAME {
        return;
    }
    let Some(postings) = state.postings(token_hash(name)) else { return };
    if postings.df > MAX_CALLER_DF || postings.files.is_empty() {
        return;
    }
    // A name other files define too may be theirs at a call site: then only the files that
    // import this one, or share its directory, count, and each counts less.
    let defining = state.files_defining(name).len().max(1);
    let factor = 1.0 / (defining as f32).sqrt();
    let current_dir = state.file(file.id).and_then(|e| e.path.parent());
    let mut files: Vec<(f32, FileId)> = postings
        .files
        .iter()
        .copied()
        .filter(|&other| other != file.id)
        .filter_map(|other| {
            let entry = state.file(other)?;
            if !same_family(file.language, entry.language.as_deref()) {
                return None;
            }
            // Its own definition of the name is what its calls reach.
            if entry.symbols.definitions_named(name).next().is_some() {
                return None;
            }
            let (boost, _) = relations.boost(state, other);
            let near = relations.importers.contains(&other) || entry.path.parent() == current_dir;
            (defining == 1 || near).then_some((boost, other))
        })
        .collect();
    files.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    files.truncate(MAX_CALLER_FILES);

    let mut sites = 0;
    let mut near: Vec<(&'a str, usize)> = Vec::new();
    let mut found: Vec<(FileId, usize, f32)> = Vec::new();
    'files: for (boost, other) in files {
        let Some(entry) = state.file(other) else { continue };
        let text: &'a str = &entry.text;
        let mut counted: Vec<&'a str> = Vec::new();
        for offset in occurrences(text, name) {
            if !is_call(text, offset + name.len()) {
                continue;
            }
            if sites >= MAX_CALL_SITES {
                break 'files;
            }
            sites += 1;
            let defs = &entry.symbols.definitions;
            let holder = (0..defs.len())
                .filter(|&at| is_function(defs[at].kind) && defs[at].range.contains(&offset))
                .max_by_key(|&at| defs[at].range.start);
            if let Some(at) = holder
                && !found.iter().any(|&(f, d, _)| f == other && d == at)
            {
                found.push((other, at, boost));
            }
            // The caller's own name is a candidate of its own, not a name used near the call.
            counted.clear();
            counted.extend(holder.map(|at| &*defs[at].name));
            for (_, used) in lexical::identifiers(lines_around(text, offset)) {
                if used != name && !counted.contains(&used) {
                    counted.push(used);
                    match near.iter_mut().find(|(n, _)| *n == used) {
                        Some((_, count)) => *count += 1,
                        None => near.push((used, 1)),
                    }
                }
            }
        }
    }
    for (used, count) in near {
        if !state.files_defining(used).is_empty() {
            let share = count as f32 / sites.max(1) as f32;
            out.note(
                used,
                W_NEAR_CALL * factor * (0.5 + 0.5 * share),
                "used near a call of the enclosing function",
            );
        }
    }
    for (rank, (other, at, boost)) in found.into_iter().take(MAX_CALLERS).enumerate() {
        let Some(entry) = state.file(other) else { continue };
        out.callers.push(Candidate {
            file: other,
            source: Source::Def { def: at as u32 },
            score: W_CALLER * factor * boost / (1.0 + rank as f32 / 2.0),
            reason: format!(
                "`{}` calls `{name}`, the enclosing function",
                entry.symbols.definitions[at].name
            ),
            stable: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_identifiers_before_parentheses() {
        let text = "let x = parse (a); y.run(); m!(z); f::<T>(); plain; Header::new()";
        let call = |name: &str| {
            let at = text.find(name).unwrap();
            is_call(text, at + name.len())
        };
        assert!(call("parse") && call("run") && call("m") && call("f") && call("new"));
        assert!(!call("plain") && !call("Header"));
        let at = text.find("new").unwrap();
        assert_eq!(type_qualifier(text, at), Some("Header"));
        let at = text.find("run").unwrap();
        assert_eq!(type_qualifier(text, at), None);
    }

    #[test]
    fn occurrences_are_whole_identifiers() {
        let text = "summarize(x); resummarize(y); summarized; summarize (z)";
        let found: Vec<usize> = occurrences(text, "summarize").collect();
        assert_eq!(found, [0, text.rfind("summarize").unwrap()]);
        assert_eq!(occurrences("", "summarize").count(), 0);
    }

    #[test]
    fn lines_around_a_call() {
        let text = "a\nb\nc\nd call()\ne\nf\ng\n";
        let at = text.find("call").unwrap();
        assert_eq!(lines_around(text, at), "\nb\nc\nd call()\ne\nf\n");
        assert_eq!(lines_around("call()", 0), "call()");
    }
}
