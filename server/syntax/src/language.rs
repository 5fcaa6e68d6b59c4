//! The language registry: what `grammars/languages.toml` says about each language (file names,
//! comment tokens, import style) joined with its tree-sitter grammar and its embedded queries.
//! Languages are data; Rust code looks them up here and never matches on their names.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::grammar::grammar;
use crate::queries;
use crate::table::{
    ActionRules, ImportRules, LanguageEntry, LanguageTable, NodeKinds, known_styles,
};

/// The query kinds the other crates run; any other `.scm` file is embedded too.
pub const QUERY_KINDS: &[&str] = &["definitions", "imports"];

/// Why a language table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LanguageError {
    /// The text is not TOML, or not the table's schema (an unknown key, a wrong type).
    #[error("the language table is not valid TOML for it: {0}")]
    Toml(#[from] toml::de::Error),
    /// A `[[language]]` entry without a name.
    #[error("a language entry has an empty name")]
    EmptyName,
    /// Two languages claim one name, alias, file name or extension.
    #[error("the {what} `{key}` belongs to both `{first}` and `{second}`")]
    Conflict {
        /// `name`, `file name` or `extension`.
        what: &'static str,
        /// The contested value.
        key: String,
        /// The language that claimed it first.
        first: String,
        /// The language that claimed it again.
        second: String,
    },
    /// `[language.imports] style` names no known import style.
    #[error(
        "language `{language}`: unknown import style `{style}` (known styles: {})",
        known_styles()
    )]
    UnknownImportStyle {
        /// The language whose table says it.
        language: String,
        /// The style as written.
        style: String,
    },
    /// `inherits` names a language that is not in the table.
    #[error("language `{language}` inherits from `{parent}`, which is not in the table")]
    UnknownParent {
        /// The inheriting language.
        language: String,
        /// The missing parent.
        parent: String,
    },
    /// Following `inherits` comes back to where it started.
    #[error("language `{language}` inherits from itself (an `inherits` cycle)")]
    InheritanceCycle {
        /// A language on the cycle.
        language: String,
    },
    /// A query file's `; inherits:` line names a directory without that query file.
    #[error("query file `{file}` inherits from `{parent}`, which has no such query file")]
    InheritedQuery {
        /// `<directory>/<kind>.scm`.
        file: String,
        /// The directory named by the directive.
        parent: String,
    },
}

/// One language: its entry in the language table plus lazily compiled queries.
pub struct Language {
    /// The language's name, also the directory of its queries under `grammars/`.
    pub name: String,
    /// Key into the grammar table; `None` for a language without a tree-sitter grammar.
    pub grammar: Option<String>,
    /// File extensions without the dot, e.g. `rs` or `d.ts`.
    pub extensions: Vec<String>,
    /// Whole file names, e.g. `Rakefile`.
    pub filenames: Vec<String>,
    /// Other names for the language, e.g. LSP language ids such as `typescriptreact`.
    pub aliases: Vec<String>,
    /// The token that starts a line comment.
    pub line_comment: Option<String>,
    /// `(open, close)` tokens of a block comment.
    pub block_comment: Option<(String, String)>,
    /// The language whose query files this one uses where it has none of its own.
    pub inherits: Option<String>,
    /// Keywords that open a block when they end a line (`do`, `then`); read where no syntax
    /// tree is at hand.
    pub block_keywords: Vec<String>,
    /// Whether indentation is syntax (the offside rule): the statements of a block start in one
    /// column, and a block is its indented lines.
    pub significant_indentation: bool,
    /// Node kinds of its grammar that the completion pipeline reads.
    pub node_kinds: NodeKinds,
    /// How imports resolve to files; `None` when the table has no `[language.imports]`.
    pub imports: Option<ImportRules>,
    /// What code actions need: the doc-comment form and where tests go.
    pub actions: ActionRules,
    queries: Vec<LazyQuery>,
}

struct LazyQuery {
    kind: String,
    source: String,
    compiled: OnceLock<Option<tree_sitter::Query>>,
}

impl Language {
    /// The tree-sitter grammar; `None` for plain text or a grammar this build does not have.
    pub fn ts_language(&self) -> Option<tree_sitter::Language> {
        self.grammar.as_deref().and_then(grammar)
    }

    /// The query source of `kind` (one of [`QUERY_KINDS`] or any other query file name): the
    /// language's own `grammars/<name>/<kind>.scm` with its `; inherits:` line expanded, or else
    /// the query of the language it [`inherits`](Language::inherits) from.
    pub fn query_source(&self, kind: &str) -> Option<&str> {
        self.lazy_query(kind).map(|query| query.source.as_str())
    }

    /// The compiled query of `kind`, compiled once on first use. A query that fails to compile is
    /// logged and yields `None`, as does a language without a grammar.
    pub fn query(&self, kind: &str) -> Option<&tree_sitter::Query> {
        let lazy = self.lazy_query(kind)?;
        lazy.compiled
            .get_or_init(|| {
                let ts_language = self.ts_language()?;
                match tree_sitter::Query::new(&ts_language, &lazy.source) {
                    Ok(query) => Some(query),
                    Err(error) => {
                        tracing::warn!(
                            language = %self.name,
                            kind = %lazy.kind,
                            %error,
                            "query does not compile; ignoring it"
                        );
                        None
                    }
                }
            })
            .as_ref()
    }

    fn lazy_query(&self, kind: &str) -> Option<&LazyQuery> {
        self.queries.iter().find(|query| query.kind == kind)
    }

    fn from_entry(
        entry: LanguageEntry,
        queries: Vec<(String, String)>,
    ) -> Result<Language, LanguageError> {
        let imports =
            entry.imports.map(|imports| ImportRules::parse(&entry.name, imports)).transpose()?;
        let queries = queries
            .into_iter()
            .map(|(kind, source)| LazyQuery { kind, source, compiled: OnceLock::new() })
            .collect();
        Ok(Language {
            name: entry.name,
            grammar: entry.grammar,
            extensions: entry.extensions,
            filenames: entry.filenames,
            aliases: entry.aliases,
            line_comment: entry.line_comment,
            block_comment: entry.block_comment,
            inherits: entry.inherits,
            block_keywords: entry.block_keywords,
            significant_indentation: entry.significant_indentation,
            node_kinds: entry.node_kinds,
            imports,
            actions: entry.actions,
            queries,
        })
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query_kinds: Vec<&str> = self.queries.iter().map(|query| query.kind.as_str()).collect();
        formatter
            .debug_struct("Language")
            .field("name", &self.name)
            .field("grammar", &self.grammar)
            .field("extensions", &self.extensions)
            .field("filenames", &self.filenames)
            .field("aliases", &self.aliases)
            .field("line_comment", &self.line_comment)
            .field("block_comment", &self.block_comment)
            .field("inherits", &self.inherits)
            .field("block_keywords", &self.block_keywords)
            .field("significant_indentation", &self.significant_indentation)
            .field("node_kinds", &self.node_kinds)
            .field("imports", &self.imports)
            .field("actions", &self.actions)
            .field("query_kinds", &query_kinds)
            .finish()
    }
}

/// All known languages, indexed by name, alias, file name and extension.
#[derive(Debug, Default)]
pub struct LanguageRegistry {
    languages: Vec<Arc<Language>>,
    by_name: HashMap<String, usize>,
    by_filename: HashMap<String, usize>,
    by_extension: HashMap<String, usize>,
}

impl LanguageRegistry {
    /// The registry from the embedded `grammars/languages.toml`, parsed once per process. An
    /// invalid embedded table (caught by the tests) is logged and yields an empty registry.
    pub fn builtin() -> Arc<LanguageRegistry> {
        static BUILTIN: OnceLock<Arc<LanguageRegistry>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| match LanguageRegistry::from_toml(queries::LANGUAGES_TOML) {
                Ok(registry) => Arc::new(registry),
                Err(error) => {
                    tracing::error!(%error, "the built-in languages.toml is invalid");
                    Arc::new(LanguageRegistry::default())
                }
            })
            .clone()
    }

    /// Parses a language table in the format of `grammars/languages.toml`.
    pub fn from_toml(text: &str) -> Result<LanguageRegistry, LanguageError> {
        let table: LanguageTable = toml::from_str(text)?;
        let names: Vec<&str> = table.language.iter().map(|entry| entry.name.as_str()).collect();
        let inherits: HashMap<&str, &str> = table
            .language
            .iter()
            .filter_map(|entry| Some((entry.name.as_str(), entry.inherits.as_deref()?)))
            .collect();
        let mut queries = queries::resolve_all(&names, &inherits)?;
        let mut registry = LanguageRegistry::default();
        for entry in table.language {
            let own = queries.remove(&entry.name).unwrap_or_default();
            registry.add(Language::from_entry(entry, own)?)?;
        }
        Ok(registry)
    }

    /// The language of a file: by its whole file name first, then by its longest known extension
    /// (`x.d.ts` tries `d.ts`, then `ts`); exact spelling first, then lowercase.
    pub fn for_path(&self, path: &Path) -> Option<Arc<Language>> {
        let file_name = path.file_name()?.to_str()?;
        let index = self.by_filename.get(file_name).copied().or_else(|| {
            let dots = file_name.char_indices().filter(|&(at, c)| c == '.' && at > 0);
            dots.map(|(at, _)| &file_name[at + 1..]).find_map(|extension| {
                self.by_extension
                    .get(extension)
                    .or_else(|| self.by_extension.get(&extension.to_lowercase()))
                    .copied()
            })
        })?;
        self.languages.get(index).cloned()
    }

    /// The language with this name or alias (e.g. an LSP language id); exact, then lowercase.
    pub fn by_name(&self, name: &str) -> Option<Arc<Language>> {
        let index =
            self.by_name.get(name).or_else(|| self.by_name.get(&name.to_lowercase())).copied()?;
        self.languages.get(index).cloned()
    }

    /// Every language, in table order.
    pub fn languages(&self) -> impl Iterator<Item = &Arc<Language>> {
        self.languages.iter()
    }

    fn add(&mut self, language: Language) -> Result<(), LanguageError> {
        if language.name.trim().is_empty() {
            return Err(LanguageError::EmptyName);
        }
        let index = self.languages.len();
        let names = std::iter::once(&language.name).chain(&language.aliases);
        for name in names {
            claim(&mut self.by_name, &self.languages, "name", name, index, &language.name)?;
        }
        for filename in &language.filenames {
            claim(
                &mut self.by_filename,
                &self.languages,
                "file name",
                filename,
                index,
                &language.name,
            )?;
        }
        for extension in &language.extensions {
            let extension = extension.trim_start_matches('.');
            claim(
                &mut self.by_extension,
                &self.languages,
                "extension",
                extension,
                index,
                &language.name,
            )?;
        }
        if let Some(grammar_name) = &language.grammar
            && grammar(grammar_name).is_none()
        {
            tracing::warn!(language = %language.name, grammar = %grammar_name, "unknown grammar; the language will be plain text");
        }
        self.languages.push(Arc::new(language));
        Ok(())
    }
}

/// Records `key -> index` unless another language already holds the key.
fn claim(
    map: &mut HashMap<String, usize>,
    languages: &[Arc<Language>],
    what: &'static str,
    key: &str,
    index: usize,
    name: &str,
) -> Result<(), LanguageError> {
    match map.get(key) {
        Some(&other) if other != index => Err(LanguageError::Conflict {
            what,
            key: key.to_owned(),
            first: languages.get(other).map(|language| language.name.clone()).unwrap_or_default(),
            second: name.to_owned(),
        }),
        _ => {
            map.insert(key.to_owned(), index);
            Ok(())
        }
    }
}
