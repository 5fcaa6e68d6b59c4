//! Engines over HTTP (cargo feature `remote`): an OpenAI-compatible server (llama.cpp's
//! llama-server, vLLM, TensorRT-LLM's trtllm-serve, LM Studio, `infill serve`), Ollama's native
//! API or Hugging Face TGI, behind the same [`Engine`] trait as the in-process model, so every
//! feature works unchanged.
//!
//! Built only when `[engine] backend` names one: embedded mode opens no socket. The prompt sent
//! is the one the pipeline rendered (the family's FIM template, after the privacy filter).
//!
//! - Streaming: each SSE event (OpenAI, TGI) or NDJSON line (Ollama) becomes a
//!   [`GenerateEvent::Delta`];
//!   stop sequences are applied here too, `max_tokens` counts streamed chunks, and the time
//!   budget counts from the first token, as in the local engine.
//! - Cancellation: dropping the [`Generation`] ends the task that reads the response, which drops
//!   the body and closes the connection; the server then stops generating.
//! - Endpoints: a request goes to the healthy endpoint with the fewest outstanding requests; a
//!   failure before the first bytes of the answer fails over to the next one. Connection failures
//!   are retried with backoff (never after the first byte); a `429`/`503` server is left alone
//!   for its `Retry-After` (a short one is waited for once). An endpoint that failed goes last
//!   until a background health check finds it back. Client errors (`400`, `401`, `403`, `404`)
//!   fail at once with a message that says what to fix.
//! - Token counts: from `engine.tokenizer` (a `tokenizer.json`), else the server's tokenizer
//!   where its API has one, else approximate (bytes / 4); [`RemoteEngine::probe`] finds out, and
//!   also the family and context length when the configuration leaves them out.
//! - Network: TLS trusts the system's roots plus `engine.ca_file`; `HTTPS_PROXY`, `HTTP_PROXY`,
//!   `ALL_PROXY` and `NO_PROXY` are honoured; loopback is never proxied.

mod endpoints;
mod net;
mod ollama;
mod openai;
mod sse;
mod tgi;
mod tokens;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::config::{Backend, EngineConfig};
use crate::{
    Capabilities, EndpointState, EndpointStatus, Engine, EngineError, FinishReason, GenerateEvent,
    GenerateRequest, Generation, GenerationStats, ModelFamily, OutputCut, PromptInput,
    RemoteStatus, output_ends, stop_holdback,
};
use endpoints::*;
use sse::LineBuffer;
use tokens::Counter;

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

/// How one request goes over the wire: its route, body and stream format.
fn wire(shared: &Shared, request: &GenerateRequest) -> (&'static str, Value, ParseFn) {
    match (shared.api, &request.input) {
        (Backend::Ollama, _) => {
            let (route, body) = ollama::request_body(&shared.model, shared.context_length, request);
            (route, body, ollama::parse_line)
        }
        (Backend::Tgi, PromptInput::Text(prompt)) => {
            ("generate_stream", tgi::request_body(prompt, request), tgi::parse_line)
        }
        (Backend::Tgi, PromptInput::Chat(_)) => {
            // TGI's Messages API: OpenAI's format under /v1.
            let (_, body) = openai::request_body(&shared.model, request);
            ("v1/chat/completions", body, openai::parse_line)
        }
        _ => {
            let (route, body) = openai::request_body(&shared.model, request);
            (route, body, openai::parse_line)
        }
    }
}

type ParseFn = fn(&str) -> Result<Option<Piece>, String>;

/// What [`RemoteEngine::probe`] found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// Where token counts come from.
    pub token_counts: String,
    /// The family in use, and whether it was detected (not configured).
    pub family: ModelFamily,
    /// Whether the family was detected from the vocabulary.
    pub family_detected: bool,
    /// The context length in use, and whether the server reported it.
    pub context_length: usize,
    /// Whether the context length came from the server.
    pub context_from_server: bool,
}

/// An engine served over HTTP by one or more servers running the same model.
pub struct RemoteEngine {
    shared: Arc<Shared>,
    capabilities: RwLock<Capabilities>,
    counter: Arc<tokio::sync::RwLock<Counter>>,
    configured_family: bool,
    configured_context: bool,
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
    /// The engine `config` describes, with the API key from the variable `api_key_env` names
    /// and the proxies of the environment. Opens no connection until [`RemoteEngine::probe`] or
    /// the first request.
    pub fn new(config: &EngineConfig) -> Result<RemoteEngine, EngineError> {
        Self::with_environment(config, &|name| std::env::var(name).ok())
    }

    /// The engine `config` describes, with the given API key (tests; embedding applications)
    /// and the proxies of the process environment.
    pub fn with_api_key(
        config: &EngineConfig,
        api_key: Option<String>,
    ) -> Result<RemoteEngine, EngineError> {
        let proxies = net::Proxies::from_env(&|name| std::env::var(name).ok())
            .map_err(|why| EngineError::Unavailable(format!("proxy settings: {why}")))?;
        Self::build(config, api_key, proxies)
    }

    /// The engine `config` describes, reading the API key and the proxy variables
    /// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, either case) through `env`.
    pub fn with_environment(
        config: &EngineConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RemoteEngine, EngineError> {
        let key = env(&config.api_key_env).filter(|key| !key.trim().is_empty());
        let proxies = net::Proxies::from_env(env)
            .map_err(|why| EngineError::Unavailable(format!("proxy settings: {why}")))?;
        Self::build(config, key, proxies)
    }

    fn build(
        config: &EngineConfig,
        api_key: Option<String>,
        proxies: net::Proxies,
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
        let client = net::client(config, proxies).map_err(EngineError::Unavailable)?;
        let counter = match &config.tokenizer {
            Some(path) => Counter::from_file(path).map_err(invalid)?,
            None => Counter::Approx,
        };
        let model = config.model.clone().unwrap_or_default();
        let mut family = config.family();
        if config.family.is_none()
            && let Counter::File { tokenizer, .. } = &counter
        {
            family = ModelFamily::detect(|token| tokenizer.token_to_id(token).is_some());
        }
        let capabilities = Capabilities {
            name: format!("{}: {model} @ {}", config.backend.name(), config.endpoints.join(", ")),
            context_length: config.context_length.unwrap_or(DEFAULT_CONTEXT),
            family,
            // The server applies the model's chat template; whether it has one is unknown here.
            chat: true,
            // llama.cpp, vLLM, TensorRT-LLM, TGI and Ollama reuse the KV of a shared prefix.
            prefix_cache: true,
        };
        let shared = Shared {
            api: config.backend,
            client,
            endpoints: config.endpoints.iter().map(|url| Endpoint::new(url.clone())).collect(),
            model,
            api_key_env: config.api_key_env.clone(),
            api_key,
            context_length: config.context_length,
            first_byte_timeout: Duration::from_millis(config.first_byte_timeout_ms),
            health_interval: Duration::from_millis(config.health_interval_ms),
            busy: AtomicUsize::new(0),
        };
        Ok(RemoteEngine {
            shared: Arc::new(shared),
            capabilities: RwLock::new(capabilities),
            counter: Arc::new(tokio::sync::RwLock::new(counter)),
            configured_family: config.family.is_some(),
            configured_context: config.context_length.is_some(),
        })
    }

    /// Asks the servers what the configuration leaves out: the tokenizer (unless
    /// `engine.tokenizer` names one), the family (from the vocabulary, unless `engine.family`
    /// is set) and the context length (unless `engine.context_length` is set). Checks every
    /// endpoint's health on the way. Never fails: what cannot be learned stays as configured,
    /// and counts stay approximate.
    pub async fn probe(&self) -> ProbeReport {
        let checks = (0..self.shared.endpoints.len()).map(|i| self.shared.check(i));
        futures::future::join_all(checks).await;
        let up = self
            .shared
            .order()
            .into_iter()
            .find(|&i| self.shared.endpoints[i].health().state == EndpointState::Up);
        let mut family_detected = false;
        let mut context_from_server = false;
        if let Some(index) = up {
            let mut counter = self.counter.write().await;
            if matches!(*counter, Counter::Approx)
                && let Some(found) = self.shared.find_tokenizer(index).await
            {
                *counter = found;
            }
            if !self.configured_family
                && let Counter::Server { route, extra } = *counter
            {
                let shared = &self.shared;
                let single = |token: String| async move {
                    shared.server_count(index, route, &token).await.ok().map(|n| n == extra + 1)
                };
                if let Some(family) = tokens::detect_family(single).await {
                    self.write_capabilities().family = family;
                    family_detected = true;
                }
            }
            drop(counter);
            if !self.configured_context
                && let Some(context) = self.shared.server_context(index).await
            {
                self.write_capabilities().context_length = context;
                context_from_server = true;
            }
        }
        if !self.configured_family && matches!(*self.counter.read().await, Counter::File { .. }) {
            family_detected = true;
        }
        let capabilities = self.capabilities();
        ProbeReport {
            token_counts: self.counter.read().await.describe(),
            family: capabilities.family,
            family_detected,
            context_length: capabilities.context_length,
            context_from_server,
        }
    }

    /// Checks every endpoint now (a health request each, concurrently) and returns their states.
    pub async fn check_endpoints(&self) -> Vec<EndpointStatus> {
        futures::future::join_all((0..self.shared.endpoints.len()).map(|i| self.shared.check(i)))
            .await
    }

    fn write_capabilities(&self) -> std::sync::RwLockWriteGuard<'_, Capabilities> {
        self.capabilities.write().unwrap_or_else(|e| e.into_inner())
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
    cut: Option<OutputCut>,
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
            if output_ends(&mut self.produced, &self.stop, self.cut.as_ref(), self.sent) {
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
    let (route, body, parse) = wire(shared, &request);
    let approx_prompt = match &request.input {
        PromptInput::Text(text) => approx_tokens(text),
        PromptInput::Chat(messages) => messages.iter().map(|m| approx_tokens(&m.content)).sum(),
    };
    let opened = tokio::select! {
        opened = shared.open(route, &body) => opened?,
        _ = events.closed() => return Ok(()),
    };
    let Opened { body: mut stream, first, slot } = opened;
    let endpoint = &shared.endpoints[slot.index];
    let url = endpoint.url.clone();
    // A failure mid-stream also marks the endpoint down: the next requests go elsewhere first.
    let failed = |message: String| {
        endpoint.mark_down(&message);
        EngineError::Backend(format!("{url}: {message}"))
    };
    let mut lines = LineBuffer::default();
    lines.push(&first);
    let mut output = Output {
        events,
        stop: request.stop.clone(),
        cut: request.cut.clone(),
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
        self.capabilities.read().unwrap_or_else(|e| e.into_inner()).clone()
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

    /// Exact with a tokenizer file or a server tokenizer ([`RemoteEngine::probe`]); else, or
    /// when the server cannot answer, approximate ([`approx_tokens`]).
    fn count_tokens<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<usize, EngineError>> {
        Box::pin(async move {
            let counter = self.counter.read().await;
            match &*counter {
                Counter::File { tokenizer, .. } => tokenizer
                    .encode(text, false)
                    .map(|encoding| encoding.len())
                    .map_err(|e| EngineError::Backend(format!("tokenizer: {e}"))),
                Counter::Server { route, extra } => {
                    let (route, extra) = (*route, *extra);
                    drop(counter);
                    let index = self.shared.order()[0];
                    match self.shared.server_count(index, route, text).await {
                        Ok(n) => Ok(n.saturating_sub(extra)),
                        Err(_) => Ok(approx_tokens(text)),
                    }
                }
                Counter::Approx => Ok(approx_tokens(text)),
            }
        })
    }

    fn busy(&self) -> usize {
        self.shared.busy.load(Ordering::SeqCst)
    }

    fn remote_status(&self) -> Option<RemoteStatus> {
        let token_counts = match self.counter.try_read() {
            Ok(counter) => counter.describe(),
            Err(_) => "being probed".into(),
        };
        Some(RemoteStatus {
            token_counts,
            endpoints: self.shared.endpoints.iter().map(Endpoint::status).collect(),
        })
    }
}
