//! Definitions from query matches: one per name node (the earliest pattern decides the kind),
//! with the doc comments, attributes and decorators above it, lines and parent links.

use std::collections::HashMap;

use tree_sitter::Node;

use super::query::Match;
use super::types::{DefKind, Definition};

pub(super) fn definitions(matches: &[Match<'_, '_>], text: &str) -> Vec<Definition> {
    // name node range -> (pattern index, definition)
    let mut by_name: HashMap<(usize, usize), (usize, Definition)> = HashMap::new();
    let mut siblings = Siblings::default();
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
            let (header_start, start_line) = header_start(def_node, &mut siblings);
            let definition = Definition {
                name: name.into(),
                kind,
                range: def_node.byte_range(),
                header_start,
                body,
                start_line: start_line as u32,
                end_line: def_node.end_position().row as u32,
                parent: None,
                extends,
            };
            by_name.insert(key, (pattern_index, definition));
        }
    }
    let mut defs: Vec<Definition> = by_name.into_values().map(|(_, def)| def).collect();
    defs.sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
    link_parents(&mut defs);
    defs
}

/// The children of the parents seen so far, by parent id, so walking back over a definition's
/// doc comments costs one pass over its siblings rather than one per comment line (a node's
/// previous sibling is found by walking its parent's children from the first).
#[derive(Default)]
struct Siblings {
    by_parent: HashMap<usize, Vec<Sibling>>,
}

/// What [`header_start`] needs of a sibling.
struct Sibling {
    id: usize,
    decoration: bool,
    start_byte: usize,
    start_row: usize,
    end_row: usize,
}

impl Siblings {
    /// The children of `parent`, in order.
    fn of(&mut self, parent: Node<'_>) -> &[Sibling] {
        self.by_parent.entry(parent.id()).or_insert_with(|| {
            let mut cursor = parent.walk();
            parent
                .children(&mut cursor)
                .map(|child| Sibling {
                    id: child.id(),
                    decoration: is_decoration(child.kind()),
                    start_byte: child.start_byte(),
                    start_row: child.start_position().row,
                    end_row: child.end_position().row,
                })
                .collect()
        })
    }
}

/// Start of the doc comments, attributes and decorators that belong to a definition, and of
/// wrappers such as `export` that end where the definition ends, with its (zero-based) row.
fn header_start(node: Node<'_>, siblings: &mut Siblings) -> (usize, usize) {
    let mut anchor = node;
    let mut anchor_parent = anchor.parent();
    while let Some(parent) = anchor_parent {
        let grandparent = parent.parent();
        if parent.end_byte() == anchor.end_byte()
            && grandparent.is_some()
            && only_decoration_before(parent, anchor)
        {
            anchor = parent;
            anchor_parent = grandparent;
        } else {
            break;
        }
    }
    let mut start = anchor.start_byte();
    let mut row = anchor.start_position().row;
    if let Some(parent) = anchor_parent {
        let children = siblings.of(parent);
        let at = children.partition_point(|child| child.start_byte < start);
        let index = children[at..]
            .iter()
            .position(|child| child.id == anchor.id())
            .map(|offset| at + offset)
            .or_else(|| children.iter().position(|child| child.id == anchor.id()));
        if let Some(index) = index {
            for previous in children[..index].iter().rev() {
                let attached = previous.end_row + 1 >= row;
                if !(attached && previous.decoration) {
                    break;
                }
                start = previous.start_byte;
                row = previous.start_row;
            }
        }
    }
    if node.start_byte() < start {
        (node.start_byte(), node.start_position().row)
    } else {
        (start, row)
    }
}

pub(super) fn is_decoration(kind: &str) -> bool {
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

/// Sets each definition's parent to the innermost earlier definition containing it (input sorted
/// by start, longer first).
pub(super) fn link_parents(defs: &mut [Definition]) {
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
