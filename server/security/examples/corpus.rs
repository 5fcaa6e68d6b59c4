//! Prints precision and recall of the built-in rules on the labelled corpus
//! (`tests/security/corpus`, or the directory given), per rule, per language and overall, and
//! every mistake: `cargo run -p infill-security --example corpus [DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use infill_security::SecurityRules;
use infill_security::corpus::score_dir;
use infill_syntax::LanguageRegistry;

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/security/corpus")
    });
    let rules = match SecurityRules::builtin_strict() {
        Ok(rules) => rules,
        Err(error) => {
            eprintln!("corpus: {error}");
            return ExitCode::from(2);
        }
    };
    let score = match score_dir(&rules, &LanguageRegistry::builtin(), &dir) {
        Ok(score) => score,
        Err(error) => {
            eprintln!("corpus: {error}");
            return ExitCode::from(2);
        }
    };
    println!("{} files under {}\n", score.files, dir.display());
    println!("{}", score.table());
    println!(
        "| language | positives | negatives | TP | FP | FN | precision | recall |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (language, tally) in &score.per_language {
        println!(
            "| {language} | {} | {} | {} | {} | {} | {:.3} | {:.3} |",
            tally.true_positives + tally.false_negatives,
            tally.negatives,
            tally.true_positives,
            tally.false_positives,
            tally.false_negatives,
            tally.precision(),
            tally.recall()
        );
    }
    if !score.mistakes.is_empty() {
        println!("\nmistakes:");
        for mistake in &score.mistakes {
            println!("  {mistake}");
        }
    }
    ExitCode::SUCCESS
}
