//! *Add documentation*: a doc comment for the definition at the cursor, written by the model and
//! rendered in the language's own form (`[language.actions]` in `grammars/languages.toml`).

use super::*;

/// *Add documentation*: a doc comment for the definition at the cursor, in the language's form.
pub async fn document(env: &ActionEnv<'_>, target: &Target) -> Result<ChangeSet, ActionError> {
    let language = target
        .language
        .as_ref()
        .ok_or_else(|| ActionError::NotApplicable("the file's language is not known".into()))?;
    let style = language.actions.doc.clone().ok_or_else(|| {
        ActionError::NotApplicable(format!("no documentation form is known for {}", language.name))
    })?;
    let definition = definition_at(Some(language), &target.text, target.selection.clone())
        .ok_or_else(|| ActionError::NotApplicable("there is no definition at the cursor".into()))?;
    let code = &target.text[definition.range.clone()];
    let prompt = format!(
        "Write the documentation for `{}` below. Reply with the text only: one summary \
         sentence, then, if useful, a few short lines about its parameters and what it returns. \
         No code, no comment markers.\n\n```{}\n{}\n```",
        definition.name, language.name, code
    );
    let answer = ask(
        &env.engine,
        vec![ChatMessage::new("system", SYSTEM), ChatMessage::new("user", prompt)],
        &env.settings,
    )
    .await?;
    let (answer, _) = split_reasoning(&answer);
    let text = doc_text(&answer);
    if text.is_empty() {
        return Err(ActionError::Unusable(format!(
            "the model gave no documentation: {}",
            preview(&answer)
        )));
    }
    let edit = render_doc(&style, &target.text, &definition, &text)?;
    let change = FileChange {
        path: target.path.clone(),
        original: target.text.clone(),
        version: target.version,
        create: false,
        edits: vec![edit],
    };
    verify_change(target.language.as_ref(), &change)?;
    Ok(ChangeSet { files: vec![change] })
}

/// The documentation text of an answer: code fences, comment markers and quotes removed, at most
/// twelve lines.
fn doc_text(answer: &str) -> String {
    let body = if answer.contains("```") { code_block(answer) } else { answer.to_owned() };
    let markers: &[&str] = &["/**", "*/", "///", "//!", "//", "\"\"\"", "'''", "--", "#", "*"];
    let lines: Vec<String> = body
        .lines()
        .map(|line| {
            let mut line = line.trim();
            for marker in markers {
                if let Some(rest) = line.strip_prefix(marker) {
                    line = rest.trim_start();
                    break;
                }
            }
            for marker in ["*/", "\"\"\"", "'''"] {
                line = line.strip_suffix(marker).unwrap_or(line).trim_end();
            }
            line.to_owned()
        })
        .collect();
    let start = lines.iter().position(|line| !line.is_empty()).unwrap_or(lines.len());
    let mut kept: Vec<String> = lines[start..].iter().take(12).cloned().collect();
    while kept.last().is_some_and(|line| line.is_empty()) {
        kept.pop();
    }
    kept.join("\n")
}

/// The insertion of `doc` for `definition` in `style`.
fn render_doc(
    style: &DocStyle,
    text: &str,
    definition: &Definition,
    doc: &str,
) -> Result<TextEdit, ActionError> {
    match style {
        DocStyle::Line { prefix } => {
            let indent = indentation_at(text, definition.range.start);
            let mut out = String::new();
            for line in doc.lines() {
                out.push_str(indent);
                out.push_str(if line.is_empty() { prefix.trim_end() } else { prefix });
                out.push_str(line);
                out.push('\n');
            }
            Ok(TextEdit::insert(line_start(text, definition.range.start), out))
        }
        DocStyle::Block { open, prefix, close } => {
            let indent = indentation_at(text, definition.range.start);
            let mut out = format!("{indent}{open}\n");
            for line in doc.lines() {
                out.push_str(indent);
                out.push_str(if line.is_empty() { prefix.trim_end() } else { prefix });
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&format!("{indent}{close}\n"));
            Ok(TextEdit::insert(line_start(text, definition.range.start), out))
        }
        DocStyle::Docstring { quote } => {
            let body = definition.body.clone().ok_or_else(|| {
                ActionError::NotApplicable(format!("`{}` has no body", definition.name))
            })?;
            let body_line = line_start(text, body.start);
            if body_line <= definition.range.start {
                return Err(ActionError::NotApplicable(format!(
                    "the body of `{}` starts on its first line; put it on a line of its own",
                    definition.name
                )));
            }
            let indent = indentation_at(text, body.start);
            let doc = doc.replace(quote.as_str(), "");
            let mut lines = doc.lines();
            let mut out = format!("{indent}{quote}{}", lines.next().unwrap_or(""));
            let rest: Vec<&str> = lines.collect();
            if rest.is_empty() {
                out.push_str(&format!("{quote}\n"));
            } else {
                out.push('\n');
                for line in rest {
                    if line.is_empty() {
                        out.push('\n');
                    } else {
                        out.push_str(&format!("{indent}{line}\n"));
                    }
                }
                out.push_str(&format!("{indent}{quote}\n"));
            }
            Ok(TextEdit::insert(body_line, out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::tests::python_target;

    #[test]
    fn docstrings_go_inside_the_body() {
        let text = "class A:\n    def area(self, w):\n        return w * 2\n";
        let target = python_target(text, text.find("return").unwrap());
        let definition =
            definition_at(target.language.as_ref(), text, target.selection.clone()).unwrap();
        let style = DocStyle::Docstring { quote: "\"\"\"".into() };
        let edit = render_doc(&style, text, &definition, "Twice the width.").unwrap();
        let after = crate::edit::apply(text, &[edit]);
        assert_eq!(
            after,
            "class A:\n    def area(self, w):\n        \"\"\"Twice the width.\"\"\"\n        return w * 2\n"
        );
        let edit = render_doc(&style, text, &definition, "Twice.\n\nArgs: w").unwrap();
        let after = crate::edit::apply(text, &[edit]);
        assert!(
            after.contains(
                "        \"\"\"Twice.\n\n        Args: w\n        \"\"\"\n        return"
            )
        );
    }

    #[test]
    fn line_and_block_docs_go_before_the_definition() {
        let text = "impl A {\n    fn area(&self) -> u32 {\n        2\n    }\n}\n";
        let rust = LanguageRegistry::builtin().by_name("rust");
        let at = text.find('2').unwrap();
        let definition = definition_at(rust.as_ref(), text, at..at).unwrap();
        let style = DocStyle::Line { prefix: "/// ".into() };
        let edit = render_doc(&style, text, &definition, "The area.\n\nIn units.").unwrap();
        let after = crate::edit::apply(text, &[edit]);
        assert!(after.contains("    /// The area.\n    ///\n    /// In units.\n    fn area"));
        let style =
            DocStyle::Block { open: "/**".into(), prefix: " * ".into(), close: " */".into() };
        let edit = render_doc(&style, text, &definition, "The area.").unwrap();
        let after = crate::edit::apply(text, &[edit]);
        assert!(after.contains("    /**\n     * The area.\n     */\n    fn area"));
    }

    #[test]
    fn doc_text_drops_markers_and_fences() {
        assert_eq!(doc_text("/// Adds one.\n/// Returns x."), "Adds one.\nReturns x.");
        assert_eq!(doc_text("```\n\"\"\"Adds one.\"\"\"\n```"), "Adds one.");
        assert_eq!(doc_text("\n\n"), "");
    }
}
