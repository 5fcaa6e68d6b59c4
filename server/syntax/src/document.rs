//! An open document: its text as a rope, the editor's version, its language and a syntax tree
//! kept up to date by incremental reparsing after every edit.

use std::ops::Range as ByteRange;
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::{InputEdit, Parser, Tree};

use crate::language::Language;
use crate::parse::{parse_rope, parser_for};
use crate::position::{self, Position, PositionEncoding, Range, tree_sitter_point};

/// One edit as sent by `textDocument/didChange`.
#[derive(Clone, Debug)]
pub struct TextChange {
    /// The replaced range; `None` replaces the whole text.
    pub range: Option<Range>,
    /// The new text of the range.
    pub text: String,
}

/// What an incremental reparse by [`Document::replace_text`] did.
#[derive(Clone, Debug)]
pub struct Reparse {
    /// The edit given to the old tree.
    pub edit: InputEdit,
    /// Ranges whose syntax differs between the old tree and the new one.
    pub changed_ranges: Vec<tree_sitter::Range>,
}

/// `(start, old end, new end)` byte offsets of the single edit turning `old` into `new`: their
/// common prefix and suffix are kept, both cut on character boundaries.
fn single_edit(old: &Rope, new: &str) -> (usize, usize, usize) {
    let new_bytes = new.as_bytes();
    let mut prefix = old.bytes().zip(new_bytes).take_while(|(a, b)| a == *b).count();
    while !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let old_len = old.len_bytes();
    let max_suffix = old_len.min(new_bytes.len()) - prefix;
    let mut suffix = old
        .bytes_at(old_len)
        .reversed()
        .zip(new_bytes.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == *b)
        .count();
    while !new.is_char_boundary(new_bytes.len() - suffix) {
        suffix -= 1;
    }
    (prefix, old_len - suffix, new_bytes.len() - suffix)
}

/// Bounds on the work a document may cause.
#[derive(Clone, Debug)]
pub struct DocumentLimits {
    /// Documents longer than this many bytes keep their text but get no syntax tree.
    pub max_tree_bytes: usize,
    /// Time an edit may spend reparsing. A reparse that needs longer (tree-sitter's error
    /// recovery after an unbalanced quote can take a full parse) is finished on demand, by
    /// [`Document::parsed_tree`], instead of on the keystroke.
    pub reparse_budget: std::time::Duration,
    /// Time a full parse may spend, before the allowance for the text's length that
    /// [`DocumentLimits::full_parse_budget`] adds. Tree-sitter's error recovery can explode on a
    /// few hundred bytes of unbalanced brackets (seconds, gigabytes); a document whose parse runs
    /// out of time keeps its text and loses its tree until its whole text is replaced.
    pub parse_budget: std::time::Duration,
}

impl DocumentLimits {
    /// The time a full parse of `len_bytes` may take: `parse_budget` plus 2 µs a byte, an
    /// allowance ten times slower than tree-sitter on ordinary source.
    pub fn full_parse_budget(&self, len_bytes: usize) -> std::time::Duration {
        let per_byte = std::time::Duration::from_micros(2);
        self.parse_budget
            .saturating_add(per_byte.saturating_mul(len_bytes.try_into().unwrap_or(u32::MAX)))
    }
}

impl Default for DocumentLimits {
    fn default() -> DocumentLimits {
        DocumentLimits {
            max_tree_bytes: 2 * 1024 * 1024,
            reparse_budget: std::time::Duration::from_micros(500),
            parse_budget: std::time::Duration::from_millis(250),
        }
    }
}

/// Text, version, language and syntax tree of one open document.
pub struct Document {
    rope: Rope,
    version: i32,
    language: Option<Arc<Language>>,
    /// Present when the language has a grammar that loads; reused for every reparse.
    parser: Option<Parser>,
    tree: Option<Tree>,
    /// The tree has been edited but not reparsed since (the reparse ran over its budget).
    stale: bool,
    /// A full parse ran out of [`DocumentLimits::full_parse_budget`]: no tree until the whole
    /// text is replaced.
    unparseable: bool,
    limits: DocumentLimits,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Document")
            .field("version", &self.version)
            .field("language", &self.language.as_ref().map(|language| &language.name))
            .field("len_bytes", &self.rope.len_bytes())
            .field("has_tree", &self.tree.is_some())
            .finish()
    }
}

impl Document {
    /// A document with `text`, parsed unless it is longer than `limits.max_tree_bytes`.
    pub fn new(
        text: &str,
        version: i32,
        language: Option<Arc<Language>>,
        limits: &DocumentLimits,
    ) -> Document {
        let parser = language.as_deref().and_then(parser_for);
        let mut document = Document {
            rope: Rope::from_str(text),
            version,
            language,
            parser,
            tree: None,
            stale: false,
            unparseable: false,
            limits: limits.clone(),
        };
        if document.parser.is_some() && document.over_limit() {
            document.log_over_limit();
        } else {
            document.full_parse(None);
        }
        document
    }

    /// Applies one edit: clamps its positions, swaps a reversed range, updates the rope, then edits
    /// the tree and reparses incrementally. Crossing `max_tree_bytes` drops or rebuilds the tree.
    pub fn apply_change(&mut self, change: &TextChange, encoding: PositionEncoding) {
        let Some(range) = change.range else {
            self.rope = Rope::from_str(&change.text);
            self.tree = None;
            self.stale = false;
            self.unparseable = false;
            if self.parser.is_some() && self.over_limit() {
                self.log_over_limit();
            } else {
                self.full_parse(None);
            }
            return;
        };

        let mut start_byte = self.byte_offset(range.start, encoding);
        let mut old_end_byte = self.byte_offset(range.end, encoding);
        if start_byte > old_end_byte {
            std::mem::swap(&mut start_byte, &mut old_end_byte);
        }
        if start_byte == old_end_byte && change.text.is_empty() {
            return;
        }
        let edit = self.edit_rope(start_byte, old_end_byte, &change.text);
        self.reparse(&edit);
    }

    /// Replaces the whole text by `text` as the one edit that keeps their common prefix and
    /// suffix (on character boundaries), then reparses incrementally to completion, within the
    /// full parse's budget rather than the keystroke's. For callers that receive whole texts rather than edits (the workspace index).
    /// Returns the edit and the ranges whose syntax changed when an old tree was reused; `None`
    /// when there was no tree to reuse or no new tree came out (then [`Document::tree`] is a
    /// fresh parse, or absent).
    pub fn replace_text(&mut self, text: &str) -> Option<Reparse> {
        let (start_byte, old_end_byte, new_end_byte) = single_edit(&self.rope, text);
        let edit = self.edit_rope(start_byte, old_end_byte, &text[start_byte..new_end_byte]);
        let old_tree = self.tree.take();
        self.stale = false;
        self.unparseable = false;
        if self.parser.is_none() || self.over_limit() {
            return None;
        }
        let Some(mut old_tree) = old_tree else {
            self.full_parse(None);
            return None;
        };
        old_tree.edit(&edit);
        self.full_parse(Some(&old_tree));
        let changed_ranges = old_tree.changed_ranges(self.tree.as_ref()?).collect();
        Some(Reparse { edit, changed_ranges })
    }

    /// Replaces `start_byte..old_end_byte` of the rope by `text` and returns the matching
    /// tree-sitter edit (positions before the change from the old rope, after it from the new).
    fn edit_rope(&mut self, start_byte: usize, old_end_byte: usize, text: &str) -> InputEdit {
        let start_position = tree_sitter_point(&self.rope, start_byte);
        let old_end_position = tree_sitter_point(&self.rope, old_end_byte);
        let start_char = self.rope.byte_to_char(start_byte);
        let old_end_char = self.rope.byte_to_char(old_end_byte);
        self.rope.remove(start_char..old_end_char);
        self.rope.insert(start_char, text);
        let new_end_byte = start_byte + text.len();
        InputEdit {
            start_byte,
            old_end_byte,
            new_end_byte,
            start_position,
            old_end_position,
            new_end_position: tree_sitter_point(&self.rope, new_end_byte),
        }
    }

    /// Parses the whole rope (reusing `old_tree`, already edited to match it) within
    /// [`DocumentLimits::full_parse_budget`]; out of time, the document goes text-only.
    fn full_parse(&mut self, old_tree: Option<&Tree>) {
        let Some(parser) = &mut self.parser else { return };
        parser.reset();
        let budget = self.limits.full_parse_budget(self.rope.len_bytes());
        self.tree = parse_rope(parser, &self.rope, old_tree, budget);
        if self.tree.is_none() {
            parser.reset();
            self.unparseable = true;
            tracing::warn!(
                language = self.language.as_ref().map(|language| language.name.as_str()),
                len_bytes = self.rope.len_bytes(),
                budget_ms = budget.as_millis() as u64,
                "parsing ran out of time; keeping text only until the whole text is replaced"
            );
        }
    }

    fn reparse(&mut self, edit: &InputEdit) {
        if self.parser.is_none() || self.unparseable {
            return;
        }
        if self.over_limit() {
            if self.tree.take().is_some() {
                self.log_over_limit();
            }
            return;
        }
        let Some(mut tree) = self.tree.take() else {
            // Back under the limit: a fresh parse.
            self.stale = false;
            self.full_parse(None);
            return;
        };
        tree.edit(edit);
        if self.stale {
            self.tree = Some(tree);
            return;
        }
        let Some(parser) = &mut self.parser else { return };
        match parse_rope(parser, &self.rope, Some(&tree), self.limits.reparse_budget) {
            Some(new_tree) => self.tree = Some(new_tree),
            None => {
                // Over budget: keep the edited tree and finish when someone needs it.
                parser.reset();
                self.tree = Some(tree);
                self.stale = true;
            }
        }
    }

    /// The syntax tree, reparsed first if an edit left it stale. Use this before reading
    /// nodes; [`Document::tree`] may lag behind the text after an expensive edit.
    pub fn parsed_tree(&mut self) -> Option<&Tree> {
        if self.stale {
            self.stale = false;
            let old = self.tree.take();
            self.full_parse(old.as_ref());
        }
        self.tree.as_ref()
    }

    /// Whether a full parse ran out of time, leaving the document without a tree until its
    /// whole text is replaced (see [`DocumentLimits::parse_budget`]).
    pub fn is_unparseable(&self) -> bool {
        self.unparseable
    }

    /// Whether [`Document::tree`] lags behind the text (see [`Document::parsed_tree`]).
    pub fn is_tree_stale(&self) -> bool {
        self.stale
    }

    fn over_limit(&self) -> bool {
        self.rope.len_bytes() > self.limits.max_tree_bytes
    }

    fn log_over_limit(&self) {
        tracing::info!(
            len_bytes = self.rope.len_bytes(),
            max_tree_bytes = self.limits.max_tree_bytes,
            "document too large for a syntax tree; keeping text only"
        );
    }

    /// Sets the editor's version of the text.
    pub fn set_version(&mut self, version: i32) {
        self.version = version;
    }

    /// The editor's version of the text.
    pub fn version(&self) -> i32 {
        self.version
    }

    /// The text.
    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// A copy of the whole text; prefer [`Document::rope`] or [`Document::slice`] on hot paths.
    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// The text's length in bytes.
    pub fn len_bytes(&self) -> usize {
        self.rope.len_bytes()
    }

    /// The syntax tree; `None` without a grammar or above `max_tree_bytes`. After an edit whose
    /// reparse ran over budget it is the edited previous tree: positions shifted, nodes not yet
    /// re-read; [`Document::parsed_tree`] brings it up to date.
    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    /// The document's language; `None` for plain text.
    pub fn language(&self) -> Option<&Arc<Language>> {
        self.language.as_ref()
    }

    /// See [`position::byte_offset`].
    pub fn byte_offset(&self, pos: Position, encoding: PositionEncoding) -> usize {
        position::byte_offset(&self.rope, pos, encoding)
    }

    /// See [`position::position_of`].
    pub fn position_of(&self, byte: usize, encoding: PositionEncoding) -> Position {
        position::position_of(&self.rope, byte, encoding)
    }

    /// The text of a byte range, clamped to the text and rounded down to char boundaries; empty
    /// when the range is reversed.
    pub fn slice(&self, bytes: ByteRange<usize>) -> String {
        let length = self.rope.len_bytes();
        let start_char = self.rope.byte_to_char(bytes.start.min(length));
        let end_char = self.rope.byte_to_char(bytes.end.min(length));
        if start_char >= end_char {
            return String::new();
        }
        self.rope.slice(start_char..end_char).to_string()
    }
}
