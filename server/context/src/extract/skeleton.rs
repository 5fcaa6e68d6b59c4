//! Rendering definitions for a prompt: the full text with its doc comment, or a skeleton with
//! bodies elided and a container's members listed.

use std::ops::Range;

use super::types::Definition;

/// Start of the line holding `offset`.
fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].rfind('\n').map_or(0, |at| at + 1)
}

/// End of the line holding `offset` (after its newline, or the end of the text).
fn line_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[offset..].find('\n').map_or(text.len(), |at| offset + at + 1)
}

/// The full text of a definition, from the start of its first doc/attribute line to the end of
/// its last line, and the byte range it covers.
pub fn full_text<'t>(text: &'t str, def: &Definition) -> (&'t str, Range<usize>) {
    let start = line_start(text, def.header_start);
    let end = line_end(text, def.range.end.saturating_sub(1).max(def.range.start));
    let end = end.min(text.len()).max(start);
    (text.get(start..end).unwrap_or_default(), start..end)
}

/// A skeleton: signature and doc comment with the body elided; containers list their members'
/// skeletons. Starts at the beginning of the definition's first line (indentation included).
pub fn skeleton(text: &str, defs: &[Definition], index: usize) -> String {
    let mut out = String::new();
    let children = children_of(defs);
    write_skeleton(text, defs, &children, index, &mut out, 0);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn children_of(defs: &[Definition]) -> Vec<Vec<usize>> {
    let mut children = vec![Vec::new(); defs.len()];
    for (index, def) in defs.iter().enumerate() {
        if let Some(parent) = def.parent
            && let Some(list) = children.get_mut(parent as usize)
        {
            list.push(index);
        }
    }
    children
}

const MAX_SKELETON_DEPTH: usize = 4;
const MAX_DECLARATION_LINES: usize = 12;

fn write_skeleton(
    text: &str,
    defs: &[Definition],
    children: &[Vec<usize>],
    index: usize,
    out: &mut String,
    depth: usize,
) {
    let def = &defs[index];
    let start = line_start(text, def.header_start);
    let indent: String = text[start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let Some(body) =
        def.body.clone().filter(|body| body.start >= def.range.start && body.end <= def.range.end)
    else {
        // A declaration without a body: short ones verbatim, long ones cut.
        let (full, _) = full_text(text, def);
        for (count, line) in full.lines().enumerate() {
            if count == MAX_DECLARATION_LINES {
                out.push_str(&indent);
                out.push_str("...\n");
                break;
            }
            out.push_str(line);
            out.push('\n');
        }
        return;
    };
    let header = text.get(start..body.start).unwrap_or_default().trim_end();
    let body_text = text.get(body.clone()).unwrap_or_default();
    let trimmed = body_text.trim();
    let braces = trimmed.starts_with('{') || trimmed.starts_with('[');
    let closing = if trimmed.ends_with('}') {
        "}"
    } else if trimmed.ends_with(']') {
        "]"
    } else if trimmed.ends_with("end") {
        "end"
    } else {
        ""
    };
    // Ruby/Lua style bodies exclude the `end`; look just past the body for it.
    let closing = if closing.is_empty() {
        let after = text.get(body.end..def.range.end).unwrap_or_default().trim();
        if after.ends_with("end") { "end" } else { "" }
    } else {
        closing
    };
    let members: &[usize] =
        if depth < MAX_SKELETON_DEPTH && def.kind.is_container() { &children[index] } else { &[] };
    out.push_str(header);
    if members.is_empty() {
        if braces {
            out.push_str(&format!(" {} ... {}\n", &trimmed[..1], closing));
        } else {
            out.push('\n');
            out.push_str(&indent);
            out.push_str("    ...\n");
            if !closing.is_empty() {
                out.push_str(&indent);
                out.push_str(closing);
                out.push('\n');
            }
        }
        return;
    }
    if braces {
        out.push(' ');
        out.push_str(&trimmed[..1]);
    }
    out.push('\n');
    for &child in members {
        write_skeleton(text, defs, children, child, out, depth + 1);
    }
    if !closing.is_empty() {
        out.push_str(&indent);
        out.push_str(closing);
        out.push('\n');
    }
}
