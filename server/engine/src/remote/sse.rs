//! Splitting a streamed HTTP body into lines: server-sent events (`data: {...}` lines, OpenAI
//! and its imitators) and newline-delimited JSON (Ollama) are both line protocols.

/// Collects body bytes and hands out complete lines (without `\r\n` or `\n`).
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// Appends a chunk of the body.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete line, if one has arrived (invalid UTF-8 is replaced).
    pub(crate) fn next_line(&mut self) -> Option<String> {
        let end = self.pending.iter().position(|&b| b == b'\n')?;
        let mut line: Vec<u8> = self.pending.drain(..=end).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(String::from_utf8_lossy(&line).into_owned())
    }

    /// What is left after the body ended (a last line without its newline).
    pub(crate) fn rest(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&rest).trim().to_string();
        (!text.is_empty()).then_some(text)
    }
}

/// The payload of an SSE `data:` line; `None` for other lines (comments, `event:`, blanks).
pub(crate) fn sse_data(line: &str) -> Option<&str> {
    let data = line.strip_prefix("data:")?;
    Some(data.strip_prefix(' ').unwrap_or(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_survive_any_chunking() {
        let body = "data: {\"a\":1}\r\n\r\n: keep-alive\ndata: [DONE]\n";
        for split in 0..body.len() {
            let mut buffer = LineBuffer::default();
            let mut lines = Vec::new();
            for part in [&body.as_bytes()[..split], &body.as_bytes()[split..]] {
                buffer.push(part);
                while let Some(line) = buffer.next_line() {
                    lines.push(line);
                }
            }
            assert_eq!(lines, ["data: {\"a\":1}", "", ": keep-alive", "data: [DONE]"]);
            assert_eq!(buffer.rest(), None);
        }
        assert_eq!(sse_data("data: [DONE]"), Some("[DONE]"));
        assert_eq!(sse_data("data:{}"), Some("{}"));
        assert_eq!(sse_data(": comment"), None);
    }
}
