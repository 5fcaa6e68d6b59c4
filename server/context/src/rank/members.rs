//! Members of the receiver: with the cursor right after `receiver.`, `Type::` or `receiver->`,
//! the next token is a member of the receiver's type, whose name appears nowhere yet.
//!
//! The receiver's type is read lexically from the live text: a capitalized receiver is a type
//! itself (`Builder::`, `ErrorCode::`); otherwise the nearest declaration of the receiver says
//! it (`notify: Notify`, `(c *Context)`, `let powers = Powers::new()`, `r := &Engine{`); a
//! receiver that is a call has the type its definition returns, followed back through chains
//! (`Builder::new_current_thread().enable_all().` → `Builder`, `Self` being the owner). The
//! candidates are listings of that type's members in the files that define it: a container's
//! header and its members' signatures (an `impl` block, a class), or for Go, whose methods sit
//! outside the type, the methods whose receiver is the type.

use std::collections::HashMap;
use std::path::Path;

use super::candidate::{Candidate, Source};
use super::region::floor_char_boundary;
use super::relations::Relations;
use super::symbols::NameUse;
use crate::extract::{DefKind, Definition};
use crate::ids::FileId;
use crate::index::State;
use crate::lexical::{
    self, ident_at, ident_before, is_ident_continue as is_ident_byte, token_hash,
};

/// Score of a member listing (times the type's specificity and the file's relation).
const W_MEMBERS: f32 = 6.0;
/// At most this many receiver types are looked up.
const MAX_TYPES: usize = 3;
/// Types defined in more files than this are too common to list.
const MAX_FILES_PER_TYPE: usize = 16;
/// At most this many files are scanned for a type's members.
const MAX_FILES_SCANNED: usize = 48;
/// Occurrences of the receiver looked at for a declaration.
const MAX_OCCURRENCES: usize = 64;
/// Calls followed back through a chain (`a().b().c().`).
const MAX_CHAIN: usize = 4;
/// Bytes searched back for the `(` of a call's argument list.
const MAX_CALL_BYTES: usize = 4096;
/// A function defined in more files than this is looked up only on a known owner type.
const MAX_FILES_PER_FUNCTION: usize = 24;
/// Bytes of a function's signature read for its return type.
const MAX_SIGNATURE_BYTES: usize = 600;
/// Generic wrappers whose argument is the type that has the members.
const WRAPPERS: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "Option",
    "Mutex",
    "RwLock",
    "RefCell",
    "Cell",
    "Pin",
    "Weak",
    "Vec",
    "Optional",
    "Result",
    "Poll",
    "List",
    "Sequence",
    "Promise",
    "Array",
    "ReadonlyArray",
];

fn capitalized(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
}

/// Type names that the receiver before `cursor` may have, best first; empty when the cursor
/// does not follow a member access. With `state`, a receiver that is a call takes the type its
/// definition returns (`Builder::new()`, `.enable_all()` on it, `self.io.registration()`).
pub(super) fn receiver_types<'a>(
    state: Option<&'a State>,
    text: &'a str,
    cursor: usize,
) -> Vec<&'a str> {
    let Some(before) = text.get(..cursor) else { return Vec::new() };
    let Some(head) = strip_access(before) else { return Vec::new() };
    expression_types(state, text, head.trim_end().len(), 0)
}

/// `before` without its trailing member access, if it has one.
fn strip_access(before: &str) -> Option<&str> {
    lexical::strip_member_access(before).map(|(head, _)| head)
}

/// The types of the expression ending at `end` in `text`.
fn expression_types<'a>(
    state: Option<&'a State>,
    text: &'a str,
    end: usize,
    depth: usize,
) -> Vec<&'a str> {
    let head = &text[..end];
    // `call()?.` reaches the call's success type.
    let call = head.strip_suffix('?').unwrap_or(head);
    if call.ends_with(')') {
        return if depth < MAX_CHAIN {
            call_types(state, text, call.len() - 1, depth)
        } else {
            Vec::new()
        };
    }
    let receiver = ident_before(head, head.len());
    if receiver.is_empty() || receiver.as_bytes()[0].is_ascii_digit() {
        return Vec::new();
    }
    if capitalized(receiver) {
        return vec![receiver];
    }
    if matches!(receiver, "self" | "this" | "super" | "crate" | "Self") {
        return Vec::new();
    }
    let declared = declared_types(text, receiver, head.len() - receiver.len());
    match state {
        // `r = New()`: a declared "type" that only a function defines is what it returns.
        Some(state) => declared
            .into_iter()
            .flat_map(|name| {
                if names_only_functions(state, name) {
                    return_types(state, name, &[])
                } else {
                    vec![name]
                }
            })
            .take(MAX_TYPES)
            .collect(),
        None => declared,
    }
}

/// Whether the definitions of `name` (in the first few files defining it) are all functions.
fn names_only_functions(state: &State, name: &str) -> bool {
    let files = state.files_defining(name);
    !files.is_empty()
        && files.iter().take(8).all(|&file| {
            state.file(file).is_some_and(|entry| {
                entry.symbols.definitions_named(name).all(|at| {
                    matches!(
                        entry.symbols.definitions[at].kind,
                        DefKind::Function | DefKind::Method
                    )
                })
            })
        })
}

/// The types of the call whose argument list closes at `close`: what the called function's
/// definition returns (`Self` is its owner), or for a constructor (`Error::Io(e)`, `Client(x)`)
/// the type it builds.
fn call_types<'a>(
    state: Option<&'a State>,
    text: &'a str,
    close: usize,
    depth: usize,
) -> Vec<&'a str> {
    let Some(open) = matching_open(text, close) else { return Vec::new() };
    let callee = ident_before(text, open);
    if callee.is_empty() || callee.as_bytes()[0].is_ascii_digit() {
        return Vec::new();
    }
    let before_callee = &text[..open - callee.len()];
    let (owners, qualifier) = if let Some(path) = before_callee.strip_suffix("::") {
        let qualifier = ident_before(path, path.len());
        (if capitalized(qualifier) { vec![qualifier] } else { Vec::new() }, Some(qualifier))
    } else if let Some(receiver) = strip_access(before_callee) {
        (expression_types(state, text, receiver.trim_end().len(), depth + 1), None)
    } else {
        (Vec::new(), None)
    };
    let returned = state.map(|state| return_types(state, callee, &owners)).unwrap_or_default();
    if !returned.is_empty() {
        return returned;
    }
    if capitalized(callee) {
        return match qualifier {
            Some(qualifier) if capitalized(qualifier) => vec![qualifier],
            _ => vec![callee],
        };
    }
    Vec::new()
}

/// The `(` that opens the group closed by the `)` at `close` (within a few KB).
fn matching_open(text: &str, close: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let floor = close.saturating_sub(MAX_CALL_BYTES);
    let mut depth = 0usize;
    let mut at = close;
    loop {
        match bytes[at] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
        if at == floor {
            return None;
        }
        at -= 1;
    }
}

/// The types that definitions of the function `name` return, for calls on `owners` (any owner
/// when none is known and the name is specific enough); wrappers (`Result`, `Option`) last.
fn return_types<'a>(state: &'a State, name: &str, owners: &[&str]) -> Vec<&'a str> {
    let files = state.files_defining(name);
    if owners.is_empty() && files.len() > MAX_FILES_PER_FUNCTION {
        return Vec::new();
    }
    let mut found: Vec<&'a str> = Vec::new();
    for &file in files.iter().take(MAX_FILES_SCANNED) {
        let Some(entry) = state.file(file) else { continue };
        let defs = &entry.symbols.definitions;
        for at in entry.symbols.definitions_named(name) {
            let def = &defs[at];
            if !matches!(def.kind, DefKind::Function | DefKind::Method) {
                continue;
            }
            let owner = def
                .parent
                .map(|parent| &*defs[parent as usize].name)
                .or_else(|| go_receiver(&entry.text, def));
            if !owners.is_empty() && !owner.is_some_and(|owner| owners.contains(&owner)) {
                continue;
            }
            for returned in signature_return_types(&entry.text, def) {
                let returned = if returned == "Self" {
                    match owner {
                        Some(owner) => owner,
                        None => continue,
                    }
                } else {
                    returned
                };
                if !found.contains(&returned) {
                    found.push(returned);
                }
            }
        }
    }
    let (wrapped, plain): (Vec<&str>, Vec<&str>) =
        found.into_iter().partition(|name| WRAPPERS.contains(name));
    plain.into_iter().chain(wrapped).take(MAX_TYPES).collect()
}

/// The capitalized names in the return type of a function definition: after its parameter
/// list, up to its body or `where` clause (`-> &mut Self`, `-> io::Result<Builder>`,
/// `) (*Router, error) {`, `): Promise<Client> {`, `-> Client:`).
fn signature_return_types<'t>(text: &'t str, def: &Definition) -> Vec<&'t str> {
    let end = def.body.as_ref().map_or(def.range.end, |body| body.start);
    let end = floor_char_boundary(text, end.min(def.range.start + MAX_SIGNATURE_BYTES));
    let Some(signature) = text.get(def.range.start..end) else { return Vec::new() };
    // The parameter list: the first `(` after the name (Go's receiver comes before it).
    let Some(name_at) = signature.find(&*def.name) else { return Vec::new() };
    let Some(open) = signature[name_at..].find('(').map(|at| name_at + at) else {
        return Vec::new();
    };
    let bytes = signature.as_bytes();
    let mut depth = 0usize;
    let mut close = None;
    for (at, &byte) in bytes.iter().enumerate().skip(open) {
        match byte {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(at);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else { return Vec::new() };
    let rest = &signature[close + 1..];
    let rest = rest.split(" where").next().unwrap_or(rest);
    let rest = rest.split('{').next().unwrap_or(rest);
    let mut names: Vec<&str> = Vec::new();
    for (_, name) in lexical::identifiers(rest) {
        if capitalized(name) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The types a declaration of `name` gives it, from the occurrence nearest before `limit`
/// (then the ones after it) that declares one.
fn declared_types<'t>(text: &'t str, name: &str, limit: usize) -> Vec<&'t str> {
    let bytes = text.as_bytes();
    let mut occurrences: Vec<usize> = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(name)) {
        let start = from + found;
        let end = start + name.len();
        from = end;
        let clean_start = start == 0 || !is_ident_byte(bytes[start - 1]);
        let clean_end = end >= bytes.len() || !is_ident_byte(bytes[end]);
        if clean_start && clean_end && start != limit {
            occurrences.push(start);
        }
    }
    // Nearest before the receiver first, then the rest in order.
    let (before, after): (Vec<usize>, Vec<usize>) = occurrences.iter().partition(|&&at| at < limit);
    let ordered = before.into_iter().rev().chain(after).take(MAX_OCCURRENCES);
    for start in ordered {
        let types = declaration_at(text, start, start + name.len());
        if !types.is_empty() {
            return types;
        }
    }
    Vec::new()
}

/// The capitalized type names a declaration of the name at `start..end` gives it: `name: T`,
/// `name *T` in a parameter list, `name := &T{`, `name = T(`, `let name = T::new()`.
fn declaration_at(text: &str, start: usize, end: usize) -> Vec<&str> {
    let bytes = text.as_bytes();
    let skip_spaces = |mut at: usize| {
        while at < bytes.len() && (bytes[at] == b' ' || bytes[at] == b'\t') {
            at += 1;
        }
        at
    };
    let mut at = skip_spaces(end);
    let Some(&next) = bytes.get(at) else { return Vec::new() };
    if next == b',' {
        // `name, err := value` / `name, rest = value`: the value's type (its first part).
        let rest = &text[at..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let assign = rest[..line_end].find(":=").map(|i| i + 2).or_else(|| {
            rest[..line_end]
                .find('=')
                .filter(|&i| !matches!(rest.as_bytes().get(i + 1), Some(b'=')))
                .map(|i| i + 1)
        });
        let targets = assign.map(|i| &rest[..i]).unwrap_or_default();
        let plain = targets
            .trim_end_matches([':', '='])
            .bytes()
            .all(|b| is_ident_byte(b) || matches!(b, b',' | b' ' | b'\t'));
        return match assign {
            Some(i) if plain => capitalized_names(value_type(text, at + i)),
            _ => Vec::new(),
        };
    }
    let type_text = if next == b':' && bytes.get(at + 1) != Some(&b':') {
        if bytes.get(at + 1) == Some(&b'=') {
            // Go's `name := value`.
            value_type(text, at + 2)
        } else {
            type_expression(text, at + 1)
        }
    } else if next == b'=' && bytes.get(at + 1) != Some(&b'=') {
        value_type(text, at + 1)
    } else if is_ident_byte(next) || next == b'*' || next == b'[' {
        // Go's `name T` / `name *T`, only inside a parameter list or after `var`.
        let before = text[..start].trim_end();
        let in_list = before.ends_with('(') || before.ends_with(',') || before.ends_with("var");
        if !in_list {
            return Vec::new();
        }
        while at < bytes.len() && matches!(bytes[at], b'*' | b'[' | b']' | b'&') {
            at += 1;
        }
        type_expression(text, at)
    } else {
        return Vec::new();
    };
    capitalized_names(type_text)
}

/// The capitalized names of a type expression, the innermost type past the wrappers first.
fn capitalized_names(type_text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for (_, name) in lexical::identifiers(type_text) {
        if capitalized(name) && !names.contains(&name) {
            names.push(name);
        }
    }
    let (wrapped, plain): (Vec<&str>, Vec<&str>) =
        names.into_iter().partition(|name| WRAPPERS.contains(name));
    plain.into_iter().chain(wrapped).take(MAX_TYPES).collect()
}

/// A type expression starting at `from`, up to a delimiter outside angle brackets.
fn type_expression(text: &str, from: usize) -> &str {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut at = from;
    while at < bytes.len() && at - from < 160 {
        match bytes[at] {
            b'<' | b'[' => depth += 1,
            b'>' | b']' if depth > 0 => depth -= 1,
            b',' | b')' | b';' | b'=' | b'{' | b'\n' if depth <= 0 => break,
            _ => {}
        }
        at += 1;
    }
    &text[from..at]
}

/// The type a value expression starting at `from` constructs: `&T{`, `T(`, `T::new(`,
/// `pkg.T{`, `new T(`, `NewT(`; the capitalized segments of its leading path.
fn value_type(text: &str, from: usize) -> &str {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'&' | b'*') {
        at += 1;
    }
    if text[at..].starts_with("new ") {
        at += 4;
    }
    // The leading path: identifiers joined by `.`/`::` (generics skipped).
    let start = at;
    loop {
        let ident = ident_at(text, at);
        if ident.is_empty() {
            break;
        }
        at += ident.len();
        if text[at..].starts_with("::") {
            at += 2;
        } else if text[at..].starts_with('.') {
            at += 1;
        } else {
            break;
        }
    }
    let path = &text[start..at];
    // `T::new` / `pkg.T{` / `NewT(`: the capitalized segments, and `T` of `NewT`.
    let last = path.rsplit([':', '.']).find(|s| !s.is_empty()).unwrap_or(path);
    match last.strip_prefix("New") {
        Some(rest) if capitalized(rest) && !path.contains(':') => rest,
        _ => path,
    }
}

/// Go's receiver type of a method definition: `func (c *Context) Name(` → `Context`.
fn go_receiver<'t>(text: &'t str, def: &Definition) -> Option<&'t str> {
    let header = text.get(def.range.start..def.range.end.min(def.range.start + 200))?;
    let rest = header.strip_prefix("func")?.trim_start().strip_prefix('(')?;
    let receiver = &rest[..rest.find(')')?];
    let receiver = receiver.split('[').next()?;
    Some(ident_before(receiver.trim_end(), receiver.trim_end().len()))
}

/// The files defining a type, then the other files of their directories that mention it
/// (where Go declares more methods of it), found through the type's posting list.
fn with_siblings(state: &State, type_name: &str, defining: &[FileId]) -> Vec<FileId> {
    let mut files = defining.to_vec();
    let dirs: Vec<&Path> =
        defining.iter().filter_map(|&f| state.file(f)).filter_map(|e| e.path.parent()).collect();
    if let Some(postings) = state.postings(token_hash(type_name)) {
        for &file in postings.files.iter() {
            if files.len() >= MAX_FILES_SCANNED {
                break;
            }
            let sibling = state
                .file(file)
                .and_then(|e| e.path.parent())
                .is_some_and(|dir| dirs.contains(&dir));
            if sibling && !files.contains(&file) {
                files.push(file);
            }
        }
    }
    files
}

/// Member listings of `types` (from [`receiver_types`]) in the files that define them, the
/// members whose names the request weighs most listed first.
pub(super) fn member_candidates(
    state: &State,
    types: &[&str],
    current: Option<FileId>,
    relations: &Relations,
    names: &HashMap<&str, NameUse<'_>>,
    candidates: &mut Vec<Candidate>,
) {
    for (rank, &type_name) in types.iter().take(MAX_TYPES).enumerate() {
        let files = state.files_defining(type_name);
        if files.is_empty() || files.len() > MAX_FILES_PER_TYPE {
            continue;
        }
        let specificity = 1.0 / (1.0 + (files.len() as f32).ln());
        for file in with_siblings(state, type_name, files) {
            if Some(file) == current {
                continue;
            }
            let Some(entry) = state.file(file) else { continue };
            let defs = &entry.symbols.definitions;
            let (graph, _) = relations.boost(state, file);
            let score = W_MEMBERS * specificity * graph / (1.0 + rank as f32);
            let mut groups: Vec<(Option<u32>, Vec<u32>)> = Vec::new();
            for at in entry.symbols.definitions_named(type_name) {
                if defs[at].kind.is_container() {
                    let members: Vec<u32> = (0..defs.len())
                        .filter(|&m| defs[m].parent == Some(at as u32))
                        .map(|m| m as u32)
                        .collect();
                    if !members.is_empty() {
                        groups.push((Some(at as u32), members));
                    }
                }
            }
            // Go: methods declared outside the type, by their receiver.
            let methods: Vec<u32> = (0..defs.len())
                .filter(|&m| {
                    defs[m].parent.is_none()
                        && matches!(defs[m].kind, DefKind::Method | DefKind::Function)
                        && go_receiver(&entry.text, &defs[m]) == Some(type_name)
                })
                .map(|m| m as u32)
                .collect();
            if !methods.is_empty() {
                groups.push((None, methods));
            }
            for (container, mut members) in groups {
                // Names the request weighs first, then the members other code uses most.
                let weight = |m: &u32| {
                    names.get(&*defs[*m as usize].name).map_or(0.0, |usage| usage.weight())
                };
                let used_by = |m: &u32| {
                    state.postings(token_hash(&defs[*m as usize].name)).map_or(0, |p| p.df)
                };
                members.sort_by(|a, b| {
                    weight(b).total_cmp(&weight(a)).then(used_by(b).cmp(&used_by(a))).then(a.cmp(b))
                });
                candidates.push(Candidate {
                    file,
                    source: Source::Members { container, members },
                    score,
                    reason: format!("members of `{type_name}`, the receiver's type"),
                    stable: false,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(text: &str) -> Vec<&str> {
        receiver_types(None, text, text.len())
    }

    #[test]
    fn a_capitalized_receiver_is_a_type() {
        assert_eq!(at_end("let b = Builder::"), ["Builder"]);
        assert_eq!(at_end("x = KeyClass."), ["KeyClass"]);
        assert!(at_end("let b = x + ").is_empty());
        assert!(at_end("self.").is_empty());
        assert!(at_end("").is_empty());
    }

    #[test]
    fn declarations_give_the_receiver_its_type() {
        let rust = "struct S {\n    notify: Arc<Notify>,\n}\nfn f(&self) {\n    self.notify.";
        assert_eq!(at_end(rust), ["Notify", "Arc"]);
        let go = "func (c *Context) Get(key string) {\n\tc.";
        assert_eq!(at_end(go), ["Context"]);
        let go_new = "r := &Engine{}\n\tr.";
        assert_eq!(at_end(go_new), ["Engine"]);
        let go_ctor = "r := NewRouter(x)\n\tr.";
        assert_eq!(at_end(go_ctor), ["Router"]);
        let rust_new = "let mut powers = cached::Powers::new();\nfoo(powers.";
        assert_eq!(at_end(rust_new), ["Powers"]);
        let python = "def f(client: Client):\n    client.";
        assert_eq!(at_end(python), ["Client"]);
        let go_pair = "c, _ := CreateTestContext(w)\n\tc.";
        assert_eq!(at_end(go_pair), ["CreateTestContext"]);
        let python_pair = "client, server = Client(url), Server()\nclient.";
        assert_eq!(at_end(python_pair), ["Client"]);
        assert!(at_end("f(a, b)\na.").is_empty());
        // A comparison is not a declaration; nothing else declares `x`.
        assert!(at_end("if x == 2 {\n    x.").is_empty());
    }

    #[test]
    fn a_constructor_call_is_its_type() {
        // Without an index, a call's type is known only when it constructs one.
        assert_eq!(at_end("let err = Error::Io(err)."), ["Error"]);
        assert_eq!(at_end("c = Client(url)\n    ."), ["Client"]);
        assert_eq!(at_end("let n = io::read(x)?."), Vec::<&str>::new());
        assert!(at_end("let x = (a, b).").is_empty());
        assert!(at_end("f(g(h(").is_empty());
        assert!(at_end(")).").is_empty());
    }

    #[test]
    fn return_types_come_from_the_signature() {
        let def = |text: &str, name: &str| Definition {
            name: name.into(),
            kind: DefKind::Method,
            range: 0..text.len(),
            header_start: 0,
            body: text.find('{').map(|at| at..text.len()),
            start_line: 0,
            end_line: 0,
            parent: None,
            extends: Vec::new(),
        };
        let rust = "pub fn enable_all(&mut self, f: impl Fn(Arg)) -> io::Result<Builder> where T: Send { x }";
        assert_eq!(signature_return_types(rust, &def(rust, "enable_all")), ["Result", "Builder"]);
        let go = "func (e *Engine) Group(path string) (*RouterGroup, error) { return nil }";
        assert_eq!(signature_return_types(go, &def(go, "Group")), ["RouterGroup"]);
        let ts = "open(path: Path): Promise<Session> { }";
        assert_eq!(signature_return_types(ts, &def(ts, "open")), ["Promise", "Session"]);
        let none = "fn len(&self) -> usize { 0 }";
        assert!(signature_return_types(none, &def(none, "len")).is_empty());
    }

    #[test]
    fn go_receivers() {
        let text = "func (c *Context) MustGet(key string) any { return nil }";
        let def = Definition {
            name: "MustGet".into(),
            kind: DefKind::Method,
            range: 0..text.len(),
            header_start: 0,
            body: None,
            start_line: 0,
            end_line: 0,
            parent: None,
            extends: Vec::new(),
        };
        assert_eq!(go_receiver(text, &def), Some("Context"));
        let free = "func New() *Engine { return nil }";
        let def = Definition { range: 0..free.len(), ..def };
        assert_eq!(go_receiver(free, &def), None);
    }
}
