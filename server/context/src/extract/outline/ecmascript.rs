//! JavaScript and TypeScript bodies: the block after `=>`, or after a parameter list that follows
//! a name, past a TypeScript return type read as a type; interfaces and type aliases skipped whole.

use std::ops::Range;

use super::scanner::{Scanner, Token};

impl Scanner<'_> {
    /// TypeScript, just after a word: when it starts an interface or a type alias, skips the
    /// declaration (nothing in one is a body, and `=> {` there opens a type) and returns true.
    pub(super) fn skip_type_declaration(&mut self) -> bool {
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
    pub(super) fn es_body(&mut self, token: Token) -> Option<usize> {
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
