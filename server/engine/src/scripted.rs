//! A deterministic engine that answers from a script, so the completion pipeline, the LSP edge
//! and their tests run without a model. It honours the same contract as a real backend:
//! streaming deltas, stop sequences, token limits, time budgets and cancellation.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::{
    Capabilities, Engine, EngineError, FinishReason, GenerateEvent, GenerateRequest, Generation,
    GenerationStats, ModelFamily, PromptInput, stop_holdback,
};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct ScriptedReply {
    /// The full text the "model" would produce (before stops and limits).
    pub text: String,
    /// Delay before each streamed chunk (one chunk per scripted token).
    pub token_delay: Duration,
}

impl ScriptedReply {
    /// A reply streamed without delay.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into(), token_delay: Duration::ZERO }
    }

    /// A reply streamed one token every `token_delay`.
    pub fn slow(text: impl Into<String>, token_delay: Duration) -> Self {
        Self { text: text.into(), token_delay }
    }
}

type Responder = dyn Fn(&str) -> ScriptedReply + Send + Sync;

/// Answers each request with the next queued reply, or from a responder function.
pub struct ScriptedEngine {
    family: ModelFamily,
    queue: Mutex<VecDeque<ScriptedReply>>,
    responder: Option<Box<Responder>>,
    prompts: Mutex<Vec<String>>,
    samplings: Mutex<Vec<(f32, Option<u64>)>>,
    running: Arc<AtomicUsize>,
}

impl std::fmt::Debug for ScriptedEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedEngine").field("family", &self.family).finish_non_exhaustive()
    }
}

impl ScriptedEngine {
    /// An engine that answers from a queue filled with [`ScriptedEngine::push`].
    pub fn new(family: ModelFamily) -> Self {
        Self {
            family,
            queue: Mutex::new(VecDeque::new()),
            responder: None,
            prompts: Mutex::new(Vec::new()),
            samplings: Mutex::new(Vec::new()),
            running: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// An engine that computes each answer from the prompt text.
    pub fn with_responder(
        family: ModelFamily,
        responder: impl Fn(&str) -> ScriptedReply + Send + Sync + 'static,
    ) -> Self {
        Self { responder: Some(Box::new(responder)), ..Self::new(family) }
    }

    /// Queues the next answer.
    pub fn push(&self, reply: ScriptedReply) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push_back(reply);
    }

    /// Every prompt received so far (chat prompts rendered as `role: content` lines).
    pub fn prompts(&self) -> Vec<String> {
        self.prompts.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The temperature and seed of every request received so far, in order.
    pub fn samplings(&self) -> Vec<(f32, Option<u64>)> {
        self.samplings.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Generations still decoding; a cancelled generation leaves this count within one step.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    fn next_reply(&self, prompt: &str) -> Option<ScriptedReply> {
        if let Some(reply) = self.queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() {
            return Some(reply);
        }
        self.responder.as_ref().map(|responder| responder(prompt))
    }
}

/// The scripted tokenizer: one token per 4 bytes, rounded up, and at least one per word.
fn scripted_token_count(text: &str) -> usize {
    text.len().div_ceil(4).max(text.split_whitespace().count())
}

/// Splits a reply into "tokens": runs of up to 4 bytes that never split a character.
fn scripted_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        if current.len() + ch.len_utf8() > 4 || ch == '\n' && !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        current.push(ch);
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

impl Engine for ScriptedEngine {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            name: "scripted".into(),
            context_length: 8192,
            family: self.family.clone(),
            chat: true,
            prefix_cache: false,
        }
    }

    fn generate(&self, request: GenerateRequest) -> Generation {
        let prompt = match &request.input {
            PromptInput::Text(text) => text.clone(),
            PromptInput::Chat(messages) => messages
                .iter()
                .map(|m| format!("{}: {}", m.role, m.content))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        if prompt.is_empty() {
            return Generation::failed(EngineError::InvalidRequest("empty prompt".into()));
        }
        self.prompts.lock().unwrap_or_else(|e| e.into_inner()).push(prompt.clone());
        self.samplings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((request.temperature, request.seed));
        let Some(reply) = self.next_reply(&prompt) else {
            return Generation::failed(EngineError::Unavailable("no scripted reply left".into()));
        };
        let (sender, events) = mpsc::channel(64);
        let running = Arc::clone(&self.running);
        running.fetch_add(1, Ordering::SeqCst);
        let prompt_tokens = scripted_token_count(&prompt);
        tokio::spawn(async move {
            let started = Instant::now();
            let mut first_token = None;
            let mut produced = String::new();
            let mut sent = 0;
            let mut generated = 0;
            let mut reason = FinishReason::Length;
            for token in scripted_tokens(&reply.text) {
                if generated >= request.max_tokens {
                    break;
                }
                let decoding = first_token.map(|first| started.elapsed() - first);
                if request.time_budget.zip(decoding).is_some_and(|(budget, spent)| spent >= budget)
                {
                    reason = FinishReason::TimeBudget;
                    break;
                }
                if !reply.token_delay.is_zero() {
                    // A cancel ends the wait, as a real engine stops within its current step.
                    tokio::select! {
                        _ = tokio::time::sleep(reply.token_delay) => {}
                        _ = sender.closed() => {}
                    }
                }
                if sender.is_closed() {
                    reason = FinishReason::Cancelled;
                    break;
                }
                first_token.get_or_insert_with(|| started.elapsed());
                generated += 1;
                produced.push_str(&token);
                if request.output_ends(&mut produced, sent) {
                    reason = FinishReason::Stop;
                    break;
                }
                let ready = produced.len() - stop_holdback(&produced, &request.stop);
                if ready > sent {
                    let delta = produced[sent..ready].to_string();
                    sent = ready;
                    if sender.send(GenerateEvent::Delta(delta)).await.is_err() {
                        reason = FinishReason::Cancelled;
                        break;
                    }
                }
            }
            if generated < request.max_tokens
                && reason == FinishReason::Length
                && scripted_tokens(&reply.text).len() <= generated
            {
                // The script ran out: that is the model's end of sequence.
                reason = FinishReason::Stop;
            }
            running.fetch_sub(1, Ordering::SeqCst);
            if reason == FinishReason::Cancelled {
                return;
            }
            if produced.len() > sent {
                let _ = sender.send(GenerateEvent::Delta(produced[sent..].to_string())).await;
            }
            let total_time = started.elapsed();
            let stats = GenerationStats {
                prompt_tokens,
                cached_tokens: 0,
                computed_tokens: prompt_tokens,
                generated_tokens: generated,
                time_to_first_token: first_token.unwrap_or(total_time),
                total_time,
            };
            let _ = sender.send(GenerateEvent::Done { reason, stats }).await;
        });
        Generation::new(events)
    }

    fn count_tokens<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<usize, EngineError>> {
        Box::pin(async move { Ok(scripted_token_count(text)) })
    }

    fn busy(&self) -> usize {
        self.running()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_until_a_stop_sequence() {
        let engine = ScriptedEngine::new(ModelFamily::default());
        engine.push(ScriptedReply::text("let total = a + b;\nreturn total;"));
        let mut request = GenerateRequest::completion("fn add(a: i32, b: i32) {\n", 64);
        request.stop = vec!["\n".into()];
        let done = engine.generate(request).collect().await.unwrap();
        assert_eq!(done.text, "let total = a + b;");
        assert_eq!(done.reason, FinishReason::Stop);
        assert_eq!(engine.prompts(), vec!["fn add(a: i32, b: i32) {\n".to_string()]);
    }

    #[tokio::test]
    async fn respects_the_token_limit() {
        let engine = ScriptedEngine::new(ModelFamily::default());
        engine.push(ScriptedReply::text("abcdefghijklmnop"));
        let done = engine.generate(GenerateRequest::completion("x", 2)).collect().await.unwrap();
        assert_eq!(done.text, "abcdefgh");
        assert_eq!(done.reason, FinishReason::Length);
        assert_eq!(done.stats.generated_tokens, 2);
    }

    #[tokio::test]
    async fn a_dropped_generation_stops_decoding() {
        let engine = ScriptedEngine::new(ModelFamily::default());
        engine.push(ScriptedReply::slow("a".repeat(400), Duration::from_millis(5)));
        let mut generation = engine.generate(GenerateRequest::completion("x", 1000));
        assert!(matches!(generation.next().await, Some(GenerateEvent::Delta(_))));
        assert_eq!(engine.running(), 1);
        generation.cancel();
        let deadline = Instant::now() + Duration::from_secs(2);
        while engine.running() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(engine.running(), 0);
    }

    #[tokio::test]
    async fn an_empty_queue_is_a_clear_error() {
        let engine = ScriptedEngine::new(ModelFamily::default());
        let error = engine.generate(GenerateRequest::completion("x", 4)).collect().await;
        assert!(matches!(error, Err(EngineError::Unavailable(_))));
    }
}
