//! Soak: a scripted client makes thousands of random edits over 20 files, with completion
//! requests interleaved (some cancelled right after, some superseded by the next one), against
//! the in-process server with a scripted engine; afterwards the server's text of every file is
//! the client's model of it, and every request was answered without an internal error.
//!
//! `INFILL_SOAK_EDITS` changes the number of edits (default 10,000). A shorter soak runs the real
//! default model in process (`INFILL_MODEL_SOAK_EDITS`, default 400).
//!
//! The `#[ignore]`d `soak_rss_of_the_binary` reports the resident memory of the built binary
//! over a soak (see docs/benchmarks.md, "Soak (server process)").

mod common;

use std::collections::HashMap;

use common::server::*;
use common::{spawn_binary, utf16_len};
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

/// A tiny seeded xorshift64* generator: deterministic runs without a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// What gets inserted: ASCII, two- and three-byte characters, astral ones (surrogate pairs in
/// UTF-16), a ZWJ sequence, line breaks (`\n`, `\r\n`) and characters that are no line break
/// for LSP (a lone `\r` is avoided: see [`Model::boundary`]; U+2028 is an ordinary character).
const PIECES: &[&str] = &[
    "a",
    "x = 1",
    "é",
    "日本",
    "😀",
    "𐐀",
    "👩‍💻",
    "\n",
    "\r\n",
    "    ",
    "fn f() {}\n",
    "\u{2028}",
    "ß𝄞",
    "\t",
    "\"",
    "{",
    "}",
];

/// The client's model of one file, and how positions are counted in it.
struct Model {
    uri: String,
    text: String,
    version: i32,
}

impl Model {
    /// The char boundaries of the text as byte offsets, end included.
    fn boundaries(&self) -> Vec<usize> {
        self.text.char_indices().map(|(i, _)| i).chain([self.text.len()]).collect()
    }

    /// A random byte offset on a char boundary that is not between the `\r` and the `\n` of a
    /// `\r\n` (the server counts that `\r` as part of the line break, so no position names it).
    fn boundary(&self, rng: &mut Rng) -> usize {
        let boundaries = self.boundaries();
        let offset = boundaries[rng.below(boundaries.len())];
        self.clean(offset)
    }

    fn clean(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        if offset > 0 && bytes[offset - 1] == b'\r' && bytes.get(offset) == Some(&b'\n') {
            offset - 1
        } else {
            offset
        }
    }

    /// The LSP position (UTF-16) of a byte offset: lines end at `\n`.
    fn position(&self, offset: usize) -> Value {
        let before = &self.text[..offset];
        let line = before.matches('\n').count();
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        json!({"line": line, "character": utf16_len(&before[line_start..])})
    }

    fn random_text(rng: &mut Rng) -> String {
        (0..rng.below(4)).map(|_| PIECES[rng.below(PIECES.len())]).collect()
    }

    /// One random change: mostly small ranges, some longer ones, a few whole replacements.
    /// Applies it to the model and returns its wire form.
    fn random_change(&mut self, rng: &mut Rng) -> Value {
        if rng.chance(1) {
            let text: String =
                (0..rng.below(40)).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            self.text = text.clone();
            return json!({"text": text});
        }
        let start = self.boundary(rng);
        let end = if rng.chance(60) {
            start
        } else {
            let boundaries = self.boundaries();
            let first = boundaries.partition_point(|&b| b < start);
            let span = if rng.chance(90) { 4 } else { 200 };
            let last = (first + rng.below(span)).min(boundaries.len() - 1);
            self.clean(boundaries[last]).max(start)
        };
        let text = Model::random_text(rng);
        let change = json!({
            "range": {"start": self.position(start), "end": self.position(end)},
            "text": text,
        });
        self.text.replace_range(start..end, &text);
        change
    }
}

/// Answers instantly with a short line; every 5th answer streams slowly enough that a cancel or
/// a newer request can catch it mid-generation.
fn engine() -> std::sync::Arc<ScriptedEngine> {
    let count = std::sync::atomic::AtomicUsize::new(0);
    std::sync::Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, move |_| {
        if count.fetch_add(1, std::sync::atomic::Ordering::Relaxed).is_multiple_of(5) {
            ScriptedReply::slow("value + 1", std::time::Duration::from_millis(1))
        } else {
            ScriptedReply::text("value")
        }
    }))
}

/// Edits from `INFILL_SOAK_EDITS`, 10,000 by default.
fn edit_count() -> usize {
    std::env::var("INFILL_SOAK_EDITS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

/// Reads the responses of `outstanding`, checking each: a result, or a cancellation (a
/// `$/cancelRequest`, or a newer request for the same document). Returns how many there were.
async fn drain(
    client: &mut TestClient,
    outstanding: &mut Vec<i64>,
    outcomes: &mut HashMap<&'static str, usize>,
) {
    for id in outstanding.drain(..) {
        let response = client.response(id).await;
        match response.get("error") {
            None => *outcomes.entry("result").or_default() += 1,
            Some(error) => {
                assert_eq!(error["code"], -32800, "request {id}: {response}");
                *outcomes.entry("cancelled").or_default() += 1;
            }
        }
    }
    // Notifications from the server are not needed; keep the buffer small.
    client.pending.retain(|m| m.get("method").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_random_edits_and_completions_keep_every_document_intact() {
    let started = std::time::Instant::now();
    let edits = edit_count();
    let mut client = start(infill::lsp::EngineSource::Given(engine()));
    client.initialize(inline_capabilities(), Value::Null).await;
    let mut rng = Rng::new(0x5eed_1234_abcd);
    let languages = [("py", "python"), ("rs", "rust"), ("ts", "typescript"), ("txt", "plaintext")];
    let mut files: Vec<Model> = (0..20)
        .map(|i| {
            let (extension, _) = languages[i % languages.len()];
            Model {
                uri: format!("file:///soak/src/file{i}.{extension}"),
                text: format!("// file {i} 😀\nvalue = {i}\n"),
                version: 1,
            }
        })
        .collect();
    for (i, file) in files.iter().enumerate() {
        open(&mut client, &file.uri, languages[i % languages.len()].1, &file.text).await;
    }

    let mut outstanding = Vec::new();
    let mut outcomes = HashMap::new();
    let (mut requests, mut cancels, mut superseding, mut changes) = (0, 0, 0, 0);
    for edit in 0..edits {
        let file = &mut files[rng.below(20)];
        file.version += 1;
        let count = 1 + usize::from(rng.chance(20)) + usize::from(rng.chance(5));
        let content_changes: Vec<Value> =
            (0..count).map(|_| file.random_change(&mut rng)).collect();
        changes += content_changes.len();
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": file.uri, "version": file.version}, "contentChanges": content_changes}),
            )
            .await;
        // About one completion request per four edits, at a random position.
        if rng.chance(25) {
            let method = if rng.chance(70) {
                "textDocument/inlineCompletion"
            } else {
                "textDocument/completion"
            };
            let offset = file.boundary(&mut rng);
            let params = json!({
                "textDocument": {"uri": file.uri},
                "position": file.position(offset),
                "context": {"triggerKind": 2},
            });
            let id = client.request_async(method, params.clone()).await;
            requests += 1;
            outstanding.push(id);
            if rng.chance(20) {
                client.notify("$/cancelRequest", json!({"id": id})).await;
                cancels += 1;
            } else if rng.chance(20) {
                // A newer request for the same document replaces this one.
                outstanding.push(client.request_async(method, params).await);
                requests += 1;
                superseding += 1;
            }
        }
        // Now and then, the server's view of a file must match the model (and the replies so
        // far are read, so neither side's buffer fills).
        if edit % 500 == 499 || outstanding.len() >= 32 {
            drain(&mut client, &mut outstanding, &mut outcomes).await;
        }
        if edit % 1000 == 999 {
            let document = server_text(&mut client, &file.uri).await;
            assert_eq!(
                document["result"]["text"].as_str(),
                Some(file.text.as_str()),
                "edit {edit}"
            );
        }
    }
    drain(&mut client, &mut outstanding, &mut outcomes).await;

    for file in &files {
        let document = server_text(&mut client, &file.uri).await;
        assert_eq!(document["result"]["text"].as_str(), Some(file.text.as_str()), "{}", file.uri);
        assert_eq!(document["result"]["version"], file.version, "{}", file.uri);
    }
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["open_documents"], 20, "{status}");
    assert!(
        client.pending.iter().all(|m| m["error"]["code"] != -32603),
        "an internal error: {:?}",
        client.pending
    );
    let answered = outcomes.values().sum::<usize>();
    let total_versions: i32 = files.iter().map(|f| f.version - 1).sum();
    assert_eq!(total_versions as usize, edits);
    assert_eq!(answered, requests, "every completion request was answered once");
    assert!(requests >= edits / 5, "{requests} requests for {edits} edits");
    assert!(outcomes.get("result").copied().unwrap_or(0) > requests / 2, "{outcomes:?}");
    eprintln!(
        "soak: {edits} didChange ({changes} changes), {requests} completion requests \
         ({cancels} cancelled, {superseding} superseded): {outcomes:?} in {:?}",
        started.elapsed()
    );
}

/// Found by the soak: a completion at the very start of a file makes an empty prompt for a
/// prefix-only model, which the engine refuses; that is no suggestion, not the "AI unavailable"
/// error (-32001) it used to be.
#[tokio::test]
async fn a_completion_with_an_empty_prompt_is_no_suggestion_not_an_error() {
    let (_, source) = scripted(&[]);
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/empty.py";
    open(&mut client, uri, "python", "").await;
    for method in ["textDocument/inlineCompletion", "textDocument/completion"] {
        let response = client
            .request(
                method,
                json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}, "context": {"triggerKind": 1}}),
            )
            .await;
        assert!(response.get("error").is_none(), "{method}: {response}");
    }
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["engine"], "ready", "{status}");
}

/// VmRSS of process `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The resident memory of the real binary over a soak: the binary has no scripted engine, so it
/// runs with a model path that does not exist, and each completion gets the "model unavailable"
/// error; edits and requests go through the same edge. Prints VmRSS after a warm-up (a tenth of
/// the edits) and at the end. Run with
/// `cargo test --release -p infill --test soak -- --ignored --nocapture soak_rss`.
#[tokio::test]
#[ignore = "a measurement: prints the binary's RSS over a soak"]
async fn soak_rss_of_the_binary() {
    let edits = edit_count() * 3;
    let (child, mut client) = spawn_binary(&["lsp", "--stdio"], &[]);
    let pid = child.id().unwrap();
    client.initialize(inline_capabilities(), Value::Null).await;
    let mut rng = Rng::new(42);
    let mut files: Vec<Model> = (0..20)
        .map(|i| Model {
            uri: format!("file:///soak/src/file{i}.py"),
            text: format!("# file {i}\nvalue = {i}\n"),
            version: 1,
        })
        .collect();
    for file in &files {
        client
            .notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": file.uri, "languageId": "python", "version": 1, "text": file.text}}),
            )
            .await;
    }
    let start_rss = rss_kib(pid);
    let mut warm_rss = 0;
    let mut outstanding = Vec::new();
    for edit in 0..edits {
        if edit == edits / 10 {
            warm_rss = rss_kib(pid);
        }
        let file = &mut files[rng.below(20)];
        file.version += 1;
        // Files grow, then get replaced: a bounded working set, as in an editing session.
        let change = if file.text.len() > 20_000 {
            file.text = format!("# replaced at {edit}\n");
            json!({"text": file.text})
        } else {
            file.random_change(&mut rng)
        };
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": file.uri, "version": file.version}, "contentChanges": [change]}),
            )
            .await;
        if rng.chance(25) {
            let offset = file.boundary(&mut rng);
            let params = json!({"textDocument": {"uri": file.uri}, "position": file.position(offset), "context": {"triggerKind": 2}});
            outstanding.push(client.request_async("textDocument/inlineCompletion", params).await);
        }
        if outstanding.len() >= 32 {
            for id in outstanding.drain(..) {
                let response = client.response(id).await;
                assert_ne!(response["error"]["code"], -32603, "{response}");
            }
            client.pending.clear();
        }
    }
    for id in outstanding.drain(..) {
        client.response(id).await;
    }
    for file in &files {
        let document = client.request("infill/document", json!({"uri": file.uri})).await;
        assert_eq!(document["result"]["text"].as_str(), Some(file.text.as_str()));
    }
    let end_rss = rss_kib(pid);
    let growth = (end_rss as f64 - warm_rss as f64) / warm_rss as f64 * 100.0;
    println!(
        "soak rss: {edits} edits; start {start_rss} KiB, after warm-up {warm_rss} KiB, \
         end {end_rss} KiB: {growth:+.1}% after warm-up"
    );
}

/// The shorter soak with the real default model in process (`INFILL_TEST_MODEL`): random edits
/// over five Python files with completion requests interleaved (some cancelled, some superseded),
/// while the model really generates. Afterwards every file's text is the client's, and every
/// request got a result or a cancellation, never an engine or internal error.
#[cfg(feature = "mistralrs")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shorter_soak_with_the_real_model_keeps_every_document_intact() {
    let Some(model) = infill_engine::models::test_model_or_skip() else { return };
    let started = std::time::Instant::now();
    let edits =
        std::env::var("INFILL_MODEL_SOAK_EDITS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let mut config = infill::config::Config::default();
    config.model.path = Some(model);
    let mut client = start_with(config, infill::lsp::EngineSource::Configured);
    client.initialize(inline_capabilities(), Value::Null).await;
    let mut rng = Rng::new(0x0dd_50a4);
    let mut files: Vec<Model> = (0..5)
        .map(|i| Model {
            uri: format!("file:///soak/model/file{i}.py"),
            text: format!("def total_{i}(items):\n    value = sum(items)\n    return value\n"),
            version: 1,
        })
        .collect();
    for file in &files {
        open(&mut client, &file.uri, "python", &file.text).await;
    }
    let mut outstanding = Vec::new();
    let mut outcomes = HashMap::new();
    let mut requests = 0;
    for edit in 0..edits {
        let file = &mut files[rng.below(5)];
        file.version += 1;
        let change = file.random_change(&mut rng);
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": file.uri, "version": file.version}, "contentChanges": [change]}),
            )
            .await;
        if rng.chance(10) {
            let params = json!({
                "textDocument": {"uri": file.uri},
                "position": file.position(file.boundary(&mut rng)),
                "context": {"triggerKind": 2},
            });
            let id = client.request_async("textDocument/inlineCompletion", params).await;
            requests += 1;
            outstanding.push(id);
            if rng.chance(20) {
                client.notify("$/cancelRequest", json!({"id": id})).await;
            }
        }
        if edit % 50 == 49 {
            // Let the model answer now and then, as a user pausing would.
            drain(&mut client, &mut outstanding, &mut outcomes).await;
        }
    }
    drain(&mut client, &mut outstanding, &mut outcomes).await;
    for file in &files {
        let document = server_text(&mut client, &file.uri).await;
        assert_eq!(document["result"]["text"].as_str(), Some(file.text.as_str()), "{}", file.uri);
        assert_eq!(document["result"]["version"], file.version, "{}", file.uri);
    }
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["engine"], "ready", "{status}");
    assert_eq!(outcomes.values().sum::<usize>(), requests, "every request was answered once");
    assert!(outcomes.get("result").copied().unwrap_or(0) > 0, "{outcomes:?}");
    eprintln!(
        "model soak: {edits} edits, {requests} completion requests: {outcomes:?} in {:?}",
        started.elapsed()
    );
}
