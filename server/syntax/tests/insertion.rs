//! `parse_with_insertion`: the tree a suggestion would make of a document, reparsed
//! incrementally, equals a fresh parse of the text with the insertion, and its syntax errors are
//! counted by `syntax_error_count`.

use std::time::Duration;

use infill_syntax::{
    LanguageRegistry, parse, parse_with_insertion, syntax_error_bytes, syntax_error_count,
};
use proptest::prelude::*;

const BUDGET: Duration = Duration::from_secs(5);

fn python() -> std::sync::Arc<infill_syntax::Language> {
    LanguageRegistry::builtin().by_name("python").expect("python is built in")
}

fn errors_after(text: &str, at: usize, inserted: &str) -> usize {
    let language = python();
    let tree = parse(&language, text).expect("parses");
    let new = parse_with_insertion(&language, &tree, text, at, inserted, BUDGET).expect("reparses");
    syntax_error_count(&new)
}

#[test]
fn a_statement_in_a_function_body_adds_no_error() {
    let text = "def f(x):\n    \n    return x\n";
    assert_eq!(syntax_error_count(&parse(&python(), text).unwrap()), 0);
    assert_eq!(errors_after(text, 14, "y = x + 1"), 0);
}

#[test]
fn an_unbalanced_bracket_is_an_error() {
    let text = "def f(x):\n    \n    return x\n";
    assert!(errors_after(text, 14, "y = (x + 1") > 0);
    assert!(errors_after(text, 14, "y = x + 1)") > 0);
}

#[test]
fn completing_an_open_call_removes_its_error() {
    let text = "def f(items):\n    total = sum(item.v\n    return total\n";
    let before = syntax_error_count(&parse(&python(), text).unwrap());
    assert!(before > 0);
    let at = text.find("item.v").unwrap() + "item.v".len();
    assert!(errors_after(text, at, "alue for item in items)") < before);
}

#[test]
fn error_bytes_measure_the_text_error_recovery_could_not_place() {
    let language = python();
    assert_eq!(syntax_error_bytes(&parse(&language, "x = 1\n").unwrap()), 0);
    let text = "def checkout(items):\n    total = \n    return total\n";
    let tree = parse(&language, text).unwrap();
    let before = syntax_error_bytes(&tree);
    let at = text.find("= ").unwrap() + 2;
    let garbled = parse_with_insertion(&language, &tree, text, at, "def g(:", BUDGET).unwrap();
    assert!(
        syntax_error_bytes(&garbled) > before + "def g(:".len(),
        "the error spreads past the inserted text"
    );
    let good = parse_with_insertion(&language, &tree, text, at, "len(items)", BUDGET).unwrap();
    assert_eq!(syntax_error_bytes(&good), 0);
}

#[test]
fn an_offset_inside_a_character_is_refused() {
    let text = "x = 'é'\n";
    let language = python();
    let tree = parse(&language, text).unwrap();
    let inside = text.find('é').unwrap() + 1;
    assert!(parse_with_insertion(&language, &tree, text, inside, "y", BUDGET).is_none());
}

#[test]
fn an_empty_error_free_tree_counts_zero_and_errors_count_once_each() {
    assert_eq!(syntax_error_count(&parse(&python(), "").unwrap()), 0);
    let broken = parse(&python(), "def f(:\n    pass\nx = (1,\n").unwrap();
    assert!(syntax_error_count(&broken) >= 1);
}

const PIECES: &[&str] = &[
    "x = 1",
    "\n",
    "    ",
    "def g(a):",
    "return a",
    "(",
    ")",
    "[1, 2",
    "]",
    "'s",
    "é",
    "if a:",
    "\n    pass",
    "# c",
    ":",
    ",",
    "lambda: 0",
];

fn sexp(tree: &tree_sitter::Tree) -> String {
    fn walk(node: tree_sitter::Node<'_>, out: &mut String) {
        out.push_str(&format!(
            "({}{} {}-{} {:?}-{:?}",
            node.kind(),
            if node.is_missing() { " MISSING" } else { "" },
            node.start_byte(),
            node.end_byte(),
            node.start_position(),
            node.end_position()
        ));
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            walk(child, out);
        }
        out.push(')');
    }
    let mut out = String::new();
    walk(tree.root_node(), &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_incremental_tree_equals_a_fresh_parse(
        base in prop::collection::vec(prop::sample::select(PIECES), 0..12),
        insert in prop::collection::vec(prop::sample::select(PIECES), 1..6),
        fraction in 0.0f64..=1.0,
    ) {
        let text: String = base.concat();
        let inserted: String = insert.concat();
        let mut at = (text.len() as f64 * fraction) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let language = python();
        let tree = parse(&language, &text).unwrap();
        let new = parse_with_insertion(&language, &tree, &text, at, &inserted, BUDGET).unwrap();
        let full = format!("{}{}{}", &text[..at], inserted, &text[at..]);
        let fresh = parse(&language, &full).unwrap();
        prop_assert_eq!(sexp(&new), sexp(&fresh));
        prop_assert_eq!(syntax_error_count(&new), syntax_error_count(&fresh));
        prop_assert_eq!(syntax_error_bytes(&new), syntax_error_bytes(&fresh));
    }
}
