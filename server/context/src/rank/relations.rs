//! The graph and recency around the current file: files it imports (and their imports), files
//! that import it, names it imports explicitly, recently used files, and the boost each relation
//! gives a candidate from that file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::request::RankOptions;
use crate::extract::base_name;
use crate::ids::FileId;
use crate::index::State;
use crate::resolve::Resolution;

/// How other files relate to the current one in the graph and in recency.
pub(super) struct Relations {
    pub imports: Vec<FileId>,
    pub imports2: Vec<FileId>,
    pub importers: Vec<FileId>,
    /// name → files that an import statement names it from.
    pub imported_names: HashMap<String, Vec<FileId>>,
    pub recent: Vec<FileId>,
    current_dir: Option<PathBuf>,
    /// Every related file with its boost, built once per request.
    pub boosts: HashMap<FileId, (f32, &'static str)>,
}

impl Relations {
    /// The relations of the file at `path` (`current`, when it is indexed), as far as the
    /// request's signals ask for them.
    pub fn build(
        state: &State,
        path: &Path,
        current: Option<FileId>,
        options: &RankOptions,
    ) -> Relations {
        let mut relations = Relations {
            imports: Vec::new(),
            imports2: Vec::new(),
            importers: Vec::new(),
            imported_names: HashMap::new(),
            recent: Vec::new(),
            current_dir: path.parent().map(Path::to_path_buf),
            boosts: HashMap::new(),
        };
        if options.signals.graph
            && let Some(id) = current
            && let Some(entry) = state.file(id)
        {
            relations.imports = entry.imports.clone();
            relations.importers = state.importers_of(id).to_vec();
            relations.importers.truncate(64);
            for &imported in relations.imports.iter().take(32) {
                if let Some(next) = state.file(imported) {
                    for &two in next.imports.iter().take(32) {
                        if two != id
                            && !relations.imports.contains(&two)
                            && !relations.imports2.contains(&two)
                        {
                            relations.imports2.push(two);
                        }
                    }
                }
            }
            // A Go import's name is the package's alias (`log "github.com/sirupsen/logrus"`),
            // not a symbol the package defines.
            let aliases = entry.language.as_deref().is_some_and(|l| l.name == "go");
            for (import, resolution) in entry.symbols.imports.iter().zip(&entry.resolved) {
                if let Resolution::Files(files) = resolution
                    && !aliases
                {
                    for name in &import.names {
                        relations
                            .imported_names
                            .entry(base_name(name).to_owned())
                            .or_default()
                            .extend(files);
                    }
                }
            }
        }
        if options.signals.recency {
            relations.recent = state
                .recent()
                .iter()
                .copied()
                .filter(|&id| Some(id) != current)
                .take(options.recent_files)
                .collect();
        }
        relations.finish();
        relations
    }

    /// Fills `boosts`; stronger relations win.
    fn finish(&mut self) {
        let groups: [(&[FileId], f32, &'static str); 4] = [
            (&self.recent, 1.3, "recent file"),
            (&self.imports2, 1.5, "imported by an imported file"),
            (&self.importers, 1.6, "imports this file"),
            (&self.imports, 2.5, "imported file"),
        ];
        for (files, boost, why) in groups {
            for &file in files {
                self.boosts.insert(file, (boost, why));
            }
        }
    }

    /// How `file` relates to the current one, as a multiplier ≥ 1 and a short description.
    pub fn boost(&self, state: &State, file: FileId) -> (f32, &'static str) {
        if let Some(&found) = self.boosts.get(&file) {
            found
        } else if self.current_dir.is_some()
            && state.file(file).and_then(|e| e.path.parent()) == self.current_dir.as_deref()
        {
            (1.2, "same directory")
        } else {
            (1.0, "by name")
        }
    }
}
