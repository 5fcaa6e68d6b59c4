//! Engines over HTTP (cargo feature `remote`): an OpenAI-compatible server (llama.cpp's
//! llama-server, vLLM, TensorRT-LLM's trtllm-serve, LM Studio) or Ollama's native API, behind the
//! same [`Engine`] trait as the in-process model, so every feature works unchanged.
//!
//! Built only when `[engine] backend` names one: embedded mode opens no socket. The prompt sent
//! is the one the pipeline rendered (the family's FIM template, after the privacy filter).
//!
//! - Streaming: each SSE event (OpenAI) or NDJSON line (Ollama) becomes a [`GenerateEvent::Delta`];
//!   stop sequences are applied here too, `max_tokens` counts streamed chunks, and the time
//!   budget counts from the first token, as in the local engine.
//! - Cancellation: dropping the [`Generation`] ends the task that reads the response, which drops
//!   the body and closes the connection; the server then stops generating.
//! - Endpoints: a request goes to the endpoint with the fewest outstanding requests; a failure
//!   before the first bytes of the answer fails over to the next one. Connection failures are
//!   retried with backoff (never after the first byte); `429`/`503` with a short `Retry-After`
//!   are retried once after waiting. Client errors (`400`, `401`, `403`, `404`) fail at once with
//!   a message that says what to fix.
//! - Token counts: there is no tokenizer over HTTP, so [`Engine::count_tokens`] is approximate
//!   (bytes / 4).

mod endpoints;
mod ollama;
mod openai;
mod sse;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::{Backend, EngineConfig};
use crate::{
    Capabilities, Engine, EngineError, FinishReason, GenerateEvent, GenerateRequest, Generation,
    GenerationStats, PromptInput, stop_holdback, truncate_at_stop,
};
use endpoints::*;
use sse::LineBuffer;

/// Context length when the configuration does not give one.
const DEFAULT_CONTEXT: usize = 8192;

/// The approximate number of tokens in `text`: one per 4 bytes, rounded up (the same estimate
/// as the context crate's). Servers do not expose their tokenizer in a common way.
pub fn approx_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// One parsed event of a stream.
#[derive(Debug, Default)]
pub(crate) struct Piece {
    /// New output text (may be empty).
    text: String,
    /// The server's reason, when this event ends the choice.
    finish: Option<FinishReason>,
    /// Token counts, when the server sent them.
    usage: Option<Usage>,
    /// The stream is over (`data: [DONE]`, `"done": true`).
    end: bool,
}

/// Token counts reported by the server.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Usage {
    prompt_tokens: Option<usize>,
    cached_tokens: Option<usize>,
    computed_tokens: Option<usize>,
    completion_tokens: Option<usize>,
}

fn finish_reason(name: &str) -> FinishReason {
    match name {
        "length" => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

/// The human part of an error object: `{"message": ...}`, a string, or the JSON itself.
fn error_text(error: &Value) -> String {
    match error {
        Value::String(text) => text.clone(),
        Value::Object(object) => object
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| error.to_string()),
        other => other.to_string(),
    }
}

/// An engine served over HTTP by one or more servers running the same model.
pub struct RemoteEngine {
    shared: Arc<Shared>,
    capabilities: Capabilities,
}

impl std::fmt::Debug for RemoteEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("RemoteEngine")
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

impl RemoteEngine {
    /// The engine `config` describes, with the API key from the variable `api_key_env` names.
    /// Opens no connection until the first request.
    pub fn new(config: &EngineConfig) -> Result<RemoteEngine, EngineError> {
        let key = std::env::var(&config.api_key_env).ok().filter(|key| !key.trim().is_empty());
        Self::with_api_key(config, key)
    }

    /// The engine `config` describes, with the given API key (tests; embedding applications).
    pub fn with_api_key(
        config: &EngineConfig,
        api_key: Option<String>,
    ) -> Result<RemoteEngine, EngineError> {
        let invalid = |why: String| {
            EngineError::Unavailable(format!("invalid [engine] configuration: {why}"))
        };
        if config.backend == Backend::Embedded {
            return Err(invalid("backend \"embedded\" is not a remote engine".into()));
        }
        config.validate().map_err(invalid)?;
        for endpoint in &config.endpoints {
            reqwest::Url::parse(endpoint).map_err(|e| {
                invalid(format!("engine.endpoints: `{endpoint}` does not parse: {e}"))
            })?;
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .user_agent(concat!("infill/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                EngineError::Unavailable(format!("cannot set up the HTTP client: {}", describe(&e)))
            })?;
        let model = config.model.clone().unwrap_or_default();
        let capabilities = Capabilities {
            name: format!("{}: {model} @ {}", config.backend.name(), config.endpoints.join(", ")),
            context_length: config.context_length.unwrap_or(DEFAULT_CONTEXT),
            family: config.family(),
            // The server applies the model's chat template; whether it has one is unknown here.
            chat: true,
            // llama.cpp, vLLM, TensorRT-LLM and Ollama reuse the KV of a shared prompt prefix.
            prefix_cache: true,
        };
        let shared = Shared {
            api: config.backend,
            client,
            endpoints: config
                .endpoints
                .iter()
                .map(|url| Endpoint { url: url.clone(), outstanding: AtomicUsize::new(0) })
                .collect(),
            model,
            api_key_env: config.api_key_env.clone(),
            api_key,
            context_length: config.context_length,
            first_byte_timeout: Duration::from_millis(config.first_byte_timeout_ms),
            busy: AtomicUsize::new(0),
        };
        Ok(RemoteEngine { shared: Arc::new(shared), capabilities })
    }

    /// Requests in flight on each endpoint, in configuration order.
    pub fn outstanding(&self) -> Vec<usize> {
        self.shared.endpoints.iter().map(|e| e.outstanding.load(Ordering::SeqCst)).collect()
    }
}

/// The output side of one generation: stops, limits, the time budget, the deltas.
struct Output<'a> {
    events: &'a mpsc::Sender<GenerateEvent>,
    stop: Vec<String>,
    max_tokens: usize,
    time_budget: Option<Duration>,
    started: Instant,
    produced: String,
    sent: usize,
    generated: usize,
    first_token: Option<Duration>,
    deadline: Option<Instant>,
    usage: Usage,
    server_finish: Option<FinishReason>,
}

impl Output<'_> {
    /// Takes one event; returns why the generation ends, if it does.
    async fn take(&mut self, piece: Piece) -> Option<FinishReason> {
        if let Some(usage) = piece.usage {
            self.usage = usage;
        }
        if !piece.text.is_empty() {
            if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Some(FinishReason::TimeBudget);
            }
            if self.first_token.is_none() {
                self.first_token = Some(self.started.elapsed());
                self.deadline = self.time_budget.map(|budget| Instant::now() + budget);
            }
            self.generated += 1;
            self.produced.push_str(&piece.text);
            if truncate_at_stop(&mut self.produced, &self.stop) {
                return Some(FinishReason::Stop);
            }
            let ready = self.produced.len() - stop_holdback(&self.produced, &self.stop);
            if ready > self.sent {
                let delta = self.produced[self.sent..ready].to_string();
                self.sent = ready;
                if self.events.send(GenerateEvent::Delta(delta)).await.is_err() {
                    return Some(FinishReason::Cancelled);
                }
            }
            if self.generated >= self.max_tokens {
                return Some(FinishReason::Length);
            }
        }
        if piece.finish.is_some() {
            self.server_finish = piece.finish;
        }
        piece.end.then(|| self.server_finish.unwrap_or(FinishReason::Stop))
    }

    async fn finish(self, reason: FinishReason, approx_prompt: usize) {
        if self.produced.len() > self.sent {
            let _ = self
                .events
                .send(GenerateEvent::Delta(self.produced[self.sent..].to_string()))
                .await;
        }
        let usage = self.usage;
        let prompt_tokens = usage
            .prompt_tokens
            .unwrap_or_else(|| approx_prompt.max(usage.computed_tokens.unwrap_or(0)));
        let cached_tokens = usage
            .cached_tokens
            .or_else(|| usage.computed_tokens.map(|c| prompt_tokens.saturating_sub(c)))
            .unwrap_or(0)
            .min(prompt_tokens);
        let total_time = self.started.elapsed();
        let stats = GenerationStats {
            prompt_tokens,
            cached_tokens,
            computed_tokens: prompt_tokens - cached_tokens,
            generated_tokens: usage.completion_tokens.unwrap_or(self.generated),
            time_to_first_token: self.first_token.unwrap_or(total_time),
            total_time,
        };
        let _ = self.events.send(GenerateEvent::Done { reason, stats }).await;
    }
}

async fn run(
    shared: &Arc<Shared>,
    request: GenerateRequest,
    events: &mpsc::Sender<GenerateEvent>,
) -> Result<(), EngineError> {
    let started = Instant::now();
    let (route, body) = match shared.api {
        Backend::Ollama => ollama::request_body(&shared.model, shared.context_length, &request),
        _ => openai::request_body(&shared.model, &request),
    };
    let parse: fn(&str) -> Result<Option<Piece>, String> = match shared.api {
        Backend::Ollama => ollama::parse_line,
        _ => openai::parse_line,
    };
    let approx_prompt = match &request.input {
        PromptInput::Text(text) => approx_tokens(text),
        PromptInput::Chat(messages) => messages.iter().map(|m| approx_tokens(&m.content)).sum(),
    };
    let opened = tokio::select! {
        opened = shared.open(route, &body) => opened?,
        _ = events.closed() => return Ok(()),
    };
    let Opened { body: mut stream, first, slot } = opened;
    let url = shared.endpoints[slot.index].url.clone();
    let failed = |message: String| EngineError::Backend(format!("{url}: {message}"));
    let mut lines = LineBuffer::default();
    lines.push(&first);
    let mut output = Output {
        events,
        stop: request.stop.clone(),
        max_tokens: request.max_tokens.max(1),
        time_budget: request.time_budget,
        started,
        produced: String::new(),
        sent: 0,
        generated: 0,
        first_token: None,
        deadline: None,
        usage: Usage::default(),
        server_finish: None,
    };
    let idle = shared.first_byte_timeout;
    let far = Instant::now() + Duration::from_secs(24 * 3600);
    let reason = 'read: loop {
        while let Some(line) = lines.next_line() {
            if let Some(piece) = parse(&line).map_err(&failed)?
                && let Some(reason) = output.take(piece).await
            {
                break 'read reason;
            }
        }
        let next = tokio::select! {
            next = tokio::time::timeout(idle, stream.next()) => next,
            _ = events.closed() => break FinishReason::Cancelled,
            _ = tokio::time::sleep_until(output.deadline.unwrap_or(far).into()), if output.deadline.is_some() => {
                break FinishReason::TimeBudget
            }
        };
        match next {
            Err(_) => {
                return Err(failed(format!(
                    "the server sent nothing for {} ms mid-generation (engine.first_byte_timeout_ms)",
                    idle.as_millis()
                )));
            }
            Ok(Some(Ok(bytes))) => lines.push(&bytes),
            Ok(Some(Err(error))) => {
                return Err(failed(format!(
                    "the stream broke mid-generation: {}",
                    describe(&error)
                )));
            }
            Ok(None) => {
                // The body ended: a last line without its newline, then the verdict.
                if let Some(line) = lines.rest()
                    && let Some(piece) = parse(&line).map_err(&failed)?
                    && let Some(reason) = output.take(piece).await
                {
                    break reason;
                }
                match output.server_finish {
                    Some(reason) => break reason,
                    None => {
                        return Err(failed(format!(
                            "the server closed the stream before the generation ended ({} chunks in)",
                            output.generated
                        )));
                    }
                }
            }
        }
    };
    // Closes the connection when the answer is not over: the server stops generating.
    drop(stream);
    drop(slot);
    if reason != FinishReason::Cancelled {
        output.finish(reason, approx_prompt).await;
    }
    Ok(())
}

impl Engine for RemoteEngine {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn generate(&self, request: GenerateRequest) -> Generation {
        let empty = match &request.input {
            PromptInput::Text(text) => text.is_empty(),
            PromptInput::Chat(messages) => messages.is_empty(),
        };
        if empty {
            return Generation::failed(EngineError::InvalidRequest("empty prompt".into()));
        }
        let (events, receiver) = mpsc::channel(64);
        self.shared.busy.fetch_add(1, Ordering::SeqCst);
        let busy = Busy(Arc::clone(&self.shared));
        tokio::spawn(async move {
            let shared = Arc::clone(&busy.0);
            if let Err(error) = run(&shared, request, &events).await {
                let _ = events.send(GenerateEvent::Failed(error)).await;
            }
            drop(busy);
        });
        Generation::new(receiver)
    }

    /// Approximate: bytes / 4 ([`approx_tokens`]); no tokenizer is reachable over HTTP.
    fn count_tokens<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<usize, EngineError>> {
        Box::pin(async move { Ok(approx_tokens(text)) })
    }

    fn busy(&self) -> usize {
        self.shared.busy.load(Ordering::SeqCst)
    }
}
