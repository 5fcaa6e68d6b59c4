//! Security findings as diagnostics: on open and change (debounced, on the syntax tree the
//! document already keeps), the rules of `infill-security` run on a blocking thread and their
//! findings are published with source `infill`, the rule id as code and a link to the CWE. A
//! result for a version that changed meanwhile is dropped; closing a document clears them.
//! Also the filter that keeps a suggestion from introducing a finding.

use std::sync::Arc;
use std::time::Duration;

use infill_security::{Finding, Severity};
use infill_syntax::{Document, DocumentLimits, PositionEncoding};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::*;

use super::convert::position_to_lsp;
use super::state::State;
use crate::config::SuggestionFilter;

/// The diagnostic source of Infill's findings.
pub const SOURCE: &str = "infill";

/// Schedules a check of `uri` after the debounce; a newer change cancels it.
pub fn schedule(client: &Client, state: &Arc<State>, uri: &Uri) {
    let config = state.config().security;
    if !config.diagnostics || super::completion::is_private(state, uri) {
        return;
    }
    let client = client.clone();
    let task_state = Arc::clone(state);
    let task_uri = uri.clone();
    let debounce = Duration::from_millis(config.debounce_ms);
    let task = tokio::spawn(async move {
        tokio::time::sleep(debounce).await;
        let state = task_state;
        let uri = task_uri;
        let snapshot = {
            let Some(mut document) = state.documents.get_mut(&uri) else { return };
            let Some(language) = document.language().cloned() else { return };
            if !state.security.supports(&language) {
                return;
            }
            let tree = document.parsed_tree().cloned();
            (document.text(), tree, language, document.version())
        };
        let (text, tree, language, version) = snapshot;
        let rules = Arc::clone(&state.security);
        let encoding = state.encoding();
        let diagnostics = tokio::task::spawn_blocking(move || {
            let findings = match &tree {
                Some(tree) => rules.check_tree(&text, tree, &language),
                None => rules.check(&text, &language),
            };
            to_diagnostics(&text, &findings, encoding)
        })
        .await
        .unwrap_or_default();
        let current = state.documents.get(&uri).map(|d| d.version());
        if current != Some(version) {
            return;
        }
        client.publish_diagnostics(uri.clone(), diagnostics, Some(version)).await;
        state.diagnostics_pending.remove(&uri);
    });
    if let Some(previous) = state.diagnostics_pending.insert(uri.clone(), task.abort_handle()) {
        previous.abort();
    }
}

/// Clears the diagnostics of a closed document.
pub async fn clear(client: &Client, state: &State, uri: Uri) {
    if let Some((_, pending)) = state.diagnostics_pending.remove(&uri) {
        pending.abort();
    }
    if state.config().security.diagnostics {
        client.publish_diagnostics(uri, Vec::new(), None).await;
    }
}

/// Findings as LSP diagnostics, positions in the client's encoding.
pub fn to_diagnostics(
    text: &str,
    findings: &[Finding],
    encoding: PositionEncoding,
) -> Vec<Diagnostic> {
    if findings.is_empty() {
        return Vec::new();
    }
    let document = Document::new(text, 0, None, &DocumentLimits::default());
    findings
        .iter()
        .map(|finding| {
            let start = document.position_of(finding.range.start_byte, encoding);
            let end = document.position_of(finding.range.end_byte, encoding);
            Diagnostic {
                range: Range { start: position_to_lsp(start), end: position_to_lsp(end) },
                severity: Some(match finding.severity {
                    Severity::High | Severity::Medium => DiagnosticSeverity::WARNING,
                    Severity::Low => DiagnosticSeverity::INFORMATION,
                }),
                code: Some(NumberOrString::String(finding.rule_id.clone())),
                code_description: cwe_link(finding.cwe).map(|href| CodeDescription { href }),
                source: Some(SOURCE.into()),
                message: format!(
                    "{} (CWE-{}, OWASP {}). Fix: {}",
                    finding.message, finding.cwe, finding.owasp, finding.fix_hint
                ),
                data: Some(serde_json::json!({"severity": finding.severity.as_str(), "title": finding.title})),
                ..Default::default()
            }
        })
        .collect()
}

fn cwe_link(cwe: u32) -> Option<Uri> {
    format!("https://cwe.mitre.org/data/definitions/{cwe}.html").parse().ok()
}

/// What the suggestion filter decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filtered {
    /// Show it as it is.
    Keep,
    /// Show it, flagged with these rule ids.
    Flag(Vec<String>),
    /// Do not show it; it would introduce these rule ids.
    Drop(Vec<String>),
}

/// Whether suggestions in `language` are checked at all (the filter is on and the rules cover the
/// language): when not, the caller need not copy the document's text.
pub fn filters(state: &State, language: Option<&Arc<infill_syntax::Language>>) -> bool {
    state.config().security.filter_suggestions != SuggestionFilter::Off
        && language.is_some_and(|language| state.security.supports(language))
}

/// Whether inserting `suggestion` at `cursor` of `text` introduces a security finding.
pub fn filter_suggestion(
    state: &State,
    language: Option<&Arc<infill_syntax::Language>>,
    text: &str,
    cursor: usize,
    suggestion: &str,
) -> Filtered {
    let mode = state.config().security.filter_suggestions;
    let Some(language) = language else { return Filtered::Keep };
    if mode == SuggestionFilter::Off || suggestion.is_empty() || !state.security.supports(language)
    {
        return Filtered::Keep;
    }
    let mut cursor = cursor.min(text.len());
    while !text.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let after = format!("{}{}{}", &text[..cursor], suggestion, &text[cursor..]);
    let introduced = state.security.introduces_finding(text, &after, language);
    if introduced.is_empty() {
        return Filtered::Keep;
    }
    let mut rules: Vec<String> = introduced.into_iter().map(|f| f.rule_id).collect();
    rules.dedup();
    match mode {
        SuggestionFilter::Drop => Filtered::Drop(rules),
        SuggestionFilter::Flag => Filtered::Flag(rules),
        SuggestionFilter::Off => Filtered::Keep,
    }
}
