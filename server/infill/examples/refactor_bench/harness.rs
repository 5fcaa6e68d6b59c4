//! The refactor benchmark's tasks and how one runs: a task file (`tests/refactor/tasks/*.toml`)
//! is read and checked, its files are written to a fresh directory that is indexed like a
//! workspace, and the refactor agent runs on it with a given engine. The scripted engine of
//! [`oracle_engine`] answers the agent's protocol from the task's expected texts, so a run with
//! it measures the agent's own machinery (candidate files, anchoring, verification, rename
//! checks) and must reproduce every expected text exactly.
//!
//! Shared by `examples/refactor_bench.rs` and `tests/refactor_tasks.rs`.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use infill_engine::{Engine, ModelFamily, ScriptedEngine, ScriptedReply};
use infill_ide::actions::{ActionEnv, ActionSettings, SourceText, Sources};
use infill_ide::refactor::{self, Progress, RefactorRequest, Scope, Step};
use infill_ide::workspace::Workspace;
use infill_syntax::LanguageRegistry;
use serde::Deserialize;

/// The step kinds, in the order the tables show them.
pub const STEPS: [Step; 4] = [Step::Plan, Step::Edit, Step::Verify, Step::Repair];

/// One file of a task.
#[derive(Debug, Clone)]
pub struct TaskFile {
    /// Relative to the task's root, with `/` separators.
    pub path: String,
    /// The text before the refactor.
    pub before: String,
    /// The correct text after it (equal to `before` for a file that must not change).
    pub after: String,
}

impl TaskFile {
    /// Whether the refactor must change this file.
    pub fn changes(&self) -> bool {
        self.before != self.after
    }
}

/// A refactor task.
#[derive(Debug, Clone)]
pub struct Task {
    /// The file name without `.toml`.
    pub name: String,
    /// What the user asks for.
    pub instruction: String,
    /// The file the user is in.
    pub start: String,
    /// The selected bytes of `start` (empty: the cursor).
    pub selection: Range<usize>,
    /// How far the refactor reaches.
    pub scope: Scope,
    /// The task's files.
    pub files: Vec<TaskFile>,
    /// Why the agent is known to get this task wrong, when it is.
    pub known_failure: Option<String>,
}

impl Task {
    /// The language of the start file (`python`, `rust`...).
    pub fn language(&self) -> String {
        LanguageRegistry::builtin()
            .for_path(Path::new(&self.start))
            .map_or_else(|| "text".to_owned(), |language| language.name.clone())
    }

    /// The files the refactor must change, in task order.
    pub fn changed(&self) -> impl Iterator<Item = &TaskFile> {
        self.files.iter().filter(|file| file.changes())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskToml {
    instruction: String,
    start: String,
    line: Option<usize>,
    lines: Option<String>,
    scope: Option<String>,
    known_failure: Option<String>,
    #[serde(rename = "file")]
    files: Vec<FileToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    path: String,
    before: String,
    after: Option<String>,
}

/// Reads every `*.toml` task of `dir`, sorted by name.
pub fn load_tasks(dir: &Path) -> anyhow::Result<Vec<Task>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the task folder {}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
        if path.extension().is_some_and(|extension| extension == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        bail!("no *.toml task in {}", dir.display());
    }
    paths.iter().map(|path| load_task(path)).collect()
}

/// Reads and checks one task file.
pub fn load_task(path: &Path) -> anyhow::Result<Task> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_task(&text, &task_name(path)).with_context(|| format!("invalid task {}", path.display()))
}

fn task_name(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| path.display().to_string(), |stem| stem.to_string_lossy().into_owned())
}

/// Parses and checks a task written as TOML.
pub fn parse_task(text: &str, name: &str) -> anyhow::Result<Task> {
    let raw: TaskToml = toml::from_str(text)?;
    if raw.instruction.trim().is_empty() {
        bail!("`instruction` is empty");
    }
    let mut files: Vec<TaskFile> = Vec::new();
    for file in raw.files {
        check_relative(&file.path)?;
        if files.iter().any(|other| other.path == file.path) {
            bail!("the file `{}` is listed twice", file.path);
        }
        let after = file.after.unwrap_or_else(|| file.before.clone());
        files.push(TaskFile { path: file.path, before: file.before, after });
    }
    if !files.iter().any(TaskFile::changes) {
        bail!("no file has an `after` that differs from its `before`");
    }
    let start = files
        .iter()
        .find(|file| file.path == raw.start)
        .with_context(|| format!("`start` names `{}`, which is not one of the files", raw.start))?;
    let (first, last) = match (raw.line, raw.lines.as_deref()) {
        (Some(line), None) => (line, None),
        (None, Some(lines)) => {
            let (a, b) = lines.split_once('-').unwrap_or((lines, lines));
            match (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
                (Ok(a), Ok(b)) if b >= a => (a, Some(b)),
                _ => bail!("`lines` must be `A-B` with A <= B, got `{lines}`"),
            }
        }
        (Some(_), Some(_)) => bail!("give `line` or `lines`, not both"),
        (None, None) => bail!("give the cursor's `line` or a selection's `lines`"),
    };
    let selection = selection(&start.before, first, last)?;
    let scope = match raw.scope.as_deref() {
        None => Scope::default(),
        Some(name) => Scope::from_name(name)
            .with_context(|| format!("unknown scope `{name}`: selection, file or workspace"))?,
    };
    Ok(Task {
        name: name.to_owned(),
        instruction: raw.instruction,
        start: raw.start,
        selection,
        scope,
        files,
        known_failure: raw.known_failure,
    })
}

fn check_relative(path: &str) -> anyhow::Result<()> {
    let relative = Path::new(path);
    if path.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("the file path `{path}` must be relative, without `..`");
    }
    Ok(())
}

/// The cursor (first non-blank character of line `first`) or the whole lines `first..=last`.
fn selection(text: &str, first: usize, last: Option<usize>) -> anyhow::Result<Range<usize>> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
    let line_count = text.lines().count();
    let end_line = last.unwrap_or(first);
    if first == 0 || end_line > line_count {
        bail!("line {end_line} is outside the start file (lines 1 to {line_count})");
    }
    let start = starts[first - 1];
    match last {
        None => {
            let line = text[start..].lines().next().unwrap_or("");
            let at = start + (line.len() - line.trim_start().len());
            Ok(at..at)
        }
        Some(last) => Ok(start..starts.get(last).copied().unwrap_or(text.len())),
    }
}

/// Reads the task's copy from disk, as the command line does.
struct DiskSources;

impl Sources for DiskSources {
    fn read(&self, path: &Path) -> Option<SourceText> {
        let text = std::fs::read_to_string(path).ok()?;
        Some(SourceText { text, version: None })
    }
}

/// Records when each step started.
#[derive(Default)]
struct Timeline {
    events: Mutex<Vec<(Step, String, Instant)>>,
}

impl Progress for Timeline {
    fn step(&self, step: Step, message: &str) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events.push((step, message.to_owned(), Instant::now()));
    }
}

/// One changed file as the agent produced it.
#[derive(Debug, Clone)]
pub struct ProducedFile {
    /// Relative to the task's root.
    pub path: String,
    /// The text after the agent's edits.
    pub text: String,
}

/// What one run of the agent did.
#[derive(Debug, Clone)]
pub struct Run {
    /// The changed files, or why the agent refused.
    pub result: Result<Vec<ProducedFile>, String>,
    /// The steps the agent reported, with their messages.
    pub steps: Vec<(Step, String)>,
    /// The agent's wall time (indexing excluded).
    pub wall: Duration,
    /// Time spent in each step kind, in the order of [`STEPS`].
    pub step_time: [Duration; 4],
    /// Time spent indexing the task's files.
    pub index_time: Duration,
}

/// Copies the task's files into a fresh directory, indexes it, and runs the agent with
/// `engine`.
pub async fn run_task(
    task: &Task,
    engine: Arc<dyn Engine>,
    settings: ActionSettings,
) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let root = std::fs::canonicalize(dir.path()).context("cannot resolve the temporary folder")?;
    for file in &task.files {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &file.before)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let index_started = Instant::now();
    let workspace = Workspace::default();
    workspace.index_root(&root, &|_, _| {});
    let index_time = index_started.elapsed();
    let registry = LanguageRegistry::builtin();
    let env = ActionEnv {
        engine,
        sources: &DiskSources,
        registry: &registry,
        root: root.clone(),
        settings,
    };
    let request = RefactorRequest {
        instruction: task.instruction.clone(),
        scope: task.scope,
        path: root.join(&task.start),
        selection: task.selection.clone(),
    };
    let timeline = Timeline::default();
    let started = Instant::now();
    let outcome = refactor::refactor(&env, Some(&workspace), &request, &timeline).await;
    let ended = Instant::now();
    let wall = ended - started;
    let events = timeline.events.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut step_time = [Duration::ZERO; 4];
    for (at, (step, _, when)) in events.iter().enumerate() {
        let next = events.get(at + 1).map_or(ended, |(_, _, next)| *next);
        if let Some(kind) = STEPS.iter().position(|s| s == step) {
            step_time[kind] += next.saturating_duration_since(*when);
        }
    }
    let steps = events.into_iter().map(|(step, message, _)| (step, message)).collect();
    let result = outcome
        .map(|outcome| {
            let files = outcome.changes.files.iter();
            files
                .map(|change| ProducedFile {
                    path: relative(&root, &change.path),
                    text: change.new_text(),
                })
                .collect()
        })
        .map_err(|error| error.to_string());
    Ok(Run { result, steps, wall, step_time, index_time })
}

fn relative(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// How a run compares with the task's expected texts.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Files the task changes.
    pub expected_files: usize,
    /// Files the agent changed (0 when it refused).
    pub produced_files: usize,
    /// The agent returned edits and every edited file parses without errors.
    pub valid: bool,
    /// Every expected text was produced exactly and nothing else changed.
    pub correct: bool,
    /// Why the run is not correct (the refusal, the first differing file...).
    pub problem: Option<String>,
}

/// Compares `run` with `task`.
pub fn judge(task: &Task, run: &Run) -> Verdict {
    let expected_files = task.changed().count();
    let produced = match &run.result {
        Ok(produced) => produced,
        Err(reason) => {
            return Verdict {
                expected_files,
                produced_files: 0,
                valid: false,
                correct: false,
                problem: Some(format!("refused: {reason}")),
            };
        }
    };
    let registry = LanguageRegistry::builtin();
    let mut unparsable = None;
    for file in produced {
        if let Some(language) = registry.for_path(Path::new(&file.path))
            && let Some(tree) = infill_syntax::parse(&language, &file.text)
            && tree.root_node().has_error()
        {
            unparsable.get_or_insert_with(|| format!("{} has syntax errors", file.path));
        }
    }
    let mut problem = unparsable.clone();
    for file in &task.files {
        let got = produced.iter().find(|p| p.path == file.path).map_or(&file.before, |p| &p.text);
        if *got != file.after && problem.is_none() {
            problem = Some(if file.changes() && *got == file.before {
                format!("{} was not changed", file.path)
            } else if !file.changes() {
                format!("{} was changed but should not be", file.path)
            } else {
                format!("{} differs from the expected text", file.path)
            });
        }
    }
    for file in produced {
        if !task.files.iter().any(|f| f.path == file.path) && problem.is_none() {
            problem = Some(format!("{} is not a file of the task", file.path));
        }
    }
    Verdict {
        expected_files,
        produced_files: produced.len(),
        valid: unparsable.is_none(),
        correct: problem.is_none(),
        problem,
    }
}

/// A scripted model that answers the agent's protocol from the task's expected texts: the plan
/// lists the listed candidates whose text must change (in task order); an edit prompt gets
/// SEARCH/REPLACE blocks that turn the file's text, as the prompt shows it, into its expected
/// text, or `NO CHANGES`.
pub fn oracle_engine(task: &Task) -> Arc<ScriptedEngine> {
    let files = task.files.clone();
    Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, move |prompt| {
        if prompt.contains("Which files must change") {
            let mut numbers = Vec::new();
            for file in files.iter().filter(|file| file.changes()) {
                if let Some(number) = listed_number(prompt, &file.path) {
                    numbers.push(number.to_string());
                }
            }
            return ScriptedReply::text(format!("FILES: {}", numbers.join(", ")));
        }
        let Some((name, current)) = file_in_prompt(prompt) else {
            return ScriptedReply::text("NO CHANGES");
        };
        match files.iter().find(|file| file.path == name) {
            Some(file) if file.after != current => {
                ScriptedReply::text(replacement_blocks(current, &file.after))
            }
            _ => ScriptedReply::text("NO CHANGES"),
        }
    }))
}

/// The planner's number for `path` in a listing line `N. path` or `N. path (defines ...)`.
fn listed_number(prompt: &str, path: &str) -> Option<usize> {
    prompt.lines().find_map(|line| {
        let (number, rest) = line.split_once(". ")?;
        let named = rest == path || rest.starts_with(&format!("{path} ("));
        if named { number.trim().parse().ok() } else { None }
    })
}

/// The file an edit prompt asks for and its text as the prompt shows it.
fn file_in_prompt(prompt: &str) -> Option<(&str, &str)> {
    const MARK: &str = "The file to edit now, ";
    let at = prompt.find(MARK)? + MARK.len();
    let header_end = at + prompt[at..].find('\n')?;
    let name = prompt[at..header_end].strip_suffix(':')?;
    let fence_end = header_end + 1 + prompt[header_end + 1..].find('\n')?;
    let body = &prompt[fence_end + 1..];
    let end = body.find("\n```\n\nReply with")?;
    Some((name, &body[..end]))
}

/// SEARCH/REPLACE blocks that turn `current` into `target`: one per changed region of lines,
/// each with the fewest context lines that make its SEARCH text occur exactly once.
pub fn replacement_blocks(current: &str, target: &str) -> String {
    let old: Vec<&str> = current.split_inclusive('\n').collect();
    let new: Vec<&str> = target.split_inclusive('\n').collect();
    let mut hunks = line_hunks(&old, &new);
    let blocks = loop {
        let blocks: Vec<Block> =
            hunks.iter().map(|hunk| widen(current, &old, &new, hunk)).collect();
        let overlap = blocks.windows(2).position(|pair| pair[1].old.start < pair[0].old.end);
        match overlap {
            Some(at) => {
                let next = hunks.remove(at + 1);
                hunks[at].old.end = next.old.end;
                hunks[at].new.end = next.new.end;
            }
            None => break blocks,
        }
    };
    let mut out = String::new();
    for block in blocks {
        let with_newline =
            |text: String| if text.is_empty() || text.ends_with('\n') { text } else { text + "\n" };
        out.push_str("<<<<<<< SEARCH\n");
        out.push_str(&with_newline(block.search));
        out.push_str("=======\n");
        out.push_str(&with_newline(block.replace));
        out.push_str(">>>>>>> REPLACE\n");
    }
    out
}

/// A changed region: lines `old` of the current text become lines `new` of the target.
#[derive(Debug, Clone)]
struct Hunk {
    old: Range<usize>,
    new: Range<usize>,
}

/// A hunk widened with context.
struct Block {
    old: Range<usize>,
    search: String,
    replace: String,
}

fn widen(current: &str, old: &[&str], new: &[&str], hunk: &Hunk) -> Block {
    let (mut before, mut after) = (0, 0);
    loop {
        let range = hunk.old.start - before..hunk.old.end + after;
        let search: String = old[range.clone()].concat();
        let unique = current.matches(search.as_str()).count() == 1;
        let exhausted = range.start == 0 && range.end == old.len();
        if (!search.trim().is_empty() && unique) || exhausted {
            let replace = [
                &old[range.start..hunk.old.start],
                &new[hunk.new.clone()],
                &old[hunk.old.end..range.end],
            ]
            .concat()
            .concat();
            return Block { old: range, search, replace };
        }
        // Widen on the side with more lines left, preferring the lines after.
        if range.end < old.len() && (after <= before || range.start == 0) {
            after += 1;
        } else {
            before += 1;
        }
    }
}

/// The changed regions between two texts' lines (a longest-common-subsequence diff).
fn line_hunks(old: &[&str], new: &[&str]) -> Vec<Hunk> {
    let (n, m) = (old.len(), new.len());
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * (m + 1) + j] = if old[i] == new[j] {
                table[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                table[(i + 1) * (m + 1) + j].max(table[i * (m + 1) + j + 1])
            };
        }
    }
    let mut hunks: Vec<Hunk> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut open: Option<Hunk> = None;
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            hunks.extend(open.take());
            i += 1;
            j += 1;
            continue;
        }
        let hunk = open.get_or_insert(Hunk { old: i..i, new: j..j });
        if i < n && (j == m || table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1]) {
            i += 1;
            hunk.old.end = i;
        } else {
            j += 1;
            hunk.new.end = j;
        }
    }
    hunks.extend(open);
    hunks
}

/// Milliseconds of a duration, for tables.
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The folder of the project's tasks.
pub fn default_tasks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/refactor/tasks")
}
