//! The labelled corpus (`tests/security/corpus`): overall precision and recall of the built-in
//! rules must both reach 0.9. The per-rule table comes from
//! `cargo run -p infill-security --example corpus` (docs/benchmarks.md).

use std::path::PathBuf;

use infill_security::SecurityRules;
use infill_security::corpus::score_dir;
use infill_syntax::LanguageRegistry;

#[test]
fn precision_and_recall_reach_ninety_percent() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/security/corpus");
    let rules = SecurityRules::builtin_strict().unwrap_or_else(|error| panic!("{error}"));
    let score = score_dir(&rules, &LanguageRegistry::builtin(), &dir)
        .unwrap_or_else(|error| panic!("{error}"));
    let total = score.total();
    let summary = format!(
        "{} files, {} positives, {} negatives: precision {:.3}, recall {:.3}\n{}",
        score.files,
        total.true_positives + total.false_negatives,
        total.negatives,
        total.precision(),
        total.recall(),
        score.mistakes.join("\n")
    );
    // Every language with rules, every rule: the corpus is not a sample of one.
    for language in ["python", "javascript", "typescript", "go", "java", "rust", "c", "cpp", "ruby"]
    {
        assert!(score.per_language.contains_key(language), "no corpus for {language}\n{summary}");
    }
    for rule in rules.rules() {
        let tally = score.per_rule.get(&rule.id).copied().unwrap_or_default();
        assert!(
            tally.true_positives + tally.false_negatives >= 3 && tally.negatives >= 3,
            "too few cases for {}\n{summary}",
            rule.id
        );
    }
    assert!(total.precision() >= 0.9, "precision below 0.9: {summary}");
    assert!(total.recall() >= 0.9, "recall below 0.9: {summary}");
}
