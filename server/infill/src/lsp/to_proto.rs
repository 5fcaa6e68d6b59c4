//! Suggestions as the protocol carries them: inline completion items (ghost text) and
//! completion items for clients without inline completion.

use infill_syntax::PositionEncoding;
use tower_lsp_server::ls_types::*;

/// The inline completion answer: one item per suggestion (the best first) inserting it at
/// `cursor`, or an empty list.
pub fn inline_completion(suggestions: Option<(Vec<String>, Position)>) -> InlineCompletionResponse {
    let items = suggestions
        .map(|(texts, cursor)| {
            texts
                .into_iter()
                .map(|text| InlineCompletionItem {
                    insert_text: text,
                    filter_text: None,
                    range: Some(Range { start: cursor, end: cursor }),
                    command: None,
                    insert_text_format: Some(InsertTextFormat::PLAIN_TEXT),
                })
                .collect()
        })
        .unwrap_or_default();
    InlineCompletionResponse::Array(items)
}

/// The completion-item answer for `texts` (the best first) at `cursor`, where `line_prefix` is
/// the cursor's line up to the cursor. Each item replaces the word being typed, so that the
/// client's filter (by that word) keeps it; the first is preselected, and the items sort in
/// order; the list is incomplete, so the client asks again as the user types.
pub fn completion_list(
    texts: &[String],
    cursor: Position,
    line_prefix: &str,
    encoding: PositionEncoding,
) -> CompletionResponse {
    let word = word_before(line_prefix);
    let start = Position {
        line: cursor.line,
        character: cursor.character.saturating_sub(units(word, encoding)),
    };
    let items = texts
        .iter()
        .enumerate()
        .map(|(rank, text)| {
            let label_line = text.lines().next().unwrap_or_default().trim().to_string();
            CompletionItem {
                label: format!("{word}{label_line}"),
                kind: Some(CompletionItemKind::TEXT),
                detail: Some("Infill (model suggestion)".into()),
                documentation: Some(Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: format!("```\n{word}{text}\n```"),
                })),
                filter_text: Some(format!("{word}{label_line}")),
                sort_text: Some(format!("{rank:02}")),
                preselect: Some(rank == 0),
                // A snippet with nothing but escaped text: clients that insert a plain-text
                // item's first word only (Neovim's `vim.lsp.completion` stops at whitespace)
                // expand a snippet's whole text.
                text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                    range: Range { start, end: cursor },
                    new_text: snippet_text(&format!("{word}{text}")),
                })),
                insert_text_format: Some(InsertTextFormat::SNIPPET),
                ..Default::default()
            }
        })
        .collect();
    CompletionResponse::List(CompletionList { is_incomplete: true, items })
}

/// The word before the cursor on its line: what clients filter completion items by.
fn word_before(line_prefix: &str) -> &str {
    let start = line_prefix
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    &line_prefix[start..]
}

/// `text` as a snippet that inserts exactly `text`: `\`, `$` and `}` escaped.
fn snippet_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '$' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The length of `text` in the position encoding's units.
fn units(text: &str, encoding: PositionEncoding) -> u32 {
    match encoding {
        PositionEncoding::Utf8 => text.len() as u32,
        PositionEncoding::Utf16 => text.encode_utf16().count() as u32,
        PositionEncoding::Utf32 => text.chars().count() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_inserts_exactly_the_suggestion() {
        assert_eq!(snippet_text("total + 1"), "total + 1");
        assert_eq!(snippet_text("f\"${x}\" \\n"), "f\"\\${x\\}\" \\\\n");
    }

    #[test]
    fn the_word_before_the_cursor() {
        assert_eq!(word_before("    let total = compu"), "compu");
        assert_eq!(word_before("foo("), "");
        assert_eq!(word_before("naïve_wörd"), "naïve_wörd");
    }

    #[test]
    fn an_item_replaces_the_typed_word_in_the_negotiated_units() {
        let cursor = Position { line: 2, character: 9 };
        let CompletionResponse::List(list) =
            completion_list(&["ve(x)".into()], cursor, "  x = naï", PositionEncoding::Utf16)
        else {
            panic!("a list")
        };
        assert!(list.is_incomplete);
        let Some(CompletionTextEdit::Edit(edit)) = &list.items[0].text_edit else {
            panic!("a text edit")
        };
        assert_eq!(edit.range.start, Position { line: 2, character: 6 });
        assert_eq!(edit.range.end, cursor);
        assert_eq!(edit.new_text, "naïve(x)");
        assert_eq!(list.items[0].filter_text.as_deref(), Some("naïve(x)"));
    }

    #[test]
    fn alternatives_are_items_in_rank_order_with_the_best_preselected() {
        let cursor = Position { line: 0, character: 4 };
        let texts = ["a + 1".to_string(), "b".to_string()];
        let CompletionResponse::List(list) =
            completion_list(&texts, cursor, "x = ", PositionEncoding::Utf8)
        else {
            panic!("a list")
        };
        let labels: Vec<_> = list.items.iter().map(|item| item.label.as_str()).collect();
        assert_eq!(labels, ["a + 1", "b"]);
        let sorted: Vec<_> = list.items.iter().map(|item| item.sort_text.clone()).collect();
        assert!(sorted[0] < sorted[1]);
        assert_eq!(list.items[0].preselect, Some(true));
        assert_eq!(list.items[1].preselect, Some(false));
        let InlineCompletionResponse::Array(items) =
            inline_completion(Some((texts.to_vec(), cursor)))
        else {
            panic!("an array")
        };
        let inserted: Vec<_> = items.iter().map(|item| item.insert_text.as_str()).collect();
        assert_eq!(inserted, ["a + 1", "b"]);
    }

    #[test]
    fn no_suggestion_is_an_empty_inline_list() {
        let InlineCompletionResponse::Array(items) = inline_completion(None) else {
            panic!("an array")
        };
        assert!(items.is_empty());
    }
}
