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
mod warmup;

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use infill_engine::{
    Engine, EngineError, GenerateEvent, GenerateRequest, Generation, GenerationStats, OutputCut,
    PromptInput,
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
    /// A fast first answer: while the full prompt is cold (more than [`COLD_TAIL_BYTES`] of it
    /// not yet computed), answer from a short prompt, this many bytes of the file before the
    /// cursor and no workspace context; the full prompt is computed in the background once the
    /// user pauses ([`Completer::warm_up_when_idle`]), so that later keystrokes get the whole
    /// context. 0 always uses the full prompt.
    pub fast_first_prefix_bytes: usize,
    /// Check that a suggestion parses where it goes before showing it
    /// ([`postprocess::repair_syntax`]): repair it (indentation, trailing lines that break)
    /// or drop it; off only for measurements.
    pub validate: bool,
    /// The most candidates one request makes: when the first breaks the syntax, further ones
    /// are sampled (sharing the prompt's cached KV) until one parses, within `time_budget`;
    /// a request that asks for alternatives gets up to this many, deduplicated, best first.
    pub candidates: usize,
}

/// How far sampled candidates stray from the greedy one.
const CANDIDATE_TEMPERATURE: f32 = 0.7;
const CANDIDATE_TOP_P: f32 = 0.95;

/// The uncached part of a full prompt, in bytes, above which it is cold: some 250 tokens, about
/// four seconds of prompt processing on a small CPU.
pub const COLD_TAIL_BYTES: usize = 1024;

/// The uncached part of a full prompt, in bytes, above which [`Completer::prefetch`] computes
/// it: less is a keystroke's work.
const PREFETCH_TAIL_BYTES: usize = 256;

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
            fast_first_prefix_bytes: 512,
            validate: true,
            candidates: 3,
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
    /// A new generation from the short prompt of a fast first answer, while the full prompt
    /// was still cold (see [`CompletionSettings::fast_first_prefix_bytes`]).
    ShortPrompt,
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
    /// Further suggestions, best first, none equal to `text` or to each other (only when the
    /// request asked for alternatives).
    pub alternatives: Vec<String>,
    /// Generations made for this request (0 without the engine): more than one when the first
    /// candidate broke the syntax or alternatives were asked for.
    pub generations: usize,
    /// The first candidate was changed to parse (re-indented or cut) or replaced by a later one.
    pub repaired: bool,
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
    /// The last full prompt whose whole KV the engine computed (a generation or a warm-up
    /// finished on it).
    warm: Arc<Mutex<Option<Arc<str>>>>,
    /// The background computation of a cold full prompt, if one runs, and its prompt.
    warmup: Mutex<Option<(Generation, Arc<str>)>>,
    /// The full request of the last fast first answer, to warm once the user pauses.
    pending: Mutex<Option<GenerateRequest>>,
    /// When the last request to the engine started or ended.
    last_request: Mutex<Instant>,
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
    request.temperature.to_bits().hash(&mut hasher);
    request.top_p.map(f32::to_bits).hash(&mut hasher);
    request.seed.hash(&mut hasher);
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
            warm: Arc::new(Mutex::new(None)),
            warmup: Mutex::new(None),
            pending: Mutex::new(None),
            last_request: Mutex::new(Instant::now()),
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
        self.request_with(input, shape, &self.settings())
    }

    /// [`Completer::request`] with the given settings.
    fn request_with(
        &self,
        input: &CompletionInput,
        shape: &Shape,
        settings: &CompletionSettings,
    ) -> GenerateRequest {
        let settings = settings.clone();
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
            draft_from_prompt: false,
        }
    }

    /// Makes a suggestion for `input`, or `None` when there is nothing worth showing.
    ///
    /// Decides the shape (a suppressed cursor ends here), reuses the rest of the last suggestion
    /// when the user typed its start (typed-through), else generates ([`Completer::generate_raw`]:
    /// the identical-request cache, then the engine) and post-processes the output.
    pub async fn complete(
        &self,
        input: CompletionInput,
    ) -> Result<Option<Suggestion>, CompletionError> {
        self.complete_with(input, 1).await
    }

    /// [`Completer::complete`] with up to `wanted` suggestions (capped by
    /// [`CompletionSettings::candidates`]): the first is the greedy one, the
    /// [`Suggestion::alternatives`] are sampled, each post-processed and checked, deduplicated.
    /// Typed-through reuse answers with one.
    pub async fn complete_with(
        &self,
        mut input: CompletionInput,
        wanted: usize,
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
                alternatives: Vec::new(),
                generations: 0,
                repaired: false,
            }));
        }
        self.cancel_warmup();
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.note_request();
        let request = self.request(&input, &shape);
        let (raw, used, full) = match self.short_request(&input, &shape, &request, &settings) {
            Some(short) => {
                let raw = self.generate_request(short.clone(), shape, false).await;
                // Whatever the short answer did, the full prompt is to warm for the next
                // keystrokes, once the user pauses ([`Completer::warm_up_when_idle`]): while
                // they type on, the short prompt's follow-ups keep the engine.
                *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(request);
                self.note_request();
                let mut raw = raw?;
                raw.source = SuggestionSource::ShortPrompt;
                (raw, short, false)
            }
            None => (self.generate_request(request.clone(), shape, true).await?, request, true),
        };
        let wanted = wanted.clamp(1, settings.candidates.max(1));
        let first = postprocess_raw(&input, &raw, &config, settings.postprocess);
        let mut generations = 1;
        let mut repaired = false;
        let mut shown: Vec<String> = Vec::new();
        match first.map(|text| self.checked(&input, &raw, text, &config, &settings)) {
            Some(postprocess::Repaired::AsIs(text)) => shown.push(text),
            Some(postprocess::Repaired::Changed(text)) => {
                repaired = true;
                shown.push(text);
            }
            Some(postprocess::Repaired::Broken) => repaired = true,
            None => {}
        }
        // Further candidates: when the first broke the syntax (else there is nothing to show),
        // or when alternatives were asked for. Sampled from the same prompt, whose KV is cached.
        while (shown.len() < wanted || (shown.is_empty() && repaired))
            && generations < settings.candidates
            && started.elapsed() < settings.time_budget
        {
            let sampled = GenerateRequest {
                temperature: CANDIDATE_TEMPERATURE,
                top_p: Some(CANDIDATE_TOP_P),
                seed: Some(generations as u64),
                ..used.clone()
            };
            generations += 1;
            let raw = match self.generate_request(sampled, shape, full).await {
                Ok(raw) => raw,
                Err(error) => {
                    tracing::debug!(%error, "a further candidate failed");
                    break;
                }
            };
            let Some(text) = postprocess_raw(&input, &raw, &config, settings.postprocess)
                .and_then(|text| self.checked(&input, &raw, text, &config, &settings).into_text())
            else {
                continue;
            };
            if !shown.contains(&text) {
                shown.push(text);
            }
        }
        self.note_request();
        let mut shown = shown.into_iter();
        let Some(text) = shown.next() else { return Ok(None) };
        self.remember(&input, &text);
        Ok(Some(Suggestion {
            text,
            source: raw.source,
            stats: raw.stats,
            elapsed: started.elapsed(),
            alternatives: shown.take(wanted - 1).collect(),
            generations,
            repaired,
        }))
    }

    /// `text` (post-processed from `raw` for `input`) as it parses where it goes, when checking
    /// is on ([`CompletionSettings::validate`]).
    fn checked(
        &self,
        input: &CompletionInput,
        raw: &RawCompletion,
        text: String,
        config: &PostprocessConfig,
        settings: &CompletionSettings,
    ) -> postprocess::Repaired {
        if !settings.validate || !settings.postprocess {
            return postprocess::Repaired::AsIs(text);
        }
        let repaired = postprocess::repair_syntax(&postprocess_input(input, raw, config), &text);
        if !matches!(repaired, postprocess::Repaired::AsIs(_)) {
            tracing::debug!(?repaired, text = text.as_str(), "a suggestion that breaks the syntax");
        }
        repaired
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

    /// The short request of a fast first answer for `input`, when its full `request` is cold
    /// and fast first answers are on; `None` otherwise.
    fn short_request(
        &self,
        input: &CompletionInput,
        shape: &Shape,
        request: &GenerateRequest,
        settings: &CompletionSettings,
    ) -> Option<GenerateRequest> {
        let bytes = settings.fast_first_prefix_bytes;
        let PromptInput::Text(prompt) = &request.input else { return None };
        if bytes == 0 || self.cold_tail(prompt) <= COLD_TAIL_BYTES {
            return None;
        }
        let short_settings = CompletionSettings {
            prefix_bytes: bytes,
            suffix_bytes: settings.suffix_bytes.min(bytes / 2),
            ..settings.clone()
        };
        let short_input = CompletionInput { context: Vec::new(), ..input.clone() };
        let short = self.request_with(&short_input, shape, &short_settings);
        let PromptInput::Text(short_prompt) = &short.input else { return None };
        (short_prompt.len() + COLD_TAIL_BYTES / 2 < prompt.len()).then_some(short)
    }

    /// The cache's answer to the request for `input` in `shape`, else the engine's.
    async fn generate_shaped(
        &self,
        input: &CompletionInput,
        shape: Shape,
    ) -> Result<RawCompletion, CompletionError> {
        self.generate_request(self.request(input, &shape), shape, true).await
    }

    /// The cache's answer to `request`, else the engine's; with `full`, the prompt is warm
    /// once the engine answered it.
    async fn generate_request(
        &self,
        request: GenerateRequest,
        shape: Shape,
        full: bool,
    ) -> Result<RawCompletion, CompletionError> {
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
                let prompt = prompt.clone();
                let done = self.engine.generate(request).collect().await?;
                if full {
                    Self::mark_warm(&self.warm, &prompt);
                }
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

/// What post-processing reads of `raw`, generated for the cursor of `input`.
fn postprocess_input<'a>(
    input: &'a CompletionInput,
    raw: &'a RawCompletion,
    config: &PostprocessConfig,
) -> PostprocessInput<'a> {
    let cursor = floor_char_boundary(&input.text, input.cursor);
    PostprocessInput {
        prefix: &input.text[..cursor],
        suffix: &input.text[cursor..],
        tree: input.tree.as_ref(),
        cursor,
        language: input.language.as_deref(),
        raw: &raw.text,
        shape: raw.shape,
        config: config.clone(),
    }
}

/// `raw` post-processed for the cursor of `input`, with the filters or without.
fn postprocess_raw(
    input: &CompletionInput,
    raw: &RawCompletion,
    config: &PostprocessConfig,
    filters: bool,
) -> Option<String> {
    let post = postprocess_input(input, raw, config);
    if filters { postprocess::postprocess(&post) } else { postprocess::postprocess_off(&post) }
}
