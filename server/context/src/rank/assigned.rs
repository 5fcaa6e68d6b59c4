//! The name being assigned: with the cursor after `client = `, `let mut park = crate::park::`,
//! `activeHelpVar := ` or `transport=`, the value is likely named like its target (`Client`,
//! `CachedParkThread`, `activeHelpEnvVar`, `MockTransport`). Names defined in related files
//! (imported ones, the files of the current directory, which for Go is the package) and names
//! the request already expects are matched on their parts (`snake_case` and `camelCase` words).

use std::collections::HashMap;

use super::relations::Relations;
use super::symbols::NameUse;
use crate::extract::DefKind;
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::{ident_before, is_ident_continue};

/// Weight of a name whose parts are exactly the target's.
pub(super) const W_ASSIGNED: f32 = 0.7;
/// How much a match on the enclosing function's name counts against one on an assignment's
/// target.
const W_ENCLOSING_NAME: f32 = 0.6;
/// At most this many names are anticipated from the target.
const MAX_NAMES: usize = 8;
/// At most this many related files are searched for names.
const MAX_FILES: usize = 64;
/// Bytes of the cursor's line looked at.
const MAX_LINE_BYTES: usize = 240;

/// Whether the cursor ends a word (something is typed already).
fn ends_word(text: &str, cursor: usize) -> bool {
    text.get(..cursor).and_then(|b| b.as_bytes().last()).is_some_and(|&b| is_ident_continue(b))
}

/// The target of an assignment, keyword argument, field or typed parameter whose value starts
/// on the cursor's line before `cursor`: `x = `, `let mut x = `, `x := `, `x=`, `x: `. `None` for
/// a comparison, a tuple or a destructuring target, a name too short to say anything, or when
/// the cursor ends a word (what is typed of the value says more than its target).
pub(super) fn assigned_target(text: &str, cursor: usize) -> Option<&str> {
    let before = text.get(..cursor)?;
    if ends_word(text, cursor) {
        return None;
    }
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    let line_start = line_start.max(cursor.saturating_sub(MAX_LINE_BYTES));
    let line = before.get(line_start..)?;
    let bytes = line.as_bytes();
    // The last `=` that assigns (not `==`, `!=`, `<=`, `>=`, `=>`), else the last lone `:`.
    let assign = (0..bytes.len()).rev().find(|&at| {
        bytes[at] == b'='
            && bytes.get(at + 1).is_none_or(|&next| next != b'=' && next != b'>')
            && (at == 0 || !matches!(bytes[at - 1], b'=' | b'!' | b'<' | b'>'))
    });
    let is_assignment = assign.is_some();
    let end = match assign {
        Some(at) => {
            let head = line[..at].trim_end();
            // `x := ` and `x += `.
            head.strip_suffix(':')
                .or_else(|| head.strip_suffix(['+', '-', '*', '/', '|', '&']))
                .unwrap_or(head)
                .trim_end()
                .len()
        }
        None => {
            let colon = (0..bytes.len()).rev().find(|&at| {
                bytes[at] == b':'
                    && bytes.get(at + 1) != Some(&b':')
                    && (at == 0 || bytes[at - 1] != b':')
            })?;
            line[..colon].trim_end().len()
        }
    };
    let target = ident_before(&line[..end], end);
    let start = end - target.len();
    let previous = line[..start].trim_end();
    // `(a, b) = ` and `a, b := ` name no single value (a `, x: ` parameter does).
    if is_assignment && (previous.ends_with(',') || line[end..].trim_start().starts_with(')')) {
        return None;
    }
    let letters = target.trim_start_matches(['_', '$']);
    (letters.len() >= 3 && !letters.as_bytes()[0].is_ascii_digit()).then_some(target)
}

/// The words of an identifier, as slices of it: `activeHelpEnvVar` → active, Help, Env, Var;
/// `HTTPStatusError` → HTTP, Status, Error; `_Align` → Align. Words shorter than 2 are dropped.
fn for_each_part(name: &str, mut visit: impl FnMut(&str)) {
    let bytes = name.as_bytes();
    let mut start = 0;
    let mut emit = |from: usize, to: usize| {
        if to >= from + 2 {
            visit(&name[from..to]);
        }
    };
    for at in 0..bytes.len() {
        let c = bytes[at];
        if !c.is_ascii_alphanumeric() {
            // `_`, `$` and non-ASCII letters end a word (they are rare in identifiers).
            emit(start, at);
            start = at + 1;
            continue;
        }
        let boundary = c.is_ascii_uppercase()
            && at > start
            && (bytes[at - 1].is_ascii_lowercase()
                || bytes[at - 1].is_ascii_digit()
                || (bytes[at - 1].is_ascii_uppercase()
                    && bytes.get(at + 1).is_some_and(u8::is_ascii_lowercase)));
        if boundary {
            emit(start, at);
            start = at;
        }
    }
    emit(start, bytes.len());
}

/// The lowercase words of an identifier (see [`for_each_part`]).
pub(super) fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for_each_part(name, |part| parts.push(part.to_ascii_lowercase()));
    parts
}

/// Whether a lowercase target word and a name's word are the same word, a plural `s` aside.
fn same_word(target: &str, part: &str) -> bool {
    let singular = |word: &str| -> usize {
        if word.len() > 3 && word.as_bytes()[word.len() - 1].eq_ignore_ascii_case(&b's') {
            word.len() - 1
        } else {
            word.len()
        }
    };
    let (t, p) = (&target[..singular(target)], &part[..singular(part)]);
    t.eq_ignore_ascii_case(p)
}

/// How well `name` matches a target of `target` parts (lowercase): the share of the target's
/// parts it has, times how much of the name they make up (half credit for the rest); 0 when
/// none.
fn match_score(target: &[String], name: &str) -> f32 {
    let mut parts = 0usize;
    let mut shared = 0usize;
    let mut seen = 0u64;
    for_each_part(name, |part| {
        parts += 1;
        if let Some(at) = target.iter().position(|t| same_word(t, part))
            && at < 64
            && seen & (1 << at) == 0
        {
            seen |= 1 << at;
            shared += 1;
        }
    });
    if shared == 0 {
        return 0.0;
    }
    let of_target = shared as f32 / target.len() as f32;
    let of_name = shared as f32 / parts as f32;
    of_target * (0.5 + 0.5 * of_name)
}

/// The files whose definitions may be assigned: imported files, the files they import and the
/// files of the current directory (at most [`MAX_FILES`]).
fn related_files(state: &State, current: Option<FileId>, relations: &Relations) -> Vec<FileId> {
    let mut files: Vec<FileId> = relations.imports.iter().take(32).copied().collect();
    for &file in relations.imports2.iter().take(32) {
        if !files.contains(&file) {
            files.push(file);
        }
    }
    if let Some(dir) = current.and_then(|id| state.file(id)).and_then(|e| e.path.parent()) {
        for &sibling in state.files_in_dir(dir) {
            if files.len() >= MAX_FILES {
                break;
            }
            if Some(sibling) != current && !files.contains(&sibling) {
                files.push(sibling);
            }
        }
    }
    files.truncate(MAX_FILES);
    files
}

/// Names like the assignment target before `cursor`, with their match scores (0–1), best first:
/// from the definitions of related files and from `expected`, the names the request already
/// weighs.
pub(super) fn assigned_names<'a>(
    state: &'a State,
    text: &'a str,
    cursor: usize,
    enclosing: Option<&str>,
    current: Option<FileId>,
    relations: &Relations,
    expected: &HashMap<&'a str, NameUse<'a>>,
) -> (Vec<(&'a str, f32)>, &'static str) {
    // The assignment's target; else, more weakly, the enclosing function's name (`test_head`
    // tests `head`, `Levels` returns `Level`s).
    let (target, strength) = match assigned_target(text, cursor) {
        Some(target) => (target, 1.0),
        None => match enclosing.filter(|_| !ends_word(text, cursor)) {
            Some(function) => (function, W_ENCLOSING_NAME),
            None => return (Vec::new(), ""),
        },
    };
    let why = if strength < 1.0 {
        "named like the enclosing function"
    } else {
        "named like the assigned name"
    };
    let mut target_parts = name_parts(target);
    if strength < 1.0 {
        target_parts.retain(|part| part != "test");
    }
    if target_parts.is_empty() {
        return (Vec::new(), why);
    }
    let mut scored: HashMap<&'a str, f32> = HashMap::new();
    let mut consider = |name: &'a str| {
        if name == target || scored.contains_key(name) {
            return;
        }
        let score = match_score(&target_parts, name) * strength;
        if score > 0.0 {
            scored.insert(name, score);
        }
    };
    for &name in expected.keys() {
        consider(name);
    }
    for file in related_files(state, current, relations) {
        let Some(entry) = state.file(file) else { continue };
        for def in &entry.symbols.definitions {
            if !matches!(def.kind, DefKind::Impl | DefKind::Module | DefKind::Other) {
                consider(&def.name);
            }
        }
    }
    let mut names: Vec<(&'a str, f32)> = scored.into_iter().collect();
    names.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.len().cmp(&b.0.len())).then(a.0.cmp(b.0)));
    names.truncate(MAX_NAMES);
    (names, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> Option<&str> {
        assigned_target(text, text.len())
    }

    #[test]
    fn targets_of_assignments_arguments_and_fields() {
        assert_eq!(target("    client = httpx."), Some("client"));
        assert_eq!(target("    let mut park = crate::runtime::park::"), Some("park"));
        assert_eq!(target("\tactiveHelpVar := "), Some("activeHelpVar"));
        assert_eq!(target("        transport=httpx."), Some("transport"));
        assert_eq!(target("    _Align = "), Some("_Align"));
        assert_eq!(target("    fn fmt(&self, formatter: &mut fmt::"), Some("formatter"));
        assert_eq!(target("            inner: "), Some("inner"));
        assert_eq!(target("    total += "), Some("total"));
        // Comparisons, tuples, short names and lines without a target.
        assert_eq!(target("    if count == "), None);
        assert_eq!(target("    let (rd, wd) = io::"), None);
        assert_eq!(target("\tf, err := c."), None);
        assert_eq!(target("    c = "), None);
        assert_eq!(target("    return "), None);
        assert_eq!(target("x = 1\n    return "), None);
        assert_eq!(target("    match x { Some(v) => "), None);
        assert_eq!(target("    client = httpx.Cli"), None);
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(name_parts("activeHelpEnvVar"), ["active", "help", "env", "var"]);
        assert_eq!(name_parts("HTTPStatusError"), ["http", "status", "error"]);
        assert_eq!(name_parts("CachedParkThread"), ["cached", "park", "thread"]);
        assert_eq!(name_parts("_Align"), ["align"]);
        assert_eq!(name_parts("sleep_until"), ["sleep", "until"]);
        assert_eq!(name_parts("x"), Vec::<String>::new());
    }

    #[test]
    fn the_closest_name_scores_highest() {
        let target = name_parts("activeHelpVar");
        let exact = match_score(&target, "activeHelpEnvVar");
        assert!(exact > match_score(&target, "activeHelpAnnotation"));
        assert!(match_score(&target, "activeHelpAnnotation") > match_score(&target, "helpFunc"));
        assert_eq!(match_score(&target, "Command"), 0.0);
        // A plural matches its singular.
        assert!(match_score(&name_parts("Levels"), "Level") == 1.0);
        let client = name_parts("client");
        assert_eq!(match_score(&client, "Client"), 1.0);
        assert!(match_score(&client, "Client") > match_score(&client, "AsyncClient"));
    }
}
