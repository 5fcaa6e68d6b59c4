//! The HTTP backends' failures against a fixture server on 127.0.0.1 (`common/`): refused keys,
//! unknown models, bad requests, a busy server's `Retry-After`, stalls and broken streams, and
//! configuration errors, each an error that says what went wrong, never a hang.

#![cfg(feature = "remote")]

mod common;

use std::time::{Duration, Instant};

use common::{Reply, bounded, config, engine, fixture, message, sse, text_event};
use infill_engine::remote::RemoteEngine;
use infill_engine::{Backend, Engine, EngineError, GenerateEvent, GenerateRequest};
use serde_json::json;

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
