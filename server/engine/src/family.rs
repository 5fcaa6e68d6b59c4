//! Model families and their prompt layouts: which fill-in-the-middle and repository tokens a
//! model was trained with, detected from its tokenizer, and how a completion prompt is rendered
//! for it.
//!
//! Every layout keeps a stable prefix (workspace context first, the text before the cursor
//! last), so a keystroke changes only the end of the prompt and the engine's prefix cache holds
//! the rest. FIM models therefore get the suffix-first (SPM) order where they were trained on it.

use serde::{Deserialize, Serialize};

/// A chat message for code actions; rendered by the model's own chat template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
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
    pub path: String,
    pub text: String,
}

/// Everything a completion prompt is made of.
#[derive(Debug, Clone, Copy)]
pub struct PromptParts<'a> {
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
    pub text: String,
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

impl ModelFamily {
    /// Detects the family from the tokenizer's vocabulary.
    pub fn detect(has_token: impl Fn(&str) -> bool) -> ModelFamily {
        SIGNATURES
            .iter()
            .find(|(tokens, _)| tokens.iter().all(|token| has_token(token)))
            .map(|(_, family)| family.clone())
            .unwrap_or_default()
    }

    /// Whether the model was trained to fill in the middle.
    pub fn supports_fim(&self) -> bool {
        !matches!(self, Self::RepoTokens | Self::Llama3 | Self::PrefixOnly)
    }

    /// The family's name as used in configuration.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CodeLlama => "code-llama",
            Self::StarCoder => "star-coder",
            Self::StarCoder2 => "star-coder2",
            Self::QwenCoder => "qwen-coder",
            Self::DeepSeekCoder => "deep-seek-coder",
            Self::Codestral => "codestral",
            Self::CodeGemma => "code-gemma",
            Self::RepoTokens => "repo-tokens",
            Self::Llama3 => "llama3",
            Self::PrefixOnly => "prefix-only",
        }
    }

    /// Parses a configuration name (see [`ModelFamily::name`]).
    pub fn from_name(name: &str) -> Option<ModelFamily> {
        [
            Self::CodeLlama,
            Self::StarCoder,
            Self::StarCoder2,
            Self::QwenCoder,
            Self::DeepSeekCoder,
            Self::Codestral,
            Self::CodeGemma,
            Self::RepoTokens,
            Self::Llama3,
            Self::PrefixOnly,
        ]
        .into_iter()
        .find(|family| family.name() == name)
    }

    /// Tokens that end a completion (beyond the model's own end-of-sequence token).
    fn end_tokens(&self) -> &'static [&'static str] {
        match self {
            Self::CodeLlama => &["<EOT>", " <EOT>"],
            Self::StarCoder => &["<|endoftext|>", "<filename>", "<fim_prefix>"],
            Self::StarCoder2 => &["<|endoftext|>", "<file_sep>", "<fim_prefix>"],
            Self::QwenCoder => &["<|endoftext|>", "<|file_sep|>", "<|fim_prefix|>", "<|im_end|>"],
            Self::DeepSeekCoder => &["<｜end▁of▁sentence｜>", "<｜fim▁begin｜>"],
            Self::Codestral => &["</s>", "[PREFIX]", "[SUFFIX]"],
            Self::CodeGemma => &["<|file_separator|>", "<|fim_prefix|>", "<eos>"],
            Self::RepoTokens => &["<|endoftext|>", "<file_sep>", "<filename>", "<|im_end|>"],
            Self::Llama3 => &["<|end_of_text|>", "<|eot_id|>"],
            Self::PrefixOnly => &[],
        }
    }

    /// Renders a completion prompt: context files first, then the current file, the cursor last.
    pub fn render(&self, parts: &PromptParts<'_>) -> RenderedPrompt {
        let mut text = String::new();
        let files = |text: &mut String, open: &str| {
            for file in parts.context {
                text.push_str(open);
                text.push_str(&file.path);
                text.push('\n');
                text.push_str(&file.text);
                if !file.text.ends_with('\n') {
                    text.push('\n');
                }
            }
        };
        let uses_suffix = self.supports_fim();
        match self {
            Self::CodeLlama => {
                // Code Llama's infilling was trained on PSM; context goes before the prefix.
                text.push_str("<PRE> ");
                push_comment_context(&mut text, parts);
                text.push_str(parts.prefix);
                text.push_str(" <SUF>");
                text.push_str(parts.suffix);
                text.push_str(" <MID>");
            }
            Self::StarCoder | Self::StarCoder2 => {
                let open = if *self == Self::StarCoder { "<filename>" } else { "<file_sep>" };
                if *self == Self::StarCoder2 {
                    text.push_str("<repo_name>");
                    text.push_str(parts.repo_name);
                }
                files(&mut text, open);
                text.push_str(open);
                text.push_str(parts.path);
                text.push('\n');
                // SPM: the suffix is fixed while typing, so it precedes the prefix.
                text.push_str("<fim_prefix><fim_suffix>");
                text.push_str(parts.suffix);
                text.push_str("<fim_middle>");
                text.push_str(parts.prefix);
            }
            Self::QwenCoder => {
                text.push_str("<|repo_name|>");
                text.push_str(parts.repo_name);
                text.push('\n');
                files(&mut text, "<|file_sep|>");
                text.push_str("<|file_sep|>");
                text.push_str(parts.path);
                text.push('\n');
                text.push_str("<|fim_prefix|>");
                text.push_str(parts.prefix);
                text.push_str("<|fim_suffix|>");
                text.push_str(parts.suffix);
                text.push_str("<|fim_middle|>");
            }
            Self::DeepSeekCoder => {
                push_comment_context(&mut text, parts);
                text.push_str("<｜fim▁begin｜>");
                text.push_str(parts.prefix);
                text.push_str("<｜fim▁hole｜>");
                text.push_str(parts.suffix);
                text.push_str("<｜fim▁end｜>");
            }
            Self::Codestral => {
                text.push_str("[SUFFIX]");
                text.push_str(parts.suffix);
                text.push_str("[PREFIX]");
                push_comment_context(&mut text, parts);
                text.push_str(parts.prefix);
            }
            Self::CodeGemma => {
                files(&mut text, "<|file_separator|>");
                text.push_str("<|file_separator|>");
                text.push_str(parts.path);
                text.push('\n');
                text.push_str("<|fim_prefix|>");
                text.push_str(parts.prefix);
                text.push_str("<|fim_suffix|>");
                text.push_str(parts.suffix);
                text.push_str("<|fim_middle|>");
            }
            Self::RepoTokens => {
                files(&mut text, "<file_sep>");
                text.push_str("<file_sep>");
                text.push_str(parts.path);
                text.push('\n');
                text.push_str(parts.prefix);
            }
            Self::Llama3 | Self::PrefixOnly => {
                push_comment_context(&mut text, parts);
                text.push_str(parts.prefix);
            }
        }
        RenderedPrompt {
            text,
            stop: self.end_tokens().iter().map(|s| s.to_string()).collect(),
            uses_suffix,
        }
    }
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
}
