//! Language-agnostic lexical helpers: identifier scanning, token hashing, line tables and the
//! Jaccard similarity used for "similar window" candidates (and by the benchmark's baseline).

/// A hashed identifier. 32 bits keep the per-file token sets and posting lists small; a rare
/// collision only adds noise to a similarity score.
pub type Token = u32;

/// FNV-1a of an identifier, folded to 32 bits; the index stores hashes, not strings.
#[inline]
pub fn token_hash(token: &str) -> Token {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in token.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash ^ (hash >> 32)) as Token
}

#[inline]
fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte == b'$'
}

/// Whether `byte` can continue an identifier (ASCII letters, digits, `_`, `$`).
#[inline]
pub(crate) fn is_ident_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$'
}

/// The identifier ending at `end` in `text` (empty when none).
pub(crate) fn ident_before(text: &str, end: usize) -> &str {
    let bytes = text.as_bytes();
    let mut start = end;
    while start > 0 && is_ident_continue(bytes[start - 1]) {
        start -= 1;
    }
    &text[start..end]
}

/// The identifier starting at `start` in `text` (empty when none).
pub(crate) fn ident_at(text: &str, start: usize) -> &str {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && is_ident_continue(bytes[end]) {
        end += 1;
    }
    &text[start..end]
}

/// `before` without its trailing member access (`::`, `->`, `?.`, `.`), and that separator.
pub(crate) fn strip_member_access(before: &str) -> Option<(&str, &'static str)> {
    ["::", "->", "?.", "."]
        .into_iter()
        .find_map(|separator| before.strip_suffix(separator).map(|head| (head, separator)))
}

/// Every ASCII identifier-like token in `text` with its byte offset. Tokens inside strings and
/// comments are included; that is what lexical similarity wants.
pub fn identifiers(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let byte = bytes[at];
            if is_ident_start(byte) {
                let start = at;
                at += 1;
                while at < bytes.len() && is_ident_continue(bytes[at]) {
                    at += 1;
                }
                return Some((start, &text[start..at]));
            }
            if byte.is_ascii_digit() {
                // Skip numbers with their suffixes (`0x1f`, `10u32`) as one token.
                while at < bytes.len() && is_ident_continue(bytes[at]) {
                    at += 1;
                }
                continue;
            }
            at += 1;
        }
        None
    })
}

/// The sorted, deduplicated hashes of the identifiers (length ≥ 2) in `text`.
pub fn token_set(text: &str) -> Vec<Token> {
    let mut set: Vec<Token> = identifiers(text)
        .filter(|(_, token)| token.len() >= 2)
        .map(|(_, token)| token_hash(token))
        .collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// |a ∩ b| for two sorted, deduplicated slices.
pub fn intersection_len(a: &[Token], b: &[Token]) -> usize {
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                count += 1;
                i += 1;
                j += 1;
            }
        }
    }
    count
}

/// Jaccard similarity of two sorted, deduplicated token sets.
pub fn jaccard(a: &[Token], b: &[Token]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = intersection_len(a, b);
    let union = a.len() + b.len() - common;
    common as f32 / union as f32
}

/// Byte offsets where each line starts (line 0 starts at 0).
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(at, _)| at + 1));
    if starts.last() == Some(&text.len()) && starts.len() > 1 {
        starts.pop();
    }
    starts
}

/// The zero-based line that holds byte `offset`.
pub fn line_of(starts: &[usize], offset: usize) -> usize {
    match starts.binary_search(&offset) {
        Ok(line) => line,
        Err(next) => next.saturating_sub(1),
    }
}

/// Byte range of lines `first..=last` (zero-based, clamped), including the last newline.
pub fn line_range(
    text: &str,
    starts: &[usize],
    first: usize,
    last: usize,
) -> std::ops::Range<usize> {
    let first = first.min(starts.len().saturating_sub(1));
    let start = starts.get(first).copied().unwrap_or(0);
    let end = starts.get(last + 1).copied().unwrap_or(text.len());
    start..end.max(start)
}

/// A window of lines in a file with its token set.
#[derive(Debug, Clone)]
pub struct Window {
    /// Zero-based first line.
    pub start_line: usize,
    /// Zero-based last line, inclusive.
    pub end_line: usize,
    /// Sorted, deduplicated token hashes of its lines.
    pub tokens: Vec<Token>,
}

/// Splits `text` into windows of `size` lines every `stride` lines. Tokens are hashed once per
/// line; each window merges its lines' hashes.
pub fn windows(text: &str, size: usize, stride: usize) -> Vec<Window> {
    let size = size.max(1);
    let stride = stride.max(1);
    // Hashes per line, in one pass over the text.
    let mut per_line: Vec<Vec<Token>> = vec![Vec::new()];
    let mut line_end = text.find('\n').unwrap_or(text.len());
    for (offset, token) in identifiers(text) {
        while offset > line_end {
            per_line.push(Vec::new());
            line_end = text[line_end + 1..].find('\n').map_or(text.len(), |at| line_end + 1 + at);
        }
        if token.len() >= 2 {
            per_line.last_mut().expect("a line").push(token_hash(token));
        }
    }
    let lines = line_starts(text).len().max(per_line.len());
    per_line.resize(lines, Vec::new());
    let mut out = Vec::new();
    let mut first = 0;
    loop {
        let last = (first + size).min(lines).saturating_sub(1);
        let mut tokens: Vec<Token> = per_line[first..=last].iter().flatten().copied().collect();
        tokens.sort_unstable();
        tokens.dedup();
        out.push(Window { start_line: first, end_line: last, tokens });
        if last + 1 >= lines {
            break;
        }
        first += stride;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_identifiers() {
        let found: Vec<&str> =
            identifiers("let x1 = foo_bar(0x1f, $el) + é9;").map(|(_, t)| t).collect();
        assert_eq!(found, ["let", "x1", "foo_bar", "$el"]);
    }

    #[test]
    fn jaccard_basics() {
        let a = token_set("alpha beta gamma");
        let b = token_set("beta gamma delta");
        assert!((jaccard(&a, &b) - 0.5).abs() < 1e-6);
        assert_eq!(jaccard(&a, &[]), 0.0);
    }

    #[test]
    fn lines() {
        let text = "a\nbb\nccc\n";
        let starts = line_starts(text);
        assert_eq!(starts, [0, 2, 5]);
        assert_eq!(line_of(&starts, 3), 1);
        assert_eq!(&text[line_range(text, &starts, 1, 2)], "bb\nccc\n");
        let windows = windows(text, 2, 1);
        assert_eq!(windows.len(), 2);
        assert_eq!((windows[1].start_line, windows[1].end_line), (1, 2));
        let windows = super::windows("aa bb\n\ncc dd\nee\n", 2, 1);
        assert_eq!(windows[0].tokens, token_set("aa bb"));
        assert_eq!(windows[1].tokens, token_set("cc dd"));
        assert_eq!(windows[2].tokens, token_set("cc dd ee"));
    }
}
