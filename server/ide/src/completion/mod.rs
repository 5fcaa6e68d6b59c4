//! The inline completion pipeline: snapshot → shape → prompt in the model's template → engine →
//! post-processing → suggestion, with the two shortcuts that skip the engine: typed-through
//! reuse of the last suggestion and an identical-request cache.
//!
//! * `input` — [`CompletionInput`], built once from a document, and [`FileLabel`].
//! * `prompt` — the prompt's layout: the window into the file, where the prefix ends.
//! * `stats` — local statistics of answered requests.
//! * this module — [`Completer`], the pipeline itself, and its settings and results.

mod input;
mod prompt;
mod stats;

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use infill_engine::{
    Engine, EngineError, GenerateRequest, GenerationStats, OutputCut, PromptInput,
};
use serde::Serialize;

pub use input::{CompletionInput, FileLabel};
pub use prompt::{render, render_prompt, window_start};
pub use stats::CompletionStats;

use crate::postprocess::{self, PostprocessConfig, PostprocessInput, Shape};
use prompt::floor_char_boundary;

/// How completions are made.
#[derive(Debug, Clone)]
pub struct CompletionSettings {
    /// The most tokens one generation may produce.
    pub max_tokens: usize,
    /// The most lines a suggestion may have (1 keeps every suggestion on the cursor's line).
    pub max_lines: usize,
    /// The longest one generation may take.
    pub time_budget: Duration,
    /// Complete inside comments (single-line) instead of staying quiet.
    pub in_comments: bool,
    /// Complete inside string literals (single-line) instead of staying quiet.
    pub in_strings: bool,
    /// Bytes of the current file before the cursor that go into the prompt.
    pub prefix_bytes: usize,
    /// Bytes after the cursor (FIM models, and post-processing).
    pub suffix_bytes: usize,
    /// Apply the post-processing filters (off only for measurements).
    pub postprocess: bool,
    /// Stop decoding a multi-line suggestion where post-processing cuts it
    /// ([`postprocess::settled_end`]) instead of at `max_tokens` (off only for measurements
    /// that read the model's output past the cut).
    pub stop_at_cut: bool,
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
            stop_at_cut: true,
        }
    }
}

/// Where a suggestion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionSource {
    /// A new generation.
    Engine,
    /// The rest of the previous suggestion, whose start the user typed.
    TypedThrough,
    /// The identical-request cache: the same prompt was answered before.
    Cache,
}

/// Text to insert at the cursor.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// The text to insert.
    pub text: String,
    /// Where it came from.
    pub source: SuggestionSource,
    /// The generation's statistics (only for [`SuggestionSource::Engine`]).
    pub stats: Option<GenerationStats>,
    /// Time from the request to the suggestion.
    pub elapsed: Duration,
}

/// A completion's model text before post-processing: what [`Completer::generate_raw`] returns
/// and [`Completer::postprocess`] turns into a suggestion.
#[derive(Debug, Clone)]
pub struct RawCompletion {
    /// The model's output as generated (stop sequences removed), or as the cache kept it.
    pub text: String,
    /// The shape decided for the cursor before generating.
    pub shape: Shape,
    /// [`SuggestionSource::Engine`], or [`SuggestionSource::Cache`] for a repeated request.
    pub source: SuggestionSource,
    /// The generation's statistics (`None` from the cache).
    pub stats: Option<GenerationStats>,
}

/// Why no suggestion could be made.
#[derive(Debug, thiserror::Error)]
pub enum CompletionError {
    /// The engine failed or was unavailable.
    #[error(transparent)]
    Engine(#[from] EngineError),
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

fn hash_request(prompt: &str, request: &GenerateRequest) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    prompt.hash(&mut hasher);
    request.max_tokens.hash(&mut hasher);
    request.stop.hash(&mut hasher);
    hasher.finish()
}

impl Completer {
    /// A completer for `engine`, with empty typed-through and request caches.
    pub fn new(engine: Arc<dyn Engine>, settings: CompletionSettings) -> Self {
        Self {
            engine,
            settings: RwLock::new(settings),
            last: Mutex::new(None),
            cache: Mutex::new(VecDeque::new()),
        }
    }

    /// The engine.
    pub fn engine(&self) -> Arc<dyn Engine> {
        Arc::clone(&self.engine)
    }

    /// The current settings.
    pub fn settings(&self) -> CompletionSettings {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the settings; they apply from the next request.
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
            cut: (settings.stop_at_cut && settings.postprocess && *shape == Shape::MultiLine)
                .then(|| cut_rule(input, *shape, postprocess_config(&settings))),
        }
    }

    /// Makes a suggestion for `input`, or `None` when there is nothing worth showing.
    ///
    /// Decides the shape (a suppressed cursor ends here), reuses the rest of the last suggestion
    /// when the user typed its start (typed-through), else generates ([`Completer::generate_raw`]:
    /// the identical-request cache, then the engine) and post-processes the output.
    pub async fn complete(
        &self,
        mut input: CompletionInput,
    ) -> Result<Option<Suggestion>, CompletionError> {
        let started = Instant::now();
        Self::clamp_cursor(&mut input);
        let settings = self.settings();
        let config = postprocess_config(&settings);
        let shape = decide_shape(&input, &config);
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
        let raw = self.generate_shaped(&input, shape).await?;
        let Some(text) = postprocess_raw(&input, &raw, &config, settings.postprocess) else {
            return Ok(None);
        };
        self.remember(&input, &text);
        Ok(Some(Suggestion {
            text,
            source: raw.source,
            stats: raw.stats,
            elapsed: started.elapsed(),
        }))
    }

    /// The model's raw text for `input`, from the identical-request cache or one generation;
    /// `None` where the cursor's shape suppresses completions. Unlike [`Completer::complete`] it
    /// neither tries nor updates typed-through reuse, and it does not post-process: pass the
    /// result to [`Completer::postprocess`] (as often as needed, e.g. with the filters on and
    /// off).
    pub async fn generate_raw(
        &self,
        input: &CompletionInput,
    ) -> Result<Option<RawCompletion>, CompletionError> {
        let config = postprocess_config(&self.settings());
        match decide_shape(input, &config) {
            Shape::Suppress(reason) => {
                tracing::debug!(reason = reason.as_str(), "completion suppressed");
                Ok(None)
            }
            shape => self.generate_shaped(input, shape).await.map(Some),
        }
    }

    /// Post-processes `raw` (from [`Completer::generate_raw`] for the same `input`) with the
    /// current settings: the full filter pipeline when `filters` is true, else only the minimal
    /// clean-up of [`postprocess::postprocess_off`]. `None` when nothing is left to show.
    pub fn postprocess(
        &self,
        input: &CompletionInput,
        raw: &RawCompletion,
        filters: bool,
    ) -> Option<String> {
        postprocess_raw(input, raw, &postprocess_config(&self.settings()), filters)
    }

    /// The cache's answer to the request for `input` in `shape`, else the engine's.
    async fn generate_shaped(
        &self,
        input: &CompletionInput,
        shape: Shape,
    ) -> Result<RawCompletion, CompletionError> {
        let request = self.request(input, &shape);
        let PromptInput::Text(prompt) = &request.input else {
            unreachable!("completion prompts are text")
        };
        tracing::debug!(prompt = %prompt, "completion prompt");
        let key = hash_request(prompt, &request);
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.iter().find(|(k, _)| *k == key).map(|(_, raw)| raw.clone())
        };
        let raw = match cached {
            Some(text) => {
                RawCompletion { text, shape, source: SuggestionSource::Cache, stats: None }
            }
            None => {
                let done = self.engine.generate(request).collect().await?;
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                cache.push_back((key, done.text.clone()));
                if cache.len() > CACHE_ENTRIES {
                    cache.pop_front();
                }
                RawCompletion {
                    text: done.text,
                    shape,
                    source: SuggestionSource::Engine,
                    stats: Some(done.stats),
                }
            }
        };
        tracing::debug!(raw = %raw.text, "completion raw output");
        Ok(raw)
    }
}

/// The engine's early stop for a suggestion at the cursor of `input`: the output ends where
/// [`postprocess::settled_end`] says post-processing has cut it for good.
fn cut_rule(input: &CompletionInput, shape: Shape, config: PostprocessConfig) -> OutputCut {
    let cursor = floor_char_boundary(&input.text, input.cursor);
    let text: Arc<str> = Arc::from(input.text.as_str());
    let tree = input.tree.clone();
    let language = input.language.clone();
    OutputCut::new(move |raw: &str| {
        postprocess::settled_end(&PostprocessInput {
            prefix: &text[..cursor],
            suffix: &text[cursor..],
            tree: tree.as_ref(),
            cursor,
            language: language.as_deref(),
            raw,
            shape,
            config: config.clone(),
        })
    })
}

/// The post-processing configuration that completion settings ask for.
fn postprocess_config(settings: &CompletionSettings) -> PostprocessConfig {
    PostprocessConfig {
        max_lines: settings.max_lines,
        allow_in_comments: settings.in_comments,
        allow_in_strings: settings.in_strings,
        multiline: settings.max_lines > 1,
    }
}

/// The shape of a completion at the cursor of `input`.
fn decide_shape(input: &CompletionInput, config: &PostprocessConfig) -> Shape {
    let cursor = floor_char_boundary(&input.text, input.cursor);
    postprocess::decide_shape(
        &input.text[..cursor],
        &input.text[cursor..],
        input.tree.as_ref(),
        input.language.as_deref(),
        config,
    )
}

/// `raw` post-processed for the cursor of `input`, with the filters or without.
fn postprocess_raw(
    input: &CompletionInput,
    raw: &RawCompletion,
    config: &PostprocessConfig,
    filters: bool,
) -> Option<String> {
    let cursor = floor_char_boundary(&input.text, input.cursor);
    let post = PostprocessInput {
        prefix: &input.text[..cursor],
        suffix: &input.text[cursor..],
        tree: input.tree.as_ref(),
        cursor,
        language: input.language.as_deref(),
        raw: &raw.text,
        shape: raw.shape,
        config: config.clone(),
    };
    if filters { postprocess::postprocess(&post) } else { postprocess::postprocess_off(&post) }
}
