//! Which files a refactor may touch: the names at the focus, and the workspace files that mention
//! them or hold a copy of the selection.

use super::*;

/// The names the change is about: identifiers of the selection (or of the definition at the
/// cursor; for the file scope, every definition of the file) that the workspace defines.
pub(super) fn focus_names(
    env: &ActionEnv<'_>,
    path: &Path,
    text: &str,
    selection: &Range<usize>,
    scope: Scope,
) -> Vec<String> {
    let language = env.registry.for_path(path);
    let region = if !selection.is_empty() {
        selection.clone()
    } else {
        match definition_at(language.as_ref(), text, selection.clone()) {
            Some(definition) if scope != Scope::File => definition.range,
            _ => 0..text.len(),
        }
    };
    let mut names = BTreeSet::new();
    let mut ordered = Vec::new();
    if let Some(definition) = definition_at(language.as_ref(), text, region.clone()) {
        names.insert(definition.name.clone());
        ordered.push(definition.name);
    }
    for (_, name) in identifiers(&text[region]) {
        if name.len() >= 2 && names.insert(name.to_owned()) {
            ordered.push(name.to_owned());
        }
    }
    ordered
}

/// Candidate files, the current file first: where the focus names are defined, the files that
/// mention them, the files the instruction names, the files holding a copy of the selected code,
/// the importers of the current file and related tests; at most [`MAX_CANDIDATES`].
pub(super) fn candidates(
    env: &ActionEnv<'_>,
    workspace: Option<&Workspace>,
    request: &RefactorRequest,
    names: &[String],
    selected: &str,
) -> Vec<PathBuf> {
    let mut out = vec![request.path.clone()];
    let Some(workspace) = workspace else { return out };
    let index = workspace.index();
    let push = |path: PathBuf, out: &mut Vec<PathBuf>| {
        if out.len() < MAX_CANDIDATES && !out.contains(&path) && !workspace.is_private(&path) {
            out.push(path);
        }
    };
    let defined: Vec<&String> =
        names.iter().filter(|name| !index.definitions_named(name).is_empty()).collect();
    for name in &defined {
        for definition in index.definitions_named(name) {
            push(definition.path, &mut out);
        }
    }
    for name in &defined {
        for path in index.files_mentioning(name) {
            push(path, &mut out);
        }
    }
    // Files the instruction names ("move it to text.py").
    for path in index.paths() {
        let named = path.file_name().and_then(|n| n.to_str()).is_some_and(|name| {
            name.contains('.')
                && request
                    .instruction
                    .split(|c: char| {
                        c.is_whitespace() || c == '`' || c == '\'' || c == '"' || c == ','
                    })
                    .any(|word| word == name || word.ends_with(&format!("/{name}")))
        });
        if named {
            push(path, &mut out);
        }
    }
    // Files holding a copy of the selected code ("extract it and use it in both handlers"):
    // duplicates that share no name with the selection.
    if let Some(line) = distinctive_line(selected) {
        for path in index.paths() {
            if index.text_of(&path).is_some_and(|text| text.contains(line)) {
                push(path, &mut out);
            }
        }
    }
    if request.scope != Scope::Selection
        && let Some(info) = index.file_info(&request.path)
    {
        for importer in info.importers {
            push(importer, &mut out);
        }
    }
    let _ = env;
    out
}

/// The longest line of the selection, trimmed, when it is long enough to mark a copy of the
/// selected code elsewhere.
fn distinctive_line(selected: &str) -> Option<&str> {
    const MIN_CHARS: usize = 24;
    selected
        .lines()
        .map(str::trim)
        .filter(|line| line.len() >= MIN_CHARS)
        .max_by_key(|line| line.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_a_selection_are_marked_by_its_longest_line() {
        let selected = "    if not ok:\n        raise ValueError(f\"invalid e-mail: {email}\")\n";
        assert_eq!(
            distinctive_line(selected),
            Some("raise ValueError(f\"invalid e-mail: {email}\")")
        );
        assert_eq!(distinctive_line("    return x\n"), None);
        assert_eq!(distinctive_line(""), None);
    }
}
