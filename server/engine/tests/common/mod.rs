//! The fixture server of the HTTP backend tests: a server on 127.0.0.1 that speaks just enough
//! HTTP/1.1 to answer each request as the test says (a stream, a status, a stall) and reports
//! what it received and how each stream ended; and the engine the tests point at it.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use infill_engine::remote::RemoteEngine;
use infill_engine::{Backend, EngineConfig, EngineError};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// A request the fixture received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the fixture answers.
pub enum Reply {
    /// `200` and these body chunks, `delay` apart; the connection closes after the last.
    Stream { content_type: &'static str, chunks: Vec<String>, delay: Duration },
    /// A complete answer with a status.
    Status { status: u16, headers: &'static str, body: String },
    /// Headers, then nothing for a long time.
    Stall,
}

/// How a streamed answer ended: chunks written of all, and whether the client hung up first.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub written: usize,
    pub total: usize,
    pub client_closed: bool,
}

pub struct Fixture {
    pub url: String,
    pub requests: mpsc::UnboundedReceiver<Received>,
    pub outcomes: mpsc::UnboundedReceiver<Outcome>,
}

pub async fn read_request(socket: &mut TcpStream) -> Option<Received> {
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

pub async fn answer(socket: TcpStream, reply: Reply, outcomes: mpsc::UnboundedSender<Outcome>) {
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
pub async fn fixture(reply: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> Fixture {
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

pub fn sse(events: &[Value]) -> Vec<String> {
    let mut chunks: Vec<String> = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    chunks.push("data: [DONE]\n\n".into());
    chunks
}

pub fn text_event(text: &str) -> Value {
    json!({"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": null}]})
}

pub fn config(backend: Backend, endpoints: &[&str]) -> EngineConfig {
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

pub fn engine(backend: Backend, endpoints: &[&str]) -> RemoteEngine {
    RemoteEngine::with_api_key(&config(backend, endpoints), Some("secret".into())).unwrap()
}

/// Every test is bounded: a hang is a failure, not a stuck suite.
pub async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future).await.expect("the test hung")
}

pub fn message(error: EngineError) -> String {
    error.to_string()
}
