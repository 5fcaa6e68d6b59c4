//! Query files as a language sees them. `build.rs` embeds every `grammars/<dir>/<kind>.scm`;
//! here a language's query of one kind is found: its own file, whose first line may be a
//! Helix-style `; inherits: a, b` directive (the same kind's files of directories `a` and `b`
//! come first), or else the query of the language it `inherits` from in `languages.toml`.

use std::collections::HashMap;

use crate::language::LanguageError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/queries.rs"));
}

/// The embedded `grammars/languages.toml`.
pub(crate) const LANGUAGES_TOML: &str = embedded::LANGUAGES_TOML;

/// How deep `; inherits:` directives and `inherits` keys may chain.
const MAX_INHERITANCE_DEPTH: usize = 8;

/// The embedded text of `grammars/<directory>/<kind>.scm`.
fn embedded_file(directory: &str, kind: &str) -> Option<&'static str> {
    embedded::QUERY_SOURCES
        .iter()
        .find(|(dir, file_kind, _)| *dir == directory && *file_kind == kind)
        .map(|(_, _, source)| *source)
}

/// The query kinds that `directory` has files for.
fn kinds_in(directory: &str) -> impl Iterator<Item = &'static str> {
    embedded::QUERY_SOURCES
        .iter()
        .filter(move |(dir, _, _)| *dir == directory)
        .map(|(_, kind, _)| *kind)
}

/// The directories named by a `; inherits: a, b` first line, if the source has one.
fn inherited_directories(source: &str) -> Vec<&str> {
    let first = source.lines().next().unwrap_or_default();
    let Some(list) =
        first.strip_prefix(';').map(str::trim).and_then(|rest| rest.strip_prefix("inherits:"))
    else {
        return Vec::new();
    };
    list.split(',').map(str::trim).filter(|name| !name.is_empty()).collect()
}

/// `grammars/<directory>/<kind>.scm` with its `; inherits:` directive expanded.
fn expanded_file(
    directory: &str,
    kind: &str,
    depth: usize,
) -> Result<Option<String>, LanguageError> {
    let Some(source) = embedded_file(directory, kind) else { return Ok(None) };
    let mut out = String::new();
    for parent in inherited_directories(source) {
        let inherited = (depth < MAX_INHERITANCE_DEPTH)
            .then(|| expanded_file(parent, kind, depth + 1))
            .transpose()?
            .flatten();
        let Some(inherited) = inherited else {
            return Err(LanguageError::InheritedQuery {
                file: format!("{directory}/{kind}.scm"),
                parent: parent.to_owned(),
            });
        };
        out.push_str(&inherited);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push_str(source);
    Ok(Some(out))
}

/// Every query of every language of a table: `name → [(kind, source)]`. `inherits` maps a
/// language's name to the language it inherits from (both in the table).
pub(crate) fn resolve_all(
    names: &[&str],
    inherits: &HashMap<&str, &str>,
) -> Result<HashMap<String, Vec<(String, String)>>, LanguageError> {
    let mut out = HashMap::new();
    for &name in names {
        // The chain: the language itself, then its ancestors.
        let mut chain = vec![name];
        while let Some(&parent) = chain.last().and_then(|last| inherits.get(last)) {
            if !names.contains(&parent) {
                return Err(LanguageError::UnknownParent {
                    language: name.to_owned(),
                    parent: parent.to_owned(),
                });
            }
            if chain.contains(&parent) || chain.len() > MAX_INHERITANCE_DEPTH {
                return Err(LanguageError::InheritanceCycle { language: name.to_owned() });
            }
            chain.push(parent);
        }
        let mut queries: Vec<(String, String)> = Vec::new();
        for directory in &chain {
            for kind in kinds_in(directory) {
                if queries.iter().any(|(known, _)| known == kind) {
                    continue;
                }
                if let Some(source) = expanded_file(directory, kind, 0)? {
                    queries.push((kind.to_owned(), source));
                }
            }
        }
        out.insert(name.to_owned(), queries);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_inherits_directive() {
        assert_eq!(inherited_directories("; inherits: a, b\n(x) @y"), ["a", "b"]);
        assert_eq!(inherited_directories(";inherits:a\n"), ["a"]);
        assert!(inherited_directories("; Imports for X\n").is_empty());
        assert!(inherited_directories("(x) @y\n; inherits: a").is_empty());
    }

    #[test]
    fn every_embedded_directive_names_an_existing_file() {
        for (directory, kind, _) in embedded::QUERY_SOURCES {
            expanded_file(directory, kind, 0)
                .unwrap_or_else(|error| panic!("{directory}/{kind}.scm: {error}"));
        }
    }
}
