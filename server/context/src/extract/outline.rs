//! The outline of a file for indexing: the byte ranges of its function bodies, which the index
//! has tree-sitter skip (`infill_syntax::parse_skipping`), so the parse and the query walk cover
//! declarations only while every range the index records is that of the real text. What is lost
//! are definitions and imports inside function bodies, which no other file can name; a file that
//! is opened or edited is parsed in full.
//!
//! Brace languages whose functions start with a keyword: Rust (`fn`) and Go (`func`). Other
//! languages have no outline and are parsed whole. The scanner knows each language's comments,
//! strings and character literals; a body whose closing brace it cannot find ends the outline
//! there, so an odd file costs a fuller parse, never a wrong outline of what precedes its bodies.

/// Bumped when the rules of what is skipped change: part of the on-disk index's fingerprint, so
/// symbols extracted under other rules are not reused.
pub const OUTLINE_VERSION: u32 = 1;

/// The byte ranges strictly inside the outermost function bodies (between the braces), sorted;
/// empty when the language has no outline.
pub fn function_bodies(language: &str, text: &str) -> Vec<std::ops::Range<usize>> {
    let keyword: &[u8] = match language {
        "rust" => b"fn",
        "go" => b"func",
        _ => return Vec::new(),
    };
    bodies(text.as_bytes(), keyword, language == "rust")
}

fn bodies(text: &[u8], keyword: &[u8], rust: bool) -> Vec<std::ops::Range<usize>> {
    let mut bodies = Vec::new();
    let mut scanner = Scanner { text, at: 0, rust, word: 0..0 };
    while let Some(token) = scanner.next_token() {
        if token != Token::Word || &text[scanner.word.clone()] != keyword {
            continue;
        }
        // `fn name` / `func name` / `func (recv) name`: a declaration. `fn(` in Rust is a
        // function pointer type; `fn $name` in a macro is a template.
        let Some(open) = scanner.declaration_body(rust) else { continue };
        let Some(close) = scanner.matching_brace() else { break };
        if close > open + 1 {
            bodies.push(open + 1..close);
        }
    }
    bodies
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token {
    /// An identifier or keyword, at `Scanner::word`.
    Word,
    /// One byte of punctuation.
    Punct(u8),
}

struct Scanner<'t> {
    text: &'t [u8],
    at: usize,
    rust: bool,
    /// The last [`Token::Word`]'s bytes.
    word: std::ops::Range<usize>,
}

impl Scanner<'_> {
    /// The next token after whitespace, comments and literals; `None` at the end.
    fn next_token(&mut self) -> Option<Token> {
        self.word = 0..0;
        loop {
            let &byte = self.text.get(self.at)?;
            match byte {
                b'/' if self.peek(1) == Some(b'/') => self.skip_line(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment(),
                b'"' => {
                    self.at += 1;
                    self.skip_quoted(b'"');
                }
                b'`' if !self.rust => {
                    // Go raw string: no escapes.
                    self.at += 1;
                    while let Some(&c) = self.text.get(self.at) {
                        self.at += 1;
                        if c == b'`' {
                            break;
                        }
                    }
                }
                b'\'' => {
                    if self.rust {
                        self.skip_rust_quote();
                    } else {
                        self.at += 1;
                        self.skip_quoted(b'\'');
                    }
                }
                c if c.is_ascii_whitespace() => self.at += 1,
                c if c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80 => {
                    let start = self.at;
                    while let Some(&c) = self.text.get(self.at) {
                        if c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80 {
                            self.at += 1;
                        } else {
                            break;
                        }
                    }
                    if self.rust && self.skip_rust_prefixed_string(start) {
                        continue;
                    }
                    self.word = start..self.at;
                    return Some(Token::Word);
                }
                c => {
                    self.at += 1;
                    return Some(Token::Punct(c));
                }
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.text.get(self.at + ahead).copied()
    }

    fn skip_line(&mut self) {
        while let Some(&c) = self.text.get(self.at) {
            if c == b'\n' {
                return;
            }
            self.at += 1;
        }
    }

    /// `/* … */`, nested in Rust.
    fn skip_block_comment(&mut self) {
        self.at += 2;
        let mut depth = 1;
        while self.at < self.text.len() {
            if self.text[self.at] == b'*' && self.peek(1) == Some(b'/') {
                self.at += 2;
                depth -= 1;
                if depth == 0 {
                    return;
                }
            } else if self.rust && self.text[self.at] == b'/' && self.peek(1) == Some(b'*') {
                self.at += 2;
                depth += 1;
            } else {
                self.at += 1;
            }
        }
    }

    /// Past the closing `quote` of a literal whose opening quote is behind; backslash escapes.
    fn skip_quoted(&mut self, quote: u8) {
        while let Some(&c) = self.text.get(self.at) {
            self.at += 1;
            if c == b'\\' {
                self.at += 1;
            } else if c == quote {
                return;
            } else if c == b'\n' && quote == b'\'' {
                // A Go rune literal never spans lines: stop rather than eat the file.
                return;
            }
        }
    }

    /// At a Rust `'`: a character literal (`'a'`, `'\n'`, `'\u{1F600}'`, `'日'`) or a lifetime
    /// or label (`'a`, `'static`), which has no closing quote.
    fn skip_rust_quote(&mut self) {
        self.at += 1;
        match self.text.get(self.at) {
            Some(b'\\') => self.skip_quoted(b'\''),
            Some(&c) => {
                let width = match c {
                    0x00..=0x7f => 1,
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    _ => 4,
                };
                if self.peek(width) == Some(b'\'') {
                    self.at += width + 1;
                }
            }
            None => {}
        }
    }

    /// After a word: when it is a Rust string prefix (`b"`, `c"`, `r"`, `r#"`, `br#"`, `cr"`),
    /// skips the string and returns true.
    fn skip_rust_prefixed_string(&mut self, start: usize) -> bool {
        let word = &self.text[start..self.at];
        let raw = matches!(word, b"r" | b"br" | b"cr");
        if matches!(word, b"b" | b"c") && self.peek(0) == Some(b'"') {
            self.at += 1;
            self.skip_quoted(b'"');
            return true;
        }
        if !raw {
            return false;
        }
        let mut hashes = 0;
        while self.peek(hashes) == Some(b'#') {
            hashes += 1;
        }
        if self.peek(hashes) != Some(b'"') {
            return false;
        }
        self.at += hashes + 1;
        while self.at < self.text.len() {
            if self.text[self.at] == b'"'
                && (1..=hashes).all(|i| self.text.get(self.at + i) == Some(&b'#'))
            {
                self.at += 1 + hashes;
                return true;
            }
            self.at += 1;
        }
        true
    }

    /// Just after the keyword of a possible declaration: the offset of its body's `{`, or `None`
    /// when it is not a declaration with a body (a type, a template, a declaration ending in `;`).
    fn declaration_body(&mut self, rust: bool) -> Option<usize> {
        let after_keyword = self.at;
        match self.next_token()? {
            Token::Word => {}
            // Go: `func (r *T) Name(...)`, a method; `func(` with no receiver is a literal or a
            // type, whose body (if any) lies inside another body or a value.
            Token::Punct(b'(') if !rust => {
                if !self.skip_group(b'(', b')') || self.next_token()? != Token::Word {
                    self.at = after_keyword;
                    return None;
                }
            }
            _ => {
                self.at = after_keyword;
                return None;
            }
        }
        // To the body's `{` at bracket depth 0; `;` first means no body. In Go, `struct {` and
        // `interface {` in a signature are types, skipped whole.
        let mut previous_word_is_type = false;
        loop {
            let token = self.next_token()?;
            match token {
                Token::Punct(open @ (b'(' | b'[')) => {
                    let close = if open == b'(' { b')' } else { b']' };
                    let closed = self.skip_group(open, close);
                    if !closed {
                        return None;
                    }
                }
                Token::Punct(b'{') if previous_word_is_type => {
                    self.matching_brace_from(self.at - 1)?;
                }
                Token::Punct(b'{') => return Some(self.at - 1),
                Token::Punct(b';' | b'}') => return None,
                _ => {}
            }
            previous_word_is_type = !rust
                && token == Token::Word
                && matches!(&self.text[self.word.clone()], b"struct" | b"interface");
        }
    }

    /// Just after `open`: past its matching `close`, across nesting; false at the end of text.
    fn skip_group(&mut self, open: u8, close: u8) -> bool {
        let mut depth = 1;
        while let Some(token) = self.next_token() {
            match token {
                Token::Punct(c) if c == open => depth += 1,
                Token::Punct(c) if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Just after a `{`: the offset of its matching `}`, the scanner past it.
    fn matching_brace(&mut self) -> Option<usize> {
        self.matching_brace_from(self.at - 1)
    }

    fn matching_brace_from(&mut self, open: usize) -> Option<usize> {
        self.at = open + 1;
        if self.skip_group(b'{', b'}') { Some(self.at - 1) } else { None }
    }
}

#[cfg(test)]
mod tests {
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
            let outline =
                without_bodies("rust", &text).unwrap_or_else(|| panic!("{body:?}: no body"));
            assert!(
                outline.starts_with("fn f() {")
                    && outline.ends_with("}\nfn g() {}\nstruct After;\n"),
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
    fn unbalanced_bodies_are_left_alone_and_other_languages_have_no_outline() {
        assert_eq!(
            without_bodies("rust", "fn a() { 1 }\nfn b() { \"unclosed }"),
            Some("fn a() {   }\nfn b() { \"unclosed }".to_owned())
        );
        assert_eq!(without_bodies("rust", "fn b() { {"), None);
        assert_eq!(without_bodies("rust", "struct S;"), None);
        assert_eq!(without_bodies("python", "def f():\n    pass\n"), None);
        // Multi-byte characters in a body become as many spaces as they had bytes.
        let outline = without_bodies("rust", "fn f() { \"日本😀\" }").expect("a body");
        assert_eq!(outline, format!("fn f() {{{}}}", " ".repeat(14)));
    }
}
