//! Running a language's patterns over one syntax tree: collect kind, scope and assignment
//! matches, then keep each candidate finding whose requirements hold, directly or through one
//! assignment in the same scope, and that no `infill-ignore:` comment silences.

use std::cell::RefCell;
use std::ops::Range;

use infill_syntax::{Language, Position};
use streaming_iterator::StreamingIterator as _;
use tree_sitter::{Node, QueryCursor, Tree};

use crate::finding::{Finding, TextRange, snippet_of};
use crate::patterns::{FindingPattern, LanguagePatterns, Role};
use crate::rules::Rule;
use crate::suppress::is_suppressed;

thread_local! {
    static CURSOR: RefCell<QueryCursor> = RefCell::new(QueryCursor::new());
}

/// An identifier-like token outside string literals, with where it starts.
struct Token {
    text: String,
    start: usize,
}

/// `name = value` as a pattern saw it.
struct Assignment {
    /// The identifier-like words of the assigned name (several for a tuple or destructuring).
    names: Vec<String>,
    value: Range<usize>,
    at: usize,
}

struct Candidate<'p> {
    pattern: &'p FindingPattern,
    range: Range<usize>,
    start: tree_sitter::Point,
    end: tree_sitter::Point,
    /// The node the requirements are checked on, and its tokens.
    arg: Option<(Range<usize>, Vec<Token>)>,
}

/// Everything the matches of one tree said.
struct Collected<'p> {
    kinds: Vec<Vec<Range<usize>>>,
    scopes: Vec<Range<usize>>,
    assignments: Vec<Assignment>,
    candidates: Vec<Candidate<'p>>,
}

/// The findings of `patterns` in `tree` (parsed from `text`), sorted by position.
pub(crate) fn run(
    patterns: &LanguagePatterns,
    rules: &[Rule],
    language: &Language,
    text: &str,
    tree: &Tree,
) -> Vec<Finding> {
    let collected = collect(patterns, language, text, tree);
    let mut findings: Vec<Finding> = Vec::new();
    for candidate in &collected.candidates {
        if !collected.holds(candidate) {
            continue;
        }
        let Some(rule) = rules.get(candidate.pattern.rule) else { continue };
        if is_suppressed(text, candidate.range.clone(), &rule.id) {
            continue;
        }
        findings.push(Finding {
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            cwe: rule.cwe,
            owasp: rule.owasp.clone(),
            message: rule.message.clone(),
            fix_hint: candidate.pattern.fix.clone().unwrap_or_else(|| rule.fix_hint.clone()),
            range: TextRange {
                start_byte: candidate.range.start,
                end_byte: candidate.range.end,
                start: point(candidate.start),
                end: point(candidate.end),
            },
            snippet: snippet_of(text, candidate.range.clone()),
        });
    }
    findings.sort_by(|a, b| {
        (a.range.start_byte, std::cmp::Reverse(a.range.end_byte), &a.rule_id).cmp(&(
            b.range.start_byte,
            std::cmp::Reverse(b.range.end_byte),
            &b.rule_id,
        ))
    });
    // One finding per rule and place: a match inside another of the same rule adds nothing.
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        let nested = kept.iter().any(|outer| {
            outer.rule_id == finding.rule_id
                && outer.range.start_byte <= finding.range.start_byte
                && finding.range.end_byte <= outer.range.end_byte
        });
        if !nested {
            kept.push(finding);
        }
    }
    kept
}

fn point(point: tree_sitter::Point) -> Position {
    Position {
        line: u32::try_from(point.row).unwrap_or(u32::MAX),
        character: u32::try_from(point.column).unwrap_or(u32::MAX),
    }
}

fn collect<'p>(
    patterns: &'p LanguagePatterns,
    language: &Language,
    text: &str,
    tree: &Tree,
) -> Collected<'p> {
    let mut collected = Collected {
        kinds: vec![Vec::new(); patterns.kinds.len()],
        scopes: Vec::new(),
        assignments: Vec::new(),
        candidates: Vec::new(),
    };
    let captures = &patterns.captures;
    let mut visit = |cursor: &mut QueryCursor| {
        let mut matches = cursor.matches(&patterns.query, tree.root_node(), text.as_bytes());
        while let Some(found) = matches.next() {
            let Some(role) = patterns.roles.get(found.pattern_index) else { continue };
            let node_of = |index: Option<u32>| {
                index.and_then(|index| {
                    found.captures.iter().find(|capture| capture.index == index).map(|c| c.node)
                })
            };
            let first = found.captures.first().map(|capture| capture.node);
            match role {
                Role::Kind(kind) => {
                    if let (Some(node), Some(list)) =
                        (node_of(captures.matched).or(first), collected.kinds.get_mut(*kind))
                    {
                        list.push(node.byte_range());
                    }
                }
                Role::Scope => {
                    if let Some(node) = node_of(captures.scope) {
                        collected.scopes.push(node.byte_range());
                    }
                }
                Role::Assign => {
                    if let (Some(name), Some(value)) =
                        (node_of(captures.assign_name), node_of(captures.assign_value))
                    {
                        let names = words(text.get(name.byte_range()).unwrap_or_default());
                        collected.assignments.push(Assignment {
                            names,
                            value: value.byte_range(),
                            at: name.start_byte(),
                        });
                    }
                }
                Role::Finding(pattern) => {
                    let Some(node) = node_of(captures.finding).or(first) else { continue };
                    let arg = (!pattern.requires.is_empty()).then(|| {
                        let arg = node_of(captures.arg).unwrap_or(node);
                        (arg.byte_range(), tokens(arg, language, text))
                    });
                    collected.candidates.push(Candidate {
                        pattern,
                        range: node.byte_range(),
                        start: node.start_position(),
                        end: node.end_position(),
                        arg,
                    });
                }
            }
        }
    };
    CURSOR.with(|cursor| match cursor.try_borrow_mut() {
        Ok(mut cursor) => visit(&mut cursor),
        Err(_) => visit(&mut QueryCursor::new()),
    });
    collected
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

impl Collected<'_> {
    /// Whether a candidate's requirements hold.
    fn holds(&self, candidate: &Candidate<'_>) -> bool {
        let pattern = candidate.pattern;
        let scope = self.scope_of(candidate.range.start);
        if !pattern.requires_scope.is_empty() {
            let scope_range = scope.clone().unwrap_or(0..usize::MAX);
            let found = pattern.requires_scope.iter().any(|&kind| {
                self.kinds
                    .get(kind)
                    .is_some_and(|list| list.iter().any(|r| contains(&scope_range, r)))
            });
            if !found {
                return false;
            }
        }
        // A flagged call inside a sanitizer (`Paths.get(name).getFileName()`) is harmless.
        let inside_sanitizer =
            pattern.sanitizer.and_then(|kind| self.kinds.get(kind)).is_some_and(|list| {
                list.iter().any(|r| contains(r, &candidate.range) && *r != candidate.range)
            });
        if inside_sanitizer {
            return false;
        }
        let Some((arg, tokens)) = &candidate.arg else { return true };
        if self.direct(pattern, arg) {
            return true;
        }
        // One hop: an identifier of the argument assigned earlier in the same scope.
        let sanitized = |start: usize| {
            pattern
                .sanitizer
                .and_then(|kind| self.kinds.get(kind))
                .is_some_and(|list| list.iter().any(|r| contains(arg, r) && r.contains(&start)))
        };
        let live: Vec<&str> = tokens
            .iter()
            .filter(|token| !sanitized(token.start))
            .map(|t| t.text.as_str())
            .collect();
        if live.is_empty() {
            return false;
        }
        self.assignments.iter().any(|assignment| {
            assignment.at < candidate.range.start
                && !contains(&assignment.value, &candidate.range)
                && assignment.names.iter().any(|name| live.contains(&name.as_str()))
                && self.scope_of(assignment.at) == scope
                && self.direct(pattern, &assignment.value)
        })
    }

    /// Whether `range` contains a match of a required kind that no sanitizer match inside
    /// `range` encloses.
    fn direct(&self, pattern: &FindingPattern, range: &Range<usize>) -> bool {
        let sanitizers: &[Range<usize>] =
            pattern.sanitizer.and_then(|kind| self.kinds.get(kind)).map_or(&[], Vec::as_slice);
        pattern.requires.iter().any(|&kind| {
            self.kinds.get(kind).is_some_and(|list| {
                list.iter().any(|found| {
                    contains(range, found)
                        && !sanitizers.iter().any(|s| contains(range, s) && contains(s, found))
                })
            })
        })
    }

    /// The smallest scope around a byte, `None` at the top level.
    fn scope_of(&self, byte: usize) -> Option<Range<usize>> {
        self.scopes
            .iter()
            .filter(|scope| scope.start <= byte && byte < scope.end)
            .min_by_key(|scope| scope.end - scope.start)
            .cloned()
    }
}

/// Identifier-like words of a text (`{ a, b }` → `a`, `b`).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|word| word.chars().next().is_some_and(|c| !c.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

/// The identifier-like leaves under `node` that are code: outside string literals (but inside
/// their interpolations) and comments, as the language's `node_kinds` name them.
fn tokens(node: Node<'_>, language: &Language, text: &str) -> Vec<Token> {
    let kinds = &language.node_kinds;
    let mut out = Vec::new();
    let mut stack = vec![(node, false)];
    while let Some((node, in_string)) = stack.pop() {
        let kind = node.kind();
        if kinds.is_comment(kind) {
            continue;
        }
        let in_string = if kinds.string_code.iter().any(|listed| listed == kind) {
            false
        } else {
            in_string || kinds.is_string(kind)
        };
        if node.child_count() == 0 {
            if !in_string && node.is_named() {
                let leaf = text.get(node.byte_range()).unwrap_or_default();
                let identifier_like =
                    leaf.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                        && leaf.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$');
                if identifier_like {
                    out.push(Token { text: leaf.to_owned(), start: node.start_byte() });
                }
            }
            continue;
        }
        for index in (0..node.child_count()).rev() {
            if let Some(child) = node.child(index) {
                stack.push((child, in_string));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_names_and_patterns() {
        assert_eq!(words("{ file, dir: d }"), ["file", "dir", "d"]);
        assert_eq!(words("a, err"), ["a", "err"]);
        assert!(words("1 + 2").is_empty());
    }
}
