//! The HTTP backends' wire formats against a fixture server on 127.0.0.1 (`common/`):
//! OpenAI-style SSE completions and chat, Ollama NDJSON, TGI's `generate_stream`, the servers'
//! tokenizers, client-side stops and cuts, and cancellation closing the connection. The fixture
//! follows the published API docs; no real inference server runs here. Error statuses and
//! broken streams are in `remote_errors.rs`; several endpoints, failover and proxies in
//! `remote_endpoints.rs`.

#![cfg(feature = "remote")]

mod common;

use std::time::{Duration, Instant};

use common::{Fixture, Reply, bounded, config, engine, fixture, message, sse, text_event};
use infill_engine::remote::RemoteEngine;
use infill_engine::{
    Backend, ChatMessage, Engine, FinishReason, GenerateRequest, OutputCut, PromptInput,
};
use serde_json::json;

#[tokio::test]
async fn openai_completion_streams_with_the_request_the_api_expects() {
    let mut server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[
            text_event("fn"),
            text_event(" main"),
            json!({"choices": [{"index": 0, "text": "()", "finish_reason": "stop"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 3,
                   "prompt_tokens_details": {"cached_tokens": 8}}}),
        ]),
        delay: Duration::ZERO,
    })
    .await;
    let url = format!("{}/v1", server.url);
    let engine = engine(Backend::Openai, &[&url]);
    let capabilities = engine.capabilities();
    assert_eq!(capabilities.name, format!("openai: test-model @ {url}"));
    assert_eq!(capabilities.family, infill_engine::ModelFamily::QwenCoder);
    assert!(capabilities.prefix_cache);
    let mut request =
        GenerateRequest::completion("<|fim_prefix|>pub <|fim_suffix|><|fim_middle|>", 16);
    request.stop = vec!["\n\n".into(), "<|file_sep|>".into()];
    let done = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!(done.text, "fn main()");
    assert_eq!(done.reason, FinishReason::Stop);
    assert_eq!(done.stats.prompt_tokens, 11, "the server's usage wins over the estimate");
    assert_eq!(done.stats.cached_tokens, 8);
    assert_eq!(done.stats.computed_tokens, 3);
    assert_eq!(done.stats.generated_tokens, 3);

    let received = server.requests.recv().await.unwrap();
    assert_eq!(received.path, "/v1/completions");
    assert_eq!(received.header("authorization"), Some("Bearer secret"));
    let body = &received.body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["prompt"], "<|fim_prefix|>pub <|fim_suffix|><|fim_middle|>");
    assert_eq!(body["stop"], json!(["\n\n", "<|file_sep|>"]));
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 16);
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["seed"], 0);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(engine.busy(), 0);
}

#[tokio::test]
async fn stops_limits_and_estimates_apply_on_the_client_too() {
    let server = fixture(|_, n| Reply::Stream {
        content_type: "text/event-stream",
        chunks: if n == 0 {
            sse(&[text_event("let a"), text_event(" = 1;\n"), text_event("\nlet b = 2;")])
        } else {
            sse(&(0..10).map(|i| text_event(&format!("t{i}"))).collect::<Vec<_>>())
        },
        delay: Duration::ZERO,
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let mut request = GenerateRequest::completion("x".repeat(40), 64);
    request.stop = vec!["\n\n".into()];
    let done = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!(done.text, "let a = 1;");
    assert_eq!(done.reason, FinishReason::Stop);
    assert_eq!(done.stats.prompt_tokens, 10, "no usage: bytes / 4");

    let done =
        bounded(engine.generate(GenerateRequest::completion("x", 3)).collect()).await.unwrap();
    assert_eq!(done.text, "t0t1t2");
    assert_eq!(done.reason, FinishReason::Length);
    assert_eq!(done.stats.generated_tokens, 3);
    assert_eq!(bounded(engine.count_tokens("abcdefghi")).await.unwrap(), 3);
}

#[tokio::test]
async fn a_cut_rule_ends_the_stream_and_keeps_what_was_streamed() {
    let server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&(0..40).map(|i| text_event(&format!("line {i}\n"))).collect::<Vec<_>>()),
        delay: Duration::from_millis(5),
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let mut request = GenerateRequest::completion("x", 64);
    request.cut = Some(OutputCut::new(|text: &str| (text.matches('\n').count() >= 3).then_some(4)));
    let done = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!(done.reason, FinishReason::Stop);
    assert_eq!(done.stats.generated_tokens, 3, "no chunk after the cut");
    // The rule cuts at byte 4, but the first two lines were streamed before the third ended it.
    assert_eq!(done.text, "line 0\nline 1\n", "what was streamed stays");
}

#[tokio::test]
async fn the_time_budget_counts_from_the_first_token() {
    let server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&(0..100).map(|_| text_event("ab")).collect::<Vec<_>>()),
        delay: Duration::from_millis(20),
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let mut request = GenerateRequest::completion("x", 1000);
    request.time_budget = Some(Duration::from_millis(150));
    let started = Instant::now();
    let done = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!(done.reason, FinishReason::TimeBudget);
    assert!(!done.text.is_empty() && done.text.len() < 100, "{}", done.text.len());
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn chat_input_goes_to_chat_completions() {
    let mut server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[
            json!({"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": null}]}),
            json!({"choices": [{"index": 0, "delta": {"content": "Renamed"}, "finish_reason": null}]}),
            json!({"choices": [{"index": 0, "delta": {"content": " it."}, "finish_reason": "stop"}]}),
        ]),
        delay: Duration::ZERO,
    })
    .await;
    let engine = engine(Backend::Openai, &[&format!("{}/v1/", server.url)]);
    let mut request = GenerateRequest::completion("", 32);
    request.input = PromptInput::Chat(vec![
        ChatMessage::new("system", "You edit code."),
        ChatMessage::new("user", "Rename x."),
    ]);
    let done = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!(done.text, "Renamed it.");
    let received = server.requests.recv().await.unwrap();
    assert_eq!(received.path, "/v1/chat/completions");
    assert_eq!(received.body["messages"][1], json!({"role": "user", "content": "Rename x."}));
    assert_eq!(received.body["stream"], true);
    assert!(received.body.get("prompt").is_none());
}

#[tokio::test]
async fn ollama_generates_raw_over_ndjson() {
    let mut server = fixture(|request, _| {
        let lines = if request.path == "/api/generate" {
            vec![
                "{\"model\":\"test-model\",\"response\":\"return\",\"done\":false}\n".to_string(),
                "{\"model\":\"test-model\",\"response\":\" 1;\",\"done\":false}\n".to_string(),
                "{\"model\":\"test-model\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":2}".to_string(),
            ]
        } else {
            vec![
                "{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n".to_string(),
                "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"length\",\"eval_count\":1}\n".to_string(),
            ]
        };
        Reply::Stream { content_type: "application/x-ndjson", chunks: lines, delay: Duration::ZERO }
    })
    .await;
    let engine = engine(Backend::Ollama, &[&server.url]);
    assert!(engine.capabilities().name.starts_with("ollama: test-model @ http://127.0.0.1:"));
    let mut request = GenerateRequest::completion("x".repeat(80), 8);
    request.stop = vec!["\n".into()];
    request.top_p = Some(0.9);
    let done = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!(done.text, "return 1;");
    assert_eq!(done.reason, FinishReason::Stop);
    assert_eq!(done.stats.generated_tokens, 2);
    assert_eq!(done.stats.computed_tokens, 5, "prompt_eval_count: the tokens evaluated");
    let received = server.requests.recv().await.unwrap();
    assert_eq!(received.path, "/api/generate");
    let body = &received.body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["raw"], true);
    assert_eq!(body["stream"], true);
    assert_eq!(body["options"]["num_predict"], 8);
    assert_eq!(body["options"]["stop"], json!(["\n"]));
    assert_eq!(body["options"]["seed"], 0);
    assert!((body["options"]["top_p"].as_f64().unwrap() - 0.9).abs() < 1e-6);

    let mut request = GenerateRequest::completion("", 1);
    request.input = PromptInput::Chat(vec![ChatMessage::new("user", "hello")]);
    let done = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!((done.text.as_str(), done.reason), ("Hi", FinishReason::Length));
    let received = server.requests.recv().await.unwrap();
    assert_eq!(received.path, "/api/chat");
    assert_eq!(received.body["messages"][0]["content"], "hello");
}

#[tokio::test]
async fn dropping_the_generation_closes_the_connection() {
    let mut server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&(0..300).map(|_| text_event("tok")).collect::<Vec<_>>()),
        delay: Duration::from_millis(10),
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let mut generation = engine.generate(GenerateRequest::completion("x", 10_000));
    assert_eq!(bounded(generation.wait_for_deltas(2)).await, 2);
    assert_eq!(engine.busy(), 1);
    drop(generation);
    let outcome = bounded(server.outcomes.recv()).await.unwrap();
    assert!(outcome.client_closed, "{outcome:?}");
    assert!(outcome.written < outcome.total / 2, "{outcome:?}");
    let deadline = Instant::now() + Duration::from_secs(2);
    while engine.busy() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(engine.busy(), 0);
    assert_eq!(engine.outstanding(), vec![0]);
}

#[tokio::test]
async fn tgi_streams_generate_stream_events() {
    let mut server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: vec![
            "data:{\"index\":1,\"token\":{\"id\":5,\"text\":\"fn\",\"logprob\":-0.2,\"special\":false},\"generated_text\":null,\"details\":null}\n\n".into(),
            "data:{\"index\":2,\"token\":{\"id\":6,\"text\":\" main\",\"logprob\":-0.1,\"special\":false},\"generated_text\":null,\"details\":null}\n\n".into(),
            "data:{\"index\":3,\"token\":{\"id\":2,\"text\":\"</s>\",\"logprob\":0.0,\"special\":true},\"generated_text\":\"fn main\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":3,\"seed\":null,\"input_length\":9}}\n\n".into(),
        ],
        delay: Duration::ZERO,
    })
    .await;
    let tgi = engine(Backend::Tgi, &[&server.url]);
    let mut request =
        GenerateRequest::completion("<|fim_prefix|>pub <|fim_suffix|><|fim_middle|>", 16);
    request.stop = vec!["\n\n".into()];
    let done = bounded(tgi.generate(request).collect()).await.unwrap();
    assert_eq!(done.text, "fn main", "the special token is not text");
    assert_eq!(done.reason, FinishReason::Stop);
    assert_eq!((done.stats.prompt_tokens, done.stats.generated_tokens), (9, 3));
    let received = server.requests.recv().await.unwrap();
    assert_eq!(received.path, "/generate_stream");
    assert_eq!(received.body["inputs"], "<|fim_prefix|>pub <|fim_suffix|><|fim_middle|>");
    assert_eq!(received.body["parameters"]["max_new_tokens"], 16);
    assert_eq!(received.body["parameters"]["do_sample"], false);
    assert_eq!(received.body["parameters"]["stop"], json!(["\n\n"]));
    assert_eq!(received.body["parameters"]["details"], true);

    // Chat goes to TGI's Messages API.
    let mut chat_server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[
            json!({"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}),
        ]),
        delay: Duration::ZERO,
    })
    .await;
    let chat_engine = engine(Backend::Tgi, &[&chat_server.url]);
    let request = GenerateRequest {
        input: PromptInput::Chat(vec![ChatMessage::new("user", "hello")]),
        ..GenerateRequest::completion("", 8)
    };
    assert_eq!(bounded(chat_engine.generate(request).collect()).await.unwrap().text, "hi");
    assert_eq!(chat_server.requests.recv().await.unwrap().path, "/v1/chat/completions");
}

#[tokio::test]
async fn a_length_cut_and_an_error_event_from_tgi() {
    let server = fixture(|_, n| Reply::Stream {
        content_type: "text/event-stream",
        chunks: if n == 0 {
            vec!["data:{\"token\":{\"text\":\"ab\",\"special\":false},\"generated_text\":\"ab\",\"details\":{\"finish_reason\":\"length\",\"generated_tokens\":1}}\n\n".into()]
        } else {
            vec!["data:{\"error\":\"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096\",\"error_type\":\"validation\"}\n\n".into()]
        },
        delay: Duration::ZERO,
    })
    .await;
    let engine = engine(Backend::Tgi, &[&server.url]);
    let done =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
    assert_eq!((done.text.as_str(), done.reason), ("ab", FinishReason::Length));
    let error = bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await;
    assert!(message(error.unwrap_err()).contains("must be <= 4096"));
}

/// A server whose tokenizer splits on spaces and knows Qwen's FIM tokens, reports
/// `max_model_len` (vLLM's answer shape) and completes anything with "ok".
async fn tokenizing_fixture() -> Fixture {
    fixture(|request, _| match request.path.as_str() {
        "/tokenize" => {
            let text = request.body["prompt"].as_str().unwrap_or_default();
            let tokens: Vec<usize> = (0..text.split_whitespace().count()).collect();
            Reply::Status {
                status: 200,
                headers: "",
                body: json!({"count": tokens.len(), "tokens": tokens, "max_model_len": 4096})
                    .to_string(),
            }
        }
        "/v1/models" => Reply::Status {
            status: 200,
            headers: "",
            body: json!({"object": "list", "data": [{"id": "test-model", "max_model_len": 32768}]})
                .to_string(),
        },
        _ => Reply::Stream {
            content_type: "text/event-stream",
            chunks: sse(&[text_event("ok")]),
            delay: Duration::ZERO,
        },
    })
    .await
}

#[tokio::test]
async fn the_servers_tokenizer_counts_and_tells_the_family_and_context() {
    let server = tokenizing_fixture().await;
    let mut config = config(Backend::Openai, &[&format!("{}/v1", server.url)]);
    config.family = None;
    let engine = RemoteEngine::with_api_key(&config, None).unwrap();
    assert_eq!(engine.capabilities().family, infill_engine::ModelFamily::PrefixOnly);
    assert_eq!(
        bounded(engine.count_tokens("one two three four five")).await.unwrap(),
        6,
        "before the probe: bytes / 4"
    );
    let report = bounded(engine.probe()).await;
    assert!(report.token_counts.contains("the server's tokenizer"), "{report:?}");
    assert_eq!(bounded(engine.count_tokens("one two three four five")).await.unwrap(), 5);
    // Every single "word" is one token here, so the first signature (Qwen's) matches.
    assert!(report.family_detected);
    assert_eq!(engine.capabilities().family, infill_engine::ModelFamily::QwenCoder);
    assert_eq!((report.context_length, report.context_from_server), (32768, true));
    assert_eq!(engine.capabilities().context_length, 32768);
    let status = engine.remote_status().unwrap();
    assert_eq!(status.endpoints[0].state, infill_engine::EndpointState::Up);
    assert!(status.token_counts.contains("exact"), "{status:?}");

    // A configured family and context are kept.
    let mut config = config.clone();
    config.family = Some("star-coder2".into());
    config.context_length = Some(2048);
    let engine = RemoteEngine::with_api_key(&config, None).unwrap();
    let report = bounded(engine.probe()).await;
    assert_eq!(report.family, infill_engine::ModelFamily::StarCoder2);
    assert!(!report.family_detected && !report.context_from_server);
    assert_eq!(engine.capabilities().context_length, 2048);
}

#[tokio::test]
async fn without_a_tokenizer_counts_are_approximate_and_say_so() {
    let server = fixture(|request, _| match request.path.as_str() {
        "/api/tags" => {
            Reply::Status { status: 200, headers: "", body: json!({"models": []}).to_string() }
        }
        _ => Reply::Status { status: 404, headers: "", body: "404 page not found".into() },
    })
    .await;
    let engine = engine(Backend::Ollama, &[&server.url]);
    let report = bounded(engine.probe()).await;
    assert!(
        report.token_counts.starts_with("approximate")
            && report.token_counts.contains("engine.tokenizer"),
        "{report:?}"
    );
    assert_eq!(bounded(engine.count_tokens("abcdefgh")).await.unwrap(), 2);
    assert_eq!(
        engine.remote_status().unwrap().endpoints[0].state,
        infill_engine::EndpointState::Up
    );
}

#[tokio::test]
async fn a_tokenizer_file_counts_exactly_and_tells_the_family() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    let tokenizer = json!({
        "version": "1.0", "truncation": null, "padding": null,
        "added_tokens": [{"id": 3, "content": "<fim_prefix>", "single_word": false, "lstrip": false,
                          "rstrip": false, "normalized": false, "special": true}],
        "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "fn": 1, "main": 2, "<fim_prefix>": 3}, "unk_token": "[UNK]"}
    });
    std::fs::write(&path, tokenizer.to_string()).unwrap();
    let mut config = config(Backend::Openai, &["http://127.0.0.1:1/v1"]);
    config.family = None;
    config.tokenizer = Some(path.clone());
    let engine = RemoteEngine::with_api_key(&config, None).unwrap();
    assert_eq!(engine.capabilities().family, infill_engine::ModelFamily::StarCoder);
    assert_eq!(bounded(engine.count_tokens("fn main ( )")).await.unwrap(), 4);
    let status = engine.remote_status().unwrap();
    assert!(status.token_counts.contains("tokenizer file"), "{status:?}");

    std::fs::write(&path, "{not json").unwrap();
    let error = RemoteEngine::with_api_key(&config, None).unwrap_err().to_string();
    assert!(error.contains("engine.tokenizer") && error.contains("tokenizer.json"), "{error}");
    config.tokenizer = Some(dir.path().join("missing.json"));
    let error = RemoteEngine::with_api_key(&config, None).unwrap_err().to_string();
    assert!(error.contains("engine.tokenizer") && error.contains("missing.json"), "{error}");
}
