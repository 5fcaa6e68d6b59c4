//! The completion pipeline of `infill_ide` on arbitrary documents, cursors and model output:
//! `CompletionInput::from_document`, the prompt (`render`, `window_start`), the shape decision
//! and the post-processing filters, through the real `Completer` with a scripted engine that
//! answers with the input's text. Nothing panics, and:
//!
//! * the cursor is clamped onto a character boundary inside the text;
//! * the prompt's window starts at or before the cursor, on a character boundary, at most
//!   `prefix_bytes` (plus one character) before it; when the text holds nothing the privacy
//!   filter masks, the prompt is exactly the family's template around the text from the window
//!   start to the cursor (less trailing blanks typed after code) and, for FIM families, the
//!   text from the cursor to `suffix_bytes` after it: nothing outside the window;
//! * a suggestion is never blank, has at most `max_lines` lines (one more when it starts with
//!   a newline), one line for the single-line shape, `\r` only in `\r\n`, and every line of it
//!   (trailing blanks aside) is text the model wrote;
//! * typing the start of a suggestion offers the rest of it, when the cache of the last
//!   suggestion answers.

#![no_main]

use std::borrow::Cow;
use std::sync::Arc;

use arbitrary::Arbitrary;
use infill_engine::{ContextFile, ModelFamily, PromptParts, ScriptedEngine, ScriptedReply};
use infill_ide::completion::{
    Completer, CompletionInput, CompletionSettings, FileLabel, SuggestionSource, render,
    window_start,
};
use infill_ide::postprocess::Shape;
use infill_syntax::{Document, DocumentLimits, LanguageRegistry};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    text: String,
    cursor: u16,
    language: u8,
    family: u8,
    prefix_bytes: u16,
    suffix_bytes: u16,
    max_lines: u8,
    in_comments: bool,
    in_strings: bool,
    raw: String,
    context: Vec<(String, String)>,
    typed: u8,
}

const FAMILIES: [ModelFamily; 10] = [
    ModelFamily::PrefixOnly,
    ModelFamily::CodeLlama,
    ModelFamily::StarCoder,
    ModelFamily::StarCoder2,
    ModelFamily::QwenCoder,
    ModelFamily::DeepSeekCoder,
    ModelFamily::Codestral,
    ModelFamily::CodeGemma,
    ModelFamily::RepoTokens,
    ModelFamily::Llama3,
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
    })
}

fn floor_boundary(text: &str, index: usize) -> usize {
    (0..=index.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// Where the prompt's prefix ends: the cursor, less spaces and tabs typed after code on its line.
fn expected_prefix_end(text: &str, cursor: usize) -> usize {
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..cursor];
    let code = line.trim_end_matches([' ', '\t']);
    if code.trim_start_matches([' ', '\t']).is_empty() { cursor } else { line_start + code.len() }
}

fn check_prompt(family: &ModelFamily, input: &CompletionInput, settings: &CompletionSettings) {
    let text = &input.text;
    let cursor = input.cursor;
    let start = window_start(text, cursor, settings.prefix_bytes);
    assert!(start <= cursor && text.is_char_boundary(start), "window start {start}");
    assert!(cursor - start <= settings.prefix_bytes + 3, "window of {} bytes", cursor - start);
    let rendered = render(family, input, settings);
    if !matches!(infill_context::redact(text), Cow::Borrowed(_)) {
        return;
    }
    let prefix_end = expected_prefix_end(text, cursor).max(start);
    let suffix_end = floor_boundary(text, cursor.saturating_add(settings.suffix_bytes));
    let expected = family.render(&PromptParts {
        repo_name: &input.repo_name,
        context: &input.context,
        path: &input.path,
        prefix: &text[start..prefix_end],
        suffix: &text[cursor..suffix_end],
    });
    assert_eq!(rendered, expected, "the prompt is the window around the cursor, nothing else");
}

fn check_suggestion(suggestion: &str, raw: &str, shape: Shape, max_lines: usize) {
    assert!(!suggestion.trim().is_empty(), "a blank suggestion");
    let plain = suggestion.replace("\r\n", "\n");
    assert!(!plain.contains('\r'), "a lone \\r in {suggestion:?}");
    let lines = plain.split('\n').count();
    let allowed = max_lines.max(1) + usize::from(plain.starts_with('\n'));
    assert!(lines <= allowed, "{lines} lines, at most {allowed} allowed: {suggestion:?}");
    if shape == Shape::SingleLine {
        assert!(!plain.contains('\n'), "a single-line suggestion with a newline: {suggestion:?}");
    }
    let model = raw.replace("\r\n", "\n").replace('\r', "\n");
    for line in plain.split('\n') {
        let line = line.trim_end();
        assert!(model.contains(line), "{line:?} is not text the model wrote ({raw:?})");
    }
}

fuzz_target!(|input: Input| {
    let registry = LanguageRegistry::builtin();
    let languages: Vec<_> = registry.languages().cloned().collect();
    let language = languages.get(input.language as usize % (languages.len() + 1)).cloned();
    let family = FAMILIES[input.family as usize % FAMILIES.len()].clone();
    let settings = CompletionSettings {
        max_lines: usize::from(input.max_lines % 12),
        in_comments: input.in_comments,
        in_strings: input.in_strings,
        prefix_bytes: usize::from(input.prefix_bytes),
        suffix_bytes: usize::from(input.suffix_bytes),
        ..CompletionSettings::default()
    };
    let mut document = Document::new(&input.text, 1, language, &DocumentLimits::default());
    let label = FileLabel { path: "src/fuzz.rs".into(), repo_name: "fuzz".into() };
    let mut completion =
        CompletionInput::from_document(&mut document, usize::from(input.cursor), label);
    assert_eq!(completion.text, input.text);
    assert!(completion.cursor <= completion.text.len());
    assert!(completion.text.is_char_boundary(completion.cursor));
    completion.context = input
        .context
        .iter()
        .take(4)
        .map(|(path, text)| ContextFile { path: path.clone(), text: text.clone() })
        .collect();
    check_prompt(&family, &completion, &settings);

    let raw = input.raw.clone();
    let engine =
        Arc::new(ScriptedEngine::with_responder(family, move |_| ScriptedReply::text(raw.clone())));
    let completer = Completer::new(engine, settings.clone());
    runtime().block_on(async {
        let Ok(Some(generated)) = completer.generate_raw(&completion).await else { return };
        for filters in [true, false] {
            if let Some(suggestion) = completer.postprocess(&completion, &generated, filters) {
                check_suggestion(&suggestion, &generated.text, generated.shape, settings.max_lines);
            }
        }
        let Ok(Some(first)) = completer.complete(completion.clone()).await else { return };
        let typed = floor_boundary(&first.text, usize::from(input.typed) % (first.text.len() + 1));
        let mut text = completion.text.clone();
        text.insert_str(completion.cursor, &first.text[..typed]);
        let cursor = completion.cursor + typed;
        let mut next = completion.clone();
        next.tree = None;
        next.text = text;
        next.cursor = cursor;
        if let Ok(Some(again)) = completer.complete(next).await
            && again.source == SuggestionSource::TypedThrough
        {
            assert_eq!(again.text, first.text[typed..], "typing through offers the rest");
        }
    });
});
