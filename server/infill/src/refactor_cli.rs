//! `infill refactor` and `infill action`: the LSP's refactor agent and code actions on the
//! command line. They print a unified diff (or JSON) and change nothing on disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use infill_ide::actions::{self, ActionEnv, ActionSettings, SourceText, Sources, Target};
use infill_ide::edit::ChangeSet;
use infill_ide::refactor::{self, Progress, RefactorRequest, Scope, Step};
use infill_ide::workspace::{ContextSettings, Workspace, root_for};
use infill_syntax::LanguageRegistry;

use crate::config::Config;

/// Reads files from disk (UTF-8 only, within the size limit).
struct DiskSources {
    max_bytes: u64,
}

impl Sources for DiskSources {
    fn read(&self, path: &Path) -> Option<SourceText> {
        let metadata = std::fs::metadata(path).ok()?;
        if !metadata.is_file() || metadata.len() > self.max_bytes {
            return None;
        }
        let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
        Some(SourceText { text, version: None })
    }
}

/// Prints each step on stderr.
struct StderrProgress;

impl Progress for StderrProgress {
    fn step(&self, step: Step, message: &str) {
        eprintln!("infill: {}: {message}", step.name());
    }
}

/// What `infill refactor` and `infill action` work on.
pub struct Selection {
    /// The file.
    pub path: PathBuf,
    /// 1-based, inclusive line range to select; `None`: no selection (the cursor at line 1).
    pub lines: Option<(usize, usize)>,
}

/// Parses `A-B` or `A` (1-based lines).
pub fn parse_lines(text: &str) -> Result<(usize, usize), String> {
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    match (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
        (Ok(a), Ok(b)) if a >= 1 && b >= a => Ok((a, b)),
        _ => Err(format!("expected LINE or FIRST-LAST with 1-based lines, got `{text}`")),
    }
}

fn byte_range(text: &str, lines: Option<(usize, usize)>) -> std::ops::Range<usize> {
    let Some((first, last)) = lines else { return 0..0 };
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
    let start = starts.get(first - 1).copied().unwrap_or(text.len());
    let end = starts.get(last).copied().unwrap_or(text.len());
    start..end.max(start)
}

struct Prepared {
    engine: Arc<dyn infill_engine::Engine>,
    registry: Arc<LanguageRegistry>,
    workspace: Workspace,
    root: PathBuf,
    target: Target,
    sources: DiskSources,
    settings: ActionSettings,
}

impl Prepared {
    /// What the actions run with.
    fn env(&self) -> ActionEnv<'_> {
        ActionEnv {
            engine: Arc::clone(&self.engine),
            sources: &self.sources,
            registry: &self.registry,
            root: self.root.clone(),
            settings: self.settings.clone(),
        }
    }
}

async fn prepare(config: &Config, selection: &Selection) -> anyhow::Result<Prepared> {
    let path = std::fs::canonicalize(&selection.path)
        .with_context(|| format!("cannot resolve {}", selection.path.display()))?;
    let sources = DiskSources { max_bytes: config.context.max_file_bytes };
    let Some(source) = sources.read(&path) else {
        bail!("cannot read {} as UTF-8 text within {} bytes", path.display(), sources.max_bytes);
    };
    let root = root_for(&path);
    let workspace = Workspace::default();
    workspace.set_settings(ContextSettings::from(&config.context));
    if workspace.is_private(&path) {
        bail!("{} is private (a secret or excluded file): Infill does not read it", path.display());
    }
    workspace.index_root(&root, &|_, _| {});
    let registry = LanguageRegistry::builtin();
    let target = Target {
        language: registry.for_path(&path),
        selection: byte_range(&source.text, selection.lines),
        text: source.text,
        version: None,
        path,
    };
    let engine = crate::engine::load(config.model.clone(), config.engine.clone()).await?;
    Ok(Prepared {
        engine,
        registry,
        workspace,
        root,
        target,
        sources,
        settings: ActionSettings::from(&config.actions),
    })
}

fn print_changes(
    changes: &ChangeSet,
    root: &Path,
    json: bool,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    if json {
        let files: Vec<serde_json::Value> = changes
            .files
            .iter()
            .map(|file| {
                serde_json::json!({
                    "path": file.path,
                    "create": file.create,
                    "new_text": file.new_text(),
                    "diff": infill_ide::edit::unified_diff(&file.original, &file.new_text(), "a", "b"),
                })
            })
            .collect();
        let mut value = serde_json::json!({"files": files, "diff": changes.unified_diff(root)});
        if let (Some(object), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
            object.extend(extra);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", changes.unified_diff(root));
    }
    Ok(())
}

/// `infill refactor --instruction TEXT --path FILE [--lines A-B] [--scope S] [--json]`.
pub async fn refactor(
    config: &Config,
    instruction: &str,
    selection: &Selection,
    scope: Scope,
    json: bool,
) -> anyhow::Result<()> {
    let prepared = prepare(config, selection).await?;
    let env = prepared.env();
    let request = RefactorRequest {
        instruction: instruction.to_owned(),
        scope,
        path: prepared.target.path.clone(),
        selection: prepared.target.selection.clone(),
    };
    let outcome =
        refactor::refactor(&env, Some(&prepared.workspace), &request, &StderrProgress).await?;
    let steps: Vec<serde_json::Value> = outcome
        .steps
        .iter()
        .map(|(step, message)| serde_json::json!({"step": step.name(), "message": message}))
        .collect();
    print_changes(&outcome.changes, &prepared.root, json, serde_json::json!({"steps": steps}))
}

/// `infill action KIND --path FILE [--lines A-B] [--json]`: explain, document, tests.
pub async fn action(
    config: &Config,
    kind: &str,
    selection: &Selection,
    json: bool,
) -> anyhow::Result<()> {
    let prepared = prepare(config, selection).await?;
    let env = prepared.env();
    let changes = match kind {
        "explain" => {
            let explanation = actions::explain(&env, &prepared.target).await?;
            if json {
                let value = serde_json::json!({
                    "title": explanation.title,
                    "markdown": explanation.markdown,
                    "reasoning": explanation.reasoning,
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print!("{}", explanation.to_markdown());
            }
            return Ok(());
        }
        "document" => actions::document(&env, &prepared.target).await?,
        "tests" => actions::tests(&env, &prepared.target).await?,
        other => bail!("unknown action `{other}`: explain, document or tests"),
    };
    print_changes(&changes, &prepared.root, json, serde_json::json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges_select_whole_lines() {
        let text = "a\nbb\nccc\n";
        assert_eq!(byte_range(text, Some((2, 2))), 2..5);
        assert_eq!(byte_range(text, Some((2, 3))), 2..9);
        assert_eq!(byte_range(text, Some((9, 9))), 9..9);
        assert_eq!(byte_range(text, None), 0..0);
        assert_eq!(parse_lines("3-5"), Ok((3, 5)));
        assert_eq!(parse_lines("4"), Ok((4, 4)));
        assert!(parse_lines("5-3").is_err());
        assert!(parse_lines("0").is_err());
    }
}
