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

mod filter;
mod lines;

use std::path::Path;
use std::sync::LazyLock;

use globset::{Glob, GlobSet, GlobSetBuilder};

pub use filter::{Denied, PathFilter};
pub use lines::{contains_secret, is_secret_line, redact, redact_window};

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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::path::PathBuf;

    use super::lines::*;
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
        // An `.infillignore` written after the filter was made applies once the cache is
        // cleared (the server does that when the editor reports the file changed).
        std::fs::write(root.join("sub/.infillignore"), "private/\n").unwrap();
        filter.clear_cache();
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
