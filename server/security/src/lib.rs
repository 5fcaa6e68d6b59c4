//! Security checks as data: tree-sitter patterns per language (`grammars/<lang>/security.scm`)
//! report the rules of one table (`grammars/security.toml`): SQL, shell and code injection,
//! hard-coded credentials, weak password hashes, unsafe deserialization, disabled TLS
//! verification, path traversal and SSRF from request input, unbounded C string functions.
//!
//! ```
//! use infill_security::SecurityRules;
//! use infill_syntax::LanguageRegistry;
//!
//! let python = LanguageRegistry::builtin().by_name("python").unwrap();
//! let rules = SecurityRules::builtin();
//! let text = "def find(cur, name):\n    q = \"SELECT * FROM users WHERE name = '\" + name + \"'\"\n    cur.execute(q)\n";
//! let findings = rules.check(text, &python);
//! assert_eq!(findings[0].rule_id, "sql-injection");
//! assert_eq!(findings[0].range.start.line, 2);
//! // A suggestion that adds nothing new is fine; one that builds SQL from a value is not.
//! let safe = rules.introduces_finding(text, &format!("{text}    cur.execute(\"SELECT 1\")\n"), &python);
//! assert!(safe.is_empty());
//! ```
//!
//! Data flow stays simple: a required kind (a string built from values, request input) must
//! appear in the flagged argument or in the value of one assignment, earlier in the same scope,
//! to a name the argument uses. A comment `infill-ignore: <rule-id>` on the line or the line
//! before silences a finding. The pattern conventions are in `docs/security.md`.

#![warn(missing_docs)]

mod engine;
mod finding;
mod patterns;
mod rules;
mod suppress;

pub mod corpus;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use infill_syntax::{Document, Language, LanguageRegistry};
use tree_sitter::Tree;

pub use finding::{Finding, SNIPPET_MAX_CHARS, TextRange};
pub use rules::{Rule, Severity};
pub use suppress::IGNORE_MARKER;

use patterns::LanguagePatterns;

/// The embedded rule table.
const BUILTIN_RULES: &str = include_str!("../../../grammars/security.toml");

/// The query kind (file stem under `grammars/<lang>/`) that holds a language's patterns.
pub const QUERY_KIND: &str = "security";

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The rule table is not TOML, or not its schema.
    #[error("the rule table is not valid: {0}")]
    Toml(toml::de::Error),
    /// A rule id is empty or not lowercase letters, digits and `-`.
    #[error("invalid rule id `{0}` (use lowercase letters, digits and `-`)")]
    InvalidRuleId(String),
    /// Two rules share an id.
    #[error("the rule `{0}` is defined twice")]
    DuplicateRule(String),
    /// A rule's field is invalid.
    #[error("rule `{rule}`: {reason}")]
    InvalidRule {
        /// The rule's id.
        rule: String,
        /// What is wrong.
        reason: String,
    },
    /// A language's patterns do not compile for its grammar.
    #[error("{language}/security.scm line {line}: {reason}")]
    Query {
        /// The language.
        language: String,
        /// 1-based line in the query source.
        line: usize,
        /// The compiler's message.
        reason: String,
    },
    /// A pattern compiles but breaks a convention (unknown rule, kind or property).
    #[error("{language}/security.scm, pattern at line {line}: {reason}")]
    Pattern {
        /// The language.
        language: String,
        /// 1-based line where the pattern starts.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The rule table and every language's patterns.
#[derive(Debug)]
pub struct SecurityRules {
    rules: Vec<Rule>,
    languages: HashMap<String, LanguageEntry>,
}

/// One language's patterns: compiled when first needed (the built-in rules, so a process pays
/// only for the languages it checks) or at load (rules that must be validated).
struct LanguageEntry {
    name: String,
    grammar: tree_sitter::Language,
    source: String,
    compiled: OnceLock<Option<LanguagePatterns>>,
}

impl std::fmt::Debug for LanguageEntry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LanguageEntry")
            .field("name", &self.name)
            .field("compiled", &self.compiled.get().map(Option::is_some))
            .finish()
    }
}

impl LanguageEntry {
    fn new(language: &Language, source: Option<String>) -> Option<LanguageEntry> {
        Some(LanguageEntry {
            name: language.name.clone(),
            grammar: language.ts_language()?,
            source: source?,
            compiled: OnceLock::new(),
        })
    }

    /// The compiled patterns; a compile error is logged once and leaves the language unchecked.
    fn patterns(&self, rules: &[Rule]) -> Option<&LanguagePatterns> {
        self.compiled
            .get_or_init(|| {
                match LanguagePatterns::compile(&self.name, &self.grammar, &self.source, rules) {
                    Ok(patterns) => Some(patterns),
                    Err(error) => {
                        tracing::error!(%error, "security patterns do not load");
                        None
                    }
                }
            })
            .as_ref()
    }
}

impl SecurityRules {
    /// The embedded rules for the built-in languages, parsed once per process; a language's
    /// patterns are compiled the first time a file of it is checked. A broken embedded file
    /// (which the tests catch) is logged and leaves its language unchecked.
    pub fn builtin() -> Arc<SecurityRules> {
        static BUILTIN: OnceLock<Arc<SecurityRules>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let registry = LanguageRegistry::builtin();
                let rules = rules::parse_rules(BUILTIN_RULES).unwrap_or_else(|error| {
                    tracing::error!(%error, "the built-in security rule table is invalid");
                    Vec::new()
                });
                let languages = registry
                    .languages()
                    .filter_map(|language| {
                        let source = language.query_source(QUERY_KIND).map(str::to_owned);
                        Some((language.name.clone(), LanguageEntry::new(language, source)?))
                    })
                    .collect();
                Arc::new(SecurityRules { rules, languages })
            })
            .clone()
    }

    /// The embedded rules, every language compiled now: the first error is returned, not
    /// logged.
    pub fn builtin_strict() -> Result<SecurityRules, RulesError> {
        let registry = LanguageRegistry::builtin();
        SecurityRules::from_sources(BUILTIN_RULES, &registry, |language| {
            language.query_source(QUERY_KIND).map(str::to_owned)
        })
    }

    /// Rules from a directory laid out like `grammars/`: `<dir>/security.toml` and
    /// `<dir>/<language>/security.scm` (a language without one uses the file of the language it
    /// `inherits` from; a file may start with `; inherits: <dir>` to put another directory's
    /// patterns first), for the languages of the built-in registry.
    pub fn load(dir: &Path) -> Result<SecurityRules, RulesError> {
        let table_path = dir.join("security.toml");
        let table = std::fs::read_to_string(&table_path)
            .map_err(|source| RulesError::Io { path: table_path, source })?;
        let registry = LanguageRegistry::builtin();
        let mut read_error = None;
        let rules = SecurityRules::from_sources(&table, &registry, |language| {
            let mut name = Some(language.name.clone());
            let mut hops = 0;
            while let Some(current) = name {
                let path = dir.join(&current).join(format!("{QUERY_KIND}.scm"));
                match read_with_inherits(dir, &path, 0) {
                    Ok(text) => return Some(text),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        read_error.get_or_insert(RulesError::Io { path, source });
                        return None;
                    }
                }
                hops += 1;
                name = registry
                    .by_name(&current)
                    .and_then(|language| language.inherits.clone())
                    .filter(|_| hops < 8);
            }
            None
        })?;
        match read_error {
            Some(error) => Err(error),
            None => Ok(rules),
        }
    }

    /// Rules from a rule table's text and each language's query source, compiled now.
    pub fn from_sources(
        rules_toml: &str,
        registry: &LanguageRegistry,
        mut query_for: impl FnMut(&Language) -> Option<String>,
    ) -> Result<SecurityRules, RulesError> {
        let rules = rules::parse_rules(rules_toml)?;
        let mut languages = HashMap::new();
        for language in registry.languages() {
            let Some(entry) = LanguageEntry::new(language, query_for(language)) else { continue };
            let patterns =
                LanguagePatterns::compile(&entry.name, &entry.grammar, &entry.source, &rules)?;
            let _ = entry.compiled.set(Some(patterns));
            languages.insert(language.name.clone(), entry);
        }
        Ok(SecurityRules { rules, languages })
    }

    /// Every rule of the table.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id == id)
    }

    /// Whether any pattern checks files of `language`.
    pub fn supports(&self, language: &Language) -> bool {
        self.languages.contains_key(&language.name)
    }

    /// A language's compiled patterns, compiling them on first use.
    fn patterns(&self, language: &Language) -> Option<&LanguagePatterns> {
        self.languages.get(&language.name)?.patterns(&self.rules)
    }

    /// The ids of the rules that have patterns for `language`.
    pub fn rules_for(&self, language: &Language) -> Vec<&str> {
        let Some(patterns) = self.patterns(language) else { return Vec::new() };
        let mut ids: Vec<&str> = patterns
            .roles
            .iter()
            .filter_map(|role| match role {
                patterns::Role::Finding(finding) => self.rules.get(finding.rule),
                _ => None,
            })
            .map(|rule| rule.id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The findings in `text`, parsed as `language`; none for a language without patterns.
    pub fn check(&self, text: &str, language: &Language) -> Vec<Finding> {
        if !self.supports(language) {
            return Vec::new();
        }
        match infill_syntax::parse(language, text) {
            Some(tree) => self.check_tree(text, &tree, language),
            None => Vec::new(),
        }
    }

    /// The findings in a syntax tree already parsed from `text` as `language`. A tree that
    /// reaches past the end of `text` (it was parsed from another text) is replaced by a
    /// fresh parse.
    pub fn check_tree(&self, text: &str, tree: &Tree, language: &Language) -> Vec<Finding> {
        let Some(patterns) = self.patterns(language) else { return Vec::new() };
        if tree.root_node().end_byte() > text.len() {
            return match infill_syntax::parse(language, text) {
                Some(fresh) => engine::run(patterns, &self.rules, language, text, &fresh),
                None => Vec::new(),
            };
        }
        engine::run(patterns, &self.rules, language, text, tree)
    }

    /// The findings in an open document, with its tree brought up to date first.
    pub fn check_document(&self, document: &mut Document) -> Vec<Finding> {
        let Some(language) = document.language().cloned() else { return Vec::new() };
        if !self.supports(&language) {
            return Vec::new();
        }
        let text = document.text();
        match document.parsed_tree() {
            Some(tree) => self.check_tree(&text, tree, &language),
            None => Vec::new(),
        }
    }

    /// The findings of `after` that `before` does not have: compared by rule and flagged text
    /// ([`Finding::identity`]), counted, so moving code does not make a finding new and a second
    /// copy of a flagged line does. For a suggestion: `before` is the document, `after` the
    /// document with the suggestion inserted.
    pub fn introduces_finding(
        &self,
        before: &str,
        after: &str,
        language: &Language,
    ) -> Vec<Finding> {
        if !self.supports(language) {
            return Vec::new();
        }
        new_findings(&self.check(before, language), self.check(after, language))
    }
}

/// The findings of `after` beyond those of `before`, by [`Finding::identity`] and count.
pub fn new_findings(before: &[Finding], after: Vec<Finding>) -> Vec<Finding> {
    let mut known: HashMap<(String, String), usize> = HashMap::new();
    for finding in before {
        *known.entry((finding.rule_id.clone(), finding.snippet.clone())).or_default() += 1;
    }
    let mut fresh = Vec::new();
    for finding in after {
        let key = (finding.rule_id.clone(), finding.snippet.clone());
        match known.get_mut(&key).filter(|count| **count > 0) {
            Some(count) => *count -= 1,
            None => fresh.push(finding),
        }
    }
    fresh
}

/// A query file with its `; inherits: a, b` first line expanded from `<dir>/a/security.scm`...
fn read_with_inherits(dir: &Path, path: &Path, depth: usize) -> std::io::Result<String> {
    let own = std::fs::read_to_string(path)?;
    let first = own.lines().next().unwrap_or_default();
    let Some(list) =
        first.strip_prefix(';').map(str::trim).and_then(|rest| rest.strip_prefix("inherits:"))
    else {
        return Ok(own);
    };
    let mut out = String::new();
    for parent in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
        if depth >= 8 {
            return Err(std::io::Error::other(format!("{}: inherits too deep", path.display())));
        }
        out.push_str(&read_with_inherits(
            dir,
            &dir.join(parent).join(format!("{QUERY_KIND}.scm")),
            depth + 1,
        )?);
        out.push('\n');
    }
    out.push_str(&own);
    Ok(out)
}
