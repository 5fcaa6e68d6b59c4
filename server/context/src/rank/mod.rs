//! Ranking: from a cursor to a token-budgeted list of snippets from other files.
//!
//! Candidates come from these signals, combined into one score per snippet:
//!
//! * **symbols** (`symbols`) — identifiers around the cursor that name definitions elsewhere
//!   (found through the inverted index `name → files`), weighted by closeness to the cursor and
//!   by how specific the name is (a name defined in one file beats one defined in fifty);
//! * **graph** (`relations`) — the current file's import edges: definitions in files it imports
//!   (and in files those import, and in files that import it) get a boost, names it imports
//!   explicitly most;
//! * **similarity** (`similarity`, `windows`) — line windows of related files whose identifiers
//!   overlap the lines before the cursor (Jaccard), including files found through rare shared
//!   identifiers;
//! * **recency** (`relations`) — files the user opened or edited lately;
//! * **anticipation** (`anticipate`) — for a cursor before anything is typed, the names the next
//!   tokens are likely to use: imported but not used yet, used after the cursor or elsewhere in
//!   the file, in the enclosing signature or its class's bases, used by similar sibling
//!   functions, used after the cursor's qualifier elsewhere (`httpx.` → `Client`); and the
//!   definitions the user's recent edits in other files touched; names like the one being
//!   assigned (`client = ` → `Client`; `assigned`); in Rust, where only a trait fits
//!   (`impl<T> `, `where C: `), the traits the file can name, and after `new` the classes
//!   (`bounds`);
//! * **calls** (`calls`) — callers and callees of the enclosing function: the functions it
//!   calls (before and after the cursor) and, more weakly, the names their definitions use; the
//!   functions elsewhere that call it, and the names used around those calls;
//! * **families** (`families`) — on a blank line of a file whose items are wrapped in several
//!   macros of one file (`cfg_rt! {`), a listing of that file's macros;
//! * **modules** (`modules`) — in Rust, with the cursor right after a module path
//!   (`crate::runtime::park::`), a listing of the items of the module's file;
//! * **package** (`package`) — in Go, the package's definitions that most of its files use
//!   and this one does not name yet; after an imported package's name (`logrus.`), its
//!   exported names;
//! * **members** (`members`) — with the cursor right after `receiver.` or `Type::`, a listing
//!   of the members of the receiver's type (read from its declaration in the live text, or from
//!   the return types of the calls it is made of).
//!
//! Selection (`selection`) is greedy by score under the token budget, skeletons first: only the
//! best few definitions are shown whole, the rest as signatures and doc comments (a container's
//! members cut to a small share), overlapping snippets dropped. The output order
//! keeps the prompt prefix stable: snippets brought by the file's imports (which change only
//! when the import list changes) come first in path order, then the cursor-dependent ones by
//! increasing score, so the most relevant one sits last, nearest the cursor window the caller
//! appends.

mod anticipate;
mod assigned;
mod bounds;
mod calls;
mod candidate;
mod families;
mod members;
mod modules;
mod package;
mod region;
mod relations;
pub(crate) mod request;
mod selection;
mod similarity;
mod symbols;
mod windows;

use crate::index::State;
use crate::paths::absolute;
use candidate::Candidate;
use region::{Region, floor_char_boundary};
use relations::Relations;
pub use request::{
    ContextRequest, ContextResult, EditedLines, RankOptions, Signals, Snippet, SnippetKind,
    TokenCounter, approx_tokens,
};
use symbols::Current;
use windows::WindowCache;

/// Ranks context for cursors over an index's tables; owns the similarity windows it computed,
/// so consecutive requests reuse them.
#[derive(Default)]
pub(crate) struct Ranker {
    windows: WindowCache,
}

impl Ranker {
    /// The context for one cursor; see the module docs.
    pub fn rank(&self, state: &State, request: &ContextRequest<'_>) -> ContextResult {
        let options = &request.options;
        let signals = options.signals;
        let path = absolute(request.path);
        let current = state.id_of(&path);
        let current_entry = current.and_then(|id| state.file(id));
        let cursor = floor_char_boundary(request.text, request.cursor);
        let region = Region::around(request.text, cursor);
        let mut names = symbols::names_near_cursor(&region);
        let relations = Relations::build(state, &path, current, options);
        // Offsets of an index entry for another text would point at the wrong bytes.
        let live_entry = current_entry.filter(|e| *e.text == *request.text);
        if signals.anticipation {
            let view = anticipate::FileView {
                text: request.text,
                symbols: live_entry.map(|e| &e.symbols),
                imported: relations.imported_names.keys().map(String::as_str).collect(),
            };
            symbols::add_anticipated(
                &mut names,
                anticipate::anticipated_names(&view, &region).into_values(),
            );
        }
        let rust =
            current_entry.and_then(|e| e.language.as_deref()).is_some_and(|l| l.name == "rust");
        // The innermost function around the cursor, for the calls and assignment signals.
        let function =
            live_entry.filter(|_| signals.calls || signals.anticipation).and_then(|entry| {
                let starts = crate::lexical::line_starts(request.text);
                let around = anticipate::enclosing_definitions(
                    request.text,
                    &starts,
                    &entry.symbols,
                    cursor,
                );
                anticipate::innermost_function(&entry.symbols, &around)
            });
        let mut callers = Vec::new();
        if signals.calls
            && let (Some(id), Some(entry)) = (current, live_entry)
        {
            let file = calls::CurrentFile {
                id,
                text: request.text,
                symbols: &entry.symbols,
                language: entry.language.as_deref(),
            };
            let found = calls::calls(state, &file, cursor, function, &relations);
            symbols::add_anticipated(&mut names, found.names);
            callers = found.callers;
        }
        if signals.anticipation {
            let enclosing =
                function.zip(live_entry).map(|(at, entry)| &*entry.symbols.definitions[at].name);
            let (assigned, why) = assigned::assigned_names(
                state,
                request.text,
                cursor,
                enclosing,
                current,
                &relations,
                &names,
            );
            symbols::add_assigned(&mut names, assigned, why);
            let helpers = package::package_names(state, current, request.text, &names);
            symbols::raise(&mut names, helpers, "used across this package");
            let exported = package::exported_names(state, current, request.text, cursor);
            symbols::raise(&mut names, exported, "exported by the package before the cursor");
            if rust && bounds::in_trait_position(request.text, cursor) {
                let traits = bounds::trait_names(state, &relations, &names);
                symbols::raise(&mut names, traits, "a trait, where only a trait fits");
            } else if !rust && bounds::in_constructor_position(request.text, cursor) {
                let classes = bounds::class_names(state, &relations, &names);
                symbols::raise(&mut names, classes, "a class, after `new`");
            }
        }

        package::forget_package_names(state, current, &mut names);
        let mut candidates: Vec<Candidate> = callers;
        if signals.symbols {
            let current_info = Current {
                id: current,
                language: current_entry.and_then(|e| e.language.as_deref()),
                local_names: current_entry
                    .map(|e| e.symbols.definitions.iter().map(|d| &*d.name).collect())
                    .unwrap_or_default(),
            };
            let use_relations = signals.graph || signals.recency;
            symbols::symbol_candidates(
                state,
                &names,
                &current_info,
                &relations,
                use_relations,
                &mut candidates,
            );
            if let Some(id) = current {
                symbols::base_candidates(state, id, &relations, &mut candidates);
            }
        }
        if signals.anticipation {
            anticipate::edited_candidates(state, request.recent_edits, current, &mut candidates);
            let types = members::receiver_types(Some(state), request.text, cursor);
            members::member_candidates(state, &types, current, &relations, &names, &mut candidates);
            families::family_candidates(state, request.text, cursor, current, &mut candidates);
            if rust && bounds::in_trait_position(request.text, cursor) {
                bounds::trait_listings(state, &relations, &names, &mut candidates);
            }
            modules::module_candidates(state, request.text, cursor, current, &mut candidates);
        }
        if signals.similarity {
            similarity::similarity_candidates(
                state,
                &self.windows,
                &region,
                options.window_lines,
                current,
                &relations,
                &mut candidates,
            );
        }

        let considered = candidates.len();
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.file.cmp(&b.file)));
        let snippets = selection::select(state, &candidates, request);
        let tokens_used = snippets.iter().map(|s| s.tokens).sum();
        ContextResult {
            path,
            cursor,
            snippets,
            tokens_used,
            token_budget: request.token_budget,
            candidates: considered,
        }
    }
}
