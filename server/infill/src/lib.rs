//! Infill, the binary's library half: configuration, the LSP edge and the CLI commands. The
//! binary (`main.rs`) only parses arguments and calls into here, so tests drive the same code.

pub mod cli;
pub mod config;
pub mod engine;
pub mod logging;
pub mod lsp;
pub mod models;
pub mod parent;
pub mod refactor_cli;
pub mod serve;
