//! File ids: the small integers that every table of the index and every import resolution uses
//! instead of paths, kept apart so that resolution and ranking can name files without depending
//! on the index itself.

/// A file's slot in the index. Ids are reused after removal.
pub type FileId = u32;
