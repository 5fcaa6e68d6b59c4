//! The HTTP backends with several endpoints and the network between, against fixture servers on
//! 127.0.0.1 (`common/`): failover from a refused endpoint, the least busy endpoint first, a long
//! `Retry-After`, health checks that bring a dead endpoint back, and HTTP and `CONNECT` proxies.

#![cfg(feature = "remote")]

mod common;

use std::time::{Duration, Instant};

use common::{Reply, bounded, config, engine, fixture, message, sse, text_event};
use infill_engine::remote::RemoteEngine;
use infill_engine::{Backend, Engine, GenerateRequest};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

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
