//! The inference engine behind Infill: everything that turns a prompt into tokens.
//!
//! The rest of the server sees only [`Engine`] (`dyn Engine`): the in-process mistral.rs backend
//! (cargo feature `mistralrs`, on by default), HTTP backends for OpenAI-compatible servers and
//! Ollama (`remote`, cargo feature `remote`, on by default; built only when `[engine]` names
//! one; TGI too), and [`ScriptedEngine`] for other crates' unit tests. Around it live the pieces that need model knowledge but no model: GGUF metadata
//! ([`gguf`]), model families and their prompt templates ([`family`]), the memory planner
//! ([`planner`]), and where model files live and whether one is usable ([`models`]).
//!
//! Architecture invariant: only this crate names mistralrs or an HTTP client.

#![warn(missing_docs)]

pub mod config;
pub mod family;
pub mod gguf;
pub mod models;
pub mod planner;
mod scripted;

#[cfg(feature = "mistralrs")]
pub mod convert;
#[cfg(feature = "mistralrs")]
mod local;
#[cfg(feature = "remote")]
pub mod remote;

pub use config::{
    ActivationDtype, Backend, EngineConfig, LocalEngineConfig, PagedAttentionSettings,
};
#[cfg(feature = "mistralrs")]
pub use local::LocalEngine;
/// Counters of prompt-lookup speculation in this process: steps, drafted and accepted tokens.
#[cfg(feature = "mistralrs")]
pub use mistralrs_core::{PromptLookupStats, prompt_lookup_stats};
#[cfg(feature = "remote")]
pub use remote::RemoteEngine;
pub use scripted::{ScriptedEngine, ScriptedReply};

use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;
use tokio::sync::mpsc;

pub use family::{ChatMessage, ContextFile, ModelFamily, PromptParts, RenderedPrompt};

/// Why the engine could not serve a request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// No model is loaded (missing, truncated or corrupt file); the message names the path and fix.
    #[error("model unavailable: {0}")]
    Unavailable(String),
    /// The request itself was not acceptable (empty prompt, longer than the context...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The backend failed while generating.
    #[error("engine failure: {0}")]
    Backend(String),
}

/// What to generate: a raw completion of `prompt`, or a chat turn.
#[derive(Debug, Clone)]
pub enum PromptInput {
    /// Raw text completion (code completion); no chat template is applied.
    Text(String),
    /// A conversation rendered with the model's own chat template (code actions).
    Chat(Vec<ChatMessage>),
}

/// One generation request.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// The prompt.
    pub input: PromptInput,
    /// Stop as soon as the output contains one of these (not included in the output).
    pub stop: Vec<String>,
    /// The most tokens to generate.
    pub max_tokens: usize,
    /// Wall-clock budget for generating, counted from the first output token; the engine stops
    /// decoding when it runs out. A prompt's prefill is not cut short: its KV stays cached for
    /// the next request (cancel the generation to stop waiting for it).
    pub time_budget: Option<Duration>,
    /// 0.0 means greedy decoding.
    pub temperature: f32,
    /// Nucleus sampling: sample only from the most likely tokens whose probabilities add up to
    /// this (unused when greedy).
    pub top_p: Option<f32>,
    /// The sampler's seed, for reproducible sampling.
    pub seed: Option<u64>,
    /// Where the useful output ends, judged on the output so far after every token (a caller
    /// that keeps only part of the output stops decoding there instead of at `max_tokens`).
    pub cut: Option<OutputCut>,
    /// Draft tokens from the prompt and verify them in one forward pass (prompt-lookup
    /// speculation), where the engine does it: for outputs that copy much of their input, such
    /// as edits. The output is the same either way; only its speed changes.
    pub draft_from_prompt: bool,
}

/// A caller's rule for where the output it will use ends: given the output so far, `Some(end)`
/// stops the generation and keeps the first `end` bytes (or what was already streamed, when that
/// is longer: text past `end` must not change the caller's reading of the output).
#[derive(Clone)]
pub struct OutputCut(std::sync::Arc<CutFn>);

/// The function behind an [`OutputCut`].
type CutFn = dyn Fn(&str) -> Option<usize> + Send + Sync;

impl OutputCut {
    /// A rule from a function of the output so far.
    pub fn new(rule: impl Fn(&str) -> Option<usize> + Send + Sync + 'static) -> OutputCut {
        OutputCut(std::sync::Arc::new(rule))
    }

    /// Where the rule cuts `text`, if it does: a character boundary within it.
    pub fn end_of(&self, text: &str) -> Option<usize> {
        let mut end = (self.0)(text)?.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Some(end)
    }
}

impl std::fmt::Debug for OutputCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutputCut(..)")
    }
}

impl GenerateRequest {
    /// A greedy raw completion with the given stops and token limit.
    pub fn completion(prompt: impl Into<String>, max_tokens: usize) -> Self {
        Self {
            input: PromptInput::Text(prompt.into()),
            stop: Vec::new(),
            max_tokens,
            time_budget: None,
            temperature: 0.0,
            top_p: None,
            seed: Some(0),
            cut: None,
            draft_from_prompt: false,
        }
    }

    /// Whether the output so far, `text`, is over: it holds a stop sequence (cut before it) or
    /// [`GenerateRequest::cut`] ends it (cut there, but never before the `sent` bytes already
    /// streamed).
    pub fn output_ends(&self, text: &mut String, sent: usize) -> bool {
        output_ends(text, &self.stop, self.cut.as_ref(), sent)
    }
}

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A stop sequence or the model's end-of-sequence token.
    Stop,
    /// `max_tokens` were generated.
    Length,
    /// The `time_budget` ran out.
    TimeBudget,
    /// The generation was cancelled (dropped).
    Cancelled,
}

/// Per-request measurements. Remote engines (`remote::RemoteEngine`, cargo feature
/// `remote`) report the server's counts when it sends them (`usage`, Ollama's `eval_count`),
/// else estimates: bytes / 4 for the prompt, one token per streamed chunk, no cached tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GenerationStats {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Prompt tokens whose KV came from the prefix cache.
    pub cached_tokens: usize,
    /// Prompt tokens actually run through the model (`prompt_tokens - cached_tokens`).
    pub computed_tokens: usize,
    /// Tokens generated.
    pub generated_tokens: usize,
    /// From submission to the first output token (or the end, if none came).
    pub time_to_first_token: Duration,
    /// From submission to the end.
    pub total_time: Duration,
}

/// One event of a streaming generation.
#[derive(Debug, Clone)]
pub enum GenerateEvent {
    /// New output text.
    Delta(String),
    /// The generation ended; no more events follow.
    Done {
        /// Why it ended.
        reason: FinishReason,
        /// Its measurements.
        stats: GenerationStats,
    },
    /// The generation failed; no more events follow.
    Failed(EngineError),
}

/// A running generation. Dropping it (or calling [`Generation::cancel`]) cancels it: the engine
/// stops decoding within one step and frees the sequence.
#[derive(Debug)]
pub struct Generation {
    events: mpsc::Receiver<GenerateEvent>,
}

/// The output of a generation that ran to the end.
#[derive(Debug, Clone)]
pub struct Completed {
    /// The whole output, stop sequence excluded.
    pub text: String,
    /// Why the generation ended.
    pub reason: FinishReason,
    /// Its measurements.
    pub stats: GenerationStats,
}

impl Generation {
    /// A generation fed by `events`; the producer sees the channel close when it is cancelled.
    pub fn new(events: mpsc::Receiver<GenerateEvent>) -> Self {
        Self { events }
    }

    /// A generation that failed before it started.
    pub fn failed(error: EngineError) -> Self {
        let (sender, events) = mpsc::channel(1);
        let _ = sender.try_send(GenerateEvent::Failed(error));
        Self { events }
    }

    /// The next event, or `None` after the last one.
    pub async fn next(&mut self) -> Option<GenerateEvent> {
        self.events.recv().await
    }

    /// The next event if one is already there, without waiting.
    pub fn try_next(&mut self) -> Option<GenerateEvent> {
        self.events.try_recv().ok()
    }

    /// Reads events until `n` text deltas have arrived or the generation ended; returns how many
    /// deltas arrived.
    pub async fn wait_for_deltas(&mut self, n: usize) -> usize {
        let mut seen = 0;
        while seen < n {
            match self.next().await {
                Some(GenerateEvent::Delta(_)) => seen += 1,
                Some(_) => {}
                None => break,
            }
        }
        seen
    }

    /// Cancels the generation.
    pub fn cancel(self) {}

    /// Collects the whole output.
    pub async fn collect(mut self) -> Result<Completed, EngineError> {
        let mut text = String::new();
        while let Some(event) = self.next().await {
            match event {
                GenerateEvent::Delta(delta) => text.push_str(&delta),
                GenerateEvent::Done { reason, stats } => {
                    return Ok(Completed { text, reason, stats });
                }
                GenerateEvent::Failed(error) => return Err(error),
            }
        }
        Err(EngineError::Backend("the generation ended without a result".into()))
    }
}

/// What an engine can do.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    /// A name for logs and `infill/status`.
    pub name: String,
    /// Maximum context in tokens.
    pub context_length: usize,
    /// The prompt family (FIM tokens, repo tokens, chat).
    pub family: ModelFamily,
    /// Whether a chat template is available (code actions).
    pub chat: bool,
    /// Whether the engine reuses the KV of a shared prompt prefix.
    pub prefix_cache: bool,
}

/// The inference engine as the rest of the server sees it.
pub trait Engine: Send + Sync {
    /// What this engine can do, and with which model.
    fn capabilities(&self) -> Capabilities;

    /// Starts a streaming generation.
    fn generate(&self, request: GenerateRequest) -> Generation;

    /// The number of tokens `text` encodes to.
    fn count_tokens<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<usize, EngineError>>;

    /// Generations still decoding (or still holding the engine after a cancel). Zero means the
    /// engine is idle.
    fn busy(&self) -> usize;

    /// For an engine served over HTTP: how it counts tokens and the state of each server. `None`
    /// for an in-process engine.
    fn remote_status(&self) -> Option<RemoteStatus> {
        None
    }
}

/// How a remote engine stands: its token counting and its servers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteStatus {
    /// Where token counts come from: the server's tokenizer, a tokenizer file, or an estimate.
    pub token_counts: String,
    /// Each configured server, in configuration order.
    pub endpoints: Vec<EndpointStatus>,
}

/// One server of a remote engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointStatus {
    /// The base URL from the configuration.
    pub url: String,
    /// What the last request or health check found.
    pub state: EndpointState,
    /// Requests in flight on it now.
    pub outstanding: usize,
    /// The last failure, if the server failed since it last answered.
    pub last_error: Option<String>,
    /// For a busy server: milliseconds left of the wait it asked for (`Retry-After`).
    pub retry_in_ms: Option<u64>,
}

/// The health of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointState {
    /// Not contacted yet.
    Unknown,
    /// It answered the last request or health check.
    Up,
    /// It asked to be left alone for a while (`429`/`503`).
    Busy,
    /// It could not be reached or failed; requests go to the others first until a health check
    /// finds it back.
    Down,
}

/// [`GenerateRequest::output_ends`] for engines that keep the request's parts apart.
pub fn output_ends(
    text: &mut String,
    stop: &[String],
    cut: Option<&OutputCut>,
    sent: usize,
) -> bool {
    if truncate_at_stop(text, stop) {
        return true;
    }
    match cut.and_then(|cut| cut.end_of(text)) {
        Some(end) => {
            text.truncate(end.max(sent.min(text.len())));
            true
        }
        None => false,
    }
}

/// Cuts `text` at the earliest stop sequence; returns whether one was found.
pub fn truncate_at_stop(text: &mut String, stops: &[String]) -> bool {
    let earliest = stops
        .iter()
        .filter(|stop| !stop.is_empty())
        .filter_map(|stop| text.find(stop.as_str()))
        .min();
    match earliest {
        Some(index) => {
            text.truncate(index);
            true
        }
        None => false,
    }
}

/// The number of bytes at the end of `text` that could start one of `stops`; output that far
/// back must be held until it is known not to be a stop sequence.
pub fn stop_holdback(text: &str, stops: &[String]) -> usize {
    let mut hold = 0;
    for stop in stops {
        for len in (1..stop.len()).rev() {
            if len <= text.len()
                && text.is_char_boundary(text.len() - len)
                && stop.is_char_boundary(len)
                && text.ends_with(&stop[..len])
            {
                hold = hold.max(len);
                break;
            }
        }
    }
    hold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_the_earliest_stop() {
        let mut text = String::from("let x = 1;\n}\nfn");
        assert!(truncate_at_stop(&mut text, &["}".into(), "\n".into()]));
        assert_eq!(text, "let x = 1;");
        let mut text = String::from("abc");
        assert!(!truncate_at_stop(&mut text, &["\n\n".into()]));
        assert_eq!(text, "abc");
    }

    #[test]
    fn a_cut_rule_ends_the_output_but_keeps_what_was_streamed() {
        let mut request = GenerateRequest::completion("p", 8);
        request.stop = vec!["<eos>".into()];
        request.cut = Some(OutputCut::new(|text: &str| text.find('!').map(|at| at + 1)));
        let mut text = String::from("abc");
        assert!(!request.output_ends(&mut text, 0));
        let mut text = String::from("ab!cd");
        assert!(request.output_ends(&mut text, 2));
        assert_eq!(text, "ab!");
        let mut text = String::from("ab!cd");
        assert!(request.output_ends(&mut text, 4), "streamed bytes are kept");
        assert_eq!(text, "ab!c");
        let mut text = String::from("x<eos>y!");
        assert!(request.output_ends(&mut text, 0), "a stop sequence comes first");
        assert_eq!(text, "x");
        let inside = OutputCut::new(|_: &str| Some(2));
        assert_eq!(inside.end_of("é!"), Some(2));
        assert_eq!(OutputCut::new(|_: &str| Some(1)).end_of("é!"), Some(0), "a char boundary");
        assert_eq!(OutputCut::new(|_: &str| Some(99)).end_of("ab"), Some(2));
    }

    #[test]
    fn holds_back_a_possible_stop_prefix() {
        let stops = vec!["\n\n".to_string(), "<file_sep>".to_string()];
        assert_eq!(stop_holdback("foo\n", &stops), 1);
        assert_eq!(stop_holdback("foo<file", &stops), 5);
        assert_eq!(stop_holdback("foo", &stops), 0);
        assert_eq!(stop_holdback("é", &["\u{e9}x".into()]), 2);
    }
}
