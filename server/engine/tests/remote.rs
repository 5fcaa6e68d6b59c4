//! The HTTP backends against a fixture server on 127.0.0.1 that speaks just enough HTTP/1.1:
//! OpenAI-style SSE completions and chat, Ollama NDJSON, error statuses, stalls, broken streams,
//! failover, and cancellation closing the connection. The fixture follows the published API
//! docs; no real inference server runs here.

#![cfg(feature = "remote")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use infill_engine::remote::RemoteEngine;
use infill_engine::{
    Backend, ChatMessage, Engine, EngineConfig, EngineError, FinishReason, GenerateEvent,
    GenerateRequest, OutputCut, PromptInput,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// A request the fixture received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the fixture answers.
enum Reply {
    /// `200` and these body chunks, `delay` apart; the connection closes after the last.
    Stream { content_type: &'static str, chunks: Vec<String>, delay: Duration },
    /// A complete answer with a status.
    Status { status: u16, headers: &'static str, body: String },
    /// Headers, then nothing for a long time.
    Stall,
}

/// How a streamed answer ended: chunks written of all, and whether the client hung up first.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    written: usize,
    total: usize,
    client_closed: bool,
}

struct Fixture {
    url: String,
    requests: mpsc::UnboundedReceiver<Received>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
}

async fn read_request(socket: &mut TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let body = serde_json::from_slice(&data[head_end..head_end + length]).unwrap_or(Value::Null);
    Some(Received { path, headers, body })
}

async fn answer(socket: TcpStream, reply: Reply, outcomes: mpsc::UnboundedSender<Outcome>) {
    let (mut reader, mut writer) = socket.into_split();
    match reply {
        Reply::Status { status, headers, body } => {
            let head = format!(
                "HTTP/1.1 {status} Fixture\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
                body.len()
            );
            let _ = writer.write_all(head.as_bytes()).await;
            let _ = writer.write_all(body.as_bytes()).await;
            let _ = writer.shutdown().await;
        }
        Reply::Stall => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
            let _ = writer.write_all(head.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Reply::Stream { content_type, chunks, delay } => {
            let closed = Arc::new(AtomicBool::new(false));
            let watcher = {
                let closed = Arc::clone(&closed);
                tokio::spawn(async move {
                    let mut buf = [0u8; 256];
                    // EOF (or a reset) from the client: it hung up.
                    while let Ok(n) = reader.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                    closed.store(true, Ordering::SeqCst);
                })
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n"
            );
            let mut written = 0;
            if writer.write_all(head.as_bytes()).await.is_ok() {
                for chunk in &chunks {
                    if closed.load(Ordering::SeqCst)
                        || writer.write_all(chunk.as_bytes()).await.is_err()
                        || writer.flush().await.is_err()
                    {
                        break;
                    }
                    written += 1;
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                }
            }
            let _ = writer.shutdown().await;
            watcher.abort();
            let client_closed = closed.load(Ordering::SeqCst);
            let _ = outcomes.send(Outcome { written, total: chunks.len(), client_closed });
        }
    }
}

/// A server on 127.0.0.1 that answers every request with `reply(request, n)` (n counts from 0).
async fn fixture(reply: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> Fixture {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (request_tx, requests) = mpsc::unbounded_channel();
    let (outcome_tx, outcomes) = mpsc::unbounded_channel();
    let reply = Arc::new(reply);
    let count = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (reply, count) = (Arc::clone(&reply), Arc::clone(&count));
            let (request_tx, outcome_tx) = (request_tx.clone(), outcome_tx.clone());
            tokio::spawn(async move {
                let Some(request) = read_request(&mut socket).await else { return };
                let answer_with = reply(&request, count.fetch_add(1, Ordering::SeqCst));
                let _ = request_tx.send(request);
                answer(socket, answer_with, outcome_tx).await;
            });
        }
    });
    Fixture { url, requests, outcomes }
}

fn sse(events: &[Value]) -> Vec<String> {
    let mut chunks: Vec<String> = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    chunks.push("data: [DONE]\n\n".into());
    chunks
}

fn text_event(text: &str) -> Value {
    json!({"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": null}]})
}

fn config(backend: Backend, endpoints: &[&str]) -> EngineConfig {
    EngineConfig {
        backend,
        endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
        model: Some("test-model".into()),
        api_key_env: "INFILL_TEST_KEY".into(),
        family: Some("qwen-coder".into()),
        connect_timeout_ms: 500,
        first_byte_timeout_ms: 2000,
        ..EngineConfig::default()
    }
}

fn engine(backend: Backend, endpoints: &[&str]) -> RemoteEngine {
    RemoteEngine::with_api_key(&config(backend, endpoints), Some("secret".into())).unwrap()
}

/// Every test is bounded: a hang is a failure, not a stuck suite.
async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future).await.expect("the test hung")
}

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

fn message(error: EngineError) -> String {
    error.to_string()
}

#[tokio::test]
async fn a_refused_key_names_the_variable_to_set() {
    let server = fixture(|_, _| Reply::Status {
        status: 401,
        headers: "",
        body: json!({"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
            .to_string(),
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let error =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    let text = message(error);
    assert!(text.contains("refused the API key") && text.contains("INFILL_TEST_KEY"), "{text}");
    assert!(text.contains("Invalid API Key"), "{text}");

    let unkeyed =
        RemoteEngine::with_api_key(&config(Backend::Openai, &[&server.url]), None).unwrap();
    let error =
        bounded(unkeyed.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    let text = message(error);
    assert!(text.contains("INFILL_TEST_KEY is unset"), "{text}");
}

#[tokio::test]
async fn not_found_names_the_model_and_the_route() {
    let server = fixture(|_, _| Reply::Status {
        status: 404,
        headers: "",
        body: json!({"error": "model 'test-model' not found"}).to_string(),
    })
    .await;
    let engine = engine(Backend::Ollama, &[&server.url]);
    let error =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    let text = message(error);
    assert!(
        text.contains("404") && text.contains("engine.model") && text.contains("/api/generate"),
        "{text}"
    );
    assert!(text.contains("model 'test-model' not found"), "{text}");
}

#[tokio::test]
async fn a_bad_request_carries_the_servers_message() {
    let server = fixture(|_, _| Reply::Status {
        status: 400,
        headers: "",
        body: json!({"error": {"message": "the prompt is longer than the context (9000 > 8192)"}})
            .to_string(),
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let error =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    assert!(
        matches!(&error, EngineError::InvalidRequest(m) if m.contains("9000 > 8192")),
        "{error}"
    );
}

#[tokio::test]
async fn a_busy_server_is_asked_again_after_retry_after() {
    let mut server = fixture(|_, n| {
        if n == 0 {
            Reply::Status { status: 429, headers: "Retry-After: 0\r\n", body: String::new() }
        } else {
            Reply::Stream {
                content_type: "text/event-stream",
                chunks: sse(&[text_event("ok")]),
                delay: Duration::ZERO,
            }
        }
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let done =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
    assert_eq!(done.text, "ok");
    assert!(server.requests.recv().await.is_some() && server.requests.recv().await.is_some());
}

#[tokio::test]
async fn a_server_that_stalls_after_its_headers_times_out() {
    let server = fixture(|_, _| Reply::Stall).await;
    let mut config = config(Backend::Openai, &[&server.url]);
    config.first_byte_timeout_ms = 300;
    let engine = RemoteEngine::with_api_key(&config, None).unwrap();
    let started = Instant::now();
    let error =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    let text = message(error);
    assert!(text.contains("first_byte_timeout_ms") && text.contains(&server.url), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_stream_closed_mid_generation_is_an_error_not_a_hang() {
    let server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        // No finish reason, no [DONE]: the server died.
        chunks: vec![format!("data: {}\n\n", text_event("par")), "data: {\"choi".into()],
        delay: Duration::ZERO,
    })
    .await;
    let engine = engine(Backend::Openai, &[&server.url]);
    let mut generation = engine.generate(GenerateRequest::completion("x", 64));
    let mut deltas = String::new();
    let error = bounded(async {
        loop {
            match generation.next().await {
                Some(GenerateEvent::Delta(d)) => deltas.push_str(&d),
                Some(GenerateEvent::Failed(error)) => break error,
                other => panic!("expected a failure, got {other:?}"),
            }
        }
    })
    .await;
    assert_eq!(deltas, "par");
    let text = message(error);
    assert!(text.contains("closed the stream") || text.contains("not JSON"), "{text}");
    assert!(bounded(generation.next()).await.is_none());
}

/// A port nothing listens on.
async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[tokio::test]
async fn a_refused_endpoint_fails_over_to_the_next() {
    let dead = refused_url().await;
    let mut server = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[text_event("answered")]),
        delay: Duration::ZERO,
    })
    .await;
    let engine = engine(Backend::Openai, &[&dead, &server.url]);
    let done =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
    assert_eq!(done.text, "answered");
    assert!(server.requests.recv().await.is_some());

    let other_dead = refused_url().await;
    let all_dead =
        RemoteEngine::with_api_key(&config(Backend::Openai, &[&dead, &other_dead]), None).unwrap();
    let error = bounded(all_dead.generate(GenerateRequest::completion("x", 4)).collect())
        .await
        .unwrap_err();
    let text = message(error);
    assert!(
        text.contains(&dead) && text.contains(&other_dead) && text.contains("connect"),
        "{text}"
    );
}

#[tokio::test]
async fn requests_go_to_the_least_busy_endpoint() {
    let slow = || Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&(0..200).map(|_| text_event("a")).collect::<Vec<_>>()),
        delay: Duration::from_millis(10),
    };
    let mut first = fixture(move |_, _| slow()).await;
    let mut second = fixture(move |_, _| slow()).await;
    let engine = engine(Backend::Openai, &[&first.url, &second.url]);
    let mut a = engine.generate(GenerateRequest::completion("x", 1000));
    assert_eq!(bounded(a.wait_for_deltas(1)).await, 1);
    let mut b = engine.generate(GenerateRequest::completion("x", 1000));
    assert_eq!(bounded(b.wait_for_deltas(1)).await, 1);
    assert_eq!(engine.outstanding(), vec![1, 1]);
    assert_eq!(engine.busy(), 2);
    assert!(first.requests.recv().await.is_some() && second.requests.recv().await.is_some());
    drop((a, b));
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

#[test]
fn configuration_errors_name_the_key() {
    let mut config = config(Backend::Openai, &[]);
    let error = RemoteEngine::with_api_key(&config, None).unwrap_err().to_string();
    assert!(error.contains("engine.endpoints"), "{error}");
    config.endpoints = vec!["http://127.0.0.1:1/v1".into()];
    config.model = None;
    let error = RemoteEngine::with_api_key(&config, None).unwrap_err().to_string();
    assert!(error.contains("engine.model"), "{error}");
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

#[test]
fn a_ca_file_must_hold_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, "not a certificate\n").unwrap();
    let mut config = config(Backend::Openai, &["https://gpu-1.lan:8000/v1"]);
    config.ca_file = Some(path);
    let error = RemoteEngine::with_api_key(&config, None).unwrap_err().to_string();
    assert!(error.contains("engine.ca_file") && error.contains("ca.pem"), "{error}");
}

fn environment(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn plain_http_goes_through_the_proxy_and_loopback_never_does() {
    // The fixture doubles as an HTTP proxy: a proxied request names the absolute URL.
    let mut proxy = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[text_event("via proxy")]),
        delay: Duration::ZERO,
    })
    .await;
    let env = environment(vec![("HTTP_PROXY", proxy.url.clone()), ("INFILL_TEST_KEY", "k".into())]);
    let engine = RemoteEngine::with_environment(
        &config(Backend::Openai, &["http://llm.example.invalid/v1"]),
        &env,
    )
    .unwrap();
    let done =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
    assert_eq!(done.text, "via proxy");
    let received = proxy.requests.recv().await.unwrap();
    assert_eq!(received.path, "http://llm.example.invalid/v1/completions");
    assert_eq!(received.header("authorization"), Some("Bearer k"));

    // Loopback: straight to the server, though the proxy is dead.
    let mut direct = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[text_event("direct")]),
        delay: Duration::ZERO,
    })
    .await;
    let dead = refused_url().await;
    let env = environment(vec![
        ("http_proxy", dead.clone()),
        ("HTTPS_PROXY", dead),
        ("ALL_PROXY", "http://127.0.0.1:1".into()),
    ]);
    let engine =
        RemoteEngine::with_environment(&config(Backend::Openai, &[&direct.url]), &env).unwrap();
    let done =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
    assert_eq!(done.text, "direct");
    assert_eq!(direct.requests.recv().await.unwrap().path, "/completions");

    // NO_PROXY: the request does not go to the proxy (and the name does not resolve).
    let env = environment(vec![
        ("HTTP_PROXY", proxy.url.clone()),
        ("NO_PROXY", ".example.invalid".into()),
    ]);
    let mut config = config(Backend::Openai, &["http://llm.example.invalid/v1"]);
    config.connect_timeout_ms = 1000;
    let engine = RemoteEngine::with_environment(&config, &env).unwrap();
    assert!(bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.is_err());
    assert!(proxy.requests.try_recv().is_err(), "NO_PROXY was not honoured");

    let error = RemoteEngine::with_environment(
        &config,
        &environment(vec![("HTTPS_PROXY", "http://".into())]),
    )
    .unwrap_err();
    assert!(error.to_string().contains("HTTPS_PROXY"), "{error}");
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel() {
    // A proxy that records the CONNECT line and refuses the tunnel.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let head =
                String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_string();
            let _ = seen_tx.send(head);
            let _ = socket.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n").await;
        }
    });
    let env = environment(vec![("HTTPS_PROXY", proxy_url)]);
    let engine = RemoteEngine::with_environment(
        &config(Backend::Openai, &["https://llm.example.invalid:8443/v1"]),
        &env,
    )
    .unwrap();
    assert!(bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.is_err());
    let line = bounded(seen.recv()).await.unwrap();
    assert!(line.starts_with("CONNECT llm.example.invalid:8443 "), "{line}");
}

#[tokio::test]
async fn a_long_retry_after_leaves_the_server_alone_for_that_long() {
    let mut busy = fixture(|_, _| Reply::Status {
        status: 503,
        headers: "Retry-After: 60\r\n",
        body: json!({"error": "loading model"}).to_string(),
    })
    .await;
    let mut idle = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[text_event("ok")]),
        delay: Duration::ZERO,
    })
    .await;
    let engine = engine(Backend::Openai, &[&busy.url, &idle.url]);
    for _ in 0..3 {
        let done =
            bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
        assert_eq!(done.text, "ok");
        assert!(idle.requests.recv().await.is_some());
    }
    assert!(busy.requests.recv().await.is_some());
    assert!(busy.requests.try_recv().is_err(), "asked again inside its Retry-After");
    let status = engine.remote_status().unwrap();
    assert_eq!(status.endpoints[0].state, infill_engine::EndpointState::Busy);
    assert!(status.endpoints[0].retry_in_ms.is_some_and(|ms| ms > 50_000), "{status:?}");
    assert!(
        status.endpoints[0].last_error.as_deref().is_some_and(|e| e.contains("loading model")),
        "{status:?}"
    );

    // Alone, it fails at once and says why, without asking the server again.
    let alone = engine_with_one(&busy.url);
    let error =
        bounded(alone.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    assert!(message(error).contains("503"));
    let error =
        bounded(alone.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    assert!(message(error).contains("Retry-After"));
    assert!(busy.requests.recv().await.is_some() && busy.requests.try_recv().is_err());
}

fn engine_with_one(url: &str) -> RemoteEngine {
    engine(Backend::Openai, &[url])
}

#[tokio::test]
async fn a_dead_endpoint_goes_last_and_comes_back_after_a_health_check() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let dead = format!("http://{address}");
    let mut other = fixture(|_, _| Reply::Stream {
        content_type: "text/event-stream",
        chunks: sse(&[text_event("other")]),
        delay: Duration::ZERO,
    })
    .await;
    let mut config = config(Backend::Openai, &[&dead, &other.url]);
    config.health_interval_ms = 100;
    let engine = RemoteEngine::with_api_key(&config, None).unwrap();
    let done =
        bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
    assert_eq!(done.text, "other");
    let status = engine.remote_status().unwrap();
    assert_eq!(status.endpoints[0].state, infill_engine::EndpointState::Down);
    assert!(
        status.endpoints[0].last_error.as_deref().is_some_and(|e| e.contains("connect")),
        "{status:?}"
    );
    assert_eq!(status.endpoints[1].state, infill_engine::EndpointState::Up);

    // It comes back: the next requests start a health check, which finds it up.
    let revived = TcpListener::bind(address).await.unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = revived.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let body = r#"{"object":"list","data":[]}"#;
                let _ = socket.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes()).await;
            });
        }
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let _ = bounded(engine.generate(GenerateRequest::completion("x", 4)).collect()).await;
        if engine.remote_status().unwrap().endpoints[0].state == infill_engine::EndpointState::Up {
            break;
        }
        assert!(Instant::now() < deadline, "{:?}", engine.remote_status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while other.requests.try_recv().is_ok() {}
    let checked = bounded(engine.check_endpoints()).await;
    assert!(checked.iter().all(|e| e.state == infill_engine::EndpointState::Up), "{checked:?}");
}
