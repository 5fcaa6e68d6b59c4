//! The scanner of the brace languages' outlines: tokens past comments and literals, bracket
//! groups, and Rust's and Go's function declarations (JavaScript's are in `ecmascript`).

use std::ops::Range;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Lang {
    Rust,
    Go,
    /// JavaScript and TypeScript.
    Es,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Token {
    /// An identifier or keyword, at `Scanner::word`.
    Word,
    /// One byte of punctuation.
    Punct(u8),
}

/// Where the scanner is, to go back to after a look ahead.
#[derive(Clone)]
pub(super) struct Mark {
    at: usize,
    word: Range<usize>,
    current: Option<Token>,
}

pub(super) struct Scanner<'t> {
    pub(super) text: &'t [u8],
    pub(super) at: usize,
    pub(super) lang: Lang,
    /// The last [`Token::Word`]'s bytes.
    pub(super) word: Range<usize>,
    /// The last token returned.
    pub(super) current: Option<Token>,
}

impl<'t> Scanner<'t> {
    pub(super) fn new(text: &'t [u8], lang: Lang) -> Scanner<'t> {
        Scanner { text, at: 0, lang, word: 0..0, current: None }
    }

    /// The offset of the next function body's `{`, the scanner just past it.
    pub(super) fn next_body(&mut self) -> Option<usize> {
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
    pub(super) fn next_token(&mut self) -> Option<Token> {
        let token = self.scan()?;
        self.current = Some(token);
        Some(token)
    }

    pub(super) fn mark(&self) -> Mark {
        Mark { at: self.at, word: self.word.clone(), current: self.current }
    }

    pub(super) fn reset(&mut self, mark: Mark) {
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

    pub(super) fn peek(&self, ahead: usize) -> Option<u8> {
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
    pub(super) fn skip_bracket(&mut self, open: u8) -> bool {
        let close = if open == b'(' { b')' } else { b']' };
        self.skip_group(open, close)
    }

    /// Just after `open`: past its matching `close`, across nesting; false at the end of text.
    pub(super) fn skip_group(&mut self, open: u8, close: u8) -> bool {
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
    pub(super) fn matching_brace_from(&mut self, open: usize) -> Option<usize> {
        self.at = open + 1;
        if self.skip_group(b'{', b'}') { Some(self.at - 1) } else { None }
    }
}
