//! Model families and their prompt layouts: which fill-in-the-middle and repository tokens a
//! model was trained with, detected from its tokenizer, and how a completion prompt is rendered
//! for it.
//!
//! Every layout keeps a stable prefix (workspace context first, the text before the cursor
//! last), so a keystroke changes only the end of the prompt and the engine's prefix cache holds
//! the rest. FIM models therefore get the suffix-first (SPM) order where they were trained on it.

use serde::{Deserialize, Serialize};

use Piece::{Context, Prefix, RepoName, Suffix, Token};

/// A chat message for code actions; rendered by the model's own chat template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The message's text.
    pub content: String,
}

impl ChatMessage {
    /// A message with the given role and text.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self { role: role.into(), content: content.into() }
    }
}

/// The prompt family of a model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelFamily {
    /// Code Llama: `<PRE> prefix <SUF>suffix <MID>`.
    CodeLlama,
    /// StarCoder (1): `<fim_prefix>`…, repository files as `<filename>path`.
    StarCoder,
    /// StarCoder2: `<fim_prefix>`…, repository files as `<file_sep>path`.
    StarCoder2,
    /// Qwen2.5-Coder: `<|fim_prefix|>`…, `<|repo_name|>`, `<|file_sep|>`.
    QwenCoder,
    /// DeepSeek-Coder: `<｜fim▁begin｜>`…
    DeepSeekCoder,
    /// Codestral: `[SUFFIX]suffix[PREFIX]prefix`.
    Codestral,
    /// CodeGemma: `<|fim_prefix|>`…, `<|file_separator|>`.
    CodeGemma,
    /// No FIM tokens, but repository tokens (`<file_sep>`, `<filename>`): SmolLM2 and kin.
    RepoTokens,
    /// Llama 3.x/4: chat for actions, prefix-only completion.
    Llama3,
    /// Anything else: prefix-only completion with the file path as a comment-free header.
    #[default]
    PrefixOnly,
}

/// One file of workspace context for a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFile {
    /// The file's workspace-relative path.
    pub path: String,
    /// The snippet of the file that goes into the prompt.
    pub text: String,
}

/// Everything a completion prompt is made of.
#[derive(Debug, Clone, Copy)]
pub struct PromptParts<'a> {
    /// The workspace's name, for families with a repository token.
    pub repo_name: &'a str,
    /// Context snippets, least changing first.
    pub context: &'a [ContextFile],
    /// The current file's workspace-relative path.
    pub path: &'a str,
    /// Text before the cursor (the cursor window's start is up to the caller).
    pub prefix: &'a str,
    /// Text after the cursor.
    pub suffix: &'a str,
}

/// A rendered prompt and the stop sequences that end a completion for this family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPrompt {
    /// The prompt.
    pub text: String,
    /// Stop sequences: the family's end tokens.
    pub stop: Vec<String>,
    /// Whether the suffix went into the prompt (FIM); otherwise it is only for post-processing.
    pub uses_suffix: bool,
}

/// Tokens that identify a family, strongest evidence first.
const SIGNATURES: &[(&[&str], ModelFamily)] = &[
    (&["<|fim_prefix|>", "<|repo_name|>"], ModelFamily::QwenCoder),
    (&["<|fim_prefix|>", "<|file_separator|>"], ModelFamily::CodeGemma),
    (&["<|fim_prefix|>"], ModelFamily::QwenCoder),
    (&["<fim_prefix>", "<file_sep>"], ModelFamily::StarCoder2),
    (&["<fim_prefix>"], ModelFamily::StarCoder),
    (&["<｜fim▁begin｜>"], ModelFamily::DeepSeekCoder),
    (&["[SUFFIX]", "[PREFIX]"], ModelFamily::Codestral),
    (&["▁<PRE>"], ModelFamily::CodeLlama),
    (&["<PRE>", "<SUF>", "<MID>"], ModelFamily::CodeLlama),
    (&["<file_sep>"], ModelFamily::RepoTokens),
    (&["<filename>"], ModelFamily::RepoTokens),
    (&["<|start_header_id|>"], ModelFamily::Llama3),
];

/// One piece of a completion prompt's layout.
#[derive(Debug, Clone, Copy)]
enum Piece {
    /// A fixed string: a special token, sometimes with the spaces or newline the model expects.
    Token(&'static str),
    /// [`PromptParts::repo_name`].
    RepoName,
    /// The workspace context and the current file's header, as [`ContextStyle`] says.
    Context,
    /// The text before the cursor.
    Prefix,
    /// The text after the cursor; a layout that has it fills in the middle.
    Suffix,
}

/// How a layout introduces each context file and the current file.
#[derive(Debug, Clone, Copy)]
enum ContextStyle {
    /// `<sep>path\n` before every file (the current one too, even without context).
    Separator(&'static str),
    /// `// Path: path` lines, for models without repository tokens; only when there is context.
    Comment,
}

/// Everything that differs between families: one row per family in [`FAMILIES`].
#[derive(Debug)]
struct FamilyRow {
    family: ModelFamily,
    /// The configuration name.
    name: &'static str,
    /// The completion prompt, piece by piece.
    layout: &'static [Piece],
    /// How [`Piece::Context`] is written.
    context: ContextStyle,
    /// Tokens that end a completion (beyond the model's own end-of-sequence token).
    end_tokens: &'static [&'static str],
}

/// The families in declaration order, with their names, prompt layouts and end tokens.
///
/// FIM layouts put the suffix before the prefix (SPM) where the model was trained on it, so
/// typing changes only the end of the prompt.
const FAMILIES: &[FamilyRow] = &[
    FamilyRow {
        family: ModelFamily::CodeLlama,
        name: "code-llama",
        // Code Llama's infilling was trained on PSM; context goes before the prefix.
        layout: &[Token("<PRE> "), Context, Prefix, Token(" <SUF>"), Suffix, Token(" <MID>")],
        context: ContextStyle::Comment,
        end_tokens: &["<EOT>", " <EOT>"],
    },
    FamilyRow {
        family: ModelFamily::StarCoder,
        name: "star-coder",
        layout: &[
            Context,
            Token("<fim_prefix><fim_suffix>"),
            Suffix,
            Token("<fim_middle>"),
            Prefix,
        ],
        context: ContextStyle::Separator("<filename>"),
        end_tokens: &["<|endoftext|>", "<filename>", "<fim_prefix>"],
    },
    FamilyRow {
        family: ModelFamily::StarCoder2,
        name: "star-coder2",
        layout: &[
            Token("<repo_name>"),
            RepoName,
            Context,
            Token("<fim_prefix><fim_suffix>"),
            Suffix,
            Token("<fim_middle>"),
            Prefix,
        ],
        context: ContextStyle::Separator("<file_sep>"),
        end_tokens: &["<|endoftext|>", "<file_sep>", "<fim_prefix>"],
    },
    FamilyRow {
        family: ModelFamily::QwenCoder,
        name: "qwen-coder",
        layout: &[
            Token("<|repo_name|>"),
            RepoName,
            Token("\n"),
            Context,
            Token("<|fim_prefix|>"),
            Prefix,
            Token("<|fim_suffix|>"),
            Suffix,
            Token("<|fim_middle|>"),
        ],
        context: ContextStyle::Separator("<|file_sep|>"),
        end_tokens: &["<|endoftext|>", "<|file_sep|>", "<|fim_prefix|>", "<|im_end|>"],
    },
    FamilyRow {
        family: ModelFamily::DeepSeekCoder,
        name: "deep-seek-coder",
        layout: &[
            Context,
            Token("<｜fim▁begin｜>"),
            Prefix,
            Token("<｜fim▁hole｜>"),
            Suffix,
            Token("<｜fim▁end｜>"),
        ],
        context: ContextStyle::Comment,
        end_tokens: &["<｜end▁of▁sentence｜>", "<｜fim▁begin｜>"],
    },
    FamilyRow {
        family: ModelFamily::Codestral,
        name: "codestral",
        layout: &[Token("[SUFFIX]"), Suffix, Token("[PREFIX]"), Context, Prefix],
        context: ContextStyle::Comment,
        end_tokens: &["</s>", "[PREFIX]", "[SUFFIX]"],
    },
    FamilyRow {
        family: ModelFamily::CodeGemma,
        name: "code-gemma",
        layout: &[
            Context,
            Token("<|fim_prefix|>"),
            Prefix,
            Token("<|fim_suffix|>"),
            Suffix,
            Token("<|fim_middle|>"),
        ],
        context: ContextStyle::Separator("<|file_separator|>"),
        end_tokens: &["<|file_separator|>", "<|fim_prefix|>", "<eos>"],
    },
    FamilyRow {
        family: ModelFamily::RepoTokens,
        name: "repo-tokens",
        layout: &[Context, Prefix],
        context: ContextStyle::Separator("<file_sep>"),
        end_tokens: &["<|endoftext|>", "<file_sep>", "<filename>", "<|im_end|>"],
    },
    FamilyRow {
        family: ModelFamily::Llama3,
        name: "llama3",
        layout: &[Context, Prefix],
        context: ContextStyle::Comment,
        end_tokens: &["<|end_of_text|>", "<|eot_id|>"],
    },
    PREFIX_ONLY_ROW,
];

/// The row of [`ModelFamily::PrefixOnly`], the default family.
const PREFIX_ONLY_ROW: FamilyRow = FamilyRow {
    family: ModelFamily::PrefixOnly,
    name: "prefix-only",
    layout: &[Context, Prefix],
    context: ContextStyle::Comment,
    end_tokens: &[],
};

impl ModelFamily {
    /// This family's row of [`FAMILIES`]. A test checks that every family has exactly one; the
    /// fallback (prefix-only) only keeps a missing row from panicking.
    fn row(&self) -> &'static FamilyRow {
        FAMILIES.iter().find(|row| row.family == *self).unwrap_or(&PREFIX_ONLY_ROW)
    }

    /// Detects the family from the tokenizer's vocabulary.
    pub fn detect(has_token: impl Fn(&str) -> bool) -> ModelFamily {
        SIGNATURES
            .iter()
            .find(|(tokens, _)| tokens.iter().all(|token| has_token(token)))
            .map(|(_, family)| family.clone())
            .unwrap_or_default()
    }

    /// Whether the model was trained to fill in the middle (its layout holds the suffix).
    pub fn supports_fim(&self) -> bool {
        self.row().layout.iter().any(|piece| matches!(piece, Suffix))
    }

    /// The family's name as used in configuration.
    pub fn name(&self) -> &'static str {
        self.row().name
    }

    /// Parses a configuration name (see [`ModelFamily::name`]).
    pub fn from_name(name: &str) -> Option<ModelFamily> {
        FAMILIES.iter().find(|row| row.name == name).map(|row| row.family.clone())
    }

    /// Tokens that end a completion (beyond the model's own end-of-sequence token).
    fn end_tokens(&self) -> &'static [&'static str] {
        self.row().end_tokens
    }

    /// Renders a completion prompt: context files first, then the current file, the cursor last.
    pub fn render(&self, parts: &PromptParts<'_>) -> RenderedPrompt {
        let row = self.row();
        let mut text = String::new();
        for piece in row.layout {
            match piece {
                Token(token) => text.push_str(token),
                RepoName => text.push_str(parts.repo_name),
                Context => match row.context {
                    ContextStyle::Separator(separator) => {
                        push_separated_context(&mut text, separator, parts)
                    }
                    ContextStyle::Comment => push_comment_context(&mut text, parts),
                },
                Prefix => text.push_str(parts.prefix),
                Suffix => text.push_str(parts.suffix),
            }
        }
        RenderedPrompt {
            text,
            stop: self.end_tokens().iter().map(|s| s.to_string()).collect(),
            uses_suffix: self.supports_fim(),
        }
    }
}

/// Context for families with a file separator token: each file, then the current file's header.
fn push_separated_context(text: &mut String, separator: &str, parts: &PromptParts<'_>) {
    for file in parts.context {
        text.push_str(separator);
        text.push_str(&file.path);
        text.push('\n');
        text.push_str(&file.text);
        if !file.text.ends_with('\n') {
            text.push('\n');
        }
    }
    text.push_str(separator);
    text.push_str(parts.path);
    text.push('\n');
}

/// Context for families without repository tokens: each file under a path header line.
fn push_comment_context(text: &mut String, parts: &PromptParts<'_>) {
    for file in parts.context {
        text.push_str("// Path: ");
        text.push_str(&file.path);
        text.push('\n');
        text.push_str(&file.text);
        if !file.text.ends_with('\n') {
            text.push('\n');
        }
    }
    if !parts.context.is_empty() {
        text.push_str("// Path: ");
        text.push_str(parts.path);
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(context: &[ContextFile]) -> PromptParts<'_> {
        PromptParts {
            repo_name: "shop",
            context,
            path: "src/cart.py",
            prefix: "def total(items):\n    return ",
            suffix: "\n\nprint(total([]))\n",
        }
    }

    fn context() -> Vec<ContextFile> {
        vec![ContextFile { path: "src/price.py".into(), text: "def price(item): ...".into() }]
    }

    #[test]
    fn detects_families_from_vocabulary() {
        let cases: &[(&[&str], ModelFamily)] = &[
            (&["<|fim_prefix|>", "<|fim_suffix|>", "<|repo_name|>"], ModelFamily::QwenCoder),
            (&["<|fim_prefix|>", "<|file_separator|>"], ModelFamily::CodeGemma),
            (&["<fim_prefix>", "<filename>"], ModelFamily::StarCoder),
            (&["<fim_prefix>", "<file_sep>", "<repo_name>"], ModelFamily::StarCoder2),
            (&["<｜fim▁begin｜>", "<｜fim▁hole｜>"], ModelFamily::DeepSeekCoder),
            (&["[SUFFIX]", "[PREFIX]", "[MIDDLE]"], ModelFamily::Codestral),
            (&["▁<PRE>", "▁<SUF>", "▁<MID>"], ModelFamily::CodeLlama),
            (&["<file_sep>", "<filename>", "<|im_start|>"], ModelFamily::RepoTokens),
            (&["<|start_header_id|>", "<|eot_id|>"], ModelFamily::Llama3),
            (&["<s>", "</s>"], ModelFamily::PrefixOnly),
        ];
        for (tokens, expected) in cases {
            let family = ModelFamily::detect(|t| tokens.contains(&t));
            assert_eq!(&family, expected, "tokens {tokens:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for family in [ModelFamily::CodeLlama, ModelFamily::RepoTokens, ModelFamily::PrefixOnly] {
            assert_eq!(ModelFamily::from_name(family.name()), Some(family));
        }
        assert_eq!(ModelFamily::from_name("nonsense"), None);
    }

    #[test]
    fn renders_every_template() {
        let ctx = context();
        let expected: &[(ModelFamily, &str)] = &[
            (
                ModelFamily::CodeLlama,
                "<PRE> // Path: src/price.py\ndef price(item): ...\n// Path: src/cart.py\ndef total(items):\n    return  <SUF>\n\nprint(total([]))\n <MID>",
            ),
            (
                ModelFamily::StarCoder,
                "<filename>src/price.py\ndef price(item): ...\n<filename>src/cart.py\n<fim_prefix><fim_suffix>\n\nprint(total([]))\n<fim_middle>def total(items):\n    return ",
            ),
            (
                ModelFamily::StarCoder2,
                "<repo_name>shop<file_sep>src/price.py\ndef price(item): ...\n<file_sep>src/cart.py\n<fim_prefix><fim_suffix>\n\nprint(total([]))\n<fim_middle>def total(items):\n    return ",
            ),
            (
                ModelFamily::QwenCoder,
                "<|repo_name|>shop\n<|file_sep|>src/price.py\ndef price(item): ...\n<|file_sep|>src/cart.py\n<|fim_prefix|>def total(items):\n    return <|fim_suffix|>\n\nprint(total([]))\n<|fim_middle|>",
            ),
            (
                ModelFamily::DeepSeekCoder,
                "// Path: src/price.py\ndef price(item): ...\n// Path: src/cart.py\n<｜fim▁begin｜>def total(items):\n    return <｜fim▁hole｜>\n\nprint(total([]))\n<｜fim▁end｜>",
            ),
            (
                ModelFamily::Codestral,
                "[SUFFIX]\n\nprint(total([]))\n[PREFIX]// Path: src/price.py\ndef price(item): ...\n// Path: src/cart.py\ndef total(items):\n    return ",
            ),
            (
                ModelFamily::CodeGemma,
                "<|file_separator|>src/price.py\ndef price(item): ...\n<|file_separator|>src/cart.py\n<|fim_prefix|>def total(items):\n    return <|fim_suffix|>\n\nprint(total([]))\n<|fim_middle|>",
            ),
            (
                ModelFamily::RepoTokens,
                "<file_sep>src/price.py\ndef price(item): ...\n<file_sep>src/cart.py\ndef total(items):\n    return ",
            ),
            (
                ModelFamily::Llama3,
                "// Path: src/price.py\ndef price(item): ...\n// Path: src/cart.py\ndef total(items):\n    return ",
            ),
            (
                ModelFamily::PrefixOnly,
                "// Path: src/price.py\ndef price(item): ...\n// Path: src/cart.py\ndef total(items):\n    return ",
            ),
        ];
        for (family, text) in expected {
            let rendered = family.render(&parts(&ctx));
            assert_eq!(&rendered.text, text, "{family:?}");
            assert_eq!(rendered.uses_suffix, family.supports_fim());
        }
    }

    #[test]
    fn prefix_only_without_context_is_just_the_prefix() {
        let rendered = ModelFamily::PrefixOnly.render(&parts(&[]));
        assert_eq!(rendered.text, "def total(items):\n    return ");
        assert!(rendered.stop.is_empty());
    }

    #[test]
    fn typing_only_changes_the_end_of_the_prompt() {
        // The property the prefix cache depends on, for every family that does not need the
        // suffix after the prefix.
        let ctx = context();
        for family in [
            ModelFamily::StarCoder2,
            ModelFamily::Codestral,
            ModelFamily::RepoTokens,
            ModelFamily::PrefixOnly,
        ] {
            let before = family.render(&parts(&ctx)).text;
            let mut typed = parts(&ctx);
            let prefix = format!("{}sum", typed.prefix);
            typed.prefix = &prefix;
            let after = family.render(&typed).text;
            assert!(after.starts_with(&before), "{family:?}");
        }
    }

    /// Every family. The match is exhaustive: a new family fails to compile here until it is
    /// listed (and then `every_family_has_one_row` asks for its row in `FAMILIES`).
    fn every_family() -> Vec<ModelFamily> {
        use ModelFamily::*;
        let _exhaustive = |family: ModelFamily| match family {
            CodeLlama | StarCoder | StarCoder2 | QwenCoder | DeepSeekCoder | Codestral
            | CodeGemma | RepoTokens | Llama3 | PrefixOnly => (),
        };
        vec![
            CodeLlama,
            StarCoder,
            StarCoder2,
            QwenCoder,
            DeepSeekCoder,
            Codestral,
            CodeGemma,
            RepoTokens,
            Llama3,
            PrefixOnly,
        ]
    }

    #[test]
    fn every_family_has_one_row() {
        let families = every_family();
        assert_eq!(FAMILIES.len(), families.len());
        for family in families {
            let rows: Vec<_> = FAMILIES.iter().filter(|row| row.family == family).collect();
            assert_eq!(rows.len(), 1, "{family:?}");
            assert_eq!(ModelFamily::from_name(family.name()), Some(family.clone()));
            assert_eq!(serde_json::to_value(&family).unwrap(), family.name(), "{family:?}");
        }
    }

    #[test]
    fn renders_every_template_without_context_with_its_stops() {
        let expected: &[(ModelFamily, &str, &[&str])] = &[
            (
                ModelFamily::CodeLlama,
                "<PRE> def total(items):\n    return  <SUF>\n\nprint(total([]))\n <MID>",
                &["<EOT>", " <EOT>"],
            ),
            (
                ModelFamily::StarCoder,
                "<filename>src/cart.py\n<fim_prefix><fim_suffix>\n\nprint(total([]))\n<fim_middle>def total(items):\n    return ",
                &["<|endoftext|>", "<filename>", "<fim_prefix>"],
            ),
            (
                ModelFamily::StarCoder2,
                "<repo_name>shop<file_sep>src/cart.py\n<fim_prefix><fim_suffix>\n\nprint(total([]))\n<fim_middle>def total(items):\n    return ",
                &["<|endoftext|>", "<file_sep>", "<fim_prefix>"],
            ),
            (
                ModelFamily::QwenCoder,
                "<|repo_name|>shop\n<|file_sep|>src/cart.py\n<|fim_prefix|>def total(items):\n    return <|fim_suffix|>\n\nprint(total([]))\n<|fim_middle|>",
                &["<|endoftext|>", "<|file_sep|>", "<|fim_prefix|>", "<|im_end|>"],
            ),
            (
                ModelFamily::DeepSeekCoder,
                "<｜fim▁begin｜>def total(items):\n    return <｜fim▁hole｜>\n\nprint(total([]))\n<｜fim▁end｜>",
                &["<｜end▁of▁sentence｜>", "<｜fim▁begin｜>"],
            ),
            (
                ModelFamily::Codestral,
                "[SUFFIX]\n\nprint(total([]))\n[PREFIX]def total(items):\n    return ",
                &["</s>", "[PREFIX]", "[SUFFIX]"],
            ),
            (
                ModelFamily::CodeGemma,
                "<|file_separator|>src/cart.py\n<|fim_prefix|>def total(items):\n    return <|fim_suffix|>\n\nprint(total([]))\n<|fim_middle|>",
                &["<|file_separator|>", "<|fim_prefix|>", "<eos>"],
            ),
            (
                ModelFamily::RepoTokens,
                "<file_sep>src/cart.py\ndef total(items):\n    return ",
                &["<|endoftext|>", "<file_sep>", "<filename>", "<|im_end|>"],
            ),
            (
                ModelFamily::Llama3,
                "def total(items):\n    return ",
                &["<|end_of_text|>", "<|eot_id|>"],
            ),
            (ModelFamily::PrefixOnly, "def total(items):\n    return ", &[]),
        ];
        assert_eq!(expected.len(), every_family().len());
        for (family, text, stop) in expected {
            let rendered = family.render(&parts(&[]));
            assert_eq!(&rendered.text, text, "{family:?}");
            assert_eq!(rendered.stop, *stop, "{family:?}");
        }
    }
}
