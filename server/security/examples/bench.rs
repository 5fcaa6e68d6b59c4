//! Per-file cost of the security check on a 1,000-line file of each language (the corpus files
//! of that language repeated): compiling the language's patterns (once per process, on first
//! use), parsing, the check on an existing tree (what an editor with an up-to-date tree pays),
//! parse plus check, `introduces_finding` (two parses and two checks) and the same against the
//! document's cached findings (`new_findings`: one parse and one check), as medians.
//! `cargo run --release -p infill-security --example bench [ITERATIONS]`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use infill_security::{SecurityRules, new_findings};
use infill_syntax::LanguageRegistry;

const LINES: usize = 1_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn time(iterations: usize, mut run: impl FnMut()) -> Duration {
    run();
    median(
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                run();
                started.elapsed()
            })
            .collect(),
    )
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1_000.0)
}

fn main() {
    let iterations: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(50);
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/security/corpus");
    let registry = LanguageRegistry::builtin();
    let rules = SecurityRules::builtin();
    println!(
        "| language | lines | findings | compile ms | parse ms | check (tree) ms | parse + check ms | introduces_finding ms | vs cached findings ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut directories: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|entries| entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
        .unwrap_or_default();
    directories.sort();
    for directory in directories {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
            .map(|entries| {
                entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect()
            })
            .unwrap_or_default();
        files.sort();
        let Some(language) = files.first().and_then(|file| registry.for_path(file)) else {
            continue;
        };
        let sources: Vec<String> =
            files.iter().filter_map(|file| std::fs::read_to_string(file).ok()).collect();
        let mut text = String::new();
        'fill: loop {
            for source in &sources {
                for line in source.lines() {
                    text.push_str(line);
                    text.push('\n');
                    if text.lines().count() >= LINES {
                        break 'fill;
                    }
                }
            }
        }
        let Some(tree) = infill_syntax::parse(&language, &text) else { continue };
        let started = Instant::now();
        let findings = rules.check_tree(&text, &tree, &language).len();
        let compile = started.elapsed();
        let parse = time(iterations, || {
            std::hint::black_box(infill_syntax::parse(&language, &text));
        });
        let check_tree = time(iterations, || {
            std::hint::black_box(rules.check_tree(&text, &tree, &language));
        });
        let check = time(iterations, || {
            std::hint::black_box(rules.check(&text, &language));
        });
        let insertion = format!("{text}os_command(\"ls \" + name)\n");
        let introduces = time(iterations, || {
            std::hint::black_box(rules.introduces_finding(&text, &insertion, &language));
        });
        let cached = rules.check_tree(&text, &tree, &language);
        let against_cache = time(iterations, || {
            std::hint::black_box(new_findings(&cached, rules.check(&insertion, &language)));
        });
        println!(
            "| {} | {} | {findings} | {} | {} | {} | {} | {} | {} |",
            language.name,
            text.lines().count(),
            ms(compile),
            ms(parse),
            ms(check_tree),
            ms(check),
            ms(introduces),
            ms(against_cache)
        );
    }
}
