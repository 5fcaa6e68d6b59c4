//! The language registry: the embedded table loads, every grammar loads, lookups by path, name
//! and alias, embedded queries compile, and bad tables are rejected with a reason.

use std::path::Path;

use infill_syntax::{GRAMMAR_NAMES, LanguageError, LanguageRegistry, QUERY_KINDS, parse};

fn language_name_for(path: &str) -> Option<String> {
    LanguageRegistry::builtin().for_path(Path::new(path)).map(|language| language.name.clone())
}

#[test]
fn builtin_table_parses_and_has_the_core_languages() {
    let text = include_str!("../../../grammars/languages.toml");
    LanguageRegistry::from_toml(text).expect("grammars/languages.toml is valid");
    let registry = LanguageRegistry::builtin();
    let names: Vec<&str> = registry.languages().map(|language| language.name.as_str()).collect();
    for name in [
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
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
}

#[test]
fn every_language_has_a_grammar_that_loads_and_parses() {
    for language in LanguageRegistry::builtin().languages() {
        let ts_language = language.ts_language().unwrap_or_else(|| panic!("{language:?}"));
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&ts_language)
            .unwrap_or_else(|error| panic!("{}: {error}", language.name));
        let tree =
            parse(language, "x").unwrap_or_else(|| panic!("{} does not parse", language.name));
        assert_eq!(tree.root_node().end_byte(), 1);
    }
}

#[test]
fn every_grammar_in_the_table_is_used_by_a_language() {
    let registry = LanguageRegistry::builtin();
    for grammar in GRAMMAR_NAMES {
        assert!(
            registry.languages().any(|language| language.grammar.as_deref() == Some(grammar)),
            "grammar {grammar} has no language"
        );
    }
}

#[test]
fn every_language_has_comment_tokens_and_an_import_style() {
    for language in LanguageRegistry::builtin().languages() {
        assert!(language.line_comment.is_some(), "{}", language.name);
        let style = language
            .imports
            .as_ref()
            .and_then(|imports| imports.get("style"))
            .and_then(|style| style.as_str());
        assert!(
            style.is_some_and(|style| !style.is_empty()),
            "{} lacks imports.style",
            language.name
        );
    }
    let rust = LanguageRegistry::builtin().by_name("rust").expect("rust");
    assert_eq!(rust.block_comment, Some(("/*".to_owned(), "*/".to_owned())));
    let style = rust.imports.as_ref().and_then(|imports| imports.get("style")).cloned();
    assert_eq!(style, Some(toml::Value::String("rust-mod".to_owned())));
}

#[test]
fn for_path_by_file_name_then_longest_extension() {
    let cases = [
        ("src/main.rs", Some("rust")),
        ("/abs/pkg/__init__.py", Some("python")),
        ("app.jsx", Some("javascript")),
        ("index.mjs", Some("javascript")),
        ("lib.cjs", Some("javascript")),
        ("types.d.ts", Some("typescript")),
        ("x.mts", Some("typescript")),
        ("App.tsx", Some("tsx")),
        ("main.go", Some("go")),
        ("stdio.h", Some("c")),
        ("vector.hpp", Some("cpp")),
        ("a.cc", Some("cpp")),
        ("Main.java", Some("java")),
        ("Program.cs", Some("c_sharp")),
        ("Rakefile", Some("ruby")),
        ("project/Gemfile", Some("ruby")),
        ("x.rb", Some("ruby")),
        ("/home/u/.bashrc", Some("bash")),
        ("build.sh", Some("bash")),
        ("init.lua", Some("lua")),
        ("MAIN.RS", Some("rust")),
        ("README.md", None),
        ("Makefile", None),
        ("noextension", None),
        (".rs", None),
        ("", None),
    ];
    for (path, expected) in cases {
        assert_eq!(language_name_for(path).as_deref(), expected, "{path}");
    }
}

#[test]
fn by_name_accepts_lsp_language_ids() {
    let registry = LanguageRegistry::builtin();
    let cases = [
        ("rust", "rust"),
        ("typescriptreact", "tsx"),
        ("javascriptreact", "javascript"),
        ("shellscript", "bash"),
        ("csharp", "c_sharp"),
        ("cpp", "cpp"),
        ("Python", "python"),
    ];
    for (id, expected) in cases {
        let language = registry.by_name(id).unwrap_or_else(|| panic!("{id} is unknown"));
        assert_eq!(language.name, expected, "{id}");
    }
    assert!(registry.by_name("plaintext").is_none());
    assert!(registry.by_name("").is_none());
}

#[test]
fn embedded_queries_compile() {
    for language in LanguageRegistry::builtin().languages() {
        for kind in QUERY_KINDS {
            if language.query_source(kind).is_some() {
                assert!(
                    language.query(kind).is_some(),
                    "{}/{kind}.scm does not compile",
                    language.name
                );
            } else {
                assert!(language.query(kind).is_none());
            }
        }
        assert!(language.query_source("no-such-kind").is_none());
    }
}

#[test]
fn queries_come_from_the_languages_directory_then_queries_from() {
    let table = r#"
        [[language]]
        name = "no-such-directory"
        grammar = "rust"
        extensions = ["nsd"]
        queries_from = "also-missing"
    "#;
    let registry = LanguageRegistry::from_toml(table).expect("valid table");
    let language = registry.for_path(Path::new("a.nsd")).expect("registered by extension");
    for kind in QUERY_KINDS {
        assert!(language.query_source(kind).is_none());
        assert!(language.query(kind).is_none());
    }
    assert!(language.ts_language().is_some());
}

#[test]
fn unknown_grammar_is_plain_text() {
    let table =
        "[[language]]\nname = \"notes\"\ngrammar = \"no-such-grammar\"\nextensions = [\"note\"]\n";
    let registry = LanguageRegistry::from_toml(table).expect("valid table");
    let language = registry.by_name("notes").expect("registered");
    assert!(language.ts_language().is_none());
    assert!(parse(&language, "anything").is_none());
    assert!(language.query("definitions").is_none());
}

#[test]
fn conflicting_and_malformed_tables_are_errors() {
    let duplicate_extension = r#"
        [[language]]
        name = "one"
        extensions = ["x"]
        [[language]]
        name = "two"
        extensions = ["x"]
    "#;
    assert!(matches!(
        LanguageRegistry::from_toml(duplicate_extension),
        Err(LanguageError::Conflict { what: "extension", .. })
    ));
    let alias_is_other_name = r#"
        [[language]]
        name = "one"
        [[language]]
        name = "two"
        aliases = ["one"]
    "#;
    assert!(matches!(
        LanguageRegistry::from_toml(alias_is_other_name),
        Err(LanguageError::Conflict { .. })
    ));
    assert!(matches!(
        LanguageRegistry::from_toml("[[language]]\nname = \"\"\n"),
        Err(LanguageError::EmptyName)
    ));
    assert!(matches!(
        LanguageRegistry::from_toml("[[language]]\nname = \"x\"\nextention = [\"x\"]\n"),
        Err(LanguageError::Toml(_))
    ));
    assert!(matches!(LanguageRegistry::from_toml("not toml ["), Err(LanguageError::Toml(_))));
    assert!(LanguageRegistry::from_toml("").expect("empty table").languages().next().is_none());
}
