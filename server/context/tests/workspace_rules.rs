//! The workspace rules through the fixture projects: privacy, what is skipped and why,
//! symlinks, incremental updates and the ranking's budget and order.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use infill_context::*;

const SECRETS: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLQ",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "xoxb-123456789012-abcdefghijkl",
    "MIIEowIBAAKCAQEAsecretkeymaterial",
    "hT7#kq9!Zp2@xL",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
];

#[test]
fn secrets_never_reach_snippets() {
    let f = fixture(
        r#"
//- /config.py
AWS_KEY = "AKIAIOSFODNN7EXAMPLQ"
GITHUB = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
password = "hT7#kq9!Zp2@xL"

def connect(host):
    """Connects using the configured keys."""
    slack = "xoxb-123456789012-abcdefghijkl"
    return host

KEY = """
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAsecretkeymaterial
-----END RSA PRIVATE KEY-----
"""
//- /.env
GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnop
//- /credentials.py
def connect_token():
    return "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"
//- /secrets/deploy.pem
-----BEGIN PRIVATE KEY-----
//- /app.py
import config
from config import connect, password

def main():
    connect("db")
    connect_token()
    print(password, config.AWS_KEY, config.GITHUB, config.KEY)
"#,
    );
    assert!(
        f.report
            .skipped
            .iter()
            .any(|s| s.path.ends_with("credentials.py") && s.reason == SkipReason::Secret)
    );
    assert!(f.index.file_info(&f.path("credentials.py")).is_none());
    let text = std::fs::read_to_string(f.path("app.py")).unwrap();
    for cursor in (0..text.len()).step_by(7) {
        let result = f.index.rank(&ContextRequest::new(&f.path("app.py"), &text, cursor, 4096));
        let json = serde_json::to_string(&result).unwrap();
        for secret in SECRETS {
            assert!(!json.contains(secret), "{secret} leaked at cursor {cursor}: {json}");
        }
    }
    let result = f.rank_after("app.py", "connect(\"db\")", 4096);
    assert!(result.snippets.iter().any(|s| s.text.contains("def connect")), "{result:#?}");
    // The same filter for the current buffer.
    let redacted =
        infill_context::redact(&std::fs::read_to_string(f.path("config.py")).unwrap()).into_owned();
    for secret in SECRETS {
        assert!(!redacted.contains(secret));
    }
    // Editor buffers of secret files are refused too.
    assert!(
        !f.index
            .update_file(&f.path(".env.local"), "TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n")
    );
    assert!(!f.index.update_file(Path::new("/etc/outside.py"), "x = 1\n"));
}

#[test]
fn skips_binary_oversized_ignored_and_excluded_files() {
    let (dir, root) = write_fixture(
        r#"
//- /.gitignore
build/
//- /.infillignore
private/
//- /build/gen.py
def generated(): pass
//- /private/notes.py
def private_note(): pass
//- /vendor/lib.py
def vendored(): pass
//- /main.py
def main(): pass
"#,
    );
    std::fs::write(root.join("blob.py"), b"def x():\n\0\0\0binary").unwrap();
    std::fs::write(root.join("huge.py"), "x = 1\n".repeat(2000)).unwrap();
    let index = WorkspaceIndex::default();
    let options = IndexOptions {
        max_file_bytes: 4096,
        exclude_globs: vec!["vendor".into()],
        ..Default::default()
    };
    let progress = std::cell::RefCell::new(Vec::new());
    let report =
        index.index_root(&root, &options, &|done, total| progress.borrow_mut().push((done, total)));
    assert_eq!(index.paths(), [root.join("main.py")]);
    assert_eq!(report.indexed, 1);
    let reason = |name: &str| {
        report.skipped.iter().find(|s| s.path.ends_with(name)).map(|s| s.reason.clone())
    };
    assert_eq!(reason("blob.py"), Some(SkipReason::Binary));
    assert!(matches!(reason("huge.py"), Some(SkipReason::TooLarge { limit: 4096, .. })));
    assert_eq!(reason("vendor/lib.py"), Some(SkipReason::Excluded));
    assert_eq!(reason("private/notes.py"), None, "ignored files are silently skipped");
    assert_eq!(progress.borrow().last(), Some(&(3, 3)));
    // .infillignore also guards editor buffers.
    assert!(!index.update_file(&root.join("private/other.py"), "def x(): pass\n"));
    assert!(!index.update_file(&root.join("vendor/other.py"), "def x(): pass\n"));
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"reason\":\"binary\""));
    drop(dir);
}

#[cfg(unix)]
#[test]
fn never_follows_symlinks_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("leak.py"), "def leaked_function(): pass\n").unwrap();
    let (dir, root) = write_fixture("//- /main.py\nleaked_function()\n");
    std::os::unix::fs::symlink(outside.path().join("leak.py"), root.join("link.py")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("linkdir")).unwrap();
    let index = WorkspaceIndex::default();
    let report = index.index_root(&root, &IndexOptions::default(), &|_, _| {});
    assert_eq!(index.paths(), [root.join("main.py")]);
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.path.ends_with("link.py") && s.reason == SkipReason::Symlink)
    );
    assert!(index.definitions_named("leaked_function").is_empty());
    drop(dir);
}

#[test]
fn incremental_update_remove_rename() {
    let f = fixture(
        r#"
//- /a.py
from b import helper
helper()
//- /b.py
def helper():
    return 1
//- /c.py
def other():
    return 2
"#,
    );
    assert_eq!(f.resolved("a.py"), ["b.py"]);
    // An edit switches the import to c.py.
    let a = f.path("a.py");
    assert!(f.index.update_file(&a, "from c import other\nother()\n"));
    assert_eq!(f.resolved("a.py"), ["c.py"]);
    assert!(f.index.file_info(&f.path("b.py")).unwrap().importers.is_empty());
    assert_eq!(f.index.file_info(&f.path("c.py")).unwrap().importers, std::slice::from_ref(&a));
    // A new definition becomes findable at once.
    assert!(f.index.update_file(
        &f.path("c.py"),
        "def other():\n    return 2\n\ndef fresh_name():\n    pass\n"
    ));
    assert_eq!(f.index.definitions_named("fresh_name").len(), 1);
    // Removing c.py leaves a.py's import unresolved.
    assert!(f.index.remove_file(&f.path("c.py")));
    let info = f.index.file_info(&a).unwrap();
    assert_ne!(info.imports[0].status, "resolved");
    assert!(f.index.definitions_named("fresh_name").is_empty());
    // Renaming b.py to c.py resolves it again, and b.py is gone.
    assert!(f.index.rename_file(&f.path("b.py"), &f.path("c.py")));
    assert!(f.index.file_info(&f.path("b.py")).is_none());
    assert_eq!(f.resolved("a.py"), ["c.py"]);
    assert_eq!(f.index.definitions_named("helper")[0].path, f.path("c.py"));
    // A brand-new file appears through update_file and satisfies a waiting import.
    assert!(f.index.update_file(&a, "from d import late\nlate()\n"));
    assert_ne!(f.index.file_info(&a).unwrap().imports[0].status, "resolved");
    assert!(f.index.update_file(&f.path("d.py"), "def late():\n    pass\n"));
    assert_eq!(f.resolved("a.py"), ["d.py"]);
}

#[test]
fn default_max_file_size_is_one_mebibyte() {
    assert_eq!(IndexOptions::default().max_file_bytes, 1_048_576);
}

#[test]
fn rename_file_respects_the_size_limit() {
    let options = IndexOptions { max_file_bytes: 64, ..IndexOptions::default() };
    let f = fixture_with(
        r#"
//- /small.py
def small():
    return 1
//- /big.py
def big():
    return "a long enough body to be over the sixty-four byte limit"
"#,
        &options,
    );
    assert!(f.index.file_info(&f.path("small.py")).is_some());
    assert!(f.index.file_info(&f.path("big.py")).is_none(), "skipped: too large");
    // A small indexed file moves as before.
    std::fs::rename(f.path("small.py"), f.path("moved.py")).unwrap();
    assert!(f.index.rename_file(&f.path("small.py"), &f.path("moved.py")));
    assert_eq!(f.index.definitions_named("small")[0].path, f.path("moved.py"));
    // An unindexed file over the limit, renamed on disk, is not read into the index.
    std::fs::rename(f.path("big.py"), f.path("renamed_big.py")).unwrap();
    assert!(!f.index.rename_file(&f.path("big.py"), &f.path("renamed_big.py")));
    assert!(f.index.file_info(&f.path("renamed_big.py")).is_none());
    // Nor is an indexed text that grew past the limit (edits bring any size).
    let grown = format!("def grown():\n    return {:?}\n", "x".repeat(100));
    assert!(f.index.update_file(&f.path("moved.py"), &grown));
    assert!(f.index.rename_file(&f.path("moved.py"), &f.path("again.py")), "removed");
    assert!(f.index.file_info(&f.path("moved.py")).is_none());
    assert!(f.index.file_info(&f.path("again.py")).is_none());
    assert!(f.index.definitions_named("grown").is_empty());
}

#[test]
fn recency_and_similarity_bring_context() {
    let f = fixture(
        r#"
//- /notes/alpha.py
def unrelated():
    customer_ledger_balance = compute_ledger(customer_ledger_rows)
    return customer_ledger_balance
//- /notes/beta.py
def also_unrelated():
    return 1
//- /main.py
def work():
    customer_ledger_balance = compute_ledger(customer_ledger_rows)
"#,
    );
    f.index.note_opened(&f.path("notes/beta.py"));
    let result = f.rank_after("main.py", "customer_ledger_rows)", 1024);
    let alpha = result
        .snippets
        .iter()
        .find(|s| s.path == f.path("notes/alpha.py"))
        .expect("similar window");
    assert_eq!(alpha.kind, SnippetKind::Window);
    assert!(alpha.reason.contains("jaccard"));
}

#[test]
fn skeletons_when_bodies_do_not_fit_and_budget_holds() {
    let mut body = String::new();
    for i in 0..120 {
        body.push_str(&format!("        total += {i} * self.factor\n"));
    }
    let spec = format!(
        "//- /big.py\nclass Accumulator:\n    \"\"\"Adds numbers.\"\"\"\n    def add_all(self, items):\n        total = 0\n{body}        return total\n\n    def reset(self):\n        self.factor = 1\n//- /use.py\nfrom big import Accumulator\nacc = Accumulator()\nacc.add_all([1])\n"
    );
    let f = fixture(&spec);
    let result = f.rank_after("use.py", "acc = Accumulator", 300);
    assert!(result.tokens_used <= 300, "{}", result.tokens_used);
    let snippet =
        result.snippets.iter().find(|s| s.path == f.path("big.py")).expect("a snippet from big.py");
    assert_eq!(snippet.kind, SnippetKind::Skeleton, "{}", snippet.text);
    assert!(snippet.text.contains("class Accumulator"));
    assert!(snippet.text.contains("def add_all(self, items):"));
    assert!(snippet.text.contains("def reset(self):"));
    assert!(!snippet.text.contains("total += 5 * self.factor"));
}

#[test]
fn output_order_is_stable_across_keystrokes() {
    let f = fixture(
        r#"
//- /shapes.py
class Square:
    def area(self):
        return 1

def make_square():
    return Square()
//- /colors.py
def blend(a, b):
    return a
//- /main.py
from shapes import make_square
from colors import blend

def draw():
    s = make_square()
    c = blend(1, 2)
    return s
"#,
    );
    let text = std::fs::read_to_string(f.path("main.py")).unwrap();
    let first = text.find("s = make_square()").unwrap();
    let second = text.find("c = blend").unwrap() + 9;
    let a = f.index.rank(&ContextRequest::new(&f.path("main.py"), &text, first, 2048));
    let b = f.index.rank(&ContextRequest::new(&f.path("main.py"), &text, second, 2048));
    // Names imported explicitly are "stable": both requests start with them in path order.
    let stable = |r: &ContextResult| -> Vec<(PathBuf, u32)> {
        r.snippets
            .iter()
            .filter(|s| s.reason.contains("named in an import"))
            .map(|s| (s.path.clone(), s.start_line))
            .collect()
    };
    assert!(!stable(&a).is_empty());
    assert_eq!(stable(&a), stable(&b));
    assert_eq!(a.snippets[0].path, b.snippets[0].path);
    assert_eq!(a.snippets[0].start_line, b.snippets[0].start_line);
}

#[test]
fn context_result_serializes() {
    let f = fixture("//- /a.py\ndef alpha_fn():\n    pass\n//- /b.py\nalpha_fn()\n");
    let result = f.rank_after("b.py", "alpha_fn", 512);
    let json: serde_json::Value = serde_json::to_value(&result).unwrap();
    let snippet = &json["snippets"][0];
    for key in
        ["path", "start_line", "end_line", "score", "reason", "text", "kind", "relative_path"]
    {
        assert!(!snippet[key].is_null(), "missing {key}: {json}");
    }
    assert_eq!(snippet["relative_path"], "a.py");
}

#[test]
fn index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WorkspaceIndex>();
    assert_send_sync::<ContextResult>();
}
