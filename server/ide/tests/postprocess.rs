//! Golden cases for completion post-processing: every `tests/golden/*.toml` is one cursor, one
//! raw model output and what the user should see. The runner checks them all and reports every
//! failing case by name. Format: `tests/golden/README.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use infill_ide::postprocess::{
    PostprocessConfig, PostprocessInput, Repaired, Shape, SuppressReason, Validity, check_syntax,
    decide_shape, postprocess, postprocess_off, repair_syntax, settled_end,
};
use infill_syntax::LanguageRegistry;
use proptest::prelude::*;

/// The fewest cases the directory must hold, so a bad glob cannot pass vacuously.
const MIN_CASES: usize = 40;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case pins, in a sentence.
    #[allow(dead_code)]
    description: String,
    /// A name or alias from `grammars/languages.toml`; plain text when absent.
    language: Option<String>,
    /// Parse the document with the language's grammar (default) or go without a tree.
    #[serde(default = "yes")]
    tree: bool,
    /// The document, with `$0` at the cursor.
    document: String,
    /// `single`, `multi` or `suppress:<reason>` (`in_comment`, `in_string`, `mid_word`).
    shape: Option<String>,
    /// The model's raw output.
    raw: Option<String>,
    /// What [`postprocess`] must return.
    expected: Option<String>,
    /// Set instead of `expected` when [`postprocess`] must return `None`.
    #[serde(default)]
    expect_none: bool,
    /// What [`postprocess_off`] must return, when pinned.
    off: Option<String>,
    /// What the syntax check makes of the suggestion ([`repair_syntax`]), when pinned:
    /// `parses`, `repaired` (then `repaired` is the text) or `broken`.
    syntax: Option<String>,
    /// The repaired suggestion, with `syntax = "repaired"`.
    repaired: Option<String>,
    #[serde(default)]
    config: PostprocessConfig,
}

fn yes() -> bool {
    true
}

fn shape_name(shape: Shape) -> String {
    match shape {
        Shape::SingleLine => "single".into(),
        Shape::MultiLine => "multi".into(),
        Shape::Suppress(reason) => format!("suppress:{}", reason.as_str()),
    }
}

/// Checks one case; the error says what differed.
fn check(path: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(path).map_err(|error| format!("unreadable: {error}"))?;
    let case: Case = toml::from_str(&source).map_err(|error| format!("invalid case: {error}"))?;
    let (prefix, suffix) = case.document.split_once("$0").ok_or("the document has no $0")?;
    if suffix.contains("$0") {
        return Err("the document has more than one $0".into());
    }
    let text = format!("{prefix}{suffix}");
    let language = match &case.language {
        Some(name) => Some(
            LanguageRegistry::builtin()
                .by_name(name)
                .ok_or_else(|| format!("unknown language {name:?}"))?,
        ),
        None => None,
    };
    let tree = match (&language, case.tree) {
        (Some(language), true) => Some(
            infill_syntax::parse(language, &text)
                .ok_or_else(|| format!("{} has no grammar; set tree = false", language.name))?,
        ),
        _ => None,
    };
    let shape = decide_shape(prefix, suffix, tree.as_ref(), language.as_deref(), &case.config);
    let mut problems = String::new();
    if let Some(expected) = &case.shape
        && *expected != shape_name(shape)
    {
        let _ = writeln!(problems, "shape: expected {expected}, got {}", shape_name(shape));
    }
    let Some(raw) = &case.raw else {
        if case.expected.is_some() || case.expect_none || case.off.is_some() {
            return Err("expected or expect_none or off without raw".into());
        }
        if case.shape.is_none() {
            return Err("the case pins nothing: give shape, or raw and expected".into());
        }
        return if problems.is_empty() { Ok(()) } else { Err(problems) };
    };
    let input = PostprocessInput {
        prefix,
        suffix,
        tree: tree.as_ref(),
        cursor: prefix.len(),
        language: language.as_deref(),
        raw,
        shape,
        config: case.config.clone(),
    };
    let expected = match (&case.expected, case.expect_none) {
        (Some(expected), false) => Some(expected.clone()),
        (None, true) => None,
        _ => return Err("give exactly one of expected and expect_none".into()),
    };
    let got = postprocess(&input);
    if got != expected {
        let _ = writeln!(problems, "postprocess:\n  expected {expected:?}\n  got      {got:?}");
    }
    if let Some(end) = early_stop(&input) {
        let early = postprocess(&PostprocessInput { raw: &raw[..end], ..input.clone() });
        if early != got {
            let _ = writeln!(
                problems,
                "stopping the model at byte {end} changes the suggestion:\n  whole {got:?}\n  early {early:?}"
            );
        }
    }
    match (case.syntax.as_deref(), &got) {
        (None, _) if case.repaired.is_some() => {
            return Err("repaired without syntax = \"repaired\"".into());
        }
        (None, _) => {}
        (Some(_), None) => return Err("syntax is pinned but postprocess returns None".into()),
        (Some(verdict), Some(text)) => {
            let expected = match (verdict, &case.repaired) {
                ("parses", None) => Repaired::AsIs(text.clone()),
                ("repaired", Some(repaired)) => Repaired::Changed(repaired.clone()),
                ("broken", None) => Repaired::Broken,
                _ => {
                    return Err(format!(
                        "syntax = {verdict:?}: give parses, broken, or repaired with repaired = \"...\""
                    ));
                }
            };
            let repaired = repair_syntax(&input, text);
            if repaired != expected {
                let _ = writeln!(
                    problems,
                    "repair_syntax:\n  expected {expected:?}\n  got      {repaired:?}"
                );
            }
            let validity = check_syntax(&input, text);
            let expected_validity =
                if verdict == "parses" { Validity::Parses } else { Validity::Breaks };
            if validity != expected_validity {
                let _ = writeln!(
                    problems,
                    "check_syntax: expected {expected_validity:?}, got {validity:?}"
                );
            }
            if let Repaired::Changed(repaired) = &repaired
                && check_syntax(&input, repaired) != Validity::Parses
            {
                let _ = writeln!(problems, "the repaired suggestion does not parse: {repaired:?}");
            }
        }
    }
    if let Some(off) = &case.off {
        let got = postprocess_off(&input);
        if got.as_deref() != Some(off.as_str()) {
            let _ = writeln!(problems, "postprocess_off:\n  expected {off:?}\n  got      {got:?}");
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Streams `input.raw` one character at a time as the engine would and returns where
/// [`settled_end`] first stops it, if it does before the end.
fn early_stop(input: &PostprocessInput<'_>) -> Option<usize> {
    let raw = input.raw;
    raw.char_indices()
        .map(|(at, c)| at + c.len_utf8())
        .filter(|&len| len < raw.len())
        .find_map(|len| settled_end(&PostprocessInput { raw: &raw[..len], ..input.clone() }))
}

/// A golden case's input, for tests beyond the runner.
fn load(path: &Path) -> Option<(Case, String, String)> {
    let case: Case = toml::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let (prefix, suffix) = case.document.split_once("$0")?;
    let (prefix, suffix) = (prefix.to_string(), suffix.to_string());
    Some((case, prefix, suffix))
}

#[test]
fn the_model_stops_early_in_multi_line_cases_that_post_processing_cuts() {
    let mut stopped = Vec::new();
    for path in cases() {
        let Some((case, prefix, suffix)) = load(&path) else { continue };
        let Some(raw) = &case.raw else { continue };
        let language =
            case.language.as_deref().and_then(|name| LanguageRegistry::builtin().by_name(name));
        let text = format!("{prefix}{suffix}");
        let tree =
            language.as_deref().filter(|_| case.tree).and_then(|l| infill_syntax::parse(l, &text));
        let shape =
            decide_shape(&prefix, &suffix, tree.as_ref(), language.as_deref(), &case.config);
        let input = PostprocessInput {
            prefix: &prefix,
            suffix: &suffix,
            tree: tree.as_ref(),
            cursor: prefix.len(),
            language: language.as_deref(),
            raw,
            shape,
            config: case.config.clone(),
        };
        if let Some(end) = early_stop(&input) {
            assert_eq!(shape, Shape::MultiLine, "{}", path.display());
            stopped.push((
                path.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
                raw.len() - end,
            ));
        }
    }
    // The cases whose raw output runs past the block, the line limit or the file's next line.
    assert!(stopped.len() >= 5, "only these stop early: {stopped:?}");
    assert!(stopped.iter().any(|(name, _)| name.starts_with("block_end")), "{stopped:?}");
}

fn cases() -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&directory)
        .expect("tests/golden exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn golden_cases() {
    let cases = cases();
    assert!(cases.len() >= MIN_CASES, "only {} golden cases found", cases.len());
    let mut failures = Vec::new();
    for path in &cases {
        if let Err(problem) = check(path) {
            let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            failures.push(format!("--- {name}\n{}", problem.trim_end()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn golden_cases_cover_six_languages() {
    let mut languages: Vec<String> = cases()
        .iter()
        .filter_map(|path| {
            let case: Case = toml::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
            case.language
        })
        .collect();
    languages.sort();
    languages.dedup();
    for wanted in ["c", "go", "lua", "python", "rust", "typescript"] {
        assert!(languages.iter().any(|language| language == wanted), "no {wanted} golden case");
    }
}

#[test]
fn suppressed_shapes_produce_nothing() {
    let config = PostprocessConfig::default();
    let input = PostprocessInput {
        prefix: "// note",
        suffix: "",
        tree: None,
        cursor: 7,
        language: None,
        raw: " more",
        shape: Shape::Suppress(SuppressReason::InComment),
        config,
    };
    assert_eq!(postprocess(&input), None);
}

#[test]
fn config_deserializes_with_defaults() {
    let config: PostprocessConfig = toml::from_str("max_lines = 3").expect("valid config");
    assert_eq!(config, PostprocessConfig { max_lines: 3, ..PostprocessConfig::default() });
    assert!(toml::from_str::<PostprocessConfig>("max_line = 3").is_err());
}

/// Text made of the characters the filters care about, so random cases reach their branches.
const CODE_LIKE: &str = r#"[a-z_ (){}\[\]"'`$:;,.#/*=+\\\t\n\ré-]{0,60}"#;

proptest! {
    #[test]
    fn never_panics_and_never_returns_blank(
        prefix in prop_oneof![CODE_LIKE, r"\PC{0,40}"],
        suffix in prop_oneof![CODE_LIKE, r"\PC{0,40}"],
        raw in prop_oneof![CODE_LIKE, r"\PC{0,40}"],
        language in prop_oneof![Just(None), Just(Some("rust")), Just(Some("python")), Just(Some("lua"))],
        max_lines in 0usize..4,
        allow in any::<bool>(),
    ) {
        let registry = LanguageRegistry::builtin();
        let language = language.and_then(|name| registry.by_name(name));
        let text = format!("{prefix}{suffix}");
        let tree = language.as_deref().and_then(|language| infill_syntax::parse(language, &text));
        let config = PostprocessConfig {
            max_lines,
            allow_in_comments: allow,
            allow_in_strings: allow,
            multiline: true,
        };
        let decided = decide_shape(&prefix, &suffix, tree.as_ref(), language.as_deref(), &config);
        for shape in [decided, Shape::SingleLine, Shape::MultiLine] {
            let input = PostprocessInput {
                prefix: &prefix,
                suffix: &suffix,
                tree: tree.as_ref(),
                cursor: prefix.len(),
                language: language.as_deref(),
                raw: &raw,
                shape,
                config: config.clone(),
            };
            for output in [postprocess(&input), postprocess_off(&input)].into_iter().flatten() {
                prop_assert!(!output.trim().is_empty());
            }
            if let Some(output) = postprocess(&input) {
                prop_assert!(shape != Shape::SingleLine || !output.contains('\n'));
            }
            if let Some(end) = early_stop(&input) {
                let early = postprocess(&PostprocessInput { raw: &raw[..end], ..input.clone() });
                prop_assert_eq!(early, postprocess(&input), "stopped at {}", end);
            }
        }
    }
}
