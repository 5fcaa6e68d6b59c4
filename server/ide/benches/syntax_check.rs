//! What checking that a suggestion parses costs ([`check_syntax`]: an incremental reparse of a
//! copy of the document's tree with the suggestion inserted, then the defect counts near the
//! cursor), on real files of this repository at cursors spread through them.
//!
//!   cargo bench -p infill-ide --bench syntax_check
//!
//! Prints one row per file: its size, and the median and p99 time of one check, with a
//! one-line suggestion and with a four-line one, and of a repair that has to cut lines.

use std::path::Path;
use std::time::{Duration, Instant};

use infill_ide::postprocess::{
    PostprocessConfig, PostprocessInput, Shape, check_syntax, repair_syntax,
};
use infill_syntax::LanguageRegistry;

const FILES: &[(&str, &str, &str)] = &[
    ("server/ide/src/completion/mod.rs", "let total = items.len();", "let = ;"),
    ("server/context/src/index/walk.rs", "let total = items.len();", "let = ;"),
    ("examples/demo/src/orders.py", "total = sum(items)", "def broken(:"),
    ("scripts/bench/latency_replay.py", "total = sum(items)", "def broken(:"),
];

fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

fn us(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e6)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let registry = LanguageRegistry::builtin();
    println!(
        "| file | KB | lines | check, 1 line (median / p99 µs) | check, 4 lines | repair that cuts (median / p99 µs) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (relative, line, broken) in FILES {
        let path = root.join(relative);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping {relative}: unreadable");
            continue;
        };
        let language = registry.for_path(&path).expect("a known language");
        let tree = infill_syntax::parse(&language, &text).expect("parses");
        // Cursors at the end of 50 lines spread through the file.
        let line_ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
        let step = (line_ends.len() / 50).max(1);
        let cursors: Vec<usize> = line_ends.iter().step_by(step).copied().collect();
        let block = format!("{line}\n    {line}\n    {line}\n    {line}");
        let cut = format!("{line}\n    {broken}");
        let mut timings = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..4 {
            for &cursor in &cursors {
                let input = PostprocessInput {
                    prefix: &text[..cursor],
                    suffix: &text[cursor..],
                    tree: Some(&tree),
                    cursor,
                    language: Some(&language),
                    raw: "",
                    shape: Shape::MultiLine,
                    config: PostprocessConfig::default(),
                };
                for (slot, suggestion) in [line.to_string(), block.clone()].iter().enumerate() {
                    let started = Instant::now();
                    std::hint::black_box(check_syntax(&input, suggestion));
                    timings[slot].push(started.elapsed());
                }
                let started = Instant::now();
                std::hint::black_box(repair_syntax(&input, &cut));
                timings[2].push(started.elapsed());
            }
        }
        let cells: Vec<String> = timings
            .iter_mut()
            .map(|t| format!("{} / {}", us(percentile(t, 0.5)), us(percentile(t, 0.99))))
            .collect();
        println!(
            "| {relative} | {:.0} | {} | {} | {} | {} |",
            text.len() as f64 / 1024.0,
            line_ends.len(),
            cells[0],
            cells[1],
            cells[2]
        );
    }
}
