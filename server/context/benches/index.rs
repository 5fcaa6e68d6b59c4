//! Benchmarks for infill-context, printed as markdown tables (not timed tests).
//!
//!   cargo bench -p infill-context --bench index
//!
//! Sections (select with `INFILL_BENCH=index,update,rank,quality`; default all):
//! * **index** — start-up time, files/s and peak RSS (VmHWM, each start in a fresh process) on
//!   real code trees of ~100, ~1,000 and ~10,000 `.rs` files copied from the crates in
//!   `~/.cargo/registry/src` (or `INFILL_BENCH_DIR=<dir>` for one tree of your own): in memory
//!   only, cold with the on-disk index (under `/tmp/infill-bench/persist`), warm with nothing
//!   changed and warm with 10 files changed; against `ctags -R` on the same tree.
//! * **update** — `update_file` after a one-character edit, median and p99, at 10,000 files.
//! * **rank** — `rank` per request at 10,000 files (2,048-token budget), median and p99.
//! * **quality** — retrieval on the dataset built by `scripts/context-eval-data.sh`
//!   (`INFILL_EVAL_DATA`, default `/tmp/infill-context-eval/dataset.jsonl`): the share of
//!   cursors whose defining snippet lands in the context at the default budget (1,024 tokens)
//!   and at 2,048 (bytes/4), against a Copilot-style baseline (Jaccard windows over the 20 most
//!   recently opened files), for each kind of cursor: right after the symbol, and right before
//!   it (rest of the line removed, as CrossCodeEval does). `INFILL_EVAL_KINDS=before` measures
//!   one kind; `INFILL_BENCH_VERBOSE=1` lists the misses at the default budget (`=2` with each
//!   snippet's reason, `=3` with the text shown from the defining file).

// CPU-time clocks (getrusage, clock_gettime) need libc; the rest of the crate stays safe.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use infill_context::lexical;
use infill_context::{ContextRequest, IndexOptions, WorkspaceIndex};

#[path = "index/quality.rs"]
mod quality;

use quality::bench_quality;

const SIZES: [usize; 3] = [100, 1_000, 10_000];
const BUDGET: usize = 2_048;

fn main() {
    if let Ok(dir) = std::env::var("INFILL_BENCH_CHILD") {
        child_index(Path::new(&dir));
        return;
    }
    let sections =
        std::env::var("INFILL_BENCH").unwrap_or_else(|_| "index,update,rank,quality".into());
    let want = |name: &str| sections.split(',').any(|s| s.trim() == name);
    let trees = trees();
    if want("index") {
        bench_index(&trees);
    }
    if want("update") || want("update-phases") || want("rank") {
        let largest = trees.last().expect("a tree").1.clone();
        let index = WorkspaceIndex::default();
        let report = index.index_root(&largest, &IndexOptions::default(), &|_, _| {});
        println!(
            "\n(update and rank: {} files indexed from {})\n",
            report.indexed,
            largest.display()
        );
        if want("update") {
            bench_update(&index);
        }
        if want("update-phases") {
            bench_update_phases(&index);
        }
        if want("rank") {
            bench_rank(&index);
        }
    }
    if want("quality") {
        bench_quality();
    }
    if want("phases") {
        bench_phases(&trees.last().expect("a tree").1);
    }
}

/// Where extraction time goes: parse and each query, single-threaded.
fn bench_phases(dir: &Path) {
    use streaming_iterator::StreamingIterator;
    let registry = infill_syntax::LanguageRegistry::builtin();
    let index = WorkspaceIndex::default();
    index.index_root(dir, &IndexOptions { threads: 1, ..Default::default() }, &|_, _| {});
    let paths = index.paths();
    let mut times: HashMap<&str, Duration> = HashMap::new();
    let mut bytes = 0;
    for path in paths.iter().step_by((paths.len() / 1000).max(1)) {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let Some(language) = registry.for_path(path) else { continue };
        bytes += text.len();
        let started = Instant::now();
        let Some(tree) = infill_syntax::parse(&language, &text) else { continue };
        *times.entry("parse").or_default() += started.elapsed();
        for (kind, label, depth) in [
            ("definitions", "definitions", None),
            ("imports", "imports", None),
            ("definitions", "definitions depth<=6", Some(6)),
            ("imports", "imports depth<=4", Some(4)),
        ] {
            let Some(query) = language.query(kind) else { continue };
            let started = Instant::now();
            let mut cursor = tree_sitter::QueryCursor::new();
            cursor.set_max_start_depth(depth);
            let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
            let mut n = 0;
            while matches.next().is_some() {
                n += 1;
            }
            std::hint::black_box(n);
            *times.entry(label).or_default() += started.elapsed();
        }
        let started = Instant::now();
        std::hint::black_box(infill_context::extract::extract(&language, &tree, &text));
        *times.entry("extract (all)").or_default() += started.elapsed();
        let started = Instant::now();
        std::hint::black_box(lexical::token_set(&text));
        *times.entry("lexical token set").or_default() += started.elapsed();
        drop(tree);
        // What the cold index does: parse with function bodies skipped, and extract.
        let started = Instant::now();
        let bodies = infill_context::extract::function_bodies(&language.name, &text);
        *times.entry("outline: find bodies").or_default() += started.elapsed();
        let started = Instant::now();
        let Some(tree) = infill_syntax::parse_skipping(&language, &text, &bodies) else {
            continue;
        };
        *times.entry("outline: parse").or_default() += started.elapsed();
        let started = Instant::now();
        std::hint::black_box(infill_context::extract::extract_skipping(
            &language, &tree, &text, &bodies,
        ));
        *times.entry("outline: extract (all)").or_default() += started.elapsed();
        let started = Instant::now();
        drop(tree);
        *times.entry("outline: free the tree").or_default() += started.elapsed();
    }
    println!("## Extraction phases (single thread, {:.1} MB)\n", bytes as f64 / 1e6);
    println!("| phase | seconds | MB/s |");
    println!("|---|---|---|");
    let mut phases: Vec<_> = times.into_iter().collect();
    phases.sort_by_key(|phase| std::cmp::Reverse(phase.1));
    for (phase, time) in phases {
        println!(
            "| {phase} | {:.2} | {:.1} |",
            time.as_secs_f64(),
            bytes as f64 / 1e6 / time.as_secs_f64()
        );
    }
}

/// CPU time of this thread: robust to other processes competing for the cores.
fn thread_cpu() -> Duration {
    let mut spec = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut spec) };
    Duration::new(spec.tv_sec as u64, spec.tv_nsec as u32)
}

/// User + system CPU seconds of this process so far (all threads).
fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills a struct we own; zeroed is a valid rusage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Indexes one tree in this (fresh) process, persisting to `INFILL_BENCH_PERSIST` when set, and
/// prints `files seconds rss_mb bytes skipped cpu_seconds reused`.
fn child_index(dir: &Path) {
    let index = WorkspaceIndex::default();
    let options = IndexOptions {
        persist_dir: std::env::var_os("INFILL_BENCH_PERSIST").map(PathBuf::from),
        ..IndexOptions::default()
    };
    let started = Instant::now();
    let report = index.index_root(dir, &options, &|_, _| {});
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{} {} {} {} {} {} {}",
        report.indexed,
        elapsed,
        peak_rss_mb(),
        report.bytes,
        report.skipped.len(),
        process_cpu_seconds(),
        report.reused
    );
}

/// `(label, dir)` per size: copies of the `.rs` files (and Cargo.toml) of whole registry crates,
/// in name order, until the count is reached. Cached under /tmp/infill-bench.
fn trees() -> Vec<(String, PathBuf)> {
    if let Ok(dir) = std::env::var("INFILL_BENCH_DIR") {
        return vec![("custom".into(), PathBuf::from(dir))];
    }
    let registry =
        std::env::var("HOME").map(|home| PathBuf::from(home).join(".cargo/registry/src")).unwrap();
    let index_dir = std::fs::read_dir(&registry)
        .ok()
        .and_then(|mut entries| entries.next())
        .and_then(Result::ok)
        .map(|entry| entry.path())
        .expect("no ~/.cargo/registry/src/*; set INFILL_BENCH_DIR");
    let mut crates: Vec<PathBuf> =
        std::fs::read_dir(&index_dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    crates.sort();
    let mut out = Vec::new();
    for size in SIZES {
        let dir = PathBuf::from(format!("/tmp/infill-bench/trees/{size}"));
        let marker = dir.join(".complete");
        if !marker.exists() {
            let _ = std::fs::remove_dir_all(&dir);
            let mut count = 0;
            for krate in &crates {
                if count >= size {
                    break;
                }
                count += copy_sources(krate, &dir.join(krate.file_name().unwrap()));
            }
            std::fs::write(&marker, count.to_string()).unwrap();
        }
        out.push((format!("{size}"), dir));
    }
    out
}

fn copy_sources(from: &Path, to: &Path) -> usize {
    let mut count = 0;
    let Ok(entries) = std::fs::read_dir(from) else { return 0 };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            count += copy_sources(&path, &to.join(entry.file_name()));
        } else if kind.is_file() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".rs") || name == "Cargo.toml" {
                std::fs::create_dir_all(to).unwrap();
                std::fs::copy(&path, to.join(&*name)).unwrap();
                count += usize::from(name.ends_with(".rs"));
            }
        }
    }
    count
}

/// Files edited before the "changed" warm start.
const CHANGED_FILES: usize = 10;

/// One start of the index in a fresh process: `(files, wall s, peak RSS MB, bytes, CPU s,
/// reused)`, or the child's error output.
fn run_child(dir: &Path, persist: Option<&Path>) -> Result<[f64; 6], String> {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(&exe);
    command.env("INFILL_BENCH_CHILD", dir);
    if let Some(persist) = persist {
        command.env("INFILL_BENCH_PERSIST", persist);
    }
    let output = command.output().map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&output.stdout);
    let parts: Vec<f64> = line.split_whitespace().filter_map(|p| p.parse().ok()).collect();
    let [files, seconds, rss, bytes, _skipped, cpu, reused] = parts[..] else {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    };
    Ok([files, seconds, rss, bytes, cpu, reused])
}

/// Appends a comment to `count` of the tree's files (spread over it); returns their old text.
fn edit_some_files(dir: &Path, count: usize) -> Vec<(PathBuf, Vec<u8>)> {
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                sources(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    sources(dir, &mut paths);
    paths.sort();
    let step = (paths.len() / count.max(1)).max(1);
    let mut edited = Vec::new();
    for path in paths.iter().step_by(step).take(count) {
        let Ok(old) = std::fs::read(path) else { continue };
        let mut new = old.clone();
        new.extend_from_slice(b"\n// edited by the index benchmark\n");
        if std::fs::write(path, new).is_ok() {
            edited.push((path.clone(), old));
        }
    }
    edited
}

fn bench_index(trees: &[(String, PathBuf)]) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("## Index start-up (fresh process per start; {cores} cores)\n");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}\n", load.trim());
    println!(
        "Starts: *memory only* (no on-disk index), *cold* (empty index directory: parse all, \
         write the index), *warm* (nothing changed), *warm, {CHANGED_FILES} changed* (a comment \
         appended to {CHANGED_FILES} files).\n"
    );
    println!(
        "| tree | files | MB | start | wall s | files/s | CPU s | CPU s / cores | reused | peak RSS MB | index file MB | ctags -R wall s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (label, dir) in trees {
        let persist = PathBuf::from(format!("/tmp/infill-bench/persist/{label}"));
        let _ = std::fs::remove_dir_all(&persist);
        let ctags = ctags_seconds(dir).map_or("n/a".into(), |c| format!("{c:.2}"));
        let mut edited = Vec::new();
        for start in ["memory only", "cold", "warm", "warm, changed"] {
            if start == "warm, changed" {
                edited = edit_some_files(dir, CHANGED_FILES);
            }
            let persisting = (start != "memory only").then_some(persist.as_path());
            let [files, seconds, rss, bytes, cpu, reused] = match run_child(dir, persisting) {
                Ok(figures) => figures,
                Err(error) => {
                    println!("| {label} | {start}: child failed: {} |", error.trim());
                    continue;
                }
            };
            let index_mb = std::fs::read_dir(&persist)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter_map(|entry| entry.metadata().ok())
                        .map(|metadata| metadata.len() as f64 / 1e6)
                        .sum::<f64>()
                })
                .unwrap_or(0.0);
            let index_mb =
                if persisting.is_some() { format!("{index_mb:.1}") } else { "–".into() };
            let ctags = if start == "cold" { ctags.as_str() } else { "" };
            println!(
                "| {label} | {files:.0} | {:.1} | {start} | {seconds:.2} | {:.0} | {cpu:.2} | {:.2} | {reused:.0} | {rss:.0} | {index_mb} | {ctags} |",
                bytes / 1e6,
                files / seconds,
                cpu / cores as f64
            );
        }
        for (path, old) in edited {
            let _ = std::fs::write(path, old);
        }
    }
    println!();
}

fn ctags_seconds(dir: &Path) -> Option<f64> {
    let started = Instant::now();
    let status = Command::new("ctags").args(["-R", "-f", "/dev/null"]).arg(dir).status().ok()?;
    status.success().then(|| started.elapsed().as_secs_f64())
}

/// Prints wall and thread-CPU median/p99/max as one markdown table.
fn print_latencies(wall: &mut [Duration], cpu: &mut [Duration], what: &str) {
    println!("| samples | {what} | median ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    let n = wall.len();
    for (label, samples) in [("wall", wall), ("thread CPU", cpu)] {
        let median = percentile(samples, 0.5);
        let p99 = percentile(samples, 0.99);
        let max = percentile(samples, 1.0);
        println!("| {n} | {label} | {} | {} | {} |", ms(median), ms(p99), ms(max));
    }
    println!();
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at.min(samples.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// Deterministic pseudo-random numbers (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Typical files: 2–30 KB.
fn typical_files(index: &WorkspaceIndex, count: usize) -> Vec<(PathBuf, String)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let paths = index.paths();
    let mut out = Vec::new();
    for _ in 0..count * 20 {
        if out.len() >= count {
            break;
        }
        let path = &paths[rng.below(paths.len())];
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        if (2_000..30_000).contains(&text.len()) && !out.iter().any(|(p, _)| p == path) {
            out.push((path.clone(), text));
        }
    }
    out
}

fn bench_update(index: &WorkspaceIndex) {
    let files = typical_files(index, 200);
    let mut rng = Rng(7);
    let mut samples = Vec::new();
    let mut cpu_samples = Vec::new();
    let mut slow = Vec::new();
    let mut sizes = Vec::new();
    for (path, text) in &files {
        index.update_file(path, text); // didOpen: same text, no work
        let mut text = text.clone();
        for _ in 0..5 {
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert(at, 'x');
            let started = Instant::now();
            let cpu = thread_cpu();
            index.update_file(path, &text);
            samples.push(started.elapsed());
            cpu_samples.push(thread_cpu() - cpu);
            slow.push((*cpu_samples.last().unwrap(), path.clone(), text.len(), at));
        }
        sizes.push(text.len());
        index.update_file(path, &std::fs::read_to_string(path).unwrap());
    }
    sizes.sort();
    println!("## Incremental update after a one-character edit\n");
    let what =
        format!("{} files, median {:.1} KB", files.len(), sizes[sizes.len() / 2] as f64 / 1e3);
    print_latencies(&mut samples, &mut cpu_samples, &what);
    if std::env::var("INFILL_BENCH_VERBOSE").is_ok() {
        slow.sort_by_key(|sample| std::cmp::Reverse(sample.0));
        for (cpu, path, len, at) in slow.iter().take(12) {
            println!("slow update: {} ms {} ({len} bytes, edit at {at})", ms(*cpu), path.display());
        }
    }
}

/// Where the slowest updates spend their time: the same edits as `update`, each replayed on a
/// separate document (reparse), extraction (incremental, else full) and the index's own
/// `update_file` (which repeats both, then updates its tables).
fn bench_update_phases(index: &WorkspaceIndex) {
    use infill_syntax::{Document, DocumentLimits, LanguageRegistry};
    let registry = LanguageRegistry::builtin();
    let files = typical_files(index, 200);
    let mut rng = Rng(7);
    // (update_file, reparse, extract, token set, spliced, path, at)
    let mut rows: Vec<(Duration, Duration, Duration, Duration, bool, PathBuf, usize)> = Vec::new();
    let limits = DocumentLimits { max_tree_bytes: usize::MAX, ..Default::default() };
    for (path, text) in &files {
        let Some(language) = registry.for_path(path) else { continue };
        index.update_file(path, text);
        let mut document = Document::new(text, 0, Some(language.clone()), &limits);
        let mut old_text = text.clone();
        let mut old_symbols = infill_context::extract::extract(
            &language,
            document.tree().expect("a tree"),
            &old_text,
        );
        let mut text = text.clone();
        for _ in 0..5 {
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert(at, 'x');
            let cpu = thread_cpu();
            index.update_file(path, &text);
            let update = thread_cpu() - cpu;
            let cpu = thread_cpu();
            let reparse = document.replace_text(&text);
            let reparse_time = thread_cpu() - cpu;
            let tree = document.tree().expect("a tree");
            let cpu = thread_cpu();
            let spliced = reparse.as_ref().and_then(|reparse| {
                infill_context::extract::extract_incremental(
                    &language,
                    tree,
                    &text,
                    &old_symbols,
                    &old_text,
                    &reparse.edit,
                    &reparse.changed_ranges,
                )
            });
            let was_spliced = spliced.is_some();
            let symbols =
                spliced.unwrap_or_else(|| infill_context::extract::extract(&language, tree, &text));
            let extract_time = thread_cpu() - cpu;
            let cpu = thread_cpu();
            std::hint::black_box(lexical::token_set(&text));
            let tokens_time = thread_cpu() - cpu;
            rows.push((
                update,
                reparse_time,
                extract_time,
                tokens_time,
                was_spliced,
                path.clone(),
                at,
            ));
            old_symbols = symbols;
            old_text = text.clone();
        }
        index.update_file(path, &std::fs::read_to_string(path).unwrap());
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    println!("## Update phases, slowest updates (thread CPU ms)\n");
    println!(
        "| update_file | reparse | extract | of which token set | spliced | rest | file | edit at |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (update, reparse, extract, tokens, spliced, path, at) in rows.iter().take(60) {
        let rest = update.saturating_sub(*reparse + *extract);
        println!(
            "| {} | {} | {} | {} | {spliced} | {} | {} | {at} |",
            ms(*update),
            ms(*reparse),
            ms(*extract),
            ms(*tokens),
            ms(rest),
            path.display()
        );
    }
    println!();
}

fn bench_rank(index: &WorkspaceIndex) {
    let files = typical_files(index, 100);
    let mut rng = Rng(11);
    for (path, _) in files.iter().take(20) {
        index.note_opened(path);
    }
    let mut samples = Vec::new();
    let mut cpu_samples = Vec::new();
    let mut snippets = 0;
    let mut tokens = 0;
    for _round in 0..5 {
        for (path, text) in &files {
            let mut cursor = rng.below(text.len());
            while !text.is_char_boundary(cursor) {
                cursor -= 1;
            }
            let started = Instant::now();
            let cpu = thread_cpu();
            let result = index.rank(&ContextRequest::new(path, text, cursor, BUDGET));
            let elapsed = started.elapsed();
            let cpu = thread_cpu() - cpu;
            samples.push(elapsed);
            cpu_samples.push(cpu);
            snippets += result.snippets.len();
            tokens += result.tokens_used;
        }
    }
    let requests = files.len() * 5;
    println!("## Ranking per request (2,048-token budget; a random cursor in a random file)\n");
    println!(
        "mean snippets {:.1}, mean tokens {:.0}\n",
        snippets as f64 / requests as f64,
        tokens as f64 / requests as f64
    );
    print_latencies(&mut samples, &mut cpu_samples, "requests");
}
