//! The HTTP backend against a real llama.cpp server (llama-cpp-python's, built by
//! `scripts/setup-llamacpp-server`) serving the default tiny model on 127.0.0.1: completion,
//! streaming, the server's tokenizer, cancellation, faults injected by a proxy in the test
//! (a server killed mid-stream, a stall after the headers, garbage, a wrong key) and two servers
//! for balancing and failover.
//!
//! Needs `INFILL_LLAMACPP_PYTHON` (the venv's python) and the model (`INFILL_TEST_MODEL`, else
//! the default model's cached path). Without them the tests skip, unless
//! `INFILL_REQUIRE_LLAMACPP` is set (as `scripts/test` and CI do): then they fail.

#![cfg(feature = "remote")]

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use infill_engine::remote::RemoteEngine;
use infill_engine::{
    Backend, EndpointState, Engine, EngineConfig, FinishReason, GenerateEvent, GenerateRequest,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The python and the model, or `None` (skip) when they are missing and not required.
fn setup() -> Option<(PathBuf, PathBuf)> {
    let required = std::env::var_os("INFILL_REQUIRE_LLAMACPP").is_some_and(|v| !v.is_empty());
    let python = std::env::var_os("INFILL_LLAMACPP_PYTHON").map(PathBuf::from);
    let model = std::env::var_os("INFILL_TEST_MODEL").map(PathBuf::from).or_else(|| {
        let cache = std::env::var_os("INFILL_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/infill")))?;
        Some(cache.join("models/SmolLM2-135M-Instruct.Q8_0.gguf"))
    });
    match (python, model) {
        (Some(python), Some(model)) if python.is_file() && model.is_file() => Some((python, model)),
        (python, model) => {
            let why = format!(
                "llama.cpp server tests need INFILL_LLAMACPP_PYTHON (scripts/setup-llamacpp-server) \
                 and the model (INFILL_TEST_MODEL): python {python:?}, model {model:?}"
            );
            assert!(!required, "{why}");
            eprintln!("skipping: {why}");
            None
        }
    }
}

/// A llama.cpp server on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_server(python: &PathBuf, model: &PathBuf, api_key: Option<&str>) -> Server {
    let port = free_port();
    let mut command = Command::new(python);
    command.args(["-m", "llama_cpp.server", "--model"]).arg(model).args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--n_ctx",
        "2048",
        "--n_threads",
        "1",
        "--model_alias",
        "smollm",
        "--verbose",
        "False",
    ]);
    if let Some(key) = api_key {
        command.args(["--api_key", key]);
    }
    let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let server = Server { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(mut socket) = TcpStream::connect(("127.0.0.1", port)).await {
            let _ = socket
                .write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut answer = Vec::new();
            let _ = socket.read_to_end(&mut answer).await;
            // 200, or 401 with a key: either way the model is loaded and serving.
            if answer.starts_with(b"HTTP/1.1 200") || answer.starts_with(b"HTTP/1.1 401") {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "the llama.cpp server did not start on port {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn config(endpoints: &[&str]) -> EngineConfig {
    EngineConfig {
        backend: Backend::Openai,
        endpoints: endpoints.iter().map(|e| format!("{e}/v1")).collect(),
        model: Some("smollm".into()),
        api_key_env: "INFILL_TEST_LLAMACPP_KEY".into(),
        connect_timeout_ms: 1000,
        first_byte_timeout_ms: 20_000,
        ..EngineConfig::default()
    }
}

async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), future).await.expect("the test hung")
}

/// A prompt the model continues for as long as it is allowed to.
const COUNTING: &str = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_streams_counts_and_cancels_against_llama_cpp() {
    let Some((python, model)) = setup() else { return };
    let server = start_server(&python, &model, None).await;
    let mut config = config(&[&server.url]);
    config.family = None;
    let engine = RemoteEngine::with_api_key(&config, None).unwrap();

    // The server's tokenizer: exact counts, and the family of the model's own vocabulary.
    let report = bounded(engine.probe()).await;
    assert!(report.token_counts.contains("extras/tokenize"), "{report:?}");
    let expected = infill_engine::models::check_model_file(&model).unwrap().family();
    assert_eq!(report.family, expected, "the family read from the GGUF file");
    assert!(report.family_detected);

    // A greedy completion, streamed; the server's usage matches our count of the prompt.
    let prompt = "def add(a, b):\n    return";
    let mut request = GenerateRequest::completion(prompt, 12);
    request.stop = vec!["\n\n".into()];
    let mut generation = engine.generate(request.clone());
    let (mut deltas, mut text, mut done) = (0, String::new(), None);
    while let Some(event) = bounded(generation.next()).await {
        match event {
            GenerateEvent::Delta(delta) => {
                deltas += 1;
                text.push_str(&delta);
            }
            GenerateEvent::Done { reason, stats } => done = Some((reason, stats)),
            GenerateEvent::Failed(error) => panic!("{error}"),
        }
    }
    let (reason, stats) = done.expect("no Done event");
    assert!(!text.is_empty() && deltas >= 2, "{deltas} deltas: {text:?}");
    assert!(matches!(reason, FinishReason::Stop | FinishReason::Length));
    // Counts are the server's: a special token of the vocabulary is one token (an estimate
    // would say 3), and the stream's text is not empty.
    assert_eq!(bounded(engine.count_tokens("<file_sep>")).await.unwrap(), 1);
    assert!(stats.generated_tokens >= 1);
    // Greedy is reproducible.
    let again = bounded(engine.generate(request).collect()).await.unwrap();
    assert_eq!(again.text, text);

    // Cancellation: after a drop the server stops generating, so a next request is served long
    // before the dropped one could have finished.
    let mut long = engine.generate(GenerateRequest::completion(COUNTING, 1500));
    let started = Instant::now();
    assert_eq!(bounded(long.wait_for_deltas(2)).await, 2);
    let first_two = started.elapsed();
    let before = Instant::now();
    assert_eq!(bounded(long.wait_for_deltas(8)).await, 8);
    let per_token = before.elapsed() / 8;
    drop(long);
    let asked = Instant::now();
    let next =
        bounded(engine.generate(GenerateRequest::completion("x = ", 4)).collect()).await.unwrap();
    let waited = asked.elapsed();
    let left_of_dropped = per_token * 1490;
    assert!(
        waited < left_of_dropped / 2,
        "the next request waited {waited:?}; the dropped one had ~{left_of_dropped:?} left \
         ({per_token:?} per token, first two after {first_two:?})"
    );
    assert!(!next.text.is_empty());
    eprintln!("cancel: the next request waited {waited:?} ({per_token:?} per token)");
    idle(&engine).await;
}

/// Waits (up to 5 s) until no generation holds the engine.
async fn idle(engine: &RemoteEngine) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while engine.busy() > 0 {
        assert!(Instant::now() < deadline, "a finished generation still holds the engine");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What the fault proxy does with the next connections.
const PASS: u8 = 0;
const CUT_MID_STREAM: u8 = 1;
const STALL_AFTER_HEADERS: u8 = 2;
const GARBAGE: u8 = 3;
const GARBAGE_MID_STREAM: u8 = 4;

/// A proxy in front of `target` whose behaviour `mode` sets.
async fn fault_proxy(target: String, mode: Arc<AtomicU8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let target = target.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (target, mode) = (target.clone(), mode.load(Ordering::SeqCst));
            tokio::spawn(async move {
                if mode == GARBAGE {
                    let mut buf = [0u8; 4096];
                    let _ = client.read(&mut buf).await;
                    let _ = client.write_all(b"\x00\xffSSH-2.0-nonsense\r\n\xfe\xfe\r\n\r\n").await;
                    return;
                }
                let Ok(mut server) = TcpStream::connect(&target).await else { return };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.split();
                let upstream = async {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                };
                let downstream = async {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let before = seen.len();
                        seen.extend_from_slice(&buf[..n]);
                        let head_end =
                            seen.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
                        match (mode, head_end) {
                            (STALL_AFTER_HEADERS, Some(end)) => {
                                let _ = client_write.write_all(&seen[before.min(end)..end]).await;
                                tokio::time::sleep(Duration::from_secs(60)).await;
                                return;
                            }
                            (GARBAGE_MID_STREAM, Some(end)) if seen.len() > end + 200 => {
                                let _ = client_write.write_all(&buf[..n]).await;
                                let _ = client_write
                                    .write_all(b"40\r\ndata: \x01\x02{{{ not json }}}\n\n")
                                    .await;
                                tokio::time::sleep(Duration::from_secs(60)).await;
                                return;
                            }
                            (CUT_MID_STREAM, Some(end)) if seen.len() > end + 400 => {
                                let _ = client_write.write_all(&buf[..n]).await;
                                return;
                            }
                            _ => {
                                if client_write.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                };
                tokio::select! {
                    _ = upstream => {}
                    _ = downstream => {}
                }
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_between_us_and_llama_cpp_are_errors_not_hangs() {
    let Some((python, model)) = setup() else { return };
    let server = start_server(&python, &model, Some("right-key")).await;
    let mode = Arc::new(AtomicU8::new(PASS));
    let proxy = fault_proxy(server.url.clone(), Arc::clone(&mode)).await;
    let mut config = config(&[&proxy]);
    config.first_byte_timeout_ms = 60_000;
    config.family = Some("repo-tokens".into());
    let engine = RemoteEngine::with_api_key(&config, Some("right-key".into())).unwrap();
    let long = || GenerateRequest::completion(COUNTING, 400);

    let done = bounded(engine.generate(GenerateRequest::completion("x = ", 4)).collect()).await;
    assert!(!done.unwrap().text.is_empty(), "through the proxy, with the right key");

    // The real server refuses a wrong key.
    let wrong = RemoteEngine::with_api_key(&config, Some("wrong-key".into())).unwrap();
    let error = bounded(wrong.generate(long()).collect()).await.unwrap_err().to_string();
    assert!(
        error.contains("refused the API key") && error.contains("INFILL_TEST_LLAMACPP_KEY"),
        "{error}"
    );
    let keyless = RemoteEngine::with_api_key(&config, None).unwrap();
    let error = bounded(keyless.generate(long()).collect()).await.unwrap_err().to_string();
    assert!(error.contains("is unset"), "{error}");

    for (fault, expect) in [
        (CUT_MID_STREAM, "mid-generation"),
        (STALL_AFTER_HEADERS, "first_byte_timeout_ms"),
        (GARBAGE, "no endpoint could serve"),
        (GARBAGE_MID_STREAM, "not JSON"),
    ] {
        mode.store(fault, Ordering::SeqCst);
        let started = Instant::now();
        // A stall is noticed after the first-byte timeout: a short one here.
        let mut short = config.clone();
        short.first_byte_timeout_ms = 3000;
        let stalled = RemoteEngine::with_api_key(&short, Some("right-key".into())).unwrap();
        let engine = if fault == STALL_AFTER_HEADERS { &stalled } else { &engine };
        let error = bounded(engine.generate(long()).collect()).await.unwrap_err().to_string();
        assert!(error.contains(expect), "fault {fault}: {error}");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "fault {fault} took {:?}",
            started.elapsed()
        );
        idle(engine).await;
    }
    // The server itself is fine: the next request through a clean proxy is answered.
    mode.store(PASS, Ordering::SeqCst);
    let done = bounded(engine.generate(GenerateRequest::completion("y = ", 4)).collect()).await;
    assert!(done.is_ok(), "{done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_llama_cpp_servers_share_the_load_and_fail_over() {
    let Some((python, model)) = setup() else { return };
    let first = start_server(&python, &model, None).await;
    let second = start_server(&python, &model, None).await;
    let mut config = config(&[&first.url, &second.url]);
    config.family = Some("repo-tokens".into());
    config.health_interval_ms = 200;
    let engine = RemoteEngine::with_api_key(&config, None).unwrap();

    // Two at once: one on each.
    let mut a = engine.generate(GenerateRequest::completion(COUNTING, 2000));
    assert_eq!(bounded(a.wait_for_deltas(1)).await, 1);
    let mut b = engine.generate(GenerateRequest::completion(COUNTING, 2000));
    assert_eq!(bounded(b.wait_for_deltas(1)).await, 1);
    assert_eq!(engine.outstanding(), vec![1, 1]);
    drop(b);

    // The first server dies mid-stream: that generation fails, the next request is answered by
    // the second, and the first is reported down.
    let mut first = first;
    first.child.kill().unwrap();
    let _ = first.child.wait();
    let mut failed = false;
    while let Some(event) = bounded(a.next()).await {
        if let GenerateEvent::Failed(error) = event {
            let text = error.to_string();
            assert!(text.contains("closed the stream") || text.contains("broke"), "{text}");
            failed = true;
        }
    }
    assert!(failed, "a stream cut by the server's death is an error");
    let died = Instant::now();
    let done = bounded(engine.generate(GenerateRequest::completion("x = ", 4)).collect()).await;
    assert!(done.is_ok(), "{done:?}");
    eprintln!(
        "failover: first answer from the second server {:?} after the first died",
        died.elapsed()
    );
    let status = engine.remote_status().unwrap();
    assert_eq!(status.endpoints[0].state, EndpointState::Down, "{status:?}");
    assert_eq!(status.endpoints[1].state, EndpointState::Up, "{status:?}");
    // Later requests go straight to the second.
    for _ in 0..2 {
        assert!(
            bounded(engine.generate(GenerateRequest::completion("y = ", 2)).collect())
                .await
                .is_ok()
        );
    }
}
