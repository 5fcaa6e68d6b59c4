//! Infill's features as plain Rust: the completion pipeline and its post-processing filters.
pub mod completion;
pub mod postprocess;
