//! The schema of `grammars/languages.toml`: what one `[[language]]` entry may say, parsed into
//! typed values when the registry loads, so a misspelt key or an unknown import style is an error
//! at load time instead of a language that silently resolves nothing.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::language::LanguageError;

/// The shape of `languages.toml`: a list of `[[language]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LanguageTable {
    #[serde(default)]
    pub language: Vec<LanguageEntry>,
}

/// One `[[language]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LanguageEntry {
    pub name: String,
    #[serde(default)]
    pub grammar: Option<String>,
    #[serde(default)]
    pub extensions: Vec<String>,
    #[serde(default)]
    pub filenames: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub line_comment: Option<String>,
    #[serde(default)]
    pub block_comment: Option<(String, String)>,
    #[serde(default)]
    pub inherits: Option<String>,
    #[serde(default)]
    pub block_keywords: Vec<String>,
    #[serde(default)]
    pub significant_indentation: bool,
    #[serde(default)]
    pub node_kinds: NodeKinds,
    #[serde(default)]
    pub imports: Option<ImportsEntry>,
    #[serde(default)]
    pub actions: ActionRules,
}

/// The `[language.imports]` table as written; `style` is checked by [`ImportRules::parse`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportsEntry {
    style: String,
    #[serde(default)]
    extensions: Vec<String>,
    #[serde(default)]
    index_files: Vec<String>,
    #[serde(default)]
    source_roots: Vec<String>,
    #[serde(default)]
    project_files: Vec<String>,
}

/// How a language's imports resolve to files: its `[language.imports]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRules {
    /// The resolution strategy.
    pub style: ImportStyle,
    /// File extensions to probe, without the leading dot, in order (`ecmascript`, `c-include`,
    /// `java`, `ruby`, `lua`, `path`).
    pub extensions: Vec<String>,
    /// Names of a directory's index module, without extension (`ecmascript`'s `index`).
    pub index_files: Vec<String>,
    /// Directories under a workspace root that act as import roots (`src`, `lib`, `include`).
    pub source_roots: Vec<String>,
    /// Project files that steer resolution (`go.mod`, `tsconfig.json`, `Cargo.toml`), read by
    /// the style's resolver when the workspace walk meets them.
    pub project_files: Vec<String>,
}

impl ImportRules {
    /// Checks the style of a written table; `language` names the entry for the error.
    pub(crate) fn parse(language: &str, entry: ImportsEntry) -> Result<ImportRules, LanguageError> {
        let style = entry.style.parse().map_err(|UnknownImportStyle(style)| {
            LanguageError::UnknownImportStyle { language: language.to_owned(), style }
        })?;
        // Leading dots are tolerated (`.ts` and `ts` mean the same).
        let clean = |list: Vec<String>| -> Vec<String> {
            list.into_iter().map(|item| item.trim_start_matches('.').to_owned()).collect()
        };
        Ok(ImportRules {
            style,
            extensions: clean(entry.extensions),
            index_files: clean(entry.index_files),
            source_roots: clean(entry.source_roots),
            project_files: entry.project_files,
        })
    }
}

/// An import resolution strategy, named by `style` in `[language.imports]`. Strategies are
/// named after how imports are written, never after a single language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportStyle {
    /// Dotted modules and packages (`__init__.py`), relative imports.
    Python,
    /// Relative paths with extension and index probing, tsconfig `baseUrl`/`paths`.
    Ecmascript,
    /// `mod x;`, `use crate::/self::/super::` and workspace crates.
    RustMod,
    /// Package import paths inside a module (`go.mod`).
    Go,
    /// `#include "…"` relative to the file, its ancestors and include directories.
    CInclude,
    /// `import a.b.C` through declared packages, then directories.
    Java,
    /// `using A.B` through declared namespaces.
    Csharp,
    /// `require_relative` and `require` against source roots.
    Ruby,
    /// `require("a.b")` → `a/b.<ext>`, `a/b/init.<ext>`.
    Lua,
    /// Plain paths relative to the file, then to the roots.
    Path,
    /// Nothing resolves.
    None,
}

impl ImportStyle {
    /// Every style, in the order the documentation lists them.
    pub const ALL: [ImportStyle; 11] = [
        ImportStyle::Python,
        ImportStyle::Ecmascript,
        ImportStyle::RustMod,
        ImportStyle::Go,
        ImportStyle::CInclude,
        ImportStyle::Java,
        ImportStyle::Csharp,
        ImportStyle::Ruby,
        ImportStyle::Lua,
        ImportStyle::Path,
        ImportStyle::None,
    ];

    /// The name written in `languages.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStyle::Python => "python",
            ImportStyle::Ecmascript => "ecmascript",
            ImportStyle::RustMod => "rust-mod",
            ImportStyle::Go => "go",
            ImportStyle::CInclude => "c-include",
            ImportStyle::Java => "java",
            ImportStyle::Csharp => "csharp",
            ImportStyle::Ruby => "ruby",
            ImportStyle::Lua => "lua",
            ImportStyle::Path => "path",
            ImportStyle::None => "none",
        }
    }
}

impl fmt::Display for ImportStyle {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A `style` string that names no [`ImportStyle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownImportStyle(pub String);

impl FromStr for ImportStyle {
    type Err = UnknownImportStyle;

    fn from_str(text: &str) -> Result<ImportStyle, UnknownImportStyle> {
        ImportStyle::ALL
            .into_iter()
            .find(|style| style.as_str() == text)
            .ok_or_else(|| UnknownImportStyle(text.to_owned()))
    }
}

/// The names every known style is written as, for error messages.
pub(crate) fn known_styles() -> String {
    let names: Vec<&str> = ImportStyle::ALL.iter().map(|style| style.as_str()).collect();
    names.join(", ")
}

/// Named tree-sitter node kinds of a grammar that mean something to the completion pipeline:
/// the `[language.node_kinds]` table. Exact kind names, so no code guesses from a kind's
/// spelling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeKinds {
    /// Comments (and their parts).
    #[serde(default)]
    pub comment: Vec<String>,
    /// String and character literals (and their parts).
    #[serde(default)]
    pub string: Vec<String>,
    /// Code inside a string literal: substitutions and interpolations (checked before
    /// `string`, so a kind in both counts as code).
    #[serde(default)]
    pub string_code: Vec<String>,
    /// Block-like nodes: the body a `def f():` or `{` opens.
    #[serde(default)]
    pub block: Vec<String>,
}

impl NodeKinds {
    /// Whether `kind` is a comment.
    pub fn is_comment(&self, kind: &str) -> bool {
        self.comment.iter().any(|listed| listed == kind)
    }

    /// Whether `kind` is a string or character literal.
    pub fn is_string(&self, kind: &str) -> bool {
        self.string.iter().any(|listed| listed == kind)
    }

    /// Whether `kind` is code substituted into a string.
    pub fn is_string_code(&self, kind: &str) -> bool {
        self.string_code.iter().any(|listed| listed == kind)
    }

    /// Whether `kind` is a block-like node.
    pub fn is_block(&self, kind: &str) -> bool {
        self.block.iter().any(|listed| listed == kind)
    }

    /// Every listed kind, for checks against the grammar.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        [&self.comment, &self.string, &self.string_code, &self.block]
            .into_iter()
            .flatten()
            .map(String::as_str)
    }
}

/// What code actions need to know about a language: the `[language.actions]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRules {
    /// How a definition is documented; `None`: "Add documentation" is not offered.
    #[serde(default)]
    pub doc: Option<DocStyle>,
    /// Where generated tests go; `None`: "Generate unit tests" is not offered.
    #[serde(default)]
    pub tests: Option<TestRules>,
}

/// A language's documentation-comment form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "style", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DocStyle {
    /// Lines before the definition, each starting with `prefix` (`/// `, `// `, `# `).
    Line {
        /// The start of each line, its trailing space included.
        prefix: String,
    },
    /// A block comment before the definition: `open` on its own line, each line starting with
    /// `prefix`, then `close` (`/**`, ` * `, ` */`).
    Block {
        /// The opening line.
        open: String,
        /// The start of each inner line.
        prefix: String,
        /// The closing line.
        close: String,
    },
    /// A string literal as the first statement of the definition's body (`"""`).
    Docstring {
        /// The quote that opens and closes it.
        quote: String,
    },
}

/// Where a language's tests live and how they are written: `[language.actions.tests]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRules {
    /// The test file for a source file, as a template: `{root}` (the workspace root), `{dir}`
    /// (the source's directory), `{stem}` (its file name without extension), `{Stem}` (the same,
    /// first letter upper-case), `{ext}`. With `placement = "same-file"` this is unused.
    #[serde(default)]
    pub path: String,
    /// The framework and conventions, as the prompt names them (`pytest`, `JUnit 5`...).
    pub framework: String,
    /// Whether tests go to a file of their own or at the end of the source file.
    #[serde(default)]
    pub placement: TestPlacement,
}

/// Where generated tests are placed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestPlacement {
    /// A test file of their own, at [`TestRules::path`] (created if missing, else appended to).
    #[default]
    NewFile,
    /// Appended to the source file (Rust's `#[cfg(test)] mod tests`).
    SameFile,
}

impl TestRules {
    /// The test file's path for `source` under the workspace `root`.
    pub fn test_path(
        &self,
        root: &std::path::Path,
        source: &std::path::Path,
    ) -> std::path::PathBuf {
        let stem = source.file_stem().and_then(|s| s.to_str()).unwrap_or("module");
        let mut upper = stem.chars();
        let upper_stem: String = match upper.next() {
            Some(first) => first.to_uppercase().chain(upper).collect(),
            None => String::new(),
        };
        let ext = source.extension().and_then(|s| s.to_str()).unwrap_or("");
        let dir = source.parent().unwrap_or(root);
        let path = self
            .path
            .replace("{root}", &root.to_string_lossy())
            .replace("{dir}", &dir.to_string_lossy())
            .replace("{Stem}", &upper_stem)
            .replace("{stem}", stem)
            .replace("{ext}", ext);
        std::path::PathBuf::from(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_round_trip_through_their_names() {
        for style in ImportStyle::ALL {
            assert_eq!(style.as_str().parse::<ImportStyle>(), Ok(style));
        }
        assert_eq!("pythn".parse::<ImportStyle>(), Err(UnknownImportStyle("pythn".to_owned())));
        assert!(known_styles().contains("rust-mod"));
    }

    #[test]
    fn node_kinds_match_exactly() {
        let kinds = NodeKinds {
            comment: vec!["line_comment".to_owned()],
            string_code: vec!["interpolation".to_owned()],
            ..NodeKinds::default()
        };
        assert!(kinds.is_comment("line_comment"));
        assert!(!kinds.is_comment("comment"));
        assert!(kinds.is_string_code("interpolation"));
        assert!(!kinds.is_string("interpolation"));
        assert_eq!(kinds.all().count(), 2);
    }
}
