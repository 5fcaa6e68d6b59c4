//! The language registry: the embedded table loads, every grammar loads, lookups by path, name
//! and alias, embedded queries compile, and bad tables are rejected with a reason.

use std::path::Path;

use infill_syntax::{
    ImportStyle, LanguageError, LanguageRegistry, QUERY_KINDS, grammar_names, parse,
};

fn language_name_for(path: &str) -> Option<String> {
    LanguageRegistry::builtin().for_path(Path::new(path)).map(|language| language.name.clone())
}

#[test]
fn builtin_table_parses_and_has_a_language_per_grammar() {
    let text = include_str!("../../../grammars/languages.toml");
    LanguageRegistry::from_toml(text).expect("grammars/languages.toml is valid");
    let registry = LanguageRegistry::builtin();
    let names: Vec<&str> = registry.languages().map(|language| language.name.as_str()).collect();
    // The grammar table is the one list of grammars; each has a language of the same name.
    for grammar in grammar_names() {
        assert!(names.contains(&grammar), "{grammar} missing from {names:?}");
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
    for grammar in grammar_names() {
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
        assert!(language.imports.is_some(), "{} lacks [language.imports]", language.name);
    }
    let rust = LanguageRegistry::builtin().by_name("rust").expect("rust");
    assert_eq!(rust.block_comment, Some(("/*".to_owned(), "*/".to_owned())));
    let style = rust.imports.as_ref().map(|imports| imports.style);
    assert_eq!(style, Some(ImportStyle::RustMod));
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
fn a_language_without_query_files_has_no_queries() {
    let table = r#"
        [[language]]
        name = "no-such-directory"
        grammar = "rust"
        extensions = ["nsd"]
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
fn inherits_gives_the_parents_queries_unless_the_language_has_its_own() {
    let table = r#"
        [[language]]
        name = "rust"
        grammar = "rust"
        [[language]]
        name = "no-such-directory"
        grammar = "rust"
        inherits = "rust"
        [[language]]
        name = "python"
        grammar = "python"
        inherits = "rust"
    "#;
    let registry = LanguageRegistry::from_toml(table).expect("valid table");
    let rust = registry.by_name("rust").expect("rust");
    let child = registry.by_name("no-such-directory").expect("child");
    for kind in QUERY_KINDS {
        assert!(rust.query_source(kind).is_some(), "rust has {kind}");
        assert_eq!(child.query_source(kind), rust.query_source(kind), "{kind} is inherited");
        assert!(child.query(kind).is_some(), "the inherited {kind} compiles");
    }
    // A language with its own file keeps it.
    let python = registry.by_name("python").expect("python");
    assert_eq!(
        python.query_source("definitions"),
        Some(include_str!("../../../grammars/python/definitions.scm"))
    );
    // The built-in tsx language has no query files: it inherits TypeScript's.
    let builtin = LanguageRegistry::builtin();
    let (tsx, typescript) =
        (builtin.by_name("tsx").unwrap(), builtin.by_name("typescript").unwrap());
    assert_eq!(tsx.query_source("definitions"), typescript.query_source("definitions"));
}

#[test]
fn an_inherits_line_puts_the_parents_patterns_first() {
    let registry = LanguageRegistry::builtin();
    let javascript = registry.by_name("javascript").unwrap();
    let typescript = registry.by_name("typescript").unwrap();
    let own = include_str!("../../../grammars/typescript/imports.scm");
    assert!(own.starts_with("; inherits: javascript"));
    let imports = typescript.query_source("imports").expect("typescript imports");
    assert!(imports.starts_with(javascript.query_source("imports").unwrap()));
    assert!(imports.ends_with(own));
    assert!(typescript.query("imports").is_some());
}

#[test]
fn bad_inheritance_is_an_error() {
    let unknown = "[[language]]\nname = \"a\"\ninherits = \"nobody\"\n";
    assert!(matches!(
        LanguageRegistry::from_toml(unknown),
        Err(LanguageError::UnknownParent { language, parent }) if language == "a" && parent == "nobody"
    ));
    let cycle = r#"
        [[language]]
        name = "a"
        inherits = "b"
        [[language]]
        name = "b"
        inherits = "a"
    "#;
    assert!(matches!(
        LanguageRegistry::from_toml(cycle),
        Err(LanguageError::InheritanceCycle { .. })
    ));
}

#[test]
fn unknown_import_style_is_a_clear_error() {
    let table = r#"
        [[language]]
        name = "x"
        [language.imports]
        style = "pythn"
    "#;
    let error = LanguageRegistry::from_toml(table).expect_err("unknown style");
    assert!(matches!(
        &error,
        LanguageError::UnknownImportStyle { language, style } if language == "x" && style == "pythn"
    ));
    let message = error.to_string();
    assert!(message.contains("`pythn`") && message.contains("rust-mod"), "{message}");
    // Unknown keys of the imports table are errors too, not silently ignored.
    let misspelt =
        "[[language]]\nname = \"x\"\n[language.imports]\nstyle = \"go\"\nextentions = []\n";
    assert!(matches!(LanguageRegistry::from_toml(misspelt), Err(LanguageError::Toml(_))));
    let ok = "[[language]]\nname = \"x\"\n[language.imports]\nstyle = \"c-include\"\nextensions = [\".h\"]\n";
    let registry = LanguageRegistry::from_toml(ok).expect("valid");
    let rules = registry.by_name("x").unwrap().imports.clone().unwrap();
    assert_eq!(rules.style, ImportStyle::CInclude);
    assert_eq!(rules.extensions, ["h"]);
}

#[test]
fn every_listed_node_kind_is_a_named_kind_of_the_grammar() {
    for language in LanguageRegistry::builtin().languages() {
        let Some(ts_language) = language.ts_language() else { continue };
        for kind in language.node_kinds.all() {
            assert_ne!(
                ts_language.id_for_node_kind(kind, true),
                0,
                "{}: `{kind}` is not a named node kind",
                language.name
            );
        }
        assert!(!language.node_kinds.comment.is_empty(), "{} lists no comment kind", language.name);
    }
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
