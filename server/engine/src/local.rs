//! The in-process backend: mistral.rs running a GGUF model on the CPU (or CUDA with the `cuda`
//! feature), driven with token ids so its prefix cache is reused from one keystroke to the next.
//!
//! Requests run one at a time behind a gate. A request that is cancelled releases the gate only
//! after mistral.rs has put the sequence's KV into its prefix cache, so the request that
//! replaced it starts from that cache instead of recomputing the prompt. A cancelled prompt stops
//! part-way (at the next layer of a 32-token chunk, see vendor/README.md) and caches the chunks it
//! finished.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use mistralrs::{Model, TextMessageRole, TextMessages};
use mistralrs_core::{
    AutoDeviceMapParams, Constraint, DefaultSchedulerMethod, DeviceMapSetting, GGUFLoaderBuilder,
    GGUFSpecificConfig, MemoryGpuConfig, MistralRsBuilder, ModelDType, NormalRequest,
    PagedAttentionConfig, PagedCacheType, PromptLookupConfig, PromptLookupPipeline, Request,
    RequestMessage, Response, SamplingParams, SchedulerConfig, SpeculativeConfig,
    SpeculativePipeline, StopTokens, TokenSource,
};
use tokio::sync::{Mutex, OwnedMutexGuard, mpsc};

use crate::config::{ActivationDtype, LocalEngineConfig, PagedAttentionSettings};
use crate::models::check_model_file;
use crate::{
    Capabilities, ChatMessage, Engine, EngineError, FinishReason, GenerateEvent, GenerateRequest,
    Generation, GenerationStats, PromptInput, stop_holdback,
};

/// mistral.rs in process.
pub struct LocalEngine {
    model: Arc<Model>,
    capabilities: Capabilities,
    gate: Arc<Mutex<()>>,
    /// Prompt-lookup drafting on or off for the next request (`None`: not in the pipeline).
    lookup: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for LocalEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEngine").field("capabilities", &self.capabilities).finish()
    }
}

fn backend(error: impl std::fmt::Display) -> EngineError {
    EngineError::Backend(error.to_string())
}

fn paged_config(settings: &PagedAttentionSettings) -> Result<PagedAttentionConfig, EngineError> {
    let memory = match (settings.memory_mib, settings.gpu_utilization) {
        (Some(mib), _) => MemoryGpuConfig::MbAmount(mib),
        (None, Some(share)) => MemoryGpuConfig::Utilization(share),
        (None, None) => MemoryGpuConfig::Utilization(0.85),
    };
    let cache_type = match settings.kv_cache_type.as_str() {
        "auto" => PagedCacheType::Auto,
        "fp8" | "f8e4m3" => PagedCacheType::F8E4M3,
        other => {
            return Err(EngineError::InvalidRequest(format!(
                "unknown paged_attention.kv_cache_type `{other}` (expected `auto` or `fp8`)"
            )));
        }
    };
    PagedAttentionConfig::new(Some(settings.block_size), memory, cache_type).map_err(backend)
}

impl LocalEngine {
    /// Loads the model. A missing or corrupt file is an `Unavailable` error naming the path and
    /// the fix.
    pub async fn load(config: LocalEngineConfig) -> Result<LocalEngine, EngineError> {
        let (model_id, file, info) = match (&config.path, &config.hf_repo, &config.hf_file) {
            (Some(path), _, _) => {
                let info =
                    check_model_file(path).map_err(|e| EngineError::Unavailable(e.to_string()))?;
                let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_else(|| ".".into());
                let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
                let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).ok_or_else(
                    || EngineError::Unavailable(format!("{} is not a file", path.display())),
                )?;
                (dir.to_string_lossy().into_owned(), file, Some(info))
            }
            (None, Some(repo), Some(file)) => (repo.clone(), file.clone(), None),
            _ => {
                return Err(EngineError::Unavailable(
                    "no model configured: set `model.path` to a GGUF file or run `infill model fetch`"
                        .into(),
                ));
            }
        };
        let family =
            config.family.clone().or_else(|| info.as_ref().map(|i| i.family())).unwrap_or_default();
        let model_context = info
            .as_ref()
            .and_then(|i| i.arch_u64("context_length"))
            .map(|c| c as usize)
            .unwrap_or(4096);
        let context_length = config.context_length.unwrap_or(model_context).min(model_context);
        let chat = info.as_ref().is_none_or(|i| i.get_str("tokenizer.chat_template").is_some());

        let device = if config.force_cpu {
            mistralrs::Device::Cpu
        } else {
            mistralrs::best_device(false).map_err(backend)?
        };
        let paged = match (&config.paged_attention, device.is_cpu()) {
            (Some(settings), false) => Some(paged_config(settings)?),
            (Some(_), true) => {
                tracing::warn!("PagedAttention needs a CUDA device; running without it");
                None
            }
            _ => None,
        };
        let dtype = match config.dtype {
            ActivationDtype::Auto if device.is_cpu() => ModelDType::BF16,
            ActivationDtype::Auto => ModelDType::Auto,
            ActivationDtype::F32 => ModelDType::F32,
            ActivationDtype::F16 => ModelDType::F16,
            ActivationDtype::Bf16 => ModelDType::BF16,
        };
        let load = |model_id: String, file: String| {
            let device = device.clone();
            move || {
                GGUFLoaderBuilder::new(
                    None,
                    None,
                    model_id,
                    vec![file],
                    GGUFSpecificConfig { topology: None },
                    false,
                    None,
                )
                .build()
                .load_model_from_hf(
                    None,
                    TokenSource::CacheToken,
                    &dtype,
                    &device,
                    true,
                    DeviceMapSetting::Auto(AutoDeviceMapParams::default_text()),
                    None,
                    paged,
                )
            }
        };
        let target = tokio::task::spawn_blocking(load(model_id, file))
            .await
            .map_err(backend)?
            .map_err(|e| EngineError::Unavailable(format!("cannot load the model: {e:#}")))?;
        let mut lookup = None;
        let (pipeline, name): (
            Arc<tokio::sync::Mutex<dyn mistralrs_core::Pipeline + Send + Sync>>,
            String,
        ) = match &config.draft_path {
            None if config.prompt_lookup => {
                let pipeline = PromptLookupPipeline::new(target, PromptLookupConfig::default())
                    .map_err(backend)?;
                lookup = Some(pipeline.switch());
                (Arc::new(tokio::sync::Mutex::new(pipeline)), "mistral.rs".into())
            }
            None => (target, "mistral.rs".into()),
            Some(draft_path) => {
                check_model_file(draft_path)
                    .map_err(|e| EngineError::Unavailable(e.to_string()))?;
                let dir = draft_path
                    .parent()
                    .unwrap_or(std::path::Path::new("."))
                    .to_string_lossy()
                    .into_owned();
                let file =
                    draft_path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let draft =
                    tokio::task::spawn_blocking(load(dir, file)).await.map_err(backend)?.map_err(
                        |e| EngineError::Unavailable(format!("cannot load the draft model: {e:#}")),
                    )?;
                let speculative = SpeculativePipeline::new(
                    target,
                    draft,
                    SpeculativeConfig { gamma: config.speculative_gamma.max(1) },
                )
                .map_err(backend)?;
                (Arc::new(tokio::sync::Mutex::new(speculative)), "mistral.rs (speculative)".into())
            }
        };
        let scheduler = SchedulerConfig::DefaultScheduler {
            method: DefaultSchedulerMethod::Fixed(NonZeroUsize::new(4).expect("non-zero")),
        };
        let runner = MistralRsBuilder::new(pipeline, scheduler, false, None)
            .with_prefix_cache_n(config.prefix_cache_entries.max(1))
            .build()
            .await;
        Ok(LocalEngine {
            model: Arc::new(Model::new(runner)),
            capabilities: Capabilities { name, context_length, family, chat, prefix_cache: true },
            gate: Arc::new(Mutex::new(())),
            lookup,
        })
    }

    async fn tokenize(model: &Model, text: &str) -> Result<Vec<u32>, EngineError> {
        model
            .tokenize(either::Either::Right(text.to_string()), None, true, false, None)
            .await
            .map_err(backend)
    }
}

fn sampling(request: &GenerateRequest) -> SamplingParams {
    let mut params = if request.temperature <= 0.0 {
        SamplingParams::deterministic()
    } else {
        let mut p = SamplingParams::neutral();
        p.temperature = Some(request.temperature as f64);
        p.top_p = request.top_p.map(f64::from);
        p
    };
    params.max_len = Some(request.max_tokens.max(1));
    if !request.stop.is_empty() {
        params.stop_toks = Some(StopTokens::Seqs(request.stop.clone()));
    }
    params
}

fn chat_messages(messages: &[ChatMessage]) -> RequestMessage {
    let mut text = TextMessages::new();
    for message in messages {
        let role = match message.role.as_str() {
            "system" => TextMessageRole::System,
            "assistant" => TextMessageRole::Assistant,
            "user" => TextMessageRole::User,
            other => TextMessageRole::Custom(other.to_string()),
        };
        text = text.add_message(role, &message.content);
    }
    mistralrs::RequestLike::take_messages(&mut text)
}

/// One chunk of mistral.rs output: `(text, finished)`.
fn chunk_text(response: Response) -> Result<(String, bool), EngineError> {
    match response {
        Response::CompletionChunk(chunk) => {
            let finished = chunk.choices.iter().any(|c| c.finish_reason.is_some());
            Ok((chunk.choices.into_iter().map(|c| c.text).collect(), finished))
        }
        Response::Chunk(chunk) => {
            let finished = chunk.choices.iter().any(|c| c.finish_reason.is_some());
            let text = chunk.choices.into_iter().filter_map(|c| c.delta.content).collect();
            Ok((text, finished))
        }
        Response::CompletionDone(done) => {
            Ok((done.choices.into_iter().map(|c| c.text).collect(), true))
        }
        Response::Done(done) => {
            Ok((done.choices.into_iter().filter_map(|c| c.message.content).collect(), true))
        }
        Response::InternalError(e) | Response::ValidationError(e) => Err(backend(e)),
        Response::ModelError(e, _) | Response::CompletionModelError(e, _) => Err(backend(e)),
        _ => Err(backend("unexpected response kind")),
    }
}

struct Run {
    model: Arc<Model>,
    lookup: Option<Arc<AtomicBool>>,
    request: GenerateRequest,
    context_length: usize,
    events: mpsc::Sender<GenerateEvent>,
}

impl Run {
    async fn execute(self, gate: OwnedMutexGuard<()>) {
        let events = self.events.clone();
        let outcome = self.run(gate).await;
        if let Err(error) = outcome {
            let _ = events.send(GenerateEvent::Failed(error)).await;
        }
    }

    async fn run(self, gate: OwnedMutexGuard<()>) -> Result<(), EngineError> {
        let started = Instant::now();
        let (message, prompt_tokens) = match &self.request.input {
            PromptInput::Text(text) => {
                let mut ids = LocalEngine::tokenize(&self.model, text).await?;
                if ids.is_empty() {
                    return Err(EngineError::InvalidRequest("empty prompt".into()));
                }
                let room = self.context_length.saturating_sub(self.request.max_tokens).max(1);
                if ids.len() > room {
                    // Keep the end: the text nearest the cursor matters most.
                    ids.drain(..ids.len() - room);
                }
                let n = ids.len();
                (RequestMessage::CompletionTokens(ids), n)
            }
            PromptInput::Chat(messages) => (chat_messages(messages), 0),
        };
        let runner = self.model.inner();
        let (sender, mut receiver) = mpsc::channel(64);
        let lookups_before = mistralrs_core::last_prefix_cache_hit().0;
        let adds_before = mistralrs_core::prefix_cache_adds();
        let released_before = mistralrs_core::cancelled_sequences_released();
        let mut normal = NormalRequest::new_simple(
            message,
            sampling(&self.request),
            sender,
            runner.next_request_id(),
            None,
            None,
        );
        normal.is_streaming = true;
        normal.constraint = Constraint::None;
        // Requests run one at a time (the gate), so the switch holds for this one's steps.
        if let Some(switch) = &self.lookup {
            switch.store(self.request.draft_from_prompt, Ordering::Relaxed);
        }
        runner
            .get_sender(None)
            .map_err(backend)?
            .send(Request::Normal(Box::new(normal)))
            .await
            .map_err(backend)?;

        let mut produced = String::new();
        let mut sent = 0;
        let mut generated = 0;
        let mut first_token = None;
        let mut cached_tokens = 0;
        let mut engine_finished = false;
        // The budget counts from the first token: a prefill is never cut short by it (its KV
        // is what the next keystroke's request starts from).
        let mut deadline: Option<Instant> = None;
        let far = Instant::now() + Duration::from_secs(24 * 3600);
        let reason = loop {
            let next = tokio::select! {
                next = receiver.recv() => next,
                _ = self.events.closed() => break FinishReason::Cancelled,
                _ = tokio::time::sleep_until(deadline.unwrap_or(far).into()), if deadline.is_some() => {
                    break FinishReason::TimeBudget
                }
            };
            let Some(response) = next else {
                engine_finished = true;
                break FinishReason::Stop;
            };
            if first_token.is_none() {
                first_token = Some(started.elapsed());
                deadline = self.request.time_budget.map(|budget| Instant::now() + budget);
                let (lookups, hit) = mistralrs_core::last_prefix_cache_hit();
                if lookups > lookups_before {
                    cached_tokens = hit;
                }
            }
            let (text, finished) = chunk_text(response)?;
            generated += 1;
            produced.push_str(&text);
            if self.request.output_ends(&mut produced, sent) {
                break FinishReason::Stop;
            }
            let ready = produced.len() - stop_holdback(&produced, &self.request.stop);
            if ready > sent {
                let delta = produced[sent..ready].to_string();
                sent = ready;
                if self.events.send(GenerateEvent::Delta(delta)).await.is_err() {
                    break FinishReason::Cancelled;
                }
            }
            if finished {
                engine_finished = true;
                break if generated >= self.request.max_tokens {
                    FinishReason::Length
                } else {
                    FinishReason::Stop
                };
            }
        };
        drop(receiver);
        if !engine_finished {
            // mistral.rs notices the closed channel before its next layer (the patched llama
            // models) or at its next step, caches the KV computed so far and frees the sequence;
            // hold the gate until then so the next request finds that cache.
            let wait_until = Instant::now() + Duration::from_secs(2);
            while mistralrs_core::prefix_cache_adds() == adds_before
                && mistralrs_core::cancelled_sequences_released() == released_before
                && Instant::now() < wait_until
            {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        drop(gate);
        if reason == FinishReason::Cancelled {
            return Ok(());
        }
        if produced.len() > sent {
            let _ = self.events.send(GenerateEvent::Delta(produced[sent..].to_string())).await;
        }
        let total_time = started.elapsed();
        let stats = GenerationStats {
            prompt_tokens,
            cached_tokens: cached_tokens.min(prompt_tokens),
            computed_tokens: prompt_tokens - cached_tokens.min(prompt_tokens),
            generated_tokens: generated,
            time_to_first_token: first_token.unwrap_or(total_time),
            total_time,
        };
        let _ = self.events.send(GenerateEvent::Done { reason, stats }).await;
        Ok(())
    }
}

impl Engine for LocalEngine {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn generate(&self, request: GenerateRequest) -> Generation {
        let (events, receiver) = mpsc::channel(64);
        let run = Run {
            model: Arc::clone(&self.model),
            lookup: self.lookup.clone(),
            request,
            context_length: self.capabilities.context_length,
            events,
        };
        let gate = Arc::clone(&self.gate);
        tokio::spawn(async move {
            let guard = tokio::select! {
                guard = gate.lock_owned() => guard,
                _ = run.events.closed() => return,
            };
            run.execute(guard).await;
        });
        Generation::new(receiver)
    }

    fn count_tokens<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<usize, EngineError>> {
        Box::pin(async move { Ok(LocalEngine::tokenize(&self.model, text).await?.len()) })
    }

    fn busy(&self) -> usize {
        // The gate is held from submission until mistral.rs has let go of the sequence.
        usize::from(self.gate.try_lock().is_err())
    }
}
