//! The `csharp` import style: `using A.B` (or `using X = A.B`) names a namespace; the files that
//! declare it are the targets.

use super::{Lookup, Resolution, files};
use crate::extract::Import;

pub(super) fn resolve(lookup: &Lookup<'_>, import: &Import) -> Resolution {
    let namespace = import.path.trim();
    let namespace = namespace.rsplit('=').next().unwrap_or(namespace).trim();
    match lookup.packages.get(namespace) {
        Some(ids) => files(ids.iter().copied().take(64).collect()),
        None => Resolution::External,
    }
}
