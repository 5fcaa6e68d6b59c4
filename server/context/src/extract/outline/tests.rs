//! Outlines of small texts, shown with each skipped run as `_`.

use super::function_bodies;

/// The text with the bodies blanked (line breaks kept), or `None` when there are none.
fn without_bodies(language: &str, text: &str) -> Option<String> {
    let bodies = function_bodies(language, text);
    if bodies.is_empty() {
        return None;
    }
    let mut out = text.as_bytes().to_vec();
    for body in bodies {
        for byte in &mut out[body] {
            if *byte != b'\n' && *byte != b'\r' {
                *byte = b' ';
            }
        }
    }
    Some(String::from_utf8(out).expect("bodies lie between ASCII braces"))
}

/// The outline with each blanked run shown as one `_` (from its first to its last blanked
/// byte; spaces that were spaces before stay).
fn shape(language: &str, text: &str) -> String {
    let outline = without_bodies(language, text).unwrap_or_else(|| text.to_owned());
    assert_eq!(outline.len(), text.len(), "byte offsets kept");
    assert_eq!(outline.matches('\n').count(), text.matches('\n').count(), "rows kept");
    let (o, t) = (outline.as_bytes(), text.as_bytes());
    let mut out = Vec::new();
    let mut i = 0;
    while i < o.len() {
        if o[i] != b' ' {
            out.push(o[i]);
            i += 1;
            continue;
        }
        let end = (i..o.len()).find(|&j| o[j] != b' ').unwrap_or(o.len());
        match (i..end).filter(|&j| t[j] != b' ').map(|j| (j, j)).reduce(|a, b| (a.0, b.1)) {
            Some((first, last)) => {
                out.extend_from_slice(&o[i..first]);
                out.push(b'_');
                out.extend_from_slice(&o[last + 1..end]);
            }
            None => out.extend_from_slice(&o[i..end]),
        }
        i = end;
    }
    String::from_utf8(out).expect("ASCII blanks")
}

#[test]
fn rust_bodies_blanked_declarations_kept() {
    let text = "/// Doc.\npub fn a(x: u8) -> u8 {\n    let s = \"}\";\n    x\n}\nstruct S { f: u8 }\nimpl S {\n    fn m(&self) -> &'static str { \"{\" }\n}\n";
    assert_eq!(
        shape("rust", text),
        "/// Doc.\npub fn a(x: u8) -> u8 {\n    _\n    _\n}\nstruct S { f: u8 }\nimpl S {\n    fn m(&self) -> &'static str { _ }\n}\n"
    );
}

#[test]
fn rust_literals_and_comments_do_not_count_braces() {
    for body in [
        "let c = '{';",
        "let c = b'}';",
        "let c = '\\u{7D}';",
        "let s = r#\"}\"#;",
        "let s = br\"}\";",
        "let s = \"\\\"}\";",
        "// }",
        "/* } /* } */ } */",
        "let x: &'a str = y; 'outer: loop { break 'outer; }",
        "let c = '日';",
    ] {
        let text = format!("fn f() {{ {body}\n}}\nfn g() {{}}\nstruct After;\n");
        let outline = without_bodies("rust", &text).unwrap_or_else(|| panic!("{body:?}: no body"));
        assert!(
            outline.starts_with("fn f() {") && outline.ends_with("}\nfn g() {}\nstruct After;\n"),
            "{body:?}: {outline:?}"
        );
        assert!(
            !outline[8..outline.len() - 26].contains(|c: char| c != ' ' && c != '\n'),
            "{outline:?}"
        );
    }
}

#[test]
fn rust_functions_without_bodies_types_and_templates_are_not_bodies() {
    let text = "trait T { fn f(&self); fn g() -> u8 { 1 } }\nextern \"C\" { fn c(x: i32); }\ntype F = fn(u8) -> u8;\nmacro_rules! m { ($n:ident) => { fn $n() {} } }\nfn w<T>() where T: Fn() -> u8 { body() }\n";
    assert_eq!(
        shape("rust", text),
        "trait T { fn f(&self); fn g() -> u8 { _ } }\nextern \"C\" { fn c(x: i32); }\ntype F = fn(u8) -> u8;\nmacro_rules! m { ($n:ident) => { fn $n() {} } }\nfn w<T>() where T: Fn() -> u8 { _ }\n"
    );
}

#[test]
fn go_functions_and_methods() {
    let text = "package p\n\nfunc (r *T) M(a int) (int, error) {\n\treturn 0, nil\n}\n\nfunc F() interface{} { return `}` }\n\nvar v = func() { x() }\n\ntype I interface { M() }\n\nfunc G[T any](x T) map[string]struct{ A int } { return '}' }\n";
    assert_eq!(
        shape("go", text),
        "package p\n\nfunc (r *T) M(a int) (int, error) {\n_\n}\n\nfunc F() interface{} { _ }\n\nvar v = func() { x() }\n\ntype I interface { M() }\n\nfunc G[T any](x T) map[string]struct{ A int } { _ }\n"
    );
}

#[test]
fn typescript_and_javascript_bodies() {
    let text = "export function f(a: number): Promise<{ x: number }> {\n  return g(a);\n}\nexport const h = (x) => { return `${x}}`; };\nclass C extends B {\n  m(): { a: 1 } { const r = /[}]/; return r; }\n  get v() { return 1 }\n  abstract n(): void\n  field = { a: () => 1 };\n}\ninterface I { m(): void; n(): { a: number } }\ntype F = (a: string) => { b: number };\nconst o = { k() { return '}' } };\n";
    assert_eq!(
        shape("typescript", text),
        "export function f(a: number): Promise<{ x: number }> {\n  _\n}\nexport const h = (x) => { _ };\nclass C extends B {\n  m(): { a: 1 } { _ }\n  get v() { _ }\n  abstract n(): void\n  field = { a: () => 1 };\n}\ninterface I { m(): void; n(): { a: number } }\ntype F = (a: string) => { b: number };\nconst o = { k() { _ } };\n"
    );
    // Division is not a regular expression; a template's `${…}` nests.
    let text = "function d(a, b) { return a / b / 2; }\nfunction t() { return `a${`b${'}'}`}`; }\nconst z = 1;\n";
    assert_eq!(
        shape("javascript", text),
        "function d(a, b) { _ }\nfunction t() { _ }\nconst z = 1;\n"
    );
}

#[test]
fn python_bodies_keep_their_first_simple_statement() {
    let text = "import os\n\n\n@dec\ndef f(a,\n      b):\n    \"\"\"Doc.\n\n    More.\"\"\"\n    x = '#:'  # c\n    return x\n\n\nclass C(B):\n    def m(self):\n        with open(p) as h:\n            for line in h:\n                y = 1\n                z = {\n  'a': 2}\n        return 3\n    async def n(self): return 4\n    def o(self):\n        pass\n\nZ = 1\n";
    assert_eq!(
        shape("python", text),
        "import os\n\n\n@dec\ndef f(a,\n      b):\n    \"\"\"Doc.\n\n    More.\"\"\"\n    _\n    _\n\n\nclass C(B):\n    def m(self):\n        with open(p) as h:\n            for line in h:\n                y = 1\n                _\n  _\n        _\n    async def n(self): return 4\n    def o(self):\n        pass\n\nZ = 1\n"
    );
}

#[test]
fn unbalanced_bodies_are_left_alone_and_other_languages_have_no_outline() {
    assert_eq!(
        without_bodies("rust", "fn a() { 1 }\nfn b() { \"unclosed }"),
        Some("fn a() {   }\nfn b() { \"unclosed }".to_owned())
    );
    assert_eq!(without_bodies("rust", "fn b() { {"), None);
    assert_eq!(without_bodies("rust", "struct S;"), None);
    assert_eq!(without_bodies("python", "def f():\n    pass\n"), None);
    assert_eq!(without_bodies("c", "int f() { return 1; }"), None);
    assert_eq!(without_bodies("javascript", "function f() { return <p>Don't {x}</p>; }"), None);
    assert_eq!(without_bodies("tsx", "function f() { return 1; }"), None);
    // Multi-byte characters in a body become as many spaces as they had bytes.
    let outline = without_bodies("rust", "fn f() { \"日本😀\" }").expect("a body");
    assert_eq!(outline, format!("fn f() {{{}}}", " ".repeat(14)));
}
