//! `infill check`: the security rules (`infill-security`) over files or a whole tree, as text,
//! JSON or SARIF 2.1.0, optionally only on the lines a git revision's diff added; the exit code
//! says whether a finding reached the threshold (0 clean, 1 findings, 2 usage or I/O error).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use infill_security::{Finding, SecurityRules, Severity};
use infill_syntax::LanguageRegistry;
use serde_json::{Value, json};

/// Files larger than this are skipped (with a note): generated or vendored code.
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// The exit code for findings at or above the threshold.
const EXIT_FINDINGS: u8 = 1;
/// The exit code for a usage or I/O error.
const EXIT_ERROR: u8 = 2;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One block per finding, for people.
    Text,
    /// One JSON object with every finding.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
}

/// `infill check` arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the current directory). Directories are walked
    /// respecting .gitignore, .ignore and .infillignore.
    pub paths: Vec<PathBuf>,
    /// Report only findings on lines added since this git revision (`git diff -U0 REV`).
    #[arg(long, value_name = "REV")]
    pub diff: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with 1 when a finding has at least this severity: low, medium or high.
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// A rules directory laid out like `grammars/` (security.toml, <language>/security.scm)
    /// instead of the built-in rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    text.parse()
}

/// One checked file's findings.
struct FileFindings {
    /// The path as shown: relative to the current directory when under it.
    shown: String,
    text: String,
    findings: Vec<Finding>,
}

/// What a run found.
struct Report {
    files: Vec<FileFindings>,
    checked: usize,
}

/// Runs `infill check`; returns the process exit code.
pub fn run(args: &CheckArgs) -> ExitCode {
    match check(args) {
        Ok((report, output)) => {
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = stdout.write_all(output.as_bytes()).and_then(|()| stdout.flush()) {
                eprintln!("infill check: cannot write the report: {error}");
                return ExitCode::from(EXIT_ERROR);
            }
            let failing = report
                .files
                .iter()
                .flat_map(|file| &file.findings)
                .any(|finding| finding.severity >= args.fail_on);
            if failing { ExitCode::from(EXIT_FINDINGS) } else { ExitCode::SUCCESS }
        }
        Err(error) => {
            eprintln!("infill check: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<(Report, String)> {
    let rules = match &args.rules {
        Some(dir) => std::sync::Arc::new(SecurityRules::load(dir)?),
        None => SecurityRules::builtin(),
    };
    let registry = LanguageRegistry::builtin();
    let current_dir = std::env::current_dir().context("cannot read the current directory")?;
    let roots: Vec<PathBuf> =
        if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    for root in &roots {
        if !root.exists() {
            bail!("{}: no such file or directory", root.display());
        }
    }
    let added = match &args.diff {
        Some(revision) => Some(added_lines(revision, &current_dir)?),
        None => None,
    };

    let mut report = Report { files: Vec::new(), checked: 0 };
    for path in files_under(&roots)? {
        let absolute = absolute(&current_dir, &path);
        let lines = match &added {
            Some(added) => match added.get(&absolute) {
                Some(lines) => Some(lines),
                None => continue,
            },
            None => None,
        };
        let Some(language) = registry.for_path(&path) else { continue };
        if !rules.supports(&language) {
            continue;
        }
        let size = std::fs::metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        if size > MAX_FILE_BYTES {
            eprintln!("infill check: skipping {} ({size} bytes, over the limit)", path.display());
            continue;
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut findings = rules.check(&text, &language);
        if let Some(lines) = lines {
            findings.retain(|finding| {
                (finding.range.start.line..=finding.range.end.line)
                    .any(|line| lines.contains(&(line as usize + 1)))
            });
        }
        report.checked += 1;
        if !findings.is_empty() {
            report.files.push(FileFindings {
                shown: shown_path(&current_dir, &path),
                text,
                findings,
            });
        }
    }
    let output = match args.format {
        Format::Text => text_report(&report),
        Format::Json => serde_json::to_string_pretty(&json_report(&report))? + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif_report(&report, &rules))? + "\n",
    };
    Ok((report, output))
}

/// Every file to check, in path order: files named directly, and the files of directories
/// walked with the ignore files respected.
fn files_under(roots: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for root in roots {
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .hidden(true)
            .follow_links(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .ignore(true)
            .parents(true)
            .require_git(false)
            .add_custom_ignore_filename(".infillignore");
        let mut found = Vec::new();
        for entry in builder.build() {
            let entry = entry.with_context(|| format!("cannot walk {}", root.display()))?;
            if entry.file_type().is_some_and(|kind| kind.is_file()) {
                found.push(entry.into_path());
            }
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn absolute(current_dir: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_owned() } else { current_dir.join(path) };
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

fn shown_path(current_dir: &Path, path: &Path) -> String {
    let absolute = absolute(current_dir, path);
    let base = std::fs::canonicalize(current_dir).unwrap_or_else(|_| current_dir.to_owned());
    let shown = absolute.strip_prefix(&base).map(Path::to_owned).unwrap_or(absolute);
    shown.to_string_lossy().replace('\\', "/")
}

/// The lines (1-based) that `git diff -U0 <revision>` adds, per absolute file path.
fn added_lines(
    revision: &str,
    current_dir: &Path,
) -> anyhow::Result<HashMap<PathBuf, std::collections::HashSet<usize>>> {
    if revision.starts_with('-') {
        bail!("--diff takes a revision, not an option: `{revision}`");
    }
    let git = |args: &[&str]| -> anyhow::Result<String> {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(current_dir)
            .output()
            .context("cannot run git (needed by --diff)")?;
        if !output.status.success() {
            bail!(
                "`git {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let diff = git(&[
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        revision,
        "--",
    ])?;
    Ok(parse_added_lines(&diff).into_iter().map(|(path, lines)| (top.join(path), lines)).collect())
}

/// The added lines of a `-U0` unified diff, per path relative to the repository.
fn parse_added_lines(diff: &str) -> HashMap<String, std::collections::HashSet<usize>> {
    let mut out: HashMap<String, std::collections::HashSet<usize>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            current = path.strip_prefix("b/").map(str::to_owned);
            continue;
        }
        let Some(hunk) = line.strip_prefix("@@ ") else { continue };
        let Some(path) = &current else { continue };
        // `@@ -a,b +c,d @@`: d lines added from line c (d is 1 when absent).
        let Some(new_range) = hunk.split_whitespace().find_map(|part| part.strip_prefix('+'))
        else {
            continue;
        };
        let mut numbers = new_range.splitn(2, ',');
        let start: usize = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let count: usize = numbers.next().map_or(Some(1), |n| n.parse().ok()).unwrap_or(0);
        out.entry(path.clone()).or_default().extend(start..start + count);
    }
    out
}

/// 1-based line and column (in characters) of a finding's start or end.
fn line_column(text: &str, byte: usize) -> (usize, usize) {
    let byte = byte.min(text.len());
    let before = text.get(..byte).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before.get(line_start..).map_or(0, |prefix| prefix.chars().count()) + 1;
    (line, column)
}

fn text_report(report: &Report) -> String {
    let mut out = String::new();
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    for file in &report.files {
        for finding in &file.findings {
            *counts.entry(finding.severity).or_default() += 1;
            let (line, column) = line_column(&file.text, finding.range.start_byte);
            let _ = writeln!(
                out,
                "{}:{line}:{column}: {} [{}] {} (CWE-{}, {})\n    {}\n    {}\n    fix: {}\n",
                file.shown,
                finding.severity,
                finding.rule_id,
                finding.title,
                finding.cwe,
                finding.owasp,
                finding.snippet,
                finding.message,
                finding.fix_hint
            );
        }
    }
    let total: usize = counts.values().sum();
    let by_severity: Vec<String> = [Severity::High, Severity::Medium, Severity::Low]
        .iter()
        .map(|severity| format!("{} {severity}", counts.get(severity).copied().unwrap_or(0)))
        .collect();
    let _ = writeln!(
        out,
        "{total} finding{} ({}) in {} file{} checked",
        if total == 1 { "" } else { "s" },
        by_severity.join(", "),
        report.checked,
        if report.checked == 1 { "" } else { "s" }
    );
    out
}

fn json_report(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .files
        .iter()
        .flat_map(|file| {
            file.findings.iter().map(move |finding| {
                let (start_line, start_column) = line_column(&file.text, finding.range.start_byte);
                let (end_line, end_column) = line_column(&file.text, finding.range.end_byte);
                json!({
                    "path": file.shown,
                    "rule_id": finding.rule_id,
                    "title": finding.title,
                    "severity": finding.severity.as_str(),
                    "cwe": finding.cwe,
                    "owasp": finding.owasp,
                    "message": finding.message,
                    "fix_hint": finding.fix_hint,
                    "start": { "line": start_line, "column": start_column },
                    "end": { "line": end_line, "column": end_column },
                    "start_byte": finding.range.start_byte,
                    "end_byte": finding.range.end_byte,
                    "snippet": finding.snippet,
                })
            })
        })
        .collect();
    json!({ "files_checked": report.checked, "findings": findings })
}

/// GitHub's `security-severity` score for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// FNV-1a: a fingerprint that stays the same across builds and platforms.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn sarif_report(report: &Report, rules: &SecurityRules) -> Value {
    let rule_index: HashMap<&str, usize> =
        rules.rules().iter().enumerate().map(|(index, rule)| (rule.id.as_str(), index)).collect();
    let sarif_rules: Vec<Value> = rules
        .rules()
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.title,
                "shortDescription": { "text": rule.title },
                "fullDescription": { "text": rule.message },
                "help": { "text": rule.fix_hint },
                "defaultConfiguration": { "level": sarif_level(rule.severity) },
                "properties": {
                    "tags": ["security", format!("external/cwe/cwe-{}", rule.cwe), rule.owasp],
                    "security-severity": security_severity(rule.severity),
                    "precision": "medium",
                },
            })
        })
        .collect();
    let mut results = Vec::new();
    for file in &report.files {
        for finding in &file.findings {
            let (start_line, start_column) = line_column(&file.text, finding.range.start_byte);
            let (end_line, end_column) = line_column(&file.text, finding.range.end_byte);
            let mut result = json!({
                "ruleId": finding.rule_id,
                "level": sarif_level(finding.severity),
                "message": { "text": format!("{} Fix: {}", finding.message, finding.fix_hint) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file.shown, "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": start_line,
                            "startColumn": start_column,
                            "endLine": end_line,
                            "endColumn": end_column,
                            "snippet": { "text": finding.snippet },
                        },
                    },
                }],
                "partialFingerprints": {
                    "infillFinding/v1": fingerprint(&[&finding.rule_id, &file.shown, &finding.snippet]),
                },
            });
            if let Some(&index) = rule_index.get(finding.rule_id.as_str()) {
                result["ruleIndex"] = json!(index);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "infill",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": sarif_rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_added_lines_from_a_zero_context_diff() {
        let diff = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -3 +3,2 @@\n-a\n+b\n+c\n\
                    @@ -10,0 +12 @@\n+d\n@@ -20,2 +22,0 @@\n-e\n-f\n\
                    diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
        let added = parse_added_lines(diff);
        let mut lines: Vec<usize> = added["x.py"].iter().copied().collect();
        lines.sort_unstable();
        assert_eq!(lines, [3, 4, 12]);
        assert!(!added.contains_key("gone.py"));
    }

    #[test]
    fn columns_count_characters() {
        let text = "a\né = x\n";
        assert_eq!(line_column(text, text.find('=').unwrap()), (2, 3));
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
    }
}
