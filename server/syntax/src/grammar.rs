//! The one table that maps a grammar name (the `grammar` key of `grammars/languages.toml`) to the
//! tree-sitter crate that implements it. This is the only place where a language is named in Rust
//! code; everything else about a language is data.

/// Every grammar name this build can load, in table order.
pub const GRAMMAR_NAMES: &[&str] = &[
    "rust",
    "python",
    "javascript",
    "typescript",
    "tsx",
    "go",
    "c",
    "cpp",
    "java",
    "c_sharp",
    "ruby",
    "bash",
    "lua",
];

/// The tree-sitter language for a grammar name, or `None` when this build has no such grammar.
pub fn grammar(name: &str) -> Option<tree_sitter::Language> {
    let function = match name {
        "rust" => tree_sitter_rust::LANGUAGE,
        "python" => tree_sitter_python::LANGUAGE,
        "javascript" => tree_sitter_javascript::LANGUAGE,
        "typescript" => tree_sitter_typescript::LANGUAGE_TYPESCRIPT,
        "tsx" => tree_sitter_typescript::LANGUAGE_TSX,
        "go" => tree_sitter_go::LANGUAGE,
        "c" => tree_sitter_c::LANGUAGE,
        "cpp" => tree_sitter_cpp::LANGUAGE,
        "java" => tree_sitter_java::LANGUAGE,
        "c_sharp" => tree_sitter_c_sharp::LANGUAGE,
        "ruby" => tree_sitter_ruby::LANGUAGE,
        "bash" => tree_sitter_bash::LANGUAGE,
        "lua" => tree_sitter_lua::LANGUAGE,
        _ => return None,
    };
    Some(function.into())
}
