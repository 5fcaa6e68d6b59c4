//! Document behaviour: edits, clamping, the tree size limit, slices and the tree's positions.

use infill_syntax::{
    Document, DocumentLimits, LanguageRegistry, Position, PositionEncoding, Range, TextChange,
    parse,
};

fn at(line: u32, character: u32) -> Position {
    Position { line, character }
}

fn edit(start: Position, end: Position, text: &str) -> TextChange {
    TextChange { range: Some(Range { start, end }), text: text.to_owned() }
}

fn rust_document(text: &str, limits: &DocumentLimits) -> Document {
    let rust = LanguageRegistry::builtin().by_name("rust").expect("rust is registered");
    Document::new(text, 1, Some(rust), limits)
}

fn assert_tree_matches_fresh_parse(document: &mut Document) {
    let language = document.language().expect("document has a language").clone();
    let fresh = parse(&language, &document.text()).expect("grammar loads");
    let len_bytes = document.len_bytes();
    let tree = document.parsed_tree().expect("document has a tree");
    assert_eq!(tree.root_node().to_sexp(), fresh.root_node().to_sexp());
    assert_eq!(tree.root_node().end_byte(), len_bytes);
    assert_eq!(tree.root_node().end_position(), fresh.root_node().end_position());
}

#[test]
fn document_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Document>();
}

#[test]
fn edits_update_text_and_tree() {
    let mut document = rust_document("fn main() {\n}\n", &DocumentLimits::default());
    assert!(document.tree().is_some());
    document.apply_change(
        &edit(at(0, 11), at(0, 11), "\n    let 日本 = \"😀\";"),
        PositionEncoding::Utf16,
    );
    assert_eq!(document.text(), "fn main() {\n    let 日本 = \"😀\";\n}\n");
    assert_tree_matches_fresh_parse(&mut document);
    let let_node = document
        .tree()
        .and_then(|tree| tree.root_node().named_descendant_for_byte_range(16, 19))
        .expect("a node at `let`");
    assert_eq!(let_node.kind(), "let_declaration");
    assert_eq!(let_node.start_position(), tree_sitter::Point { row: 1, column: 4 });

    // Delete the emoji using UTF-16 units: `    let 日本 = "` is 14 units, the emoji 2 more.
    document.apply_change(&edit(at(1, 14), at(1, 16), ""), PositionEncoding::Utf16);
    assert_eq!(document.text(), "fn main() {\n    let 日本 = \"\";\n}\n");
    assert_tree_matches_fresh_parse(&mut document);
}

#[test]
fn reversed_range_is_swapped_and_positions_clamp() {
    let mut document = rust_document("let a = 1;\nlet b = 2;\n", &DocumentLimits::default());
    document.apply_change(&edit(at(1, 0), at(0, 4), "X"), PositionEncoding::Utf8);
    assert_eq!(document.text(), "let Xlet b = 2;\n");
    document.apply_change(&edit(at(0, 99), at(7, 0), "!"), PositionEncoding::Utf32);
    assert_eq!(document.text(), "let Xlet b = 2;!");
    assert_tree_matches_fresh_parse(&mut document);
}

#[test]
fn crlf_edits_keep_tree_positions_right() {
    let mut document = rust_document("fn a() {}\r\nfn b() {}\r\n", &DocumentLimits::default());
    document.apply_change(&edit(at(1, 9), at(1, 9), "\r\nfn c() {}"), PositionEncoding::Utf16);
    assert_eq!(document.text(), "fn a() {}\r\nfn b() {}\r\nfn c() {}\r\n");
    assert_tree_matches_fresh_parse(&mut document);
    let root = document.tree().map(|tree| tree.root_node()).expect("tree");
    let last = root.named_child(2).expect("third function");
    assert_eq!(last.start_position(), tree_sitter::Point { row: 2, column: 0 });
    assert_eq!(document.position_of(last.start_byte(), PositionEncoding::Utf16), at(2, 0));
}

#[test]
fn full_replacement_reparses() {
    let mut document = rust_document("fn a() {}", &DocumentLimits::default());
    document.apply_change(
        &TextChange { range: None, text: "struct S;\n".to_owned() },
        PositionEncoding::Utf16,
    );
    assert_eq!(document.text(), "struct S;\n");
    assert_tree_matches_fresh_parse(&mut document);
}

#[test]
fn over_the_size_limit_keeps_text_but_no_tree() {
    let limits = DocumentLimits { max_tree_bytes: 32, ..Default::default() };
    let mut document = rust_document("fn a() {}\n", &limits);
    assert!(document.tree().is_some());

    // Growing past the limit drops the tree; edits keep applying to the text.
    document.apply_change(
        &edit(at(1, 0), at(1, 0), "fn bbbbbbbbbbbbbbbbbbbbbbbbb() {}\n"),
        PositionEncoding::Utf16,
    );
    assert!(document.len_bytes() > 32);
    assert!(document.tree().is_none());
    document.apply_change(&edit(at(0, 3), at(0, 4), "日"), PositionEncoding::Utf16);
    assert_eq!(document.text(), "fn 日() {}\nfn bbbbbbbbbbbbbbbbbbbbbbbbb() {}\n");
    assert!(document.tree().is_none());

    // Shrinking below the limit builds the tree again.
    document.apply_change(&edit(at(1, 0), at(2, 0), ""), PositionEncoding::Utf16);
    assert_eq!(document.text(), "fn 日() {}\n");
    assert_tree_matches_fresh_parse(&mut document);

    // A document opened over the limit starts without a tree.
    let big = "x".repeat(33);
    let mut document = rust_document(&big, &limits);
    assert!(document.tree().is_none());
    document.apply_change(&edit(at(0, 0), at(0, 2), "y"), PositionEncoding::Utf8);
    assert_eq!(document.text(), format!("y{}", "x".repeat(31)));
    assert!(document.tree().is_some(), "exactly at the limit still gets a tree");
}

#[test]
fn plain_text_documents_have_no_tree() {
    let mut document = Document::new("hello\nworld", 3, None, &DocumentLimits::default());
    assert!(document.tree().is_none());
    assert!(document.language().is_none());
    document.apply_change(&edit(at(1, 0), at(1, 5), "there"), PositionEncoding::Utf16);
    assert_eq!(document.text(), "hello\nthere");
    document.set_version(4);
    assert_eq!(document.version(), 4);
}

#[test]
fn slice_is_clamped_to_text_and_char_boundaries() {
    let document = Document::new("a日b", 1, None, &DocumentLimits::default());
    assert_eq!(document.slice(0..1), "a");
    assert_eq!(document.slice(1..4), "日");
    assert_eq!(document.slice(2..5), "日b", "a start inside a char rounds down");
    assert_eq!(document.slice(3..100), "日b");
    let (start, end) = (4, 2);
    assert_eq!(document.slice(start..end), "", "a reversed range is empty");
    assert_eq!(document.slice(100..200), "");
    assert_eq!(document.rope().len_chars(), 3);
}

#[test]
fn an_edit_over_its_reparse_budget_is_finished_on_demand() {
    let limits = DocumentLimits { reparse_budget: std::time::Duration::ZERO, ..Default::default() };
    let mut text = String::from("fn main() {\n");
    for i in 0..400 {
        text.push_str(&format!("    let value_{i} = {i} * 2;\n"));
    }
    text.push_str("}\n");
    let mut document = rust_document(&text, &limits);
    assert!(!document.is_tree_stale());
    // An unbalanced quote makes the rest of the file a string: an expensive reparse.
    document.apply_change(&edit(at(1, 4), at(1, 4), "\""), PositionEncoding::Utf16);
    assert!(document.is_tree_stale(), "a zero budget cannot reparse");
    document.apply_change(&edit(at(2, 4), at(2, 4), "x"), PositionEncoding::Utf16);
    assert!(document.is_tree_stale());
    // The stale tree's positions were still shifted by the edits.
    let end = document.tree().map(|tree| tree.root_node().end_byte());
    assert_eq!(end, Some(document.len_bytes()));
    assert_tree_matches_fresh_parse(&mut document);
    assert!(!document.is_tree_stale());
}

#[test]
fn replace_text_reparses_incrementally_and_reports_the_edit() {
    let limits = DocumentLimits::default();
    let mut document = rust_document("fn a() {}\nfn b() {}\n", &limits);
    let reparse = document.replace_text("fn a() {}\nfn bc() {}\n").expect("an old tree to reuse");
    let edit = reparse.edit;
    assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (14, 14, 15));
    assert_eq!((edit.start_position.row, edit.start_position.column), (1, 4));
    assert_eq!(document.text(), "fn a() {}\nfn bc() {}\n");
    let fresh = parse(document.language().unwrap(), &document.text()).unwrap();
    assert_eq!(document.tree().unwrap().root_node().to_sexp(), fresh.root_node().to_sexp());
    // A replacement that only changes part of a multi-byte character cuts on a boundary.
    let mut document = rust_document("let s = \"é\";\n", &limits);
    let edit = document.replace_text("let s = \"è\";\n").expect("reparsed").edit;
    assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (9, 11, 11));
    assert_eq!(document.text(), "let s = \"è\";\n");
    // Nothing to reuse without a grammar.
    let mut plain = Document::new("abc", 1, None, &limits);
    assert!(plain.replace_text("abd").is_none());
    assert_eq!(plain.text(), "abd");
}

/// A few hundred bytes that send tree-sitter's TypeScript error recovery into a blow-up (tens of
/// seconds and gigabytes unbounded; found by the `ide_completion` fuzz target).
const RUNAWAY_TYPESCRIPT: &str = "'\u{5d7}GGGG[[[[[[[[[[[\n#\u{c}\t\"\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[}}\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0[[[[[[[[[[[[[[[[[[[[[\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

#[test]
fn a_runaway_parse_leaves_the_document_text_only_until_its_text_is_replaced() {
    let registry = LanguageRegistry::builtin();
    for name in ["typescript", "tsx"] {
        let language = registry.by_name(name).expect("registered");
        let mut document = Document::new(
            RUNAWAY_TYPESCRIPT,
            1,
            Some(language.clone()),
            &DocumentLimits::default(),
        );
        assert!(document.is_unparseable(), "{name}: the parse gives up");
        assert!(document.tree().is_none());
        assert!(parse(&language, RUNAWAY_TYPESCRIPT).is_none(), "{name}: the one-shot parse too");
        // Edits keep the text right and do not start another runaway parse.
        document.apply_change(&edit(at(0, 0), at(0, 0), "x"), PositionEncoding::Utf16);
        assert!(document.parsed_tree().is_none());
        assert!(document.text().starts_with("x'"));
        // A whole new text is parsed again.
        document.apply_change(
            &TextChange { range: None, text: "const a = [1, 2];\n".into() },
            PositionEncoding::Utf16,
        );
        assert!(!document.is_unparseable());
        assert!(document.tree().is_some_and(|tree| !tree.root_node().has_error()));
        let reparse = document.replace_text("const a = [1, 2, 3];\n");
        assert!(reparse.is_some(), "an incremental reparse of an ordinary edit");
    }
}

#[test]
fn the_full_parse_budget_grows_with_the_text() {
    let limits = DocumentLimits::default();
    let second = std::time::Duration::from_secs(1);
    assert_eq!(limits.full_parse_budget(0), limits.parse_budget);
    assert_eq!(limits.full_parse_budget(500_000), limits.parse_budget + second);
    assert_eq!(limits.full_parse_budget(usize::MAX), limits.full_parse_budget(u32::MAX as usize));
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!("fn f{i}() -> u32 {{ {i} }}\n"));
    }
    let document = rust_document(&text, &limits);
    assert!(!document.is_unparseable(), "an ordinary file parses well within its budget");
    assert!(document.tree().is_some_and(|tree| !tree.root_node().has_error()));
}
