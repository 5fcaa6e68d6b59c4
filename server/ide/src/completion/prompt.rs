//! The completion prompt's layout: the window of the current file that ends at the cursor, on
//! a coarse grid so that typing keeps the prompt's prefix (and the engine's cache of it) put.

use infill_context::privacy::redact_window;
use infill_engine::{ModelFamily, PromptParts, RenderedPrompt};

use super::{CompletionInput, CompletionSettings};

/// Renders the completion prompt for `input` in `family`'s layout: the context files, then the
/// window of the current file that ends at the cursor (and the suffix, for FIM models).
///
/// Lines of the window that look like secrets are masked ([`redact_window`]: the prefix and the
/// suffix each on its own, lines judged whole), so a token in the open file never reaches the
/// engine; post-processing still reads the real text.
pub fn render(
    family: &ModelFamily,
    input: &CompletionInput,
    settings: &CompletionSettings,
) -> RenderedPrompt {
    let cursor = floor_char_boundary(&input.text, input.cursor);
    let start = window_start(&input.text, cursor, settings.prefix_bytes);
    let suffix_end = floor_char_boundary(
        &input.text,
        cursor.saturating_add(settings.suffix_bytes).min(input.text.len()),
    );
    let prefix_end = prompt_end(&input.text, cursor).max(start);
    let (prefix, suffix) = redact_window(&input.text, start..prefix_end, cursor..suffix_end);
    family.render(&PromptParts {
        repo_name: &input.repo_name,
        context: &input.context,
        path: &input.path,
        prefix: &prefix,
        suffix: &suffix,
    })
}

/// Where the prompt's prefix ends: the cursor, less the spaces and tabs typed after code on the
/// cursor's line. Tokenizers glue a space to the word after it (` total` is one token), so a
/// prompt that ends in `return ` leaves the model a lone space it has rarely seen end a token,
/// and it often ends the line there. Without the space the model writes ` total`, and
/// post-processing drops the space the user already typed.
fn prompt_end(text: &str, cursor: usize) -> usize {
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..cursor];
    let code = line.trim_end_matches([' ', '\t']);
    if code.trim_start_matches([' ', '\t']).is_empty() { cursor } else { line_start + code.len() }
}

/// The prompt text alone (for `infill/context` and `infill context`).
pub fn render_prompt(
    family: &ModelFamily,
    input: &CompletionInput,
    settings: &CompletionSettings,
) -> String {
    render(family, input, settings).text
}

/// The start of the prompt's window into the current file: a line start on a coarse grid, so
/// that typing forward keeps the window's start (and the engine's cached prefix) in place.
pub fn window_start(text: &str, cursor: usize, prefix_bytes: usize) -> usize {
    if cursor <= prefix_bytes {
        return 0;
    }
    let grid = (prefix_bytes / 4).max(1);
    let target = (cursor - prefix_bytes).div_ceil(grid) * grid;
    let target = target.min(cursor);
    match text[..cursor].get(target..).and_then(|rest| rest.find('\n')) {
        Some(newline) => target + newline + 1,
        None => floor_char_boundary(text, target),
    }
}

/// `index` moved down onto a character boundary of `text` (and into it).
pub(crate) fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::super::FileLabel;
    use super::*;

    #[test]
    fn the_window_start_stays_put_while_typing_forward() {
        let text: String = (0..400).map(|i| format!("line number {i}\n")).collect();
        // The grid step is 250 bytes: cursors 3001..=3250 share a start.
        let first = window_start(&text, 3001, 1000);
        assert!(first > 0 && text[..first].ends_with('\n'));
        for cursor in 3001..=3250 {
            assert_eq!(window_start(&text, cursor, 1000), first, "cursor {cursor}");
        }
        // The window never exceeds its size by more than a grid step and a line.
        for cursor in (1000..text.len()).step_by(97) {
            let start = window_start(&text, cursor, 1000);
            assert!(cursor - start <= 1000, "cursor {cursor} start {start}");
            assert!(cursor - start >= 1000 - 250 - 20, "cursor {cursor} start {start}");
        }
        assert_eq!(window_start(&text, 10, 1000), 0);
    }

    #[test]
    fn the_prompt_leaves_out_spaces_typed_after_code_but_keeps_indentation() {
        let text = "def f(x):\n    return \n";
        assert_eq!(prompt_end(text, 21), 20);
        assert_eq!(&text[..prompt_end(text, 21)], "def f(x):\n    return");
        let indented = "if x:\n        \n";
        assert_eq!(prompt_end(indented, 14), 14);
        assert_eq!(prompt_end("x = 1", 5), 5);
        assert_eq!(prompt_end("", 0), 0);
    }

    #[test]
    fn secrets_in_the_current_file_stay_out_of_the_prompt() {
        let text = "import os\nAPI_KEY = \"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\"\n\ndef main():\n    return \nTOKEN = 'xoxb-123456789012-abcdefghijkl'\n";
        let cursor = text.find("return ").unwrap() + "return ".len();
        let input =
            CompletionInput::new(FileLabel::named("app.py"), text.to_owned(), cursor, None, None);
        for family in [ModelFamily::PrefixOnly, ModelFamily::StarCoder2, ModelFamily::CodeLlama] {
            let prompt = render(&family, &input, &CompletionSettings::default()).text;
            assert!(!prompt.contains("ghp_"), "{prompt}");
            assert!(!prompt.contains("xoxb-"), "{prompt}");
            assert!(
                prompt.contains("import os\n<redacted>\n\ndef main():\n    return"),
                "{prompt}"
            );
        }
    }

    #[test]
    fn the_window_start_is_a_char_boundary() {
        let text = "é".repeat(3000);
        for cursor in (2000..6000).step_by(2) {
            let start = window_start(&text, cursor, 1001);
            assert!(text.is_char_boundary(start));
        }
    }
}
