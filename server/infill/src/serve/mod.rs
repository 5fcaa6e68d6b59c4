//! `infill serve`: the configured engine over HTTP, for other tools on the same machine, as an
//! OpenAI-compatible server (`/v1/models`, `/v1/completions`, `/v1/chat/completions`) and an
//! Ollama-compatible one (`/api/tags`, `/api/show`, `/api/generate`, `/api/chat`), streaming
//! (SSE, NDJSON) or not.
//!
//! It binds 127.0.0.1 unless told otherwise and can demand a bearer token. A client that hangs
//! up cancels its generation (the [`Generation`] is dropped). The language server itself never
//! opens a socket: this is a separate command.

mod http;
mod ollama;
mod openai;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use infill_engine::{Engine, EngineError, FinishReason, GenerateRequest, Generation};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::config::Config;
use http::{BadRequest, Conn, Request};

/// The port `infill serve` listens on by default.
pub const DEFAULT_PORT: u16 = 8421;

/// Options of `infill serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to bind (default 127.0.0.1: this machine only).
    pub host: String,
    /// The port (0: any free one; the one chosen is printed).
    pub port: u16,
    /// The environment variable holding the bearer token clients must send.
    pub token_env: Option<String>,
}

/// What the server needs besides the engine.
#[derive(Debug, Clone, Default)]
pub struct ServeSettings {
    /// The model's name in `/v1/models` and `/api/tags` (requests may name any model).
    pub model_name: String,
    /// Clients must send `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// `infill serve`: loads the configured engine, binds, prints the address on stderr and serves
/// until the process ends.
pub async fn run(config: &Config, options: &ServeOptions) -> anyhow::Result<()> {
    let token = match &options.token_env {
        None => None,
        Some(var) => Some(
            std::env::var(var)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .with_context(|| format!("--token-env {var}: the variable is unset or empty"))?,
        ),
    };
    let address: SocketAddr = format!("{}:{}", bracket(&options.host), options.port)
        .parse()
        .with_context(|| format!("--host {}: not an IP address", options.host))?;
    if !address.ip().is_loopback() && token.is_none() {
        eprintln!(
            "infill serve: warning: {} is reachable from other machines and no --token-env is set: \
             anyone who can reach it can use the model",
            address.ip()
        );
    }
    let model_name = model_name(config);
    let engine = crate::engine::load(config.model.clone(), config.engine.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener =
        TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))?;
    let bound = listener.local_addr()?;
    eprintln!(
        "infill serve: {} on http://{bound} (OpenAI: http://{bound}/v1, Ollama: http://{bound})",
        engine.capabilities().name
    );
    serve(listener, engine, ServeSettings { model_name, token }).await;
    Ok(())
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.into() }
}

/// The served model's name: the model file's stem, or the remote model's name.
fn model_name(config: &Config) -> String {
    if config.engine.backend != infill_engine::Backend::Embedded
        && let Some(model) = &config.engine.model
    {
        return model.clone();
    }
    config
        .model
        .path
        .as_ref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .or_else(|| config.model.hf_file.clone())
        .unwrap_or_else(|| "infill".into())
}

/// Serves connections from `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, engine: Arc<dyn Engine>, settings: ServeSettings) {
    let server = Arc::new(Server { engine, settings, ids: AtomicU64::new(1) });
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let server = Arc::clone(&server);
        tokio::spawn(async move { server.connection(Conn::new(stream)).await });
    }
}

pub(crate) struct Server {
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) settings: ServeSettings,
    ids: AtomicU64,
}

/// An answer that is not a stream.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        Reply { status, content_type: "application/json", body: value.to_string().into_bytes() }
    }
}

/// Which API a route belongs to (for the shape of its errors).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    OpenAi,
    Ollama,
}

/// An error answer in the API's shape.
pub(crate) fn error(api: Api, status: u16, message: &str) -> Reply {
    match api {
        Api::OpenAi => {
            let kind = match status {
                401 => "authentication_error",
                404 => "not_found_error",
                500..=599 => "server_error",
                _ => "invalid_request_error",
            };
            Reply::json(status, &json!({"error": {"message": message, "type": kind, "code": null}}))
        }
        Api::Ollama => Reply::json(status, &json!({"error": message})),
    }
}

/// The status for an engine error.
pub(crate) fn engine_error(api: Api, error: &EngineError) -> Reply {
    let status = match error {
        EngineError::InvalidRequest(_) => 400,
        EngineError::Unavailable(_) => 503,
        EngineError::Backend(_) => 500,
    };
    self::error(api, status, &error.to_string())
}

/// Turns one generation event into the bytes of the stream (an SSE event, an NDJSON line).
pub(crate) type Render = Box<dyn FnMut(&infill_engine::GenerateEvent) -> Vec<u8> + Send>;

/// Turns a finished generation into the answer.
pub(crate) type Finish =
    Box<dyn FnOnce(Result<infill_engine::Completed, EngineError>) -> Reply + Send>;

/// A streamed answer: the generation, and how each event and the end are written.
pub(crate) struct Stream {
    pub content_type: &'static str,
    pub generation: Generation,
    pub render: Render,
    pub end: Vec<u8>,
}

/// What a route answers.
pub(crate) enum Answer {
    Reply(Reply),
    Stream(Stream),
    /// Run the generation to its end (watching for the client hanging up), then answer.
    Collect(Generation, Finish),
}

impl Server {
    async fn connection(&self, mut conn: Conn) {
        loop {
            let request = match conn.read_request().await {
                Ok(Some(request)) => request,
                Ok(None) => return,
                Err(BadRequest(status, message)) => {
                    let reply = error(Api::OpenAi, status, &message);
                    let _ = conn.respond(reply.status, reply.content_type, &reply.body, true).await;
                    return;
                }
            };
            let close = request.close;
            let api = if request.path.starts_with("/api/") { Api::Ollama } else { Api::OpenAi };
            let answer = match self.authorized(&request) {
                Err(reply) => Answer::Reply(reply),
                Ok(()) => self.route(api, &request),
            };
            let keep = match answer {
                Answer::Reply(reply) => {
                    conn.respond(reply.status, reply.content_type, &reply.body, close).await.is_ok()
                }
                Answer::Stream(stream) => {
                    let Stream { content_type, generation, render, end } = stream;
                    matches!(
                        conn.stream(content_type, generation, render, &end, close).await,
                        Ok(http::Streamed::Done)
                    )
                }
                Answer::Collect(generation, finish) => match conn.collect(generation).await {
                    None => false,
                    Some(result) => {
                        let reply = finish(result);
                        conn.respond(reply.status, reply.content_type, &reply.body, close)
                            .await
                            .is_ok()
                    }
                },
            };
            if close || !keep {
                return;
            }
        }
    }

    fn authorized(&self, request: &Request) -> Result<(), Reply> {
        let Some(token) = &self.settings.token else { return Ok(()) };
        let api = if request.path.starts_with("/api/") { Api::Ollama } else { Api::OpenAi };
        let sent = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer ").or(value.strip_prefix("bearer ")))
            .map(str::trim);
        match sent {
            Some(sent) if constant_time_eq(sent.as_bytes(), token.as_bytes()) => Ok(()),
            Some(_) => Err(error(api, 401, "invalid bearer token")),
            None => Err(error(api, 401, "this server needs `Authorization: Bearer <token>`")),
        }
    }

    fn route(&self, api: Api, request: &Request) -> Answer {
        let method = request.method.as_str();
        let path = request.path.trim_end_matches('/');
        let body = || -> Result<Value, Reply> {
            serde_json::from_slice(&request.body)
                .map_err(|e| error(api, 400, &format!("the body is not JSON: {e}")))
        };
        let with_body = |handler: &dyn Fn(Value) -> Result<Answer, Reply>| -> Answer {
            match body().and_then(handler) {
                Ok(answer) => answer,
                Err(reply) => Answer::Reply(reply),
            }
        };
        match (method, path) {
            ("GET" | "HEAD", "") => Answer::Reply(Reply {
                status: 200,
                content_type: "text/plain",
                body: b"Infill is running".to_vec(),
            }),
            ("GET", "/v1/models") => Answer::Reply(openai::models(self)),
            ("GET", model) if model.starts_with("/v1/models/") => {
                Answer::Reply(openai::model(self, &model["/v1/models/".len()..]))
            }
            ("POST", "/v1/completions") => with_body(&|b| openai::completions(self, b)),
            ("POST", "/v1/chat/completions") => with_body(&|b| openai::chat(self, b)),
            ("GET", "/api/tags") => Answer::Reply(ollama::tags(self)),
            ("GET", "/api/ps") => Answer::Reply(ollama::tags(self)),
            ("GET", "/api/version") => {
                Answer::Reply(Reply::json(200, &json!({"version": env!("CARGO_PKG_VERSION")})))
            }
            ("POST", "/api/show") => Answer::Reply(ollama::show(self)),
            ("POST", "/api/generate") => with_body(&|b| ollama::generate(self, b)),
            ("POST", "/api/chat") => with_body(&|b| ollama::chat(self, b)),
            (
                _,
                "/v1/models"
                | "/v1/completions"
                | "/v1/chat/completions"
                | "/api/tags"
                | "/api/show"
                | "/api/generate"
                | "/api/chat"
                | "/api/version",
            ) => Answer::Reply(error(api, 405, &format!("{method} is not allowed on {path}"))),
            _ => Answer::Reply(error(api, 404, &format!("no route {method} {path}"))),
        }
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Starts a generation; `None` with an error reply when the request is empty.
    pub(crate) fn generate(&self, request: GenerateRequest) -> Generation {
        self.engine.generate(request)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// OpenAI's and Ollama's name for why a generation ended.
pub(crate) fn finish_name(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Length | FinishReason::TimeBudget => "length",
        FinishReason::Stop | FinishReason::Cancelled => "stop",
    }
}

/// Seconds since the epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Now as RFC 3339 UTC (`2025-01-02T03:04:05.678Z`), as Ollama writes `created_at`.
pub(crate) fn rfc3339_now() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        now.subsec_millis()
    )
}

/// `stop` as a string or a list of strings.
pub(crate) fn stops(value: Option<&Value>) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(stop)) => Ok(vec![stop.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string).ok_or("stop: not a list of strings"))
            .collect::<Result<_, _>>()
            .map_err(str::to_string),
        Some(_) => Err("stop: a string or a list of strings".into()),
    }
}

/// A number field, checked: `Ok(None)` when absent or null.
pub(crate) fn number(body: &Value, key: &str) -> Result<Option<f64>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_f64().map(Some).ok_or_else(|| format!("{key}: not a number")),
    }
}

/// A count field (a non-negative integer; Ollama's `-1` for "no limit" is `None`).
pub(crate) fn count(body: &Value, key: &str) -> Result<Option<usize>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_i64() {
            Some(n) if n < 0 => Ok(None),
            Some(n) => Ok(Some(n as usize)),
            None => Err(format!("{key}: not an integer")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_fields() {
        let now = rfc3339_now();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
        let year: u32 = now[..4].parse().unwrap();
        assert!(year >= 2024);
        assert_eq!(stops(Some(&json!("\n"))).unwrap(), ["\n"]);
        assert_eq!(stops(Some(&json!(["a", "b"]))).unwrap(), ["a", "b"]);
        assert!(stops(Some(&json!([1]))).is_err());
        assert_eq!(count(&json!({"n": -1}), "n").unwrap(), None);
        assert_eq!(count(&json!({"n": 7}), "n").unwrap(), Some(7));
        assert!(count(&json!({"n": "x"}), "n").is_err());
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
    }
}
