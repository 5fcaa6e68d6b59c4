//! Capability negotiation: what the client can do (read once from `initialize`) and what the
//! server advertises in return. Only features that work are advertised.

use infill_syntax::PositionEncoding;
use tower_lsp_server::ls_types::*;

use super::convert;
use crate::config::CompletionConfig;

/// What the client told us it supports, as the server uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientFeatures {
    /// The position encoding both sides use.
    pub encoding: PositionEncoding,
    /// `textDocument/inlineCompletion` (LSP 3.18): ghost text.
    pub inline_completion: bool,
    /// File watchers can be registered dynamically.
    pub dynamic_watchers: bool,
    /// The client takes server-initiated `$/progress` (`window.workDoneProgress`).
    pub work_done_progress: bool,
    /// The client asked for `$/infill/trace` notifications.
    pub trace: bool,
}

impl ClientFeatures {
    /// Reads the client's capabilities from `initialize`.
    pub fn from_initialize(params: &InitializeParams) -> ClientFeatures {
        let capabilities = &params.capabilities;
        ClientFeatures {
            encoding: convert::negotiate_encoding(
                capabilities.general.as_ref().and_then(|g| g.position_encodings.as_deref()),
            ),
            inline_completion: capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.inline_completion.as_ref())
                .is_some(),
            dynamic_watchers: capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false),
            work_done_progress: capabilities
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            trace: params.trace.is_some_and(|t| t != TraceValue::Off),
        }
    }
}

/// How completions reach this client: ghost text when it supports it and the configuration
/// allows it, else completion items (when allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Serve `textDocument/inlineCompletion`.
    pub inline: bool,
    /// Serve `textDocument/completion`.
    pub items: bool,
}

impl Delivery {
    /// Chooses the delivery path for `client` under `config`.
    pub fn choose(config: &CompletionConfig, client: &ClientFeatures) -> Delivery {
        let inline = config.inline && client.inline_completion;
        Delivery { inline, items: config.items && !inline }
    }
}

/// The `initialize` result.
pub fn initialize_result(
    client: &ClientFeatures,
    delivery: Delivery,
    actions: bool,
) -> InitializeResult {
    InitializeResult {
        offset_encoding: None,
        server_info: Some(ServerInfo {
            name: "infill".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        capabilities: ServerCapabilities {
            position_encoding: Some(convert::encoding_to_lsp(client.encoding)),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            inline_completion_provider: delivery.inline.then_some(OneOf::Left(true)),
            completion_provider: delivery.items.then(|| CompletionOptions {
                resolve_provider: Some(false),
                trigger_characters: Some(vec![".".into(), "(".into(), " ".into()]),
                ..Default::default()
            }),
            code_action_provider: actions.then(|| {
                CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(super::actions::kinds()),
                    resolve_provider: Some(true),
                    ..Default::default()
                })
            }),
            execute_command_provider: actions.then(|| ExecuteCommandOptions {
                commands: super::actions::COMMANDS.iter().map(|c| (*c).to_owned()).collect(),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

/// The registration that asks the client to report every file change in the workspace.
pub fn file_watcher_registration() -> Registration {
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![FileSystemWatcher {
            glob_pattern: GlobPattern::String("**/*".into()),
            kind: None,
        }],
    };
    Registration {
        id: "infill/watch".into(),
        method: "workspace/didChangeWatchedFiles".into(),
        register_options: serde_json::to_value(options).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(inline: bool) -> ClientFeatures {
        ClientFeatures {
            encoding: PositionEncoding::Utf16,
            inline_completion: inline,
            dynamic_watchers: false,
            work_done_progress: false,
            trace: false,
        }
    }

    #[test]
    fn ghost_text_where_the_client_has_it_items_elsewhere() {
        let config = CompletionConfig::default();
        assert_eq!(
            Delivery::choose(&config, &features(true)),
            Delivery { inline: true, items: false }
        );
        assert_eq!(
            Delivery::choose(&config, &features(false)),
            Delivery { inline: false, items: true }
        );
        let no_inline = CompletionConfig { inline: false, ..CompletionConfig::default() };
        assert_eq!(
            Delivery::choose(&no_inline, &features(true)),
            Delivery { inline: false, items: true }
        );
    }

    #[test]
    fn trace_is_read_from_initialize() {
        let params: InitializeParams =
            serde_json::from_value(serde_json::json!({"capabilities": {}, "trace": "verbose"}))
                .unwrap();
        assert!(ClientFeatures::from_initialize(&params).trace);
        let params: InitializeParams =
            serde_json::from_value(serde_json::json!({"capabilities": {}, "trace": "off"}))
                .unwrap();
        assert!(!ClientFeatures::from_initialize(&params).trace);
    }
}
