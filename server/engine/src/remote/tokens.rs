//! Token counts and the model's vocabulary for a remote engine: from a `tokenizer.json` the
//! user names (no request per count), else from the server's own tokenizer where its API has
//! one (llama.cpp's and vLLM's `/tokenize`, llama-cpp-python's `/extras/tokenize`, TGI's
//! `/tokenize`), else an estimate (bytes / 4). The same source tells the prompt family (which
//! FIM tokens the vocabulary has) and, where the server says, the context length
//! (vLLM's `max_model_len`, llama.cpp's `n_ctx`, TGI's `max_input_tokens`).

use std::collections::HashMap;
use std::path::Path;

use super::*;

/// A tokenizer route on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `POST /tokenize` of llama.cpp's llama-server and vLLM (one body serves both).
    Tokenize,
    /// `POST /extras/tokenize` of llama-cpp-python's server.
    Extras,
    /// `POST /tokenize` of TGI (`{"inputs"}` → a list of tokens).
    Tgi,
}

impl Route {
    fn path(self) -> &'static str {
        match self {
            Route::Tokenize | Route::Tgi => "tokenize",
            Route::Extras => "extras/tokenize",
        }
    }

    fn body(self, model: &str, text: &str) -> Value {
        match self {
            Route::Tokenize => serde_json::json!({
                "content": text, "prompt": text, "model": model,
                "add_special": false, "add_special_tokens": false, "parse_special": true,
            }),
            Route::Extras => serde_json::json!({"input": text, "model": model}),
            Route::Tgi => serde_json::json!({"inputs": text}),
        }
    }
}

/// Where token counts come from.
pub(crate) enum Counter {
    /// A `tokenizer.json` file.
    File { tokenizer: Box<tokenizers::Tokenizer>, path: String },
    /// The server's tokenizer; `extra` tokens it adds to every text (a BOS) are subtracted.
    Server { route: Route, extra: usize },
    /// bytes / 4.
    Approx,
}

impl Counter {
    /// Loads a tokenizer file; the error names the key and the file.
    pub(crate) fn from_file(path: &Path) -> Result<Counter, String> {
        let tokenizer = tokenizers::Tokenizer::from_file(path).map_err(|e| {
            format!("engine.tokenizer: `{}` is not a tokenizer.json: {e}", path.display())
        })?;
        Ok(Counter::File { tokenizer: Box::new(tokenizer), path: path.display().to_string() })
    }

    /// What `infill doctor` and `infill/status` say.
    pub(crate) fn describe(&self) -> String {
        match self {
            Counter::File { path, .. } => format!("exact (tokenizer file {path})"),
            Counter::Server { route, .. } => {
                format!("exact (the server's tokenizer, POST /{})", route.path())
            }
            Counter::Approx => {
                "approximate (bytes / 4): the server exposes no tokenizer; set engine.tokenizer \
                 to the model's tokenizer.json for exact counts"
                    .into()
            }
        }
    }
}

impl Shared {
    /// The server's root: the endpoint without a trailing `/v1` (the tokenizer routes live there).
    fn root(&self, index: usize) -> String {
        let url = self.endpoints[index].url.trim_end_matches('/');
        url.strip_suffix("/v1").unwrap_or(url).to_string()
    }

    /// A short JSON request to an endpoint, outside the request path (probes, counts).
    pub(crate) async fn side_request(
        &self,
        index: usize,
        url: String,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let mut request = match body {
            Some(body) => self.client.post(&url).json(body),
            None => self.client.get(&url),
        };
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let _ = index;
        let timeout = self.first_byte_timeout.min(PROBE_TIMEOUT);
        let response = tokio::time::timeout(timeout, request.send())
            .await
            .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
            .map_err(|e| describe(&e))?;
        let status = response.status();
        let text = tokio::time::timeout(timeout, response.text())
            .await
            .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
            .map_err(|e| describe(&e))?;
        if !status.is_success() {
            return Err(format!("HTTP {}{}", status.as_u16(), server_message(&text)));
        }
        serde_json::from_str(&text).map_err(|e| format!("not JSON ({e})"))
    }

    /// Tokens in `text` by the server's tokenizer on endpoint `index`.
    pub(crate) async fn server_count(
        &self,
        index: usize,
        route: Route,
        text: &str,
    ) -> Result<usize, String> {
        let url = format!("{}/{}", self.root(index), route.path());
        let value = self.side_request(index, url, Some(&route.body(&self.model, text))).await?;
        token_count(&value).ok_or_else(|| format!("no token list in {value:.200}"))
    }

    /// Finds the server's tokenizer: the first route that counts "a" as a small positive number.
    pub(crate) async fn find_tokenizer(&self, index: usize) -> Option<Counter> {
        let routes: &[Route] = match self.api {
            Backend::Tgi => &[Route::Tgi],
            Backend::Openai => &[Route::Tokenize, Route::Extras],
            _ => &[],
        };
        for &route in routes {
            // "a" is one token in every vocabulary; anything more is what the server adds.
            if let Ok(n) = self.server_count(index, route, "a").await
                && (1..=3).contains(&n)
            {
                return Some(Counter::Server { route, extra: n - 1 });
            }
        }
        None
    }

    /// The context length the server reports, if it does.
    pub(crate) async fn server_context(&self, index: usize) -> Option<usize> {
        let root = self.root(index);
        let base = self.endpoints[index].url.trim_end_matches('/').to_string();
        let positive = |v: Option<u64>| v.filter(|n| *n > 0).map(|n| n as usize);
        match self.api {
            Backend::Openai => {
                if let Ok(models) = self.side_request(index, format!("{base}/models"), None).await {
                    let data = models.get("data").and_then(Value::as_array);
                    let entry = data.and_then(|d| {
                        d.iter()
                            .find(|m| m.get("id").and_then(Value::as_str) == Some(&self.model))
                            .or_else(|| d.first())
                    });
                    // vLLM.
                    if let Some(n) =
                        positive(entry.and_then(|m| m.get("max_model_len")).and_then(Value::as_u64))
                    {
                        return Some(n);
                    }
                }
                // llama.cpp's llama-server.
                let props = self.side_request(index, format!("{root}/props"), None).await.ok()?;
                positive(
                    props
                        .pointer("/default_generation_settings/n_ctx")
                        .or_else(|| props.get("n_ctx"))
                        .and_then(Value::as_u64),
                )
            }
            Backend::Tgi => {
                let info = self.side_request(index, format!("{root}/info"), None).await.ok()?;
                positive(
                    info.get("max_input_tokens")
                        .or_else(|| info.get("max_input_length"))
                        .and_then(Value::as_u64),
                )
            }
            _ => None,
        }
    }
}

/// A token count in a tokenizer answer: `{"count"}`, `{"tokens": [...]}` or `[...]`.
fn token_count(value: &Value) -> Option<usize> {
    if let Some(n) = value.get("count").and_then(Value::as_u64) {
        return Some(n as usize);
    }
    value.get("tokens").and_then(Value::as_array).or_else(|| value.as_array()).map(Vec::len)
}

/// The family whose signature tokens the vocabulary has, asking `single` for each token the
/// detection looks at (whether it is one token). `None` when a question could not be answered.
pub(crate) async fn detect_family<F, Fut>(single: F) -> Option<ModelFamily>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Option<bool>>,
{
    let mut known: HashMap<String, bool> = HashMap::new();
    // The detection reads the table in order and stops at the first match; answer what it asks
    // until it asks nothing new.
    for _ in 0..16 {
        let asked = std::sync::Mutex::new(Vec::new());
        let family = ModelFamily::detect(|token| match known.get(token) {
            Some(answer) => *answer,
            None => {
                asked.lock().unwrap_or_else(|e| e.into_inner()).push(token.to_string());
                false
            }
        });
        let asked = asked.into_inner().unwrap_or_else(|e| e.into_inner());
        if asked.is_empty() {
            return Some(family);
        }
        let answers = futures::future::join_all(asked.iter().cloned().map(&single)).await;
        for (token, answer) in asked.into_iter().zip(answers) {
            known.insert(token, answer?);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_answer_shape() {
        assert_eq!(token_count(&serde_json::json!({"tokens": [1, 2, 3]})), Some(3));
        assert_eq!(token_count(&serde_json::json!({"count": 5, "tokens": [1]})), Some(5));
        assert_eq!(token_count(&serde_json::json!([{"id": 1}, {"id": 2}])), Some(2));
        assert_eq!(token_count(&serde_json::json!({"detail": "x"})), None);
    }

    #[tokio::test]
    async fn detection_asks_until_it_knows() {
        let vocabulary = ["<fim_prefix>", "<file_sep>"];
        let family =
            detect_family(
                |token: String| async move { Some(vocabulary.contains(&token.as_str())) },
            )
            .await;
        assert_eq!(family, Some(ModelFamily::StarCoder2));
        let none = detect_family(|_| async { Some(false) }).await;
        assert_eq!(none, Some(ModelFamily::PrefixOnly));
        assert_eq!(detect_family(|_| async { None }).await, None);
    }
}
