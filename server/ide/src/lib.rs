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
//! * [`actions`] — code actions: what is offered (no model), and the picked one computed with
//!   the model and checked before it becomes an edit.
//! * [`refactor`] — the refactor agent: plan, edit, verify; a multi-file [`edit::ChangeSet`].
//! * [`edit`] — change sets in byte offsets with the versions they were computed from, and a
//!   unified diff.
#![warn(missing_docs)]

pub mod actions;
pub mod completion;
pub mod edit;
pub mod edits;
pub mod postprocess;
pub mod refactor;
pub mod workspace;
