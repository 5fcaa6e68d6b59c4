//! Reading what a model answers to an action: the reasoning section set apart, code fences
//! removed, SEARCH/REPLACE blocks parsed and anchored exactly once in the file, plans read as a
//! list of numbers. Everything is validated before use; a reason is given for what is refused.

use crate::edit::TextEdit;

/// Reasoning sections that models emit before their answer.
const REASONING_TAGS: &[(&str, &str)] =
    &[("<think>", "</think>"), ("<thinking>", "</thinking>"), ("<reasoning>", "</reasoning>")];

/// Splits a model's answer into the answer proper and its reasoning sections (which are never
/// part of an edit). An unclosed reasoning section takes the rest of the text.
pub fn split_reasoning(text: &str) -> (String, Option<String>) {
    let mut answer = String::new();
    let mut reasoning = Vec::new();
    let mut rest = text;
    loop {
        let next = REASONING_TAGS
            .iter()
            .filter_map(|(open, close)| rest.find(open).map(|at| (at, *open, *close)))
            .min_by_key(|(at, ..)| *at);
        let Some((at, open, close)) = next else {
            answer.push_str(rest);
            break;
        };
        answer.push_str(&rest[..at]);
        let inner = &rest[at + open.len()..];
        match inner.find(close) {
            Some(end) => {
                reasoning.push(inner[..end].trim().to_owned());
                rest = &inner[end + close.len()..];
            }
            None => {
                reasoning.push(inner.trim().to_owned());
                break;
            }
        }
    }
    let reasoning = reasoning.into_iter().filter(|r| !r.is_empty()).collect::<Vec<_>>();
    (answer.trim().to_owned(), (!reasoning.is_empty()).then(|| reasoning.join("\n\n")))
}

/// The content of the first fenced code block (```` ```lang ... ``` ````), or the whole text
/// trimmed of blank lines when there is none. An unclosed fence runs to the end.
pub fn code_block(text: &str) -> String {
    let Some(open) = text.find("```") else {
        return trim_blank_lines(text);
    };
    let after = &text[open + 3..];
    let body = match after.find('\n') {
        Some(newline) => &after[newline + 1..],
        None => "",
    };
    let body = match body.find("```") {
        Some(close) => &body[..close],
        None => body,
    };
    trim_blank_lines(body)
}

fn trim_blank_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|line| !line.trim().is_empty()).unwrap_or(lines.len());
    let end = lines.iter().rposition(|line| !line.trim().is_empty()).map_or(start, |i| i + 1);
    lines[start..end].join("\n")
}

/// One SEARCH/REPLACE block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// Exact text of the file to replace (whole lines).
    pub search: String,
    /// What replaces it.
    pub replace: String,
}

/// What the model answered for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAnswer {
    /// The file needs no change.
    NoChanges,
    /// Replacements to anchor in the file.
    Replacements(Vec<Replacement>),
}

const SEARCH: &str = "<<<<<<< SEARCH";
const DIVIDER: &str = "=======";
const REPLACE: &str = ">>>>>>> REPLACE";

/// Parses SEARCH/REPLACE blocks:
///
/// ```text
/// <<<<<<< SEARCH
/// exact lines of the file
/// =======
/// their replacement
/// >>>>>>> REPLACE
/// ```
///
/// or `NO CHANGES`. Text around the blocks (explanations, code fences) is ignored.
pub fn parse_replacements(text: &str) -> Result<FileAnswer, String> {
    let (answer, _) = split_reasoning(text);
    let mut blocks = Vec::new();
    let mut lines = answer.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim_end() != SEARCH {
            continue;
        }
        let mut search = Vec::new();
        let mut found_divider = false;
        for line in lines.by_ref() {
            if line.trim_end() == DIVIDER {
                found_divider = true;
                break;
            }
            search.push(line);
        }
        if !found_divider {
            return Err(format!("a `{SEARCH}` block has no `{DIVIDER}` line"));
        }
        let mut replace = Vec::new();
        let mut closed = false;
        for line in lines.by_ref() {
            if line.trim_end() == REPLACE {
                closed = true;
                break;
            }
            replace.push(line);
        }
        if !closed {
            return Err(format!("a `{SEARCH}` block is not closed by `{REPLACE}`"));
        }
        blocks.push(Replacement { search: join_lines(&search), replace: join_lines(&replace) });
    }
    if !blocks.is_empty() {
        return Ok(FileAnswer::Replacements(blocks));
    }
    if answer.to_ascii_uppercase().contains("NO CHANGES") {
        return Ok(FileAnswer::NoChanges);
    }
    Err(format!(
        "the answer has neither `{SEARCH}` … `{REPLACE}` blocks nor `NO CHANGES`: {}",
        preview(&answer)
    ))
}

fn join_lines(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    if !lines.is_empty() {
        text.push('\n');
    }
    text
}

/// The first 80 characters of `text`, for error messages.
pub fn preview(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 80 {
        format!("`{}…`", one_line.chars().take(80).collect::<String>())
    } else if one_line.is_empty() {
        "(empty)".to_owned()
    } else {
        format!("`{one_line}`")
    }
}

/// Anchors each replacement in `text`: its SEARCH text must occur exactly once (an empty one
/// appends at the end). Returns sorted, non-overlapping edits.
pub fn anchor(text: &str, replacements: &[Replacement]) -> Result<Vec<TextEdit>, String> {
    let mut edits = Vec::new();
    for replacement in replacements {
        if replacement.search.trim().is_empty() {
            let mut new_text = replacement.replace.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                new_text.insert(0, '\n');
            }
            edits.push(TextEdit::insert(text.len(), new_text));
            continue;
        }
        let (start, search) = find_once(text, &replacement.search)?;
        let mut new_text = replacement.replace.clone();
        // A SEARCH text that matched without its final newline keeps the file's line break.
        if !search.ends_with('\n') && new_text.ends_with('\n') {
            new_text.pop();
        }
        edits.push(TextEdit { range: start..start + search.len(), new_text });
    }
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    for pair in edits.windows(2) {
        if pair[1].range.start < pair[0].range.end {
            return Err("two SEARCH blocks overlap".to_owned());
        }
    }
    Ok(edits)
}

/// Where `search` occurs exactly once in `text`: as given, or without its final newline at the
/// end of a file that lacks one.
fn find_once<'a>(text: &str, search: &'a str) -> Result<(usize, &'a str), String> {
    let candidates = [search, search.strip_suffix('\n').unwrap_or(search)];
    for candidate in candidates {
        let mut found = text.match_indices(candidate).map(|(at, _)| at);
        match (found.next(), found.next()) {
            (Some(at), None) => return Ok((at, candidate)),
            (Some(_), Some(_)) => {
                return Err(format!(
                    "the SEARCH text {} occurs more than once; include more lines to make it unique",
                    preview(search)
                ));
            }
            (None, _) => {}
        }
    }
    Err(format!("the SEARCH text {} is not in the file; copy the lines exactly", preview(search)))
}

/// Reads a plan: the numbers of the files to edit, in order, from the first line that has any
/// (`FILES: 2, 1`, `[2, 1]`, `2 1`). Each must be in `1..=count`; duplicates are dropped.
pub fn parse_plan(text: &str, count: usize) -> Result<Vec<usize>, String> {
    let (answer, _) = split_reasoning(text);
    for line in answer.lines() {
        let numbers: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .filter_map(|part| part.parse().ok())
            .collect();
        if numbers.is_empty() {
            continue;
        }
        let mut plan = Vec::new();
        for number in numbers {
            if number == 0 || number > count {
                return Err(format!("the plan names file {number}; there are {count}"));
            }
            if !plan.contains(&(number - 1)) {
                plan.push(number - 1);
            }
        }
        return Ok(plan);
    }
    Err(format!("the plan lists no file numbers: {}", preview(&answer)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    #[test]
    fn reasoning_is_set_apart() {
        let (answer, reasoning) = split_reasoning("<think>use a loop</think>\nfn a() {}");
        assert_eq!(answer, "fn a() {}");
        assert_eq!(reasoning.as_deref(), Some("use a loop"));
        let (answer, reasoning) = split_reasoning("<think>never closed");
        assert_eq!(answer, "");
        assert_eq!(reasoning.as_deref(), Some("never closed"));
        assert_eq!(split_reasoning("plain").1, None);
    }

    #[test]
    fn code_blocks_are_unwrapped() {
        assert_eq!(code_block("Here:\n```python\nx = 1\n```\nDone."), "x = 1");
        assert_eq!(code_block("\n\nx = 1\n\n"), "x = 1");
        assert_eq!(code_block("```\nx = 1"), "x = 1");
    }

    #[test]
    fn replacements_anchor_exactly_once() {
        let text = "def a():\n    return 1\n\ndef b():\n    return a()\n";
        let answer =
            "Sure.\n<<<<<<< SEARCH\n    return a()\n=======\n    return a() + 1\n>>>>>>> REPLACE\n";
        let FileAnswer::Replacements(blocks) = parse_replacements(answer).unwrap() else {
            panic!("expected blocks")
        };
        let edits = anchor(text, &blocks).unwrap();
        assert_eq!(apply(text, &edits), "def a():\n    return 1\n\ndef b():\n    return a() + 1\n");
        let ambiguous = [Replacement { search: "return".into(), replace: "x".into() }];
        assert!(anchor(text, &ambiguous).unwrap_err().contains("more than once"));
        let missing = [Replacement { search: "nothing here\n".into(), replace: "x".into() }];
        assert!(anchor(text, &missing).unwrap_err().contains("not in the file"));
        assert_eq!(parse_replacements("NO CHANGES needed").unwrap(), FileAnswer::NoChanges);
        assert!(parse_replacements("I would rename it.").is_err());
        assert!(parse_replacements("<<<<<<< SEARCH\nx\n=======\ny\n").is_err());
    }

    #[test]
    fn a_search_at_the_end_of_a_file_without_newline_matches() {
        let text = "a = 1\nb = 2";
        let blocks = [Replacement { search: "b = 2\n".into(), replace: "b = 3\n".into() }];
        assert_eq!(apply(text, &anchor(text, &blocks).unwrap()), "a = 1\nb = 3");
    }

    #[test]
    fn plans_are_read_and_checked() {
        assert_eq!(parse_plan("FILES: 2, 1, 2", 3).unwrap(), vec![1, 0]);
        assert_eq!(parse_plan("<think>1 or 2?</think>\n[3]", 3).unwrap(), vec![2]);
        assert!(parse_plan("FILES: 4", 3).is_err());
        assert!(parse_plan("none", 3).is_err());
    }
}
