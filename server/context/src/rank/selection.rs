//! Selection: greedy by score under the token budget, whole definitions replaced by skeletons
//! when they do not fit, overlapping snippets dropped; then the prompt order.

use super::candidate::{Candidate, Source};
use super::request::{ContextRequest, Snippet, SnippetKind, TokenCounter};
use crate::extract;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical;
use crate::paths::relative_to_root;
use crate::privacy;

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

/// Greedy selection under the budget, then prompt ordering.
pub(super) fn select(
    state: &State,
    candidates: &[Candidate],
    request: &ContextRequest<'_>,
) -> Vec<Snippet> {
    let options = &request.options;
    let budget = request.token_budget;
    let per_snippet = ((budget as f32) * options.max_snippet_share.clamp(0.05, 1.0)) as usize;
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
                let full = privacy::redact(full);
                let tokens = (request.count_tokens)(&full);
                if tokens <= per_snippet.min(remaining) {
                    Some((full.into_owned(), tokens, SnippetKind::Definition, first, last))
                } else {
                    let skeleton = extract::skeleton(text, defs, def as usize);
                    let skeleton = privacy::redact(&skeleton).into_owned();
                    let cap = per_snippet.min(remaining);
                    let tokens = (request.count_tokens)(&skeleton);
                    if tokens <= cap {
                        Some((skeleton, tokens, SnippetKind::Skeleton, first, last))
                    } else {
                        // A huge container: its header and as many members as fit.
                        truncate_lines(&skeleton, cap, request.count_tokens)
                            .map(|(cut, tokens)| (cut, tokens, SnippetKind::Skeleton, first, last))
                    }
                }
            }
            Source::Window { start_line, end_line } => {
                let (first, last) = (start_line as u32, end_line as u32);
                if overlaps(first, last) {
                    continue;
                }
                let starts = lexical::line_starts(text);
                let range = lexical::line_range(text, &starts, start_line, end_line);
                let window = privacy::redact(&text[range]).into_owned();
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
    fn truncation_keeps_whole_lines_and_marks_the_cut() {
        let text = "struct Big {\n    a: u32,\n    b: u32,\n    c: u32,\n}\n";
        let (cut, tokens) = truncate_lines(text, 12, &approx_tokens).expect("the header fits");
        assert!(cut.starts_with("struct Big {\n") && cut.ends_with("    ...\n"), "{cut}");
        assert!(tokens <= 12);
        assert!(truncate_lines(text, 2, &approx_tokens).is_none());
    }
}
