//! The inline completion pipeline: snapshot → shape → prompt in the model's template → engine →
//! post-processing → suggestion, with the two shortcuts that skip the engine: typed-through
//! reuse of the last suggestion and an identical-request cache.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use infill_engine::{
    ContextFile, Engine, EngineError, GenerateRequest, GenerationStats, ModelFamily, PromptInput,
    PromptParts, RenderedPrompt,
};
use infill_syntax::Language;
use serde::Serialize;

use crate::postprocess::{self, PostprocessConfig, PostprocessInput, Shape};

/// How completions are made.
#[derive(Debug, Clone)]
pub struct CompletionSettings {
    pub max_tokens: usize,
    pub max_lines: usize,
    pub time_budget: Duration,
    pub in_comments: bool,
    pub in_strings: bool,
    /// Bytes of the current file before the cursor that go into the prompt.
    pub prefix_bytes: usize,
    /// Bytes after the cursor (FIM models, and post-processing).
    pub suffix_bytes: usize,
    /// Apply the post-processing filters (off only for measurements).
    pub postprocess: bool,
}

impl Default for CompletionSettings {
    fn default() -> Self {
        Self {
            max_tokens: 48,
            max_lines: 8,
            time_budget: Duration::from_secs(3),
            in_comments: false,
            in_strings: false,
            prefix_bytes: 6000,
            suffix_bytes: 1500,
            postprocess: true,
        }
    }
}

/// A snapshot of everything one completion needs.
#[derive(Debug, Clone)]
pub struct CompletionInput {
    /// The current file's workspace-relative path (shown to the model).
    pub path: String,
    pub repo_name: String,
    /// The document text at the requested version.
    pub text: String,
    /// Cursor as a byte offset into `text`.
    pub cursor: usize,
    pub tree: Option<tree_sitter::Tree>,
    pub language: Option<Arc<Language>>,
    /// Workspace context, least changing first.
    pub context: Vec<ContextFile>,
}

/// Where a suggestion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionSource {
    Engine,
    TypedThrough,
    Cache,
}

/// Text to insert at the cursor.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub text: String,
    pub source: SuggestionSource,
    pub stats: Option<GenerationStats>,
    pub elapsed: Duration,
}

/// Why no suggestion could be made.
#[derive(Debug, thiserror::Error)]
pub enum CompletionError {
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Local statistics (no telemetry: they never leave the process).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompletionStats {
    pub requests: u64,
    pub suggestions: u64,
    pub engine_requests: u64,
    pub typed_through: u64,
    pub cache_hits: u64,
    pub accepted: u64,
    pub partially_accepted: u64,
    /// Latencies of the most recent requests, milliseconds.
    pub recent_latency_ms: VecDeque<u64>,
}

impl CompletionStats {
    pub fn record(&mut self, suggestion: Option<&Suggestion>, elapsed: Duration) {
        self.requests += 1;
        if let Some(s) = suggestion {
            self.suggestions += 1;
            match s.source {
                SuggestionSource::Engine => self.engine_requests += 1,
                SuggestionSource::TypedThrough => self.typed_through += 1,
                SuggestionSource::Cache => self.cache_hits += 1,
            }
        }
        self.recent_latency_ms.push_back(elapsed.as_millis() as u64);
        if self.recent_latency_ms.len() > 200 {
            self.recent_latency_ms.pop_front();
        }
    }

    /// Accepted suggestions per suggestion shown.
    pub fn acceptance_rate(&self) -> f64 {
        if self.suggestions == 0 { 0.0 } else { self.accepted as f64 / self.suggestions as f64 }
    }

    /// The median of recent latencies.
    pub fn median_latency_ms(&self) -> Option<u64> {
        let mut sorted: Vec<u64> = self.recent_latency_ms.iter().copied().collect();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied()
    }
}

struct LastSuggestion {
    path: String,
    prefix: String,
    text: String,
}

const CACHE_ENTRIES: usize = 64;

/// Makes suggestions with one engine.
pub struct Completer {
    engine: Arc<dyn Engine>,
    settings: RwLock<CompletionSettings>,
    last: Mutex<Option<LastSuggestion>>,
    cache: Mutex<VecDeque<(u64, String)>>,
}

impl std::fmt::Debug for Completer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Completer").finish_non_exhaustive()
    }
}

/// Renders the completion prompt for `input` in `family`'s layout: the context files, then the
/// window of the current file that ends at the cursor (and the suffix, for FIM models).
pub fn render(
    family: &ModelFamily,
    input: &CompletionInput,
    settings: &CompletionSettings,
) -> RenderedPrompt {
    let cursor = floor_char_boundary(&input.text, input.cursor);
    let start = window_start(&input.text, cursor, settings.prefix_bytes);
    let suffix_end = floor_char_boundary(
        &input.text,
        cursor.saturating_add(settings.suffix_bytes).min(input.text.len()),
    );
    family.render(&PromptParts {
        repo_name: &input.repo_name,
        context: &input.context,
        path: &input.path,
        prefix: &input.text[start..prompt_end(&input.text, cursor)],
        suffix: &input.text[cursor..suffix_end],
    })
}

/// Where the prompt's prefix ends: the cursor, less the spaces and tabs typed after code on the
/// cursor's line. Tokenizers glue a space to the word after it (` total` is one token), so a
/// prompt that ends in `return ` leaves the model a lone space it has rarely seen end a token,
/// and it often ends the line there. Without the space the model writes ` total`, and
/// post-processing drops the space the user already typed.
fn prompt_end(text: &str, cursor: usize) -> usize {
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..cursor];
    let code = line.trim_end_matches([' ', '\t']);
    if code.trim_start_matches([' ', '\t']).is_empty() { cursor } else { line_start + code.len() }
}

/// The prompt text alone (for `infill/context` and `infill context`).
pub fn render_prompt(
    family: &ModelFamily,
    input: &CompletionInput,
    settings: &CompletionSettings,
) -> String {
    render(family, input, settings).text
}

/// The start of the prompt's window into the current file: a line start on a coarse grid, so
/// that typing forward keeps the window's start (and the engine's cached prefix) in place.
pub fn window_start(text: &str, cursor: usize, prefix_bytes: usize) -> usize {
    if cursor <= prefix_bytes {
        return 0;
    }
    let grid = (prefix_bytes / 4).max(1);
    let target = (cursor - prefix_bytes).div_ceil(grid) * grid;
    let target = target.min(cursor);
    match text[..cursor].get(target..).and_then(|rest| rest.find('\n')) {
        Some(newline) => target + newline + 1,
        None => floor_char_boundary(text, target),
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn hash_request(prompt: &str, request: &GenerateRequest) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    prompt.hash(&mut hasher);
    request.max_tokens.hash(&mut hasher);
    request.stop.hash(&mut hasher);
    hasher.finish()
}

impl Completer {
    pub fn new(engine: Arc<dyn Engine>, settings: CompletionSettings) -> Self {
        Self {
            engine,
            settings: RwLock::new(settings),
            last: Mutex::new(None),
            cache: Mutex::new(VecDeque::new()),
        }
    }

    pub fn engine(&self) -> Arc<dyn Engine> {
        Arc::clone(&self.engine)
    }

    pub fn settings(&self) -> CompletionSettings {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_settings(&self, settings: CompletionSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// Clamps the cursor into the text and onto a character boundary.
    fn clamp_cursor(input: &mut CompletionInput) {
        input.cursor = floor_char_boundary(&input.text, input.cursor);
    }

    /// The suggestion left over when the user typed the start of the last one.
    fn typed_through(&self, input: &CompletionInput) -> Option<String> {
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let last = last.as_ref()?;
        let prefix = &input.text[..input.cursor];
        if last.path != input.path || !prefix.starts_with(&last.prefix) {
            return None;
        }
        let typed = &prefix[last.prefix.len()..];
        if typed.is_empty() {
            return None;
        }
        let rest = last.text.strip_prefix(typed)?;
        (!rest.trim().is_empty()).then(|| rest.to_string())
    }

    fn remember(&self, input: &CompletionInput, text: &str) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(LastSuggestion {
            path: input.path.clone(),
            prefix: input.text[..input.cursor].to_string(),
            text: text.to_string(),
        });
    }

    /// Builds the engine request for `input`: the prompt in the model's template and the stops.
    pub fn request(&self, input: &CompletionInput, shape: &Shape) -> GenerateRequest {
        let settings = self.settings();
        let family = self.engine.capabilities().family;
        let rendered = render(&family, input, &settings);
        let mut stop = rendered.stop;
        match shape {
            Shape::SingleLine => stop.push("\n".into()),
            _ => stop.push("\n\n\n".into()),
        }
        GenerateRequest {
            input: PromptInput::Text(rendered.text),
            stop,
            max_tokens: settings.max_tokens,
            time_budget: Some(settings.time_budget),
            temperature: 0.0,
            top_p: None,
            seed: Some(0),
        }
    }

    /// Makes a suggestion for `input`, or `None` when there is nothing worth showing.
    pub async fn complete(
        &self,
        mut input: CompletionInput,
    ) -> Result<Option<Suggestion>, CompletionError> {
        let started = Instant::now();
        Self::clamp_cursor(&mut input);
        let settings = self.settings();
        let config = PostprocessConfig {
            max_lines: settings.max_lines,
            allow_in_comments: settings.in_comments,
            allow_in_strings: settings.in_strings,
            multiline: settings.max_lines > 1,
        };
        let prefix = &input.text[..input.cursor];
        let suffix = &input.text[input.cursor..];
        let shape = postprocess::decide_shape(
            prefix,
            suffix,
            input.tree.as_ref(),
            input.language.as_deref(),
            &config,
        );
        if let Shape::Suppress(reason) = shape {
            tracing::debug!(reason = reason.as_str(), "completion suppressed");
            return Ok(None);
        }
        if let Some(rest) = self.typed_through(&input) {
            return Ok(Some(Suggestion {
                text: rest,
                source: SuggestionSource::TypedThrough,
                stats: None,
                elapsed: started.elapsed(),
            }));
        }
        let request = self.request(&input, &shape);
        let PromptInput::Text(prompt) = &request.input else {
            unreachable!("completion prompts are text")
        };
        tracing::debug!(prompt = %prompt, "completion prompt");
        let key = hash_request(prompt, &request);
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.iter().find(|(k, _)| *k == key).map(|(_, raw)| raw.clone())
        };
        let (raw, stats, source) = match cached {
            Some(raw) => (raw, None, SuggestionSource::Cache),
            None => {
                let done = self.engine.generate(request).collect().await?;
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                cache.push_back((key, done.text.clone()));
                if cache.len() > CACHE_ENTRIES {
                    cache.pop_front();
                }
                (done.text, Some(done.stats), SuggestionSource::Engine)
            }
        };
        tracing::debug!(raw = %raw, "completion raw output");
        let post = PostprocessInput {
            prefix,
            suffix,
            tree: input.tree.as_ref(),
            cursor: input.cursor,
            language: input.language.as_deref(),
            raw: &raw,
            shape,
            config: config.clone(),
        };
        let text = if settings.postprocess {
            postprocess::postprocess(&post)
        } else {
            postprocess::postprocess_off(&post)
        };
        let Some(text) = text else { return Ok(None) };
        self.remember(&input, &text);
        Ok(Some(Suggestion { text, source, stats, elapsed: started.elapsed() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_start_stays_put_while_typing_forward() {
        let text: String = (0..400).map(|i| format!("line number {i}\n")).collect();
        // The grid step is 250 bytes: cursors 3001..=3250 share a start.
        let first = window_start(&text, 3001, 1000);
        assert!(first > 0 && text[..first].ends_with('\n'));
        for cursor in 3001..=3250 {
            assert_eq!(window_start(&text, cursor, 1000), first, "cursor {cursor}");
        }
        // The window never exceeds its size by more than a grid step and a line.
        for cursor in (1000..text.len()).step_by(97) {
            let start = window_start(&text, cursor, 1000);
            assert!(cursor - start <= 1000, "cursor {cursor} start {start}");
            assert!(cursor - start >= 1000 - 250 - 20, "cursor {cursor} start {start}");
        }
        assert_eq!(window_start(&text, 10, 1000), 0);
    }

    #[test]
    fn the_prompt_leaves_out_spaces_typed_after_code_but_keeps_indentation() {
        let text = "def f(x):\n    return \n";
        assert_eq!(prompt_end(text, 21), 20);
        assert_eq!(&text[..prompt_end(text, 21)], "def f(x):\n    return");
        let indented = "if x:\n        \n";
        assert_eq!(prompt_end(indented, 14), 14);
        assert_eq!(prompt_end("x = 1", 5), 5);
        assert_eq!(prompt_end("", 0), 0);
    }

    #[test]
    fn the_window_start_is_a_char_boundary() {
        let text = "é".repeat(3000);
        for cursor in (2000..6000).step_by(2) {
            let start = window_start(&text, cursor, 1001);
            assert!(text.is_char_boundary(start));
        }
    }
}
