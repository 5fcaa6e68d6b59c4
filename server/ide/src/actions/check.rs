//! Syntax checks for edits: error nodes before and after, and the definition around a cursor.

use std::ops::Range;
use std::sync::Arc;

use infill_syntax::Language;
use tree_sitter::Node;

/// A syntax error in a text: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Zero-based line.
    pub line: usize,
    /// `ERROR` or `MISSING <kind>`.
    pub what: String,
}

/// The syntax errors of `text` (error and missing nodes); empty for a language without a
/// grammar.
pub fn syntax_errors(language: Option<&Arc<Language>>, text: &str) -> Vec<SyntaxError> {
    let Some(tree) = language.and_then(|language| infill_syntax::parse(language, text)) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    collect_errors(tree.root_node(), &mut errors);
    errors
}

fn collect_errors(node: Node<'_>, errors: &mut Vec<SyntaxError>) {
    if !node.has_error() {
        return;
    }
    if node.is_error() {
        errors.push(SyntaxError { line: node.start_position().row, what: "ERROR".into() });
        return;
    }
    if node.is_missing() {
        errors.push(SyntaxError {
            line: node.start_position().row,
            what: format!("MISSING {}", node.kind()),
        });
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_errors(child, errors);
    }
}

/// Whether `after` has more syntax errors than `before`; the message names the first new one.
pub fn new_syntax_errors(
    language: Option<&Arc<Language>>,
    before: &str,
    after: &str,
) -> Option<String> {
    let old = syntax_errors(language, before).len();
    let new = syntax_errors(language, after);
    (new.len() > old).then(|| {
        let first = new
            .first()
            .map_or_else(String::new, |e| format!(": {} at line {}", e.what, e.line + 1));
        format!("the edited text has {} syntax error(s), the original {old}{first}", new.len())
    })
}

/// A definition found around a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// Its name.
    pub name: String,
    /// The bytes of the whole definition node.
    pub range: Range<usize>,
    /// Where its body starts (the block after `:` or `{`), when it has one.
    pub body: Option<Range<usize>>,
}

/// The innermost definition (function, method, class...) of the language's `definitions` query
/// whose node contains `range`.
pub fn definition_at(
    language: Option<&Arc<Language>>,
    text: &str,
    range: Range<usize>,
) -> Option<Definition> {
    use streaming_iterator::StreamingIterator;
    let language = language?;
    let tree = infill_syntax::parse(language, text)?;
    let query = language.query("definitions")?;
    let name_index = query.capture_index_for_name("name");
    let body_index = query.capture_index_for_name("body");
    let mut cursor = tree_sitter::QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    let mut best: Option<Definition> = None;
    while let Some(found) = matches.next() {
        let mut name = None;
        let mut node = None;
        let mut body = None;
        for capture in found.captures {
            if Some(capture.index) == name_index {
                name = Some(capture.node);
            } else if Some(capture.index) == body_index {
                body = Some(capture.node.start_byte()..capture.node.end_byte());
            } else if query.capture_names()[capture.index as usize].starts_with("definition") {
                node = Some(capture.node);
            }
        }
        let (Some(name), Some(node)) = (name, node) else { continue };
        let span = node.start_byte()..node.end_byte();
        if span.start > range.start || span.end < range.end {
            continue;
        }
        if best.as_ref().is_some_and(|b| b.range.len() <= span.len()) {
            continue;
        }
        best = Some(Definition {
            name: text[name.start_byte()..name.end_byte()].to_owned(),
            range: span,
            body,
        });
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use infill_syntax::LanguageRegistry;

    fn python() -> Arc<Language> {
        LanguageRegistry::builtin().by_name("python").unwrap()
    }

    #[test]
    fn finds_the_innermost_definition() {
        let text = "class A:\n    def area(self, w):\n        return w * 2\n";
        let at = text.find("return").unwrap();
        let def = definition_at(Some(&python()), text, at..at).unwrap();
        assert_eq!(def.name, "area");
        assert_eq!(&text[def.range.clone()][..8], "def area");
        assert!(text[def.body.unwrap()].starts_with("return"));
        let def = definition_at(Some(&python()), text, 0..0).unwrap();
        assert_eq!(def.name, "A");
    }

    #[test]
    fn counts_new_syntax_errors() {
        let language = python();
        assert!(new_syntax_errors(Some(&language), "x = 1\n", "x = (1\n").is_some());
        assert!(new_syntax_errors(Some(&language), "x = 1\n", "x = 2\n").is_none());
        assert!(new_syntax_errors(None, "", "(((").is_none());
    }
}
