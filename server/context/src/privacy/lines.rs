//! Layer 3 of the privacy filter: lines that look like secrets, and masking them in a snippet
//! ([`redact`]) or in the completion prompt's window around the cursor ([`redact_window`]).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::REDACTED;

/// Patterns whose presence anywhere in a line marks the line as a secret.
const SECRET_LINE_PATTERNS: &[&str] = &[
    // AWS access key ids.
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",
    // AWS secret access keys in assignments.
    r#"(?i)aws_?secret_?access_?key\s*["']?\s*[:=]"#,
    // GitHub tokens.
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    r"\bgithub_pat_[A-Za-z0-9_]{22,}",
    // Slack tokens and webhooks.
    r"\bxox[baprs]-[A-Za-z0-9-]{10,}",
    r"hooks\.slack\.com/services/[A-Za-z0-9/]+",
    // GCP service-account JSON and Google API keys.
    r#""private_key(?:_id)?"\s*:"#,
    r"\bAIza[0-9A-Za-z_\-]{35}",
    // Stripe, OpenAI, Anthropic, npm and PyPI tokens.
    r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,}",
    r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}",
    r"\bnpm_[A-Za-z0-9]{36}",
    r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{20,}",
    // JSON web tokens.
    r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
    // Credentials inside URLs: scheme://user:password@host
    r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:[^/\s:@]{3,}@[^\s/]+",
    // A one-line private key.
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----",
];

static SECRET_LINES: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(SECRET_LINE_PATTERNS).unwrap_or_else(|_| RegexSet::empty()));

static PRIVATE_KEY_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----").unwrap());
static PRIVATE_KEY_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----").unwrap());

/// `name = "value"` / `name: value` where the name says secret; the value is judged by entropy.
static SECRET_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)([A-Za-z0-9_.\-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api_?key|apikey|access_?key|private_?key|client_?secret|auth_?key|credential|bearer)[A-Za-z0-9_.\-]*)["']?\s*(?::=|=>|[:=])\s*(?:[A-Za-z]*\()?\s*(?:"([^"\s]{6,})"|'([^'\s]{6,})'|`([^`\s]{6,})`|([A-Za-z0-9+/=_\-.~]{16,}))"#,
    )
    .unwrap()
});

/// A cheap pre-check so clean text costs one pass of `memchr`-speed searches.
static TRIGGERS: LazyLock<aho_like::Triggers> = LazyLock::new(aho_like::Triggers::new);

mod aho_like {
    //! Substrings at least one of which occurs in every line that [`super::redact`] masks.
    use regex::bytes::RegexSet;

    pub struct Triggers(RegexSet);

    impl Triggers {
        pub fn new() -> Triggers {
            let set = RegexSet::new([
                r"AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA",
                r"gh[pousr]_|github_pat_|xox[baprs]-|hooks\.slack|AIza|_live_|sk-|npm_|pypi-|eyJ",
                r"PRIVATE KEY|private_key|://",
                r"(?i)passw|pwd|secret|token|api_?key|apikey|access_?key|private_?key|auth_?key|credential|bearer",
            ])
            .unwrap_or_else(|_| RegexSet::empty());
            Triggers(set)
        }

        pub fn any(&self, text: &[u8]) -> bool {
            self.0.is_match(text)
        }
    }
}

/// Shannon entropy in bits per character.
fn entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[byte as usize] += 1;
    }
    let len = value.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = f64::from(count) / len;
            -p * p.log2()
        })
        .sum()
}

/// Whether one line (without its newline) looks like it holds a secret.
pub fn is_secret_line(line: &str) -> bool {
    if !TRIGGERS.any(line.as_bytes()) {
        return false;
    }
    if SECRET_LINES.is_match(line) {
        return true;
    }
    SECRET_ASSIGNMENT.captures_iter(line).any(|captures| {
        let quoted = captures.get(2).or_else(|| captures.get(3)).or_else(|| captures.get(4));
        match (quoted, captures.get(5)) {
            (Some(value), _) => {
                let value = value.as_str();
                // A literal; placeholders and interpolations are not secrets.
                !looks_like_placeholder(value) && (entropy(value) >= 3.0 || value.len() >= 12)
            }
            (None, Some(value)) => {
                let value = value.as_str();
                !looks_like_placeholder(value)
                    && entropy(value) >= 3.5
                    && value.bytes().any(|b| b.is_ascii_digit())
            }
            _ => false,
        }
    })
}

fn looks_like_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.contains("${")
        || lower.contains("{{")
        || lower.starts_with('<')
        || lower.starts_with('%')
        || lower.contains("xxxx")
        || lower.contains("example")
        || lower.contains("changeme")
        || lower.contains("placeholder")
        || lower.contains("your_")
        || lower.contains("your-")
        || lower.contains("process.env")
        || lower.contains("getenv")
        || lower.contains("environ")
        || value.chars().all(|c| c == '*' || c == '.')
}

/// Masks every line that looks like a secret (and every line of a `-----BEGIN … PRIVATE
/// KEY-----` block), keeping line count and indentation so line numbers stay right. Borrows when
/// nothing is masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !TRIGGERS.any(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    let mut in_key_block = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let mut mask = in_key_block;
        if PRIVATE_KEY_BEGIN.is_match(body) {
            // A block when the marker ends the line; one-line keys (JSON strings) end on the line.
            in_key_block = body.trim_end().ends_with("-----") && !PRIVATE_KEY_END.is_match(body);
            mask = true;
        } else if in_key_block {
            if PRIVATE_KEY_END.is_match(body) {
                in_key_block = false;
            }
        } else {
            mask = is_secret_line(body);
        }
        if mask {
            let out = out.get_or_insert_with(|| {
                let mut start = String::with_capacity(text.len());
                start.push_str(&text[..offset]);
                start
            });
            let indent = &body[..body.len() - body.trim_start().len()];
            out.push_str(indent);
            out.push_str(REDACTED);
            out.push_str(&line[body.len()..]);
        } else if let Some(out) = out.as_mut() {
            out.push_str(line);
        }
        offset += line.len();
    }
    match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// Whether the text holds anything [`redact`] would mask.
pub fn contains_secret(text: &str) -> bool {
    matches!(redact(text), Cow::Owned(_))
}

/// [`redact`] for two windows of one text, such as a prompt's prefix (`before`, ending at the
/// cursor) and suffix (`after`, starting there; `before.end <= after.start`), each returned on
/// its own so the split between them stays where it is.
///
/// Lines are judged whole, not as the windows cut them: a secret on the cursor's line is masked
/// on both sides of the cursor (its mask goes into `before`, or into `after` when `before` holds
/// none of it), the first line of a window that starts mid-line is judged with its start, and a
/// private-key block whose `BEGIN` line lies before the windows masks their lines up to its `END`.
/// Borrows when nothing is masked.
pub fn redact_window(
    text: &str,
    before: Range<usize>,
    after: Range<usize>,
) -> (Cow<'_, str>, Cow<'_, str>) {
    let plain = || (Cow::Borrowed(&text[before.clone()]), Cow::Borrowed(&text[after.clone()]));
    let window_start = before.start.min(after.start);
    let window_end = before.end.max(after.end);
    let mut start = text[..window_start].rfind('\n').map_or(0, |newline| newline + 1);
    let end = text[window_end..].find('\n').map_or(text.len(), |newline| window_end + newline + 1);
    if let Some(block_start) = open_key_block_before(text, start) {
        start = block_start;
    }
    let region = &text[start..end];
    let Cow::Owned(masked) = redact(region) else { return plain() };
    let (mut prefix, mut suffix) = (String::new(), String::new());
    let mut line_start = start;
    for (original, masked) in region.split_inclusive('\n').zip(masked.split_inclusive('\n')) {
        let line = line_start..line_start + original.len();
        line_start = line.end;
        if original == masked {
            push_overlap(&mut prefix, text, &line, &before);
            push_overlap(&mut suffix, text, &line, &after);
            continue;
        }
        let body = line.start..line.start + original.trim_end_matches(['\n', '\r']).len();
        let masked_body = masked.trim_end_matches(['\n', '\r']);
        if overlaps(&body, &before) {
            prefix.push_str(masked_body);
        } else if overlaps(&body, &after) {
            suffix.push_str(masked_body);
        }
        let terminator = body.end..line.end;
        push_overlap(&mut prefix, text, &terminator, &before);
        push_overlap(&mut suffix, text, &terminator, &after);
    }
    (Cow::Owned(prefix), Cow::Owned(suffix))
}

/// Where the line starts that opens a private-key block still open at `offset` (a line start).
fn open_key_block_before(text: &str, offset: usize) -> Option<usize> {
    let before = &text[..offset];
    let begin = before.rfind("-----BEGIN ")?;
    let line_start = before[..begin].rfind('\n').map_or(0, |newline| newline + 1);
    let line_end = before[begin..].find('\n').map_or(offset, |newline| begin + newline);
    let line = before[line_start..line_end].trim_end_matches('\r');
    let opens = PRIVATE_KEY_BEGIN.is_match(line)
        && line.trim_end().ends_with("-----")
        && !PRIVATE_KEY_END.is_match(line);
    (opens && !PRIVATE_KEY_END.is_match(&before[line_end..])).then_some(line_start)
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start.max(b.start) < a.end.min(b.end)
}

/// Appends the part of `text[line]` that lies inside `window`.
fn push_overlap(out: &mut String, text: &str, line: &Range<usize>, window: &Range<usize>) {
    let (start, end) = (line.start.max(window.start), line.end.min(window.end));
    if start < end {
        out.push_str(&text[start..end]);
    }
}
