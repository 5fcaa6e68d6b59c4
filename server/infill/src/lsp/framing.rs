//! A guard in front of the JSON-RPC transport. tower-lsp-server stops reading its input at the
//! first message it cannot decode (the framed reader ends after an error), which would end the
//! session. This pump reads the client's frames itself and forwards only well-formed messages;
//! a malformed one (bad header, invalid UTF-8, invalid JSON, not a JSON-RPC message) becomes a
//! request to `infill/malformedMessage` with a null id, which the server answers with the
//! JSON-RPC error the spec asks for (`id: null`, parse error or invalid request).

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc;

/// Bodies larger than this are refused (and skipped) instead of buffered.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// The method a malformed message is replaced with.
pub const MALFORMED_METHOD: &str = "infill/malformedMessage";

/// What was wrong with a message; the params of `infill/malformedMessage`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Malformed {
    /// `parse` (not JSON) or `invalid` (JSON, but not a JSON-RPC message).
    pub kind: String,
    pub reason: String,
}

fn malformed(kind: &str, reason: impl Into<String>) -> Vec<u8> {
    let params = Malformed { kind: kind.into(), reason: reason.into() };
    json!({"jsonrpc": "2.0", "id": null, "method": MALFORMED_METHOD, "params": params})
        .to_string()
        .into_bytes()
}

/// Checks one message body; returns what to forward.
pub fn sanitize(body: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else {
        return malformed("parse", "the message is not valid UTF-8");
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => return malformed("parse", format!("the message is not valid JSON: {error}")),
    };
    let is_request = serde_json::from_value::<jsonrpc::Request>(value.clone()).is_ok();
    let is_response = !is_request && serde_json::from_value::<jsonrpc::Response>(value).is_ok();
    if is_request || is_response {
        body.to_vec()
    } else {
        malformed(
            "invalid",
            "the message is JSON but not a JSON-RPC request, notification or response",
        )
    }
}

async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, body: &[u8]) -> std::io::Result<()> {
    writer.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes()).await?;
    writer.write_all(body).await?;
    writer.flush().await
}

/// Copies frames from `input` to `output` until `input` ends, replacing malformed ones.
pub async fn pump<R, W>(input: R, mut output: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = BufReader::with_capacity(1 << 16, input);
    loop {
        // Headers: lines up to an empty one. Garbage before a header is skipped.
        let mut length: Option<Result<usize, String>> = None;
        let mut saw_any = false;
        loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                if saw_any {
                    break;
                }
                continue;
            }
            saw_any = true;
            if let Some((name, value)) = text.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("invalid Content-Length `{}`", value.trim())),
                );
            }
        }
        let body = match length {
            None => {
                tracing::warn!("a message without Content-Length; skipped");
                write_frame(&mut output, &malformed("parse", "a message without Content-Length"))
                    .await?;
                continue;
            }
            Some(Err(reason)) => {
                tracing::warn!(%reason, "malformed header");
                write_frame(&mut output, &malformed("parse", reason)).await?;
                continue;
            }
            Some(Ok(length)) if length > MAX_MESSAGE_BYTES => {
                tracing::warn!(length, "an oversized message; skipped");
                let skipped =
                    tokio::io::copy(&mut (&mut reader).take(length as u64), &mut tokio::io::sink())
                        .await?;
                if skipped < length as u64 {
                    return Ok(());
                }
                write_frame(
                    &mut output,
                    &malformed("invalid", format!("a message of {length} bytes is too large")),
                )
                .await?;
                continue;
            }
            Some(Ok(length)) => {
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).await.is_err() {
                    return Ok(());
                }
                body
            }
        };
        write_frame(&mut output, &sanitize(&body)).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_json_rpc_and_replaces_the_rest() {
        let request = br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        assert_eq!(sanitize(request), request.to_vec());
        let notification = br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        assert_eq!(sanitize(notification), notification.to_vec());
        let response = br#"{"jsonrpc":"2.0","id":3,"result":null}"#;
        assert_eq!(sanitize(response), response.to_vec());
        for bad in [&b"{not json"[..], b"[1,2]", b"{\"foo\":1}", b"\xff\xfe"] {
            let replaced: serde_json::Value = serde_json::from_slice(&sanitize(bad)).unwrap();
            assert_eq!(replaced["method"], MALFORMED_METHOD);
            assert!(replaced["id"].is_null());
        }
    }

    #[tokio::test]
    async fn resynchronises_after_bad_headers() {
        let input = b"garbage line\r\nContent-Length: x\r\n\r\nX-Other: 1\r\n\r\nContent-Length: 38\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}     "
            .to_vec();
        let mut output = Vec::new();
        pump(&input[..], &mut output).await.unwrap();
        let text = String::from_utf8(output).unwrap();
        assert_eq!(text.matches(MALFORMED_METHOD).count(), 2, "{text}");
        assert!(text.contains(r#"{"jsonrpc":"2.0","method":"exit"}"#), "{text}");
    }
}
