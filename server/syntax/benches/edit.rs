//! Keystroke cost and parse throughput, printed as markdown tables. Not a timed test: it measures
//! what one `didChange` costs (rope edit + `InputEdit` + incremental reparse) on ~5,000-line files,
//! and full-parse speed for every language in the registry.
//!
//! Run with `cargo bench -p infill-syntax --bench edit`. Sources are generated deterministically by
//! repeating `benches/samples/sample.<extension>` with `_N_` replaced by a counter; the lines up to
//! the one containing `BENCH-REPEAT` are written once as a header.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use infill_syntax::{
    Document, DocumentLimits, Language, LanguageRegistry, Position, PositionEncoding, Range,
    TextChange, parse,
};

/// Languages for the keystroke benchmark.
const EDIT_LANGUAGES: &[&str] = &["rust", "python", "typescript"];
const EDIT_LINES: usize = 5_000;
/// Edits come in pairs (insert a character, then delete it), so the file stays realistic.
const EDIT_COUNT: usize = 2_000;
/// Typed characters, cycled: mostly identifier characters, some that open or close syntax.
const TYPED: &[&str] = &["x", "e", "_", "1", " ", ".", "(", "\"", "{", ";"];
const PARSE_BYTES: usize = 1 << 20;
const PARSE_RUNS: usize = 7;

/// A small deterministic generator (xorshift64*), so every run edits the same places.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

fn sample_for(language: &Language) -> Option<String> {
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/samples");
    language.extensions.iter().find_map(|extension| {
        std::fs::read_to_string(samples.join(format!("sample.{extension}"))).ok()
    })
}

/// The sample's header once, then its body repeated with fresh names until both minimums are met.
fn generate(sample: &str, min_lines: usize, min_bytes: usize) -> String {
    let split = sample
        .match_indices('\n')
        .map(|(at, _)| at + 1)
        .find(|&end| sample[..end].contains("BENCH-REPEAT"))
        .unwrap_or(0);
    let (header, body) = sample.split_at(split);
    let mut text = header.to_owned();
    if body.is_empty() {
        return text;
    }
    let body_lines = body.lines().count() + 1;
    let mut lines = header.lines().count();
    let mut counter = 0;
    while lines < min_lines || text.len() < min_bytes {
        text.push('\n');
        text.push_str(&body.replace("_N_", &format!("_{counter}")));
        lines += body_lines;
        counter += 1;
    }
    text
}

fn microseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() * percent / 100).min(sorted.len() - 1)]
}

fn bench_edits(registry: &LanguageRegistry, limits: &DocumentLimits, title: &str) {
    println!("## Keystroke: apply_change, {title}\n");
    println!(
        "| language | lines | bytes | edits | median µs | p99 µs | max µs | deferred | on-demand reparse median / max ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for name in EDIT_LANGUAGES {
        let Some(language) = registry.by_name(name) else { continue };
        let Some(sample) = sample_for(&language) else { continue };
        let text = generate(&sample, EDIT_LINES, 0);
        let lines = text.lines().count();
        let mut document = Document::new(&text, 0, Some(language.clone()), limits);
        let mut deferred = 0;
        let mut on_demand = Vec::new();
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        let mut timings = Vec::with_capacity(EDIT_COUNT);
        for index in 0..EDIT_COUNT / 2 {
            let byte = random.below(document.len_bytes() + 1);
            let start = document.position_of(byte, PositionEncoding::Utf16);
            let typed = TYPED[index % TYPED.len()];
            let insert =
                TextChange { range: Some(Range { start, end: start }), text: typed.to_owned() };
            let end = Position { line: start.line, character: start.character + 1 };
            let delete = TextChange { range: Some(Range { start, end }), text: String::new() };
            for change in [insert, delete] {
                let started = Instant::now();
                document.apply_change(&change, PositionEncoding::Utf16);
                timings.push(started.elapsed());
                if document.is_tree_stale() {
                    // What a completion request pays when it needs the tree right after.
                    deferred += 1;
                    let started = Instant::now();
                    document.parsed_tree();
                    on_demand.push(started.elapsed());
                }
            }
        }
        assert_eq!(document.text(), text, "every insert was undone by its delete");
        let fresh = parse(&language, &text).map(|tree| tree.root_node().to_sexp());
        let incremental = document.parsed_tree().map(|tree| tree.root_node().to_sexp());
        assert_eq!(incremental, fresh, "incremental tree equals a fresh parse");
        timings.sort();
        on_demand.sort();
        let on_demand = if on_demand.is_empty() {
            "-".to_string()
        } else {
            format!(
                "{:.1} / {:.1}",
                microseconds(percentile(&on_demand, 50)) / 1000.0,
                microseconds(on_demand[on_demand.len() - 1]) / 1000.0
            )
        };
        println!(
            "| {name} | {lines} | {} | {} | {:.1} | {:.1} | {:.1} | {deferred} | {on_demand} |",
            text.len(),
            timings.len(),
            microseconds(percentile(&timings, 50)),
            microseconds(percentile(&timings, 99)),
            microseconds(timings[timings.len() - 1]),
        );
    }
    println!();
}

fn bench_full_parse(registry: &LanguageRegistry) {
    println!("## Full parse throughput (median of {PARSE_RUNS} runs)\n");
    println!("| language | bytes | median ms | MB/s |");
    println!("|---|---:|---:|---:|");
    for language in registry.languages() {
        let Some(sample) = sample_for(language) else {
            println!("| {} | no sample | | |", language.name);
            continue;
        };
        let text = generate(&sample, 0, PARSE_BYTES);
        let mut timings = Vec::with_capacity(PARSE_RUNS);
        for _ in 0..PARSE_RUNS {
            let started = Instant::now();
            let tree = parse(language, &text);
            timings.push(started.elapsed());
            assert!(tree.is_some(), "{} parses", language.name);
        }
        timings.sort();
        let median = percentile(&timings, 50);
        let megabytes_per_second = text.len() as f64 / 1e6 / median.as_secs_f64();
        println!(
            "| {} | {} | {:.1} | {:.1} |",
            language.name,
            text.len(),
            median.as_secs_f64() * 1e3,
            megabytes_per_second
        );
    }
}

fn main() {
    let registry = LanguageRegistry::builtin();
    let budgeted = DocumentLimits::default();
    let title = format!(
        "reparse within {} µs, the rest on demand (the server's default)",
        budgeted.reparse_budget.as_micros()
    );
    bench_edits(&registry, &budgeted, &title);
    let unbounded =
        DocumentLimits { reparse_budget: Duration::from_secs(3600), ..DocumentLimits::default() };
    bench_edits(&registry, &unbounded, "full incremental reparse on every edit");
    bench_full_parse(&registry);
}
