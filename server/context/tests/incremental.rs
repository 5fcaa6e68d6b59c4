//! Incremental extraction must agree with a full extraction after any single edit.

mod common;

use infill_context::extract::{self, FileSymbols};
use infill_syntax::LanguageRegistry;
use tree_sitter::{InputEdit, Parser, Point};

const SOURCES: &[(&str, &str)] = &[
    (
        "x.rs",
        "use crate::a::{B, C};\n\n/// Doc for S.\n#[derive(Debug)]\npub struct S {\n    x: u32,\n}\n\nimpl S {\n    /// New.\n    pub fn new() -> S {\n        S { x: 1 }\n    }\n\n    fn get(&self) -> u32 {\n        self.x\n    }\n}\n\nmod inner {\n    use super::S;\n    pub fn helper(s: &S) -> u32 { s.get() }\n}\n\nconst LIMIT: usize = 10;\n\nfn main() {\n    let s = S::new();\n    println!(\"{}\", inner::helper(&s));\n}\n",
    ),
    (
        "x.py",
        "import os\nfrom .util import helper, other as o\n\nLIMIT = 10\n\n\nclass Base:\n    \"\"\"Doc.\"\"\"\n\n    def run(self):\n        return helper(self)\n\n    @property\n    def name(self):\n        return 'x'\n\n\ndef main():\n    b = Base()\n    return b.run()\n",
    ),
    (
        "x.ts",
        "import { a, b } from \"./a\";\nimport * as path from \"path\";\n\n/** Doc. */\nexport class Shape implements Area {\n  constructor(private r: number) {}\n  area(): number { return this.r; }\n}\n\nexport interface Area { area(): number }\n\nexport const LIMIT = 10;\n\nexport function make(r: number): Shape {\n  return new Shape(r);\n}\n\nconst f = (x: number) => x + 1;\n",
    ),
    (
        "x.go",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/m/util\"\n)\n\n// T is a type.\ntype T struct {\n\tX int\n}\n\nfunc (t *T) Get() int {\n\treturn t.X\n}\n\nfunc main() {\n\tfmt.Println(util.F(1))\n}\n",
    ),
    (
        "X.java",
        "package com.acme;\n\nimport java.util.List;\nimport com.acme.model.Order;\n\n/** Doc. */\npublic class X extends Base implements Runnable {\n    private int n;\n\n    /** Runs. */\n    @Override\n    public void run() {\n        List<Order> orders = null;\n    }\n\n    static class Inner {\n        int size() { return 0; }\n    }\n}\n",
    ),
    (
        "x.c",
        "#include \"vec.h\"\n#include <stdio.h>\n\n#define LIMIT 10\n\n/* A point. */\nstruct point { int x; int y; };\n\ntypedef struct point point_t;\n\nstatic int dot(point_t a, point_t b) {\n    return a.x * b.x + a.y * b.y;\n}\n\nint main(void) {\n    point_t p = {1, 2};\n    printf(\"%d\\n\", dot(p, p));\n    return 0;\n}\n",
    ),
];

fn point_at(bytes: &[u8], offset: usize) -> Point {
    let before = &bytes[..offset];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let column = before.iter().rposition(|&b| b == b'\n').map_or(offset, |nl| offset - nl - 1);
    Point { row, column }
}

fn summary(symbols: &FileSymbols) -> String {
    let mut out = String::new();
    for def in &symbols.definitions {
        out.push_str(&common::describe_definition(def, def.parent));
        out.push('\n');
    }
    for import in &symbols.imports {
        out.push_str(&format!(
            "import {} {:?} {:?} l{}\n",
            import.path, import.names, import.kind, import.line
        ));
    }
    out.push_str(&format!("packages {:?}\n", symbols.packages));
    out
}

#[test]
fn incremental_matches_full_after_random_edits() {
    let registry = LanguageRegistry::builtin();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let inserts = [
        "x",
        "\n",
        " ",
        "(",
        "{",
        "}",
        "\"",
        "/*",
        "fn z() {}\n",
        "def z():\n    pass\n",
        "class Z:\n    def q(self): pass\n",
        "import q\n",
        "use a::b;\n",
        "// c\n",
        "'",
        "    void m() {}\n",
    ];
    let mut spliced = 0;
    for (name, source) in SOURCES {
        let language = registry.for_path(std::path::Path::new(name)).expect("language");
        let mut parser = Parser::new();
        parser.set_language(&language.ts_language().unwrap()).unwrap();
        for _ in 0..150 {
            let old_text = source.to_string();
            let old_tree = parser.parse(&old_text, None).unwrap();
            let old_symbols = extract::extract(&language, &old_tree, &old_text);
            let mut at = next(old_text.len());
            while !old_text.is_char_boundary(at) {
                at -= 1;
            }
            let mut new_text = old_text.clone();
            let (old_end, new_end) = if next(3) == 0 && at < old_text.len() {
                let len = old_text[at..].chars().next().unwrap().len_utf8();
                new_text.replace_range(at..at + len, "");
                (at + len, at)
            } else {
                let insert = inserts[next(inserts.len())];
                new_text.insert_str(at, insert);
                (at, at + insert.len())
            };
            let edit = InputEdit {
                start_byte: at,
                old_end_byte: old_end,
                new_end_byte: new_end,
                start_position: point_at(old_text.as_bytes(), at),
                old_end_position: point_at(old_text.as_bytes(), old_end),
                new_end_position: point_at(new_text.as_bytes(), new_end),
            };
            let mut edited = old_tree.clone();
            edited.edit(&edit);
            let new_tree = parser.parse(&new_text, Some(&edited)).unwrap();
            let full = extract::extract(&language, &new_tree, &new_text);
            let changed: Vec<_> = edited.changed_ranges(&new_tree).collect();
            if let Some(incremental) = extract::extract_incremental(
                &language,
                &new_tree,
                &new_text,
                &old_symbols,
                &old_text,
                &edit,
                &changed,
            ) {
                spliced += 1;
                assert_eq!(
                    summary(&incremental),
                    summary(&full),
                    "{name}: edit at {at} ({old_end}->{new_end}) gave a different result:\n{new_text}"
                );
                assert_eq!(incremental.tokens, full.tokens);
            }
        }
    }
    assert!(spliced > 400, "incremental path taken only {spliced} times");
}

/// Rust shaped like the files whose updates were slowest: a macro whose token tree holds many
/// items, hundreds of flat constants, a trait whose methods carry long doc comments separated by
/// blank lines, and a macro call with one huge token tree of signatures.
fn large_rust_source() -> String {
    let mut out = String::from("use crate::prelude::*;\nuse crate::{\n    a::b,\n    c,\n};\n\n");
    out.push_str("pub type wchar_t = i32;\n\ns! {\n");
    for i in 0..12 {
        out.push_str(&format!(
            "    pub struct stat{i} {{\n        pub st_dev: dev_t,\n        __pad{i}: [c_int; 2],\n    }}\n\n"
        ));
    }
    out.push_str("}\n\n");
    for i in 0..60 {
        out.push_str(&format!("pub const SYS_call_{i}: c_long = {i};\n"));
        if i % 17 == 16 {
            out.push_str("\n// Group.\n");
        }
    }
    // Tables: a long array in a static's or constant's value.
    out.push_str("\n/// Table.\nstatic TBL: [u64; 96] = [\n");
    for i in 0..48 {
        out.push_str(&format!("    0x3fe6a09e667f{i:04x}, 0x3c8bcb6a5{i:02x},\n"));
    }
    out.push_str("];\n\npub const TYPES: &[(&[&str], &[&str])] = &[\n");
    for i in 0..24 {
        out.push_str(&format!("    (&[\"t{i}\"], &[\"*.t{i}\", \"*.u{i}\"]),\n"));
    }
    out.push_str("];\n");
    // Blank lines holding spaces: a line break typed into one detaches the comment above.
    for i in 0..8 {
        out.push_str(&format!(
            "\n// About f{i}.\n    \nfn f{i}() {{}}\n/// Doc {i}.\n  \n  \nfn g{i}() {{}}\n"
        ));
    }
    out.push_str("\n/// A real number.\n#[allow(dead_code)]\npub trait Real: Copy {\n");
    for i in 0..15 {
        out.push_str(&format!(
            "    /// Returns value {i}.\n    ///\n    /// ```\n    /// let x = {i};\n    /// ```\n    fn value_{i}(self) -> Self;\n\n"
        ));
    }
    out.push_str("}\n\nimpl<T: Float> Real for T {\n    forward! {\n");
    for i in 0..15 {
        out.push_str(&format!("        Float::value_{i}(self) -> Self;\n"));
    }
    out.push_str("    }\n}\n\nimpl Simd128 {\n    delegate!({\n");
    for i in 0..40 {
        out.push_str(&format!("        unsafe fn v128_load{i}(m: *const u8) -> v128;\n"));
    }
    out.push_str("    });\n\n    /// Docs.\n    #[inline(always)]\n    pub fn is_available() -> bool {\n        true\n    }\n}\n");
    out
}

/// Python with decorators, docstrings and blank lines that attach or detach comments.
const LARGE_PYTHON: &str = "import os\nfrom .util import helper\n\n# Leading comment.\n    \n\nclass Base:\n    \"\"\"Doc.\"\"\"\n\n    # About run.\n    def run(self):\n        return helper(self)\n\n    @property\n    # Between.\n    def name(self):\n        return 'x'\n\n\n# Detached?\n  \ndef main():\n    b = Base()\n    return b.run()\n\n\n@decorator\ndef other():\n    pass\n";

/// A chain of small edits (each applied to the previous result, as keystrokes are): after each,
/// the spliced symbols equal a full extraction of the new text, and splicing is the usual path.
#[test]
fn incremental_matches_full_over_chains_of_edits_in_large_files() {
    let registry = LanguageRegistry::builtin();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let inserts = ["x", "\n", " ", "/", "#", "!", "_", "\n\n", "//", "(", "{", "}", "\"", "'"];
    let rust = large_rust_source();
    for (name, source) in [("big.rs", rust.as_str()), ("big.py", LARGE_PYTHON)] {
        let language = registry.for_path(std::path::Path::new(name)).expect("language");
        let mut parser = Parser::new();
        parser.set_language(&language.ts_language().unwrap()).unwrap();
        let (mut spliced, mut edits) = (0, 0);
        for _chain in 0..6 {
            let mut old_text = source.to_string();
            let mut old_tree = parser.parse(&old_text, None).unwrap();
            let mut old_symbols = extract::extract(&language, &old_tree, &old_text);
            for _ in 0..60 {
                let mut at = next(old_text.len());
                while !old_text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut new_text = old_text.clone();
                let (old_end, new_end) = if next(3) == 0 && at < old_text.len() {
                    let len = old_text[at..].chars().next().unwrap().len_utf8();
                    new_text.replace_range(at..at + len, "");
                    (at + len, at)
                } else {
                    let insert = inserts[next(inserts.len())];
                    new_text.insert_str(at, insert);
                    (at, at + insert.len())
                };
                let edit = InputEdit {
                    start_byte: at,
                    old_end_byte: old_end,
                    new_end_byte: new_end,
                    start_position: point_at(old_text.as_bytes(), at),
                    old_end_position: point_at(old_text.as_bytes(), old_end),
                    new_end_position: point_at(new_text.as_bytes(), new_end),
                };
                let mut edited = old_tree.clone();
                edited.edit(&edit);
                let new_tree = parser.parse(&new_text, Some(&edited)).unwrap();
                let full = extract::extract(&language, &new_tree, &new_text);
                let changed: Vec<_> = edited.changed_ranges(&new_tree).collect();
                edits += 1;
                let symbols = match extract::extract_incremental(
                    &language,
                    &new_tree,
                    &new_text,
                    &old_symbols,
                    &old_text,
                    &edit,
                    &changed,
                ) {
                    Some(incremental) => {
                        spliced += 1;
                        assert_eq!(
                            summary(&incremental),
                            summary(&full),
                            "{name}: edit at {at} ({old_end}->{new_end}) gave a different result:\n{new_text}"
                        );
                        assert_eq!(incremental.tokens, full.tokens);
                        assert_eq!(incremental.def_index, full.def_index);
                        incremental
                    }
                    None => full,
                };
                old_text = new_text;
                old_tree = new_tree;
                old_symbols = symbols;
            }
        }
        assert!(spliced * 10 >= edits * 8, "{name}: spliced only {spliced} of {edits} edits");
    }
}

/// The index after a series of one-character edits through `update_file` (incremental reparse
/// and splice) reports the same file as a fresh index of the final text.
#[test]
fn index_updates_match_a_fresh_index() {
    use infill_context::WorkspaceIndex;
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("src/big.rs");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let source = large_rust_source();
    std::fs::write(&path, &source).unwrap();
    std::fs::write(root.join("src/prelude.rs"), "pub fn helper() {}\n").unwrap();
    let index = WorkspaceIndex::default();
    index.index_root(&root, &Default::default(), &|_, _| {});
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut text = source.clone();
    index.update_file(&path, &text);
    for step in 0..120 {
        let mut at = next(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if next(4) == 0 && at < text.len() {
            text.remove(at);
        } else {
            text.insert(at, ['x', '\n', ' ', '/', '_'][next(5)]);
        }
        assert!(index.update_file(&path, &text));
        if step % 10 != 9 {
            continue;
        }
        let fresh = WorkspaceIndex::default();
        fresh.index_root(&root, &Default::default(), &|_, _| {});
        fresh.update_file(&path, &text);
        let updated = serde_json::to_value(index.file_info(&path).unwrap()).unwrap();
        let expected = serde_json::to_value(fresh.file_info(&path).unwrap()).unwrap();
        assert_eq!(updated, expected, "after edit {step} at {at}:\n{text}");
        for name in ["value_3", "stat4", "SYS_call_20", "v128_load7", "is_available", "helper"] {
            let found = |index: &WorkspaceIndex| {
                let mut found: Vec<_> = index
                    .definitions_named(name)
                    .into_iter()
                    .map(|def| (def.path, def.start_line, def.byte_range))
                    .collect();
                found.sort();
                (found, index.files_mentioning(name))
            };
            assert_eq!(found(&index), found(&fresh), "{name} after edit {step}");
        }
    }
}
