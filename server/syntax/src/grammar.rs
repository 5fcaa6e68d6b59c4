//! The one table that maps a grammar name (the `grammar` key of `grammars/languages.toml`) to the
//! tree-sitter crate that implements it. This is the only place where a grammar is named in Rust
//! code; everything else about a language is data.

use tree_sitter_language::LanguageFn;

/// `(grammar name, grammar)` for every grammar this build can load, in table order.
const GRAMMARS: &[(&str, LanguageFn)] = &[
    ("rust", tree_sitter_rust::LANGUAGE),
    ("python", tree_sitter_python::LANGUAGE),
    ("javascript", tree_sitter_javascript::LANGUAGE),
    ("typescript", tree_sitter_typescript::LANGUAGE_TYPESCRIPT),
    ("tsx", tree_sitter_typescript::LANGUAGE_TSX),
    ("go", tree_sitter_go::LANGUAGE),
    ("c", tree_sitter_c::LANGUAGE),
    ("cpp", tree_sitter_cpp::LANGUAGE),
    ("java", tree_sitter_java::LANGUAGE),
    ("c_sharp", tree_sitter_c_sharp::LANGUAGE),
    ("ruby", tree_sitter_ruby::LANGUAGE),
    ("bash", tree_sitter_bash::LANGUAGE),
    ("lua", tree_sitter_lua::LANGUAGE),
];

/// Every grammar name this build can load, in table order.
pub fn grammar_names() -> impl ExactSizeIterator<Item = &'static str> {
    GRAMMARS.iter().map(|(name, _)| *name)
}

/// The tree-sitter language for a grammar name, or `None` when this build has no such grammar.
pub fn grammar(name: &str) -> Option<tree_sitter::Language> {
    GRAMMARS.iter().find(|(known, _)| *known == name).map(|(_, function)| (*function).into())
}
