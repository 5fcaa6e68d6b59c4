//! `infill check` against the built binary: exit codes, formats, SARIF validated against the
//! official 2.1.0 schema (with Python's jsonschema, installed by tests/security/pyenv.sh),
//! ignore files, suppression comments and `--diff`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const PLANTED: &str = "import sqlite3\n\n\ndef find_user(conn, name):\n    cur = conn.cursor()\n    \
                       cur.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")\n    \
                       return cur.fetchall()\n";
const PARAMETERIZED: &str = "import sqlite3\n\n\ndef find_user(conn, name):\n    cur = conn.cursor()\n    \
                             cur.execute(\"SELECT * FROM users WHERE name = ?\", (name,))\n    \
                             return cur.fetchall()\n";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn infill_check(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infill"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run infill check")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("an exit code")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Validates a SARIF document against the committed schema; panics with the errors.
fn assert_valid_sarif(sarif: &str) {
    let pyenv = repo_root().join("tests/security/pyenv.sh");
    let python = Command::new("bash").arg(&pyenv).output().expect("run tests/security/pyenv.sh");
    assert!(
        python.status.success(),
        "tests/security/pyenv.sh failed: {}",
        String::from_utf8_lossy(&python.stderr)
    );
    let python = String::from_utf8_lossy(&python.stdout).trim().to_owned();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), sarif).unwrap();
    let validation = Command::new(&python)
        .arg(repo_root().join("tests/security/validate_sarif.py"))
        .arg(file.path())
        .output()
        .expect("run validate_sarif.py");
    assert!(
        validation.status.success(),
        "SARIF does not validate:\n{}\n{sarif}",
        String::from_utf8_lossy(&validation.stderr)
    );
}

#[test]
fn sarif_fails_on_a_planted_sql_injection_and_passes_when_parameterized() {
    let dir = project(&[("app/users.py", PLANTED), ("README.md", "# app\n")]);
    let output = infill_check(dir.path(), &["--format", "sarif"]);
    assert_eq!(code(&output), 1, "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let sarif = stdout(&output);
    assert_valid_sarif(&sarif);
    let value: Value = serde_json::from_str(&sarif).unwrap();
    let results = value["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif}");
    assert_eq!(results[0]["ruleId"], "sql-injection");
    assert_eq!(results[0]["level"], "error");
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "app/users.py");
    assert_eq!(location["region"]["startLine"], 6);
    assert_eq!(location["region"]["startColumn"], 5);
    let rules = value["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let index = results[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "sql-injection");

    std::fs::write(dir.path().join("app/users.py"), PARAMETERIZED).unwrap();
    let output = infill_check(dir.path(), &["--format", "sarif"]);
    assert_eq!(code(&output), 0);
    let sarif = stdout(&output);
    assert_valid_sarif(&sarif);
    let value: Value = serde_json::from_str(&sarif).unwrap();
    assert!(value["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn text_and_json_report_the_same_findings() {
    let dir = project(&[
        ("src/run.js", "const cp = require('child_process');\ncp.exec('ls ' + dir);\n"),
        ("src/ok.js", "const x = 1;\n"),
    ]);
    let text = infill_check(dir.path(), &[]);
    assert_eq!(code(&text), 1);
    let text = stdout(&text);
    assert!(text.contains("src/run.js:2:1: high [command-injection]"), "{text}");
    assert!(text.contains("1 finding (1 high, 0 medium, 0 low) in 2 files checked"), "{text}");

    let json = infill_check(dir.path(), &["--format", "json", "src"]);
    assert_eq!(code(&json), 1);
    let value: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(value["files_checked"], 2);
    let finding = &value["findings"][0];
    assert_eq!(finding["path"], "src/run.js");
    assert_eq!(finding["rule_id"], "command-injection");
    assert_eq!(finding["cwe"], 78);
    assert_eq!(finding["start"]["line"], 2);
    assert_eq!(finding["snippet"], "cp.exec('ls ' + dir)");
}

#[test]
fn the_threshold_decides_the_exit_code() {
    // Only a medium finding: a hard-coded credential.
    let dir = project(&[("config.py", "DB_PASSWORD = \"Sup3rS3cret!\"\n")]);
    assert_eq!(code(&infill_check(dir.path(), &[])), 1);
    assert_eq!(code(&infill_check(dir.path(), &["--fail-on", "medium"])), 1);
    let high = infill_check(dir.path(), &["--fail-on", "high"]);
    assert_eq!(code(&high), 0);
    assert!(stdout(&high).contains("1 finding"), "the finding is still reported");
}

#[test]
fn ignore_files_and_suppression_comments_are_honoured() {
    let dir = project(&[
        (".gitignore", "generated/\n"),
        ("generated/models.py", "import pickle\nobj = pickle.loads(blob)\n"),
        (
            "app.py",
            "import pickle\nobj = pickle.loads(blob)  # infill-ignore: insecure-deserialization\n",
        ),
    ]);
    let output = infill_check(dir.path(), &[]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    // Naming an ignored file checks it anyway.
    assert_eq!(code(&infill_check(dir.path(), &["generated/models.py"])), 1);
}

#[test]
fn diff_keeps_only_findings_on_added_lines() {
    let dir = project(&[("app.py", "import os\nos.system('ls ' + old)\n")]);
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.invalid",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run git");
        assert!(
            status.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    assert_eq!(code(&infill_check(dir.path(), &["--diff", "HEAD"])), 0, "nothing changed yet");
    std::fs::write(
        dir.path().join("app.py"),
        "import os\nos.system('ls ' + old)\nos.system('rm ' + new)\n",
    )
    .unwrap();
    let output = infill_check(dir.path(), &["--diff", "HEAD", "--format", "json"]);
    assert_eq!(code(&output), 1);
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let findings = value["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{value}");
    assert_eq!(findings[0]["start"]["line"], 3);
    assert_eq!(code(&infill_check(dir.path(), &[])), 1, "without --diff both are found");
}

#[test]
fn usage_and_io_errors_exit_with_two() {
    let dir = project(&[("a.py", "x = 1\n")]);
    let missing = infill_check(dir.path(), &["no/such/dir"]);
    assert_eq!(code(&missing), 2);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/dir"));
    assert_eq!(code(&infill_check(dir.path(), &["--fail-on", "urgent"])), 2);
    assert_eq!(code(&infill_check(dir.path(), &["--format", "xml"])), 2);
    let not_a_repo = infill_check(dir.path(), &["--diff", "HEAD"]);
    assert_eq!(code(&not_a_repo), 2);
    assert!(String::from_utf8_lossy(&not_a_repo.stderr).contains("git"));
    let bad_rules = infill_check(dir.path(), &["--rules", "no/rules"]);
    assert_eq!(code(&bad_rules), 2);
}
