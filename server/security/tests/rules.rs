//! The rule data and the engine's behaviour: every built-in file loads, data flow stays within
//! one assignment and one scope, suppression, new findings by content, custom rule directories.

use std::sync::Arc;

use infill_security::{RulesError, SecurityRules, Severity};
use infill_syntax::{Document, DocumentLimits, Language, LanguageRegistry};

fn language(name: &str) -> Arc<Language> {
    LanguageRegistry::builtin().by_name(name).unwrap_or_else(|| panic!("no language {name}"))
}

fn rule_ids(text: &str, name: &str) -> Vec<String> {
    SecurityRules::builtin().check(text, &language(name)).into_iter().map(|f| f.rule_id).collect()
}

#[test]
fn every_builtin_pattern_file_compiles_and_every_rule_is_used() {
    let rules = SecurityRules::builtin_strict().unwrap_or_else(|error| panic!("{error}"));
    let registry = LanguageRegistry::builtin();
    for name in
        ["python", "javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp", "ruby"]
    {
        assert!(rules.supports(&language(name)), "{name} has no security patterns");
    }
    let mut used: Vec<&str> = Vec::new();
    for language in registry.languages() {
        used.extend(rules.rules_for(language));
    }
    for rule in rules.rules() {
        assert!(used.contains(&rule.id.as_str()), "no language reports {}", rule.id);
        assert!(rule.cwe > 0 && rule.owasp.contains(":2021-"), "{} lacks CWE/OWASP", rule.id);
    }
    // The lenient loader gives the same languages.
    let lenient = SecurityRules::builtin();
    for language in registry.languages() {
        assert_eq!(lenient.supports(language), rules.supports(language), "{}", language.name);
    }
}

#[test]
fn one_assignment_hop_in_the_same_function() {
    let one_hop =
        "def f(cur, x):\n    q = \"SELECT * FROM t WHERE a = \" + x\n    cur.execute(q)\n";
    assert_eq!(rule_ids(one_hop, "python"), ["sql-injection"]);
    let two_hops = "def f(cur, x):\n    q = \"SELECT * FROM t WHERE a = \" + x\n    r = q\n    cur.execute(r)\n";
    assert!(rule_ids(two_hops, "python").is_empty());
    let other_function = "def g(x):\n    q = \"SELECT * FROM t WHERE a = \" + x\n\ndef f(cur, q):\n    cur.execute(q)\n";
    assert!(rule_ids(other_function, "python").is_empty());
    let assigned_after = "def f(cur, x, q):\n    cur.execute(q)\n    q = \"SELECT \" + x\n";
    assert!(rule_ids(assigned_after, "python").is_empty());
    let parameterized =
        "def f(cur, x):\n    q = \"SELECT * FROM t WHERE a = %s\"\n    cur.execute(q, (x,))\n";
    assert!(rule_ids(parameterized, "python").is_empty());
    // A string's words are not names: `q` inside the literal does not reach the assignment.
    let literal_mentions =
        "def f(cur, x):\n    q = \"a\" + x\n    cur.execute(\"SELECT q FROM t\")\n";
    assert!(rule_ids(literal_mentions, "python").is_empty());
}

#[test]
fn safe_forms_are_not_flagged() {
    let python = "import subprocess, yaml\n\
                  subprocess.run([\"ls\", path])\n\
                  data = yaml.safe_load(text)\n\
                  more = yaml.load(text, Loader=yaml.SafeLoader)\n\
                  cur.execute(\"SELECT * FROM t WHERE id = ?\", (i,))\n";
    assert!(rule_ids(python, "python").is_empty(), "{:?}", rule_ids(python, "python"));
    let go = "package p\nfunc f() {\n\trows, err := db.Query(\"SELECT * FROM t WHERE id = $1\", id)\n\
              \tcmd := exec.Command(\"ls\", \"-l\", dir)\n}\n";
    assert!(rule_ids(go, "go").is_empty());
}

#[test]
fn findings_carry_the_rule_and_a_position() {
    let text = "x = 1\nos.system(\"rm -rf \" + path)\n";
    let findings = SecurityRules::builtin().check(text, &language("python"));
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    assert_eq!(finding.rule_id, "command-injection");
    assert_eq!(finding.severity, Severity::High);
    assert_eq!(finding.cwe, 78);
    assert_eq!(finding.owasp, "A03:2021-Injection");
    assert_eq!((finding.range.start.line, finding.range.start.character), (1, 0));
    assert_eq!(
        &text[finding.range.start_byte..finding.range.end_byte],
        "os.system(\"rm -rf \" + path)"
    );
    assert!(
        finding.fix_hint.contains("subprocess.run"),
        "Python's own fix hint: {}",
        finding.fix_hint
    );
}

#[test]
fn an_ignore_comment_silences_one_rule() {
    let same_line = "eval(code)  # infill-ignore: code-injection\n";
    assert!(rule_ids(same_line, "python").is_empty());
    let line_before = "// infill-ignore: code-injection\neval(code);\n";
    assert!(rule_ids(line_before, "javascript").is_empty());
    let other_rule = "eval(code)  # infill-ignore: sql-injection\n";
    assert_eq!(rule_ids(other_rule, "python"), ["code-injection"]);
    let too_far = "# infill-ignore: code-injection\n\neval(code)\n";
    assert_eq!(rule_ids(too_far, "python"), ["code-injection"]);
}

#[test]
fn new_findings_are_compared_by_content_not_position() {
    let rules = SecurityRules::builtin();
    let python = language("python");
    let before = "def f(cur, x):\n    cur.execute(\"SELECT \" + x)\n";
    // Moving the flagged line down (a suggestion above it) introduces nothing.
    let moved = "def f(cur, x):\n    log(x)\n    cur.execute(\"SELECT \" + x)\n";
    assert!(rules.introduces_finding(before, moved, &python).is_empty());
    // A second copy of the same flagged text is new; so is a different one.
    let copied = format!("{before}    cur.execute(\"SELECT \" + x)\n");
    assert_eq!(rules.introduces_finding(before, &copied, &python).len(), 1);
    let different = format!("{before}    os.system(\"ls \" + x)\n");
    let fresh = rules.introduces_finding(before, &different, &python);
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0].rule_id, "command-injection");
    assert_eq!(fresh[0].range.start.line, 2);
}

#[test]
fn documents_are_checked_with_their_tree() {
    let text = "package main\n\nvar cfg = &tls.Config{InsecureSkipVerify: true}\n";
    let mut document = Document::new(
        text,
        1,
        LanguageRegistry::builtin().by_name("go"),
        &DocumentLimits::default(),
    );
    let findings = SecurityRules::builtin().check_document(&mut document);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule_id, "tls-verification-disabled");
    let mut plain = Document::new(text, 1, None, &DocumentLimits::default());
    assert!(SecurityRules::builtin().check_document(&mut plain).is_empty());
}

const TABLE: &str = "[[rule]]\nid = \"no-print\"\ntitle = \"print\"\nseverity = \"low\"\ncwe = 1\n\
                     owasp = \"A09:2021-Security Logging and Monitoring Failures\"\n\
                     message = \"m\"\nfix_hint = \"f\"\n";

fn rules_dir(table: &str, python: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("security.toml"), table).unwrap();
    std::fs::create_dir(dir.path().join("python")).unwrap();
    std::fs::write(dir.path().join("python/security.scm"), python).unwrap();
    dir
}

#[test]
fn loads_a_rules_directory() {
    let pattern = "((call function: (identifier) @_f) @finding (#eq? @_f \"print\") (#set! rule \"no-print\"))\n";
    let dir = rules_dir(TABLE, pattern);
    let rules = SecurityRules::load(dir.path()).unwrap();
    let findings = rules.check("print(1)\nlen(x)\n", &language("python"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule_id, "no-print");
    assert!(!rules.supports(&language("go")));
}

#[test]
fn broken_rules_are_clear_errors() {
    let error = |table: &str, pattern: &str| {
        SecurityRules::load(rules_dir(table, pattern).path()).unwrap_err().to_string()
    };
    let unknown_rule = error(TABLE, "\n((identifier) @finding (#set! rule \"nope\"))\n");
    assert!(
        unknown_rule.contains("unknown rule `nope`") && unknown_rule.contains("line 2"),
        "{unknown_rule}"
    );
    let unknown_kind = error(
        TABLE,
        "((identifier) @finding (#set! rule \"no-print\") (#set! requires \"tainted\"))",
    );
    assert!(unknown_kind.contains("kind `tainted`"), "{unknown_kind}");
    let predicate =
        error(TABLE, "((identifier) @finding (#frobnicate? @finding) (#set! rule \"no-print\"))");
    assert!(predicate.contains("unsupported predicate"), "{predicate}");
    let no_role = error(TABLE, "(identifier) @x");
    assert!(no_role.contains("must set `rule` or `kind`"), "{no_role}");
    let bad_node = error(TABLE, "(no_such_node) @finding");
    assert!(bad_node.contains("python/security.scm line 1"), "{bad_node}");
    let bad_table = error("[[rule]]\nid = \"x\"\n", "");
    assert!(bad_table.contains("rule table"), "{bad_table}");
    let missing = SecurityRules::load(std::path::Path::new("/nonexistent/rules")).unwrap_err();
    assert!(matches!(missing, RulesError::Io { .. }));
}

#[test]
fn unsupported_input_gives_nothing_rather_than_failing() {
    let rules = SecurityRules::builtin();
    assert!(rules.check("", &language("python")).is_empty());
    assert!(rules.check("def (((( \u{0} \"unterminated", &language("python")).len() <= 1);
    assert!(rules.check("os.system(x)", &language("lua")).is_empty());
}

#[test]
fn the_grammars_directory_loads_as_a_rules_directory() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../grammars");
    let loaded = SecurityRules::load(&dir).unwrap_or_else(|error| panic!("{error}"));
    let builtin = SecurityRules::builtin();
    let text = "void f(char *d, const char *s) { strcpy(d, s); std::system(cmd.c_str()); }\n";
    let cpp = language("cpp");
    assert_eq!(loaded.check(text, &cpp), builtin.check(text, &cpp));
    assert_eq!(
        loaded.check(text, &cpp).len(),
        2,
        "C's patterns come first through `; inherits: c`"
    );
}

#[test]
fn a_tree_that_does_not_match_the_text_does_not_panic() {
    let python = language("python");
    let long = "def f(cur, x):\n    q = \"SELECT \" + x\n    cur.execute(q)\n".repeat(20);
    let tree = infill_syntax::parse(&python, &long).unwrap();
    let _ = SecurityRules::builtin().check_tree("x = 1\n", &tree, &python);
    let _ = SecurityRules::builtin().check_tree("é".repeat(400).as_str(), &tree, &python);
}
