//! The OpenAI-compatible routes of `infill serve`: `/v1/models`, `/v1/completions` (with
//! `suffix`: a fill-in-the-middle prompt in the model's own template) and `/v1/chat/completions`,
//! as server-sent events when `stream` is true.

use infill_engine::{ChatMessage, GenerateEvent, GenerateRequest, PromptInput};
use serde_json::{Value, json};

use super::{
    Answer, Api, Reply, Server, Stream, count, engine_error, error, finish_name, number, stops,
    unix_now,
};

/// The default `max_tokens` of a completion (OpenAI's).
const COMPLETION_TOKENS: usize = 16;
/// The default `max_tokens` of a chat answer.
const CHAT_TOKENS: usize = 1024;

pub(super) fn models(server: &Server) -> Reply {
    Reply::json(200, &json!({"object": "list", "data": [entry(server)]}))
}

pub(super) fn model(server: &Server, id: &str) -> Reply {
    if id == server.settings.model_name {
        Reply::json(200, &entry(server))
    } else {
        error(
            Api::OpenAi,
            404,
            &format!("no model `{id}`: this server has `{}`", server.settings.model_name),
        )
    }
}

fn entry(server: &Server) -> Value {
    let capabilities = server.engine.capabilities();
    json!({
        "id": server.settings.model_name,
        "object": "model",
        "created": 0,
        "owned_by": "infill",
        "max_model_len": capabilities.context_length,
    })
}

/// The sampling fields both routes share.
fn sampling(
    body: &Value,
    input: PromptInput,
    default_tokens: usize,
    mut stop: Vec<String>,
) -> Result<GenerateRequest, String> {
    if body.get("n").and_then(Value::as_u64).is_some_and(|n| n != 1) {
        return Err("n: only one choice per request is supported".into());
    }
    if body.get("echo").and_then(Value::as_bool) == Some(true) {
        return Err("echo is not supported".into());
    }
    let max_tokens = match count(body, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => count(body, "max_tokens")?,
    };
    stop.extend(stops(body.get("stop"))?);
    let temperature = number(body, "temperature")?.unwrap_or(1.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err("temperature: must be between 0 and 2".into());
    }
    Ok(GenerateRequest {
        input,
        stop,
        max_tokens: max_tokens.unwrap_or(default_tokens).max(1),
        time_budget: None,
        temperature: temperature as f32,
        top_p: number(body, "top_p")?.map(|p| p as f32),
        seed: body.get("seed").and_then(Value::as_u64),
        cut: None,
        draft_from_prompt: false,
    })
}

fn wants_stream(body: &Value) -> bool {
    body.get("stream").and_then(Value::as_bool).unwrap_or(false)
}

fn wants_usage(body: &Value) -> bool {
    body.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false)
}

fn usage(stats: &infill_engine::GenerationStats) -> Value {
    json!({
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.generated_tokens,
        "total_tokens": stats.prompt_tokens + stats.generated_tokens,
        "prompt_tokens_details": {"cached_tokens": stats.cached_tokens},
    })
}

fn sse(value: &Value) -> Vec<u8> {
    format!("data: {value}\n\n").into_bytes()
}

/// `POST /v1/completions`.
pub(super) fn completions(server: &Server, body: Value) -> Result<Answer, Reply> {
    let bad = |message: String| error(Api::OpenAi, 400, &message);
    let prompt = match body.get("prompt") {
        Some(Value::String(prompt)) => prompt.clone(),
        Some(Value::Array(items)) if items.len() == 1 && items[0].is_string() => {
            items[0].as_str().unwrap_or_default().to_string()
        }
        Some(Value::Array(_)) => {
            return Err(bad(
                "prompt: one text prompt per request (no batches, no token ids)".into()
            ));
        }
        _ => return Err(bad("prompt: a string is required".into())),
    };
    let suffix = body.get("suffix").and_then(Value::as_str).unwrap_or_default();
    let (text, family_stops) = super::ollama::fill_in_the_middle(server, &prompt, suffix);
    if text.is_empty() {
        return Err(bad("prompt: empty".into()));
    }
    let request =
        sampling(&body, PromptInput::Text(text), COMPLETION_TOKENS, family_stops).map_err(bad)?;
    let id = format!("cmpl-{}", server.next_id());
    let model = server.settings.model_name.clone();
    let created = unix_now();
    let generation = server.generate(request);
    if wants_stream(&body) {
        let include_usage = wants_usage(&body);
        let render = move |event: &GenerateEvent| -> Vec<u8> {
            let chunk = |text: &str, finish: Value| {
                json!({"id": id, "object": "text_completion", "created": created, "model": model,
                       "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": null}]})
            };
            match event {
                GenerateEvent::Delta(text) => sse(&chunk(text, Value::Null)),
                GenerateEvent::Done { reason, stats } => {
                    let mut bytes = sse(&chunk("", json!(finish_name(*reason))));
                    if include_usage {
                        bytes.extend(sse(&json!({"id": id, "object": "text_completion",
                            "created": created, "model": model, "choices": [], "usage": usage(stats)})));
                    }
                    bytes
                }
                GenerateEvent::Failed(e) => {
                    sse(&json!({"error": {"message": e.to_string(), "type": "server_error"}}))
                }
            }
        };
        return Ok(Answer::Stream(Stream {
            content_type: "text/event-stream",
            generation,
            render: Box::new(render),
            end: b"data: [DONE]\n\n".to_vec(),
        }));
    }
    Ok(Answer::Collect(
        generation,
        Box::new(move |result| match result {
            Ok(done) => Reply::json(
                200,
                &json!({"id": id, "object": "text_completion", "created": created, "model": model,
                        "choices": [{"index": 0, "text": done.text, "logprobs": null,
                                     "finish_reason": finish_name(done.reason)}],
                        "usage": usage(&done.stats)}),
            ),
            Err(e) => engine_error(Api::OpenAi, &e),
        }),
    ))
}

/// The messages of a chat request: `content` as a string or a list of text parts.
pub(super) fn messages(body: &Value) -> Result<Vec<ChatMessage>, String> {
    let items = body
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or("messages: a non-empty list is required")?;
    items
        .iter()
        .enumerate()
        .map(|(i, message)| {
            let role = message
                .get("role")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("messages[{i}].role: a string is required"))?;
            let content = match message.get("content") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .map(|part| match part.get("type").and_then(Value::as_str) {
                        Some("text") => {
                            Ok(part.get("text").and_then(Value::as_str).unwrap_or_default())
                        }
                        other => Err(format!(
                            "messages[{i}].content: only text parts are supported, not {}",
                            other.unwrap_or("untyped")
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .concat(),
                Some(_) => {
                    return Err(format!("messages[{i}].content: a string or a list of parts"));
                }
            };
            Ok(ChatMessage::new(role, content))
        })
        .collect()
}

/// `POST /v1/chat/completions`.
pub(super) fn chat(server: &Server, body: Value) -> Result<Answer, Reply> {
    let bad = |message: String| error(Api::OpenAi, 400, &message);
    if !server.engine.capabilities().chat {
        return Err(bad("the model has no chat template; use /v1/completions".into()));
    }
    let messages = messages(&body).map_err(bad)?;
    let request =
        sampling(&body, PromptInput::Chat(messages), CHAT_TOKENS, Vec::new()).map_err(bad)?;
    let id = format!("chatcmpl-{}", server.next_id());
    let model = server.settings.model_name.clone();
    let created = unix_now();
    let generation = server.generate(request);
    if wants_stream(&body) {
        let include_usage = wants_usage(&body);
        let mut first = true;
        let render = move |event: &GenerateEvent| -> Vec<u8> {
            let chunk = |delta: Value, finish: Value| {
                json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]})
            };
            let mut bytes = Vec::new();
            if first && !matches!(event, GenerateEvent::Failed(_)) {
                first = false;
                bytes.extend(sse(&chunk(json!({"role": "assistant", "content": ""}), Value::Null)));
            }
            match event {
                GenerateEvent::Delta(text) => {
                    bytes.extend(sse(&chunk(json!({"content": text}), Value::Null)))
                }
                GenerateEvent::Done { reason, stats } => {
                    bytes.extend(sse(&chunk(json!({}), json!(finish_name(*reason)))));
                    if include_usage {
                        bytes.extend(sse(&json!({"id": id, "object": "chat.completion.chunk",
                            "created": created, "model": model, "choices": [], "usage": usage(stats)})));
                    }
                }
                GenerateEvent::Failed(e) => bytes.extend(sse(
                    &json!({"error": {"message": e.to_string(), "type": "server_error"}}),
                )),
            }
            bytes
        };
        return Ok(Answer::Stream(Stream {
            content_type: "text/event-stream",
            generation,
            render: Box::new(render),
            end: b"data: [DONE]\n\n".to_vec(),
        }));
    }
    Ok(Answer::Collect(
        generation,
        Box::new(move |result| match result {
            Ok(done) => Reply::json(
                200,
                &json!({"id": id, "object": "chat.completion", "created": created, "model": model,
                        "choices": [{"index": 0, "logprobs": null,
                                     "message": {"role": "assistant", "content": done.text},
                                     "finish_reason": finish_name(done.reason)}],
                        "usage": usage(&done.stats)}),
            ),
            Err(e) => engine_error(Api::OpenAi, &e),
        }),
    ))
}
