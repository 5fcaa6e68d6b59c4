//! The index parses files that are not open with their function bodies skipped
//! (`extract::function_bodies` + `infill_syntax::parse_skipping`). On real Rust, Go, TypeScript,
//! JavaScript and Python sources (this repository's own, the vendored engine's and the editor clients';
//! `INFILL_OUTLINE_CORPUS=<dir>` adds more), that must give exactly the definitions and
//! imports of a full parse that lie outside function bodies, with the same ranges, lines, doc
//! comment starts, bases and parents; and the tree must equal a full parse of the text with the
//! bodies blanked.

mod common;

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use infill_context::extract::{
    Definition, FileSymbols, extract, extract_skipping, function_bodies,
};
use infill_syntax::{LanguageRegistry, parse, parse_skipping};

fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    let mut stack =
        vec![root.join("server"), root.join("vendor"), root.join("tests"), root.join("editors")];
    // More code to check against (`:`-separated directories), e.g. Python's standard library,
    // which `scripts/test` passes.
    if let Ok(extra) = std::env::var("INFILL_OUTLINE_CORPUS") {
        stack.extend(extra.split(':').filter(|dir| !dir.is_empty()).map(PathBuf::from));
    }
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !matches!(name.to_str(), Some("node_modules" | "target" | "out" | "dist")) {
                    stack.push(path);
                }
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("rs" | "go" | "ts" | "js" | "mjs" | "cjs" | "py")
            ) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A definition as the index would use it, its parent given by range rather than index
/// (dropping nested definitions renumbers the rest; several definitions of one statement, as in
/// `var a = function () {}, b = …`, share a range, and which of them is the parent is arbitrary).
fn definition_key(defs: &[Definition], def: &Definition) -> String {
    let parent = def.parent.map(|p| defs[p as usize].range.clone()).filter(|p| *p != def.range);
    common::describe_definition(def, parent)
}

fn inside(bodies: &[Range<usize>], range: &Range<usize>) -> bool {
    bodies.iter().any(|body| body.start <= range.start && range.end <= body.end)
}

fn keys(
    symbols: &FileSymbols,
    bodies: Option<&[Range<usize>]>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let defs = symbols
        .definitions
        .iter()
        .filter(|def| bodies.is_none_or(|bodies| !inside(bodies, &def.range)))
        .map(|def| definition_key(&symbols.definitions, def))
        .collect();
    let imports = symbols
        .imports
        .iter()
        .filter(|import| {
            bodies.is_none_or(|bodies| !inside(bodies, &(import.byte..import.end_byte)))
        })
        .map(|import| {
            format!(
                "{} {:?} {:?} {} {}",
                import.path, import.names, import.kind, import.line, import.byte
            )
        })
        .collect();
    (defs, imports)
}

/// Node kinds and ranges, depth first; the root's kind only (a Python file that ends inside a
/// skipped body ends its module there, where the blanked text's module runs to the end).
fn dump(tree: &tree_sitter::Tree) -> Vec<(String, Range<usize>, tree_sitter::Point)> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let range = if node.parent().is_none() { 0..0 } else { node.byte_range() };
        out.push((node.kind().to_owned(), range, node.start_position()));
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

#[test]
fn skipping_bodies_keeps_every_definition_and_import_outside_them() {
    let registry = LanguageRegistry::builtin();
    let (mut files, mut with_bodies, mut skipped_bytes, mut total_bytes) = (0, 0, 0, 0);
    let mut nested_dropped = 0;
    for path in sources() {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Some(language) = registry.for_path(&path) else { continue };
        files += 1;
        total_bytes += text.len();
        let bodies = function_bodies(&language.name, &text);
        if bodies.is_empty() {
            continue;
        }
        with_bodies += 1;
        skipped_bytes += bodies.iter().map(|b| b.len()).sum::<usize>();
        let full = extract(&language, &parse(&language, &text).expect("parses"), &text);
        let skipping = parse_skipping(&language, &text, &bodies).expect("parses");
        let outline = extract_skipping(&language, &skipping, &text, &bodies);
        let (full_defs, full_imports) = keys(&full, Some(&bodies));
        let (outline_defs, outline_imports) = keys(&outline, None);
        for (what, outline, full) in [
            ("definitions", &outline_defs, &full_defs),
            ("imports", &outline_imports, &full_imports),
        ] {
            let missing: Vec<_> = full.difference(outline).collect();
            let extra: Vec<_> = outline.difference(full).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{what} of {}: missing {missing:?}, extra {extra:?}",
                path.display()
            );
        }
        nested_dropped += full.definitions.len() - outline.definitions.len();

        // The same tree as a full parse of the text with the bodies blanked.
        let mut blanked = text.clone().into_bytes();
        for body in &bodies {
            for byte in &mut blanked[body.clone()] {
                if *byte != b'\n' && *byte != b'\r' {
                    *byte = b' ';
                }
            }
        }
        let blanked = String::from_utf8(blanked).expect("UTF-8");
        let blank_tree = parse(&language, &blanked).expect("parses");
        assert_eq!(dump(&skipping), dump(&blank_tree), "tree of {}", path.display());
    }
    // The corpus must be real: hundreds of files, a third of their bytes in bodies.
    assert!(files > 300 && with_bodies > 200, "{files} files, {with_bodies} with bodies");
    assert!(skipped_bytes * 3 > total_bytes, "{skipped_bytes} of {total_bytes} bytes skipped");
    assert!(nested_dropped > 0, "some definitions live inside bodies");
}

/// Random text built from the fragments that steer the scanners (quotes, brackets, keywords,
/// comments, line breaks, multi-byte characters): the bodies found are sorted, disjoint, inside
/// the text and on character boundaries, and parsing and extracting with them never panics.
#[test]
fn odd_text_gives_well_formed_bodies() {
    const FRAGMENTS: &[&str] = &[
        "fn f() ",
        "func (r T) M() ",
        "function g(a) ",
        "def h(x):\n",
        "async def i():\n",
        "class C:\n",
        "=> ",
        "): T ",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "\"",
        "'",
        "`",
        "${",
        "/",
        "//",
        "/*",
        "*/",
        "#",
        "\\",
        "r#\"",
        "\"#",
        "'a",
        "'\\''",
        "\n",
        "\n    ",
        "\n        ",
        ":",
        ";",
        "x",
        "return 1",
        "日本",
        "😀",
        "type T = ",
        "interface I ",
        "@dec\n",
        "\"\"\"",
        "<p>",
    ];
    let registry = LanguageRegistry::builtin();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in 0..4_000 {
        let len = (next() % 40) as usize;
        let text: String =
            (0..len).map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize]).collect();
        let name = ["rust", "go", "javascript", "typescript", "python"][case % 5];
        let language = registry.by_name(name).expect("language");
        let bodies = function_bodies(name, &text);
        let mut previous_end = 0;
        for body in &bodies {
            assert!(
                previous_end <= body.start && body.start <= body.end && body.end <= text.len(),
                "{name} {text:?}: {bodies:?}"
            );
            assert!(text.is_char_boundary(body.start) && text.is_char_boundary(body.end));
            previous_end = body.end;
        }
        if let Some(tree) = parse_skipping(&language, &text, &bodies) {
            std::hint::black_box(extract_skipping(&language, &tree, &text, &bodies));
        }
    }
}
