//! Trait positions: with the cursor where only a trait can come next in Rust (`impl<T> `,
//! `dyn `, `where\n    C: `, `<T: `, `T: Send + `), the traits the file can name are the likely
//! next tokens: those among the names the request already expects, and those its imported files
//! define (a glob import names none of them), and a one-line-per-trait listing of the imported
//! files richest in traits, since their skeletons are long. Likewise after `new`, where only a
//! class fits:
//! the classes among the expected names and those the imported files define.

use std::collections::HashMap;

use super::candidate::{Candidate, Source};
use super::relations::Relations;
use super::symbols::NameUse;
use crate::extract::{DefKind, Definition};
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::{ident_before, is_ident_continue, token_hash};

/// Weight of a trait the imported files define that the request did not expect yet.
const W_IMPORTED_TRAIT: f32 = 0.75;
/// What a trait the request already expects gains.
const W_TRAIT_EXTRA: f32 = 0.35;
/// A trait stays under this weight (below a name on the cursor's line).
const MAX_TRAIT: f32 = 0.99;
/// Imported files searched for traits.
const MAX_FILES: usize = 32;

/// Whether only a trait can come next at `cursor` of Rust `text`: after `impl` (and its
/// generics), `dyn`, a `+` in a bound list, or `Name:` in a `where` clause or generic list.
pub(super) fn in_trait_position(text: &str, cursor: usize) -> bool {
    let Some(before) = text.get(..cursor) else { return false };
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line = before[line_start..].trim_end();
    if line.len() == before[line_start..].len() && !line.is_empty() {
        // The cursor ends a word or a symbol: something is being typed already.
        return false;
    }
    if let Some(head) = line.strip_suffix('>') {
        // `impl<T: Send, U>`: the generics of an `impl`.
        let Some(open) = head.find('<') else { return false };
        return head[..open].trim_end().ends_with("impl") && ends_word(&head[..open], "impl");
    }
    if ends_word(line, "impl") || ends_word(line, "dyn") {
        return true;
    }
    if let Some(head) = line.strip_suffix('+') {
        // `T: Send + `, `impl Read + `; not `a + ` or `LEN + `.
        let head = head.trim_end();
        let bound = ident_before(head, head.len());
        let start = head.len() - bound.len();
        let typed = bound.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && bound.bytes().any(|b| b.is_ascii_lowercase());
        let lifetime = head[..start].ends_with('\'');
        let in_bounds = line.contains(": ") || line.contains("impl ") || line.contains("dyn ");
        return (typed || lifetime) && in_bounds;
    }
    let Some(head) = line.strip_suffix(':') else { return false };
    if head.ends_with(':') {
        return false;
    }
    let name_end = head.trim_end().len();
    let name = ident_before(head, name_end);
    let name_start = name_end - name.len();
    if !name.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
        // Bounded names are type parameters (`C`, `Item`); `x: ` is a field or a binding.
        return false;
    }
    let lead = head[..name_start].trim_end();
    if lead.ends_with('<') || ends_word(lead, "where") {
        return true;
    }
    if lead.is_empty() || lead.ends_with(',') {
        // A `where` clause's later line: the nearest non-empty line above ends the clause's
        // `where` or one of its predicates.
        let above = before[..line_start].trim_end();
        return ends_word(above, "where") || (above.ends_with(',') && above.contains(':'));
    }
    false
}

/// Whether `text` ends with the whole word `word`.
fn ends_word(text: &str, word: &str) -> bool {
    text.strip_suffix(word)
        .is_some_and(|head| !head.as_bytes().last().is_some_and(|&b| is_ident_continue(b)))
}

/// Whether `def` (in `text`) declares a trait.
fn is_trait(text: &str, def: &Definition) -> bool {
    if def.kind != DefKind::Type {
        return false;
    }
    let end = def.body.as_ref().map_or(def.range.end, |b| b.start).min(def.range.start + 160);
    let head = text.get(def.range.start..end).unwrap_or_default();
    head.split_whitespace().take(4).any(|word| word == "trait")
}

/// Score of a listing of an imported file's traits, one line each, in a trait position: above
/// the traits' own skeletons, which are long (a `ParallelIterator` skeleton takes ~500 tokens).
const W_TRAIT_LISTING: f32 = 8.0;
/// At most this many imported files' traits are listed.
const MAX_LISTINGS: usize = 3;

/// For a cursor in a trait position: listings of the traits of the imported files that define
/// the most, one header line per trait, the expected ones first, then the most used.
pub(super) fn trait_listings(
    state: &State,
    relations: &Relations,
    expected: &HashMap<&str, NameUse<'_>>,
    candidates: &mut Vec<Candidate>,
) {
    let mut files: Vec<(FileId, Vec<u32>)> = Vec::new();
    for &file in relations.imports.iter().take(MAX_FILES) {
        let Some(entry) = state.file(file) else { continue };
        let defs = &entry.symbols.definitions;
        let traits: Vec<u32> = (0..defs.len())
            .filter(|&at| defs[at].parent.is_none() && is_trait(&entry.text, &defs[at]))
            .map(|at| at as u32)
            .collect();
        if traits.len() >= 2 {
            files.push((file, traits));
        }
    }
    files.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for (file, mut traits) in files.into_iter().take(MAX_LISTINGS) {
        let Some(entry) = state.file(file) else { continue };
        let defs = &entry.symbols.definitions;
        let rank = |at: &u32| {
            let name: &str = &defs[*at as usize].name;
            let weight = expected.get(name).map_or(0.0, |usage| usage.weight());
            let used_by = state.postings(token_hash(name)).map_or(0, |p| p.df);
            (std::cmp::Reverse((weight * 1000.0) as u32), std::cmp::Reverse(used_by))
        };
        traits.sort_by_cached_key(|at| (rank(at), *at));
        candidates.push(Candidate {
            file,
            source: Source::Members { container: None, members: traits },
            score: W_TRAIT_LISTING,
            reason: "the traits of an imported file, where only a trait fits".to_string(),
            stable: false,
        });
    }
}

/// Whether only a class can come next at `cursor`: right after the word `new` (TypeScript,
/// JavaScript, Java, C#, C++).
pub(super) fn in_constructor_position(text: &str, cursor: usize) -> bool {
    let Some(before) = text.get(..cursor) else { return false };
    let head = before.trim_end_matches([' ', '\t']);
    head.len() < before.len() && ends_word(head, "new")
}

/// Traits for a cursor in a trait position, with their weights: the expected names that some
/// file defines as a trait gain [`W_TRAIT_EXTRA`]; the traits of imported files come in at
/// [`W_IMPORTED_TRAIT`].
pub(super) fn trait_names<'a>(
    state: &'a State,
    relations: &Relations,
    expected: &HashMap<&'a str, NameUse<'a>>,
) -> Vec<(&'a str, f32)> {
    names_that_fit(state, relations, expected, is_trait)
}

/// Classes for a cursor after `new`, weighed as [`trait_names`] weighs traits.
pub(super) fn class_names<'a>(
    state: &'a State,
    relations: &Relations,
    expected: &HashMap<&'a str, NameUse<'a>>,
) -> Vec<(&'a str, f32)> {
    names_that_fit(state, relations, expected, |_, def| def.kind == DefKind::Class)
}

/// The expected names that some file defines as what `fits`, and the top-level definitions of
/// imported files that fit, with their weights, best first.
fn names_that_fit<'a>(
    state: &'a State,
    relations: &Relations,
    expected: &HashMap<&'a str, NameUse<'a>>,
    fits: impl Fn(&str, &Definition) -> bool,
) -> Vec<(&'a str, f32)> {
    let mut out: Vec<(&'a str, f32)> = Vec::new();
    for (&name, usage) in expected {
        let defines = state.files_defining(name).iter().take(8).any(|&file| {
            state.file(file).is_some_and(|entry| {
                entry
                    .symbols
                    .definitions_named(name)
                    .any(|at| fits(&entry.text, &entry.symbols.definitions[at]))
            })
        });
        if defines {
            out.push((name, (usage.weight() + W_TRAIT_EXTRA).min(MAX_TRAIT)));
        }
    }
    for &file in relations.imports.iter().take(MAX_FILES) {
        let Some(entry) = state.file(file) else { continue };
        for def in &entry.symbols.definitions {
            if def.parent.is_none()
                && fits(&entry.text, def)
                && !expected.contains_key(&*def.name)
                && !out.iter().any(|(name, _)| *name == &*def.name)
            {
                out.push((&def.name, W_IMPORTED_TRAIT));
            }
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(text: &str) -> bool {
        in_trait_position(text, text.len())
    }

    #[test]
    fn positions_where_only_a_class_fits() {
        let at = |text: &str| in_constructor_position(text, text.len());
        assert!(at("const window = new "));
        assert!(at("return new  "));
        assert!(at("x = (new "));
        assert!(!at("const window = new"));
        assert!(!at("const renew "));
        assert!(!at("const news "));
        assert!(!at("new Subject"));
    }

    #[test]
    fn positions_where_only_a_trait_fits() {
        assert!(at_end("impl<T, U> "));
        assert!(at_end("    impl "));
        assert!(at_end("impl<T: Send> "));
        assert!(at_end("fn f(x: Box<dyn "));
        assert!(at_end("fn f<T: "));
        assert!(at_end("fn f<T: Send + "));
        assert!(at_end("fn drive<C>(self, c: C) -> C::Result\nwhere\n    C: "));
        assert!(at_end("fn drive<C>(self, c: C) where C: "));
        assert!(at_end("where\n    A: Send,\n    B: "));
        // Not there: fields, bindings, paths, something typed, a comparison.
        assert!(!at_end("struct S {\n    inner: "));
        assert!(!at_end("let x: "));
        assert!(!at_end("use std::"));
        assert!(!at_end("impl<T, U> Asy"));
        assert!(!at_end("if a > "));
        assert!(!at_end("let x = a + "));
        assert!(!at_end("let n: usize = LEN + "));
        assert!(at_end("fn f(r: impl Read + "));
        assert!(!at_end(""));
    }
}
