//! Local statistics of the completion requests this process answered. They never leave the
//! process (no telemetry); `infill/status` shows them.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use super::{Suggestion, SuggestionSource};

/// Local statistics (no telemetry: they never leave the process).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompletionStats {
    /// Completion requests answered (with or without a suggestion).
    pub requests: u64,
    /// Requests that got a suggestion.
    pub suggestions: u64,
    /// Suggestions from a new generation.
    pub engine_requests: u64,
    /// Suggestions from the short prompt of a fast first answer (also counted in
    /// `engine_requests`).
    pub short_prompt: u64,
    /// Suggestions from typed-through reuse.
    pub typed_through: u64,
    /// Suggestions whose first candidate broke the syntax where it goes, shown repaired
    /// (re-indented, cut) or replaced by a later candidate.
    pub syntax_repaired: u64,
    /// Suggestions from the identical-request cache.
    pub cache_hits: u64,
    /// Suggestions the user accepted.
    pub accepted: u64,
    /// Suggestions the user accepted in part.
    pub partially_accepted: u64,
    /// Latencies of the most recent requests, milliseconds.
    pub recent_latency_ms: VecDeque<u64>,
}

impl CompletionStats {
    /// Counts one answered request and its latency.
    pub fn record(&mut self, suggestion: Option<&Suggestion>, elapsed: Duration) {
        self.requests += 1;
        if let Some(s) = suggestion {
            self.suggestions += 1;
            self.syntax_repaired += u64::from(s.repaired);
            match s.source {
                SuggestionSource::Engine => self.engine_requests += 1,
                SuggestionSource::ShortPrompt => {
                    self.engine_requests += 1;
                    self.short_prompt += 1;
                }
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
