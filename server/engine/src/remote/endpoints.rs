//! Where a request goes: the endpoints of one model, least-outstanding balancing, connection
//! retries with backoff, failover before the first byte, `Retry-After`, and the error messages
//! that say what to fix.

use super::*;

/// Rounds of connection attempts over the endpoints that refused or timed out connecting.
pub(super) const CONNECT_ROUNDS: u32 = 3;
/// The wait before the second round; it doubles for each next one.
pub(super) const BACKOFF: Duration = Duration::from_millis(50);
/// The longest `Retry-After` honoured; a busy server asking for more is failed over.
pub(super) const MAX_RETRY_AFTER: Duration = Duration::from_secs(2);

/// The server's explanation in an error body, as `: message` (empty when there is none).
pub(super) fn server_message(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return String::new();
    }
    let text = match serde_json::from_str::<Value>(body) {
        Ok(value) => value
            .get("error")
            .or_else(|| value.get("message"))
            .or_else(|| value.get("detail"))
            .map(error_text)
            .unwrap_or_else(|| value.to_string()),
        Err(_) => body.to_string(),
    };
    let mut text: String = text.chars().take(300).collect();
    text.insert_str(0, ": ");
    text
}

/// An error with its chain of causes (reqwest's own message omits them).
pub(super) fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

pub(super) struct Endpoint {
    pub(super) url: String,
    pub(super) outstanding: AtomicUsize,
}

pub(super) struct Shared {
    pub(super) api: Backend,
    pub(super) client: reqwest::Client,
    pub(super) endpoints: Vec<Endpoint>,
    pub(super) model: String,
    pub(super) api_key_env: String,
    pub(super) api_key: Option<String>,
    pub(super) context_length: Option<usize>,
    pub(super) first_byte_timeout: Duration,
    pub(super) busy: AtomicUsize,
}

/// Holds one outstanding request on an endpoint.
pub(super) struct Slot {
    pub(super) shared: Arc<Shared>,
    pub(super) index: usize,
}

impl Slot {
    pub(super) fn take(shared: &Arc<Shared>, index: usize) -> Slot {
        shared.endpoints[index].outstanding.fetch_add(1, Ordering::SeqCst);
        Slot { shared: Arc::clone(shared), index }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.endpoints[self.index].outstanding.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a generation in [`Engine::busy`] until its task ends (or is dropped unstarted).
pub(super) struct Busy(pub(super) Arc<Shared>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

type Body = BoxStream<'static, Result<Vec<u8>, reqwest::Error>>;

/// A response whose first bytes arrived.
pub(super) struct Opened {
    pub(super) body: Body,
    pub(super) first: Vec<u8>,
    pub(super) slot: Slot,
}

/// Why one attempt on one endpoint failed.
pub(super) enum Failure {
    /// Not worth trying elsewhere (a bad key, an unknown model, a rejected request).
    Fatal(EngineError),
    /// The connection failed: retried with backoff.
    Connect(String),
    /// The server is busy; `wait` is its `Retry-After`.
    Busy { message: String, wait: Option<Duration> },
    /// Anything else before the first byte: fail over.
    Other(String),
}

impl Shared {
    /// Endpoint indices, fewest outstanding requests first (ties in configuration order).
    pub(super) fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.endpoints.len()).collect();
        order.sort_by_key(|&i| self.endpoints[i].outstanding.load(Ordering::SeqCst));
        order
    }

    /// Sends the request to the endpoints in turn until one starts answering.
    pub(super) async fn open(
        self: &Arc<Self>,
        route: &str,
        body: &Value,
    ) -> Result<Opened, EngineError> {
        let mut errors: Vec<(usize, String, u32)> = Vec::new();
        let mut pending = self.order();
        for round in 0..CONNECT_ROUNDS {
            if round > 0 {
                tokio::time::sleep(BACKOFF * (1 << (round - 1))).await;
            }
            let mut retry = Vec::new();
            for index in pending {
                let (message, again) = match self.attempt(index, route, body).await {
                    Ok(opened) => return Ok(opened),
                    Err(Failure::Fatal(error)) => return Err(self.with_tried(error, &errors)),
                    Err(Failure::Connect(message)) => (message, true),
                    Err(Failure::Busy { message, .. } | Failure::Other(message)) => {
                        (message, false)
                    }
                };
                match errors.iter_mut().find(|(i, _, _)| *i == index) {
                    Some(entry) => {
                        entry.1 = message;
                        entry.2 += 1;
                    }
                    None => errors.push((index, message, 1)),
                }
                if again {
                    retry.push(index);
                }
            }
            if retry.is_empty() {
                break;
            }
            pending = retry;
        }
        Err(EngineError::Unavailable(format!(
            "no endpoint could serve the request: {}",
            self.tried(&errors)
        )))
    }

    pub(super) fn tried(&self, errors: &[(usize, String, u32)]) -> String {
        errors
            .iter()
            .map(|(index, message, tries)| {
                let url = &self.endpoints[*index].url;
                if *tries > 1 {
                    format!("{url}: {message} ({tries} tries)")
                } else {
                    format!("{url}: {message}")
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(super) fn with_tried(
        &self,
        error: EngineError,
        errors: &[(usize, String, u32)],
    ) -> EngineError {
        if errors.is_empty() {
            return error;
        }
        let before = format!(" (tried before: {})", self.tried(errors));
        match error {
            EngineError::Unavailable(m) => EngineError::Unavailable(m + &before),
            EngineError::InvalidRequest(m) => EngineError::InvalidRequest(m + &before),
            EngineError::Backend(m) => EngineError::Backend(m + &before),
        }
    }

    /// One endpoint: the request, up to its first body bytes, within the first-byte timeout;
    /// a busy server with a short `Retry-After` is asked once more after waiting.
    pub(super) async fn attempt(
        self: &Arc<Self>,
        index: usize,
        route: &str,
        body: &Value,
    ) -> Result<Opened, Failure> {
        let mut waited = false;
        loop {
            let slot = Slot::take(self, index);
            let answer =
                tokio::time::timeout(self.first_byte_timeout, self.send(index, route, body)).await;
            match answer {
                Err(_) => {
                    return Err(Failure::Other(format!(
                        "no answer within {} ms (engine.first_byte_timeout_ms)",
                        self.first_byte_timeout.as_millis()
                    )));
                }
                Ok(Ok((body, first))) => return Ok(Opened { body, first, slot }),
                Ok(Err(Failure::Busy { wait: Some(wait), .. }))
                    if !waited && wait <= MAX_RETRY_AFTER =>
                {
                    drop(slot);
                    waited = true;
                    tokio::time::sleep(wait).await;
                }
                Ok(Err(failure)) => return Err(failure),
            }
        }
    }

    pub(super) async fn send(
        &self,
        index: usize,
        route: &str,
        body: &Value,
    ) -> Result<(Body, Vec<u8>), Failure> {
        let url = format!("{}/{route}", self.endpoints[index].url.trim_end_matches('/'));
        let mut request = self.client.post(&url).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|error| {
            if error.is_connect() {
                Failure::Connect(format!("cannot connect: {}", describe(&error)))
            } else {
                Failure::Other(describe(&error))
            }
        })?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = response.text().await.unwrap_or_default();
            return Err(self.status_failure(status, &url, retry_after, &text));
        }
        let mut body = response.bytes_stream().map_ok(|bytes| bytes.to_vec()).boxed();
        loop {
            match body.next().await {
                None => {
                    return Err(Failure::Other("the server answered with an empty body".into()));
                }
                Some(Err(error)) => {
                    return Err(Failure::Other(format!(
                        "the stream broke before the first token: {}",
                        describe(&error)
                    )));
                }
                Some(Ok(bytes)) if bytes.is_empty() => {}
                Some(Ok(bytes)) => return Ok((body, bytes)),
            }
        }
    }

    pub(super) fn status_failure(
        &self,
        status: u16,
        url: &str,
        retry_after: Option<Duration>,
        body: &str,
    ) -> Failure {
        let message = server_message(body);
        let env = &self.api_key_env;
        match status {
            401 | 403 => Failure::Fatal(EngineError::Unavailable(match self.api_key {
                Some(_) => format!(
                    "the server refused the API key (HTTP {status} from {url}): set {env} to a key it accepts{message}"
                ),
                None => format!(
                    "the server wants an API key (HTTP {status} from {url}) and {env} is unset: set {env} to the server's key{message}"
                ),
            })),
            404 => {
                let base = match self.api {
                    Backend::Ollama => "http://host:11434, without /v1",
                    _ => "the API base, e.g. http://host:8000/v1",
                };
                Failure::Fatal(EngineError::Unavailable(format!(
                    "HTTP 404 from {url}: the server has no model `{}` (engine.model) or no such route \
                     (engine.endpoints should be {base}){message}",
                    self.model
                )))
            }
            400 | 413 | 422 => Failure::Fatal(EngineError::InvalidRequest(format!(
                "the server rejected the request (HTTP {status} from {url}){message}"
            ))),
            429 | 503 => Failure::Busy {
                message: match retry_after {
                    Some(wait) => {
                        format!("busy (HTTP {status}, Retry-After {} s){message}", wait.as_secs())
                    }
                    None => format!("busy (HTTP {status}){message}"),
                },
                wait: retry_after,
            },
            _ => Failure::Other(format!("HTTP {status}{message}")),
        }
    }
}
