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
//! - `pipeline`: the completion pipeline with post-processing on, what the editor is shown;
//! - `raw`: the same generation with post-processing off (`postprocess::postprocess_off`);
//! - `naive`: no pipeline: the engine completes the bare prefix and the output is cut at the
//!   first blank line.
//!
//! `pipeline` and `raw` share ONE generation (see [`complete_pipeline_and_raw`]):
//! `Completer::generate_raw` runs once and `Completer::postprocess` turns its text into both
//! arms' completions, so they differ only in post-processing. Both report that generation's
//! `ms`, token figures and `source`. With the `raw` arm the generation runs past the point
//! where post-processing cuts (`CompletionSettings::stop_at_cut` off), so that arm sees what the
//! model would have written; `--arm pipeline` alone stops there, as the server does, and its
//! `ms` is an editor's.
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
//! Options (`--help` lists them): `--max-tokens 128 --max-lines 16 --budget-ms 30000 --limit N`.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use infill::config::Config;
use infill_engine::{Engine, GenerateRequest, GenerationStats, PromptInput};
use infill_ide::completion::{
    Completer, CompletionInput, CompletionSettings, FileLabel, SuggestionSource,
};
use infill_ide::postprocess::{self, PostprocessConfig, Shape};
use infill_syntax::{Document, DocumentLimits, LanguageRegistry};
use serde_json::{Value, json};

/// One way of completing a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Arm {
    /// The pipeline with post-processing on.
    Pipeline,
    /// The pipeline's generation with post-processing off.
    #[value(alias = "postprocess_off")]
    Raw,
    /// The bare prefix, no template, cut at the first blank line.
    Naive,
    /// What the editor gets: the pipeline with its syntax check (repair, further sampled
    /// candidates when the first breaks the syntax, nothing rather than broken code).
    Checked,
}

impl Arm {
    fn name(self) -> &'static str {
        match self {
            Arm::Pipeline => "pipeline",
            Arm::Raw => "raw",
            Arm::Naive => "naive",
            Arm::Checked => "checked",
        }
    }
}

/// How a task becomes an editor buffer (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Layout {
    /// `editor`, plus the indentation an editor's auto-indent types.
    Indent,
    /// The cursor on its own line, at column 0.
    Editor,
    /// `prefix + suffix`, the cursor glued to the next line's code.
    Literal,
}

/// Completes HumanEval-infilling tasks read as JSON lines on stdin; writes one JSON line per
/// task and arm to stdout.
#[derive(Debug, Parser)]
#[command(
    name = "humaneval_complete",
    override_usage = "humaneval_complete [OPTIONS] < tasks.jsonl"
)]
struct Options {
    /// Arms to run, separated by commas.
    #[arg(long = "arm", value_enum, value_delimiter = ',', default_value = "pipeline,raw")]
    arms: Vec<Arm>,
    /// How each task is laid out as an editor buffer.
    #[arg(long, value_enum, default_value_t = Layout::Indent)]
    layout: Layout,
    /// The most tokens per generation.
    #[arg(long, default_value_t = 128)]
    max_tokens: usize,
    /// The most lines per completion.
    #[arg(long, default_value_t = 16)]
    max_lines: usize,
    /// The time budget of one generation, in milliseconds.
    #[arg(long = "budget-ms", default_value_t = 30_000, value_name = "MS")]
    budget_ms: u64,
    /// Only the first N tasks.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

impl Options {
    fn budget(&self) -> Duration {
        Duration::from_millis(self.budget_ms)
    }
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

/// The pipeline's input for a task: a parsed `task.py` document and the cursor as a byte
/// offset, built by the same `CompletionInput::from_document` as the server's and the CLI's.
fn completion_input(text: &str, cursor: usize) -> CompletionInput {
    let registry = LanguageRegistry::builtin();
    let mut document =
        Document::new(text, 0, registry.for_path(Path::new("task.py")), &DocumentLimits::default());
    CompletionInput::from_document(&mut document, cursor, FileLabel::named("task.py"))
}

fn settings(options: &Options) -> CompletionSettings {
    CompletionSettings {
        max_tokens: options.max_tokens,
        max_lines: options.max_lines,
        time_budget: options.budget(),
        in_comments: true,
        in_strings: true,
        postprocess: true,
        // The `raw` arm reads the model's output past post-processing's cut: decode all of it
        // then, as an editor's pipeline (`--arm pipeline` alone) would not.
        stop_at_cut: !options.arms.contains(&Arm::Raw),
        // Every task is a new file: measure the full prompt's answer.
        fast_first_prefix_bytes: 0,
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
    /// Generations made (the checked arm: more than one when the first candidate broke).
    pub generations: Option<usize>,
    /// The checked arm changed or replaced the first candidate to make it parse.
    pub repaired: Option<bool>,
}

fn source_name(source: SuggestionSource) -> &'static str {
    match source {
        SuggestionSource::Engine => "engine",
        SuggestionSource::TypedThrough => "typed_through",
        SuggestionSource::Cache => "cache",
        SuggestionSource::ShortPrompt => "short_prompt",
    }
}

/// The `pipeline` and `raw` (post-processing off) results of ONE generation.
///
/// `Completer::generate_raw` makes the generation (nothing when the shape suppresses the
/// cursor), and `Completer::postprocess` runs on its text twice: with the filters for
/// `pipeline`, without them for `raw`. Both arms report the generation's statistics and
/// source; `ms` is the time to the pipeline's completion.
pub async fn complete_pipeline_and_raw(
    engine: &Arc<dyn Engine>,
    settings: CompletionSettings,
    input: CompletionInput,
) -> (Outcome, Outcome) {
    let completer = Completer::new(Arc::clone(engine), settings);
    let started = Instant::now();
    let generated = completer.generate_raw(&input).await;
    let raw = match generated {
        Ok(Some(raw)) => raw,
        // Suppressed: no generation, no completion in either arm.
        Ok(None) => {
            let ms = started.elapsed().as_millis();
            return (Outcome { ms, ..Outcome::default() }, Outcome { ms, ..Outcome::default() });
        }
        Err(error) => {
            let ms = started.elapsed().as_millis();
            let error = Some(format!("{:#}", anyhow::Error::from(error)));
            let failed = || Outcome { ms, error: error.clone(), ..Outcome::default() };
            return (failed(), failed());
        }
    };
    let pipeline = completer.postprocess(&input, &raw, true);
    let ms = started.elapsed().as_millis();
    let unfiltered = completer.postprocess(&input, &raw, false);
    let source = source_name(raw.source);
    let arm = |completion: Option<String>| Outcome {
        source: completion.is_some().then_some(source),
        completion: completion.unwrap_or_default(),
        ms,
        stats: raw.stats.clone(),
        error: None,
        generations: Some(1),
        repaired: None,
    };
    (arm(pipeline), arm(unfiltered))
}

/// The `checked` arm: `Completer::complete`, the editor's whole path with the syntax check.
pub async fn complete_checked(
    engine: &Arc<dyn Engine>,
    settings: CompletionSettings,
    input: CompletionInput,
) -> Outcome {
    let completer = Completer::new(Arc::clone(engine), settings);
    let started = Instant::now();
    let result = completer.complete(input).await;
    let ms = started.elapsed().as_millis();
    match result {
        Ok(Some(suggestion)) => Outcome {
            completion: suggestion.text,
            ms,
            stats: suggestion.stats,
            source: Some(source_name(suggestion.source)),
            error: None,
            generations: Some(suggestion.generations),
            repaired: Some(suggestion.repaired),
        },
        Ok(None) => Outcome { ms, ..Outcome::default() },
        Err(error) => Outcome {
            ms,
            error: Some(format!("{:#}", anyhow::Error::from(error))),
            ..Outcome::default()
        },
    }
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
        time_budget: Some(options.budget()),
        temperature: 0.0,
        top_p: None,
        seed: Some(0),
        cut: None,
        draft_from_prompt: false,
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
            generations: Some(1),
            repaired: None,
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
        "generations": o.generations,
        "repaired": o.repaired,
    });
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    if options.arms.is_empty() {
        bail!("no arm given");
    }
    let config = Config::load(None)?;
    let loading = Instant::now();
    let engine =
        infill::engine::load(config.model, config.engine).await.context("loading the model")?;
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
        if wants(Arm::Checked) {
            let checked = complete_checked(&engine, settings(&options), input.clone()).await;
            write_line(&mut out, &written, Arm::Checked, &checked)?;
        }
        if wants(Arm::Pipeline) || wants(Arm::Raw) {
            let (pipeline, raw) =
                complete_pipeline_and_raw(&engine, settings(&options), input).await;
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
    fn parses_the_options_the_benchmark_script_passes() {
        let options = Options::try_parse_from([
            "humaneval_complete",
            "--arm",
            "pipeline,postprocess_off,naive",
            "--layout",
            "editor",
            "--max-tokens",
            "64",
            "--max-lines",
            "4",
            "--budget-ms",
            "500",
            "--limit",
            "3",
        ])
        .unwrap();
        assert_eq!(options.arms, vec![Arm::Pipeline, Arm::Raw, Arm::Naive]);
        assert_eq!(options.layout, Layout::Editor);
        assert_eq!((options.max_tokens, options.max_lines), (64, 4));
        assert_eq!(options.budget(), Duration::from_millis(500));
        assert_eq!(options.limit, Some(3));
        let defaults = Options::try_parse_from(["humaneval_complete"]).unwrap();
        assert_eq!(defaults.arms, vec![Arm::Pipeline, Arm::Raw]);
        assert_eq!(defaults.layout, Layout::Indent);
        assert!(Options::try_parse_from(["humaneval_complete", "--arm", "best"]).is_err());
    }

    #[tokio::test]
    async fn pipeline_and_raw_share_one_generation() {
        use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
        let scripted = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
        // One reply: a second generation would fail. The `)` repeats the one after the cursor.
        scripted.push(ScriptedReply::text("a, b)"));
        let engine: Arc<dyn Engine> = scripted.clone();
        let text = "def f(a, b):\n    return max()\n";
        let input = completion_input(text, text.find("max(").unwrap() + 4);
        let options = Options::try_parse_from(["humaneval_complete"]).unwrap();
        let (pipeline, raw) = complete_pipeline_and_raw(&engine, settings(&options), input).await;
        assert_eq!(scripted.prompts().len(), 1);
        assert_eq!((pipeline.completion.as_str(), raw.completion.as_str()), ("a, b", "a, b)"));
        assert_eq!((pipeline.source, raw.source), (Some("engine"), Some("engine")));
        assert!(pipeline.error.is_none() && raw.error.is_none());
        assert_eq!(
            pipeline.stats.as_ref().map(|s| s.prompt_tokens),
            raw.stats.as_ref().map(|s| s.prompt_tokens)
        );
        assert!(raw.stats.is_some());
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
