//! Code actions as plain Rust: what is offered for a selection (cheap: no model), and the one the
//! user picks, computed with the model: *Explain*, *Add documentation*, *Generate unit tests*,
//! *Fix this diagnostic*, and *Refactor with instruction…* (the agent in [`crate::refactor`]).
//!
//! Every answer is read by [`output`] and checked by [`check`] before it becomes a
//! [`ChangeSet`]: a doc comment is rendered in the language's own form (`[language.actions]` in
//! `grammars/languages.toml`), generated tests must parse, a fix is SEARCH/REPLACE blocks
//! anchored exactly once and may not add syntax errors. A failed check gets one repair round
//! with the error; then the action gives up with the reason.

pub mod check;
mod document;
pub mod output;

pub use document::document;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use infill_engine::{ChatMessage, Engine, EngineError, GenerateRequest, PromptInput};
use infill_syntax::{DocStyle, Language, LanguageRegistry, TestPlacement};

use crate::edit::{ChangeSet, FileChange, TextEdit};
use check::{Definition, definition_at, new_syntax_errors, syntax_errors};
use output::{FileAnswer, anchor, code_block, parse_replacements, preview, split_reasoning};

/// The code actions Infill offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Explain the selection (or the definition around the cursor) in prose.
    Explain,
    /// Add a documentation comment to the definition around the cursor.
    Document,
    /// Generate unit tests for the definition around the cursor.
    Tests,
    /// Fix one diagnostic the editor reported.
    Fix,
    /// Refactor the selection as the user instructs (the agent).
    Refactor,
}

impl ActionKind {
    /// The LSP code action kind (`refactor.infill.*`, `quickfix.infill`).
    pub fn lsp_kind(self) -> &'static str {
        match self {
            ActionKind::Explain => "refactor.infill.explain",
            ActionKind::Document => "refactor.infill.document",
            ActionKind::Tests => "refactor.infill.tests",
            ActionKind::Fix => "quickfix.infill",
            ActionKind::Refactor => "refactor.infill.instruction",
        }
    }

    /// The stable name used in resolve data and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Explain => "explain",
            ActionKind::Document => "document",
            ActionKind::Tests => "tests",
            ActionKind::Fix => "fix",
            ActionKind::Refactor => "refactor",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<ActionKind> {
        [Self::Explain, Self::Document, Self::Tests, Self::Fix, Self::Refactor]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// A diagnostic the editor sent with the request (from any server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosticInfo {
    /// Its message.
    pub message: String,
    /// Its code, if any.
    pub code: Option<String>,
    /// The server that reported it, if known.
    pub source: Option<String>,
    /// Its bytes in the file.
    pub range: Range<usize>,
}

/// An action offered in the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// What it does.
    pub kind: ActionKind,
    /// The menu title.
    pub title: String,
    /// For [`ActionKind::Fix`]: the index of its diagnostic in the request.
    pub diagnostic: Option<usize>,
}

/// The file an action works on.
#[derive(Debug, Clone)]
pub struct Target {
    /// The file.
    pub path: PathBuf,
    /// Its text as the editor holds it.
    pub text: String,
    /// The editor's version of that text (open documents).
    pub version: Option<i32>,
    /// Its language.
    pub language: Option<Arc<Language>>,
    /// The selected bytes (empty: the cursor).
    pub selection: Range<usize>,
}

/// Lists the actions for a selection. Cheap: parses the file once, never asks the model.
pub fn offers(target: &Target, diagnostics: &[DiagnosticInfo]) -> Vec<Offer> {
    let mut offers = Vec::new();
    if target.text.trim().is_empty() {
        return offers;
    }
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        offers.push(Offer {
            kind: ActionKind::Fix,
            title: format!("Infill: Fix “{}”", first_line(&diagnostic.message, 60)),
            diagnostic: Some(index),
        });
    }
    offers.push(Offer {
        kind: ActionKind::Explain,
        title: "Infill: Explain".into(),
        diagnostic: None,
    });
    let definition =
        definition_at(target.language.as_ref(), &target.text, target.selection.clone());
    let rules = target.language.as_ref().map(|language| &language.actions);
    if definition.is_some() {
        if rules.is_some_and(|rules| rules.doc.is_some()) {
            offers.push(Offer {
                kind: ActionKind::Document,
                title: "Infill: Add documentation".into(),
                diagnostic: None,
            });
        }
        if rules.is_some_and(|rules| rules.tests.is_some()) {
            offers.push(Offer {
                kind: ActionKind::Tests,
                title: "Infill: Generate unit tests".into(),
                diagnostic: None,
            });
        }
    }
    offers.push(Offer {
        kind: ActionKind::Refactor,
        title: "Infill: Refactor with instruction…".into(),
        diagnostic: None,
    });
    offers
}

fn first_line(text: &str, max_chars: usize) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > max_chars {
        format!("{}…", line.chars().take(max_chars).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// Why an action produced nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ActionError {
    /// The action does not apply here (no definition at the cursor, no doc form...).
    #[error("{0}")]
    NotApplicable(String),
    /// The model's answer was unusable, even after the repair round.
    #[error("{0}")]
    Unusable(String),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A file changed while the action ran.
    #[error("{0}")]
    Conflict(String),
}

/// Generation limits for actions.
#[derive(Debug, Clone)]
pub struct ActionSettings {
    /// The most tokens one answer may have.
    pub max_tokens: usize,
    /// Wall-clock budget for one answer's decoding.
    pub time_budget: Option<Duration>,
    /// The most characters of a file that go into a prompt.
    pub max_file_chars: usize,
}

impl Default for ActionSettings {
    fn default() -> Self {
        ActionSettings {
            max_tokens: 512,
            time_budget: Some(Duration::from_secs(120)),
            max_file_chars: 24_000,
        }
    }
}

/// What an action needs besides its target: the engine and the workspace's files.
pub struct ActionEnv<'a> {
    /// The engine.
    pub engine: Arc<dyn Engine>,
    /// Reads files: open documents first, then the disk.
    pub sources: &'a dyn Sources,
    /// The language registry.
    pub registry: &'a LanguageRegistry,
    /// The workspace root of the target (tests go under it).
    pub root: PathBuf,
    /// Generation limits.
    pub settings: ActionSettings,
}

/// A file's current text and, for an open document, its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    /// The text.
    pub text: String,
    /// The editor's version (open documents only).
    pub version: Option<i32>,
}

/// Where actions read files: the editor's open documents first, then the disk. Implemented by
/// the LSP edge and the command line.
pub trait Sources: Send + Sync {
    /// The current text of `path`, or `None` when it does not exist or cannot be read.
    fn read(&self, path: &Path) -> Option<SourceText>;
}

/// An explanation, in Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The title (`Explain: area`).
    pub title: String,
    /// The answer.
    pub markdown: String,
    /// The model's reasoning section, if it wrote one (shown folded).
    pub reasoning: Option<String>,
}

impl Explanation {
    /// The whole document: the title, the answer and the reasoning folded.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n\n{}\n", self.title, self.markdown.trim());
        if let Some(reasoning) = &self.reasoning {
            out.push_str(&format!(
                "\n<details><summary>Reasoning</summary>\n\n{}\n\n</details>\n",
                reasoning.trim()
            ));
        }
        out
    }
}

/// Sends one chat turn and returns the model's whole answer.
pub(crate) async fn ask(
    engine: &Arc<dyn Engine>,
    messages: Vec<ChatMessage>,
    settings: &ActionSettings,
) -> Result<String, EngineError> {
    let input = if engine.capabilities().chat {
        PromptInput::Chat(messages)
    } else {
        // A model without a chat template gets a plain instruction layout.
        let mut text = String::new();
        for message in &messages {
            text.push_str(&format!("### {}\n{}\n\n", message.role, message.content));
        }
        text.push_str("### assistant\n");
        PromptInput::Text(text)
    };
    let request = GenerateRequest {
        input,
        stop: Vec::new(),
        max_tokens: settings.max_tokens,
        time_budget: settings.time_budget,
        temperature: 0.0,
        top_p: None,
        seed: Some(0),
        cut: None,
        draft_from_prompt: true,
    };
    Ok(engine.generate(request).collect().await?.text)
}

const SYSTEM: &str = "You are Infill, a careful programming assistant inside the user's editor. \
Answer exactly in the format asked for, without extra commentary.";

fn language_name(target: &Target) -> &str {
    target.language.as_ref().map_or("text", |language| language.name.as_str())
}

/// The code an action is about: the selection, else the definition at the cursor, else the
/// lines around it.
fn focus(target: &Target) -> (Range<usize>, Option<Definition>) {
    let definition =
        definition_at(target.language.as_ref(), &target.text, target.selection.clone());
    if !target.selection.is_empty() {
        return (clamp(&target.text, target.selection.clone()), definition);
    }
    if let Some(definition) = &definition {
        return (definition.range.clone(), Some(definition.clone()));
    }
    let start = line_start(&target.text, target.selection.start);
    let mut end = target.selection.start.min(target.text.len());
    for _ in 0..20 {
        match target.text[end..].find('\n') {
            Some(newline) => end += newline + 1,
            None => {
                end = target.text.len();
                break;
            }
        }
    }
    (start..end, None)
}

/// `range` within `text`, on character boundaries.
pub(crate) fn clamp(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    let mut end = range.end.min(text.len()).max(start);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn line_start(text: &str, at: usize) -> usize {
    let at = clamp(text, at..at).start;
    text[..at].rfind('\n').map_or(0, |newline| newline + 1)
}

fn indentation_at(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let line = &text[start..];
    let width = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..width]
}

fn excerpt<'a>(text: &'a str, settings: &ActionSettings) -> &'a str {
    if text.len() <= settings.max_file_chars {
        return text;
    }
    let mut end = settings.max_file_chars;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// *Explain*: the selection or the definition at the cursor, explained in Markdown.
pub async fn explain(env: &ActionEnv<'_>, target: &Target) -> Result<Explanation, ActionError> {
    let (range, definition) = focus(target);
    let code = &target.text[range];
    if code.trim().is_empty() {
        return Err(ActionError::NotApplicable("there is no code to explain here".into()));
    }
    let subject = definition.as_ref().map_or_else(
        || format!("the selected code in {}", target.path.display()),
        |d| format!("`{}` in {}", d.name, target.path.display()),
    );
    let language = language_name(target);
    let prompt = format!(
        "Explain {subject} to a colleague: what it does, its inputs and outputs, and anything \
         surprising. Use short Markdown paragraphs or a list.\n\n```{language}\n{code}\n```"
    );
    let answer = ask(
        &env.engine,
        vec![ChatMessage::new("system", SYSTEM), ChatMessage::new("user", prompt)],
        &env.settings,
    )
    .await?;
    let (markdown, reasoning) = split_reasoning(&answer);
    if markdown.trim().is_empty() {
        return Err(ActionError::Unusable("the model gave no explanation".into()));
    }
    let title = match &definition {
        Some(definition) => format!("Explain: {}", definition.name),
        None => format!("Explain: {}", file_name(&target.path)),
    };
    Ok(Explanation { title, markdown, reasoning })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// *Generate unit tests*: a test file in the language's usual place (created when missing), or a
/// test module appended to the file.
pub async fn tests(env: &ActionEnv<'_>, target: &Target) -> Result<ChangeSet, ActionError> {
    let language = target
        .language
        .as_ref()
        .ok_or_else(|| ActionError::NotApplicable("the file's language is not known".into()))?;
    let rules = language.actions.tests.clone().ok_or_else(|| {
        ActionError::NotApplicable(format!("no test convention is known for {}", language.name))
    })?;
    let definition = definition_at(Some(language), &target.text, target.selection.clone())
        .ok_or_else(|| ActionError::NotApplicable("there is no definition at the cursor".into()))?;
    let (test_path, existing) = match rules.placement {
        TestPlacement::SameFile => (target.path.clone(), None),
        TestPlacement::NewFile => {
            let path = rules.test_path(&env.root, &target.path);
            let existing = env.sources.read(&path);
            (path, existing)
        }
    };
    let relative = |path: &Path| path.strip_prefix(&env.root).unwrap_or(path).display().to_string();
    let placement = match rules.placement {
        TestPlacement::SameFile => {
            "Reply with one code block: the test module to append at the end of the file."
                .to_owned()
        }
        TestPlacement::NewFile if existing.is_some() => format!(
            "Reply with one code block: test functions to append to the existing file {}.",
            relative(&test_path)
        ),
        TestPlacement::NewFile => format!(
            "Reply with one code block: the complete new file {}, importing what it tests from {}.",
            relative(&test_path),
            relative(&target.path)
        ),
    };
    let prompt = format!(
        "Write unit tests for `{}` from {} using {}. Cover the usual case and the edge cases. \
         {placement}\n\nThe file {}:\n```{}\n{}\n```",
        definition.name,
        relative(&target.path),
        rules.framework,
        relative(&target.path),
        language.name,
        excerpt(&target.text, &env.settings),
    );
    let mut messages = vec![ChatMessage::new("system", SYSTEM), ChatMessage::new("user", prompt)];
    let base = match (&existing, rules.placement) {
        (_, TestPlacement::SameFile) => target.text.clone(),
        (Some(existing), _) => existing.text.clone(),
        (None, _) => String::new(),
    };
    let mut last_error = String::new();
    for round in 0..2 {
        let answer = ask(&env.engine, messages.clone(), &env.settings).await?;
        let (answer, _) = split_reasoning(&answer);
        let code = code_block(&answer);
        let attempt =
            tests_change(&base, &code, &test_path, target, existing.as_ref(), rules.placement);
        match attempt.and_then(|change| verify_change(Some(language), &change).map(|()| change)) {
            Ok(change) => return Ok(ChangeSet { files: vec![change] }),
            Err(error) => {
                last_error = error.to_string();
                if round == 0 {
                    messages.push(ChatMessage::new("assistant", answer));
                    messages.push(ChatMessage::new("user", repair_message(&last_error)));
                }
            }
        }
    }
    Err(ActionError::Unusable(format!("the generated tests were not usable: {last_error}")))
}

fn tests_change(
    base: &str,
    code: &str,
    test_path: &Path,
    target: &Target,
    existing: Option<&SourceText>,
    placement: TestPlacement,
) -> Result<FileChange, ActionError> {
    if code.trim().is_empty() {
        return Err(ActionError::Unusable("the answer holds no code".into()));
    }
    let mut insert = String::new();
    if !base.is_empty() {
        if !base.ends_with('\n') {
            insert.push('\n');
        }
        insert.push('\n');
    }
    insert.push_str(code.trim_end());
    insert.push('\n');
    let (version, create) = match placement {
        TestPlacement::SameFile => (target.version, false),
        TestPlacement::NewFile => (existing.and_then(|e| e.version), existing.is_none()),
    };
    Ok(FileChange {
        path: test_path.to_owned(),
        original: base.to_owned(),
        version,
        create,
        edits: vec![TextEdit::insert(base.len(), insert)],
    })
}

/// Checks that a change anchors cleanly and adds no syntax errors (a new file must parse).
pub(crate) fn verify_change(
    language: Option<&Arc<Language>>,
    change: &FileChange,
) -> Result<(), ActionError> {
    crate::edit::validate(&change.original, &change.edits).map_err(ActionError::Unusable)?;
    let after = change.new_text();
    if let Some(error) = new_syntax_errors(language, &change.original, &after) {
        return Err(ActionError::Unusable(error));
    }
    if change.create
        && let Some(error) = syntax_errors(language, &after).first()
    {
        return Err(ActionError::Unusable(format!(
            "the new file does not parse: {} at line {}",
            error.what,
            error.line + 1
        )));
    }
    Ok(())
}

pub(crate) fn repair_message(error: &str) -> String {
    format!(
        "That answer could not be used: {error}. Reply again in the same format, correcting \
         this."
    )
}

/// The instructions for SEARCH/REPLACE answers, shared by fixes and the refactor agent.
pub(crate) const REPLACE_FORMAT: &str = "Reply with one or more blocks of this form, and nothing else:\n\
<<<<<<< SEARCH\n\
(lines copied exactly from the file, enough to be unique)\n\
=======\n\
(the lines that replace them)\n\
>>>>>>> REPLACE\n\
Reply NO CHANGES if the file needs none.";

/// *Fix this diagnostic*: SEARCH/REPLACE edits for one diagnostic, checked, with one repair
/// round.
pub async fn fix(
    env: &ActionEnv<'_>,
    target: &Target,
    diagnostic: &DiagnosticInfo,
) -> Result<ChangeSet, ActionError> {
    let range = clamp(&target.text, diagnostic.range.clone());
    let line = target.text[..range.start].matches('\n').count() + 1;
    let code = diagnostic.code.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
    let source = diagnostic.source.as_deref().map(|s| format!(" from {s}")).unwrap_or_default();
    let prompt = format!(
        "Fix this problem{source} at line {line} of {}: {}{code}\nThe code it points at: `{}`\n\n\
         The file:\n```{}\n{}\n```\n\n{REPLACE_FORMAT}",
        target.path.display(),
        diagnostic.message,
        &target.text[range],
        language_name(target),
        excerpt(&target.text, &env.settings),
    );
    let mut messages = vec![ChatMessage::new("system", SYSTEM), ChatMessage::new("user", prompt)];
    let mut last_error = String::new();
    for round in 0..2 {
        let answer = ask(&env.engine, messages.clone(), &env.settings).await?;
        match replacement_change(target, &answer) {
            Ok(Some(change)) => return Ok(ChangeSet { files: vec![change] }),
            Ok(None) => return Err(ActionError::Unusable("the model proposed no change".into())),
            Err(error) => {
                last_error = error;
                if round == 0 {
                    messages.push(ChatMessage::new("assistant", answer));
                    messages.push(ChatMessage::new("user", repair_message(&last_error)));
                }
            }
        }
    }
    Err(ActionError::Unusable(format!("the proposed fix was not usable: {last_error}")))
}

/// Reads SEARCH/REPLACE blocks for `target` and checks the result; `None` for `NO CHANGES`.
fn replacement_change(target: &Target, answer: &str) -> Result<Option<FileChange>, String> {
    let replacements = match parse_replacements(answer)? {
        FileAnswer::NoChanges => return Ok(None),
        FileAnswer::Replacements(replacements) => replacements,
    };
    let edits = anchor(&target.text, &replacements)?;
    let change = FileChange {
        path: target.path.clone(),
        original: target.text.clone(),
        version: target.version,
        create: false,
        edits,
    };
    verify_change(target.language.as_ref(), &change).map_err(|e| e.to_string())?;
    Ok(Some(change))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn python_target(text: &str, at: usize) -> Target {
        Target {
            path: PathBuf::from("/w/src/geometry.py"),
            text: text.into(),
            version: Some(3),
            language: LanguageRegistry::builtin().by_name("python"),
            selection: at..at,
        }
    }

    #[test]
    fn offers_follow_the_cursor_and_the_language() {
        let text = "def area(w, h):\n    return w * h\n";
        let target = python_target(text, text.find("return").unwrap());
        let kinds: Vec<ActionKind> = offers(&target, &[]).iter().map(|o| o.kind).collect();
        assert_eq!(
            kinds,
            [ActionKind::Explain, ActionKind::Document, ActionKind::Tests, ActionKind::Refactor]
        );
        let outside = python_target("import os\n\nx = os.sep\n", 0);
        let kinds: Vec<ActionKind> = offers(&outside, &[]).iter().map(|o| o.kind).collect();
        assert_eq!(kinds, [ActionKind::Explain, ActionKind::Refactor]);
        let diagnostic = DiagnosticInfo {
            message: "undefined name 'hh'\nmore".into(),
            code: Some("F821".into()),
            source: None,
            range: 0..1,
        };
        let listed = offers(&target, &[diagnostic]);
        assert_eq!(listed[0].title, "Infill: Fix “undefined name 'hh'”");
        assert_eq!(listed[0].diagnostic, Some(0));
    }
}
