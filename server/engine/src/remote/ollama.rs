//! Ollama's native API: `POST /api/generate` with `raw: true` (the rendered FIM prompt goes to
//! the model untouched) and `POST /api/chat`, both streamed as newline-delimited JSON.

use serde_json::{Value, json};

use super::{Piece, Usage, finish_reason};
use crate::{GenerateRequest, PromptInput};

/// The route (relative to the endpoint) and JSON body for `request`.
pub(crate) fn request_body(
    model: &str,
    context_length: Option<usize>,
    request: &GenerateRequest,
) -> (&'static str, Value) {
    let mut options = json!({
        "num_predict": request.max_tokens.max(1),
        "temperature": request.temperature.max(0.0),
    });
    if let Some(top_p) = request.top_p {
        options["top_p"] = json!(top_p);
    }
    if let Some(seed) = request.seed {
        options["seed"] = json!(seed);
    }
    let stops: Vec<&String> = request.stop.iter().filter(|s| !s.is_empty()).collect();
    if !stops.is_empty() {
        options["stop"] = json!(stops);
    }
    if let Some(context) = context_length {
        // Ollama's own default context is small and silently cuts prompts.
        options["num_ctx"] = json!(context);
    }
    match &request.input {
        PromptInput::Text(prompt) => (
            "api/generate",
            json!({"model": model, "prompt": prompt, "raw": true, "stream": true, "options": options}),
        ),
        PromptInput::Chat(messages) => {
            let messages: Vec<Value> =
                messages.iter().map(|m| json!({"role": m.role, "content": m.content})).collect();
            (
                "api/chat",
                json!({"model": model, "messages": messages, "stream": true, "options": options}),
            )
        }
    }
}

/// Reads one NDJSON line; `Ok(None)` for blank lines.
pub(crate) fn parse_line(line: &str) -> Result<Option<Piece>, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("the server sent a line that is not JSON ({e}): {line:.200}"))?;
    if let Some(error) = value.get("error") {
        return Err(format!(
            "the server reported an error mid-stream: {}",
            super::error_text(error)
        ));
    }
    // `/api/generate` streams `response`; `/api/chat` streams `message.content`.
    let text = value
        .get("response")
        .and_then(Value::as_str)
        .or_else(|| value.pointer("/message/content").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    let done = value.get("done").and_then(Value::as_bool).unwrap_or(false);
    let mut piece = Piece { text, end: done, ..Piece::default() };
    if done {
        piece.finish =
            Some(finish_reason(value.get("done_reason").and_then(Value::as_str).unwrap_or("stop")));
        let count = |key: &str| value.get(key).and_then(Value::as_u64).map(|n| n as usize);
        // Ollama counts only the prompt tokens it evaluated (not those its cache held).
        piece.usage = Some(Usage {
            prompt_tokens: None,
            cached_tokens: None,
            computed_tokens: count("prompt_eval_count"),
            completion_tokens: count("eval_count"),
        });
    }
    Ok(Some(piece))
}
