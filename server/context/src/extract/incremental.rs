//! Incremental extraction: after one edit, re-run the queries over the smallest region of the
//! tree that holds the edit and splice the result into the file's previous symbols, so a
//! keystroke in a large file costs a few milliseconds instead of a full extraction.

use infill_syntax::Language;
use tree_sitter::{InputEdit, Node, Tree};

use super::DEFINITION_DEPTH;
use super::definitions::{definitions, is_decoration, link_parents};
use super::imports::imports;
use super::query::{collect, combined_query};
use super::types::{Definition, FileSymbols, Import, index_names};

/// Re-extracts after one edit, touching only the smallest run of sibling nodes that holds the
/// edit (found by `edited_region` below): symbols before it are kept, symbols after it are
/// shifted, the definitions enclosing it grow. Returns `None` when a full extraction is needed
/// instead (large edits, an import the query sees straddling the region, a package declaration
/// nearby, no combined query).
pub fn extract_incremental(
    language: &Language,
    tree: &Tree,
    text: &str,
    old: &FileSymbols,
    old_text: &str,
    edit: &InputEdit,
    changed: &[tree_sitter::Range],
) -> Option<FileSymbols> {
    let shift = Shift::of(edit);
    let root = tree.root_node();
    let region = edited_region(root, edit, changed, old, old_text.len(), shift, false)?;
    splice_region(language, tree, text, old, old_text, shift, region).or_else(|| {
        // A definition holding the region came out changed: grow the region over it instead.
        let strict = edited_region(root, edit, changed, old, old_text.len(), shift, true)?;
        if strict == region {
            return None;
        }
        splice_region(language, tree, text, old, old_text, shift, strict)
    })
}

/// Re-extracts the new-text region `start..end` and splices it into `old`.
fn splice_region(
    language: &Language,
    tree: &Tree,
    text: &str,
    old: &FileSymbols,
    old_text: &str,
    shift: Shift,
    (start, end): (usize, usize),
) -> Option<FileSymbols> {
    let query = combined_query(language)?;
    let root = tree.root_node();
    if end - start > 64 * 1024 {
        return None;
    }
    let old_start = start;
    let old_end = (end as isize - shift.bytes) as usize;
    if old.packages.iter().any(|package| old_text[old_start..old_end].contains(package.as_str())) {
        return None;
    }
    let matches = collect(&query, root, text, DEFINITION_DEPTH, Some(start..end));
    // An import statement that straddles the region would be half re-extracted: start over.
    let straddles = |node: &Node<'_>| node.start_byte() < start || node.end_byte() > end;
    if matches.iter().any(|(_, captures)| {
        captures.iter().any(|(capture, node)| capture.starts_with("import") && straddles(node))
    }) {
        return None;
    }
    let mut fresh = definitions(&matches, text);
    // Definitions holding the region: their matches intersect it, so they come out whole.
    let holding: Vec<Definition> = fresh
        .iter()
        .filter(|def| def.range.start < start && def.range.end > end)
        .cloned()
        .collect();
    fresh.retain(|def| def.range.start >= start && def.range.end <= end);
    let (mut fresh_imports, fresh_packages) = imports(&matches, text);
    if !fresh_packages.is_empty() {
        return None;
    }
    fresh_imports.retain(|import| import.byte >= start && import.byte <= end);
    let old_region = old_start..old_end;
    let definitions = splice_definitions(&old.definitions, fresh, &holding, &old_region, shift)?;
    let imports = splice_imports(&old.imports, fresh_imports, &old_region, shift)?;
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

/// How far an edit moves what follows it.
#[derive(Clone, Copy)]
struct Shift {
    bytes: isize,
    lines: isize,
}

impl Shift {
    fn of(edit: &InputEdit) -> Shift {
        Shift {
            bytes: edit.new_end_byte as isize - edit.old_end_byte as isize,
            lines: edit.new_end_position.row as isize - edit.old_end_position.row as isize,
        }
    }

    fn byte(self, at: usize) -> usize {
        (at as isize + self.bytes) as usize
    }

    fn line(self, line: u32) -> u32 {
        (line as isize + self.lines) as u32
    }
}

/// The byte range (in the new text) to re-extract: start from the root's children that the edit
/// or a syntactic change (`changed`: the old and new trees' changed ranges, e.g. error recovery
/// swallowing a neighbour) touches, plus the items whose doc comments or attributes could change
/// (see [`children_region`]). While a single child holds all of it, descend into that child, so
/// an edit inside one method of a large class, or inside one item of a macro's token tree,
/// re-extracts that part only. A level whose region an old definition or import straddles (the
/// edit is in its name or header, not inside its body) is not descended into; when even the top
/// level's region is straddled, the region grows to cover the straddling symbol and the search
/// starts over. With `strict`, a definition holding the region outside its body counts as
/// straddling it too. `None` when no region splices cleanly.
fn edited_region(
    root: Node<'_>,
    edit: &InputEdit,
    changed: &[tree_sitter::Range],
    old: &FileSymbols,
    old_len: usize,
    shift: Shift,
    strict: bool,
) -> Option<(usize, usize)> {
    let (mut touch_start, mut touch_end) = (edit.start_byte, edit.new_end_byte);
    for range in changed {
        touch_start = touch_start.min(range.start_byte);
        touch_end = touch_end.max(range.end_byte);
    }
    // A few rounds of growing: each swallows at least one more straddling symbol.
    let mut levels = Vec::new();
    for _ in 0..4 {
        levels.clear();
        let mut parent = root;
        loop {
            let (start, end, inner) = children_region(parent, touch_start, touch_end);
            levels.push((start, end));
            match inner {
                Some(child) => parent = child,
                None => break,
            }
        }
        // The innermost region that splices cleanly.
        let mut straddling = None;
        for &(start, end) in levels.iter().rev() {
            match straddler(old, old_len, start, end, shift, strict) {
                Ok(()) => return Some((start, end)),
                Err(span) => {
                    straddling.get_or_insert(span);
                }
            }
        }
        // Even the top level's is straddled: grow by the innermost straddler.
        let (first, last) = straddling.flatten()?;
        touch_start = touch_start.min(first);
        touch_end = touch_end.max(last);
    }
    None
}

/// The region at one level: the children of `parent` that `touch_start..touch_end` touches, plus
/// the child right after the edit when the edit lies in the gap before it (a line break there
/// can attach or detach the doc comments above it) and, after a touched comment or attribute,
/// the following ones up to the item they belong to. The child to descend into when a single one
/// strictly holds the touched range (and is not a comment or attribute).
fn children_region(
    parent: Node<'_>,
    touch_start: usize,
    touch_end: usize,
) -> (usize, usize, Option<Node<'_>>) {
    let (mut start, mut end) = (touch_start, touch_end);
    let mut walker = parent.walk();
    let mut touched = 0;
    let mut first = None;
    let mut last_decoration = false;
    for child in parent.children(&mut walker) {
        let touches = child.end_byte() >= touch_start && child.start_byte() <= touch_end;
        let after = child.start_byte() > touch_end;
        if touches || (after && (touched == 0 || last_decoration)) {
            start = start.min(child.start_byte());
            end = end.max(child.end_byte());
            touched += 1;
            first.get_or_insert(child);
            last_decoration = is_decoration(child.kind());
            if after && !last_decoration {
                break;
            }
        } else if after {
            break;
        }
    }
    let inner = first.filter(|only| {
        touched == 1
            && only.child_count() > 0
            && only.start_byte() < touch_start
            && only.end_byte() > touch_end
            && !is_decoration(only.kind())
    });
    (start, end, inner)
}

/// Whether the new-text region `start..end` splices cleanly: `Err` with the span (in the new
/// text) of an old definition or import that straddles it (or, with `strict`, holds it outside
/// its body), `Err(None)` when the region does not map onto the old text.
fn straddler(
    old: &FileSymbols,
    old_len: usize,
    start: usize,
    end: usize,
    shift: Shift,
    strict: bool,
) -> Result<(), Option<(usize, usize)>> {
    let old_end = end as isize - shift.bytes;
    if old_end < start as isize || old_end as usize > old_len {
        return Err(None);
    }
    let (old_start, old_end) = (start, old_end as usize);
    // The span of an old symbol that overlaps the region, in the new text.
    let span = |first: usize, last: usize| {
        let last = if last > old_end { shift.byte(last) } else { end };
        Err(Some((first.min(start), last)))
    };
    for def in &old.definitions {
        let splice = classify(def, old_start, old_end);
        if splice == Splice::Straddles || (strict && splice == Splice::Contains) {
            return span(def.header_start, def.range.end);
        }
    }
    for import in &old.imports {
        let overlaps_start = import.byte < old_start && import.end_byte > old_start;
        let overlaps_end = import.byte < old_end && import.end_byte > old_end;
        if overlaps_start || overlaps_end {
            return span(import.byte, import.end_byte);
        }
    }
    Ok(())
}

/// What splicing does with an old definition, given the edited region in the old text.
#[derive(PartialEq, Eq)]
enum Splice {
    /// Ends before the region: kept as it is.
    Before,
    /// Starts (header included) after the region: shifted.
    After,
    /// Inside the region: re-extracted.
    Inside,
    /// Its body holds the region: its end moves.
    Encloses,
    /// Holds the region elsewhere (a long table in a constant's value): kept when the fresh
    /// extraction finds it unchanged but for its end.
    Contains,
    /// Overlaps the region otherwise (an edit in its name or header).
    Straddles,
}

fn classify(def: &Definition, old_start: usize, old_end: usize) -> Splice {
    if def.range.end <= old_start {
        Splice::Before
    } else if def.header_start >= old_end {
        Splice::After
    } else if def.range.start >= old_start && def.range.end <= old_end {
        Splice::Inside
    } else if def.header_start <= old_start
        && def.range.end >= old_end
        && def.body.as_ref().is_some_and(|body| body.start < old_start && body.end > old_end)
    {
        Splice::Encloses
    } else if def.range.start < old_start && def.range.end > old_end {
        Splice::Contains
    } else {
        Splice::Straddles
    }
}

/// The old definitions outside `region` (shifted when after it, grown when they enclose it) plus
/// the fresh ones from inside it, sorted and re-linked; `None` when an old definition straddles
/// the region, or holds it and is not found unchanged (but for its end) among `holding`, the
/// fresh definitions holding the region.
fn splice_definitions(
    old: &[Definition],
    fresh: Vec<Definition>,
    holding: &[Definition],
    region: &std::ops::Range<usize>,
    shift: Shift,
) -> Option<Vec<Definition>> {
    let (old_start, old_end) = (region.start, region.end);
    let mut definitions: Vec<Definition> = Vec::with_capacity(old.len() + fresh.len());
    for def in old {
        match classify(def, old_start, old_end) {
            Splice::Before => {
                let mut kept = def.clone();
                kept.parent = None;
                definitions.push(kept);
            }
            Splice::After => {
                let mut moved = def.clone();
                moved.range = shift.byte(def.range.start)..shift.byte(def.range.end);
                moved.header_start = shift.byte(def.header_start);
                moved.body =
                    def.body.as_ref().map(|body| shift.byte(body.start)..shift.byte(body.end));
                moved.start_line = shift.line(def.start_line);
                moved.end_line = shift.line(def.end_line);
                moved.parent = None;
                definitions.push(moved);
            }
            Splice::Inside => {}
            Splice::Encloses => {
                // Its header is unchanged, its end moves.
                let mut grown = def.clone();
                grown.range.end = shift.byte(def.range.end);
                grown.body = def.body.as_ref().map(|body| body.start..shift.byte(body.end));
                grown.end_line = shift.line(def.end_line);
                grown.parent = None;
                definitions.push(grown);
            }
            Splice::Contains => {
                let moved = |at: usize| if at >= old_end { shift.byte(at) } else { at };
                let body = def.body.as_ref().map(|body| moved(body.start)..moved(body.end));
                let same = |new: &&Definition| {
                    new.range.start == def.range.start
                        && new.range.end == shift.byte(def.range.end)
                        && new.name == def.name
                        && new.kind == def.kind
                        && new.header_start == def.header_start
                        && new.body == body
                        && new.start_line == def.start_line
                        && new.end_line == shift.line(def.end_line)
                        && new.extends == def.extends
                };
                let mut kept = holding.iter().find(same)?.clone();
                kept.parent = None;
                definitions.push(kept);
            }
            // A decoration before it was edited, or an edit in its header: start over.
            Splice::Straddles => return None,
        }
    }
    for mut def in fresh {
        def.parent = None;
        definitions.push(def);
    }
    definitions
        .sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
    link_parents(&mut definitions);
    Some(definitions)
}

/// The old imports before `region`, the fresh ones, and the old ones after it (shifted), in
/// statement order; `None` when the edit lands inside an import that is not re-extracted whole.
fn splice_imports(
    old: &[Import],
    fresh: Vec<Import>,
    region: &std::ops::Range<usize>,
    shift: Shift,
) -> Option<Vec<Import>> {
    let (old_start, old_end) = (region.start, region.end);
    let mut imports: Vec<Import> = Vec::with_capacity(old.len() + fresh.len());
    for import in old {
        let overlaps_start = import.byte < old_start && import.end_byte > old_start;
        let overlaps_end = import.byte < old_end && import.end_byte > old_end;
        if overlaps_start || overlaps_end {
            return None;
        }
        if import.byte < old_start {
            imports.push(import.clone());
        } else if import.byte >= old_end && !(import.byte == old_end && old_start == old_end) {
            let mut moved = import.clone();
            moved.byte = shift.byte(import.byte);
            moved.end_byte = shift.byte(import.end_byte);
            moved.line = shift.line(import.line);
            imports.push(moved);
        }
    }
    imports.extend(fresh);
    imports.sort_by_key(|import| import.byte);
    Some(imports)
}
