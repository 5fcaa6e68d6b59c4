//! The rule table (`grammars/security.toml`): what each rule means, independent of language.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::RulesError;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Likely a weakness.
    Medium,
    /// Likely exploitable.
    High,
}

impl Severity {
    /// `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Severity, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            _ => Err(format!("unknown severity `{text}` (expected low, medium or high)")),
        }
    }
}

/// One rule: its id and what a finding of it tells the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's id, e.g. `sql-injection`.
    pub id: String,
    /// A short name.
    pub title: String,
    /// How serious a finding is.
    pub severity: Severity,
    /// The CWE number.
    pub cwe: u32,
    /// The OWASP Top 10 (2021) category, e.g. `A03:2021-Injection`.
    pub owasp: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it (a language's pattern may give its own).
    pub fix_hint: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleTable {
    #[serde(default)]
    rule: Vec<RuleEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    id: String,
    title: String,
    severity: String,
    cwe: u32,
    owasp: String,
    message: String,
    fix_hint: String,
}

/// Parses a rule table in the format of `grammars/security.toml`.
pub(crate) fn parse_rules(text: &str) -> Result<Vec<Rule>, RulesError> {
    let table: RuleTable = toml::from_str(text).map_err(RulesError::Toml)?;
    let mut rules: Vec<Rule> = Vec::with_capacity(table.rule.len());
    for entry in table.rule {
        let id = entry.id.trim().to_owned();
        let valid_id = !id.is_empty()
            && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_id {
            return Err(RulesError::InvalidRuleId(entry.id));
        }
        if rules.iter().any(|known| known.id == id) {
            return Err(RulesError::DuplicateRule(id));
        }
        let severity = entry
            .severity
            .parse()
            .map_err(|reason| RulesError::InvalidRule { rule: id.clone(), reason })?;
        rules.push(Rule {
            id,
            title: entry.title,
            severity,
            cwe: entry.cwe,
            owasp: entry.owasp,
            message: entry.message,
            fix_hint: entry.fix_hint,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_and_order() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
        assert!(Severity::Low < Severity::Medium && Severity::Medium < Severity::High);
    }

    #[test]
    fn rejects_bad_tables() {
        let rule = |id: &str, severity: &str| {
            format!(
                "[[rule]]\nid = \"{id}\"\ntitle = \"t\"\nseverity = \"{severity}\"\ncwe = 1\n\
                 owasp = \"o\"\nmessage = \"m\"\nfix_hint = \"f\"\n"
            )
        };
        assert_eq!(parse_rules(&rule("a-1", "low")).unwrap().len(), 1);
        assert!(matches!(parse_rules(&rule("A B", "low")), Err(RulesError::InvalidRuleId(_))));
        assert!(matches!(parse_rules(&rule("a", "huge")), Err(RulesError::InvalidRule { .. })));
        let twice = format!("{}{}", rule("a", "low"), rule("a", "high"));
        assert!(matches!(parse_rules(&twice), Err(RulesError::DuplicateRule(_))));
        assert!(matches!(parse_rules("[[rule]]\nid = 3"), Err(RulesError::Toml(_))));
    }
}
