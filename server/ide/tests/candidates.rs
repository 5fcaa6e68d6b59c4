//! Suggestions that parse and several suggestions: `Completer::complete` checks each candidate
//! where it goes, samples further ones (from the same prompt) when the first breaks the syntax,
//! and `complete_with` returns deduplicated alternatives, driven by a `ScriptedEngine`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use infill_ide::completion::{Completer, CompletionInput, CompletionSettings, FileLabel};
use infill_syntax::{Document, DocumentLimits, LanguageRegistry};

/// A Python file whose cursor sits after `total = ` (`$0` marks it), before more code.
const CART: &str = "def checkout(items):\n    total = $0\n    return total\n";

fn input(document: &str, file: &str) -> CompletionInput {
    let cursor = document.find("$0").expect("a $0 cursor");
    let text = document.replace("$0", "");
    let registry = LanguageRegistry::builtin();
    let mut document =
        Document::new(&text, 0, registry.for_path(Path::new(file)), &DocumentLimits::default());
    CompletionInput::from_document(&mut document, cursor, FileLabel::named(file))
}

fn completer(engine: &Arc<ScriptedEngine>, settings: CompletionSettings) -> Completer {
    Completer::new(engine.clone(), settings)
}

#[tokio::test]
async fn a_candidate_that_breaks_the_syntax_is_replaced_by_a_sampled_one_that_parses() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("def g(y) -> int:"));
    engine.push(ScriptedReply::text("sum(item.price for item in items)"));
    let completer = completer(&engine, CompletionSettings::default());

    let suggestion =
        completer.complete(input(CART, "cart.py")).await.unwrap().expect("the second candidate");
    assert_eq!(suggestion.text, "sum(item.price for item in items)");
    assert_eq!(suggestion.generations, 2);
    assert!(suggestion.repaired);
    assert!(suggestion.alternatives.is_empty());
    let samplings = engine.samplings();
    assert_eq!(samplings.len(), 2);
    assert_eq!(samplings[0].0, 0.0, "the first candidate is greedy");
    assert!(samplings[1].0 > 0.0, "the second is sampled");
    let prompts = engine.prompts();
    assert_eq!(prompts[0], prompts[1], "both candidates share the prompt");
}

#[tokio::test]
async fn when_no_candidate_parses_nothing_is_shown() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("def g(y) -> int:")
    }));
    let settings = CompletionSettings { candidates: 4, ..CompletionSettings::default() };
    let completer = completer(&engine, settings);

    let suggestion = completer.complete(input(CART, "cart.py")).await.unwrap();
    assert!(suggestion.is_none(), "broken code is not shown: {suggestion:?}");
    assert_eq!(engine.prompts().len(), 4, "tries up to `candidates` generations");
    let seeds: Vec<_> = engine.samplings().iter().map(|(_, seed)| *seed).collect();
    assert_eq!(seeds, [Some(0), Some(1), Some(2), Some(3)], "each sample has its own seed");
}

#[tokio::test]
async fn a_candidate_that_parses_costs_one_generation() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("len(items)")
    }));
    let completer = completer(&engine, CompletionSettings::default());

    let suggestion = completer.complete(input(CART, "cart.py")).await.unwrap().unwrap();
    assert_eq!(suggestion.text, "len(items)");
    assert_eq!(suggestion.generations, 1);
    assert!(!suggestion.repaired);
    assert_eq!(engine.prompts().len(), 1);
}

#[tokio::test]
async fn checking_off_shows_the_candidate_as_post_processing_left_it() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("def g(y) -> int:"));
    let settings = CompletionSettings { validate: false, ..CompletionSettings::default() };
    let completer = completer(&engine, settings);

    let suggestion = completer.complete(input(CART, "cart.py")).await.unwrap().unwrap();
    assert_eq!(suggestion.text, "def g(y) -> int:");
    assert_eq!(engine.prompts().len(), 1);
}

#[tokio::test]
async fn a_multi_line_candidate_is_cut_to_the_lines_that_parse() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("total += 1\n        total += 2"));
    let completer = completer(&engine, CompletionSettings::default());
    let document = "def total(xs):\n    total = 0\n    $0\n    return total\n";

    let suggestion = completer.complete(input(document, "t.py")).await.unwrap().unwrap();
    assert_eq!(suggestion.text, "total += 1");
    assert!(suggestion.repaired);
    assert_eq!(suggestion.generations, 1, "a repair needs no further generation");
}

#[tokio::test]
async fn alternatives_are_sampled_deduplicated_and_ranked_after_the_greedy_one() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    for reply in ["len(items)", "len(items)", "def g(:", "sum(items)", "max(items)"] {
        engine.push(ScriptedReply::text(reply));
    }
    let settings = CompletionSettings { candidates: 5, ..CompletionSettings::default() };
    let completer = completer(&engine, settings);

    let suggestion = completer.complete_with(input(CART, "cart.py"), 3).await.unwrap().unwrap();
    assert_eq!(suggestion.text, "len(items)", "the greedy candidate comes first");
    assert_eq!(suggestion.alternatives, ["sum(items)", "max(items)"]);
    assert_eq!(suggestion.generations, 5);
}

#[tokio::test]
async fn alternatives_stop_at_the_time_budget() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::slow("len(items)", Duration::from_millis(40))
    }));
    let settings = CompletionSettings {
        candidates: 50,
        time_budget: Duration::from_millis(200),
        ..CompletionSettings::default()
    };
    let completer = completer(&engine, settings);

    let suggestion = completer.complete_with(input(CART, "cart.py"), 50).await.unwrap().unwrap();
    assert_eq!(suggestion.text, "len(items)");
    assert!(suggestion.alternatives.is_empty(), "the same text twice is one suggestion");
    assert!(
        engine.prompts().len() < 50,
        "no new candidate starts past the time budget ({} generations)",
        engine.prompts().len()
    );
}
