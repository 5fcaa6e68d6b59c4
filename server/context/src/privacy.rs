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
//! 3. [`redact`]: lines that look like secrets (cloud access keys, tokens, private-key blocks,
//!    high-entropy literals assigned to names such as `password` or `api_key`) are masked in every
//!    snippet. The completion path runs the same function over the current buffer.

use std::borrow::Cow;
use std::collections::HashMap;
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

    fn infillignored(&self, root: &Path, path: &Path) -> bool {
        let Ok(mut cache) = self.ignore_files.lock() else {
            return false;
        };
        let mut dir = path.parent();
        while let Some(current) = dir {
            if !current.starts_with(root) {
                break;
            }
            let matcher = cache.entry(current.to_path_buf()).or_insert_with(|| {
                let file = current.join(IGNORE_FILE_NAME);
                if !file.is_file() {
                    return None;
                }
                let mut builder = GitignoreBuilder::new(current);
                builder.add(file);
                builder.build().ok()
            });
            if let Some(matcher) = matcher
                && matcher.matched_path_or_any_parents(path, false).is_ignore()
            {
                return true;
            }
            dir = current.parent();
        }
        false
    }

    /// Forgets cached `.infillignore` files (call when one changes).
    pub fn clear_cache(&self) {
        if let Ok(mut cache) = self.ignore_files.lock() {
            cache.clear();
        }
    }
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
