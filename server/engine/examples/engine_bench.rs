//! Engine benchmarks for docs/benchmarks.md (not a test): prompt and decode speed, time to first
//! token cold and warm, the typing trace, and memory. Prints one JSON object per measurement.
//!
//! cargo run --release -p infill-engine --example engine_bench -- MODEL.gguf speed|ttft|trace|cancel|edit [--runs N] [--prompt-file F] [--dtype auto|f32|f16|bf16] [--base-chars N]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use infill_engine::{Engine, GenerateEvent, GenerateRequest, LocalEngine, LocalEngineConfig};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() { f64::NAN } else { values[values.len() / 2] }
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// The longest prefix of `text` (at a char boundary) with at most `tokens` tokens.
async fn cut_to_tokens(engine: &LocalEngine, text: &str, tokens: usize) -> String {
    let (mut low, mut high) = (0usize, text.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        let mut end = mid;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        if engine.count_tokens(&text[..end]).await.unwrap() <= tokens {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let mut end = low;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

struct Timed {
    first: Duration,
    total: Duration,
    generated: usize,
    computed: usize,
    prompt: usize,
    text: String,
}

/// A string no earlier prompt contained, so a prompt that starts with it is cold.
fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

async fn run(engine: &LocalEngine, prompt: &str, max_tokens: usize, stop: &[&str]) -> Timed {
    run_with(engine, prompt, max_tokens, stop, false).await
}

async fn run_with(
    engine: &LocalEngine,
    prompt: &str,
    max_tokens: usize,
    stop: &[&str],
    draft_from_prompt: bool,
) -> Timed {
    let mut request = GenerateRequest::completion(prompt, max_tokens);
    request.stop = stop.iter().map(|s| s.to_string()).collect();
    request.draft_from_prompt = draft_from_prompt;
    let started = Instant::now();
    let mut generation = engine.generate(request);
    let mut first = None;
    let mut text = String::new();
    while let Some(event) = generation.next().await {
        match event {
            GenerateEvent::Delta(delta) => {
                first.get_or_insert_with(|| started.elapsed());
                text.push_str(&delta);
            }
            GenerateEvent::Done { stats, .. } => {
                let total = started.elapsed();
                return Timed {
                    first: first.unwrap_or(stats.time_to_first_token),
                    total,
                    generated: stats.generated_tokens,
                    computed: stats.computed_tokens,
                    prompt: stats.prompt_tokens,
                    text,
                };
            }
            GenerateEvent::Failed(error) => panic!("generation failed: {error}"),
        }
    }
    panic!("generation ended without a result");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: engine_bench MODEL speed|ttft|trace|cancel [--runs N] [--prompt-file F] [--dtype auto|f32|f16|bf16] [--base-chars N]";
    let model = PathBuf::from(args.get(1).expect(usage));
    let mode = args.get(2).expect(usage).clone();
    let option =
        |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let runs: usize = option("--runs").and_then(|r| r.parse().ok()).unwrap_or(3);
    let prompt_file = option("--prompt-file")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("vendor/mistralrs-core/src/prefix_cacher.rs"));
    let source = std::fs::read_to_string(&prompt_file).expect("the prompt file");
    let source = source.repeat(4);

    let load_started = Instant::now();
    let dtype = match option("--dtype").as_deref() {
        None | Some("auto") => infill_engine::ActivationDtype::Auto,
        Some("f32") => infill_engine::ActivationDtype::F32,
        Some("f16") => infill_engine::ActivationDtype::F16,
        Some("bf16") => infill_engine::ActivationDtype::Bf16,
        Some(other) => panic!("unknown --dtype {other}: auto, f32, f16 or bf16"),
    };
    let config = LocalEngineConfig { path: Some(model.clone()), dtype, ..Default::default() };
    let engine = LocalEngine::load(config).await.expect("the model loads");
    let load_ms = load_started.elapsed().as_millis();
    println!(
        "{}",
        serde_json::json!({"measure": "load", "model": model, "load_ms": load_ms, "rss_mib": rss_kib("VmRSS:") / 1024})
    );

    match mode.as_str() {
        "speed" => {
            let mut prompt_rates = Vec::new();
            let mut decode_rates = Vec::new();
            for run_index in 0..runs {
                // A unique first line makes every run cold.
                let body = cut_to_tokens(&engine, &source, 1500).await;
                let prompt = format!("# run {run_index} {}\n{body}", unique());
                let cold = run(&engine, &prompt, 1, &[]).await;
                prompt_rates.push(cold.prompt as f64 / cold.first.as_secs_f64());
                let decode = run(&engine, &format!("{prompt}\n# next"), 128, &[]).await;
                let decode_time = (decode.total - decode.first).as_secs_f64();
                decode_rates.push((decode.generated.saturating_sub(1)) as f64 / decode_time);
            }
            println!(
                "{}",
                serde_json::json!({"measure": "speed", "runs": runs,
                    "prompt_tok_per_s": median(&mut prompt_rates),
                    "decode_tok_per_s": median(&mut decode_rates)})
            );
        }
        "ttft" => {
            let mut cold_ms = Vec::new();
            let mut warm_ms = Vec::new();
            let mut warm_computed = Vec::new();
            for run_index in 0..runs {
                let body = cut_to_tokens(&engine, &source, 1500).await;
                let cold_prompt = format!("# ttft cold {run_index} {}\n{body}", unique());
                let cold = run(&engine, &cold_prompt, 1, &[]).await;
                cold_ms.push(cold.first.as_secs_f64() * 1000.0);
                // Warm: the cache holds this prompt minus its last 50 tokens.
                let full = format!("# ttft warm {run_index} {}\n{body}", unique());
                let full_tokens = engine.count_tokens(&full).await.unwrap();
                let shorter = cut_to_tokens(&engine, &full, full_tokens - 50).await;
                let _ = run(&engine, &shorter, 1, &[]).await;
                let warm = run(&engine, &full, 1, &[]).await;
                warm_ms.push(warm.first.as_secs_f64() * 1000.0);
                warm_computed.push(warm.computed as f64);
            }
            let cold = median(&mut cold_ms);
            let warm = median(&mut warm_ms);
            println!(
                "{}",
                serde_json::json!({"measure": "ttft", "runs": runs, "cold_ms": cold, "warm_ms": warm,
                    "warm_over_cold": warm / cold, "warm_computed_tokens": median(&mut warm_computed)})
            );
        }
        "trace" => {
            // `--base-chars N` cuts the base prompt where the peer did (llama.cpp's cut at its
            // 2,000th token), so both engines answer the very same prompts.
            let base = match option("--base-chars").and_then(|c| c.parse::<usize>().ok()) {
                Some(chars) => source.chars().take(chars).collect(),
                None => cut_to_tokens(&engine, &source, 2000).await,
            };
            let typed: String = source[base.len()..].chars().take(30).collect();
            let mut follow_ms = Vec::new();
            let mut computed = Vec::new();
            let mut generated_total = 0;
            let mut cold_ms = 0.0;
            for k in 0..=typed.chars().count() {
                let prompt = format!("{base}{}", typed.chars().take(k).collect::<String>());
                let timed = run(&engine, &prompt, 16, &["\n"]).await;
                let ms = timed.total.as_secs_f64() * 1000.0;
                println!(
                    "{}",
                    serde_json::json!({"measure": "trace_request", "k": k, "ms": ms, "prompt_tokens": timed.prompt,
                        "computed_tokens": timed.computed, "generated": timed.generated, "text": timed.text})
                );
                if k == 0 {
                    cold_ms = ms;
                } else {
                    follow_ms.push(ms);
                    computed.push(timed.computed as f64);
                    generated_total += timed.generated;
                }
            }
            let max_computed = computed.iter().cloned().fold(0.0, f64::max);
            println!(
                "{}",
                serde_json::json!({"measure": "trace", "base_chars": base.chars().count(), "cold_ms": cold_ms,
                    "follow_p50_ms": percentile(&mut follow_ms.clone(), 50.0),
                    "follow_p95_ms": percentile(&mut follow_ms, 95.0),
                    "computed_median": median(&mut computed), "computed_max": max_computed,
                    "follow_generated_total": generated_total,
                    "rss_mib": rss_kib("VmRSS:") / 1024, "peak_rss_mib": rss_kib("VmHWM:") / 1024})
            );
        }
        "cancel" => {
            // Cancel-to-idle while decoding: a cached 2,000-token prompt, cancelled after its
            // second token; the time from the cancel until the engine has let go of the sequence.
            let base = cut_to_tokens(&engine, &source, 2000).await;
            let _ = run(&engine, &base, 1, &[]).await;
            let mut idle_ms = Vec::new();
            for run_index in 0..runs {
                let mut request =
                    GenerateRequest::completion(format!("{base}\n// run {run_index}"), 400);
                request.stop = Vec::new();
                let mut generation = engine.generate(request);
                generation.wait_for_deltas(2).await;
                let cancelled = Instant::now();
                generation.cancel();
                while engine.busy() > 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                idle_ms.push(cancelled.elapsed().as_secs_f64() * 1000.0);
            }
            // Cancel-to-idle during a prompt: a fresh 2,000-token prompt cancelled part-way
            // through its forward pass, then the same prompt again, which starts from the
            // chunks that the cancelled pass finished.
            let mut prompt_idle_ms = Vec::new();
            let mut resumed = Vec::new();
            for run_index in 0..runs {
                let prompt = format!("// prompt cancel {run_index} {}\n{base}", unique());
                let generation = engine.generate(GenerateRequest::completion(&prompt, 16));
                let delay = 400 + (run_index as u64 * 1637) % 4000;
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let cancelled = Instant::now();
                generation.cancel();
                while engine.busy() > 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                prompt_idle_ms.push(cancelled.elapsed().as_secs_f64() * 1000.0);
                let again = run(&engine, &prompt, 1, &[]).await;
                resumed.push((again.prompt - again.computed) as f64);
                println!(
                    "{}",
                    serde_json::json!({"measure": "cancel_prompt_run", "cancelled_after_ms": delay,
                        "idle_ms": prompt_idle_ms[run_index], "resumed_from_tokens": again.prompt - again.computed,
                        "prompt_tokens": again.prompt})
                );
            }
            println!(
                "{}",
                serde_json::json!({"measure": "cancel", "runs": runs,
                    "idle_p50_ms": percentile(&mut idle_ms.clone(), 50.0),
                    "idle_max_ms": idle_ms.iter().cloned().fold(0.0, f64::max),
                    "prompt_idle_p50_ms": percentile(&mut prompt_idle_ms.clone(), 50.0),
                    "prompt_idle_max_ms": prompt_idle_ms.iter().cloned().fold(0.0, f64::max),
                    "resumed_from_tokens_median": median(&mut resumed)})
            );
        }
        "edit" => {
            // Copy-heavy output, as an edit's: the prompt holds a stretch of the file, then
            // starts the same stretch again with one name changed; the model goes on copying.
            // Each run decodes the same prompt without and with prompt-lookup drafting (a new
            // first line keeps each pair's prompt cold; the pair shares it, so both decode from
            // the same cached prompt).
            let body = cut_to_tokens(&engine, &source, 700).await;
            let lines: Vec<&str> = body.lines().collect();
            let start = lines.len() / 3;
            let original = lines[start..].join("\n");
            let renamed = original.replace("cache", "store");
            let head: String = renamed.lines().take(3).collect::<Vec<_>>().join("\n");
            let mut plain_rates = Vec::new();
            let mut drafted_rates = Vec::new();
            let mut identical = 0;
            let stats_before = infill_engine::prompt_lookup_stats();
            for run_index in 0..runs {
                let prompt = format!(
                    "// run {run_index} {}\n// Before:\n{original}\n// After (every `cache` renamed to `store`):\n{head}\n",
                    unique()
                );
                // Warm the prompt so that both arms measure decoding only.
                run_with(&engine, &prompt, 1, &[], false).await;
                let plain = run_with(&engine, &prompt, 128, &[], false).await;
                let drafted = run_with(&engine, &prompt, 128, &[], true).await;
                let rate = |t: &Timed| {
                    t.generated.saturating_sub(1) as f64 / (t.total - t.first).as_secs_f64()
                };
                plain_rates.push(rate(&plain));
                drafted_rates.push(rate(&drafted));
                identical += usize::from(plain.text == drafted.text);
                if std::env::var_os("INFILL_BENCH_SHOW").is_some() {
                    eprintln!("--- plain\n{}\n--- drafted\n{}", plain.text, drafted.text);
                }
            }
            let stats = infill_engine::prompt_lookup_stats();
            let drafted = stats.drafted - stats_before.drafted;
            let accepted = stats.accepted - stats_before.accepted;
            let steps = stats.steps - stats_before.steps;
            let produced = stats.produced - stats_before.produced;
            let plain = median(&mut plain_rates);
            let with_lookup = median(&mut drafted_rates);
            println!(
                "{}",
                serde_json::json!({"measure": "edit", "runs": runs,
                    "decode_tok_per_s": plain,
                    "decode_tok_per_s_prompt_lookup": with_lookup,
                    "speedup": with_lookup / plain,
                    "verify_steps": steps, "drafted": drafted, "accepted": accepted,
                    "acceptance": accepted as f64 / drafted.max(1) as f64,
                    "tokens_per_verify_step": produced as f64 / steps.max(1) as f64,
                    "identical_outputs": identical})
            );
        }
        other => panic!("unknown mode {other}; {usage}"),
    }
    std::process::exit(0);
}
