//! Imports from query matches: one per statement and path, with the names imported from it,
//! and the packages a file declares.

use std::collections::HashMap;

use super::query::Match;
use super::types::{Import, ImportKind};

fn strip_quotes(raw: &str) -> &str {
    raw.trim().trim_matches(|c| matches!(c, '"' | '\'' | '`' | '<' | '>'))
}

pub(super) fn imports(matches: &[Match<'_, '_>], text: &str) -> (Vec<Import>, Vec<String>) {
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
