//! One language's `security.scm` compiled and classified: every pattern either reports a rule
//! (`#set! rule`), marks nodes of a named kind (`#set! kind`), marks a scope (`@scope`) or
//! records an assignment (`@assign.name`, `@assign.value`). See docs/security.md.

use tree_sitter::Query;

use crate::RulesError;
use crate::rules::Rule;

/// What a pattern that reports a rule asks of its match.
#[derive(Debug)]
pub(crate) struct FindingPattern {
    /// Index into the rule table.
    pub rule: usize,
    /// Kinds of which `@arg` must contain a match, directly or through one assignment in the
    /// same scope; empty when the pattern reports unconditionally.
    pub requires: Vec<usize>,
    /// Kinds of which the finding's scope must contain a match.
    pub requires_scope: Vec<usize>,
    /// A kind whose matches make what they enclose harmless for `requires`.
    pub sanitizer: Option<usize>,
    /// The language's own fix hint, if the pattern gives one.
    pub fix: Option<String>,
}

/// The job of one pattern.
#[derive(Debug)]
pub(crate) enum Role {
    Finding(FindingPattern),
    Kind(usize),
    Scope,
    Assign,
}

/// Capture indices the engine reads, `None` when the query has no such capture.
#[derive(Debug, Default)]
pub(crate) struct Captures {
    pub finding: Option<u32>,
    pub arg: Option<u32>,
    pub matched: Option<u32>,
    pub scope: Option<u32>,
    pub assign_name: Option<u32>,
    pub assign_value: Option<u32>,
}

/// A language's compiled security query.
pub(crate) struct LanguagePatterns {
    pub query: Query,
    pub roles: Vec<Role>,
    pub captures: Captures,
    /// Kind names, by index.
    pub kinds: Vec<String>,
}

impl std::fmt::Debug for LanguagePatterns {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LanguagePatterns")
            .field("patterns", &self.roles.len())
            .field("kinds", &self.kinds)
            .finish()
    }
}

/// Property keys a pattern may set.
const KNOWN_PROPERTIES: &[&str] =
    &["rule", "kind", "requires", "requires-scope", "sanitizer", "fix"];

impl LanguagePatterns {
    /// Compiles `source` for `grammar` and classifies its patterns against `rules`.
    pub fn compile(
        language: &str,
        grammar: &tree_sitter::Language,
        source: &str,
        rules: &[Rule],
    ) -> Result<LanguagePatterns, RulesError> {
        let query = Query::new(grammar, source).map_err(|error| RulesError::Query {
            language: language.to_owned(),
            line: error.row + 1,
            reason: error.message.trim().to_owned(),
        })?;
        let capture = |name: &str| query.capture_index_for_name(name);
        let captures = Captures {
            finding: capture("finding"),
            arg: capture("arg"),
            matched: capture("match"),
            scope: capture("scope"),
            assign_name: capture("assign.name"),
            assign_value: capture("assign.value"),
        };

        // Kinds first: a finding pattern may name a kind defined after it.
        let mut kinds: Vec<String> = Vec::new();
        for index in 0..query.pattern_count() {
            if let Some(kind) = property(&query, index, "kind")
                && !kinds.iter().any(|known| known == kind)
            {
                kinds.push(kind.to_owned());
            }
        }

        let mut roles = Vec::with_capacity(query.pattern_count());
        for index in 0..query.pattern_count() {
            let error = |reason: String| RulesError::Pattern {
                language: language.to_owned(),
                line: line_of(source, query.start_byte_for_pattern(index)),
                reason,
            };
            if let Some(predicate) = query.general_predicates(index).first() {
                return Err(error(format!(
                    "unsupported predicate `#{}` (supported: #eq?, #match?, #any-of? and their not- forms, #set!)",
                    predicate.operator
                )));
            }
            for setting in query.property_settings(index) {
                if !KNOWN_PROPERTIES.contains(&&*setting.key) {
                    return Err(error(format!("unknown property `{}`", setting.key)));
                }
                if setting.value.is_none() {
                    return Err(error(format!("property `{}` needs a value", setting.key)));
                }
            }
            let kind_index = |name: &str| {
                kinds.iter().position(|known| known == name).ok_or_else(|| {
                    error(format!("no pattern of this language defines the kind `{name}`"))
                })
            };
            let kind_list = |key: &str| -> Result<Vec<usize>, RulesError> {
                property(&query, index, key)
                    .map(|list| list.split_whitespace().map(kind_index).collect())
                    .unwrap_or_else(|| Ok(Vec::new()))
            };
            let text =
                &source[query.start_byte_for_pattern(index)..query.end_byte_for_pattern(index)];
            let role = if let Some(rule_id) = property(&query, index, "rule") {
                let rule = rules
                    .iter()
                    .position(|rule| rule.id == rule_id)
                    .ok_or_else(|| error(format!("unknown rule `{rule_id}`")))?;
                let sanitizer = property(&query, index, "sanitizer").map(kind_index).transpose()?;
                Role::Finding(FindingPattern {
                    rule,
                    requires: kind_list("requires")?,
                    requires_scope: kind_list("requires-scope")?,
                    sanitizer,
                    fix: property(&query, index, "fix").map(str::to_owned),
                })
            } else if let Some(kind) = property(&query, index, "kind") {
                Role::Kind(kind_index(kind)?)
            } else if text.contains("@scope") {
                Role::Scope
            } else if text.contains("@assign.name") && text.contains("@assign.value") {
                Role::Assign
            } else {
                return Err(error(
                    "a pattern must set `rule` or `kind`, or capture @scope, or @assign.name and @assign.value"
                        .to_owned(),
                ));
            };
            roles.push(role);
        }
        Ok(LanguagePatterns { query, roles, captures, kinds })
    }
}

/// The value of the property `key` set by pattern `index`.
fn property<'q>(query: &'q Query, index: usize, key: &str) -> Option<&'q str> {
    query
        .property_settings(index)
        .iter()
        .find(|setting| &*setting.key == key)
        .and_then(|setting| setting.value.as_deref())
}

/// The 1-based line of a byte offset.
fn line_of(source: &str, byte: usize) -> usize {
    source.as_bytes()[..byte.min(source.len())].iter().filter(|&&b| b == b'\n').count() + 1
}
