//! Incremental extraction must agree with a full extraction after any single edit.

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
        out.push_str(&format!(
            "{} {:?} {:?} h{} {:?} l{}-{} p{:?} e{:?}\n",
            def.name,
            def.kind,
            def.range,
            def.header_start,
            def.body,
            def.start_line,
            def.end_line,
            def.parent,
            def.extends
        ));
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
