//! The completion pipeline's shortcuts past the engine (typed-through reuse and the
//! identical-request cache), the staged `generate_raw` + `postprocess` API and the input builder,
//! driven through `Completer` with a `ScriptedEngine` that records every prompt it gets.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use infill_engine::{ContextFile, ModelFamily, ScriptedEngine, ScriptedReply};
use infill_ide::completion::{
    Completer, CompletionInput, CompletionSettings, FileLabel, SuggestionSource,
};
use infill_syntax::{Document, DocumentLimits, LanguageRegistry};

/// A Python file whose cursor sits after `total = ` (`$0` marks it), before more code.
const CART: &str = "def checkout(items):\n    total = $0\n    return total\n";

/// The completion input for `document` with `$0` at the cursor, parsed as `cart.py`.
fn input(document: &str) -> CompletionInput {
    let cursor = document.find("$0").expect("a $0 cursor");
    let text = document.replace("$0", "");
    let registry = LanguageRegistry::builtin();
    let mut document = Document::new(
        &text,
        0,
        registry.for_path(Path::new("cart.py")),
        &DocumentLimits::default(),
    );
    CompletionInput::from_document(&mut document, cursor, FileLabel::named("cart.py"))
}

/// `CART` with `typed` typed at its cursor.
fn cart_after_typing(typed: &str) -> String {
    CART.replace("$0", &format!("{typed}$0"))
}

fn completer(engine: &Arc<ScriptedEngine>) -> Completer {
    Completer::new(engine.clone(), CompletionSettings::default())
}

#[tokio::test]
async fn typing_the_start_of_a_suggestion_returns_its_rest_without_the_engine() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("compute_total(items)"));
    let completer = completer(&engine);

    let first = completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    assert_eq!(first.text, "compute_total(items)");
    assert_eq!(first.source, SuggestionSource::Engine);
    assert_eq!(engine.prompts().len(), 1);

    // The user types the suggestion's first characters, one keystroke at a time.
    for (typed, rest) in [("c", "ompute_total(items)"), ("comp", "ute_total(items)")] {
        let next = completer.complete(input(&cart_after_typing(typed))).await.unwrap();
        let next = next.expect("the rest of the suggestion");
        assert_eq!(next.text, rest, "after typing {typed:?}");
        assert_eq!(next.source, SuggestionSource::TypedThrough);
        assert!(next.stats.is_none());
    }
    assert_eq!(engine.prompts().len(), 1, "typed-through reuse must not call the engine");
}

#[tokio::test]
async fn typing_something_else_than_the_suggestion_calls_the_engine() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("compute_total(items)"));
    engine.push(ScriptedReply::text("um(item.price for item in items)"));
    let completer = completer(&engine);

    completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    let next = completer.complete(input(&cart_after_typing("s"))).await.unwrap();
    let next = next.expect("a new suggestion");
    assert_eq!(next.source, SuggestionSource::Engine);
    assert_eq!(next.text, "um(item.price for item in items)");
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), 2);
    assert!(prompts[1].ends_with("    total = s"), "the second prompt: {:?}", prompts[1]);
}

#[tokio::test]
async fn typed_through_reuse_is_per_file() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("compute_total(items)"));
    engine.push(ScriptedReply::text("ompute_total(items)"));
    let completer = completer(&engine);

    completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    let mut other = input(&cart_after_typing("c"));
    other.path = "orders.py".into();
    let next = completer.complete(other).await.unwrap().expect("a suggestion");
    assert_eq!(next.source, SuggestionSource::Engine);
    assert_eq!(engine.prompts().len(), 2);
}

#[tokio::test]
async fn the_same_request_twice_is_answered_from_the_cache() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    // One reply only: a second generation would fail with "no scripted reply left".
    engine.push(ScriptedReply::text("compute_total(items)"));
    let completer = completer(&engine);

    let first = completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    let second = completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    assert_eq!(first.source, SuggestionSource::Engine);
    assert!(first.stats.is_some());
    assert_eq!(second.source, SuggestionSource::Cache);
    assert!(second.stats.is_none());
    assert_eq!(second.text, first.text);
    assert_eq!(engine.prompts().len(), 1, "the engine is called once");
}

#[tokio::test]
async fn a_different_request_is_not_answered_from_the_cache() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("compute_total(items)"));
    engine.push(ScriptedReply::text("0"));
    let completer = completer(&engine);

    completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    // Same text, more tokens allowed: another request.
    completer.set_settings(CompletionSettings { max_tokens: 64, ..CompletionSettings::default() });
    let second = completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    assert_eq!(second.source, SuggestionSource::Engine);
    assert_eq!(second.text, "0");
    assert_eq!(engine.prompts().len(), 2);
}

#[tokio::test]
async fn one_raw_generation_post_processes_with_and_without_filters() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    // The model repeats the `)` already after the cursor: only the filters drop it.
    engine.push(ScriptedReply::text("items)"));
    let completer = completer(&engine);
    let input = input("def checkout(items):\n    total = compute_total($0)\n    return total\n");

    let raw = completer.generate_raw(&input).await.unwrap().expect("not suppressed");
    assert_eq!(raw.source, SuggestionSource::Engine);
    assert_eq!(raw.text, "items)");
    assert!(raw.stats.is_some());
    assert_eq!(completer.postprocess(&input, &raw, true).as_deref(), Some("items"));
    assert_eq!(completer.postprocess(&input, &raw, false).as_deref(), Some("items)"));
    assert_eq!(engine.prompts().len(), 1);

    // `generate_raw` neither reads nor feeds typed-through reuse: the next keystroke that
    // matches the raw text still goes to the engine.
    engine.push(ScriptedReply::text("ompute_total(items)"));
    let next = completer.complete(self::input(&cart_after_typing("c"))).await.unwrap();
    assert_eq!(next.expect("a suggestion").source, SuggestionSource::Engine);
}

#[tokio::test]
async fn a_suppressed_cursor_generates_nothing() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    let completer = completer(&engine);
    // Inside a comment, with completions in comments off (the default).
    let input = input("def checkout(items):\n    # add up the $0\n    return 0\n");
    assert!(completer.generate_raw(&input).await.unwrap().is_none());
    assert!(completer.complete(input).await.unwrap().is_none());
    assert!(engine.prompts().is_empty());
}

#[test]
fn a_file_is_labelled_relative_to_the_root_holding_it() {
    let roots = vec![PathBuf::from("/work/other"), PathBuf::from("/work/shop")];
    let label = FileLabel::for_path(Path::new("/work/shop/src/cart.py"), &roots);
    assert_eq!(label, FileLabel { path: "src/cart.py".into(), repo_name: "shop".into() });

    // `starts_with` compares whole components: `/work/shopping` is not under `/work/shop`.
    let outside = FileLabel::for_path(Path::new("/nowhere/shopping/cart.py"), &roots);
    assert_eq!(outside, FileLabel::named("/nowhere/shopping/cart.py"));

    let cwd = std::env::current_dir().unwrap();
    let here = FileLabel::for_path(&cwd.join("src/cart.py"), &[]);
    assert_eq!(here, FileLabel::named(Path::new("src").join("cart.py").to_string_lossy()));
}

#[test]
fn the_input_builder_keeps_the_document_and_clamps_the_cursor() {
    let text = "x = \"é\"\n";
    let registry = LanguageRegistry::builtin();
    let mut document =
        Document::new(text, 3, registry.for_path(Path::new("a.py")), &DocumentLimits::default());
    let label = FileLabel { path: "pkg/a.py".into(), repo_name: "repo".into() };
    // Byte 6 is inside `é` (bytes 5..7).
    let input = CompletionInput::from_document(&mut document, 6, label);
    assert_eq!(input.cursor, 5);
    assert_eq!(input.text, text);
    assert_eq!(input.path, "pkg/a.py");
    assert_eq!(input.repo_name, "repo");
    assert!(input.tree.is_some());
    assert_eq!(input.language.as_ref().map(|l| l.name.as_str()), Some("python"));
    assert!(input.context.is_empty());

    let past_the_end = CompletionInput::new(FileLabel::named("a"), "abc".into(), 99, None, None);
    assert_eq!(past_the_end.cursor, 3);
}

#[tokio::test]
async fn the_model_stops_where_post_processing_cuts_a_multi_line_suggestion() {
    // Mid-expression at the end of a function: the model closes the call, then rambles on at the
    // top level. Only the first line is shown; the model should not write the rest.
    let document = "def cart_total(items):\n    total = sum(item.v$0\n";
    let rambling = " for item in items)\n    return total\n\n\nitems = [Item(1), Item(2)]\nprint(cart_total(items))\nprint(cart_total([]))\n";
    let mut generated = Vec::new();
    for stop_at_cut in [false, true] {
        let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
        engine.push(ScriptedReply::text(rambling));
        let settings = CompletionSettings { stop_at_cut, ..CompletionSettings::default() };
        let completer = Completer::new(engine.clone(), settings);
        let raw = completer.generate_raw(&input(document)).await.unwrap().expect("not suppressed");
        assert_eq!(raw.shape, infill_ide::postprocess::Shape::MultiLine);
        let shown = completer.postprocess(&input(document), &raw, true);
        assert_eq!(shown.as_deref(), Some(" for item in items)"), "{stop_at_cut}");
        generated.push(raw.stats.expect("from the engine").generated_tokens);
        if stop_at_cut {
            assert!(raw.text.starts_with(" for item in items)\n"));
            assert!(!raw.text.contains("print"), "decoding went on: {:?}", raw.text);
        }
    }
    assert!(
        generated[1] < generated[0],
        "tokens generated without and with the cut: {generated:?}"
    );
}

/// A long Python file (some 6 KB before the cursor after `total = `) with a context file: its
/// full prompt is cold for a new completer.
fn long_cart(typed: &str) -> CompletionInput {
    let mut document = String::new();
    for i in 0..150 {
        document.push_str(&format!("def helper_{i}(x):\n    return x + {i}\n\n"));
    }
    document.push_str(&format!("def checkout(items):\n    total = {typed}$0\n    return total\n"));
    let mut input = input(&document);
    input.context = vec![ContextFile {
        path: "pricing.py".into(),
        text: "def compute_total(items):\n    return sum(items)\n".into(),
    }];
    input
}

async fn until_warm(completer: &Completer) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while completer.warming() {
        assert!(std::time::Instant::now() < deadline, "the warm-up never ended");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_cold_prompt_answers_from_a_short_prompt_and_warms_the_full_one() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("compute_total(items)")
    }));
    let completer = completer(&engine);

    let first = completer.complete(long_cart("")).await.unwrap().expect("a suggestion");
    assert_eq!(first.source, SuggestionSource::ShortPrompt);
    assert_eq!(first.text, "compute_total(items)");
    assert_eq!(engine.prompts().len(), 1, "nothing warms until the user pauses");
    assert!(!completer.warm_up_when_idle(std::time::Duration::from_secs(60)), "no pause yet");
    assert!(completer.warm_up_when_idle(std::time::Duration::ZERO), "paused: it warms");
    assert!(!completer.warm_up_when_idle(std::time::Duration::ZERO), "once");
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), 2, "the short prompt, then the full one warming");
    let (short, full) = (&prompts[0], &prompts[1]);
    assert!(short.len() <= 600, "{} bytes", short.len());
    assert!(short.ends_with("    total =") && !short.contains("compute_total"), "{short:?}");
    assert!(full.contains("def compute_total(items)") && full.contains("def helper_100"));
    until_warm(&completer).await;

    // The next keystroke (not the suggestion's start) uses the full, now warm, prompt.
    let next = completer.complete(long_cart("x")).await.unwrap().expect("a suggestion");
    assert_eq!(next.source, SuggestionSource::Engine);
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), 3);
    assert!(prompts[2].contains("def compute_total(items)") && prompts[2].ends_with("total = x"));
    assert!(!completer.warming());
}

#[tokio::test]
async fn a_request_while_the_full_prompt_warms_stops_the_warm_up_and_answers_short_again() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |prompt| {
        if prompt.contains("compute_total") {
            // The full prompt: slow, as a cold prefill is.
            ScriptedReply::slow("compute_total(items)", std::time::Duration::from_secs(30))
        } else {
            ScriptedReply::text("sum(items)")
        }
    }));
    let completer = completer(&engine);
    let first = completer.complete(long_cart("")).await.unwrap().expect("a suggestion");
    assert_eq!(first.source, SuggestionSource::ShortPrompt);
    assert!(completer.warm_up_when_idle(std::time::Duration::ZERO));
    assert!(completer.warming());
    assert_eq!(engine.running(), 1, "the warm-up runs");

    let next = completer.complete(long_cart("y")).await.unwrap().expect("a suggestion");
    assert_eq!(next.source, SuggestionSource::ShortPrompt, "still cold: short again");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(engine.running(), 0, "the warm-up was cancelled");
    assert_eq!(engine.prompts().len(), 3);
    assert!(completer.warm_up_when_idle(std::time::Duration::ZERO), "the next pause warms again");
    assert_eq!(engine.running(), 1);
    assert_eq!(engine.prompts().len(), 4);
}

#[tokio::test]
async fn without_fast_first_answers_or_for_a_short_file_the_full_prompt_answers() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("compute_total(items)")
    }));
    let settings =
        CompletionSettings { fast_first_prefix_bytes: 0, ..CompletionSettings::default() };
    let completer = Completer::new(engine.clone(), settings);
    let first = completer.complete(long_cart("")).await.unwrap().expect("a suggestion");
    assert_eq!(first.source, SuggestionSource::Engine);
    assert_eq!(engine.prompts().len(), 1);
    assert!(!completer.warming());

    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("compute_total(items)")
    }));
    let completer = completer_for(&engine);
    let short_file = completer.complete(input(CART)).await.unwrap().expect("a suggestion");
    assert_eq!(short_file.source, SuggestionSource::Engine, "a small prompt is never cold");
    assert_eq!(engine.prompts().len(), 1);
}

#[tokio::test]
async fn prefetch_computes_a_cold_full_prompt_so_the_first_request_uses_it() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("compute_total(items)")
    }));
    let completer = completer(&engine);
    assert!(completer.prefetch(long_cart("")), "a cold prompt is prefetched");
    assert!(!completer.prefetch(long_cart("")), "the same prompt is already warming");
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), 1);
    assert!(prompts[0].contains("def compute_total(items)") && prompts[0].ends_with("total ="));
    until_warm(&completer).await;
    assert!(!completer.prefetch(long_cart("")), "a warm prompt is not prefetched again");

    let first = completer.complete(long_cart("")).await.unwrap().expect("a suggestion");
    assert_eq!(first.source, SuggestionSource::Engine, "the full prompt is warm");
    assert_eq!(engine.prompts().len(), 2);

    // A small file's prompt is a keystroke's work: nothing to prefetch.
    let small = completer_for(&engine);
    assert!(!small.prefetch(input(CART)));
}

fn completer_for(engine: &Arc<ScriptedEngine>) -> Completer {
    completer(engine)
}
