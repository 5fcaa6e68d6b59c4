//! Warm-ups: computing a completion's full prompt in the background at the lowest priority, so
//! that its KV is ready when the user asks (a file just focused, the cursor moved far, or the
//! full prompt behind a fast first answer once the user pauses).

use super::*;

impl Completer {
    pub(super) fn note_request(&self) {
        *self.last_request.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    /// Starts warming the full prompt of the last fast first answer when no request reached the
    /// engine for `idle` (the user paused); the caller waits `idle` after such an answer, then
    /// calls this. Returns whether a warm-up started.
    pub fn warm_up_when_idle(&self, idle: Duration) -> bool {
        let since = self.last_request.lock().unwrap_or_else(|e| e.into_inner()).elapsed();
        if since < idle {
            return false;
        }
        let Some(request) = self.pending.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return false;
        };
        let PromptInput::Text(prompt) = &request.input else { return false };
        if self.cold_tail(prompt) <= PREFETCH_TAIL_BYTES {
            return false;
        }
        self.start_warmup(request);
        true
    }

    /// Whether a full prompt is warming in the background (a fast first answer's follow-up).
    pub fn warming(&self) -> bool {
        let mut warmup = self.warmup.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((generation, prompt)) = warmup.as_mut()
            && Self::warmup_ended(&self.warm, generation, prompt)
        {
            *warmup = None;
        }
        warmup.is_some()
    }

    /// Reads what the warm-up sent so far; `true` once it ended (its prompt is warm when it
    /// ended well).
    pub(super) fn warmup_ended(
        warm: &Mutex<Option<Arc<str>>>,
        generation: &mut Generation,
        prompt: &str,
    ) -> bool {
        while let Some(event) = generation.try_next() {
            match event {
                GenerateEvent::Delta(_) => {}
                GenerateEvent::Done { .. } => {
                    Self::mark_warm(warm, prompt);
                    tracing::debug!(bytes = prompt.len(), "full prompt warm");
                    return true;
                }
                GenerateEvent::Failed(_) => return true,
            }
        }
        false
    }

    /// Stops the background computation of a full prompt (noting first whether it finished);
    /// the engine keeps the chunks it computed, so the next warm-up or request resumes there.
    pub(super) fn cancel_warmup(&self) {
        if let Some((mut generation, prompt)) =
            self.warmup.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            Self::warmup_ended(&self.warm, &mut generation, &prompt);
        }
    }

    /// Bytes of `prompt` past its common prefix with the last warm prompt.
    pub(super) fn cold_tail(&self, prompt: &str) -> usize {
        let warm = self.warm.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let common = warm
            .map_or(0, |warm| warm.bytes().zip(prompt.bytes()).take_while(|(a, b)| a == b).count());
        prompt.len() - common
    }

    pub(super) fn mark_warm(warm: &Mutex<Option<Arc<str>>>, prompt: &str) {
        *warm.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::from(prompt));
    }

    /// Starts computing the full prompt of a completion at the cursor of `input` in the
    /// background, when it is cold (a file just focused, the cursor moved far): the KV is ready
    /// when the user asks. At the lowest priority: the next request stops it, and its finished
    /// chunks stay cached. Returns whether it started.
    pub fn prefetch(&self, mut input: CompletionInput) -> bool {
        Self::clamp_cursor(&mut input);
        let settings = self.settings();
        // The prompt does not depend on the shape, only the stops do.
        let shape = match decide_shape(&input, &postprocess_config(&settings)) {
            Shape::Suppress(_) => Shape::MultiLine,
            shape => shape,
        };
        let request = self.request(&input, &shape);
        let PromptInput::Text(prompt) = &request.input else { return false };
        if self.cold_tail(prompt) <= PREFETCH_TAIL_BYTES {
            return false;
        }
        if let Some((_, warming)) = &*self.warmup.lock().unwrap_or_else(|e| e.into_inner())
            && **warming == **prompt
        {
            return false;
        }
        self.start_warmup(request);
        true
    }

    /// Computes `request`'s prompt in the background (one token, no budget), replacing any
    /// warm-up that runs; once it ends well, its prompt is warm.
    pub(super) fn start_warmup(&self, mut request: GenerateRequest) {
        let PromptInput::Text(prompt) = &request.input else { return };
        let prompt: Arc<str> = Arc::from(prompt.as_str());
        request.max_tokens = 1;
        request.time_budget = None;
        request.cut = None;
        let generation = self.engine.generate(request);
        *self.warmup.lock().unwrap_or_else(|e| e.into_inner()) = Some((generation, prompt));
    }
}
