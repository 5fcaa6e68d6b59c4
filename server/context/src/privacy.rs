//! The privacy filter: which files may never be read into a snippet, and which lines are masked
//! wherever they appear.
//!
//! Three layers, each one applied at a different point:
//!
//! 1. [`is_secret_path`]: files whose *name* says they hold credentials (`.env*`, `*.pem`,
//!    `id_rsa*`, `credentials*`, `*secret*`, …). The walker never reads them and
//!    [`WorkspaceIndex::update_file`](crate::WorkspaceIndex::update_file) refuses them.
//! 2. [`PathFilter`]: the user's globs (`IndexOptions::exclude_globs` and `.infillignore` files),
//!    plus the rule that nothing outside the workspace roots is read and no symlink is followed.
//!    [`PathFilter::is_private`] applies layers 1 and 2 to a buffer the editor opened: such a
//!    buffer gets no completion at all.
//! 3. [`redact`]: lines that look like secrets (cloud access keys, tokens, private-key blocks,
//!    high-entropy literals assigned to names such as `password` or `api_key`) are masked in every
//!    snippet. The completion prompt masks the current buffer's window with [`redact_window`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use regex::{Regex, RegexSet};

/// The text that replaces a masked line (after its indentation).
pub const REDACTED: &str = "<redacted>";

/// The name of the per-directory ignore file that only Infill reads (gitignore syntax).
pub const IGNORE_FILE_NAME: &str = ".infillignore";

/// File-name globs of files that hold credentials. Matched case-insensitively against the file
/// name only.
const SECRET_NAME_GLOBS: &[&str] = &[
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "*.asc",
    "*.gpg",
    "*.ovpn",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "credentials*",
    "*credential*",
    "*secret*",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    ".htpasswd",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfvars",
    "service-account*.json",
    "*serviceaccount*.json",
];

/// Directory names whose contents are secret wholesale.
const SECRET_DIR_NAMES: &[&str] = &[".ssh", ".gnupg", ".aws", ".docker", ".kube"];

static SECRET_NAMES: LazyLock<GlobSet> = LazyLock::new(|| {
    let mut builder = GlobSetBuilder::new();
    for pattern in SECRET_NAME_GLOBS {
        if let Ok(glob) = Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
});

/// Whether a file's name or one of its directories marks it as holding credentials. Such files
/// are never read, indexed or put into a prompt.
pub fn is_secret_path(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if SECRET_NAMES.is_match(&lower) {
        return true;
    }
    path.components().any(|component| {
        component
            .as_os_str()
            .to_str()
            .is_some_and(|part| SECRET_DIR_NAMES.iter().any(|dir| dir.eq_ignore_ascii_case(part)))
    })
}

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

/// The user's exclusions and the workspace boundary: which paths may be read at all.
#[derive(Debug)]
pub struct PathFilter {
    roots: Vec<PathBuf>,
    globs: GlobSet,
    /// Per directory, its parsed `.infillignore` (None when it has none). Filled lazily.
    ignore_files: Mutex<HashMap<PathBuf, Option<Gitignore>>>,
}

impl Default for PathFilter {
    fn default() -> Self {
        PathFilter::new(Vec::new(), &[])
    }
}

/// Why a path may not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Not inside any workspace root.
    OutsideRoots,
    /// The name marks a credentials file.
    Secret,
    /// A user glob or `.infillignore` excludes it.
    Excluded,
}

impl PathFilter {
    /// `exclude_globs` are matched against the path relative to its root (and, for patterns
    /// without a `/`, against the file name too). Invalid globs are logged and ignored.
    pub fn new(roots: Vec<PathBuf>, exclude_globs: &[String]) -> PathFilter {
        let mut builder = GlobSetBuilder::new();
        for pattern in exclude_globs {
            let patterns = if pattern.contains('/') {
                vec![pattern.trim_start_matches('/').to_owned()]
            } else {
                vec![pattern.clone(), format!("**/{pattern}"), format!("**/{pattern}/**")]
            };
            for pattern in patterns {
                match Glob::new(&pattern) {
                    Ok(glob) => {
                        builder.add(glob);
                    }
                    Err(error) => tracing::warn!(%pattern, %error, "ignoring invalid exclude glob"),
                }
            }
        }
        let globs = builder.build().unwrap_or_else(|_| GlobSet::empty());
        PathFilter { roots, globs, ignore_files: Mutex::new(HashMap::new()) }
    }

    /// The workspace roots.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The root that holds `path` (lexically), if any.
    pub fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots
            .iter()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.as_os_str().len())
            .map(PathBuf::as_path)
    }

    /// Whether the user's globs exclude `path` (relative path tested).
    pub fn glob_excluded(&self, root: &Path, path: &Path) -> bool {
        let relative = path.strip_prefix(root).unwrap_or(path);
        self.globs.is_match(relative)
    }

    /// Checks a path that arrives from outside the walker (an editor buffer): inside a root, not
    /// a secret, not excluded by globs or by any `.infillignore` between it and its root.
    pub fn check(&self, path: &Path) -> Result<(), Denied> {
        let Some(root) = self.root_of(path) else {
            return Err(Denied::OutsideRoots);
        };
        if is_secret_path(path) {
            return Err(Denied::Secret);
        }
        if self.glob_excluded(root, path) || self.infillignored(root, path) {
            return Err(Denied::Excluded);
        }
        Ok(())
    }

    /// Whether the text of an editor buffer at `path` must stay out of every prompt: its name
    /// marks a credentials file ([`is_secret_path`]), or the user's globs or an `.infillignore`
    /// between it and its root exclude it. Unlike [`PathFilter::check`], being outside the roots
    /// is no reason by itself: such a file gets the name check, and the globs matched against its
    /// whole path. `.infillignore` files are read afresh, not from the cache, so an edit to one
    /// applies to the next request even when the client reports no file changes.
    pub fn is_private(&self, path: &Path) -> bool {
        if is_secret_path(path) {
            return true;
        }
        match self.root_of(path) {
            Some(root) => {
                self.glob_excluded(root, path)
                    || dirs_within(root, path)
                        .any(|dir| ignore_file_in(dir).is_some_and(|m| ignores(&m, path)))
            }
            None => self.globs.is_match(path),
        }
    }

    fn infillignored(&self, root: &Path, path: &Path) -> bool {
        let Ok(mut cache) = self.ignore_files.lock() else {
            return false;
        };
        dirs_within(root, path).any(|dir| {
            cache
                .entry(dir.to_path_buf())
                .or_insert_with(|| ignore_file_in(dir))
                .as_ref()
                .is_some_and(|matcher| ignores(matcher, path))
        })
    }

    /// Forgets cached `.infillignore` files (call when one changes).
    pub fn clear_cache(&self) {
        if let Ok(mut cache) = self.ignore_files.lock() {
            cache.clear();
        }
    }
}

/// The directories from `path`'s parent up to `root`, deepest first.
fn dirs_within<'a>(root: &'a Path, path: &'a Path) -> impl Iterator<Item = &'a Path> {
    path.ancestors().skip(1).take_while(move |dir| dir.starts_with(root))
}

/// The parsed `.infillignore` of `dir`, when it has one.
fn ignore_file_in(dir: &Path) -> Option<Gitignore> {
    let file = dir.join(IGNORE_FILE_NAME);
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    builder.add(file);
    builder.build().ok()
}

fn ignores(matcher: &Gitignore, path: &Path) -> bool {
    matcher.matched_path_or_any_parents(path, false).is_ignore()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_paths() {
        for path in [
            ".env",
            "app/.env.production",
            "certs/server.pem",
            "tls.key",
            "home/.ssh/id_rsa",
            "id_ed25519.pub",
            "store.p12",
            "cert.pfx",
            "aws/credentials",
            "config/credentials.json",
            "client_secret.json",
            "my-secrets.yaml",
            ".netrc",
            ".npmrc",
            ".pypirc",
            "vault.kdbx",
            "x/.aws/config",
        ] {
            assert!(is_secret_path(Path::new(path)), "{path} should be secret");
        }
        for path in
            ["src/main.rs", "environment.py", "keyboard.c", "src/tokens.rs", "lib/pem_parser.go"]
        {
            assert!(!is_secret_path(Path::new(path)), "{path} should not be secret");
        }
    }

    #[test]
    fn redacts_planted_secrets() {
        let planted = [
            "aws_key = \"AKIAIOSFODNN7EXAMPLF\"",
            "token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "let t = \"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz\";",
            "SLACK = 'xoxb-123456789012-abcdefghijkl'",
            "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEv...\\n\",",
            "password = \"hT7#kq9!Zp2@xL\"",
            "API_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "db_url = \"postgres://admin:s3cr3tpw@db.internal:5432/app\"",
        ];
        for line in planted {
            assert!(is_secret_line(line), "{line} should be masked");
            let text = format!("before\n{line}\nafter\n");
            let redacted = redact(&text);
            assert_eq!(
                redacted,
                format!("before\n{}\nafter\n", {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    format!("{indent}{REDACTED}")
                })
            );
        }
        let key = "x = 1\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabcdef\n-----END RSA PRIVATE KEY-----\ny = 2\n";
        let redacted = redact(key);
        assert!(!redacted.contains("MIIEowIBAAKCAQEA"));
        assert!(redacted.starts_with("x = 1\n") && redacted.ends_with("y = 2\n"));
        assert_eq!(redacted.lines().count(), key.lines().count());
    }

    #[test]
    fn leaves_ordinary_code_alone() {
        for line in [
            "let token = lexer.next_token();",
            "password = input(\"Password: \")",
            "def get_secret(name): return vault.read(name)",
            "const apiKey = process.env.API_KEY;",
            "if token.kind == TokenKind::Ident {",
            "secret_len: usize,",
            "url = \"https://example.com/path\"",
        ] {
            assert!(!is_secret_line(line), "{line} should stay");
        }
        let code = "fn main() {\n    println!(\"hi\");\n}\n";
        assert!(matches!(redact(code), Cow::Borrowed(_)));
    }

    #[test]
    fn a_window_is_redacted_on_both_sides_of_the_cursor() {
        let text = "a = 1\nAPI_KEY = \"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\"\nb = 2\n";
        let line = text.find("API_KEY").unwrap();
        let token = text.find("ghp_").unwrap();
        let ends = |(prefix, suffix): (Cow<'_, str>, Cow<'_, str>)| {
            (prefix.into_owned(), suffix.into_owned())
        };
        // The cursor after the secret line: the prefix keeps its lines, the secret masked.
        let cursor = text.find("b = 2").unwrap();
        let (prefix, suffix) = ends(redact_window(text, 0..cursor, cursor..text.len()));
        assert_eq!(prefix, format!("a = 1\n{REDACTED}\n"));
        assert_eq!(suffix, "b = 2\n");
        // The cursor inside the token: neither half of it leaks, the mask goes before the cursor.
        let cursor = token + 10;
        let (prefix, suffix) = ends(redact_window(text, 0..cursor, cursor..text.len()));
        assert_eq!(prefix, format!("a = 1\n{REDACTED}"));
        assert_eq!(suffix, "\nb = 2\n");
        // The cursor at the start of the secret line: the mask goes after it.
        let (prefix, suffix) = ends(redact_window(text, 0..line, line..text.len()));
        assert_eq!(prefix, "a = 1\n");
        assert_eq!(suffix, format!("{REDACTED}\nb = 2\n"));
        // A window that starts inside the secret line judges the whole line.
        let (prefix, _) = ends(redact_window(text, token + 20..text.len(), text.len()..text.len()));
        assert!(!prefix.contains("XyZ0123456789"), "{prefix}");
        // Clean text is borrowed as it is.
        let clean = "fn main() {\n    run();\n}\n";
        let (prefix, suffix) = redact_window(clean, 0..12, 12..clean.len());
        assert!(matches!(prefix, Cow::Borrowed("fn main() {\n")));
        assert!(matches!(suffix, Cow::Borrowed("    run();\n}\n")));
    }

    #[test]
    fn a_key_block_that_begins_before_the_window_is_masked_inside_it() {
        let text = "x = 1\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nQWERTYuiop123\n-----END RSA PRIVATE KEY-----\ny = 2\n";
        let start = text.find("MIIE").unwrap();
        let cursor = text.find("QWERTY").unwrap() + 3;
        let (prefix, suffix) = redact_window(text, start..cursor, cursor..text.len());
        assert_eq!(prefix, format!("{REDACTED}\n{REDACTED}"));
        assert_eq!(suffix, format!("\n{REDACTED}\ny = 2\n"));
        // After the block's end, nothing is masked.
        let after = text.find("y = 2").unwrap();
        let (prefix, _) = redact_window(text, after..text.len(), text.len()..text.len());
        assert!(matches!(prefix, Cow::Borrowed("y = 2\n")));
    }

    #[test]
    fn open_buffers_are_private_by_name_glob_or_infillignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("sub/private")).unwrap();
        let filter = PathFilter::new(vec![root.clone()], &["secret/**".into(), "*.min.js".into()]);
        assert!(filter.is_private(&root.join(".env")));
        assert!(filter.is_private(&root.join("config/.env.local")));
        assert!(filter.is_private(&root.join("secret/notes.py")));
        assert!(filter.is_private(&root.join("web/app.min.js")));
        assert!(!filter.is_private(&root.join("src/main.py")));
        assert!(!filter.is_private(&root.join("sub/private/a.py")));
        // An `.infillignore` written after the filter was made applies at once.
        std::fs::write(root.join("sub/.infillignore"), "private/\n").unwrap();
        assert!(filter.is_private(&root.join("sub/private/a.py")));
        assert!(!filter.is_private(&root.join("sub/a.py")));
        // Outside the roots: the name check, and the globs on the whole path.
        assert!(filter.is_private(Path::new("/elsewhere/.env")));
        assert!(filter.is_private(Path::new("/home/u/.ssh/config")));
        assert!(filter.is_private(Path::new("/elsewhere/bundle.min.js")));
        assert!(!filter.is_private(Path::new("/elsewhere/main.py")));
    }

    #[test]
    fn path_filter_globs_and_roots() {
        let filter =
            PathFilter::new(vec![PathBuf::from("/w")], &["generated".into(), "*.min.js".into()]);
        assert_eq!(filter.check(Path::new("/elsewhere/a.rs")), Err(Denied::OutsideRoots));
        assert_eq!(filter.check(Path::new("/w/.env")), Err(Denied::Secret));
        assert_eq!(filter.check(Path::new("/w/src/generated/x.rs")), Err(Denied::Excluded));
        assert_eq!(filter.check(Path::new("/w/app.min.js")), Err(Denied::Excluded));
        assert_eq!(filter.check(Path::new("/w/src/main.rs")), Ok(()));
    }
}
