//! The symbols signal: identifiers near the cursor that name definitions elsewhere (through the
//! index's `name → files`), weighted by closeness to the cursor, by how specific the name is and
//! by the file's relation to the current one; plus the bases of the current file's classes.

use std::collections::HashMap;

use infill_syntax::Language;

use super::anticipate::Anticipated;
use super::candidate::{Candidate, Source};
use super::region::Region;
use super::relations::Relations;
use crate::extract::{DefKind, base_name};
use crate::ids::FileId;
use crate::index::State;
use crate::lexical;

const W_DEF: f32 = 4.0;
const W_EXTENDS: f32 = 2.0;
/// What a name the request already expects gains from matching the assignment target.
const W_ASSIGNED_EXTRA: f32 = 0.25;
/// A name matching the assignment target stays under this weight (below the cursor's line).
const MAX_ASSIGNED: f32 = 0.99;
/// At most this many names (near the cursor or anticipated) are looked up.
const MAX_NAMES: usize = 96;
/// A name defined in more files than this is "common": only related files are considered.
const MAX_FILES_PER_NAME: usize = 48;

/// How an identifier near the cursor is used.
#[derive(Debug, Default)]
pub(super) struct NameUse<'t> {
    weight: f32,
    qualifiers: Vec<&'t str>,
    /// Why an anticipated name is expected, when that is where its weight comes from.
    anticipated: Option<&'static str>,
}

impl NameUse<'_> {
    /// How strongly the request expects the name (1 on the cursor's line).
    pub(super) fn weight(&self) -> f32 {
        self.weight
    }
}

/// Adds names expected before they are typed ([`super::anticipate`]); a name keeps the larger
/// of its two weights.
pub(super) fn add_anticipated<'t>(
    names: &mut HashMap<&'t str, NameUse<'t>>,
    anticipated: impl IntoIterator<Item = Anticipated<'t>>,
) {
    for expected in anticipated {
        let entry = names.entry(expected.name).or_default();
        if expected.weight > entry.weight {
            entry.weight = expected.weight;
            entry.anticipated = Some(expected.why);
        }
    }
}

/// Adds names like the assignment target ([`super::assigned`]), with their match scores: a new
/// name weighs its score, one the request already expects gains on top of its weight (staying
/// under a name on the cursor's line).
pub(super) fn add_assigned<'t>(
    names: &mut HashMap<&'t str, NameUse<'t>>,
    assigned: impl IntoIterator<Item = (&'t str, f32)>,
    why: &'static str,
) {
    let weighted: Vec<(&'t str, f32)> = assigned
        .into_iter()
        .map(|(name, score)| {
            let current = names.get(name).map_or(0.0, |usage| usage.weight);
            let own = super::assigned::W_ASSIGNED * score;
            let weight = if current > 0.0 {
                (current.max(own) + W_ASSIGNED_EXTRA * score).min(MAX_ASSIGNED)
            } else {
                own
            };
            (name, weight)
        })
        .collect();
    raise(names, weighted, why);
}

/// Raises names to the given weights (a name keeps the larger), saying why.
pub(super) fn raise<'t>(
    names: &mut HashMap<&'t str, NameUse<'t>>,
    weighted: impl IntoIterator<Item = (&'t str, f32)>,
    why: &'static str,
) {
    for (name, weight) in weighted {
        let entry = names.entry(name).or_default();
        if weight > entry.weight {
            entry.weight = weight;
            entry.anticipated = Some(why);
        }
    }
}

/// Identifiers of the region (length ≥ 2) with their weight: 1 on the cursor line, falling off
/// with distance, faster after the cursor than before it; and the qualifiers written before them.
pub(super) fn names_near_cursor<'t>(region: &Region<'t>) -> HashMap<&'t str, NameUse<'t>> {
    let mut names: HashMap<&str, NameUse<'_>> = HashMap::new();
    for (offset, token) in lexical::identifiers(region.text) {
        if token.len() < 2 {
            continue;
        }
        let line = lexical::line_of(&region.lines, offset);
        let cursor_line = region.cursor_line;
        let weight = if line <= cursor_line {
            1.0 / (1.0 + (cursor_line - line) as f32 / 8.0)
        } else {
            0.5 / (1.0 + (line - cursor_line) as f32 / 4.0)
        };
        let entry = names.entry(token).or_default();
        entry.weight = entry.weight.max(weight);
        if let Some(qualifier) = qualifier_before(region.text, offset)
            && !entry.qualifiers.contains(&qualifier)
        {
            entry.qualifiers.push(qualifier);
        }
    }
    names
}

/// The identifier directly before `offset` if the text there is `ident.` / `ident::` / `ident->`.
fn qualifier_before(text: &str, offset: usize) -> Option<&str> {
    let before = &text[..offset];
    let stripped = before
        .strip_suffix("::")
        .or_else(|| before.strip_suffix("->"))
        .or_else(|| before.strip_suffix('.'))
        .or_else(|| before.strip_suffix(':'))?;
    let start = stripped
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
        .last()
        .map(|(at, _)| at)?;
    Some(&stripped[start..])
}

fn kind_factor(kind: DefKind) -> f32 {
    match kind {
        DefKind::Function | DefKind::Method | DefKind::Class | DefKind::Type | DefKind::Macro => {
            1.0
        }
        DefKind::Impl => 0.8,
        DefKind::Constant => 0.8,
        DefKind::Other => 0.6,
        DefKind::Module => 0.4,
    }
}

/// Whether code of `other` can define what code of `current` uses: the same import style
/// (C and C++, or JavaScript and TypeScript, share one), or the same language.
pub(super) fn same_family(current: Option<&Language>, other: Option<&Language>) -> bool {
    fn family(language: &Language) -> &str {
        language.imports.as_ref().map_or(&language.name, |imports| imports.style.as_str())
    }
    match (current, other) {
        (Some(current), Some(other)) => family(current) == family(other),
        _ => true,
    }
}

/// What the symbols signal reads about the current file.
pub(super) struct Current<'s> {
    pub id: Option<FileId>,
    pub language: Option<&'s Language>,
    /// Names the current file defines itself (their definitions elsewhere count less).
    pub local_names: Vec<&'s str>,
}

/// Definitions of the names used near the cursor.
pub(super) fn symbol_candidates(
    state: &State,
    names: &HashMap<&str, NameUse<'_>>,
    current: &Current<'_>,
    relations: &Relations,
    use_relations: bool,
    candidates: &mut Vec<Candidate>,
) {
    // The cap counts names that something defines (a lookup is cheap; scoring is not).
    let mut ranked: Vec<(&str, &NameUse<'_>, &[FileId])> = names
        .iter()
        .map(|(name, usage)| (*name, usage, state.files_defining(name)))
        .filter(|(_, _, files)| !files.is_empty())
        .collect();
    ranked.sort_by(|a, b| b.1.weight.total_cmp(&a.1.weight).then(a.0.cmp(b.0)));
    for (name, usage, files) in ranked.into_iter().take(MAX_NAMES) {
        let imported_from = relations.imported_names.get(name);
        let specificity = 1.0 / (1.0 + (files.len() as f32).ln());
        let local = if current.local_names.contains(&name) { 0.35 } else { 1.0 };
        for file in considered_files(state, name, files, relations, imported_from) {
            if Some(file) == current.id {
                continue;
            }
            let Some(entry) = state.file(file) else { continue };
            let explicitly = imported_from.is_some_and(|f| f.contains(&file));
            if !explicitly && !same_family(current.language, entry.language.as_deref()) {
                // A name shared with another language's code is a coincidence.
                continue;
            }
            let (graph, relation) = if explicitly {
                (4.0, "named in an import")
            } else if use_relations {
                relations.boost(state, file)
            } else {
                (1.0, "by name")
            };
            let stem = entry.path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            for at in entry.symbols.definitions_named(name) {
                let def = &entry.symbols.definitions[at];
                let container = def.parent.and_then(|p| entry.symbols.definitions.get(p as usize));
                let qualified = usage.qualifiers.iter().any(|q| {
                    container.is_some_and(|c| &*c.name == *q) || stem.eq_ignore_ascii_case(q)
                });
                let score = W_DEF
                    * usage.weight
                    * specificity
                    * kind_factor(def.kind)
                    * graph
                    * local
                    * if qualified { 1.5 } else { 1.0 };
                let container = container.map(|c| format!(" in `{}`", c.name)).unwrap_or_default();
                let expected = usage.anticipated.map(|why| format!("; {why}")).unwrap_or_default();
                candidates.push(Candidate {
                    file,
                    source: Source::Def { def: at as u32 },
                    score,
                    reason: format!("definition of `{name}`{container} ({relation}{expected})"),
                    stable: explicitly,
                });
            }
        }
    }
}

/// The files whose definitions of `name` are considered: all of them, or for a common name only
/// the related files that define it (checked through their own name index, not by scanning the
/// long list).
fn considered_files(
    state: &State,
    name: &str,
    files: &[FileId],
    relations: &Relations,
    imported_from: Option<&Vec<FileId>>,
) -> Vec<FileId> {
    if files.len() <= MAX_FILES_PER_NAME {
        return files.to_vec();
    }
    let mut related: Vec<FileId> = relations.boosts.keys().copied().collect();
    related.extend(imported_from.into_iter().flatten().copied());
    related.sort_unstable();
    related.dedup();
    related
        .into_iter()
        .filter(|&file| {
            state.file(file).is_some_and(|e| e.symbols.definitions_named(name).next().is_some())
        })
        .collect()
}

/// Definitions of the bases that the current file's classes extend or implement.
pub(super) fn base_candidates(
    state: &State,
    current: FileId,
    relations: &Relations,
    candidates: &mut Vec<Candidate>,
) {
    let Some(entry) = state.file(current) else { return };
    for def in &entry.symbols.definitions {
        for base in &def.extends {
            let base = base_name(base);
            let files = state.files_defining(base);
            if files.len() > MAX_FILES_PER_NAME {
                continue;
            }
            for &file in files {
                if file == current {
                    continue;
                }
                let Some(other) = state.file(file) else { continue };
                let (graph, _) = relations.boost(state, file);
                for (at, candidate) in other.symbols.definitions.iter().enumerate() {
                    if &*candidate.name == base && candidate.kind != DefKind::Impl {
                        candidates.push(Candidate {
                            file,
                            source: Source::Def { def: at as u32 },
                            score: W_EXTENDS * graph / (files.len() as f32),
                            reason: format!("`{}` extends `{base}`", def.name),
                            stable: true,
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers() {
        let text = "a.b x::y p->q r:s";
        assert_eq!(qualifier_before(text, 2), Some("a"));
        assert_eq!(qualifier_before(text, 7), Some("x"));
        assert_eq!(qualifier_before(text, 12), Some("p"));
        assert_eq!(qualifier_before(text, 0), None);
    }

    #[test]
    fn names_weigh_more_near_the_cursor() {
        let text = "far_name\n\n\n\n\n\n\n\n\nnear_name.call()\n";
        let region = Region::around(text, text.len() - 1);
        let names = names_near_cursor(&region);
        assert!(names["near_name"].weight > names["far_name"].weight);
        assert_eq!(names["call"].qualifiers, ["near_name"]);
    }
}
