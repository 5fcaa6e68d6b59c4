//! Property test: random LSP-style edits applied through `Document::apply_change` give the same
//! text as a naive `String` model, and the incrementally parsed tree equals, node for node with
//! byte ranges and points, the tree that tree-sitter's own incremental parse gives from edits
//! computed by the naive model. Where the text parses without errors the tree also equals a
//! fresh parse; with errors, tree-sitter's recovery may legitimately differ between an
//! incremental and a fresh parse, so only the reference incremental parse is compared there.

use std::fmt::Write as _;

use infill_syntax::{
    Document, DocumentLimits, LanguageRegistry, Position, PositionEncoding, Range, TextChange,
    parse,
};
use proptest::prelude::*;

/// Where an edit's end point goes, resolved against the text at the time of the edit.
#[derive(Clone, Debug)]
enum PositionSeed {
    /// Raw numbers: often past the end of a line or of the text, or inside a surrogate pair.
    Raw { line: u32, character: u32 },
    /// The char boundary at `fraction / 1000` of the text, converted by the naive model.
    Fraction(u16),
    /// The end of a line (before its line break), counted from a huge character.
    LineEnd(u32),
}

#[derive(Clone, Debug)]
enum Edit {
    Range { start: PositionSeed, end: PositionSeed, text: String },
    Full(String),
}

const FRAGMENTS: &[&str] = &[
    "a",
    "é",
    "日本",
    "😀",
    "𐐀",
    "👨‍👩‍👧",
    "\n",
    "\r\n",
    "{",
    "}",
    "(",
    ")",
    ";",
    " ",
    "\"",
    "'",
    "//",
    "#",
    "\t",
    ":",
    "=>",
    "<T>",
    "\\",
    "/*",
    "*/",
    "return ",
    "fn f() {}",
    "let x = 1;",
    "def f():\n    pass\n",
    "class A {}",
    "x = [1, 2]",
    "if x:\n",
    "const s = `😀`;",
];

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..4).prop_map(|parts| parts.concat())
}

fn position_strategy() -> impl Strategy<Value = PositionSeed> {
    prop_oneof![
        (0u32..12, 0u32..24).prop_map(|(line, character)| PositionSeed::Raw { line, character }),
        (0u32..14, Just(u32::MAX))
            .prop_map(|(line, character)| PositionSeed::Raw { line, character }),
        (0u16..=1000).prop_map(PositionSeed::Fraction),
        (0u32..12).prop_map(PositionSeed::LineEnd),
    ]
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        12 => (position_strategy(), position_strategy(), text_strategy())
            .prop_map(|(start, end, text)| Edit::Range { start, end, text }),
        3 => (position_strategy(), text_strategy()).prop_map(|(start, text)| Edit::Range {
            end: start.clone(),
            start,
            text,
        }),
        1 => text_strategy().prop_map(Edit::Full),
    ]
}

fn width(c: char, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => c.len_utf8(),
        PositionEncoding::Utf16 => c.len_utf16(),
        PositionEncoding::Utf32 => 1,
    }
}

/// The naive model's byte offset of a position: walk the chars, lines end at `\n`, a `\r` before
/// `\n` is part of the break; clamp past line end / text end; round down inside a char.
fn naive_offset(text: &str, position: Position, encoding: PositionEncoding) -> usize {
    let mut line = 0;
    let mut line_start = 0;
    for (index, c) in text.char_indices() {
        if line == position.line {
            break;
        }
        if c == '\n' {
            line += 1;
            line_start = index + 1;
        }
    }
    if line < position.line {
        return text.len();
    }
    let rest = &text[line_start..];
    let mut units = 0;
    for (index, c) in rest.char_indices() {
        if c == '\n' || (c == '\r' && rest[index + 1..].starts_with('\n')) {
            return line_start + index;
        }
        units += width(c, encoding);
        if units > position.character as usize {
            return line_start + index;
        }
    }
    text.len()
}

/// The naive model's position of a char-boundary byte offset.
fn naive_position(text: &str, byte: usize, encoding: PositionEncoding) -> Position {
    let mut position = Position::default();
    for c in text[..byte].chars() {
        if c == '\n' {
            position = Position { line: position.line + 1, character: 0 };
        } else {
            position.character += width(c, encoding) as u32;
        }
    }
    position
}

/// Tree-sitter's point for `byte`: rows counted by `\n`, columns in bytes.
fn naive_point(text: &str, byte: usize) -> tree_sitter::Point {
    let before = &text[..byte];
    let row = before.matches('\n').count();
    let column = before.rfind('\n').map_or(byte, |newline| byte - newline - 1);
    tree_sitter::Point { row, column }
}

fn resolve(seed: &PositionSeed, text: &str, encoding: PositionEncoding) -> Position {
    match *seed {
        PositionSeed::Raw { line, character } => Position { line, character },
        PositionSeed::LineEnd(line) => Position { line, character: u32::MAX },
        PositionSeed::Fraction(fraction) => {
            let mut byte = text.len() * usize::from(fraction) / 1000;
            while !text.is_char_boundary(byte) {
                byte -= 1;
            }
            naive_position(text, byte, encoding)
        }
    }
}

/// Every node with its kind, byte range and points, so a wrong `InputEdit` shows up even where
/// the s-expression would not.
fn dump(tree: &tree_sitter::Tree) -> String {
    let mut out = String::new();
    let mut cursor = tree.walk();
    let mut depth = 0;
    loop {
        let node = cursor.node();
        let _ = writeln!(
            out,
            "{:depth$}{} {:?} {:?}-{:?}{}",
            "",
            node.kind(),
            node.byte_range(),
            node.start_position(),
            node.end_position(),
            if node.is_missing() { " MISSING" } else { "" },
            depth = depth * 2
        );
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return out;
            }
            depth -= 1;
        }
    }
}

const SEEDS: &[(&str, &str)] = &[
    ("rust", "/// Docs 日本.\nfn main() {\n    let s = \"😀 𐐀\";\r\n    println!(\"{s}\");\n}\n"),
    (
        "python",
        "class A:\n    def f(self, x):\n        return \"日本😀\"  # 𐐀\n\nprint(A().f(1))\n",
    ),
    (
        "typescript",
        "// 😀\nexport class A<T> {\n  f(x: T): string {\r\n    return `𐐀${x}`;\n  }\n}\n",
    ),
];

fn run_sequence(
    language_name: &str,
    seed_text: &str,
    edits: &[Edit],
    encoding: PositionEncoding,
    reparse_budget: std::time::Duration,
) -> Result<(), TestCaseError> {
    let language = LanguageRegistry::builtin().by_name(language_name).expect("language exists");
    // A full-parse budget far beyond any text here. With a zero reparse budget every edit leaves
    // the tree stale and `parsed_tree` finishes it; with a huge one every edit reparses at once.
    // Either way the tree is one edit plus one incremental parse, which the reference mirrors.
    let limits = DocumentLimits {
        reparse_budget,
        parse_budget: std::time::Duration::from_secs(3600),
        ..DocumentLimits::default()
    };
    let mut document = Document::new(seed_text, 0, Some(language.clone()), &limits);
    let mut model = seed_text.to_owned();
    let mut reference_parser = tree_sitter::Parser::new();
    reference_parser.set_language(&language.ts_language().expect("grammar")).expect("loads");
    let mut reference = reference_parser.parse(&model, None).expect("parses");
    for (index, edit) in edits.iter().enumerate() {
        let change = match edit {
            Edit::Full(text) => {
                model = text.clone();
                reference = reference_parser.parse(&model, None).expect("parses");
                TextChange { range: None, text: text.clone() }
            }
            Edit::Range { start, end, text } => {
                let start = resolve(start, &model, encoding);
                let end = resolve(end, &model, encoding);
                let mut start_byte = naive_offset(&model, start, encoding);
                let mut end_byte = naive_offset(&model, end, encoding);
                if start_byte > end_byte {
                    std::mem::swap(&mut start_byte, &mut end_byte);
                }
                if start_byte != end_byte || !text.is_empty() {
                    let edit = tree_sitter::InputEdit {
                        start_byte,
                        old_end_byte: end_byte,
                        new_end_byte: start_byte + text.len(),
                        start_position: naive_point(&model, start_byte),
                        old_end_position: naive_point(&model, end_byte),
                        new_end_position: {
                            let mut after = model[..start_byte].to_owned();
                            after.push_str(text);
                            naive_point(&after, after.len())
                        },
                    };
                    reference.edit(&edit);
                    let mut after = model.clone();
                    after.replace_range(start_byte..end_byte, text);
                    reference = reference_parser.parse(&after, Some(&reference)).expect("parses");
                }
                model.replace_range(start_byte..end_byte, text);
                TextChange { range: Some(Range { start, end }), text: text.clone() }
            }
        };
        document.apply_change(&change, encoding);
        document.set_version(index as i32 + 1);
        prop_assert_eq!(document.text(), model.as_str(), "text after edit {}: {:?}", index, change);
        prop_assert_eq!(document.len_bytes(), model.len());

        let tree = document.parsed_tree().expect("under the size limit, so a tree");
        prop_assert_eq!(
            dump(tree),
            dump(&reference),
            "tree after edit {} on {:?} against the reference incremental parse",
            index,
            model
        );
        let fresh = parse(&language, &model).expect("grammar loads");
        if !fresh.root_node().has_error() {
            prop_assert_eq!(
                tree.root_node().to_sexp(),
                fresh.root_node().to_sexp(),
                "sexp after edit {} on {:?}",
                index,
                model
            );
            prop_assert_eq!(dump(tree), dump(&fresh), "ranges after edit {}", index);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn incremental_edits_match_naive_model_and_fresh_parse(
        edits in prop::collection::vec(edit_strategy(), 1..30)
    ) {
        for &(language, seed_text) in SEEDS {
            for encoding in [PositionEncoding::Utf16, PositionEncoding::Utf8, PositionEncoding::Utf32] {
                for reparse_budget in [std::time::Duration::ZERO, std::time::Duration::from_secs(3600)] {
                    run_sequence(language, seed_text, &edits, encoding, reparse_budget)?;
                }
            }
        }
    }
}

#[test]
fn naive_model_agrees_with_hand_computed_offsets() {
    // Guards the model itself, so a bug shared by model and implementation cannot hide.
    let text = "a😀b\r\n日\n";
    assert_eq!(naive_offset(text, Position { line: 0, character: 3 }, PositionEncoding::Utf16), 5);
    assert_eq!(naive_offset(text, Position { line: 0, character: 2 }, PositionEncoding::Utf16), 1);
    assert_eq!(naive_offset(text, Position { line: 0, character: 9 }, PositionEncoding::Utf8), 6);
    assert_eq!(naive_offset(text, Position { line: 1, character: 1 }, PositionEncoding::Utf32), 11);
    assert_eq!(naive_offset(text, Position { line: 2, character: 0 }, PositionEncoding::Utf8), 12);
    assert_eq!(naive_offset(text, Position { line: 3, character: 0 }, PositionEncoding::Utf8), 12);
    assert_eq!(
        naive_position(text, 11, PositionEncoding::Utf16),
        Position { line: 1, character: 1 }
    );
}
