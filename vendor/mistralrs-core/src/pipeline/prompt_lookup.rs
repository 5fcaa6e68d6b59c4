//! Infill patch: prompt-lookup speculative decoding.
//!
//! Edits mostly copy their input. Instead of a draft model, the draft is read from the sequence
//! itself: the tokens that followed the latest earlier occurrence of the sequence's last few
//! tokens (an n-gram lookup over prompt and output). The target model verifies all of them in
//! one forward pass, the way [`super::SpeculativePipeline`] verifies a draft model's tokens:
//! the drafted tokens it agrees with are accepted together with its own next token, and the KV
//! entries of the rest are dropped. Greedy output is exactly the target's; sampled output keeps
//! the target's distribution (a drafted token is kept only when the target samples it).
//!
//! Prompt steps, batches of several sequences, constrained sequences (their grammar state would
//! have to roll back) and steps where the lookup finds nothing go through the target's own
//! `step` unchanged.

use std::{
    any::Any,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use candle_core::{Device, Result, Tensor};
use mistralrs_quant::IsqType;
use rand_isaac::Isaac64Rng;
use tokenizers::Tokenizer;

use crate::{
    device_map::DeviceMapper,
    get_mut_arcmutex,
    pipeline::sampling::{finish_or_add_toks_to_seq, sample_target_sequence_speculative},
    prefix_cacher::PrefixCacheManagerV2,
    sampler::Logprobs,
    sequence::{Sequence, SequenceRecognizer},
    Pipeline,
};

use super::{
    chat_template::ChatTemplate, sampling::SpeculativeSample, AnyMoePipelineMixin,
    CacheBackendMetadata, CacheInstruction, CacheManagerMixin, EitherCache, ForwardInputsResult,
    GeneralMetadata, IsqPipelineMixin, MetadataMixin, ModelCategory, PreProcessingMixin,
    Processor,
};

/// How drafts are looked up.
#[derive(Debug, Copy, Clone)]
pub struct PromptLookupConfig {
    /// At most this many tokens drafted per step.
    pub max_draft: usize,
    /// The longest suffix looked up (tried first).
    pub max_ngram: usize,
    /// The shortest suffix looked up.
    pub min_ngram: usize,
}

impl Default for PromptLookupConfig {
    fn default() -> Self {
        PromptLookupConfig {
            max_draft: 8,
            max_ngram: 4,
            min_ngram: 2,
        }
    }
}

/// Counters over the process's life: verification steps, tokens drafted, drafted tokens the
/// target accepted, and tokens the verification steps produced (accepted drafts plus the
/// target's own next token).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PromptLookupStats {
    pub steps: u64,
    pub drafted: u64,
    pub accepted: u64,
    pub produced: u64,
}

static STEPS: AtomicU64 = AtomicU64::new(0);
static DRAFTED: AtomicU64 = AtomicU64::new(0);
static ACCEPTED: AtomicU64 = AtomicU64::new(0);
static PRODUCED: AtomicU64 = AtomicU64::new(0);

/// The counters of every prompt-lookup pipeline in this process.
pub fn prompt_lookup_stats() -> PromptLookupStats {
    PromptLookupStats {
        steps: STEPS.load(Ordering::Relaxed),
        drafted: DRAFTED.load(Ordering::Relaxed),
        accepted: ACCEPTED.load(Ordering::Relaxed),
        produced: PRODUCED.load(Ordering::Relaxed),
    }
}

/// The tokens that followed the latest earlier occurrence of `toks`' last `n` tokens, for the
/// longest `n` in `min_ngram..=max_ngram` that occurs, at most `max_draft` of them.
pub fn lookup_draft(toks: &[u32], config: &PromptLookupConfig) -> Vec<u32> {
    let min = config.min_ngram.max(1);
    for n in (min..=config.max_ngram.max(min)).rev() {
        if toks.len() <= n {
            continue;
        }
        let tail = &toks[toks.len() - n..];
        // Latest occurrence first; the tail itself is excluded.
        for start in (0..toks.len() - n).rev() {
            if &toks[start..start + n] == tail {
                let from = start + n;
                let end = (from + config.max_draft).min(toks.len());
                if from < end {
                    return toks[from..end].to_vec();
                }
            }
        }
    }
    Vec::new()
}

/// A pipeline that verifies prompt-lookup drafts with its target model.
pub struct PromptLookupPipeline {
    target: Arc<tokio::sync::Mutex<dyn Pipeline>>,
    target_cache: EitherCache,
    config: PromptLookupConfig,
    enabled: Arc<AtomicBool>,
    metadata: Arc<GeneralMetadata>,
    category: ModelCategory,
}

impl PromptLookupPipeline {
    pub fn new(
        target: Arc<tokio::sync::Mutex<dyn Pipeline>>,
        config: PromptLookupConfig,
    ) -> Result<Self> {
        let (target_cache, metadata, category) = {
            let guard = get_mut_arcmutex!(target);
            if !matches!(guard.cache(), EitherCache::Normal(_)) {
                candle_core::bail!("Prompt-lookup decoding needs a model with a normal KV cache.");
            }
            (guard.cache().clone(), guard.get_metadata(), guard.category())
        };
        Ok(PromptLookupPipeline {
            target,
            target_cache,
            config,
            enabled: Arc::new(AtomicBool::new(true)),
            metadata,
            category,
        })
    }

    /// The switch that turns drafting on and off for the steps that follow (on at first): a
    /// caller that runs one request at a time sets it per request.
    pub fn switch(&self) -> Arc<AtomicBool> {
        self.enabled.clone()
    }
}

impl PreProcessingMixin for PromptLookupPipeline {
    fn get_processor(&self) -> Arc<dyn Processor> {
        get_mut_arcmutex!(self.target).get_processor()
    }
    fn get_chat_template(&self) -> Option<Arc<ChatTemplate>> {
        get_mut_arcmutex!(self.target).get_chat_template()
    }
    fn get_input_processor_config(&self) -> Option<Arc<dyn Any>> {
        get_mut_arcmutex!(self.target).get_input_processor_config()
    }
}

impl IsqPipelineMixin for PromptLookupPipeline {
    fn re_isq_model(&mut self, dtype: IsqType) -> anyhow::Result<()> {
        get_mut_arcmutex!(self.target).re_isq_model(dtype)
    }
}

impl CacheManagerMixin for PromptLookupPipeline {
    fn clone_in_cache(&self, seqs: &mut [&mut Sequence]) {
        get_mut_arcmutex!(self.target).clone_in_cache(seqs)
    }
    fn clone_out_cache(&self, seqs: &mut [&mut Sequence]) {
        get_mut_arcmutex!(self.target).clone_out_cache(seqs)
    }
    fn set_none_cache(
        &self,
        seqs: &mut [&mut Sequence],
        reset_non_granular: bool,
        modify_draft_cache: bool,
        load_preallocated_cache: bool,
    ) {
        get_mut_arcmutex!(self.target).set_none_cache(
            seqs,
            reset_non_granular,
            modify_draft_cache,
            load_preallocated_cache,
        )
    }
    fn cache(&self) -> &EitherCache {
        &self.target_cache
    }
}

impl MetadataMixin for PromptLookupPipeline {
    fn device(&self) -> Device {
        get_mut_arcmutex!(self.target).device()
    }
    fn tokenizer(&self) -> Option<Arc<Tokenizer>> {
        get_mut_arcmutex!(self.target).tokenizer()
    }
    fn name(&self) -> String {
        format!(
            "Prompt lookup: tgt = `{}`",
            get_mut_arcmutex!(self.target).name()
        )
    }
    fn reset_non_granular_state(&self) {
        get_mut_arcmutex!(self.target).reset_non_granular_state()
    }
    fn get_metadata(&self) -> Arc<GeneralMetadata> {
        self.metadata.clone()
    }
    fn device_mapper(&self) -> Option<&dyn DeviceMapper> {
        None
    }
}

#[async_trait::async_trait]
impl Pipeline for PromptLookupPipeline {
    fn forward_inputs(
        &mut self,
        inputs: Box<dyn Any>,
        return_raw_logits: bool,
    ) -> Result<ForwardInputsResult> {
        get_mut_arcmutex!(self.target).forward_inputs(inputs, return_raw_logits)
    }
    async fn sample_causal_gen(
        &self,
        seqs: &mut [&mut Sequence],
        logits: Vec<Tensor>,
        prefix_cacher: &mut PrefixCacheManagerV2,
        disable_eos_stop: bool,
        rng: Arc<std::sync::Mutex<Isaac64Rng>>,
    ) -> Result<()> {
        get_mut_arcmutex!(self.target)
            .sample_causal_gen(seqs, logits, prefix_cacher, disable_eos_stop, rng)
            .await
    }
    async fn step(
        &mut self,
        input_seqs: &mut [&mut Sequence],
        is_prompt: bool,
        return_raw_logits: bool,
        prefix_cacher: &mut PrefixCacheManagerV2,
        disable_eos_stop: bool,
        rng: Arc<std::sync::Mutex<Isaac64Rng>>,
        backend_metadata: CacheBackendMetadata,
    ) -> Result<Duration> {
        let draft = match (&backend_metadata, &*input_seqs) {
            (CacheBackendMetadata::DefaultInstructions { .. }, [seq])
                if !is_prompt
                    && self.enabled.load(Ordering::Relaxed)
                    && !return_raw_logits
                    && matches!(seq.recognizer, SequenceRecognizer::None) =>
            {
                lookup_draft(seq.get_toks(), &self.config)
            }
            _ => Vec::new(),
        };
        if draft.is_empty() {
            return get_mut_arcmutex!(self.target)
                .step(
                    input_seqs,
                    is_prompt,
                    return_raw_logits,
                    prefix_cacher,
                    disable_eos_stop,
                    rng,
                    backend_metadata,
                )
                .await;
        }
        let CacheBackendMetadata::DefaultInstructions { pre_op, post_op } = backend_metadata else {
            candle_core::bail!("Prompt-lookup decoding runs without paged attention");
        };
        match pre_op {
            CacheInstruction::In => self.clone_in_cache(input_seqs),
            CacheInstruction::Nothing => (),
            CacheInstruction::Reset {
                reset_non_granular,
                load_preallocated_cache,
            } => self.set_none_cache(
                input_seqs,
                reset_non_granular,
                false,
                load_preallocated_cache,
            ),
            _ => candle_core::bail!("Unexpected cache instruction before a step"),
        }

        let start = Instant::now();
        let gamma = draft.len();
        let draft_samples: Vec<SpeculativeSample> = draft
            .iter()
            .map(|&token| SpeculativeSample {
                sample: Logprobs {
                    token,
                    logprob: 0.0,
                    bytes: None,
                    top_logprobs: None,
                },
            })
            .collect();
        let initial_cache_len = match &self.target_cache {
            EitherCache::Normal(normal) => normal.lock().unwrap().0[0].current_seq_len(),
            _ => candle_core::bail!("Prompt-lookup decoding needs a normal KV cache"),
        };
        let (is_xlora, device, no_kv_cache, sliding_window) = {
            let target = get_mut_arcmutex!(self.target);
            let metadata = target.get_metadata();
            (
                metadata.is_xlora,
                target.device(),
                metadata.no_kv_cache,
                metadata.sliding_window,
            )
        };
        let logits = {
            // Not `Send`: dropped before the next await.
            let processor = self.get_processor();
            let tokenizer = self.tokenizer();
            let seq = &mut *input_seqs[0];
            // The last token (its KV is not cached yet) and every drafted token but the last: the
            // target's logits at these `gamma` positions verify the `gamma` drafted tokens.
            let Some(&last) = seq.get_toks().last() else {
                candle_core::bail!("A decoding sequence has no tokens");
            };
            let mut verify = vec![last];
            verify.extend_from_slice(&draft[..gamma - 1]);
            seq.set_prefill_toks(verify);
            // A prompt that hit the prefix cache left its hit's length on the sequence, which
            // the inputs processor would add to these tokens' positions (and, with paged
            // attention, skip from them): the positions must start at the cache's end.
            let (token_offset, prefix_cache_len) = (seq.token_offset(), seq.prefix_cache_len());
            seq.set_token_offset(0);
            seq.set_prefix_cache_len(0);
            let inputs = processor
                .inputs_processor()
                .process_inputs(
                    tokenizer,
                    &mut [seq],
                    true, // run the "prefill" tokens set above
                    is_xlora,
                    &device,
                    no_kv_cache,
                    Some((gamma, initial_cache_len)), // logits of the last `gamma` positions
                    false,
                    sliding_window,
                    None,
                    None,
                    None,
                )
                .map_err(candle_core::Error::msg);
            let logits = match inputs {
                Ok(inputs) => get_mut_arcmutex!(self.target).forward_inputs(inputs.inputs, false),
                Err(e) => Err(e),
            };
            seq.reset_prefill_toks();
            seq.set_token_offset(token_offset);
            seq.set_prefix_cache_len(prefix_cache_len);
            logits?
        };
        #[allow(irrefutable_let_patterns)]
        let ForwardInputsResult::CausalGeneration { logits } = logits
        else {
            candle_core::bail!("Prompt-lookup decoding requires `CausalGeneration` forward results");
        };

        let seq = &mut *input_seqs[0];
        let return_logprobs = seq.return_logprobs();
        let accepted =
            sample_target_sequence_speculative(logits, seq, return_logprobs, rng, &draft_samples)
                .await?;
        // The target's own token after the last agreeing draft is not a drafted one.
        let agreed = accepted
            .iter()
            .zip(&draft)
            .take_while(|(sample, &token)| sample.sample.token == token)
            .count();
        let n_not_accepted = gamma - accepted.len();
        if let EitherCache::Normal(normal) = &self.target_cache {
            for cache in &mut *normal.lock().unwrap().0 {
                cache
                    .set_len(cache.current_seq_len() - n_not_accepted)
                    .map_err(|_| candle_core::Error::msg("KV cache set_len failed."))?;
            }
        }
        STEPS.fetch_add(1, Ordering::Relaxed);
        DRAFTED.fetch_add(gamma as u64, Ordering::Relaxed);
        ACCEPTED.fetch_add(agreed as u64, Ordering::Relaxed);
        PRODUCED.fetch_add(accepted.len() as u64, Ordering::Relaxed);

        let eos_owned = self.metadata.eos_tok.clone();
        let eos_tok = if disable_eos_stop {
            None
        } else {
            Some(&eos_owned[..])
        };
        let produced = accepted.len();
        let mut added = 0;
        for sample in accepted {
            finish_or_add_toks_to_seq(self, prefix_cacher, seq, sample.sample, eos_tok, true)
                .await?;
            added += 1;
            // A stop (end of text, a stop string, the token limit) ends the step too, and the
            // KV of the tokens after it goes: the cache holds exactly the sequence's tokens.
            if seq.is_finished_paged_attn() {
                break;
            }
        }
        if added < produced {
            if let EitherCache::Normal(normal) = &self.target_cache {
                for cache in &mut *normal.lock().unwrap().0 {
                    cache
                        .set_len(cache.current_seq_len() - (produced - added))
                        .map_err(|_| candle_core::Error::msg("KV cache set_len failed."))?;
                }
            }
        }
        let exec_duration = start.elapsed();

        match post_op {
            CacheInstruction::Out => self.clone_out_cache(input_seqs),
            CacheInstruction::Nothing => (),
            CacheInstruction::Reset {
                reset_non_granular,
                load_preallocated_cache,
            } => self.set_none_cache(
                input_seqs,
                reset_non_granular,
                false,
                load_preallocated_cache,
            ),
            _ => candle_core::bail!("Unexpected cache instruction after a step"),
        }
        Ok(exec_duration)
    }
    fn category(&self) -> ModelCategory {
        self.category.clone()
    }
}

impl AnyMoePipelineMixin for PromptLookupPipeline {}

#[cfg(test)]
mod tests {
    use super::{lookup_draft, PromptLookupConfig};

    fn config(max_draft: usize) -> PromptLookupConfig {
        PromptLookupConfig {
            max_draft,
            max_ngram: 3,
            min_ngram: 1,
        }
    }

    #[test]
    fn drafts_what_followed_the_suffix_last_time() {
        // ... 7 8 9 10 11 ... 7 8 9  → 10 11
        let toks = [1, 7, 8, 9, 10, 11, 12, 2, 7, 8, 9];
        assert_eq!(lookup_draft(&toks, &config(2)), vec![10, 11]);
        assert_eq!(
            lookup_draft(&toks, &config(8)),
            vec![10, 11, 12, 2, 7, 8, 9]
        );
    }

    #[test]
    fn longer_suffixes_win_and_nothing_is_drafted_without_a_match() {
        // "5 9" occurred before "6", while the latest "9" was followed by "4".
        let toks = [5, 9, 6, 1, 9, 4, 3, 5, 9];
        assert_eq!(lookup_draft(&toks, &config(1)), vec![6]);
        assert!(lookup_draft(&[1, 2, 3, 4], &config(4)).is_empty());
        assert!(lookup_draft(&[], &config(4)).is_empty());
    }
}
