//! Infill's features as plain Rust: the completion pipeline, its post-processing filters and the
//! workspace context that goes into prompts. Nothing here knows LSP.
//!
//! # Code map
//!
//! * [`completion`] — [`completion::CompletionInput`] (built once, by
//!   [`completion::CompletionInput::from_document`]) and [`completion::Completer`]: shape →
//!   typed-through reuse → identical-request cache → prompt → engine → post-processing.
//! * [`postprocess`] — the shape decision and the post-processing filters.
//! * [`workspace`] — [`workspace::Workspace`]: the index of the workspace roots and the sticky
//!   context for prompts (ranked again only when the cursor changes file or moves far).
#![warn(missing_docs)]

pub mod completion;
pub mod postprocess;
pub mod workspace;
