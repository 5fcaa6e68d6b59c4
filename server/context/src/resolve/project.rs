//! Project files that steer import resolution (`go.mod`, `tsconfig.json`, `Cargo.toml`...):
//! which files they are is data (`project_files` of `[language.imports]`); what they mean is
//! read here, by import style, when the workspace walk meets them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use infill_syntax::ImportStyle;

use crate::paths::normalize;

/// Project files that steer resolution, collected during the walk.
#[derive(Debug, Default, Clone)]
pub(crate) struct Project {
    /// `(directory of go.mod, module path)`.
    pub go_modules: Vec<(PathBuf, String)>,
    /// `(directory of tsconfig/jsconfig, its settings)`.
    pub tsconfigs: Vec<(PathBuf, TsConfig)>,
    /// Workspace crate name (with `_`) → directory of its `src`.
    pub crates: HashMap<String, PathBuf>,
}

/// The parts of a tsconfig/jsconfig that resolution reads.
#[derive(Debug, Default, Clone)]
pub(crate) struct TsConfig {
    pub base_url: Option<PathBuf>,
    pub paths: Vec<(String, Vec<String>)>,
}

impl Project {
    /// Reads a project file that a language of `style` names. Returns whether the style reads
    /// project files at all.
    pub fn note_file(&mut self, style: ImportStyle, path: &Path, text: &str) -> bool {
        let Some(dir) = path.parent() else { return false };
        match style {
            ImportStyle::Go => {
                if let Some(module) =
                    text.lines().find_map(|line| line.trim().strip_prefix("module "))
                {
                    let module = module.trim().trim_matches('"').to_owned();
                    self.go_modules.retain(|(existing, _)| existing != dir);
                    self.go_modules.push((dir.to_path_buf(), module));
                }
                true
            }
            ImportStyle::Ecmascript => {
                let config = parse_tsconfig(dir, text);
                self.tsconfigs.retain(|(existing, _)| existing != dir);
                self.tsconfigs.push((dir.to_path_buf(), config));
                self.tsconfigs.sort_by_key(|(dir, _)| std::cmp::Reverse(dir.components().count()));
                true
            }
            ImportStyle::RustMod => {
                if let Some(name) = cargo_package_name(text) {
                    self.crates.insert(name.replace('-', "_"), dir.join("src"));
                }
                true
            }
            _ => false,
        }
    }
}

/// `name = "…"` inside the `[package]` table, without a TOML parser.
fn cargo_package_name(text: &str) -> Option<String> {
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package
            && let Some(rest) = line.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// Strips `//` and `/* */` comments and trailing commas so serde_json reads a tsconfig.
fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut in_string = false;
    while at < bytes.len() {
        let byte = bytes[at];
        if in_string {
            if byte == b'\\' && at + 1 < bytes.len() {
                out.push_str(&text[at..at + 2]);
                at += 2;
                continue;
            }
            if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if bytes[at..].starts_with(b"//") {
            while at < bytes.len() && bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        } else if bytes[at..].starts_with(b"/*") {
            at += 2;
            while at < bytes.len() && !bytes[at..].starts_with(b"*/") {
                at += 1;
            }
            at += 2;
            continue;
        } else if byte == b',' {
            let rest = text[at + 1..].trim_start();
            if rest.starts_with('}') || rest.starts_with(']') {
                at += 1;
                continue;
            }
        }
        let len = text[at..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[at..at + len]);
        at += len;
    }
    out
}

fn parse_tsconfig(dir: &Path, text: &str) -> TsConfig {
    let mut config = TsConfig::default();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&strip_jsonc(text)) else {
        return config;
    };
    let Some(options) = value.get("compilerOptions") else { return config };
    let base_url =
        options.get("baseUrl").and_then(|v| v.as_str()).map(|base| normalize(&dir.join(base)));
    if let Some(paths) = options.get("paths").and_then(|v| v.as_object()) {
        for (pattern, targets) in paths {
            let targets = targets
                .as_array()
                .map(|list| list.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            config.paths.push((pattern.clone(), targets));
        }
    }
    // `paths` entries are relative to baseUrl when set, else to the tsconfig's directory.
    config.base_url = Some(base_url.clone().unwrap_or_else(|| dir.to_path_buf()));
    if base_url.is_none() && config.paths.is_empty() {
        config.base_url = None;
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc() {
        let config = parse_tsconfig(
            Path::new("/w"),
            "{ // c\n \"compilerOptions\": { /* x */ \"baseUrl\": \"./src\", \"paths\": { \"@/*\": [\"lib/*\"], }, }, }",
        );
        assert_eq!(config.base_url.as_deref(), Some(Path::new("/w/src")));
        assert_eq!(config.paths, vec![("@/*".to_owned(), vec!["lib/*".to_owned()])]);
    }

    #[test]
    fn project_files_by_style() {
        let mut project = Project::default();
        assert!(project.note_file(
            ImportStyle::Go,
            Path::new("/w/go.mod"),
            "module example.com/m\n"
        ));
        assert_eq!(project.go_modules, [(PathBuf::from("/w"), "example.com/m".to_owned())]);
        let manifest = "[package]\nname = \"my-crate\"\n";
        assert!(project.note_file(ImportStyle::RustMod, Path::new("/w/c/Cargo.toml"), manifest));
        assert_eq!(project.crates.get("my_crate"), Some(&PathBuf::from("/w/c/src")));
        assert!(!project.note_file(ImportStyle::Python, Path::new("/w/setup.cfg"), ""));
    }
}
