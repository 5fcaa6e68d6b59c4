//! Symbol extraction: runs a language's `definitions` and `imports` (and, on request,
//! `references` and `scopes`)
//! queries over a parsed tree and keeps what the index needs. Nothing here knows a language; the
//! capture names (see the crate docs) carry all meaning.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use infill_syntax::Language;
use serde::Serialize;
use streaming_iterator::StreamingIterator;
use tree_sitter::{InputEdit, Node, Query, QueryCursor, Tree};

use crate::lexical::token_hash;

/// What a definition defines, from the suffix of its `@definition.<kind>` capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefKind {
    Function,
    Method,
    Class,
    Type,
    Impl,
    Constant,
    Module,
    Macro,
    Other,
}

impl DefKind {
    /// Maps a capture suffix (`function`, `struct`, `interface`, …) to a kind.
    pub fn from_capture(suffix: &str) -> DefKind {
        match suffix {
            "function" => DefKind::Function,
            "method" | "constructor" | "property" => DefKind::Method,
            "class" | "struct" | "union" | "record" => DefKind::Class,
            "type" | "interface" | "trait" | "enum" | "alias" => DefKind::Type,
            "impl" | "implementation" => DefKind::Impl,
            "constant" | "const" | "variable" | "static" | "field" => DefKind::Constant,
            "module" | "namespace" | "package" => DefKind::Module,
            "macro" => DefKind::Macro,
            _ => DefKind::Other,
        }
    }

    /// Whether this kind contains other definitions worth listing in a skeleton.
    pub fn is_container(self) -> bool {
        matches!(self, DefKind::Class | DefKind::Type | DefKind::Impl | DefKind::Module)
    }
}

/// One definition found by the `definitions` query.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: Box<str>,
    pub kind: DefKind,
    /// Byte range of the `@definition.*` node.
    pub range: Range<usize>,
    /// Where its leading doc comments, attributes or decorators start (≤ `range.start`).
    pub header_start: usize,
    /// The part elided in a skeleton (`@body`, or the node's `body` field).
    pub body: Option<Range<usize>>,
    /// Zero-based lines of `header_start` and of `range.end`.
    pub start_line: u32,
    pub end_line: u32,
    /// Index of the innermost enclosing definition in the same file.
    pub parent: Option<u32>,
    /// Names it extends or implements (`@extends`), as written.
    pub extends: Vec<Box<str>>,
}

/// How an import names its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    /// `@import.path`: a module path or file path, resolved by the language's import style.
    Path,
    /// `@import.submodule`: a module this file declares whose body lives in another file.
    Submodule,
    /// `@import.system`: a system/library include that is not expected in the workspace.
    System,
}

/// One import found by the `imports` query.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    /// The module path as written, without quotes or angle brackets.
    pub path: String,
    /// Symbols imported by name (`@import.name`).
    pub names: Vec<String>,
    pub kind: ImportKind,
    /// Zero-based line of the statement.
    pub line: u32,
    /// Byte offsets of the statement.
    #[serde(skip)]
    pub byte: usize,
    #[serde(skip)]
    pub end_byte: usize,
    /// The statement's first line up to the path (e.g. `require_relative`), for styles that care.
    pub head: String,
}

/// Everything the index keeps about one file's syntax.
#[derive(Debug, Clone, Default)]
pub struct FileSymbols {
    pub definitions: Vec<Definition>,
    pub imports: Vec<Import>,
    /// Packages or namespaces the file declares (`@package`).
    pub packages: Vec<String>,
    /// Sorted, deduplicated hashes of its identifier tokens (a lexical scan: cheaper than the
    /// `references` query and just as good for similarity and rare-token lookups).
    pub tokens: Vec<crate::lexical::Token>,
    /// `(name hash, index into definitions)`, sorted, to find a name's definitions quickly.
    pub def_index: Vec<(crate::lexical::Token, u32)>,
}

impl FileSymbols {
    /// Indexes into `definitions` of the definitions named `name`.
    pub fn definitions_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        let hash = token_hash(name);
        let start = self.def_index.partition_point(|&(h, _)| h < hash);
        self.def_index[start..]
            .iter()
            .take_while(move |&&(h, _)| h == hash)
            .map(|&(_, at)| at as usize)
            .filter(move |&at| self.definitions.get(at).is_some_and(|d| &*d.name == name))
    }
}

/// Definitions deeper than this (closures inside closures inside functions) are not indexed;
/// the limit lets the query cursor skip function bodies, which is most of a file.
pub const DEFINITION_DEPTH: u32 = 7;
/// Imports deeper than this are not indexed when the imports query runs alone (top level,
/// modules, functions, `try` blocks); run together with definitions, the deeper limit applies.
pub const IMPORT_DEPTH: u32 = 5;

thread_local! {
    static CURSOR: std::cell::RefCell<QueryCursor> = std::cell::RefCell::new(QueryCursor::new());
}

fn with_cursor<R>(max_depth: Option<u32>, f: impl FnOnce(&mut QueryCursor) -> R) -> R {
    CURSOR.with(|cursor| match cursor.try_borrow_mut() {
        Ok(mut cursor) => {
            cursor.set_max_start_depth(max_depth);
            f(&mut cursor)
        }
        Err(_) => {
            let mut cursor = QueryCursor::new();
            cursor.set_max_start_depth(max_depth);
            f(&mut cursor)
        }
    })
}

/// Runs the `definitions` and `imports` queries and scans identifier tokens. Missing queries
/// yield empty lists; nothing here panics on odd trees.
pub fn extract(language: &Language, tree: &Tree, text: &str) -> FileSymbols {
    let root = tree.root_node();
    let mut symbols = FileSymbols::default();
    if let Some(query) = combined_query(language) {
        let matches = collect(&query, root, text, DEFINITION_DEPTH);
        symbols.definitions = definitions(&matches, text);
        (symbols.imports, symbols.packages) = imports(&matches, text);
    } else {
        if let Some(query) = language.query("definitions") {
            symbols.definitions = definitions(&collect(query, root, text, DEFINITION_DEPTH), text);
        }
        if let Some(query) = language.query("imports") {
            (symbols.imports, symbols.packages) =
                imports(&collect(query, root, text, IMPORT_DEPTH), text);
        }
    }
    symbols.tokens = crate::lexical::token_set(text);
    symbols.def_index = index_names(&symbols.definitions);
    symbols
}

/// Re-extracts after one edit, touching only the top-level items the edit intersects: symbols
/// before them are kept, symbols after them are shifted. Returns `None` when a full extraction
/// is needed instead (large edits, a definition whose decorations straddle the edited region,
/// a package declaration nearby, no combined query).
pub fn extract_incremental(
    language: &Language,
    tree: &Tree,
    text: &str,
    old: &FileSymbols,
    old_text: &str,
    edit: &InputEdit,
    changed: &[tree_sitter::Range],
) -> Option<FileSymbols> {
    let query = combined_query(language)?;
    let root = tree.root_node();
    let delta = edit.new_end_byte as isize - edit.old_end_byte as isize;
    let line_delta = edit.new_end_position.row as isize - edit.old_end_position.row as isize;
    // The region to re-extract: start from the root's children that the edit or a syntactic
    // change (`changed`: the old and new trees' changed ranges, e.g. error recovery swallowing
    // a neighbour) touches, plus the item after a touched comment/attribute (its doc comment
    // belongs to it). While a single child holds all of it, descend into that child, so an edit
    // inside one method of a large class re-extracts that method only.
    let (mut touch_start, mut touch_end) = (edit.start_byte, edit.new_end_byte);
    for range in changed {
        touch_start = touch_start.min(range.start_byte);
        touch_end = touch_end.max(range.end_byte);
    }
    let mut parent = root;
    let (mut start, mut end);
    loop {
        start = touch_start;
        end = touch_end;
        let mut walker = parent.walk();
        let mut extend_next = false;
        let mut touched = Vec::new();
        for child in parent.children(&mut walker) {
            let touches = child.end_byte() >= touch_start && child.start_byte() <= touch_end;
            if touches || extend_next {
                start = start.min(child.start_byte());
                end = end.max(child.end_byte());
                touched.push(child);
                extend_next = touches && is_decoration(child.kind());
                if !touches && !is_decoration(child.kind()) {
                    break;
                }
            } else if child.start_byte() > touch_end {
                break;
            }
        }
        match touched.as_slice() {
            [only]
                if only.child_count() > 0
                    && only.start_byte() < touch_start
                    && only.end_byte() > touch_end
                    && !is_decoration(only.kind()) =>
            {
                parent = *only;
            }
            _ => break,
        }
    }
    if end - start > 64 * 1024 || (end - start) * 2 > text.len().max(1) {
        return None;
    }
    let old_start = start;
    let old_end = (end as isize - delta) as usize;
    if old_end < old_start || old_end > old_text.len() {
        return None;
    }
    if old.packages.iter().any(|package| old_text[old_start..old_end].contains(package.as_str())) {
        return None;
    }
    let mut matches: Vec<Match<'_, '_>> = Vec::new();
    let names = capture_names(&query);
    with_cursor(Some(DEFINITION_DEPTH), |cursor| {
        cursor.set_byte_range(start..end);
        let mut found_matches = cursor.matches(&query, root, text.as_bytes());
        while let Some(found) = found_matches.next() {
            let captures =
                found.captures.iter().map(|c| (names[c.index as usize], c.node)).collect();
            matches.push((found.pattern_index, captures));
        }
        cursor.set_byte_range(0..usize::MAX);
    });
    // An import statement that straddles the region would be half re-extracted: start over.
    let straddles = |node: &Node<'_>| node.start_byte() < start || node.end_byte() > end;
    if matches.iter().any(|(_, captures)| {
        captures.iter().any(|(capture, node)| capture.starts_with("import") && straddles(node))
    }) {
        return None;
    }
    let mut fresh = definitions(&matches, text);
    fresh.retain(|def| def.range.start >= start && def.range.end <= end);
    let (mut fresh_imports, fresh_packages) = imports(&matches, text);
    if !fresh_packages.is_empty() {
        return None;
    }
    fresh_imports.retain(|import| import.byte >= start && import.byte <= end);
    let mut definitions: Vec<Definition> = Vec::with_capacity(old.definitions.len() + fresh.len());
    for def in &old.definitions {
        if def.range.end <= old_start {
            let mut kept = def.clone();
            kept.parent = None;
            definitions.push(kept);
        } else if def.header_start >= old_end {
            let shift = |at: usize| (at as isize + delta) as usize;
            let mut moved = def.clone();
            moved.range = shift(def.range.start)..shift(def.range.end);
            moved.header_start = shift(def.header_start);
            moved.body = def.body.as_ref().map(|body| shift(body.start)..shift(body.end));
            moved.start_line = (def.start_line as isize + line_delta) as u32;
            moved.end_line = (def.end_line as isize + line_delta) as u32;
            moved.parent = None;
            definitions.push(moved);
        } else if def.range.start >= old_start && def.range.end <= old_end {
            // Inside the region: re-extracted below.
        } else if def.header_start <= old_start
            && def.range.end >= old_end
            && def.body.as_ref().is_some_and(|body| body.start < old_start && body.end > old_end)
        {
            // An enclosing definition whose body holds the region: its header is unchanged,
            // its end moves.
            let mut grown = def.clone();
            grown.range.end = (def.range.end as isize + delta) as usize;
            grown.body =
                def.body.as_ref().map(|body| body.start..(body.end as isize + delta) as usize);
            grown.end_line = (def.end_line as isize + line_delta) as u32;
            grown.parent = None;
            definitions.push(grown);
        } else {
            // Straddles the region (a decoration before it was edited, or an edit in its
            // header): start over.
            return None;
        }
    }
    for mut def in fresh {
        def.parent = None;
        definitions.push(def);
    }
    definitions
        .sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
    link_parents(&mut definitions);
    let mut imports: Vec<Import> = Vec::with_capacity(old.imports.len() + fresh_imports.len());
    for import in &old.imports {
        let overlaps_start = import.byte < old_start && import.end_byte > old_start;
        let overlaps_end = import.byte < old_end && import.end_byte > old_end;
        if overlaps_start || overlaps_end {
            // The edit lands inside an import statement that is not re-extracted whole.
            return None;
        }
        if import.byte < old_start {
            imports.push(import.clone());
        } else if import.byte >= old_end && !(import.byte == old_end && old_start == old_end) {
            let mut moved = import.clone();
            moved.byte = (import.byte as isize + delta) as usize;
            moved.end_byte = (import.end_byte as isize + delta) as usize;
            moved.line = (import.line as isize + line_delta) as u32;
            imports.push(moved);
        }
    }
    imports.extend(fresh_imports);
    imports.sort_by_key(|import| import.byte);
    let mut symbols = FileSymbols {
        definitions,
        imports,
        packages: old.packages.clone(),
        tokens: crate::lexical::token_set(text),
        def_index: Vec::new(),
    };
    symbols.def_index = index_names(&symbols.definitions);
    Some(symbols)
}

fn index_names(definitions: &[Definition]) -> Vec<(crate::lexical::Token, u32)> {
    let mut index: Vec<_> = definitions
        .iter()
        .enumerate()
        .map(|(at, def)| (token_hash(&def.name), at as u32))
        .collect();
    index.sort_unstable();
    index
}

/// Sets each definition's parent to the innermost earlier definition containing it (input sorted
/// by start, longer first).
fn link_parents(defs: &mut [Definition]) {
    let mut stack: Vec<usize> = Vec::new();
    for index in 0..defs.len() {
        while let Some(&top) = stack.last() {
            if defs[top].range.end >= defs[index].range.end
                && defs[top].range.start <= defs[index].range.start
            {
                break;
            }
            stack.pop();
        }
        defs[index].parent = stack.last().map(|&parent| parent as u32);
        stack.push(index);
    }
}

/// Byte ranges of the `@reference` captures of a language's `references` query (for callers
/// that hold a tree, e.g. the completion pipeline).
pub fn references(language: &Language, tree: &Tree, text: &str) -> Vec<Range<usize>> {
    let Some(query) = language.query("references") else { return Vec::new() };
    let mut ranges = Vec::new();
    with_cursor(None, |cursor| {
        let mut captures = cursor.captures(query, tree.root_node(), text.as_bytes());
        while let Some((found, index)) = captures.next() {
            ranges.push(found.captures[*index].node.byte_range());
        }
    });
    ranges
}

/// Byte ranges of the `@scope` captures of a language's `scopes` query, outermost first.
pub fn scopes(language: &Language, tree: &Tree, text: &str) -> Vec<Range<usize>> {
    let Some(query) = language.query("scopes") else { return Vec::new() };
    let mut ranges = Vec::new();
    with_cursor(None, |cursor| {
        let mut captures = cursor.captures(query, tree.root_node(), text.as_bytes());
        while let Some((found, index)) = captures.next() {
            ranges.push(found.captures[*index].node.byte_range());
        }
    });
    ranges.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    ranges.dedup();
    ranges
}

fn capture_names(query: &Query) -> &[&str] {
    query.capture_names()
}

/// One query match: its pattern and `(capture name, node)` pairs.
type Match<'q, 't> = (usize, Vec<(&'q str, Node<'t>)>);

/// Runs `query` once, collecting every match (definitions and imports share one traversal).
fn collect<'q, 't>(query: &'q Query, root: Node<'t>, text: &str, depth: u32) -> Vec<Match<'q, 't>> {
    let names = capture_names(query);
    let mut out = Vec::new();
    with_cursor(Some(depth), |cursor| {
        let mut matches = cursor.matches(query, root, text.as_bytes());
        while let Some(found) = matches.next() {
            let captures =
                found.captures.iter().map(|c| (names[c.index as usize], c.node)).collect();
            out.push((found.pattern_index, captures));
        }
    });
    out
}

/// The definitions and imports queries of a language compiled together, so one traversal
/// serves both (definitions first, so their pattern order still decides ties).
fn combined_query(language: &Language) -> Option<Arc<Query>> {
    static COMBINED: OnceLock<Mutex<HashMap<String, Option<Arc<Query>>>>> = OnceLock::new();
    let cache = COMBINED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().ok()?;
    cache
        .entry(language.name.clone())
        .or_insert_with(|| {
            let ts_language = language.ts_language()?;
            let definitions = language.query_source("definitions").unwrap_or_default();
            let imports = language.query_source("imports").unwrap_or_default();
            Query::new(&ts_language, &format!("{definitions}\n{imports}")).ok().map(Arc::new)
        })
        .clone()
}

fn definitions(matches: &[Match<'_, '_>], text: &str) -> Vec<Definition> {
    // name node range -> (pattern index, definition)
    let mut by_name: HashMap<(usize, usize), (usize, Definition)> = HashMap::new();
    {
        for (pattern_index, captures) in matches {
            let pattern_index = *pattern_index;
            let mut def_node = None;
            let mut kind = DefKind::Other;
            let mut name_node = None;
            let mut body = None;
            let mut extends = Vec::new();
            for &(capture_name, node) in captures {
                if let Some(suffix) = capture_name.strip_prefix("definition.") {
                    def_node = Some(node);
                    kind = DefKind::from_capture(suffix);
                } else if capture_name == "name" {
                    name_node = Some(node);
                } else if capture_name == "body" {
                    body = Some(node.byte_range());
                } else if capture_name == "extends"
                    && let Some(base) = text.get(node.byte_range())
                {
                    extends.push(Box::<str>::from(base.trim()));
                }
            }
            let (Some(def_node), Some(name_node)) = (def_node, name_node) else { continue };
            let Some(name) = text.get(name_node.byte_range()) else { continue };
            if name.is_empty() || name.len() > 200 {
                continue;
            }
            let key = (name_node.start_byte(), name_node.end_byte());
            if let Some((pattern, existing)) = by_name.get_mut(&key) {
                // Several patterns can match one definition (a method is also a function): the
                // first pattern wins; later matches only add bases.
                for base in extends {
                    if !existing.extends.contains(&base) {
                        existing.extends.push(base);
                    }
                }
                if pattern_index < *pattern {
                    *pattern = pattern_index;
                    existing.kind = kind;
                }
                continue;
            }
            let body =
                body.or_else(|| def_node.child_by_field_name("body").map(|node| node.byte_range()));
            let header_start = header_start(def_node);
            let definition = Definition {
                name: name.into(),
                kind,
                range: def_node.byte_range(),
                header_start,
                body,
                start_line: 0,
                end_line: def_node.end_position().row as u32,
                parent: None,
                extends,
            };
            by_name.insert(key, (pattern_index, definition));
        }
    }
    let mut defs: Vec<Definition> = by_name.into_values().map(|(_, def)| def).collect();
    defs.sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
    // Lines of header starts, computed in one pass.
    if !defs.is_empty() {
        let starts = crate::lexical::line_starts(text);
        for def in &mut defs {
            def.start_line = crate::lexical::line_of(&starts, def.header_start) as u32;
        }
    }
    link_parents(&mut defs);
    defs
}

/// Start of the doc comments, attributes and decorators that belong to a definition, and of
/// wrappers such as `export` that end where the definition ends.
fn header_start(node: Node<'_>) -> usize {
    let mut anchor = node;
    while let Some(parent) = anchor.parent() {
        if parent.end_byte() == anchor.end_byte()
            && parent.parent().is_some()
            && only_decoration_before(parent, anchor)
        {
            anchor = parent;
        } else {
            break;
        }
    }
    let mut start = anchor.start_byte();
    let mut row = anchor.start_position().row;
    let mut sibling = anchor.prev_sibling();
    while let Some(previous) = sibling {
        let kind = previous.kind();
        let attached = previous.end_position().row + 1 >= row;
        let decoration = is_decoration(kind);
        if !(attached && decoration) {
            break;
        }
        start = previous.start_byte();
        row = previous.start_position().row;
        sibling = previous.prev_sibling();
    }
    start.min(node.start_byte())
}

fn is_decoration(kind: &str) -> bool {
    kind.contains("comment")
        || kind.contains("attribute")
        || kind.contains("decorator")
        || kind.contains("annotation")
}

/// Whether every child of `parent` before `child` is a keyword or a decoration (so `parent` is a
/// wrapper such as `export …` or `@decorator def …`, not a block holding other statements).
fn only_decoration_before(parent: Node<'_>, child: Node<'_>) -> bool {
    let mut walker = parent.walk();
    for sibling in parent.children(&mut walker) {
        if sibling.id() == child.id() {
            return true;
        }
        if sibling.is_named() && !is_decoration(sibling.kind()) {
            return false;
        }
    }
    false
}

fn strip_quotes(raw: &str) -> &str {
    raw.trim().trim_matches(|c| matches!(c, '"' | '\'' | '`' | '<' | '>'))
}

fn imports(matches: &[Match<'_, '_>], text: &str) -> (Vec<Import>, Vec<String>) {
    let mut imports: Vec<Import> = Vec::new();
    let mut packages: Vec<String> = Vec::new();
    // (statement start, path) -> index in `imports`
    let mut seen: HashMap<(usize, String), usize> = HashMap::new();
    {
        for (_, captures) in matches {
            let mut path = None;
            let mut kind = ImportKind::Path;
            let mut statement = None;
            let mut symbol_names = Vec::new();
            for &(capture_name, node) in captures {
                let node_text = text.get(node.byte_range()).unwrap_or_default();
                match capture_name {
                    "import" => statement = Some(node),
                    "import.path" => path = Some((strip_quotes(node_text), node)),
                    "import.submodule" => {
                        path = Some((strip_quotes(node_text), node));
                        kind = ImportKind::Submodule;
                    }
                    "import.system" => {
                        path = Some((strip_quotes(node_text), node));
                        kind = ImportKind::System;
                    }
                    "import.name" => symbol_names.push(node_text.trim().to_owned()),
                    "package" => {
                        let package = node_text.trim().to_owned();
                        if !package.is_empty() && !packages.contains(&package) {
                            packages.push(package);
                        }
                    }
                    _ => {}
                }
            }
            let Some((path, path_node)) = path else { continue };
            if path.is_empty() || path.len() > 1000 {
                continue;
            }
            let statement = statement.unwrap_or(path_node);
            let key = (statement.start_byte(), path.to_owned());
            if let Some(&existing) = seen.get(&key) {
                for name in symbol_names {
                    if !imports[existing].names.contains(&name) {
                        imports[existing].names.push(name);
                    }
                }
                continue;
            }
            let head_end = path_node.start_byte().max(statement.start_byte());
            let head = text.get(statement.start_byte()..head_end).unwrap_or_default();
            let head = head.lines().next().unwrap_or_default();
            let head: String = head.chars().take(80).collect();
            seen.insert(key, imports.len());
            imports.push(Import {
                path: path.to_owned(),
                names: symbol_names,
                kind,
                line: statement.start_position().row as u32,
                byte: statement.start_byte(),
                end_byte: statement.end_byte(),
                head: head.trim().to_owned(),
            });
        }
    }
    (imports, packages)
}

/// Start of the line holding `offset`.
fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].rfind('\n').map_or(0, |at| at + 1)
}

/// End of the line holding `offset` (after its newline, or the end of the text).
fn line_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[offset..].find('\n').map_or(text.len(), |at| offset + at + 1)
}

/// The full text of a definition, from the start of its first doc/attribute line to the end of
/// its last line, and the byte range it covers.
pub fn full_text<'t>(text: &'t str, def: &Definition) -> (&'t str, Range<usize>) {
    let start = line_start(text, def.header_start);
    let end = line_end(text, def.range.end.saturating_sub(1).max(def.range.start));
    let end = end.min(text.len()).max(start);
    (text.get(start..end).unwrap_or_default(), start..end)
}

/// A skeleton: signature and doc comment with the body elided; containers list their members'
/// skeletons. Starts at the beginning of the definition's first line (indentation included).
pub fn skeleton(text: &str, defs: &[Definition], index: usize) -> String {
    let mut out = String::new();
    let children = children_of(defs);
    write_skeleton(text, defs, &children, index, &mut out, 0);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn children_of(defs: &[Definition]) -> Vec<Vec<usize>> {
    let mut children = vec![Vec::new(); defs.len()];
    for (index, def) in defs.iter().enumerate() {
        if let Some(parent) = def.parent
            && let Some(list) = children.get_mut(parent as usize)
        {
            list.push(index);
        }
    }
    children
}

const MAX_SKELETON_DEPTH: usize = 4;
const MAX_DECLARATION_LINES: usize = 12;

fn write_skeleton(
    text: &str,
    defs: &[Definition],
    children: &[Vec<usize>],
    index: usize,
    out: &mut String,
    depth: usize,
) {
    let def = &defs[index];
    let start = line_start(text, def.header_start);
    let indent: String = text[start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let Some(body) =
        def.body.clone().filter(|body| body.start >= def.range.start && body.end <= def.range.end)
    else {
        // A declaration without a body: short ones verbatim, long ones cut.
        let (full, _) = full_text(text, def);
        for (count, line) in full.lines().enumerate() {
            if count == MAX_DECLARATION_LINES {
                out.push_str(&indent);
                out.push_str("...\n");
                break;
            }
            out.push_str(line);
            out.push('\n');
        }
        return;
    };
    let header = text.get(start..body.start).unwrap_or_default().trim_end();
    let body_text = text.get(body.clone()).unwrap_or_default();
    let trimmed = body_text.trim();
    let braces = trimmed.starts_with('{') || trimmed.starts_with('[');
    let closing = if trimmed.ends_with('}') {
        "}"
    } else if trimmed.ends_with(']') {
        "]"
    } else if trimmed.ends_with("end") {
        "end"
    } else {
        ""
    };
    // Ruby/Lua style bodies exclude the `end`; look just past the body for it.
    let closing = if closing.is_empty() {
        let after = text.get(body.end..def.range.end).unwrap_or_default().trim();
        if after.ends_with("end") { "end" } else { "" }
    } else {
        closing
    };
    let members: &[usize] =
        if depth < MAX_SKELETON_DEPTH && def.kind.is_container() { &children[index] } else { &[] };
    out.push_str(header);
    if members.is_empty() {
        if braces {
            out.push_str(&format!(" {} ... {}\n", &trimmed[..1], closing));
        } else {
            out.push('\n');
            out.push_str(&indent);
            out.push_str("    ...\n");
            if !closing.is_empty() {
                out.push_str(&indent);
                out.push_str(closing);
                out.push('\n');
            }
        }
        return;
    }
    if braces {
        out.push(' ');
        out.push_str(&trimmed[..1]);
    }
    out.push('\n');
    for &child in members {
        write_skeleton(text, defs, children, child, out, depth + 1);
    }
    if !closing.is_empty() {
        out.push_str(&indent);
        out.push_str(closing);
        out.push('\n');
    }
}
