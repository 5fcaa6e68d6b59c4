//! Scoring a labelled corpus: files whose lines carry `expect: <rule-id>` (a finding of that
//! rule must cover the line) or `safe: <rule-id>` (a negative case: none may) markers, usually
//! in a trailing comment. Any finding that covers no `expect:` line of its rule is a false
//! positive. The result is precision and recall per rule and overall.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use infill_syntax::LanguageRegistry;

use crate::{Finding, SecurityRules};

/// The marker of a line that a finding must cover.
pub const EXPECT_MARKER: &str = "expect:";
/// The marker of a line that no finding of the rule may cover.
pub const SAFE_MARKER: &str = "safe:";

/// Counts for one rule, or for all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// `expect:` lines covered by a finding of their rule.
    pub true_positives: usize,
    /// Findings that cover no `expect:` line of their rule.
    pub false_positives: usize,
    /// `expect:` lines that no finding of their rule covers.
    pub false_negatives: usize,
    /// `safe:` lines (negative cases), whether or not something flagged them.
    pub negatives: usize,
}

impl Tally {
    /// `tp / (tp + fp)`; 1 when nothing was reported.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    /// `tp / (tp + fn)`; 1 when nothing was expected.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    fn add(&mut self, other: &Tally) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
        self.negatives += other.negatives;
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

/// The score of a corpus.
#[derive(Clone, Debug, Default)]
pub struct Score {
    /// Counts per rule id.
    pub per_rule: BTreeMap<String, Tally>,
    /// Counts per language name.
    pub per_language: BTreeMap<String, Tally>,
    /// Files scored.
    pub files: usize,
    /// `path:line: missed|unexpected rule-id`, one per false negative or false positive.
    pub mistakes: Vec<String>,
}

impl Score {
    /// All rules together.
    pub fn total(&self) -> Tally {
        let mut total = Tally::default();
        for tally in self.per_rule.values() {
            total.add(tally);
        }
        total
    }

    /// A Markdown table: one row per rule and a total.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| rule | positives | negatives | TP | FP | FN | precision | recall |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        let row = |out: &mut String, name: &str, tally: &Tally| {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} | {:.3} | {:.3} |",
                tally.true_positives + tally.false_negatives,
                tally.negatives,
                tally.true_positives,
                tally.false_positives,
                tally.false_negatives,
                tally.precision(),
                tally.recall()
            );
        };
        for (rule, tally) in &self.per_rule {
            row(&mut out, rule, tally);
        }
        row(&mut out, "**all**", &self.total());
        out
    }
}

/// Why a corpus could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A marker names a rule the table does not have.
    #[error("{}:{line}: unknown rule `{rule}` in a marker", path.display())]
    UnknownRule {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The id as written.
        rule: String,
    },
    /// A corpus file has no language or no patterns for its language.
    #[error("{}: no security patterns for this file's language", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
    },
}

/// The rule ids after `marker` on a line: comma-separated, ended by the first segment of more
/// than one word.
fn marked_rules<'l>(line: &'l str, marker: &str) -> Vec<&'l str> {
    let mut ids = Vec::new();
    for (at, _) in line.match_indices(marker) {
        for segment in line[at + marker.len()..].split(',') {
            let mut words = segment.split_whitespace();
            let Some(id) = words.next() else { break };
            ids.push(id.trim_end_matches("*/"));
            if words.next().is_some() {
                break;
            }
        }
    }
    ids
}

/// Scores one file's findings against its markers into `score`.
pub fn score_file(
    path: &Path,
    language: &str,
    text: &str,
    findings: &[Finding],
    rules: &SecurityRules,
    score: &mut Score,
) -> Result<(), CorpusError> {
    let mut expected: Vec<(usize, String)> = Vec::new();
    let mut file_tally: BTreeMap<String, Tally> = BTreeMap::new();
    for (line_index, line) in text.lines().enumerate() {
        for (marker, positive) in [(EXPECT_MARKER, true), (SAFE_MARKER, false)] {
            for id in marked_rules(line, marker) {
                if rules.rule(id).is_none() {
                    return Err(CorpusError::UnknownRule {
                        path: path.to_owned(),
                        line: line_index + 1,
                        rule: id.to_owned(),
                    });
                }
                if positive {
                    expected.push((line_index, id.to_owned()));
                } else {
                    file_tally.entry(id.to_owned()).or_default().negatives += 1;
                }
            }
        }
    }
    let covers = |finding: &Finding, line: usize| {
        (finding.range.start.line as usize) <= line && line <= finding.range.end.line as usize
    };
    for (line, rule) in &expected {
        let tally = file_tally.entry(rule.clone()).or_default();
        if findings.iter().any(|finding| finding.rule_id == *rule && covers(finding, *line)) {
            tally.true_positives += 1;
        } else {
            tally.false_negatives += 1;
            score.mistakes.push(format!("{}:{}: missed {rule}", path.display(), line + 1));
        }
    }
    for finding in findings {
        let wanted =
            expected.iter().any(|(line, rule)| *rule == finding.rule_id && covers(finding, *line));
        if !wanted {
            file_tally.entry(finding.rule_id.clone()).or_default().false_positives += 1;
            score.mistakes.push(format!(
                "{}:{}: unexpected {} `{}`",
                path.display(),
                finding.range.start.line + 1,
                finding.rule_id,
                finding.snippet
            ));
        }
    }
    for (rule, tally) in file_tally {
        score.per_rule.entry(rule).or_default().add(&tally);
        score.per_language.entry(language.to_owned()).or_default().add(&tally);
    }
    score.files += 1;
    Ok(())
}

/// Scores every file under `dir` (recursively, in path order) whose language the registry knows.
pub fn score_dir(
    rules: &SecurityRules,
    registry: &LanguageRegistry,
    dir: &Path,
) -> Result<Score, CorpusError> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    let mut score = Score::default();
    for path in files {
        let Some(language) = registry.for_path(&path) else { continue };
        if !rules.supports(&language) {
            return Err(CorpusError::Unsupported { path });
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|source| CorpusError::Io { path: path.clone(), source })?;
        let findings = rules.check(&text, &language);
        score_file(&path, &language.name, &text, &findings, rules, &mut score)?;
    }
    Ok(score)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CorpusError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|source| CorpusError::Io { path: dir.to_owned(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| CorpusError::Io { path: dir.to_owned(), source })?;
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_markers() {
        assert_eq!(marked_rules("x()  # expect: a, b-c", EXPECT_MARKER), ["a", "b-c"]);
        assert_eq!(marked_rules("x() /* expect: a */", EXPECT_MARKER), ["a"]);
        assert_eq!(marked_rules("y()  // safe: a because it is bound", SAFE_MARKER), ["a"]);
        assert!(marked_rules("plain()", EXPECT_MARKER).is_empty());
    }

    #[test]
    fn ratios_of_nothing_are_one() {
        let tally = Tally { true_positives: 3, false_positives: 1, ..Tally::default() };
        assert_eq!(tally.precision(), 0.75);
        assert_eq!(tally.recall(), 1.0);
    }
}
