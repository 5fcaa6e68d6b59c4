//! Hugging Face Text Generation Inference: `POST /generate_stream`, server-sent events of
//! `{"token": {"text", "special"}, "generated_text", "details"}`; the last event carries
//! `generated_text` and `details.finish_reason`. Chat goes to TGI's OpenAI-compatible
//! `/v1/chat/completions` (see `openai.rs`).

use serde_json::{Value, json};

use super::{Piece, Usage};
use crate::{FinishReason, GenerateRequest};

/// The body of `POST /generate_stream` for a raw prompt.
pub(crate) fn request_body(prompt: &str, request: &GenerateRequest) -> Value {
    let mut parameters = json!({
        "max_new_tokens": request.max_tokens.max(1),
        "details": true,
        "return_full_text": false,
    });
    // TGI rejects `temperature: 0`; greedy decoding is `do_sample: false`.
    if request.temperature > 0.0 {
        parameters["do_sample"] = json!(true);
        parameters["temperature"] = json!(request.temperature);
        // TGI wants 0 < top_p < 1.
        if let Some(top_p) = request.top_p.filter(|p| *p > 0.0 && *p < 1.0) {
            parameters["top_p"] = json!(top_p);
        }
    } else {
        parameters["do_sample"] = json!(false);
    }
    if let Some(seed) = request.seed {
        parameters["seed"] = json!(seed);
    }
    let stops: Vec<&String> = request.stop.iter().filter(|s| !s.is_empty()).collect();
    if !stops.is_empty() {
        parameters["stop"] = json!(stops);
    }
    json!({"inputs": prompt, "parameters": parameters, "stream": true})
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
    let value: Value = serde_json::from_str(data)
        .map_err(|e| format!("the server sent an event that is not JSON ({e}): {data:.200}"))?;
    if let Some(error) = value.get("error") {
        return Err(format!(
            "the server reported an error mid-stream: {}",
            super::error_text(error)
        ));
    }
    let mut piece = Piece::default();
    if let Some(token) = value.get("token") {
        // Special tokens (end of sequence...) are not text.
        if !token.get("special").and_then(Value::as_bool).unwrap_or(false) {
            piece.text = token.get("text").and_then(Value::as_str).unwrap_or_default().to_string();
        }
    }
    let details = value.get("details").filter(|d| d.is_object());
    let last = details.is_some() || value.get("generated_text").is_some_and(|t| !t.is_null());
    if last {
        piece.end = true;
        let reason = details.and_then(|d| d.get("finish_reason")).and_then(Value::as_str);
        piece.finish = Some(match reason {
            Some("length") => FinishReason::Length,
            _ => FinishReason::Stop,
        });
        if let Some(details) = details {
            let count = |key: &str| details.get(key).and_then(Value::as_u64).map(|n| n as usize);
            piece.usage = Some(Usage {
                prompt_tokens: count("input_length"),
                cached_tokens: None,
                computed_tokens: None,
                completion_tokens: count("generated_tokens"),
            });
        }
    }
    Ok(Some(piece))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tokens_and_the_last_event() {
        let token = r#"data:{"index":1,"token":{"id":42,"text":" main","logprob":-0.1,"special":false},"generated_text":null,"details":null}"#;
        let piece = parse_line(token).unwrap().unwrap();
        assert_eq!(piece.text, " main");
        assert!(!piece.end);
        let last = r#"data:{"index":3,"token":{"id":2,"text":"</s>","logprob":0.0,"special":true},"generated_text":"fn main","details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null,"input_length":7}}"#;
        let piece = parse_line(last).unwrap().unwrap();
        assert_eq!(piece.text, "", "special tokens are not output");
        assert!(piece.end);
        assert_eq!(piece.finish, Some(FinishReason::Stop));
        let usage = piece.usage.unwrap();
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (Some(7), Some(3)));
        let length = r#"data: {"token":{"text":"x","special":false},"generated_text":"x","details":{"finish_reason":"length","generated_tokens":1}}"#;
        assert_eq!(parse_line(length).unwrap().unwrap().finish, Some(FinishReason::Length));
        let error = r#"data:{"error":"Input validation error: `inputs` must have less than 4096 tokens","error_type":"validation"}"#;
        assert!(parse_line(error).unwrap_err().contains("must have less than 4096 tokens"));
        assert!(parse_line("data:{").unwrap_err().contains("not JSON"));
        assert!(parse_line(":keep-alive").unwrap().is_none());
    }

    #[test]
    fn greedy_is_do_sample_false() {
        let mut request = GenerateRequest::completion("def f(", 8);
        request.stop = vec!["\n\n".into()];
        let body = request_body("def f(", &request);
        assert_eq!(body["inputs"], "def f(");
        assert_eq!(body["parameters"]["do_sample"], false);
        assert!(body["parameters"].get("temperature").is_none());
        assert_eq!(body["parameters"]["max_new_tokens"], 8);
        assert_eq!(body["parameters"]["stop"], json!(["\n\n"]));
        request.temperature = 0.7;
        request.top_p = Some(1.0);
        let body = request_body("x", &request);
        assert_eq!(body["parameters"]["do_sample"], true);
        assert!(body["parameters"].get("top_p").is_none(), "TGI rejects top_p = 1");
    }
}
