//! Just enough HTTP/1.1 for `infill serve`: requests with a `Content-Length` or chunked body,
//! keep-alive, complete answers and chunked streams, and noticing a client that hangs up while
//! its answer is being generated (the generation is then dropped, which cancels it).

use std::io;

use infill_engine::{GenerateEvent, Generation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest request head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body accepted.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// One request.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client wants the connection closed after the answer.
    pub close: bool,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A request that cannot be read: answered with this status and message, then the connection
/// closes.
#[derive(Debug)]
pub(crate) struct BadRequest(pub u16, pub String);

/// One client connection.
pub(crate) struct Conn {
    stream: TcpStream,
    /// Bytes read past the current request (the start of the next one).
    pending: Vec<u8>,
}

/// How a streamed answer ended.
pub(crate) enum Streamed {
    /// The generation ended and the client has the whole answer.
    Done,
    /// The client hung up first; the generation was dropped.
    Gone,
}

/// The next generation event, unless the client hangs up first.
enum Next {
    Event(Option<GenerateEvent>),
    Gone,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn { stream, pending: Vec::new() }
    }

    async fn fill(&mut self) -> io::Result<usize> {
        let mut buf = [0u8; 16 * 1024];
        let n = self.stream.read(&mut buf).await?;
        self.pending.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    /// The next request; `Ok(None)` when the client closed the connection between requests.
    pub(crate) async fn read_request(&mut self) -> Result<Option<Request>, BadRequest> {
        let head_end = loop {
            if let Some(i) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if self.pending.len() > MAX_HEAD {
                return Err(BadRequest(431, "the request head is too large".into()));
            }
            match self.fill().await {
                Ok(0) | Err(_) if self.pending.iter().all(u8::is_ascii_whitespace) => {
                    return Ok(None);
                }
                Ok(0) | Err(_) => return Err(BadRequest(400, "the request ended early".into())),
                Ok(_) => {}
            }
        };
        let head = String::from_utf8_lossy(&self.pending[..head_end]).into_owned();
        self.pending.drain(..head_end);
        let mut lines = head.trim_start().split("\r\n");
        let start = lines.next().unwrap_or_default();
        let mut parts = start.split(' ');
        let (Some(method), Some(target), Some(version)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(BadRequest(400, format!("not an HTTP request line: {start:.100}")));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(BadRequest(505, format!("unsupported HTTP version {version:.20}")));
        }
        let path = target.split(['?', '#']).next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let Some((name, value)) = line.split_once(':') else {
                return Err(BadRequest(400, format!("malformed header line: {line:.100}")));
            };
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        let find = |name: &str| {
            headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
        };
        let connection = find("connection").unwrap_or_default().to_ascii_lowercase();
        let close = connection.contains("close")
            || (version == "HTTP/1.0" && !connection.contains("keep-alive"));
        if find("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
            let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
        }
        let chunked =
            find("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
        let body = if chunked {
            self.read_chunked().await?
        } else {
            let length = match find("content-length") {
                None => 0,
                Some(value) => value
                    .parse::<usize>()
                    .map_err(|_| BadRequest(400, format!("bad Content-Length `{value:.40}`")))?,
            };
            if length > MAX_BODY {
                return Err(BadRequest(413, format!("the body is over {MAX_BODY} bytes")));
            }
            while self.pending.len() < length {
                match self.fill().await {
                    Ok(0) | Err(_) => return Err(BadRequest(400, "the body ended early".into())),
                    Ok(_) => {}
                }
            }
            self.pending.drain(..length).collect()
        };
        Ok(Some(Request { method: method.to_string(), path, headers, body, close }))
    }

    async fn read_line(&mut self) -> Result<String, BadRequest> {
        loop {
            if let Some(i) = self.pending.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.pending[..i]).into_owned();
                self.pending.drain(..i + 2);
                return Ok(line);
            }
            if self.pending.len() > MAX_HEAD {
                return Err(BadRequest(400, "a chunk header is too long".into()));
            }
            match self.fill().await {
                Ok(0) | Err(_) => return Err(BadRequest(400, "the body ended early".into())),
                Ok(_) => {}
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, BadRequest> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| BadRequest(400, format!("bad chunk size `{size:.20}`")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(BadRequest(413, format!("the body is over {MAX_BODY} bytes")));
            }
            while self.pending.len() < size + 2 {
                match self.fill().await {
                    Ok(0) | Err(_) => return Err(BadRequest(400, "the body ended early".into())),
                    Ok(_) => {}
                }
            }
            body.extend(self.pending.drain(..size));
            self.pending.drain(..2);
        }
    }

    /// A complete answer.
    pub(crate) async fn respond(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
        close: bool,
    ) -> io::Result<()> {
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{}\r\n",
            reason(status),
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes).await?;
        self.stream.flush().await
    }

    /// The next event of `generation`, or `Gone` when the client hangs up first (any bytes it
    /// sends meanwhile are kept for the next request).
    async fn next_event(&mut self, generation: &mut Generation) -> Next {
        let mut buf = [0u8; 4096];
        loop {
            tokio::select! {
                event = generation.next() => return Next::Event(event),
                read = self.stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return Next::Gone,
                    Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                },
            }
        }
    }

    /// Runs `generation` to its end, watching for the client hanging up: `None` if it did.
    pub(crate) async fn collect(
        &mut self,
        mut generation: Generation,
    ) -> Option<Result<infill_engine::Completed, infill_engine::EngineError>> {
        let mut text = String::new();
        loop {
            match self.next_event(&mut generation).await {
                Next::Gone => return None,
                Next::Event(None) => {
                    return Some(Err(infill_engine::EngineError::Backend(
                        "the generation ended without a result".into(),
                    )));
                }
                Next::Event(Some(GenerateEvent::Delta(delta))) => text.push_str(&delta),
                Next::Event(Some(GenerateEvent::Done { reason, stats })) => {
                    return Some(Ok(infill_engine::Completed { text, reason, stats }));
                }
                Next::Event(Some(GenerateEvent::Failed(error))) => return Some(Err(error)),
            }
        }
    }

    /// Streams `generation` as a chunked answer: `render` turns each event into bytes (an SSE
    /// event, an NDJSON line) and `end` gives the closing bytes. A client that hangs up drops
    /// the generation, which cancels it.
    pub(crate) async fn stream(
        &mut self,
        content_type: &str,
        mut generation: Generation,
        mut render: impl FnMut(&GenerateEvent) -> Vec<u8>,
        end: &[u8],
        close: bool,
    ) -> io::Result<Streamed> {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n{}\r\n",
            if close { "Connection: close\r\n" } else { "" }
        );
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.flush().await?;
        loop {
            let event = match self.next_event(&mut generation).await {
                Next::Gone => return Ok(Streamed::Gone),
                Next::Event(event) => event,
            };
            let last = !matches!(event, Some(GenerateEvent::Delta(_)));
            let mut bytes = match &event {
                Some(event) => render(event),
                None => render(&GenerateEvent::Failed(infill_engine::EngineError::Backend(
                    "the generation ended without a result".into(),
                ))),
            };
            if last {
                bytes.extend_from_slice(end);
            }
            if !bytes.is_empty() {
                let mut chunk = format!("{:x}\r\n", bytes.len()).into_bytes();
                chunk.extend_from_slice(&bytes);
                chunk.extend_from_slice(b"\r\n");
                if self.stream.write_all(&chunk).await.is_err()
                    || self.stream.flush().await.is_err()
                {
                    return Ok(Streamed::Gone);
                }
            }
            if last {
                self.stream.write_all(b"0\r\n\r\n").await?;
                self.stream.flush().await?;
                return Ok(Streamed::Done);
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}
