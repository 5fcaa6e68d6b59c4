//! Runs the refactor agent on the multi-file refactor tasks of `tests/refactor/tasks/` and
//! prints a Markdown table (or JSON with `--json`).
//!
//! ```text
//! . scripts/env.sh && cargo run --release --locked --example refactor_bench -- \
//!     [--model PATH] [--tasks DIR] [--only NAME] [--json] [--json-file PATH]
//! ```
//!
//! (`cargo test --release --locked --workspace --no-run` builds it too, as
//! `$CARGO_TARGET_DIR/release/examples/refactor_bench`, with the same mistral.rs build as the
//! binary.) Each task's files are copied into a temporary folder, which is indexed like a workspace; the
//! agent then runs from the task's start file and cursor (or selection).
//!
//! - Without `--model`, the "model" is a scripted engine that answers the agent's protocol
//!   from the task's expected texts (see `refactor_bench/harness.rs`): this measures the agent's
//!   machinery (candidate files from the graph, anchoring, verification, rename checks), and a
//!   task is **correct** when the change set's new texts equal every expected text exactly.
//! - With `--model PATH` (a GGUF file), the model answers. Each task is then **valid** (the
//!   agent returned edits and every edited file parses), **refused** (with the agent's reason)
//!   or invalid, and it may happen to be correct.
//!
//! The table has, per task: its language, the files it changes (expected / produced), the
//! outcome, the agent's wall time and the time spent in each step kind (plan, edit, verify,
//! repair); the last line sums up (correct or valid count, median wall time).

#[path = "refactor_bench/harness.rs"]
mod harness;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use harness::{Run, STEPS, Task, Verdict, judge, millis, oracle_engine, run_task};
use infill_engine::{Engine, EngineConfig, LocalEngineConfig};
use infill_ide::actions::ActionSettings;
use infill_ide::edit::unified_diff;
use serde_json::{Value, json};

/// Runs the refactor agent on the refactor tasks and prints a table.
#[derive(Debug, Parser)]
#[command(name = "refactor_bench")]
struct Options {
    /// A GGUF model to answer the agent; without it, a scripted model answers from the tasks'
    /// expected texts.
    #[arg(long, value_name = "PATH")]
    model: Option<PathBuf>,
    /// The folder of task files (`*.toml`).
    #[arg(long, value_name = "DIR")]
    tasks: Option<PathBuf>,
    /// Only the tasks whose name contains NAME.
    #[arg(long, value_name = "NAME")]
    only: Option<String>,
    /// Print JSON instead of a Markdown table.
    #[arg(long)]
    json: bool,
    /// Also write the JSON to this file.
    #[arg(long, value_name = "PATH")]
    json_file: Option<PathBuf>,
    /// The most tokens of one model answer (with `--model`).
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// The time budget of one model answer, in seconds (with `--model`).
    #[arg(long = "budget-secs", default_value_t = 60, value_name = "S")]
    budget_secs: u64,
}

/// One task's run and how it compares with the expected texts.
struct Row {
    task: Task,
    run: Run,
    verdict: Verdict,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let dir = options.tasks.clone().unwrap_or_else(harness::default_tasks_dir);
    let mut tasks = harness::load_tasks(&dir)?;
    if let Some(only) = &options.only {
        tasks.retain(|task| task.name.contains(only.as_str()));
        if tasks.is_empty() {
            bail!("no task name contains `{only}` in {}", dir.display());
        }
    }
    let model: Option<Arc<dyn Engine>> = match &options.model {
        Some(path) => {
            if !path.is_file() {
                bail!("the model {} is not a file", path.display());
            }
            let config = LocalEngineConfig { path: Some(path.clone()), ..Default::default() };
            let engine = infill::engine::load(config, EngineConfig::default())
                .await
                .with_context(|| format!("cannot load the model {}", path.display()))?;
            Some(engine)
        }
        None => None,
    };
    let settings = match &model {
        Some(_) => ActionSettings {
            max_tokens: options.max_tokens,
            time_budget: Some(Duration::from_secs(options.budget_secs)),
            ..ActionSettings::default()
        },
        // The scripted answers are whole files' diffs: no limit should cut them.
        None => ActionSettings { max_tokens: 1 << 16, ..ActionSettings::default() },
    };
    let mut rows = Vec::new();
    let total = tasks.len();
    for (number, task) in tasks.into_iter().enumerate() {
        let engine: Arc<dyn Engine> = match &model {
            Some(engine) => Arc::clone(engine),
            None => oracle_engine(&task),
        };
        let run = run_task(&task, engine, settings.clone()).await?;
        let verdict = judge(&task, &run);
        let row = Row { task, run, verdict };
        if model.is_some() {
            eprintln!(
                "[{}/{total}] {}: {} ({:.0} ms)",
                number + 1,
                row.task.name,
                outcome(&row, true),
                millis(row.run.wall)
            );
        }
        rows.push(row);
    }
    let with_model = model.is_some();
    let engine =
        options.model.as_ref().map_or_else(|| "scripted".to_owned(), |p| p.display().to_string());
    let value = json!({
        "engine": engine,
        "tasks": rows.iter().map(|row| row_json(row, with_model)).collect::<Vec<_>>(),
        "summary": summary_json(&rows, with_model),
    });
    let text = serde_json::to_string_pretty(&value)?;
    if let Some(path) = &options.json_file {
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if options.json {
        println!("{text}");
    } else {
        print!("{}", table(&rows, with_model));
    }
    Ok(())
}

/// What happened, in a few words.
fn outcome(row: &Row, with_model: bool) -> String {
    let verdict = &row.verdict;
    let mut text = match (&row.run.result, with_model) {
        (Err(reason), _) => format!("refused: {reason}"),
        (Ok(_), false) if verdict.correct => "correct".to_owned(),
        (Ok(_), false) => format!("wrong: {}", verdict.problem.as_deref().unwrap_or("")),
        (Ok(_), true) if verdict.correct => "valid, correct".to_owned(),
        (Ok(_), true) if verdict.valid => "valid".to_owned(),
        (Ok(_), true) => format!("invalid: {}", verdict.problem.as_deref().unwrap_or("")),
    };
    if !with_model && let Some(reason) = &row.task.known_failure {
        text.push_str(&format!(" (known failure: {reason})"));
    }
    text
}

fn cell(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|");
    if one_line.chars().count() > 140 {
        format!("{}…", one_line.chars().take(140).collect::<String>())
    } else {
        one_line
    }
}

fn table(rows: &[Row], with_model: bool) -> String {
    let mut out = String::from(
        "| task | language | files (expected / produced) | outcome | wall ms | plan ms | edit ms | verify ms | repair ms |\n\
         |---|---|---|---|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let steps: Vec<String> =
            row.run.step_time.iter().map(|time| format!("{:.0}", millis(*time))).collect();
        out.push_str(&format!(
            "| {} | {} | {} / {} | {} | {:.0} | {} |\n",
            row.task.name,
            row.task.language(),
            row.verdict.expected_files,
            row.verdict.produced_files,
            cell(&outcome(row, with_model)),
            millis(row.run.wall),
            steps.join(" | "),
        ));
    }
    out.push('\n');
    out.push_str(&summary_line(rows, with_model));
    out.push('\n');
    out
}

fn median_wall_ms(rows: &[Row]) -> f64 {
    let mut walls: Vec<f64> = rows.iter().map(|row| millis(row.run.wall)).collect();
    walls.sort_by(f64::total_cmp);
    match walls.len() {
        0 => 0.0,
        n if n % 2 == 1 => walls[n / 2],
        n => (walls[n / 2 - 1] + walls[n / 2]) / 2.0,
    }
}

fn counts(rows: &[Row]) -> (usize, usize, usize) {
    let correct = rows.iter().filter(|row| row.verdict.correct).count();
    let valid = rows.iter().filter(|row| row.verdict.valid).count();
    let refused = rows.iter().filter(|row| row.run.result.is_err()).count();
    (correct, valid, refused)
}

fn summary_line(rows: &[Row], with_model: bool) -> String {
    let (correct, valid, refused) = counts(rows);
    let total = rows.len();
    let median = median_wall_ms(rows);
    if with_model {
        format!(
            "valid: {valid}/{total}, refused: {refused}/{total}, correct: {correct}/{total}; median wall time {median:.0} ms"
        )
    } else {
        let known = rows.iter().filter(|row| row.task.known_failure.is_some()).count();
        format!(
            "correct: {correct}/{total} ({known} known failure(s)); median wall time {median:.0} ms"
        )
    }
}

fn row_json(row: &Row, with_model: bool) -> Value {
    let step_ms: serde_json::Map<String, Value> = STEPS
        .iter()
        .zip(row.run.step_time)
        .map(|(step, time)| (step.name().to_owned(), json!(millis(time))))
        .collect();
    // Each produced file with its diff from the task's `before` text.
    let produced: Vec<Value> = match &row.run.result {
        Ok(files) => files
            .iter()
            .map(|file| {
                let before =
                    row.task.files.iter().find(|f| f.path == file.path).map_or("", |f| &f.before);
                let diff = unified_diff(
                    before,
                    &file.text,
                    &format!("a/{}", file.path),
                    &format!("b/{}", file.path),
                );
                json!({"path": file.path, "diff": diff})
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    json!({
        "name": row.task.name,
        "language": row.task.language(),
        "instruction": row.task.instruction,
        "expected_files": row.verdict.expected_files,
        "produced_files": row.verdict.produced_files,
        "produced": produced,
        "outcome": outcome(row, with_model),
        "correct": row.verdict.correct,
        "valid": row.verdict.valid,
        "refused": row.run.result.as_ref().err(),
        "problem": row.verdict.problem,
        "known_failure": row.task.known_failure,
        "wall_ms": millis(row.run.wall),
        "index_ms": millis(row.run.index_time),
        "step_ms": step_ms,
        "steps": row.run.steps.iter().map(|(step, message)| json!({"step": step.name(), "message": message})).collect::<Vec<_>>(),
    })
}

fn summary_json(rows: &[Row], with_model: bool) -> Value {
    let (correct, valid, refused) = counts(rows);
    json!({
        "tasks": rows.len(),
        "correct": correct,
        "valid": valid,
        "refused": refused,
        "median_wall_ms": median_wall_ms(rows),
        "line": summary_line(rows, with_model),
    })
}
