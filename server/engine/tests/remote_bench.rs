//! Figures for docs/benchmarks.md (not a test: `#[ignore]`d, run by `scripts/bench/remote.sh`,
//! prints tables and asserts nothing about speed):
//!
//! - the remote path's own overhead per request on loopback: a request through
//!   [`RemoteEngine`] to a server that answers at once, against the same answer from an
//!   in-process [`ScriptedEngine`];
//! - failover: from an endpoint's death to the first request answered by the next one.

#![cfg(feature = "remote")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use infill_engine::remote::RemoteEngine;
use infill_engine::{
    Backend, Engine, EngineConfig, GenerateRequest, ModelFamily, ScriptedEngine, ScriptedReply,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ANSWER: &str = "data: {\"choices\":[{\"index\":0,\"text\":\"ok\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

/// A server that answers every request at once (keep-alive, chunked), until `dead` is set: then
/// it closes its listener and every connection.
async fn instant_server(dead: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = wait_dead(&dead) => return,
            };
            let Ok((mut socket, _)) = accepted else { return };
            let dead = Arc::clone(&dead);
            tokio::spawn(async move {
                let mut pending = Vec::new();
                let mut buf = [0u8; 16 * 1024];
                loop {
                    // One request: the head, then Content-Length bytes.
                    let (head_end, length) = loop {
                        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&pending[..i]).to_ascii_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (i + 4, length);
                        }
                        let n = tokio::select! {
                            n = socket.read(&mut buf) => n.unwrap_or(0),
                            _ = wait_dead(&dead) => 0,
                        };
                        if n == 0 {
                            return;
                        }
                        pending.extend_from_slice(&buf[..n]);
                    };
                    while pending.len() < head_end + length {
                        let n = socket.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        pending.extend_from_slice(&buf[..n]);
                    }
                    pending.drain(..head_end + length);
                    if dead.load(Ordering::SeqCst) {
                        return;
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{ANSWER}\r\n0\r\n\r\n",
                        ANSWER.len()
                    );
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

async fn wait_dead(dead: &AtomicBool) {
    while !dead.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn config(endpoints: &[&str]) -> EngineConfig {
    EngineConfig {
        backend: Backend::Openai,
        endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
        model: Some("m".into()),
        family: Some("qwen-coder".into()),
        ..EngineConfig::default()
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench/remote.sh"]
async fn remote_path_overhead_and_failover() {
    let runs = 2000;
    let request = || {
        let mut r = GenerateRequest::completion("def f(x):\n    return".repeat(40), 16);
        r.stop = vec!["\n\n".into()];
        r
    };
    // In process: the same one-token answer.
    let scripted =
        ScriptedEngine::with_responder(ModelFamily::QwenCoder, |_| ScriptedReply::text("ok"));
    let mut direct = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        scripted.generate(request()).collect().await.unwrap();
        direct.push(started.elapsed());
    }
    let alive = Arc::new(AtomicBool::new(false));
    let url = instant_server(Arc::clone(&alive)).await;
    let engine = RemoteEngine::with_api_key(&config(&[&url]), None).unwrap();
    for _ in 0..50 {
        engine.generate(request()).collect().await.unwrap();
    }
    let mut remote = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let done = engine.generate(request()).collect().await.unwrap();
        remote.push(started.elapsed());
        assert_eq!(done.text, "ok");
    }
    let (d50, r50) = (percentile(&mut direct, 0.5), percentile(&mut remote, 0.5));
    println!("\n| path ({runs} requests, 1-token answers, ~1 KB prompt) | median ms | p95 ms |");
    println!("|---|---:|---:|");
    println!(
        "| in process (ScriptedEngine) | {} | {} |",
        ms(d50),
        ms(percentile(&mut direct, 0.95))
    );
    println!(
        "| RemoteEngine → loopback server answering at once | {} | {} |",
        ms(r50),
        ms(percentile(&mut remote, 0.95))
    );
    println!(
        "| remote path's own overhead (median difference) | {} | |",
        ms(r50.saturating_sub(d50))
    );

    // Failover: the first endpoint dies (listener and connections closed); time until a request
    // is answered by the second.
    let trials = 30;
    let mut failover = Vec::new();
    for _ in 0..trials {
        let first_dead = Arc::new(AtomicBool::new(false));
        let first = instant_server(Arc::clone(&first_dead)).await;
        let second = instant_server(Arc::new(AtomicBool::new(false))).await;
        let engine = RemoteEngine::with_api_key(&config(&[&first, &second]), None).unwrap();
        for _ in 0..5 {
            engine.generate(request()).collect().await.unwrap();
        }
        first_dead.store(true, Ordering::SeqCst);
        let died = Instant::now();
        tokio::time::sleep(Duration::from_millis(5)).await; // the listener is gone
        loop {
            if engine.generate(request()).collect().await.is_ok() {
                break;
            }
        }
        failover.push(died.elapsed());
    }
    println!(
        "\n| failover ({trials} trials; includes the 5 ms for the listener to close) | median ms | max ms |"
    );
    println!("|---|---:|---:|");
    let max = *failover.iter().max().unwrap();
    println!(
        "| endpoint dies → first request answered by the next | {} | {} |",
        ms(percentile(&mut failover, 0.5)),
        ms(max)
    );
}
