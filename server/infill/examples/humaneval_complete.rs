//! Completes HumanEval-infilling tasks with the real completion pipeline, for
//! `scripts/bench/humaneval.py` (which runs this example and scores its output; see
//! `scripts/bench/README.md`).
//!
//! Reads JSON lines `{"task_id", "prompt" (or "prefix"), "suffix"}` on stdin, loads the configured
//! engine once (`Config::load(None)`: the fetched default model unless a config file names
//! another), and for each task writes one JSON line per arm to stdout:
//! `{"task_id", "arm", "completion", "ms", "prompt_tokens", "computed_tokens", "source", "shape",
//! "error"}`.
//!
//! Arms (`--arm A[,B...]`, default `pipeline,raw`):
//! - `pipeline`: `Completer::complete` with post-processing on, what the editor is shown;
//! - `raw`: the same with `postprocess = false` (`postprocess::postprocess_off`);
//! - `naive`: no pipeline: the engine completes the bare prefix and the output is cut at the
//!   first blank line.
//!
//! `pipeline` and `raw` share ONE generation (see [`complete_pipeline_and_raw`]): the `raw`
//! call hits the completer's identical-request cache, so it post-processes the very text the
//! `pipeline` call generated. Its `ms`/token figures are those of that shared generation.
//!
//! Layout (`--layout indent|editor|literal`, default `indent`): HumanEval's prefix ends at a line
//! start and its suffix usually starts with the next line's code.
//! - `literal`: `text = prefix + suffix`; the cursor sits right before that code (`|    x = 1`),
//!   so the pipeline can only make a one-line suggestion that the editor glues onto `x = 1`.
//! - `editor`: the cursor gets its own empty line, as after Enter: `text = prefix + "\n" +
//!   suffix` (no extra newline when the suffix starts with one); the cursor is at column 0.
//! - `indent`: `editor` plus the indentation an editor's auto-indent types on the new line (that
//!   of the previous non-blank line of the prefix, four more after a line ending in `:`). Only
//!   the prefix decides it, never the hidden solution.
//!
//! Each output line also carries `typed` (what the simulated editor typed at the cursor before
//! completing) and `separator` (the newline added after the cursor), so the scorer can rebuild
//! the document the editor holds after accepting: `prefix + typed + completion + separator +
//! suffix`. The `naive` arm gets `typed = ""` and the `editor` separator in every layout.
//!
//! Options: `--max-tokens 128 --max-lines 16 --budget-ms 30000 --limit N`.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use infill::config::Config;
use infill_engine::{Engine, GenerateRequest, GenerationStats, PromptInput};
use infill_ide::completion::{
    Completer, CompletionInput, CompletionSettings, Suggestion, SuggestionSource,
};
use infill_ide::postprocess::{self, PostprocessConfig, Shape};
use infill_syntax::{Document, DocumentLimits, LanguageRegistry};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arm {
    Pipeline,
    Raw,
    Naive,
}

impl Arm {
    fn name(self) -> &'static str {
        match self {
            Arm::Pipeline => "pipeline",
            Arm::Raw => "raw",
            Arm::Naive => "naive",
        }
    }

    fn parse(name: &str) -> anyhow::Result<Arm> {
        Ok(match name {
            "pipeline" => Arm::Pipeline,
            "raw" | "postprocess_off" => Arm::Raw,
            "naive" => Arm::Naive,
            other => bail!("unknown arm `{other}` (pipeline, raw, naive)"),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Indent,
    Editor,
    Literal,
}

#[derive(Debug)]
struct Options {
    arms: Vec<Arm>,
    layout: Layout,
    max_tokens: usize,
    max_lines: usize,
    budget: Duration,
    limit: Option<usize>,
}

fn parse_args() -> anyhow::Result<Options> {
    let mut options = Options {
        arms: vec![Arm::Pipeline, Arm::Raw],
        layout: Layout::Indent,
        max_tokens: 128,
        max_lines: 16,
        budget: Duration::from_secs(30),
        limit: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--arm" => {
                options.arms =
                    value()?.split(',').map(Arm::parse).collect::<anyhow::Result<_>>()?;
            }
            "--layout" => {
                options.layout = match value()?.as_str() {
                    "indent" => Layout::Indent,
                    "editor" => Layout::Editor,
                    "literal" => Layout::Literal,
                    other => bail!("unknown layout `{other}` (indent, editor, literal)"),
                }
            }
            "--max-tokens" => options.max_tokens = value()?.parse()?,
            "--max-lines" => options.max_lines = value()?.parse()?,
            "--budget-ms" => options.budget = Duration::from_millis(value()?.parse()?),
            "--limit" => options.limit = Some(value()?.parse()?),
            "-h" | "--help" => {
                eprintln!(
                    "usage: humaneval_complete [--arm pipeline,raw,naive] [--layout indent|editor|literal] \
                     [--max-tokens N] [--max-lines N] [--budget-ms MS] [--limit N] < tasks.jsonl"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}`"),
        }
    }
    if options.arms.is_empty() {
        bail!("no arm given");
    }
    Ok(options)
}

/// A task laid out as an editor buffer.
#[derive(Debug, PartialEq, Eq)]
struct Buffer {
    text: String,
    cursor: usize,
    /// Typed at the cursor before completing (auto-indentation).
    typed: String,
    /// Inserted right after the cursor (the cursor's own line).
    separator: &'static str,
}

/// The indentation an editor's auto-indent puts on a new line after `prefix`: the previous
/// non-blank line's, plus four spaces after a line that ends with `:` (a Python block opener).
fn auto_indent(prefix: &str) -> String {
    let Some(previous) = prefix.lines().rev().find(|line| !line.trim().is_empty()) else {
        return String::new();
    };
    let indent: String = previous.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let code = previous.split(" #").next().unwrap_or(previous).trim_end();
    if code.ends_with(':') { format!("{indent}    ") } else { indent }
}

/// The buffer for a task in the chosen layout.
fn layout(prefix: &str, suffix: &str, layout: Layout) -> Buffer {
    let separator = separator(suffix, layout);
    let typed = match layout {
        Layout::Indent if prefix.is_empty() || prefix.ends_with('\n') => auto_indent(prefix),
        _ => String::new(),
    };
    let text = format!("{prefix}{typed}{separator}{suffix}");
    Buffer { cursor: prefix.len() + typed.len(), text, typed, separator }
}

/// The newline that gives the cursor its own line (none in the literal layout).
fn separator(suffix: &str, layout: Layout) -> &'static str {
    match layout {
        Layout::Editor | Layout::Indent if !suffix.is_empty() && !suffix.starts_with('\n') => "\n",
        _ => "",
    }
}

/// The pipeline's input for a task, built as `infill::cli::completion_input` builds it for a
/// file on disk: a parsed `task.py` document and the cursor as a byte offset.
fn completion_input(text: &str, cursor: usize) -> CompletionInput {
    let registry = LanguageRegistry::builtin();
    let document =
        Document::new(text, 0, registry.for_path(Path::new("task.py")), &DocumentLimits::default());
    CompletionInput {
        path: "task.py".into(),
        repo_name: String::new(),
        text: document.text(),
        cursor,
        tree: document.tree().cloned(),
        language: document.language().cloned(),
        context: Vec::new(),
    }
}

fn settings(options: &Options, postprocess: bool) -> CompletionSettings {
    CompletionSettings {
        max_tokens: options.max_tokens,
        max_lines: options.max_lines,
        time_budget: options.budget,
        in_comments: true,
        in_strings: true,
        postprocess,
        ..CompletionSettings::default()
    }
}

/// The shape the pipeline decides for `input` (reported, not used).
fn shape_name(input: &CompletionInput, options: &Options) -> String {
    let config = PostprocessConfig {
        max_lines: options.max_lines,
        allow_in_comments: true,
        allow_in_strings: true,
        multiline: options.max_lines > 1,
    };
    let shape = postprocess::decide_shape(
        &input.text[..input.cursor],
        &input.text[input.cursor..],
        input.tree.as_ref(),
        input.language.as_deref(),
        &config,
    );
    match shape {
        Shape::SingleLine => "single_line".into(),
        Shape::MultiLine => "multi_line".into(),
        Shape::Suppress(reason) => format!("suppress:{}", reason.as_str()),
    }
}

/// One arm's result for one task.
#[derive(Debug, Default)]
pub struct Outcome {
    pub completion: String,
    pub ms: u128,
    pub stats: Option<GenerationStats>,
    pub source: Option<&'static str>,
    pub error: Option<String>,
}

fn source_name(source: SuggestionSource) -> &'static str {
    match source {
        SuggestionSource::Engine => "engine",
        SuggestionSource::TypedThrough => "typed_through",
        SuggestionSource::Cache => "cache",
    }
}

fn outcome(result: anyhow::Result<Option<Suggestion>>, ms: u128) -> Outcome {
    match result {
        Ok(Some(s)) => Outcome {
            completion: s.text,
            ms,
            stats: s.stats,
            source: Some(source_name(s.source)),
            error: None,
        },
        Ok(None) => Outcome { ms, ..Outcome::default() },
        Err(error) => Outcome { ms, error: Some(format!("{error:#}")), ..Outcome::default() },
    }
}

/// The `pipeline` and `raw` (post-processing off) results of ONE generation.
///
/// Runs `Completer::complete` with post-processing on, then again with it off on the same
/// completer: the second call builds the same engine request, so it is answered from the
/// completer's identical-request cache with the first call's raw model text, and only the
/// post-processing differs. The completer is fresh per task, so neither call can be answered
/// from another task's cache or by typed-through reuse. Fails if the second call did reach the
/// engine (the two arms would then not share their raw text).
pub async fn complete_pipeline_and_raw(
    engine: &Arc<dyn Engine>,
    pipeline: CompletionSettings,
    input: CompletionInput,
) -> (Outcome, Outcome) {
    let completer = Completer::new(
        Arc::clone(engine),
        CompletionSettings { postprocess: true, ..pipeline.clone() },
    );
    let started = Instant::now();
    let first = completer.complete(input.clone()).await.map_err(anyhow::Error::from);
    let first_ms = started.elapsed().as_millis();
    let generation_failed = first.is_err();
    let pipeline_outcome = outcome(first, first_ms);
    if generation_failed {
        let raw =
            Outcome { ms: first_ms, error: pipeline_outcome.error.clone(), ..Outcome::default() };
        return (pipeline_outcome, raw);
    }
    completer.set_settings(CompletionSettings { postprocess: false, ..pipeline });
    let second = completer.complete(input).await.map_err(anyhow::Error::from);
    let mut raw = outcome(second, first_ms);
    match raw.source {
        // The shared generation: report its statistics for both arms.
        Some("cache") => raw.stats = pipeline_outcome.stats.clone(),
        // Both arms were suppressed before any generation, or the raw text is blank.
        None if raw.error.is_none() => raw.stats = pipeline_outcome.stats.clone(),
        Some(other) => {
            raw.error = Some(format!("the raw arm did not reuse the generation (source {other})"));
        }
        None => {}
    }
    (pipeline_outcome, raw)
}

/// Cuts `text` before its first blank (empty or whitespace-only) line.
fn cut_at_blank_line(text: &str) -> String {
    let mut kept = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            break;
        }
        kept.push_str(line);
    }
    kept
}

/// The `naive` arm: the bare prefix as the prompt, no shape, no template, no post-processing.
async fn complete_naive(engine: &Arc<dyn Engine>, options: &Options, prefix: &str) -> Outcome {
    let request = GenerateRequest {
        input: PromptInput::Text(prefix.to_string()),
        // Output past the first blank line is cut anyway; stopping there saves decoding and
        // leaves the cut text unchanged.
        stop: vec!["\n\n".into()],
        max_tokens: options.max_tokens,
        time_budget: Some(options.budget),
        temperature: 0.0,
        top_p: None,
        seed: Some(0),
    };
    let started = Instant::now();
    let result = engine.generate(request).collect().await;
    let ms = started.elapsed().as_millis();
    match result {
        Ok(done) => Outcome {
            completion: cut_at_blank_line(&done.text),
            ms,
            stats: Some(done.stats),
            source: Some("engine"),
            error: None,
        },
        Err(error) => Outcome { ms, error: Some(error.to_string()), ..Outcome::default() },
    }
}

/// What one output line says about its task besides the arm's outcome.
struct Written<'a> {
    task_id: &'a Value,
    shape: &'a str,
    typed: &'a str,
    separator: &'a str,
}

fn write_line(out: &mut impl Write, w: &Written<'_>, arm: Arm, o: &Outcome) -> anyhow::Result<()> {
    let line = json!({
        "task_id": w.task_id,
        "arm": arm.name(),
        "typed": w.typed,
        "separator": w.separator,
        "completion": o.completion,
        "ms": o.ms as u64,
        "prompt_tokens": o.stats.as_ref().map(|s| s.prompt_tokens),
        "computed_tokens": o.stats.as_ref().map(|s| s.computed_tokens),
        "generated_tokens": o.stats.as_ref().map(|s| s.generated_tokens),
        "source": o.source,
        "shape": w.shape,
        "error": o.error,
    });
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = parse_args()?;
    let config = Config::load(None)?;
    let loading = Instant::now();
    let engine = infill::engine::load(config.model).await.context("loading the model")?;
    eprintln!(
        "humaneval_complete: {} loaded in {} ms; arms {:?}, layout {:?}",
        engine.capabilities().name,
        loading.elapsed().as_millis(),
        options.arms.iter().map(|a| a.name()).collect::<Vec<_>>(),
        options.layout
    );
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let wants = |arm| options.arms.contains(&arm);
    for (index, line) in stdin.lock().lines().enumerate() {
        if options.limit.is_some_and(|limit| index >= limit) {
            break;
        }
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let task: Value = serde_json::from_str(&line).context("a task line is not JSON")?;
        let task_id = task.get("task_id").cloned().unwrap_or(Value::Null);
        let prefix = task
            .get("prefix")
            .or_else(|| task.get("prompt"))
            .and_then(Value::as_str)
            .context("a task has no prefix/prompt")?;
        let suffix = task.get("suffix").and_then(Value::as_str).unwrap_or("");
        let buffer = layout(prefix, suffix, options.layout);
        let input = completion_input(&buffer.text, buffer.cursor);
        let shape = shape_name(&input, &options);
        let written = Written {
            task_id: &task_id,
            shape: &shape,
            typed: &buffer.typed,
            separator: buffer.separator,
        };
        if wants(Arm::Pipeline) || wants(Arm::Raw) {
            let (pipeline, raw) =
                complete_pipeline_and_raw(&engine, settings(&options, true), input).await;
            if wants(Arm::Pipeline) {
                write_line(&mut out, &written, Arm::Pipeline, &pipeline)?;
            }
            if wants(Arm::Raw) {
                write_line(&mut out, &written, Arm::Raw, &raw)?;
            }
        }
        if wants(Arm::Naive) {
            let naive = complete_naive(&engine, &options, prefix).await;
            // The naive arm ignores the layout: the bare prefix, the cursor on its own line.
            let written = Written {
                shape: "none",
                typed: "",
                separator: separator(suffix, Layout::Editor),
                ..written
            };
            write_line(&mut out, &written, Arm::Naive, &naive)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_before_the_first_blank_line() {
        assert_eq!(
            cut_at_blank_line("    a = 1\n    b = 2\n\n    c = 3\n"),
            "    a = 1\n    b = 2\n"
        );
        assert_eq!(cut_at_blank_line("    a = 1\n   \n    c\n"), "    a = 1\n");
        assert_eq!(cut_at_blank_line("\n    a = 1\n"), "");
        assert_eq!(cut_at_blank_line("    return x"), "    return x");
    }

    #[test]
    fn layouts() {
        let b = |text: &str, cursor, typed: &str, separator| Buffer {
            text: text.into(),
            cursor,
            typed: typed.into(),
            separator,
        };
        assert_eq!(layout("a\n", "    b\n", Layout::Editor), b("a\n\n    b\n", 2, "", "\n"));
        assert_eq!(layout("a\n", "\n    b\n", Layout::Editor), b("a\n\n    b\n", 2, "", ""));
        assert_eq!(layout("a\n", "    b\n", Layout::Literal), b("a\n    b\n", 2, "", ""));
        let prefix = "def f(x):\n    \"\"\"Doc.\"\"\"\n\n";
        let indented = layout(prefix, "    return x\n", Layout::Indent);
        assert_eq!(indented.typed, "    ");
        assert_eq!(indented.cursor, prefix.len() + 4);
        assert_eq!(&indented.text[indented.cursor..], "\n    return x\n");
    }

    #[test]
    fn auto_indents_like_an_editor() {
        assert_eq!(auto_indent(""), "");
        assert_eq!(auto_indent("def f():\n"), "    ");
        assert_eq!(auto_indent("def f():\n    for x in y:  # loop\n"), "        ");
        assert_eq!(auto_indent("def f():\n    x = 1\n\n"), "    ");
        assert_eq!(auto_indent("def f():\n        return x\n"), "        ");
    }
}
