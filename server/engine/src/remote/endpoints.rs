//! Where a request goes: the endpoints of one model, their health, least-outstanding balancing,
//! connection retries with backoff, failover before the first byte, `Retry-After`, and the error
//! messages that say what to fix.

use super::*;

/// Rounds of connection attempts over the endpoints that refused or timed out connecting.
pub(super) const CONNECT_ROUNDS: u32 = 3;
/// The wait before the second round; it doubles for each next one.
pub(super) const BACKOFF: Duration = Duration::from_millis(50);
/// The longest `Retry-After` a request waits for; a busy server asking for more is failed over
/// (and left alone for as long as it asked).
pub(super) const MAX_RETRY_AFTER: Duration = Duration::from_secs(2);
/// The longest a health check or a tokenizer request may take.
pub(super) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A `Retry-After` value: seconds, or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(super) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate (RFC 9110), the only HTTP date form servers still send.
fn parse_http_date(value: &str) -> Option<std::time::SystemTime> {
    let (_, rest) = value.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == month)? as u64
        + 1;
    let year: u64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || year < 1970 || hour > 23 {
        return None;
    }
    // Days since 1970-01-01 (the civil-from-days algorithm, inverted).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = (era * 146_097 + day_of_era).checked_sub(719_468)?;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(seconds))
}

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
    pub(super) health: std::sync::Mutex<Health>,
}

/// What the last request or health check of an endpoint found.
#[derive(Debug, Clone)]
pub(super) struct Health {
    pub(super) state: EndpointState,
    pub(super) last_error: Option<String>,
    /// When it last failed or was checked (the next check waits `health_interval`).
    pub(super) checked: Option<Instant>,
    /// A busy server's `Retry-After`, as an instant.
    pub(super) retry_at: Option<Instant>,
    /// A health check is in flight.
    pub(super) checking: bool,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            state: EndpointState::Unknown,
            last_error: None,
            checked: None,
            retry_at: None,
            checking: false,
        }
    }
}

impl Endpoint {
    pub(super) fn new(url: String) -> Endpoint {
        Endpoint { url, outstanding: AtomicUsize::new(0), health: Default::default() }
    }

    pub(super) fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn mark_up(&self) {
        let mut health = self.health();
        health.state = EndpointState::Up;
        health.last_error = None;
        health.retry_at = None;
    }

    pub(super) fn mark_down(&self, error: &str) {
        let mut health = self.health();
        health.state = EndpointState::Down;
        health.last_error = Some(error.to_string());
        health.checked = Some(Instant::now());
    }

    pub(super) fn mark_busy(&self, error: &str, wait: Duration) {
        let mut health = self.health();
        health.state = EndpointState::Busy;
        health.last_error = Some(error.to_string());
        health.retry_at = Some(Instant::now() + wait);
    }

    /// 0: usable; 1: busy and asked to wait; 2: down.
    fn rank(&self, now: Instant) -> u8 {
        let health = self.health();
        match health.state {
            EndpointState::Down => 2,
            EndpointState::Busy if health.retry_at.is_some_and(|at| at > now) => 1,
            _ => 0,
        }
    }

    pub(super) fn status(&self) -> EndpointStatus {
        let health = self.health().clone();
        let now = Instant::now();
        EndpointStatus {
            url: self.url.clone(),
            state: health.state,
            outstanding: self.outstanding.load(Ordering::SeqCst),
            last_error: health.last_error,
            retry_in_ms: health
                .retry_at
                .filter(|at| *at > now)
                .map(|at| (at - now).as_millis() as u64),
        }
    }
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
    pub(super) health_interval: Duration,
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

/// The `Retry-After` of a response, if it has a valid one.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, std::time::SystemTime::now())
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
    /// Endpoint indices: usable ones first, then busy ones still inside their `Retry-After`,
    /// then those that are down; within each, fewest outstanding requests first (ties in
    /// configuration order). A down endpoint not checked for `health_interval` gets a health
    /// check in the background.
    pub(super) fn order(self: &Arc<Self>) -> Vec<usize> {
        let now = Instant::now();
        let mut order: Vec<usize> = (0..self.endpoints.len()).collect();
        order.sort_by_key(|&i| {
            let endpoint = &self.endpoints[i];
            (endpoint.rank(now), endpoint.outstanding.load(Ordering::SeqCst))
        });
        for &index in &order {
            let due = {
                let mut health = self.endpoints[index].health();
                let due = health.state == EndpointState::Down
                    && !health.checking
                    && health.checked.is_none_or(|at| now >= at + self.health_interval);
                if due {
                    health.checking = true;
                }
                due
            };
            if due {
                let shared = Arc::clone(self);
                tokio::spawn(async move {
                    shared.check(index).await;
                });
            }
        }
        order
    }

    /// The route that tells whether a server is up, without generating anything.
    fn health_url(&self, index: usize) -> String {
        let url = self.endpoints[index].url.trim_end_matches('/');
        match self.api {
            Backend::Ollama => format!("{url}/api/tags"),
            Backend::Tgi => format!("{url}/health"),
            _ => format!("{url}/models"),
        }
    }

    /// Checks one endpoint now and records what it found.
    pub(super) async fn check(&self, index: usize) -> EndpointStatus {
        let endpoint = &self.endpoints[index];
        let mut request = self.client.get(self.health_url(index));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let timeout = self.first_byte_timeout.min(PROBE_TIMEOUT);
        let answer = tokio::time::timeout(timeout, request.send()).await;
        match answer {
            Err(_) => endpoint
                .mark_down(&format!("health check: no answer within {} ms", timeout.as_millis())),
            Ok(Err(error)) => endpoint.mark_down(&format!("health check: {}", describe(&error))),
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                match status {
                    200..=299 => endpoint.mark_up(),
                    // It answers; whether it takes our key or has the model shows on a request.
                    401 | 403 | 404 | 405 => {
                        endpoint.mark_up();
                        endpoint.health().last_error = Some(format!(
                            "health check: HTTP {status} from {}",
                            self.health_url(index)
                        ));
                    }
                    429 | 503 => {
                        let wait = retry_after(&response).unwrap_or(self.health_interval);
                        endpoint.mark_busy(&format!("health check: busy (HTTP {status})"), wait);
                    }
                    _ => endpoint.mark_down(&format!("health check: HTTP {status}")),
                }
            }
        }
        let mut health = endpoint.health();
        health.checking = false;
        health.checked = Some(Instant::now());
        drop(health);
        endpoint.status()
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

    /// One endpoint: the request, up to its first body bytes, within the first-byte timeout.
    /// A busy server is left alone for the `Retry-After` it asked for: a short wait is waited
    /// (once), a long one fails over without contacting it. What happens is recorded in the
    /// endpoint's health.
    pub(super) async fn attempt(
        self: &Arc<Self>,
        index: usize,
        route: &str,
        body: &Value,
    ) -> Result<Opened, Failure> {
        let endpoint = &self.endpoints[index];
        let mut waited = false;
        let asked = endpoint.health().retry_at.filter(|at| *at > Instant::now());
        if let Some(at) = asked {
            let left = at.saturating_duration_since(Instant::now());
            if left > MAX_RETRY_AFTER {
                return Err(Failure::Busy {
                    message: format!(
                        "busy: it asked to be left alone for {} ms more (Retry-After)",
                        left.as_millis()
                    ),
                    wait: None,
                });
            }
            waited = true;
            tokio::time::sleep(left).await;
        }
        loop {
            let slot = Slot::take(self, index);
            let answer =
                tokio::time::timeout(self.first_byte_timeout, self.send(index, route, body)).await;
            let failure = match answer {
                Err(_) => Failure::Other(format!(
                    "no answer within {} ms (engine.first_byte_timeout_ms)",
                    self.first_byte_timeout.as_millis()
                )),
                Ok(Ok((body, first))) => {
                    endpoint.mark_up();
                    return Ok(Opened { body, first, slot });
                }
                Ok(Err(failure)) => failure,
            };
            drop(slot);
            match &failure {
                Failure::Busy { message, wait } => {
                    endpoint.mark_busy(message, wait.unwrap_or(Duration::ZERO));
                    if let Some(wait) = *wait
                        && !waited
                        && wait <= MAX_RETRY_AFTER
                    {
                        waited = true;
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                }
                Failure::Connect(message) | Failure::Other(message) => endpoint.mark_down(message),
                Failure::Fatal(error) => {
                    // It answered: up, but the request cannot succeed as configured.
                    endpoint.mark_up();
                    endpoint.health().last_error = Some(error.to_string());
                }
            }
            return Err(failure);
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
            let retry_after = retry_after(&response);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:00 GMT", UNIX_EPOCH),
            Some(Duration::from_secs(1_767_225_600))
        );
        assert_eq!(
            parse_retry_after("Tue, 29 Feb 2028 12:00:00 GMT", UNIX_EPOCH),
            Some(Duration::from_secs(1_835_438_400))
        );
        for bad in
            ["soon", "-1", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST", ""]
        {
            assert_eq!(parse_retry_after(bad, SystemTime::now()), None, "{bad}");
        }
    }
}
