//! `infill serve` in process, over a scripted engine: Infill's own OpenAI and Ollama backends
//! pointed at it (streaming), the non-streaming answers' shapes, the bearer token, bad requests,
//! keep-alive, and a client hanging up cancelling its generation.

#![cfg(feature = "remote")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use infill::serve::{ServeSettings, serve};
use infill_engine::{
    Backend, ChatMessage, Engine, EngineConfig, GenerateRequest, ModelFamily, PromptInput,
    RemoteEngine, ScriptedEngine, ScriptedReply,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future).await.expect("the test hung")
}

/// Serves `engine` on 127.0.0.1; returns the address.
async fn start(engine: Arc<ScriptedEngine>, token: Option<&str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let settings = ServeSettings { model_name: "tiny".into(), token: token.map(str::to_string) };
    tokio::spawn(serve(listener, engine, settings));
    address
}

fn client(backend: Backend, url: String, key: Option<&str>) -> RemoteEngine {
    let config = EngineConfig {
        backend,
        endpoints: vec![url],
        model: Some("tiny".into()),
        family: Some("qwen-coder".into()),
        ..EngineConfig::default()
    };
    RemoteEngine::with_api_key(&config, key.map(str::to_string)).unwrap()
}

/// One request on a fresh connection (closed after the answer): status and body.
async fn http(address: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut socket = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    bounded(socket.read_to_end(&mut answer)).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size, 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

fn json_body(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn infills_openai_backend_streams_through_serve() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::QwenCoder));
    engine.push(ScriptedReply::text("fn main() {}\n\nfn other"));
    engine.push(ScriptedReply::text("Hello there"));
    let address = start(Arc::clone(&engine), None).await;
    let remote = client(Backend::Openai, format!("http://{address}/v1"), None);
    let mut request =
        GenerateRequest::completion("<|fim_prefix|>pub <|fim_suffix|><|fim_middle|>", 64);
    request.stop = vec!["\n\n".into()];
    let done = bounded(remote.generate(request).collect()).await.unwrap();
    assert_eq!(done.text, "fn main() {}");
    assert_eq!(engine.prompts()[0], "<|fim_prefix|>pub <|fim_suffix|><|fim_middle|>");
    assert!(done.stats.prompt_tokens > 0, "usage came back: {:?}", done.stats);

    let chat = GenerateRequest {
        input: PromptInput::Chat(vec![ChatMessage::new("user", "hi")]),
        ..GenerateRequest::completion("", 32)
    };
    let done = bounded(remote.generate(chat).collect()).await.unwrap();
    assert_eq!(done.text, "Hello there");
    assert!(engine.prompts()[1].contains("hi"), "{:?}", engine.prompts());
    // The health check and the served model list.
    let checked = bounded(remote.check_endpoints()).await;
    assert_eq!(checked[0].state, infill_engine::EndpointState::Up);
}

#[tokio::test]
async fn infills_ollama_backend_streams_through_serve() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::QwenCoder));
    engine.push(ScriptedReply::text("return a + b"));
    engine.push(ScriptedReply::text("Sure."));
    let address = start(Arc::clone(&engine), None).await;
    let remote = client(Backend::Ollama, format!("http://{address}"), None);
    let done =
        bounded(remote.generate(GenerateRequest::completion("def add(a, b):\n    ", 16)).collect())
            .await
            .unwrap();
    assert_eq!(done.text, "return a + b");
    assert_eq!(engine.prompts()[0], "def add(a, b):\n    ", "raw: the prompt untouched");
    let chat = GenerateRequest {
        input: PromptInput::Chat(vec![ChatMessage::new("user", "hi")]),
        ..GenerateRequest::completion("", 32)
    };
    assert_eq!(bounded(remote.generate(chat).collect()).await.unwrap().text, "Sure.");
}

#[tokio::test]
async fn answers_without_streaming_have_the_apis_shapes() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::QwenCoder));
    let address = start(Arc::clone(&engine), None).await;

    let (status, body) = http(&address, "GET", "/v1/models", "", "").await;
    assert_eq!(status, 200);
    assert_eq!(json_body(&body)["data"][0]["id"], "tiny");
    let (status, body) = http(&address, "GET", "/api/tags", "", "").await;
    assert_eq!(status, 200);
    assert_eq!(json_body(&body)["models"][0]["name"], "tiny");

    engine.push(ScriptedReply::text("x = 1\ny = 2"));
    let request = json!({"model": "tiny", "prompt": "a = ", "suffix": "\nprint(a)", "max_tokens": 50, "stop": "\n"});
    let (status, body) = http(&address, "POST", "/v1/completions", "", &request.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let answer = json_body(&body);
    assert_eq!(answer["object"], "text_completion");
    assert_eq!(answer["choices"][0]["text"], "x = 1");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert!(answer["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    let prompt = engine.prompts().last().unwrap().clone();
    assert!(
        prompt.contains("<|fim_prefix|>a = ") && prompt.contains("<|fim_suffix|>\nprint(a)"),
        "a suffix makes a FIM prompt in the family's template: {prompt:?}"
    );

    engine.push(ScriptedReply::text("abcdefghijklmnop"));
    let request = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 2});
    let (status, body) =
        http(&address, "POST", "/v1/chat/completions", "", &request.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let answer = json_body(&body);
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["choices"][0]["message"]["role"], "assistant");
    assert_eq!(answer["choices"][0]["finish_reason"], "length");

    engine.push(ScriptedReply::text("42"));
    let request =
        json!({"model": "tiny", "prompt": "the answer is ", "raw": true, "stream": false});
    let (status, body) = http(&address, "POST", "/api/generate", "", &request.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let answer = json_body(&body);
    assert_eq!((answer["response"].as_str(), answer["done"].as_bool()), (Some("42"), Some(true)));
    assert_eq!(answer["done_reason"], "stop");

    engine.push(ScriptedReply::text("a\nb"));
    let request = json!({"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "options": {"stop": ["\n"]}});
    let (status, body) = http(&address, "POST", "/api/chat", "", &request.to_string()).await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = body.lines().map(json_body).collect();
    assert_eq!(lines.last().unwrap()["done"], true, "{body}");
    let text: String = lines.iter().filter_map(|l| l["message"]["content"].as_str()).collect();
    assert_eq!(text, "a");

    // A streamed completion ends with [DONE], with usage when asked for.
    engine.push(ScriptedReply::text("one two"));
    let request = json!({"prompt": "x", "stream": true, "stream_options": {"include_usage": true}});
    let (_, body) = http(&address, "POST", "/v1/completions", "", &request.to_string()).await;
    let events: Vec<&str> = body.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
    assert_eq!(*events.last().unwrap(), "[DONE]");
    assert!(
        json_body(events[events.len() - 2])["usage"]["total_tokens"].as_u64().is_some(),
        "{body}"
    );
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::QwenCoder));
    let address = start(engine, None).await;
    let (status, body) = http(&address, "POST", "/v1/completions", "", "{not json").await;
    assert_eq!(status, 400);
    assert!(json_body(&body)["error"]["message"].as_str().unwrap().contains("not JSON"));
    let (status, body) =
        http(&address, "POST", "/v1/completions", "", r#"{"prompt": [1, 2]}"#).await;
    assert_eq!(status, 400);
    assert!(body.contains("one text prompt"), "{body}");
    let (status, body) = http(&address, "POST", "/api/generate", "", r#"{"prompt": 3}"#).await;
    assert_eq!(status, 400);
    assert!(json_body(&body)["error"].as_str().unwrap().contains("prompt"), "{body}");
    let (status, _) = http(&address, "GET", "/v1/nothing", "", "").await;
    assert_eq!(status, 404);
    let (status, _) = http(&address, "GET", "/v1/completions", "", "").await;
    assert_eq!(status, 405);
    let (status, body) =
        http(&address, "POST", "/v1/chat/completions", "", r#"{"messages": []}"#).await;
    assert_eq!(status, 400);
    assert!(body.contains("messages"), "{body}");
    // Garbage instead of HTTP.
    let mut socket = TcpStream::connect(&address).await.unwrap();
    socket.write_all(b"\x16\x03\x01 hello\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    bounded(socket.read_to_end(&mut answer)).await.unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 400"));
}

#[tokio::test]
async fn a_token_is_required_when_set() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::QwenCoder));
    engine.push(ScriptedReply::text("ok"));
    let address = start(Arc::clone(&engine), Some("s3cret")).await;
    let (status, body) = http(&address, "GET", "/v1/models", "", "").await;
    assert_eq!(status, 401);
    assert_eq!(json_body(&body)["error"]["type"], "authentication_error");
    let (status, _) =
        http(&address, "GET", "/api/tags", "Authorization: Bearer wrong\r\n", "").await;
    assert_eq!(status, 401);
    let (status, _) =
        http(&address, "GET", "/v1/models", "Authorization: Bearer s3cret\r\n", "").await;
    assert_eq!(status, 200);
    let refused = client(Backend::Openai, format!("http://{address}/v1"), Some("wrong"));
    let error =
        bounded(refused.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap_err();
    assert!(error.to_string().contains("refused the API key"), "{error}");
    let accepted = client(Backend::Openai, format!("http://{address}/v1"), Some("s3cret"));
    let done =
        bounded(accepted.generate(GenerateRequest::completion("x", 4)).collect()).await.unwrap();
    assert_eq!(done.text, "ok");
}

#[tokio::test]
async fn requests_share_a_kept_alive_connection() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::QwenCoder));
    engine.push(ScriptedReply::text("first"));
    engine.push(ScriptedReply::text("second"));
    let address = start(Arc::clone(&engine), None).await;
    let mut socket = TcpStream::connect(&address).await.unwrap();
    let body = r#"{"prompt": "x", "max_tokens": 8}"#;
    let one =
        format!("POST /v1/completions HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    // Both requests at once (pipelined), then close.
    socket
        .write_all(
            format!("{one}{}", one.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n"))
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    bounded(socket.read_to_end(&mut answer)).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 2, "{answer}");
    assert!(answer.contains("\"first\"") && answer.contains("\"second\""), "{answer}");
}

#[tokio::test]
async fn a_client_that_hangs_up_cancels_its_generation() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::QwenCoder));
    let long = "token ".repeat(2000);
    engine.push(ScriptedReply::slow(long.clone(), Duration::from_millis(5)));
    engine.push(ScriptedReply::slow(long, Duration::from_millis(5)));
    let address = start(Arc::clone(&engine), None).await;
    for stream in [true, false] {
        let mut socket = TcpStream::connect(&address).await.unwrap();
        let body = json!({"prompt": "x", "max_tokens": 5000, "stream": stream}).to_string();
        let request = format!(
            "POST /v1/completions HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while engine.running() == 0 {
            assert!(Instant::now() < deadline, "the generation never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if stream {
            let mut first = [0u8; 64];
            let n = bounded(socket.read(&mut first)).await.unwrap();
            assert!(n > 0);
        }
        drop(socket);
        let deadline = Instant::now() + Duration::from_secs(5);
        while engine.running() > 0 {
            assert!(
                Instant::now() < deadline,
                "still generating after the client left (stream: {stream})"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
