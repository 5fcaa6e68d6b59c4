//! The refactor agent: an instruction in plain words becomes one multi-file [`ChangeSet`], in
//! explicit, observable steps.
//!
//! 1. **plan** — candidate files from the dependency graph (the current file, where the
//!    selection's names are defined, the files that mention them, the file's importers, related
//!    tests); the model picks the files and their order (`FILES: 2, 1`).
//! 2. **edit** — per planned file, the model answers SEARCH/REPLACE blocks, each anchored exactly
//!    once in the file's current text.
//! 3. **verify** — every edited file re-parses without new syntax errors, and a renamed symbol
//!    (a definition gone from an edited file while a new one appeared) has no reference left
//!    in the workspace. A failed check gets one repair round with the error; then the agent
//!    gives up with the reason.
//! 4. **apply** is the caller's: the edge sends the change set as versioned edits; the command
//!    line prints a diff. Nothing here writes a file.
//!
//! Every step reports through [`Progress`]; dropping the future cancels the run (the engine's
//! generation is dropped with it).

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use infill_context::lexical::identifiers;
use infill_engine::ChatMessage;
use infill_syntax::Language;

use crate::actions::check::definition_at;
use crate::actions::output::{FileAnswer, anchor, parse_plan, parse_replacements};
use crate::actions::{
    ActionEnv, ActionError, REPLACE_FORMAT, SourceText, ask, clamp, repair_message, verify_change,
};
use crate::edit::{ChangeSet, FileChange};
use crate::workspace::Workspace;

mod candidates;
use candidates::{candidates, focus_names};

/// How far a refactor reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The selection and what refers to it.
    #[default]
    Selection,
    /// The whole file and what refers to its definitions.
    File,
    /// Any file of the workspace the graph relates.
    Workspace,
}

impl Scope {
    /// The scope named `name` (`selection`, `file`, `workspace`).
    pub fn from_name(name: &str) -> Option<Scope> {
        match name {
            "selection" => Some(Scope::Selection),
            "file" => Some(Scope::File),
            "workspace" => Some(Scope::Workspace),
            _ => None,
        }
    }
}

/// A refactor to run.
#[derive(Debug, Clone)]
pub struct RefactorRequest {
    /// What the user asked for.
    pub instruction: String,
    /// How far it reaches.
    pub scope: Scope,
    /// The file the user is in.
    pub path: PathBuf,
    /// The selected bytes of that file (empty: the cursor).
    pub selection: Range<usize>,
}

/// The steps of a refactor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Choosing files.
    Plan,
    /// Editing one file.
    Edit,
    /// Checking the edits.
    Verify,
    /// A repair round after a failed check.
    Repair,
}

impl Step {
    /// The step's name.
    pub fn name(self) -> &'static str {
        match self {
            Step::Plan => "plan",
            Step::Edit => "edit",
            Step::Verify => "verify",
            Step::Repair => "repair",
        }
    }
}

/// Receives the agent's steps as they happen.
pub trait Progress: Send + Sync {
    /// A step started; `message` says what it does.
    fn step(&self, step: Step, message: &str);
}

/// A progress receiver that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn step(&self, _: Step, _: &str) {}
}

/// The most candidate files shown to the planner.
const MAX_CANDIDATES: usize = 8;

/// What a refactor produced.
#[derive(Debug, Clone)]
pub struct RefactorOutcome {
    /// The edits, one entry per changed file, in plan order.
    pub changes: ChangeSet,
    /// The steps taken, in order, with what each did.
    pub steps: Vec<(Step, String)>,
}

/// A file as the agent works on it.
struct WorkingFile {
    path: PathBuf,
    language: Option<Arc<Language>>,
    original: SourceText,
    text: String,
}

/// Runs the agent.
pub async fn refactor(
    env: &ActionEnv<'_>,
    workspace: Option<&Workspace>,
    request: &RefactorRequest,
    progress: &dyn Progress,
) -> Result<RefactorOutcome, ActionError> {
    let mut steps = Vec::new();
    let mut report = |step: Step, message: String| {
        progress.step(step, &message);
        steps.push((step, message));
    };
    if request.instruction.trim().is_empty() {
        return Err(ActionError::NotApplicable("a refactor needs an instruction".into()));
    }
    let current = env.sources.read(&request.path).ok_or_else(|| {
        ActionError::NotApplicable(format!("{} cannot be read", request.path.display()))
    })?;
    let selection = clamp(&current.text, request.selection.clone());
    let selected = current.text[selection.clone()].to_owned();

    // 1. Plan.
    report(Step::Plan, "finding the files the change touches".into());
    let names = focus_names(env, &request.path, &current.text, &selection, request.scope);
    let candidates = candidates(env, workspace, request, &names, &selected);
    let mut files: Vec<WorkingFile> = Vec::new();
    for path in &candidates {
        if let Some(source) = env.sources.read(path) {
            files.push(WorkingFile {
                path: path.clone(),
                language: env.registry.for_path(path),
                text: source.text.clone(),
                original: source,
            });
        }
    }
    let plan = if files.len() <= 1 {
        (0..files.len()).collect()
    } else {
        plan(env, request, &selected, &files).await?
    };
    let planned: Vec<String> = plan.iter().map(|&i| relative(env, &files[i].path)).collect();
    report(Step::Plan, format!("plan: {}", planned.join(", ")));

    // 2. Edit, file by file, in the planned order.
    let mut done: Vec<usize> = Vec::new();
    for (position, &index) in plan.iter().enumerate() {
        report(
            Step::Edit,
            format!(
                "editing {} ({}/{})",
                relative(env, &files[index].path),
                position + 1,
                plan.len()
            ),
        );
        let note = edits_so_far(env, &files, &done);
        edit_file(env, request, &selected, &mut files[index], &note, None).await?;
        done.push(index);
    }

    // 3. Verify: syntax, then renames.
    report(Step::Verify, "checking that every edited file parses".into());
    for index in done.clone() {
        let file = &files[index];
        if file.text == file.original.text {
            continue;
        }
        let change = change_of(file);
        if let Err(error) = verify_change(file.language.as_ref(), &change) {
            report(Step::Repair, format!("{}: {error}", relative(env, &file.path)));
            let note = edits_so_far(env, &files, &done);
            let problem = format!("after your edits, {error}");
            edit_file(env, request, &selected, &mut files[index], &note, Some(&problem)).await?;
            let change = change_of(&files[index]);
            verify_change(files[index].language.as_ref(), &change).map_err(|error| {
                ActionError::Unusable(format!(
                    "{} still does not parse after a repair: {error}",
                    relative(env, &files[index].path)
                ))
            })?;
        }
    }
    report(Step::Verify, "checking that renamed symbols have no references left".into());
    let renamed = renamed_symbols(&files);
    if !renamed.is_empty() {
        let leftovers = remaining_references(env, workspace, &files, &renamed);
        if !leftovers.is_empty() {
            let names: Vec<&str> = renamed.iter().map(String::as_str).collect();
            report(
                Step::Repair,
                format!(
                    "`{}` still referenced in {}",
                    names.join("`, `"),
                    leftovers.iter().map(|p| relative(env, p)).collect::<Vec<_>>().join(", ")
                ),
            );
            for path in &leftovers {
                let index = match files.iter().position(|f| &f.path == path) {
                    Some(index) => index,
                    None => {
                        let Some(source) = env.sources.read(path) else { continue };
                        files.push(WorkingFile {
                            path: path.clone(),
                            language: env.registry.for_path(path),
                            text: source.text.clone(),
                            original: source,
                        });
                        files.len() - 1
                    }
                };
                let note = edits_so_far(env, &files, &done);
                let problem = format!(
                    "this file still refers to `{}`, which the change renamed; update those references",
                    names.join("`, `")
                );
                edit_file(env, request, &selected, &mut files[index], &note, Some(&problem))
                    .await?;
                let change = change_of(&files[index]);
                verify_change(files[index].language.as_ref(), &change)?;
                if !done.contains(&index) {
                    done.push(index);
                }
            }
            let still = remaining_references(env, workspace, &files, &renamed);
            if !still.is_empty() {
                return Err(ActionError::Unusable(format!(
                    "`{}` is still referenced after a repair, in {}",
                    names.join("`, `"),
                    still.iter().map(|p| relative(env, p)).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }

    let changes = ChangeSet {
        files: done
            .iter()
            .map(|&index| &files[index])
            .filter(|file| file.text != file.original.text)
            .map(change_of)
            .collect(),
    };
    if changes.is_empty() {
        return Err(ActionError::Unusable("the model proposed no change".into()));
    }
    let changed: Vec<String> = changes.files.iter().map(|f| relative(env, &f.path)).collect();
    report(
        Step::Verify,
        format!("ready: {} file(s) changed: {}", changed.len(), changed.join(", ")),
    );
    Ok(RefactorOutcome { changes, steps })
}

fn relative(env: &ActionEnv<'_>, path: &Path) -> String {
    path.strip_prefix(&env.root).unwrap_or(path).display().to_string()
}

fn change_of(file: &WorkingFile) -> FileChange {
    let edits = single_region_edit(&file.original.text, &file.text);
    FileChange {
        path: file.path.clone(),
        original: file.original.text.clone(),
        version: file.original.version,
        create: false,
        edits,
    }
}

/// The edits that turn `old` into `new`: one replacement per changed region of lines.
fn single_region_edit(old: &str, new: &str) -> Vec<crate::edit::TextEdit> {
    if old == new {
        return Vec::new();
    }
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    // Start at the beginning of the line (a newline byte is always a character boundary).
    let head = a[..common].iter().rposition(|&byte| byte == b'\n').map_or(0, |n| n + 1);
    let tail =
        a[head..].iter().rev().zip(b[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let mut old_end = a.len() - tail;
    let mut new_end = b.len() - tail;
    // Extend to the end of the line (the bytes after both ends are the same).
    while old_end < a.len() && old_end > head && a[old_end - 1] != b'\n' {
        old_end += 1;
        new_end += 1;
    }
    while !old.is_char_boundary(old_end) || !new.is_char_boundary(new_end) {
        old_end += 1;
        new_end += 1;
    }
    vec![crate::edit::TextEdit { range: head..old_end, new_text: new[head..new_end].to_owned() }]
}

async fn plan(
    env: &ActionEnv<'_>,
    request: &RefactorRequest,
    selected: &str,
    files: &[WorkingFile],
) -> Result<Vec<usize>, ActionError> {
    let mut listing = String::new();
    for (index, file) in files.iter().enumerate() {
        let outline = outline(file);
        listing.push_str(&format!("{}. {}{}\n", index + 1, relative(env, &file.path), outline));
    }
    let selection = if selected.trim().is_empty() {
        String::new()
    } else {
        format!(
            "\nThe selected code (in {}):\n```\n{}\n```\n",
            relative(env, &request.path),
            selected
        )
    };
    let prompt = format!(
        "Instruction: {}\n{selection}\nThese files may need changes:\n{listing}\n\
         Which files must change to carry out the instruction, and in which order? Reply with \
         one line: FILES: followed by their numbers, in order (for example FILES: 2, 1).",
        request.instruction
    );
    let mut messages = vec![ChatMessage::new("system", PLANNER), ChatMessage::new("user", prompt)];
    let mut last_error = String::new();
    for round in 0..2 {
        let answer = ask(&env.engine, messages.clone(), &env.settings).await?;
        match parse_plan(&answer, files.len()) {
            Ok(plan) if !plan.is_empty() => return Ok(plan),
            Ok(_) => last_error = "the plan is empty".into(),
            Err(error) => last_error = error,
        }
        if round == 0 {
            messages.push(ChatMessage::new("assistant", answer));
            messages.push(ChatMessage::new("user", repair_message(&last_error)));
        }
    }
    Err(ActionError::Unusable(format!("the model's plan could not be used: {last_error}")))
}

const PLANNER: &str = "You are Infill's refactoring planner. You choose which files a change \
touches. Answer with one line: FILES: and the numbers.";

const EDITOR: &str = "You are Infill's refactoring engine. You edit one file at a time by \
SEARCH/REPLACE blocks whose SEARCH part is copied exactly from the file.";

/// The definitions a file holds, as a short outline for the planner.
fn outline(file: &WorkingFile) -> String {
    let mut names = Vec::new();
    let Some(language) = &file.language else { return String::new() };
    let Some(tree) = infill_syntax::parse(language, &file.text) else { return String::new() };
    let Some(query) = language.query("definitions") else { return String::new() };
    let Some(name_index) = query.capture_index_for_name("name") else { return String::new() };
    use streaming_iterator::StreamingIterator;
    let mut cursor = tree_sitter::QueryCursor::new();
    let mut captures = cursor.captures(query, tree.root_node(), file.text.as_bytes());
    while let Some((found, index)) = captures.next() {
        let capture = found.captures[*index];
        if capture.index == name_index {
            let name = &file.text[capture.node.start_byte()..capture.node.end_byte()];
            if !names.iter().any(|n| n == name) && names.len() < 12 {
                names.push(name.to_owned());
            }
        }
    }
    if names.is_empty() { String::new() } else { format!(" (defines {})", names.join(", ")) }
}

/// A short diff of the edits made so far, so later files follow earlier ones.
fn edits_so_far(env: &ActionEnv<'_>, files: &[WorkingFile], done: &[usize]) -> String {
    let mut out = String::new();
    for &index in done {
        let file = &files[index];
        if file.text != file.original.text {
            let name = relative(env, &file.path);
            out.push_str(&crate::edit::unified_diff(
                &file.original.text,
                &file.text,
                &format!("a/{name}"),
                &format!("b/{name}"),
            ));
        }
    }
    if out.len() > 4000 {
        let mut end = 4000;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push_str("\n…\n");
    }
    out
}

async fn edit_file(
    env: &ActionEnv<'_>,
    request: &RefactorRequest,
    selected: &str,
    file: &mut WorkingFile,
    edits_so_far: &str,
    problem: Option<&str>,
) -> Result<(), ActionError> {
    let name = relative(env, &file.path);
    let language = file.language.as_ref().map_or("text", |l| l.name.as_str());
    let selection = if selected.trim().is_empty() {
        String::new()
    } else {
        format!(
            "The selected code (in {}):\n```\n{}\n```\n\n",
            relative(env, &request.path),
            selected
        )
    };
    let earlier = if edits_so_far.is_empty() {
        String::new()
    } else {
        format!("Edits already made to other files:\n```diff\n{edits_so_far}```\n\n")
    };
    let problem = problem.map(|p| format!("Problem to fix: {p}\n\n")).unwrap_or_default();
    if file.text.len() > env.settings.max_file_chars {
        return Err(ActionError::NotApplicable(format!(
            "{name} is too large for a refactor ({} bytes; the limit is {})",
            file.text.len(),
            env.settings.max_file_chars
        )));
    }
    let prompt = format!(
        "Instruction: {}\n\n{selection}{earlier}{problem}The file to edit now, {name}:\n```{language}\n{}\n```\n\n{REPLACE_FORMAT}",
        request.instruction, file.text
    );
    let mut messages = vec![ChatMessage::new("system", EDITOR), ChatMessage::new("user", prompt)];
    let mut last_error = String::new();
    for round in 0..2 {
        let answer = ask(&env.engine, messages.clone(), &env.settings).await?;
        let attempt = parse_replacements(&answer).and_then(|parsed| match parsed {
            FileAnswer::NoChanges => Ok(None),
            FileAnswer::Replacements(blocks) => anchor(&file.text, &blocks).map(Some),
        });
        match attempt {
            Ok(None) => return Ok(()),
            Ok(Some(edits)) => {
                let text = crate::edit::apply(&file.text, &edits);
                let candidate = FileChange {
                    path: file.path.clone(),
                    original: file.text.clone(),
                    version: None,
                    create: false,
                    edits,
                };
                match verify_change(file.language.as_ref(), &candidate) {
                    Ok(()) => {
                        file.text = text;
                        return Ok(());
                    }
                    Err(error) => last_error = error.to_string(),
                }
            }
            Err(error) => last_error = error,
        }
        if round == 0 {
            messages.push(ChatMessage::new("assistant", answer));
            messages.push(ChatMessage::new("user", repair_message(&last_error)));
        }
    }
    Err(ActionError::Unusable(format!("the edit of {name} was not usable: {last_error}")))
}

/// Names defined in an edited file before and not after, when the file also gained a
/// definition: what the change renamed (or moved away).
fn renamed_symbols(files: &[WorkingFile]) -> Vec<String> {
    let mut renamed = BTreeSet::new();
    let mut defined_after = BTreeSet::new();
    for file in files {
        defined_after.extend(definition_names(file.language.as_ref(), &file.text));
    }
    for file in files.iter().filter(|f| f.text != f.original.text) {
        let before = definition_names(file.language.as_ref(), &file.original.text);
        let after = definition_names(file.language.as_ref(), &file.text);
        let gained = after.difference(&before).count() > 0;
        if gained {
            for name in before.difference(&after) {
                if !defined_after.contains(name) {
                    renamed.insert(name.clone());
                }
            }
        }
    }
    renamed.into_iter().collect()
}

fn definition_names(language: Option<&Arc<Language>>, text: &str) -> BTreeSet<String> {
    use streaming_iterator::StreamingIterator;
    let mut names = BTreeSet::new();
    let Some(language) = language else { return names };
    let Some(tree) = infill_syntax::parse(language, text) else { return names };
    let Some(query) = language.query("definitions") else { return names };
    let Some(name_index) = query.capture_index_for_name("name") else { return names };
    let mut cursor = tree_sitter::QueryCursor::new();
    let mut captures = cursor.captures(query, tree.root_node(), text.as_bytes());
    while let Some((found, index)) = captures.next() {
        let capture = found.captures[*index];
        if capture.index == name_index {
            names.insert(text[capture.node.start_byte()..capture.node.end_byte()].to_owned());
        }
    }
    names
}

/// Files (after the edits) that still mention one of `names` as an identifier.
fn remaining_references(
    env: &ActionEnv<'_>,
    workspace: Option<&Workspace>,
    files: &[WorkingFile],
    names: &[String],
) -> Vec<PathBuf> {
    let mentions = |text: &str| identifiers(text).any(|(_, t)| names.iter().any(|n| n == t));
    let mut out: Vec<PathBuf> =
        files.iter().filter(|f| mentions(&f.text)).map(|f| f.path.clone()).collect();
    if let Some(workspace) = workspace {
        for name in names {
            for path in workspace.index().files_mentioning(name) {
                if files.iter().any(|f| f.path == path) || out.contains(&path) {
                    continue;
                }
                if workspace.is_private(&path) {
                    continue;
                }
                if env.sources.read(&path).is_some_and(|s| mentions(&s.text)) {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_edits_cover_whole_lines() {
        let old = "a = 1\nb = f(x)\nc = 3\n";
        let new = "a = 1\nb = g(x, y)\nc = 3\n";
        let edits = single_region_edit(old, new);
        assert_eq!(edits.len(), 1);
        assert_eq!(&old[edits[0].range.clone()], "b = f(x)\n");
        assert_eq!(crate::edit::apply(old, &edits), new);
        let edits = single_region_edit("x", "xy");
        assert_eq!(crate::edit::apply("x", &edits), "xy");
        let edits = single_region_edit("é1\n", "é2\n");
        assert_eq!(crate::edit::apply("é1\n", &edits), "é2\n");
    }

    #[test]
    fn renames_are_detected() {
        let python = infill_syntax::LanguageRegistry::builtin().by_name("python");
        let file = WorkingFile {
            path: "/w/a.py".into(),
            language: python.clone(),
            original: SourceText { text: "def area(w):\n    return w\n".into(), version: None },
            text: "def surface(w):\n    return w\n".into(),
        };
        assert_eq!(renamed_symbols(&[file]), ["area"]);
        let added_only = WorkingFile {
            path: "/w/b.py".into(),
            language: python,
            original: SourceText { text: "def a():\n    pass\n".into(), version: None },
            text: "def a():\n    pass\n\ndef b():\n    pass\n".into(),
        };
        assert!(renamed_symbols(&[added_only]).is_empty());
    }
}
