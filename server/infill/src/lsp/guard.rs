//! Keeps the server serving: a panic inside a handler becomes an error reply (or a log line, for
//! a notification), and the JSON-RPC errors the handlers answer with are built here, once.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};

/// Runs a request handler; a panic becomes an internal error and the server keeps serving.
pub async fn guarded<T>(name: &'static str, future: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(handler = name, %message, "handler panicked");
            Err(internal(format!("internal error in {name}: {message}")))
        }
    }
}

/// Runs a notification handler body; a panic is logged and swallowed.
pub fn guarded_notification(name: &'static str, body: impl FnOnce()) {
    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(body)) {
        let message = panic_message(panic.as_ref());
        tracing::error!(handler = name, %message, "notification handler panicked");
    }
}

/// The text a panic was raised with.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// The request's parameters name something that does not exist or make no sense.
pub fn invalid_params(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into().into(), data: None }
}

/// The AI features are unavailable (the model failed to load, the engine failed).
pub fn unavailable(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::ServerError(-32001), message: message.into().into(), data: None }
}

/// A newer request (or `$/cancelRequest`) replaced this one.
pub fn cancelled() -> Error {
    Error {
        code: ErrorCode::RequestCancelled,
        message: "superseded by a newer request".into(),
        data: None,
    }
}

/// Something inside the server failed; `message` says what.
pub fn internal(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InternalError, message: message.into().into(), data: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_request_handler_becomes_an_internal_error() {
        let reply: Result<u32> =
            guarded("test/boom", async { panic!("scripted {}", "failure") }).await;
        let error = reply.unwrap_err();
        assert_eq!(error.code, ErrorCode::InternalError);
        assert!(error.message.contains("test/boom"), "{}", error.message);
        assert!(error.message.contains("scripted failure"), "{}", error.message);
        // A static-str panic payload is reported too.
        let reply: Result<u32> = guarded("test/str", async { panic!("plain") }).await;
        assert!(reply.unwrap_err().message.contains("plain"));
    }

    #[tokio::test]
    async fn a_handler_that_does_not_panic_is_passed_through() {
        assert_eq!(guarded("test/ok", async { Ok(7) }).await.unwrap(), 7);
        let error = guarded::<()>("test/err", async { Err(invalid_params("no")) }).await;
        assert_eq!(error.unwrap_err().code, ErrorCode::InvalidParams);
    }

    #[test]
    fn a_panicking_notification_is_swallowed() {
        let mut ran_after = false;
        guarded_notification("test/notify", || panic!("inside a notification"));
        guarded_notification("test/notify", || ran_after = true);
        assert!(ran_after);
    }
}
