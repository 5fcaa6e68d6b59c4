//! The security rules (`infill_security`) on arbitrary source in every language that has
//! patterns: never a panic, and every finding is well-formed: a known rule, a byte range
//! inside the text on character boundaries, line/column positions that agree with the
//! document's own conversion, a snippet within its size limit. Checking a text against itself
//! introduces nothing; a tree parsed from another text (a stale tree) never panics; an open
//! document's findings after an edit equal those of its text checked afresh wherever the fresh
//! parse has no syntax errors.
//!
//! Input: a language name and a newline, then the text, then optionally a NUL byte and a
//! second text (the edit's replacement and the stale tree's source). An unknown name picks a
//! language by its first byte.

#![no_main]

use infill_security::{Finding, SNIPPET_MAX_CHARS, SecurityRules};
use infill_syntax::{
    Document, DocumentLimits, Language, LanguageRegistry, PositionEncoding, TextChange, position_of,
};
use libfuzzer_sys::fuzz_target;
use ropey::Rope;

fn check_finding(rules: &SecurityRules, text: &str, finding: &Finding) {
    assert!(rules.rule(&finding.rule_id).is_some(), "unknown rule {}", finding.rule_id);
    let range = &finding.range;
    assert!(range.start_byte <= range.end_byte && range.end_byte <= text.len(), "{range:?}");
    assert!(text.is_char_boundary(range.start_byte) && text.is_char_boundary(range.end_byte));
    let rope = Rope::from_str(text);
    assert_eq!(range.start, position_of(&rope, range.start_byte, PositionEncoding::Utf8));
    assert_eq!(range.end, position_of(&rope, range.end_byte, PositionEncoding::Utf8));
    assert!(finding.snippet.chars().count() <= SNIPPET_MAX_CHARS);
}

fn language_for(name: &str, first: u8, supported: &[std::sync::Arc<Language>]) -> usize {
    supported
        .iter()
        .position(|language| language.name == name)
        .unwrap_or(first as usize % supported.len())
}

fuzz_target!(|data: &[u8]| {
    let rules = SecurityRules::builtin();
    let registry = LanguageRegistry::builtin();
    let supported: Vec<_> =
        registry.languages().filter(|language| rules.supports(language)).cloned().collect();
    if supported.is_empty() {
        return;
    }
    let Ok(input) = std::str::from_utf8(data) else { return };
    let (name, rest) = input.split_once('\n').unwrap_or(("", input));
    let (text, other) = rest.split_once('\0').unwrap_or((rest, ""));
    let first = data.first().copied().unwrap_or(0);
    let language = &supported[language_for(name, first, &supported)];

    let findings = rules.check(text, language);
    for finding in &findings {
        check_finding(&rules, text, finding);
    }
    assert!(rules.introduces_finding(text, text, language).is_empty());

    if let Some(stale) = infill_syntax::parse(language, other) {
        for finding in rules.check_tree(text, &stale, language) {
            let range = finding.range;
            assert!(range.start_byte <= range.end_byte && range.end_byte <= text.len());
        }
    }

    // An edit in the middle of an open document: `other` replaces the text's middle third.
    let mut document = Document::new(text, 1, Some(language.clone()), &DocumentLimits::default());
    let (from, to) = (text.len() / 3, 2 * text.len() / 3);
    let start = document.position_of(from, PositionEncoding::Utf16);
    let end = document.position_of(to, PositionEncoding::Utf16);
    let change =
        TextChange { range: Some(infill_syntax::Range::new(start, end)), text: other.to_owned() };
    document.apply_change(&change, PositionEncoding::Utf16);
    let edited = document.text();
    let from_document = rules.check_document(&mut document);
    for finding in &from_document {
        check_finding(&rules, &edited, finding);
    }
    let fresh = infill_syntax::parse(language, &edited);
    if fresh.is_some_and(|tree| !tree.root_node().has_error()) {
        assert_eq!(from_document, rules.check(&edited, language), "incremental != fresh");
    }
});
