//! A small JSON-RPC/LSP client for the protocol tests: Content-Length framing over any byte
//! streams (an in-process duplex pipe or a child process's stdio).

#![allow(dead_code)]

pub mod server;
pub mod workspace;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

pub struct Client<R, W> {
    reader: BufReader<R>,
    writer: W,
    next_id: i64,
    /// Messages read while waiting for something else (notifications, other responses).
    pub pending: Vec<Value>,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Client<R, W> {
    pub fn new(reader: R, writer: W) -> Self {
        Self { reader: BufReader::new(reader), writer, next_id: 1, pending: Vec::new() }
    }

    pub async fn send_raw(&mut self, body: &[u8]) {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.writer.write_all(header.as_bytes()).await.unwrap();
        self.writer.write_all(body).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    pub async fn send(&mut self, message: &Value) {
        self.send_raw(message.to_string().as_bytes()).await;
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params})).await;
    }

    /// Sends a request and returns its id without waiting.
    pub async fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        id
    }

    /// Sends a request and waits for its response (the whole response object).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params).await;
        self.response(id).await
    }

    pub async fn read_message(&mut self) -> Value {
        let mut length = None;
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).await.unwrap();
            assert!(n > 0, "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = Some(value.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        self.reader.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// The next message that is not a notification or a request from the server.
    pub async fn next_response(&mut self) -> Value {
        loop {
            let message = self.read_message().await;
            if message.get("method").is_none() {
                return message;
            }
            self.pending.push(message);
        }
    }

    /// Waits (up to 60 s) for the response with `id`.
    pub async fn response(&mut self, id: i64) -> Value {
        if let Some(index) =
            self.pending.iter().position(|m| m["id"] == json!(id) && m.get("method").is_none())
        {
            return self.pending.remove(index);
        }
        tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                let message = self.read_message().await;
                if message["id"] == json!(id) && message.get("method").is_none() {
                    return message;
                }
                // Answer server-to-client requests so the server never waits on us.
                if message.get("method").is_some() && message.get("id").is_some() {
                    let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": null});
                    self.send(&reply).await;
                }
                self.pending.push(message);
            }
        })
        .await
        .expect("a response within 120 s")
    }

    pub async fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let response = self
            .request(
                "initialize",
                json!({"processId": null, "rootUri": null, "capabilities": capabilities, "initializationOptions": options}),
            )
            .await;
        self.notify("initialized", json!({})).await;
        response
    }
}

/// A client on the stdio of the built binary.
pub type StdioClient = Client<tokio::process::ChildStdout, tokio::process::ChildStdin>;

/// The cache directory of the servers the tests start, instead of the user's
/// (`~/.cache/infill`, or wherever `INFILL_CACHE_DIR` points): the on-disk index of a test's
/// workspace and the explanations go here. It is `infill-cache/` in Cargo's scratch directory
/// for integration tests (`target/tmp`), shared by the test binaries and kept between runs
/// without growing: a test's index is named by its root, a temporary directory, and each save
/// deletes the index files whose root is gone.
pub fn test_cache_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("infill-cache");
        std::fs::create_dir_all(&dir).expect("the tests' cache directory can be created");
        dir
    })
}

/// The on-disk index file of the workspace `root` in [`test_cache_dir`], if a server wrote one:
/// the `.index` file that names the root (as given, or canonical).
pub fn index_file_of(root: &Path) -> Option<PathBuf> {
    let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let names = [root.to_string_lossy().into_owned(), canonical.to_string_lossy().into_owned()];
    let entries = std::fs::read_dir(test_cache_dir().join("index")).ok()?;
    entries.filter_map(Result::ok).map(|entry| entry.path()).find(|path| {
        path.extension().is_some_and(|extension| extension == "index")
            && std::fs::read(path).is_ok_and(|bytes| {
                names.iter().any(|name| bytes.windows(name.len()).any(|w| w == name.as_bytes()))
            })
    })
}

/// Starts the built `infill` binary with `args` and `envs` (the model defaults to a path that does
/// not exist; the cache is [`test_cache_dir`]; logs are off), killed when dropped, and a client
/// on its stdio.
pub fn spawn_binary(args: &[&str], envs: &[(&str, &str)]) -> (tokio::process::Child, StdioClient) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_infill"));
    command
        .args(args)
        .env("INFILL_MODEL", "/nonexistent/model.gguf")
        .env("INFILL_CACHE_DIR", test_cache_dir())
        .env("INFILL_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the infill binary starts");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    (child, Client::new(stdout, stdin))
}

/// The length of `text` in UTF-16 code units.
pub fn utf16_len(text: &str) -> u32 {
    text.encode_utf16().count() as u32
}
