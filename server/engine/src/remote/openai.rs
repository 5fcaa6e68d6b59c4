//! The OpenAI-compatible wire format: `POST /completions` (a rendered FIM prompt) and
//! `POST /chat/completions` (messages), both streamed as server-sent events.

use serde_json::{Value, json};

use super::{Piece, Usage, finish_reason};
use crate::{GenerateRequest, PromptInput};

/// The route (relative to the endpoint) and JSON body for `request`.
pub(crate) fn request_body(model: &str, request: &GenerateRequest) -> (&'static str, Value) {
    let mut body = json!({
        "model": model,
        "max_tokens": request.max_tokens.max(1),
        "temperature": request.temperature.max(0.0),
        "stream": true,
        // llama.cpp and vLLM then send token counts in a last chunk.
        "stream_options": {"include_usage": true},
    });
    let route = match &request.input {
        PromptInput::Text(prompt) => {
            body["prompt"] = json!(prompt);
            "completions"
        }
        PromptInput::Chat(messages) => {
            body["messages"] =
                messages.iter().map(|m| json!({"role": m.role, "content": m.content})).collect();
            "chat/completions"
        }
    };
    if let Some(top_p) = request.top_p {
        body["top_p"] = json!(top_p);
    }
    if let Some(seed) = request.seed {
        body["seed"] = json!(seed);
    }
    let stops: Vec<&String> = request.stop.iter().filter(|s| !s.is_empty()).collect();
    if !stops.is_empty() {
        body["stop"] = json!(stops);
    }
    (route, body)
}

/// Reads one SSE line; `Ok(None)` for lines that carry nothing.
pub(crate) fn parse_line(line: &str) -> Result<Option<Piece>, String> {
    let Some(data) = super::sse::sse_data(line) else {
        return Ok(None);
    };
    let data = data.trim();
    if data.is_empty() {
        return Ok(None);
    }
    if data == "[DONE]" {
        return Ok(Some(Piece { end: true, ..Piece::default() }));
    }
    let value: Value = serde_json::from_str(data)
        .map_err(|e| format!("the server sent an event that is not JSON ({e}): {data:.200}"))?;
    if let Some(error) = value.get("error") {
        return Err(format!(
            "the server reported an error mid-stream: {}",
            super::error_text(error)
        ));
    }
    let mut piece = Piece::default();
    if let Some(choice) = value.get("choices").and_then(Value::as_array).and_then(|c| c.first()) {
        // `/completions` streams `text`; `/chat/completions` streams `delta.content`.
        let text = choice
            .get("text")
            .and_then(Value::as_str)
            .or_else(|| choice.pointer("/delta/content").and_then(Value::as_str));
        piece.text = text.unwrap_or_default().to_string();
        piece.finish = choice.get("finish_reason").and_then(Value::as_str).map(finish_reason);
    }
    if let Some(usage) = value.get("usage").filter(|u| u.is_object()) {
        let count =
            |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64).map(|n| n as usize);
        piece.usage = Some(Usage {
            prompt_tokens: count("/prompt_tokens"),
            cached_tokens: count("/prompt_tokens_details/cached_tokens"),
            computed_tokens: None,
            completion_tokens: count("/completion_tokens"),
        });
    }
    Ok(Some(piece))
}
