//! Similarity windows of a file (overlapping line windows with their token sets), cached per
//! file version so keystroke after keystroke reuses them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::ids::FileId;
use crate::index::State;
use crate::lexical::{self, Window};

/// `(file version, window size, windows)`.
type CachedWindows = (u64, usize, Arc<Vec<Window>>);

/// Window token sets per file version, so keystroke after keystroke reuses them.
#[derive(Default)]
pub(crate) struct WindowCache {
    entries: Mutex<HashMap<FileId, CachedWindows>>,
}

const WINDOW_CACHE_FILES: usize = 512;

impl WindowCache {
    /// The windows of `lines` lines (overlapping by half) of file `id` as `state` holds it.
    pub fn get(&self, state: &State, id: FileId, lines: usize) -> Option<Arc<Vec<Window>>> {
        let entry = state.file(id)?;
        if let Ok(cache) = self.entries.lock()
            && let Some((version, size, windows)) = cache.get(&id)
            && *version == entry.version
            && *size == lines
        {
            return Some(windows.clone());
        }
        let windows = Arc::new(lexical::windows(&entry.text, lines, (lines / 2).max(1)));
        if let Ok(mut cache) = self.entries.lock() {
            if cache.len() >= WINDOW_CACHE_FILES {
                cache.clear();
            }
            cache.insert(id, (entry.version, lines, windows.clone()));
        }
        Some(windows)
    }
}
