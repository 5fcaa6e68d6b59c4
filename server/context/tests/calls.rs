//! Callers and callees of the enclosing function: the functions it calls and the names their
//! definitions use, the functions elsewhere that call it and the names used around those calls
//! are context for the function being written.

mod common;

use common::*;
use infill_context::*;

fn reasons(result: &ContextResult) -> String {
    result
        .snippets
        .iter()
        .map(|s| format!("{:?} {} {:.2} {}", s.kind, s.path.display(), s.score, s.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The definition (whole or skeleton) whose text holds `needle`.
fn snippet_with<'r>(result: &'r ContextResult, needle: &str) -> Option<&'r Snippet> {
    result.snippets.iter().find(|s| s.kind != SnippetKind::Window && s.text.contains(needle))
}

/// Ranks `relative` with the cursor at the end of its text, with and without the calls signal
/// (similarity windows off: they may show the same lines for another reason).
fn rank_at_end(f: &Fixture, relative: &str) -> (ContextResult, ContextResult) {
    let path = f.path(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    let cursor = text.trim_end_matches('\n').len();
    let mut request = ContextRequest::new(&path, &text, cursor, 1024);
    request.options.signals.similarity = false;
    let with = f.index.rank(&request);
    request.options.signals.calls = false;
    let without = f.index.rank(&request);
    (with, without)
}

#[test]
fn names_a_callee_uses_are_anticipated() {
    // `load` calls `parse_header`, which builds a `HeaderRecord`: nothing in main.py names it.
    let f = fixture(
        "//- /parsing.py\ndef parse_header(raw):\n    fields = raw.split(',')\n    \
         return HeaderRecord(fields)\n\
         //- /records.py\nclass HeaderRecord:\n    def __init__(self, fields):\n        \
         self.fields = fields\n\
         //- /main.py\nfrom parsing import parse_header\n\n\
         def load(raw):\n    header = parse_header(raw)\n    result = \n",
    );
    let (with, without) = rank_at_end(&f, "main.py");
    let wanted =
        snippet_with(&with, "class HeaderRecord").unwrap_or_else(|| panic!("{}", reasons(&with)));
    assert!(
        wanted.reason.contains("used by a function the enclosing one calls"),
        "{}",
        reasons(&with)
    );
    assert!(snippet_with(&without, "class HeaderRecord").is_none(), "{}", reasons(&without));
}

#[test]
fn a_callee_after_the_cursor_is_anticipated_as_one() {
    // The call sits far below the cursor, past the region the symbols signal reads; the
    // enclosing function calls it, which weighs more than a use that far down the file.
    let filler: String = (0..300).map(|i| format!("    cell_{i} = {i} + 1\n")).collect();
    let f = fixture(&format!(
        "//- /totals.py\ndef finalize_totals(rows):\n    return sum(rows)\n\
         //- /report.py\ndef report(rows):\n    result = \n{filler}    return finalize_totals(rows)\n"
    ));
    let path = f.path("report.py");
    let text = std::fs::read_to_string(&path).unwrap();
    let cursor = text.find("    result = ").unwrap() + "    result = ".len();
    let mut request = ContextRequest::new(&path, &text, cursor, 1024);
    request.options.signals.similarity = false;
    let with = f.index.rank(&request);
    let wanted =
        snippet_with(&with, "def finalize_totals").unwrap_or_else(|| panic!("{}", reasons(&with)));
    assert!(wanted.reason.contains("called by the enclosing function"), "{}", reasons(&with));
    request.options.signals.calls = false;
    let without = f.index.rank(&request);
    let weaker = snippet_with(&without, "def finalize_totals")
        .unwrap_or_else(|| panic!("{}", reasons(&without)));
    assert!(weaker.reason.contains("used after the cursor"), "{}", reasons(&without));
    assert!(wanted.score > weaker.score, "{}\n--\n{}", reasons(&with), reasons(&without));
}

#[test]
fn callers_of_the_enclosing_function_and_the_names_around_their_calls_are_context() {
    // cli.py calls `summarize` and renders its result with `render_table`; report.py, where
    // `summarize` is being written, names neither `main` nor `render_table`.
    let f = fixture(
        "//- /formatting.py\ndef render_table(summary):\n    return str(summary)\n\
         //- /cli.py\nfrom report import summarize\nfrom formatting import render_table\n\n\
         def main(rows):\n    summary = summarize(rows)\n    print(render_table(summary))\n\
         //- /report.py\ndef summarize(rows):\n    total = \n",
    );
    let (with, without) = rank_at_end(&f, "report.py");
    let caller =
        snippet_with(&with, "def main(rows)").unwrap_or_else(|| panic!("{}", reasons(&with)));
    assert!(caller.path.ends_with("cli.py"), "{}", reasons(&with));
    assert!(caller.reason.contains("`main` calls `summarize`"), "{}", reasons(&with));
    let near =
        snippet_with(&with, "def render_table").unwrap_or_else(|| panic!("{}", reasons(&with)));
    assert!(
        near.reason.contains("used near a call of the enclosing function"),
        "{}",
        reasons(&with)
    );
    assert!(snippet_with(&without, "def main(rows)").is_none(), "{}", reasons(&without));
    assert!(snippet_with(&without, "def render_table").is_none(), "{}", reasons(&without));
}

#[test]
fn calls_of_a_same_named_function_elsewhere_are_not_callers() {
    // `summarize` is also defined in other.py, whose own call reaches its own definition; and
    // stats.py, unrelated to report.py (no import, another directory), may call either one.
    let f = fixture(
        "//- /other.py\ndef summarize(rows):\n    return rows\n\n\
         def local_use(rows):\n    return summarize(rows)\n\
         //- /lib/stats.py\ndef unrelated_caller(rows):\n    return summarize(rows)\n\
         //- /report.py\ndef summarize(rows):\n    total = \n",
    );
    let (with, _) = rank_at_end(&f, "report.py");
    assert!(snippet_with(&with, "def local_use").is_none(), "{}", reasons(&with));
    assert!(snippet_with(&with, "def unrelated_caller").is_none(), "{}", reasons(&with));
}
