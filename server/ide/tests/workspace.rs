//! Sticky context: a real `WorkspaceIndex` over a temporary directory, and the prompts a
//! `ScriptedEngine` receives while the user types. Each test changes an indexed file after the
//! first ranking, so a ranking made again shows the change and a reused one does not.

use std::path::PathBuf;
use std::sync::Arc;

use infill_engine::{ContextFile, ModelFamily, ScriptedEngine, ScriptedReply};
use infill_ide::completion::{Completer, CompletionInput, CompletionSettings, FileLabel};
use infill_ide::workspace::{ContextSettings, STICKY_LINES, Workspace};
use infill_syntax::{Document, DocumentLimits, LanguageRegistry};

const PRICING: &str = "def compute_total(items):\n    return sum(i.price for i in items)\n";
const PRICING_CHANGED: &str = "def compute_total(items):\n    return 42  # changed\n";

/// Lines of filler between `checkout` and `refund` in `cart.py`: more than the sticky range.
const FILLER_FUNCTIONS: usize = 20;

/// A workspace of `pricing.py`, and `cart.py` and `orders.py` that import it.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    workspace: Workspace,
    cart: String,
}

impl Fixture {
    fn new(settings: ContextSettings) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let mut cart = String::from(
            "from pricing import compute_total\n\n\ndef checkout(items):\n    total = compute_total(items)\n    return total\n",
        );
        for i in 0..FILLER_FUNCTIONS {
            cart.push_str(&format!("\n\ndef helper_{i}(x):\n    return x + {i}\n"));
        }
        cart.push_str(
            "\n\ndef refund(items):\n    owed = compute_total(items)\n    return -owed\n",
        );
        std::fs::write(root.join("pricing.py"), PRICING).unwrap();
        std::fs::write(root.join("cart.py"), &cart).unwrap();
        std::fs::write(
            root.join("orders.py"),
            "from pricing import compute_total\n\n\ndef order(items):\n    return compute_total(items)\n",
        )
        .unwrap();
        let workspace =
            Workspace::new(Arc::new(infill_context::WorkspaceIndex::default()), settings);
        workspace.set_roots(vec![root.clone()]);
        let report = workspace.index_root(&root, &|_, _| {});
        assert_eq!(report.indexed, 3, "{report:?}");
        Fixture { _dir: dir, root, workspace, cart }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The byte offset of the end of the first line of `file_text` containing `needle`.
    fn end_of_line(file_text: &str, needle: &str) -> usize {
        let start = file_text.find(needle).expect("needle in text");
        start + file_text[start..].find('\n').unwrap_or(file_text.len() - start)
    }

    /// The context for a cursor at the end of the line of `cart.py` containing `needle`.
    fn cart_context(&self, needle: &str) -> Vec<ContextFile> {
        let cursor = Self::end_of_line(&self.cart, needle);
        self.workspace.context_for_completion(&self.path("cart.py"), &self.cart, cursor)
    }

    /// Changes `pricing.py` in the index (as a save or a file watcher would).
    fn change_pricing(&self) {
        self.workspace.update_file(&self.path("pricing.py"), PRICING_CHANGED);
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count()
}

/// The text of the `pricing.py` snippet in `files`.
fn pricing_snippet(files: &[ContextFile]) -> &str {
    let file = files.iter().find(|f| f.path == "pricing.py");
    &file.unwrap_or_else(|| panic!("no pricing.py snippet in {files:#?}")).text
}

#[test]
fn a_small_move_in_the_same_file_reuses_the_ranking() {
    let fixture = Fixture::new(ContextSettings::default());
    let first = fixture.cart_context("    total = compute_total");
    assert!(pricing_snippet(&first).contains("sum(i.price"), "{first:#?}");
    fixture.change_pricing();

    // One line down, then the farthest line still inside the sticky range.
    let down = fixture.cart_context("    return total");
    assert_eq!(down, first, "a move of one line must reuse the ranking");
    let start = line_of(&fixture.cart, "    total = compute_total");
    let edge = fixture.cart.lines().nth(start + STICKY_LINES).unwrap().to_string();
    assert!(line_of(&fixture.cart, &edge) == start + STICKY_LINES, "a unique line: {edge:?}");
    assert_eq!(fixture.cart_context(&edge), first, "{STICKY_LINES} lines away is still sticky");
}

#[test]
fn a_far_move_ranks_again() {
    let fixture = Fixture::new(ContextSettings::default());
    let first = fixture.cart_context("    total = compute_total");
    fixture.change_pricing();
    let distance =
        line_of(&fixture.cart, "    owed = ") - line_of(&fixture.cart, "    total = compute_total");
    assert!(distance > STICKY_LINES, "the fixture must move farther than the sticky range");

    let far = fixture.cart_context("    owed = compute_total");
    assert_ne!(far, first);
    assert!(pricing_snippet(&far).contains("return 42"), "{far:#?}");
}

#[test]
fn another_file_ranks_again_and_so_does_coming_back() {
    let fixture = Fixture::new(ContextSettings::default());
    let first = fixture.cart_context("    total = compute_total");
    fixture.change_pricing();

    let orders = std::fs::read_to_string(fixture.path("orders.py")).unwrap();
    let cursor = Fixture::end_of_line(&orders, "    return compute_total");
    let other =
        fixture.workspace.context_for_completion(&fixture.path("orders.py"), &orders, cursor);
    assert!(pricing_snippet(&other).contains("return 42"), "{other:#?}");

    // Back in cart.py at the first line: the ranking left for orders.py, so it is made again.
    let back = fixture.cart_context("    total = compute_total");
    assert_ne!(back, first);
    assert!(pricing_snippet(&back).contains("return 42"), "{back:#?}");
}

#[test]
fn disabled_context_is_empty_and_indexes_no_live_text() {
    let settings = ContextSettings { enabled: false, ..ContextSettings::default() };
    let fixture = Fixture::new(settings);
    assert!(fixture.cart_context("    total = compute_total").is_empty());

    // Live text is ignored while disabled: enabling shows the file as indexed from disk.
    fixture.change_pricing();
    fixture.workspace.set_settings(ContextSettings::default());
    let enabled = fixture.cart_context("    total = compute_total");
    assert!(pricing_snippet(&enabled).contains("sum(i.price"), "{enabled:#?}");
}

#[test]
fn uncached_ranking_sees_every_change() {
    let fixture = Fixture::new(ContextSettings::default());
    let cart = fixture.path("cart.py");
    let cursor = Fixture::end_of_line(&fixture.cart, "    total = compute_total");
    let before = fixture.workspace.rank(&cart, &fixture.cart, cursor);
    fixture.change_pricing();
    let after = fixture.workspace.rank(&cart, &fixture.cart, cursor);
    let text = |r: &infill_context::ContextResult| {
        infill_ide::workspace::to_context_files(r).into_iter().map(|f| f.text).collect::<String>()
    };
    assert!(text(&before).contains("sum(i.price"));
    assert!(text(&after).contains("return 42"));
}

/// Types `typed` one character at a time on a new line in `checkout` and completes after each
/// keystroke, as the editor would: the document, sticky context, the input builder and the
/// completer. `pricing.py` changes in the index halfway through. Returns the prompts the engine
/// got, one per keystroke.
async fn type_and_complete(family: ModelFamily, typed: &str) -> Vec<String> {
    let fixture = Fixture::new(ContextSettings::default());
    // Replies that never start with a typed character, so every keystroke reaches the engine.
    let engine = Arc::new(ScriptedEngine::with_responder(family, |_| ScriptedReply::text("0")));
    // The full prompt's layout is under test: no fast first answer from a short one.
    let settings =
        CompletionSettings { fast_first_prefix_bytes: 0, ..CompletionSettings::default() };
    let completer = Completer::new(engine.clone(), settings);
    let registry = LanguageRegistry::builtin();
    let cart = fixture.path("cart.py");
    let at = Fixture::end_of_line(&fixture.cart, "    total = compute_total") + 1;
    for count in 0..=typed.len() {
        if count == typed.len() / 2 {
            fixture.change_pricing();
        }
        let text =
            format!("{}    {}\n{}", &fixture.cart[..at], &typed[..count], &fixture.cart[at..]);
        let cursor = at + 4 + count;
        let mut document = Document::new(
            &text,
            count as i32,
            registry.for_path(&cart),
            &DocumentLimits::default(),
        );
        let label = FileLabel::for_path(&cart, &fixture.workspace.roots());
        let mut input = CompletionInput::from_document(&mut document, cursor, label);
        assert_eq!(input.path, "cart.py");
        input.context = fixture.workspace.context_for_completion(&cart, &input.text, cursor);
        completer.complete(input).await.unwrap();
    }
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), typed.len() + 1, "every keystroke reaches the engine");
    prompts
}

#[tokio::test]
async fn consecutive_keystrokes_send_prompts_that_only_grow_at_their_end() {
    let prompts = type_and_complete(ModelFamily::RepoTokens, "ret").await;
    assert!(prompts[0].contains("sum(i.price"), "{}", prompts[0]);
    for pair in prompts.windows(2) {
        assert!(
            pair[1].starts_with(&pair[0]),
            "the prompt's prefix moved:\n--- before\n{}\n--- after\n{}",
            pair[0],
            pair[1]
        );
    }
    assert!(prompts.last().unwrap().ends_with("\n    ret"));
    assert!(!prompts.last().unwrap().contains("return 42"), "the context was ranked again");
}

#[tokio::test]
async fn fim_prompts_keep_everything_before_the_cursor_across_keystrokes() {
    let prompts = type_and_complete(ModelFamily::QwenCoder, "ret").await;
    for pair in prompts.windows(2) {
        let before_cursor = &pair[0][..pair[0].find("<|fim_suffix|>").unwrap()];
        assert!(before_cursor.contains("<|file_sep|>pricing.py\n"), "{before_cursor}");
        assert!(pair[1].starts_with(before_cursor), "{}\n---\n{}", pair[0], pair[1]);
    }
}

#[test]
fn the_index_root_follows_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(root.join("a.py"), "x = 1\n").unwrap();
    std::fs::write(root.join("big.py"), format!("y = \"{}\"\n", "z".repeat(4000))).unwrap();
    std::fs::write(root.join("secret_stuff.py"), "k = 2\n").unwrap();
    let settings = ContextSettings {
        max_file_bytes: 1000,
        exclude: vec!["secret_*".into()],
        ..ContextSettings::default()
    };
    let workspace = Workspace::new(Arc::new(infill_context::WorkspaceIndex::default()), settings);
    let report = workspace.index_root(&root, &|_, _| {});
    assert_eq!(report.indexed, 1, "{report:?}");
    let paths = workspace.index().paths();
    assert_eq!(paths, vec![root.join("a.py")]);
}
