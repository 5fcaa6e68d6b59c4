//! A scored candidate snippet before the budget cut: which file, which part of it, and why.

use crate::ids::FileId;

/// The part of a file a candidate would show.
#[derive(Debug)]
pub(super) enum Source {
    /// A definition, by its index in the file's definitions.
    Def { def: u32 },
    /// A window of lines (zero-based, inclusive).
    Window { start_line: usize, end_line: usize },
    /// A listing of a type's members: the container's header (when the members sit inside
    /// one) and the members' signatures, as many as fit, in the order given (best first).
    Members { container: Option<u32>, members: Vec<u32> },
}

/// One candidate snippet.
#[derive(Debug)]
pub(super) struct Candidate {
    pub file: FileId,
    pub source: Source,
    pub score: f32,
    pub reason: String,
    /// Depends on the file's imports rather than on the cursor.
    pub stable: bool,
}
