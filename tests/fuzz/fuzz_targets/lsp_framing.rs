//! The JSON-RPC framing guard (`infill::lsp::framing`): arbitrary bytes from a client never
//! panic the pump, and everything it forwards to the server is a well-formed frame holding a
//! JSON-RPC message (a malformed one is replaced by `infill/malformedMessage`). Well-formed
//! frames pass through unchanged, one frame out for each frame in.
//!
//! Input: the first byte picks the mode. Odd: the rest is the raw byte stream. Even: the rest is
//! split at NUL bytes into message bodies, each sent with a correct `Content-Length` header.

#![no_main]

use infill::lsp::framing::{MALFORMED_METHOD, pump, sanitize};
use libfuzzer_sys::fuzz_target;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
    })
}

/// Splits the pump's output into frame bodies, asserting that every frame is exactly
/// `Content-Length: N\r\n\r\n` followed by `N` bytes.
fn frames(mut output: &[u8]) -> Vec<&[u8]> {
    let mut bodies = Vec::new();
    while !output.is_empty() {
        let header_end = output
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("every forwarded frame has a header");
        let header = std::str::from_utf8(&output[..header_end]).expect("an ASCII header");
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a Content-Length header, got {header:?}"));
        let body_start = header_end + 4;
        assert!(output.len() >= body_start + length, "a frame shorter than its header says");
        bodies.push(&output[body_start..body_start + length]);
        output = &output[body_start + length..];
    }
    bodies
}

fn check_forwarded(body: &[u8]) {
    let value: serde_json::Value =
        serde_json::from_slice(body).expect("the pump forwards only JSON");
    assert!(value.is_object(), "the pump forwards only JSON-RPC objects: {value}");
    assert_eq!(sanitize(body), body, "a forwarded body passes the guard again unchanged");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut input = Vec::new();
    let mut sent: Vec<&[u8]> = Vec::new();
    if mode % 2 == 1 {
        input.extend_from_slice(rest);
    } else {
        for body in rest.split(|&b| b == 0) {
            input.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            input.extend_from_slice(body);
            sent.push(body);
        }
    }
    let mut output = Vec::new();
    runtime()
        .block_on(pump(&input[..], &mut output))
        .expect("reading from memory and writing to memory never fails");
    let forwarded = frames(&output);
    for body in &forwarded {
        check_forwarded(body);
    }
    if mode % 2 == 0 {
        assert_eq!(forwarded.len(), sent.len(), "one frame out for each frame in");
        for (sent, forwarded) in sent.iter().zip(&forwarded) {
            if *forwarded != *sent {
                let value: serde_json::Value = serde_json::from_slice(forwarded).unwrap();
                assert_eq!(value["method"], MALFORMED_METHOD, "a changed frame is a malformed one");
                assert!(value["id"].is_null());
            }
        }
    }
});
