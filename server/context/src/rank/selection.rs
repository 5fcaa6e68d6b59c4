//! Selection: greedy by score under the token budget, overlapping snippets dropped; then the
//! prompt order.
//!
//! Skeletons first: only the [`FULL_BODIES`] best definitions are shown whole (when they fit);
//! the rest show their signature and doc comment, so the budget covers many more of the names
//! the next tokens may use. A container's skeleton past the first few is cut to a small share of
//! the budget ([`SKELETON_SHARE`]); snippets from minified files are never worth their tokens.

use super::candidate::{Candidate, Source};
use super::request::{ContextRequest, Snippet, SnippetKind, TokenCounter};
use crate::extract;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical;
use crate::paths::relative_to_root;
use crate::privacy;

/// How many of the best definitions are rendered whole; the rest as skeletons.
pub(super) const FULL_BODIES: usize = 2;
/// A skeleton after the first [`FULL_BODIES`] definitions takes at most this share of the
/// budget (a big container keeps its header and first members).
const SKELETON_SHARE: f32 = 0.08;
/// A listing of a receiver type's members takes at most this share of the budget.
const MEMBERS_SHARE: f32 = 0.2;
/// Lines of a signature shown in a member listing.
const SIGNATURE_LINES: usize = 3;
/// Text whose lines average more bytes than this is minified or generated.
const MINIFIED_LINE_BYTES: usize = 300;

/// Whether `text` looks minified: few, very long lines.
fn looks_minified(text: &str) -> bool {
    let lines = text.lines().count().max(1);
    text.len() / lines > MINIFIED_LINE_BYTES
}

/// The leading lines of `text` that fit in `cap` tokens, with a `...` line marking the cut;
/// `None` when not even the first line fits.
fn truncate_lines(text: &str, cap: usize, count: TokenCounter<'_>) -> Option<(String, usize)> {
    let marker = "    ...\n";
    let budget = cap.checked_sub(count(marker))?;
    let mut out = String::new();
    let mut used = 0;
    for line in text.split_inclusive('\n') {
        let cost = count(line);
        if used + cost > budget {
            break;
        }
        used += cost;
        out.push_str(line);
    }
    if out.is_empty() {
        return None;
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(marker);
    let tokens = count(&out);
    (tokens <= cap).then_some((out, tokens))
}

/// Lines of a leading doc comment (or attributes) kept when a skeleton must be cut.
const CUT_DOC_LINES: usize = 2;

/// Whether a line is a comment, an attribute or a decorator (what leads a definition).
fn is_leading(line: &str) -> bool {
    let line = line.trim_start();
    ["//", "/*", "*", "#[", "#!", "@", "--"].iter().any(|p| line.starts_with(p))
}

/// `skeleton` with its leading comment and attribute lines cut to the first `keep`, so that a
/// cut keeps the signature and members rather than spending its share on prose.
fn shorten_leading_doc(skeleton: &str, keep: usize) -> String {
    let mut out = String::with_capacity(skeleton.len());
    let mut leading = true;
    let mut kept = 0;
    for line in skeleton.split_inclusive('\n') {
        if leading && is_leading(line) {
            if kept < keep {
                out.push_str(line);
                kept += 1;
            }
            continue;
        }
        leading = false;
        out.push_str(line);
    }
    out
}

/// `skeleton` cut to `cap` tokens: see [`shorten_leading_doc`] and [`truncate_lines`]. The
/// comment's first lines go when keeping them would leave no line of code.
fn cut_skeleton(skeleton: &str, cap: usize, count: TokenCounter<'_>) -> Option<(String, usize)> {
    let shows_code = |cut: &str| {
        cut.lines().any(|line| {
            let code = line.trim_start();
            !code.is_empty() && code != "..." && !is_leading(line)
        })
    };
    truncate_lines(&shorten_leading_doc(skeleton, CUT_DOC_LINES), cap, count)
        .filter(|(cut, _)| shows_code(cut))
        .or_else(|| truncate_lines(&shorten_leading_doc(skeleton, 0), cap, count))
}

/// The text from the start of `def`'s line to its body (at most [`SIGNATURE_LINES`] lines,
/// doc comments left out), with `{ ... }` for a braced body; a definition without a body shows
/// its first line.
fn signature(text: &str, def: &extract::Definition) -> String {
    let start = text[..def.range.start.min(text.len())].rfind('\n').map_or(0, |at| at + 1);
    let body = def.body.clone().filter(|b| b.start >= def.range.start && b.end <= def.range.end);
    let end = body.as_ref().map_or(def.range.end, |b| b.start).min(text.len()).max(start);
    let head = text.get(start..end).unwrap_or_default();
    let mut out = String::new();
    for (count, line) in head.lines().enumerate() {
        if count == SIGNATURE_LINES || (body.is_none() && count == 1) {
            break;
        }
        if count > 0 {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    let braced = body
        .as_ref()
        .and_then(|b| text.get(b.clone()))
        .is_some_and(|b| b.trim_start().starts_with('{'));
    if braced {
        out.push_str(" { ... }");
    }
    out.push('\n');
    out
}

/// A listing of members: the container's header, the signatures of as many `members` as fit
/// in `cap` tokens (taken in the given order, shown in source order) and a `...` line for the
/// rest; with the first and last line it spans. `None` when no member fits.
fn member_listing(
    text: &str,
    container: Option<&extract::Definition>,
    members: &[&extract::Definition],
    cap: usize,
    count: TokenCounter<'_>,
) -> Option<(String, usize, u32, u32)> {
    let (mut header, mut closing) = (String::new(), String::new());
    if let Some(container) = container {
        header = signature(text, container);
        if let Some(stripped) = header.strip_suffix(" { ... }\n") {
            let line_start =
                text[..container.range.start.min(text.len())].rfind('\n').map_or(0, |at| at + 1);
            let indent: String =
                text[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            header = format!("{stripped} {{\n");
            closing = format!("{indent}}}\n");
        }
    }
    let marker = "    ...\n";
    let mut used = count(&header) + count(&closing) + count(marker);
    let mut chosen: Vec<(&extract::Definition, String)> = Vec::new();
    for &member in members {
        let line = signature(text, member);
        let cost = count(&line);
        if used + cost > cap {
            continue;
        }
        used += cost;
        chosen.push((member, line));
    }
    if chosen.is_empty() {
        return None;
    }
    let all = chosen.len() == members.len();
    chosen.sort_by_key(|(member, _)| member.range.start);
    let mut out = header;
    for (_, line) in &chosen {
        out.push_str(line);
    }
    if !all {
        out.push_str(marker);
    }
    out.push_str(&closing);
    let (first, last) = match container {
        Some(c) => (c.start_line, c.end_line),
        None => (
            chosen.iter().map(|(m, _)| m.start_line).min()?,
            chosen.iter().map(|(m, _)| m.end_line).max()?,
        ),
    };
    let tokens = count(&out);
    (tokens <= cap).then_some((out, tokens, first, last))
}

/// Greedy selection under the budget, then prompt ordering.
pub(super) fn select(
    state: &State,
    candidates: &[Candidate],
    request: &ContextRequest<'_>,
) -> Vec<Snippet> {
    let options = &request.options;
    let budget = request.token_budget;
    let per_snippet = ((budget as f32) * options.max_snippet_share.clamp(0.05, 1.0)) as usize;
    let per_skeleton = ((budget as f32) * SKELETON_SHARE) as usize;
    let per_members = ((budget as f32) * MEMBERS_SHARE) as usize;
    let mut bodies = 0;
    let mut remaining = budget;
    let mut chosen: Vec<(Snippet, bool, FileId)> = Vec::new();
    for candidate in candidates {
        if chosen.len() >= options.max_snippets || remaining < 8 {
            break;
        }
        let Some(entry) = state.file(candidate.file) else { continue };
        if privacy::is_secret_path(&entry.path) {
            continue;
        }
        let text = &*entry.text;
        let overlaps = |first: u32, last: u32| {
            chosen.iter().any(|(s, _, f)| {
                *f == candidate.file && s.start_line <= last && first <= s.end_line
            })
        };
        let rendered = match candidate.source {
            Source::Def { def } => {
                let defs = &entry.symbols.definitions;
                let Some(definition) = defs.get(def as usize) else { continue };
                let (first, last) = (definition.start_line, definition.end_line);
                if overlaps(first, last) {
                    continue;
                }
                let (full, _) = extract::full_text(text, definition);
                if looks_minified(full) {
                    continue;
                }
                let full = privacy::redact(full);
                let tokens = (request.count_tokens)(&full);
                let body_allowed = bodies < FULL_BODIES;
                let cap = if body_allowed { per_snippet } else { per_skeleton }.min(remaining);
                // Only the best definition may spend a big share on a container's members.
                let skeleton_cap = if bodies == 0 { cap } else { per_skeleton.min(remaining) };
                if body_allowed && tokens <= cap {
                    bodies += 1;
                    Some((full.into_owned(), tokens, SnippetKind::Definition, first, last))
                } else {
                    let skeleton = extract::skeleton(text, defs, def as usize);
                    let skeleton = privacy::redact(&skeleton).into_owned();
                    let skeleton_tokens = (request.count_tokens)(&skeleton);
                    if tokens <= cap && tokens <= skeleton_tokens {
                        // Nothing to elide: the whole text is as short as its skeleton.
                        Some((full.into_owned(), tokens, SnippetKind::Definition, first, last))
                    } else if skeleton_tokens <= skeleton_cap {
                        Some((skeleton, skeleton_tokens, SnippetKind::Skeleton, first, last))
                    } else {
                        // A huge container, or a long doc comment: the comment's first lines,
                        // the header and as many members as fit; the header without the
                        // comment when both do not fit.
                        cut_skeleton(&skeleton, skeleton_cap, request.count_tokens)
                            .map(|(cut, tokens)| (cut, tokens, SnippetKind::Skeleton, first, last))
                    }
                }
            }
            Source::Members { container, ref members } => {
                let defs = &entry.symbols.definitions;
                let container = container.and_then(|at| defs.get(at as usize));
                let members: Vec<&extract::Definition> = members
                    .iter()
                    .filter_map(|&at| defs.get(at as usize))
                    .filter(|m| !overlaps(m.start_line, m.end_line))
                    .collect();
                let cap = per_members.min(remaining);
                member_listing(text, container, &members, cap, request.count_tokens).map(
                    |(listing, tokens, first, last)| {
                        (listing, tokens, SnippetKind::Skeleton, first, last)
                    },
                )
            }
            Source::Window { start_line, end_line } => {
                let (first, last) = (start_line as u32, end_line as u32);
                if overlaps(first, last) {
                    continue;
                }
                let starts = lexical::line_starts(text);
                let range = lexical::line_range(text, &starts, start_line, end_line);
                let window = privacy::redact(&text[range]).into_owned();
                if looks_minified(&window) {
                    continue;
                }
                let tokens = (request.count_tokens)(&window);
                (tokens <= remaining.min(per_snippet)).then_some((
                    window,
                    tokens,
                    SnippetKind::Window,
                    first,
                    last,
                ))
            }
        };
        let Some((text, tokens, kind, start_line, end_line)) = rendered else { continue };
        if text.trim().is_empty() {
            continue;
        }
        remaining -= tokens;
        let snippet = Snippet {
            path: entry.path.clone(),
            relative_path: relative_to_root(state.roots(), &entry.path),
            start_line,
            end_line,
            text,
            score: candidate.score,
            reason: candidate.reason.clone(),
            kind,
            tokens,
        };
        chosen.push((snippet, candidate.stable, candidate.file));
    }
    // Prompt order: stable snippets by path, then the rest by increasing score.
    chosen.sort_by(|a, b| match (a.1, b.1) {
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (true, true) => a.0.path.cmp(&b.0.path).then(a.0.start_line.cmp(&b.0.start_line)),
        (false, false) => {
            a.0.score
                .total_cmp(&b.0.score)
                .then(a.0.path.cmp(&b.0.path))
                .then(a.0.start_line.cmp(&b.0.start_line))
        }
    });
    chosen.into_iter().map(|(snippet, _, _)| snippet).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::request::approx_tokens;

    #[test]
    fn a_cut_skeleton_keeps_its_signature_over_its_doc_comment() {
        let doc: String =
            (0..30).map(|i| format!("/// Line {i} of a long explanation.\n")).collect();
        let skeleton =
            format!("{doc}pub trait AsyncWrite {{\n    fn poll_write(&mut self) {{ ... }}\n}}\n");
        let short = shorten_leading_doc(&skeleton, CUT_DOC_LINES);
        assert!(short.starts_with("/// Line 0 of a long explanation.\n/// Line 1"), "{short}");
        assert!(!short.contains("Line 2 "), "{short}");
        assert!(short.contains("pub trait AsyncWrite {\n    fn poll_write"), "{short}");
        let (cut, _) = truncate_lines(&short, 40, &approx_tokens).expect("fits");
        assert!(cut.contains("pub trait AsyncWrite {"), "{cut}");
        // Comment lines inside the body stay.
        let inner = "struct S {\n    // a field\n    a: u8,\n}\n";
        assert_eq!(shorten_leading_doc(inner, CUT_DOC_LINES), inner);
        // A JSDoc block and a decorator are leading lines too.
        let js = "/**\n * Creates a timer.\n * More.\n */\nexport function timer(\n  due: number,\n) { ... }\n";
        let (cut, _) = cut_skeleton(js, 12, &approx_tokens).expect("the header fits");
        assert!(cut.contains("export function timer("), "{cut}");
        let python = "@rich_repr()\n@dataclass\nclass Segment(NamedTuple):\n    text: str\n";
        let (cut, _) = cut_skeleton(python, 10, &approx_tokens).expect("the header fits");
        assert!(cut.contains("class Segment(NamedTuple):"), "{cut}");
        // When the comment's lines would leave no room for the header, they go.
        let (cut, _) = cut_skeleton(&skeleton, 14, &approx_tokens).expect("the header fits");
        assert!(cut.starts_with("pub trait AsyncWrite {"), "{cut}");
    }

    #[test]
    fn truncation_keeps_whole_lines_and_marks_the_cut() {
        let text = "struct Big {\n    a: u32,\n    b: u32,\n    c: u32,\n}\n";
        let (cut, tokens) = truncate_lines(text, 12, &approx_tokens).expect("the header fits");
        assert!(cut.starts_with("struct Big {\n") && cut.ends_with("    ...\n"), "{cut}");
        assert!(tokens <= 12);
        assert!(truncate_lines(text, 2, &approx_tokens).is_none());
    }
}
