//! The Ollama-compatible routes of `infill serve`: `/api/tags`, `/api/show`, `/api/generate`
//! (`raw` prompts go to the model untouched; `suffix` makes a fill-in-the-middle prompt; a
//! plain prompt is one chat turn) and `/api/chat`, as newline-delimited JSON unless `stream`
//! is false (Ollama streams by default).

use infill_engine::{
    ChatMessage, GenerateEvent, GenerateRequest, GenerationStats, PromptInput, PromptParts,
};
use serde_json::{Value, json};

use super::{
    Answer, Api, Reply, Server, Stream, count, engine_error, error, finish_name, number,
    rfc3339_now, stops,
};

/// The default `num_predict`.
const DEFAULT_TOKENS: usize = 512;

pub(super) fn tags(server: &Server) -> Reply {
    let name = &server.settings.model_name;
    Reply::json(
        200,
        &json!({"models": [{
            "name": name, "model": name, "modified_at": rfc3339_now(), "size": 0, "digest": "",
            "details": details(server),
        }]}),
    )
}

fn details(server: &Server) -> Value {
    json!({"format": "gguf", "family": server.engine.capabilities().family.name(),
           "families": null, "parameter_size": "", "quantization_level": ""})
}

pub(super) fn show(server: &Server) -> Reply {
    let capabilities = server.engine.capabilities();
    let mut capabilities_list = vec!["completion"];
    if capabilities.family.supports_fim() {
        capabilities_list.push("insert");
    }
    Reply::json(
        200,
        &json!({
            "modelfile": "", "parameters": "", "template": "",
            "details": details(server),
            "model_info": {"general.architecture": "infill",
                           "infill.context_length": capabilities.context_length},
            "capabilities": capabilities_list,
            "modified_at": rfc3339_now(),
        }),
    )
}

/// A prompt with a suffix as a fill-in-the-middle prompt in the model family's template, and
/// the family's stops; without a suffix (or a FIM model), the prompt itself.
pub(super) fn fill_in_the_middle(
    server: &Server,
    prompt: &str,
    suffix: &str,
) -> (String, Vec<String>) {
    let family = server.engine.capabilities().family;
    if suffix.is_empty() || !family.supports_fim() {
        return (prompt.to_string(), Vec::new());
    }
    let rendered = family.render(&PromptParts {
        repo_name: "",
        context: &[],
        path: "",
        prefix: prompt,
        suffix,
    });
    (rendered.text, rendered.stop)
}

fn options(body: &Value, input: PromptInput, stop: Vec<String>) -> Result<GenerateRequest, String> {
    let empty = json!({});
    let options = match body.get("options") {
        None | Some(Value::Null) => &empty,
        Some(options) if options.is_object() => options,
        Some(_) => return Err("options: an object is required".into()),
    };
    let mut stop = stop;
    stop.extend(stops(options.get("stop"))?);
    Ok(GenerateRequest {
        input,
        stop,
        max_tokens: count(options, "num_predict")?.unwrap_or(DEFAULT_TOKENS).max(1),
        time_budget: None,
        temperature: number(options, "temperature")?.unwrap_or(0.8).max(0.0) as f32,
        top_p: number(options, "top_p")?.map(|p| p as f32),
        seed: options.get("seed").and_then(Value::as_u64),
        cut: None,
        draft_from_prompt: false,
    })
}

/// The closing fields of a response (nanoseconds, as Ollama reports them).
fn done_fields(reason: &str, stats: &GenerationStats) -> Value {
    let total = stats.total_time.as_nanos() as u64;
    let prompt = stats.time_to_first_token.as_nanos() as u64;
    json!({
        "done": true, "done_reason": reason,
        "total_duration": total, "load_duration": 0,
        "prompt_eval_count": stats.computed_tokens, "prompt_eval_duration": prompt,
        "eval_count": stats.generated_tokens, "eval_duration": total.saturating_sub(prompt),
    })
}

fn line(value: &Value) -> Vec<u8> {
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// Answers a generation as NDJSON or one object; `piece` shapes the text of each line
/// (`response` for generate, `message` for chat).
fn answer(
    server: &Server,
    body: &Value,
    request: GenerateRequest,
    piece: fn(&str) -> Value,
) -> Answer {
    let model = server.settings.model_name.clone();
    let generation = server.generate(request);
    if body.get("stream").and_then(Value::as_bool).unwrap_or(true) {
        let render = move |event: &GenerateEvent| -> Vec<u8> {
            let head = json!({"model": model, "created_at": rfc3339_now()});
            match event {
                GenerateEvent::Delta(text) => {
                    line(&merge(merge(head, piece(text)), json!({"done": false})))
                }
                GenerateEvent::Done { reason, stats } => {
                    line(&merge(merge(head, piece("")), done_fields(finish_name(*reason), stats)))
                }
                GenerateEvent::Failed(e) => line(&json!({"error": e.to_string()})),
            }
        };
        return Answer::Stream(Stream {
            content_type: "application/x-ndjson",
            generation,
            render: Box::new(render),
            end: Vec::new(),
        });
    }
    Answer::Collect(
        generation,
        Box::new(move |result| match result {
            Ok(done) => Reply::json(
                200,
                &merge(
                    merge(json!({"model": model, "created_at": rfc3339_now()}), piece(&done.text)),
                    done_fields(finish_name(done.reason), &done.stats),
                ),
            ),
            Err(e) => engine_error(Api::Ollama, &e),
        }),
    )
}

/// `POST /api/generate`.
pub(super) fn generate(server: &Server, body: Value) -> Result<Answer, Reply> {
    let bad = |message: String| error(Api::Ollama, 400, &message);
    let prompt = match body.get("prompt") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(prompt)) => prompt.clone(),
        Some(_) => return Err(bad("prompt: a string is required".into())),
    };
    if prompt.is_empty() {
        // Ollama's way to load a model: an empty prompt answers at once.
        let model = server.settings.model_name.clone();
        return Ok(Answer::Reply(Reply::json(
            200,
            &json!({"model": model, "created_at": rfc3339_now(), "response": "",
                    "done": true, "done_reason": "load"}),
        )));
    }
    let suffix = body.get("suffix").and_then(Value::as_str).unwrap_or_default();
    let raw = body.get("raw").and_then(Value::as_bool).unwrap_or(false);
    let chat = server.engine.capabilities().chat;
    let (input, stop) = if raw || !suffix.is_empty() || !chat {
        let (text, stop) = fill_in_the_middle(server, &prompt, suffix);
        (PromptInput::Text(text), stop)
    } else {
        // Not raw: the prompt goes through the model's template, as one chat turn.
        let mut messages = Vec::new();
        if let Some(system) = body.get("system").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            messages.push(ChatMessage::new("system", system));
        }
        messages.push(ChatMessage::new("user", prompt));
        (PromptInput::Chat(messages), Vec::new())
    };
    let request = options(&body, input, stop).map_err(bad)?;
    Ok(answer(server, &body, request, |text| json!({"response": text})))
}

/// `POST /api/chat`.
pub(super) fn chat(server: &Server, body: Value) -> Result<Answer, Reply> {
    let bad = |message: String| error(Api::Ollama, 400, &message);
    if !server.engine.capabilities().chat {
        return Err(bad("the model has no chat template; use /api/generate with raw".into()));
    }
    let messages = super::openai::messages(&body).map_err(bad)?;
    let request = options(&body, PromptInput::Chat(messages), Vec::new()).map_err(bad)?;
    Ok(answer(
        server,
        &body,
        request,
        |text| json!({"message": {"role": "assistant", "content": text}}),
    ))
}
