//! The outline of a file for indexing: the byte ranges of its function bodies, which the index
//! has tree-sitter skip (`infill_syntax::parse_skipping`), so the parse and the query walk cover
//! declarations only while every range the index records is that of the real text. What is lost
//! are definitions and imports inside function bodies, which no other file can name; a file that
//! is opened or edited is parsed in full.
//!
//! Rust (`fn`) and Go (`func`) bodies follow their keyword's signature. In JavaScript and
//! TypeScript a body is the block after `=>`, or after a parenthesised parameter list that
//! follows a name (functions, methods, constructors, accessors; a top-level `if (…) {` block too,
//! whose declarations are block-scoped), with a TypeScript return type in between read as a type
//! (`{` where a type is expected is a type literal, not the body). Python bodies keep their first
//! simple statement (`outline_python`). A JavaScript file that may hold JSX (`</` or `/>`
//! anywhere), TSX and other languages have no outline and are parsed whole. The scanner knows each language's comments, strings, character
//! and rune literals, lifetimes, template literals and regular expressions; a body whose closing
//! brace it cannot find ends the outline there, so an odd file costs a fuller parse, never a wrong
//! outline of what precedes its bodies.

use std::ops::Range;

/// Bumped when the rules of what is skipped change: part of the on-disk index's fingerprint, so
/// symbols extracted under other rules are not reused.
pub const OUTLINE_VERSION: u32 = 3;

/// The byte ranges of the outermost function bodies to skip, sorted: between the braces, or in
/// Python from the end of a body's first simple statement to the end of the body; empty when the
/// language has no outline.
pub fn function_bodies(language: &str, text: &str) -> Vec<Range<usize>> {
    let lang = match language {
        "rust" => Lang::Rust,
        "go" => Lang::Go,
        // JSX text is not JavaScript (`<p>Don't {`): a file that may hold JSX is parsed whole.
        "javascript" if text.contains("</") || text.contains("/>") => return Vec::new(),
        "javascript" | "typescript" => Lang::Es,
        "python" => return super::outline_python::function_bodies(text),
        _ => return Vec::new(),
    };
    let mut scanner = Scanner { text: text.as_bytes(), at: 0, lang, word: 0..0, current: None };
    let mut bodies = Vec::new();
    while let Some(open) = scanner.next_body() {
        let Some(close) = scanner.matching_brace_from(open) else { break };
        if close > open + 1 {
            bodies.push(open + 1..close);
        }
    }
    bodies
}

/// After extraction from a tree parsed with `skipped` left out: a definition (or its body) whose
/// node ends where skipped text starts, with only whitespace between, really ends where that text
/// ends (Python, whose block's last statement is skipped; a brace language's `}` is never
/// skipped, so nothing ends there).
pub(super) fn restore_ends(defs: &mut [super::Definition], skipped: &[Range<usize>], text: &str) {
    if skipped.is_empty() {
        return;
    }
    let bytes = text.as_bytes();
    let real_end = |end: usize| {
        let next = skipped.partition_point(|range| range.start < end);
        let range = skipped.get(next)?;
        bytes[end..range.start].iter().all(u8::is_ascii_whitespace).then_some(range.end)
    };
    let mut newlines: Option<Vec<usize>> = None;
    for def in defs {
        if let Some(body) = &mut def.body
            && let Some(end) = real_end(body.end)
        {
            body.end = end;
        }
        if let Some(end) = real_end(def.range.end) {
            def.range.end = end;
            let newlines = newlines.get_or_insert_with(|| {
                bytes.iter().enumerate().filter(|(_, c)| **c == b'\n').map(|(i, _)| i).collect()
            });
            def.end_line = newlines.partition_point(|&i| i < end) as u32;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    Rust,
    Go,
    /// JavaScript and TypeScript.
    Es,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token {
    /// An identifier or keyword, at `Scanner::word`.
    Word,
    /// One byte of punctuation.
    Punct(u8),
}

/// Where the scanner is, to go back to after a look ahead.
#[derive(Clone)]
struct Mark {
    at: usize,
    word: Range<usize>,
    current: Option<Token>,
}

struct Scanner<'t> {
    text: &'t [u8],
    at: usize,
    lang: Lang,
    /// The last [`Token::Word`]'s bytes.
    word: Range<usize>,
    /// The last token returned.
    current: Option<Token>,
}

impl Scanner<'_> {
    /// The offset of the next function body's `{`, the scanner just past it.
    fn next_body(&mut self) -> Option<usize> {
        loop {
            let token = self.next_token()?;
            match self.lang {
                Lang::Rust | Lang::Go => {
                    let keyword: &[u8] = if self.lang == Lang::Rust { b"fn" } else { b"func" };
                    if token != Token::Word || &self.text[self.word.clone()] != keyword {
                        continue;
                    }
                    // `fn name` / `func name` / `func (recv) name`: a declaration. `fn(` in Rust
                    // is a function pointer type; `fn $name` in a macro is a template.
                    if let Some(open) = self.declaration_body() {
                        return Some(open);
                    }
                }
                Lang::Es => {
                    if token == Token::Word && self.skip_type_declaration() {
                        continue;
                    }
                    if let Some(open) = self.es_body(token) {
                        return Some(open);
                    }
                }
            }
        }
    }

    /// The next token after whitespace, comments and literals; `None` at the end.
    fn next_token(&mut self) -> Option<Token> {
        let token = self.scan()?;
        self.current = Some(token);
        Some(token)
    }

    fn mark(&self) -> Mark {
        Mark { at: self.at, word: self.word.clone(), current: self.current }
    }

    fn reset(&mut self, mark: Mark) {
        self.at = mark.at;
        self.word = mark.word;
        self.current = mark.current;
    }

    fn scan(&mut self) -> Option<Token> {
        let es = self.lang == Lang::Es;
        loop {
            let &byte = self.text.get(self.at)?;
            match byte {
                b'/' if self.peek(1) == Some(b'/') => self.skip_line(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment(),
                b'/' if es && self.regex_may_start() => self.skip_regex(),
                b'"' => {
                    self.at += 1;
                    self.skip_quoted(b'"', es);
                }
                b'`' if es => self.skip_template(),
                b'`' if self.lang == Lang::Go => {
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
                    if self.lang == Lang::Rust {
                        self.skip_rust_quote();
                    } else {
                        // A Go rune or a JavaScript string: never spans lines.
                        self.at += 1;
                        self.skip_quoted(b'\'', true);
                    }
                }
                c if c.is_ascii_whitespace() => self.at += 1,
                c if c == b'_' || c == b'$' && es || c.is_ascii_alphanumeric() || c >= 0x80 => {
                    let start = self.at;
                    while let Some(&c) = self.text.get(self.at) {
                        if c == b'_' || c == b'$' && es || c.is_ascii_alphanumeric() || c >= 0x80 {
                            self.at += 1;
                        } else {
                            break;
                        }
                    }
                    if self.lang == Lang::Rust && self.skip_rust_prefixed_string(start) {
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
            } else if self.lang == Lang::Rust
                && self.text[self.at] == b'/'
                && self.peek(1) == Some(b'*')
            {
                self.at += 2;
                depth += 1;
            } else {
                self.at += 1;
            }
        }
    }

    /// Past the closing `quote` of a literal whose opening quote is behind; backslash escapes.
    /// With `one_line`, an unclosed literal stops at the line's end rather than eat the file.
    fn skip_quoted(&mut self, quote: u8, one_line: bool) {
        while let Some(&c) = self.text.get(self.at) {
            if c == b'\n' && one_line {
                return;
            }
            self.at += 1;
            if c == b'\\' {
                self.at += 1;
            } else if c == quote {
                return;
            }
        }
    }

    /// A JavaScript template literal from its backtick, `${…}` substitutions included.
    fn skip_template(&mut self) {
        self.at += 1;
        while let Some(&c) = self.text.get(self.at) {
            self.at += 1;
            match c {
                b'\\' => self.at += 1,
                b'`' => return,
                b'$' if self.peek(0) == Some(b'{') => {
                    self.at += 1;
                    if !self.skip_group(b'{', b'}') {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// At a `/` that is not a comment: whether a regular expression starts here rather than a
    /// division, from the token before it.
    fn regex_may_start(&self) -> bool {
        match self.current {
            None => true,
            Some(Token::Punct(c)) => b"(,=:[!&|?{};+-*%<>~^".contains(&c),
            Some(Token::Word) => matches!(
                &self.text[self.word.clone()],
                b"return"
                    | b"typeof"
                    | b"case"
                    | b"do"
                    | b"else"
                    | b"in"
                    | b"of"
                    | b"new"
                    | b"delete"
                    | b"void"
                    | b"throw"
                    | b"yield"
                    | b"await"
                    | b"instanceof"
            ),
        }
    }

    /// A regular expression literal from its `/` (a `/` inside `[…]` does not end it); one that
    /// reaches the line's end was a division after all, and only the `/` is skipped.
    fn skip_regex(&mut self) {
        let start = self.at;
        self.at += 1;
        let mut class = false;
        while let Some(&c) = self.text.get(self.at) {
            self.at += 1;
            match c {
                b'\\' => self.at += 1,
                b'\n' => break,
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => return,
                _ => {}
            }
        }
        self.at = start + 1;
    }

    /// At a Rust `'`: a character literal (`'a'`, `'\n'`, `'\u{1F600}'`, `'日'`) or a lifetime
    /// or label (`'a`, `'static`), which has no closing quote.
    fn skip_rust_quote(&mut self) {
        self.at += 1;
        match self.text.get(self.at) {
            Some(b'\\') => self.skip_quoted(b'\'', true),
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
            self.skip_quoted(b'"', false);
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
    fn declaration_body(&mut self) -> Option<usize> {
        let rust = self.lang == Lang::Rust;
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
                    let closed = self.skip_bracket(open);
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

    /// Just after a `(` or `[`: past its match; false at the end of text.
    fn skip_bracket(&mut self, open: u8) -> bool {
        let close = if open == b'(' { b')' } else { b']' };
        self.skip_group(open, close)
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

    /// The offset of the `}` matching the `{` at `open`, the scanner past it.
    fn matching_brace_from(&mut self, open: usize) -> Option<usize> {
        self.at = open + 1;
        if self.skip_group(b'{', b'}') { Some(self.at - 1) } else { None }
    }

    /// TypeScript, just after a word: when it starts an interface or a type alias, skips the
    /// declaration (nothing in one is a body, and `=> {` there opens a type) and returns true.
    fn skip_type_declaration(&mut self) -> bool {
        let keyword = self.word.clone();
        let interface = match &self.text[keyword] {
            b"interface" => true,
            b"type" => false,
            _ => return false,
        };
        let mark = self.mark();
        if self.next_token() != Some(Token::Word) {
            self.reset(mark);
            return false;
        }
        loop {
            let before = self.mark();
            let Some(token) = self.next_token() else { return true };
            let closed = match token {
                Token::Punct(b'{') => {
                    let closed = self.skip_group(b'{', b'}');
                    if interface {
                        return true;
                    }
                    closed
                }
                Token::Punct(open @ (b'(' | b'[')) => self.skip_bracket(open),
                Token::Punct(b';') => return true,
                Token::Punct(b'}' | b')' | b']') => {
                    self.reset(before);
                    return true;
                }
                Token::Word
                    if !interface
                        && matches!(
                            &self.text[self.word.clone()],
                            b"export"
                                | b"function"
                                | b"class"
                                | b"const"
                                | b"let"
                                | b"var"
                                | b"interface"
                                | b"type"
                                | b"declare"
                                | b"import"
                        ) =>
                {
                    // A new statement: the alias ended without a `;`.
                    self.reset(before);
                    return true;
                }
                _ => true,
            };
            if !closed {
                return true;
            }
        }
    }

    /// JavaScript and TypeScript, just after `token`: the offset of a body's `{` that it starts,
    /// the scanner just past it; else `None` with the scanner where it was.
    fn es_body(&mut self, token: Token) -> Option<usize> {
        match token {
            // `=>` directly followed by a block.
            Token::Punct(b'>') if self.at >= 2 && self.text[self.at - 2] == b'=' => {
                let mark = self.mark();
                if self.next_token() == Some(Token::Punct(b'{')) {
                    return Some(self.at - 1);
                }
                self.reset(mark);
                None
            }
            Token::Punct(b'(') => {
                let before = self.before_paren();
                if !self.skip_group(b'(', b')') {
                    return None;
                }
                if !before {
                    return None;
                }
                let mark = self.mark();
                let body = self.body_after_parameters();
                if body.is_none() {
                    self.reset(mark);
                }
                body
            }
            _ => None,
        }
    }

    /// At a `(` just returned: whether the token before it makes it a parameter list (a name,
    /// `>` of type parameters, `]` of a computed name, `*` of a generator).
    fn before_paren(&self) -> bool {
        let at = self.at - 1;
        let previous = self.text[..at].iter().rposition(|c| !c.is_ascii_whitespace());
        match previous.map(|i| self.text[i]) {
            Some(c) => {
                c == b'_'
                    || c == b'$'
                    || c.is_ascii_alphanumeric()
                    || c >= 0x80
                    || b">]*".contains(&c)
            }
            None => false,
        }
    }

    /// After a parameter list: the body's `{`, past an optional TypeScript return type.
    fn body_after_parameters(&mut self) -> Option<usize> {
        match self.next_token()? {
            Token::Punct(b'{') => return Some(self.at - 1),
            Token::Punct(b':') => {}
            _ => return None,
        }
        loop {
            let before = self.current;
            let before_word = self.word.clone();
            let token = self.next_token()?;
            match token {
                Token::Punct(b'{') => {
                    if self.type_expected(before, before_word) {
                        // A type literal.
                        if !self.skip_group(b'{', b'}') {
                            return None;
                        }
                    } else {
                        return Some(self.at - 1);
                    }
                }
                Token::Punct(open @ (b'(' | b'[')) => {
                    let closed = self.skip_bracket(open);
                    if !closed {
                        return None;
                    }
                }
                Token::Punct(b'=') if self.peek(0) != Some(b'>') => return None,
                Token::Punct(b';' | b'}' | b')' | b']' | b',') => return None,
                _ => {}
            }
        }
    }

    /// Whether a type is expected after `before`, so that a `{` there opens a type literal.
    fn type_expected(&self, before: Option<Token>, before_word: Range<usize>) -> bool {
        match before {
            None => true,
            Some(Token::Punct(b'>')) => {
                // `=>` of a function type; `>` closing type arguments ends a type.
                let brace = self.at - 1;
                let arrow = self.text[..brace].iter().rposition(|c| !c.is_ascii_whitespace());
                arrow.is_some_and(|i| i > 0 && self.text[i - 1] == b'=')
            }
            Some(Token::Punct(c)) => b":|&,([<?".contains(&c),
            Some(Token::Word) => matches!(
                &self.text[before_word],
                b"extends"
                    | b"keyof"
                    | b"typeof"
                    | b"is"
                    | b"as"
                    | b"satisfies"
                    | b"readonly"
                    | b"infer"
                    | b"new"
            ),
        }
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
}
