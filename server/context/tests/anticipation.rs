//! Context for what the user is about to write: with the cursor before a name (nothing typed
//! yet), the ranker anticipates it from the rest of the file, the enclosing signature, similar
//! sibling functions and recent edits; and packs skeletons first so many candidates fit.

mod common;

use common::*;
use infill_context::*;

/// `count` lines of filler statements (about 24 bytes each), pushing text out of the region
/// the ranker reads around the cursor (6,000 bytes before it, 1,500 after).
fn filler(prefix: &str, count: usize) -> String {
    (0..count).map(|i| format!("    {prefix}_{i} = {i} + 1\n")).collect()
}

/// Ranks with the cursor at the end of the first occurrence of `marker` in `relative`.
fn rank_at(f: &Fixture, relative: &str, marker: &str, budget: usize) -> ContextResult {
    f.rank_after(relative, marker, budget)
}

fn reasons(result: &ContextResult) -> String {
    result
        .snippets
        .iter()
        .map(|s| format!("{:?} {} {:.2} {}", s.kind, s.path.display(), s.score, s.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The definition (whole or skeleton) whose text holds `needle`; similarity windows, which
/// may show the same lines for other reasons, do not count.
fn snippet_with<'r>(result: &'r ContextResult, needle: &str) -> Option<&'r Snippet> {
    result.snippets.iter().find(|s| s.kind != SnippetKind::Window && s.text.contains(needle))
}

#[test]
fn a_name_imported_but_not_used_yet_is_anticipated_far_from_its_import() {
    let spec = format!(
        "//- /client.py\ndef build_request(method, url):\n    return (method, url)\n\n\
         def parse_reply(raw):\n    return raw\n\n\
         //- /main.py\nfrom client import build_request, parse_reply\n\n\
         def first():\n    return parse_reply(1)\n\n\
         def later():\n{}    return \n",
        filler("step", 400)
    );
    let spec = spec.replace("\n\n//- /main.py", "\n//- /main.py");
    let f = fixture(&spec);
    let result = rank_at(&f, "main.py", "    return \n", 1024);
    let wanted = snippet_with(&result, "def build_request")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("imported, not used yet"), "{}", reasons(&result));
    // The unused import ranks above the one the file already uses.
    let unused = f.rank_of(&result, "client.py", "def build_request").unwrap();
    let used = f.rank_of(&result, "client.py", "def parse_reply");
    assert!(used.is_none_or(|used| unused < used), "{}", reasons(&result));
}

#[test]
fn a_name_used_after_the_cursor_is_anticipated() {
    let spec = format!(
        "//- /totals.py\ndef finalize_totals(rows):\n    return sum(rows)\n\
         //- /report.py\ndef report(rows):\n    result = \n{}    return finalize_totals(rows)\n",
        filler("cell", 120)
    );
    let f = fixture(&spec);
    let path = f.path("report.py");
    let text = std::fs::read_to_string(&path).unwrap();
    let cursor = text.find("    result = ").unwrap() + "    result = ".len();
    let mut request = ContextRequest::new(&path, &text, cursor, 1024);
    // (A similarity window of the two-line file would show the definition for another reason,
    // and so would the calls signal: `report` calls it.)
    request.options.signals.similarity = false;
    request.options.signals.calls = false;
    let result = f.index.rank(&request);
    let wanted = snippet_with(&result, "def finalize_totals")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("used after the cursor"), "{}", reasons(&result));
    // Switched off, the name beyond the region is not looked up.
    request.options.signals.anticipation = false;
    let without = f.index.rank(&request);
    assert!(snippet_with(&without, "def finalize_totals").is_none(), "{}", reasons(&without));
}

#[test]
fn the_enclosing_signature_brings_its_parameter_types() {
    let spec = format!(
        "//- /models.py\nclass PurchaseOrder:\n    def total(self):\n        return 0\n\
         //- /handlers.py\ndef handle(order: PurchaseOrder, limit: int):\n{}    return \n",
        filler("line", 400)
    );
    let f = fixture(&spec);
    let result = rank_at(&f, "handlers.py", "    return ", 1024);
    let wanted = snippet_with(&result, "class PurchaseOrder")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("in the enclosing signature"), "{}", reasons(&result));
}

#[test]
fn a_similar_sibling_function_lends_the_names_it_uses() {
    let sibling = "def export_csv(rows, path):\n    header = column_names(rows)\n    \
                   with open(path) as out:\n        write_rows_quoted(out, header, rows)\n";
    let spec = format!(
        "//- /writers.py\ndef write_rows_quoted(out, header, rows):\n    out.write(header)\n\
         //- /export.py\n{sibling}\ndef padding():\n{}\n\
         def export_tsv(rows, path):\n    header = column_names(rows)\n    \
         with open(path) as out:\n        \n",
        filler("pad", 400)
    );
    let f = fixture(&spec);
    // The cursor in `export_tsv` (the end of the file), not in the sibling with the same lines.
    let text = std::fs::read_to_string(f.path("export.py")).unwrap();
    let cursor = text.len() - 1;
    let last = f.index.rank(&ContextRequest::new(&f.path("export.py"), &text, cursor, 1024));
    let wanted = snippet_with(&last, "def write_rows_quoted")
        .unwrap_or_else(|| panic!("{}", reasons(&last)));
    assert!(wanted.reason.contains("used by a similar function"), "{}", reasons(&last));
}

#[test]
fn definitions_touched_by_recent_edits_elsewhere_are_candidates() {
    let f = fixture(
        "//- /util.py\ndef stale_helper():\n    return 1\n\n\
         def fresh_helper(value):\n    return value * 2\n\
         //- /main.py\ndef run():\n    x = 1\n    \n",
    );
    let path = f.path("main.py");
    let text = std::fs::read_to_string(&path).unwrap();
    let cursor = text.len() - 1;
    let before = f.index.rank(&ContextRequest::new(&path, &text, cursor, 1024));
    assert!(snippet_with(&before, "def fresh_helper").is_none(), "{}", reasons(&before));
    let edits = [EditedLines { path: f.path("util.py"), first_line: 4, last_line: 4 }];
    let mut request = ContextRequest::new(&path, &text, cursor, 1024);
    request.recent_edits = &edits;
    let after = f.index.rank(&request);
    let wanted =
        snippet_with(&after, "def fresh_helper").unwrap_or_else(|| panic!("{}", reasons(&after)));
    assert!(wanted.reason.contains("edited recently"), "{}", reasons(&after));
    assert!(snippet_with(&after, "def stale_helper").is_none(), "{}", reasons(&after));
    // An edit of a file the index does not know, or past its end, is ignored.
    let odd = [
        EditedLines { path: f.path("nowhere.py"), first_line: 0, last_line: 3 },
        EditedLines { path: f.path("util.py"), first_line: 900, last_line: 2 },
    ];
    request.recent_edits = &odd;
    f.index.rank(&request);
}

#[test]
fn only_the_best_few_definitions_are_whole_the_rest_are_skeletons() {
    let mut defs = String::new();
    let mut names = Vec::new();
    for i in 0..12 {
        defs.push_str(&format!(
            "def helper_number_{i}(value):\n    \"\"\"Helper {i}.\"\"\"\n    first = value + {i}\n    second = first * 2\n    return second\n\n"
        ));
        names.push(format!("helper_number_{i}"));
    }
    let spec = format!(
        "//- /helpers.py\n{defs}//- /main.py\nfrom helpers import {}\n\ndef run(value):\n    return \n",
        names.join(", ")
    );
    let f = fixture(&spec);
    let result = rank_at(&f, "main.py", "    return ", 1024);
    let from_helpers: Vec<&Snippet> =
        result.snippets.iter().filter(|s| s.path == f.path("helpers.py")).collect();
    assert_eq!(from_helpers.len(), 12, "{}", reasons(&result));
    let whole = from_helpers.iter().filter(|s| s.kind == SnippetKind::Definition).count();
    assert!((1..=3).contains(&whole), "{whole} whole definitions\n{}", reasons(&result));
    for skeleton in from_helpers.iter().filter(|s| s.kind == SnippetKind::Skeleton) {
        assert!(skeleton.text.starts_with("def helper_number_"), "{}", skeleton.text);
        assert!(!skeleton.text.contains("second = first"), "no body: {}", skeleton.text);
    }
    assert!(result.tokens_used <= 1024);
}

#[test]
fn minified_files_bring_no_snippets() {
    let minified: String =
        (0..200).map(|i| format!("var a{i}=function(b){{return b+{i}}};")).collect();
    let spec = format!(
        "//- /dist/bundle.js\nfunction computeLedgerTotal(rows){{return rows}};{minified}\n\
         //- /src/ledger.js\nfunction computeLedgerTotal(rows) {{\n  return rows.length;\n}}\n\
         //- /src/main.js\nconst total = computeLedgerTotal(rows);\n"
    );
    let f = fixture(&spec);
    let result = rank_at(&f, "src/main.js", "computeLedgerTotal", 2048);
    assert!(snippet_with(&result, "return rows.length").is_some(), "{}", reasons(&result));
    assert!(
        result.snippets.iter().all(|s| !s.path.ends_with("dist/bundle.js")),
        "{}",
        reasons(&result)
    );
}

#[test]
fn the_name_at_the_cursor_still_ranks_first() {
    let spec = format!(
        "//- /client.py\ndef build_request(method, url):\n    return (method, url)\n\n\
         def open_session(host):\n    return host\n\
         //- /main.py\nfrom client import build_request, open_session\n\ndef later():\n{}    return open_session\n",
        filler("step", 30)
    );
    let f = fixture(&spec);
    let result = rank_at(&f, "main.py", "return open_session", 1024);
    assert_top(&f, &result, "client.py", "def open_session", 1);
}

/// Ranks `relative` with the cursor at the end of its text, similarity windows off (they may
/// show the same lines for another reason).
fn rank_at_end(f: &Fixture, relative: &str, budget: usize) -> ContextResult {
    let path = f.path(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    let cursor = text.trim_end_matches('\n').len();
    let mut request = ContextRequest::new(&path, &text, cursor, budget);
    request.options.signals.similarity = false;
    f.index.rank(&request)
}

#[test]
fn a_field_receiver_brings_the_members_of_its_type() {
    // `Notify`'s impl is too long for a whole skeleton; `lock_waiter_list`, its last method, is
    // the one other code calls, so the listing shows it even though it is cut.
    let methods: String = (0..40)
        .map(|i| format!("    /// Does step {i} of the protocol.\n    pub fn step_{i}(&self) -> usize {{ {i} }}\n"))
        .collect();
    let spec = format!(
        "//- /src/notify.rs\npub struct Notify {{\n    state: usize,\n}}\n\nimpl Notify {{\n{methods}\
         \x20   pub fn lock_waiter_list(&self) -> usize {{ 0 }}\n}}\n\
         //- /src/barrier.rs\nfn wait(n: &Notify) -> usize {{\n    n.lock_waiter_list()\n}}\n\
         //- /src/set_once.rs\npub struct SetOnce {{\n    notify: Notify,\n}}\n\n\
         fn pad() {{\n{}}}\n\nimpl SetOnce {{\n    fn wake(&self) {{\n        let guard = self.notify.\n",
        filler("let pad", 300)
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "src/set_once.rs", 1024);
    let listing = snippet_with(&result, "fn lock_waiter_list")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(listing.reason.contains("members of `Notify`"), "{}", reasons(&result));
    assert!(listing.text.starts_with("impl Notify {"), "{}", listing.text);
    // Signatures only: no doc comments, no bodies.
    assert!(!listing.text.contains("///") && listing.text.contains("{ ... }"), "{}", listing.text);
}

#[test]
fn a_call_chain_receiver_takes_the_type_its_calls_return() {
    // `Builder::new_current_thread()` returns a `Builder`, `.enable_all()` returns `&mut Self`:
    // after the chain's last `.` the members of `Builder` are listed, the ones other code calls
    // first.
    let methods: String = (0..30)
        .map(|i| format!("    /// Sets option {i}.\n    pub fn option_{i}(&mut self) -> &mut Self {{ self }}\n"))
        .collect();
    let spec = format!(
        "//- /src/runtime/builder.rs\npub struct Builder {{\n    kind: usize,\n}}\n\nimpl Builder {{\n\
         \x20   pub fn new_current_thread() -> Builder {{ Builder {{ kind: 0 }} }}\n\
         \x20   pub fn enable_all(&mut self) -> &mut Self {{ self }}\n{methods}\
         \x20   pub fn on_thread_park(&mut self) -> &mut Self {{ self }}\n}}\n\
         //- /src/other.rs\nfn a(b: &mut Builder) {{\n    b.on_thread_park();\n}}\n\
         //- /tests/park.rs\nfn rt() -> usize {{\n    let rt = Builder::new_current_thread()\n        \
         .enable_all()\n        .\n"
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "tests/park.rs", 1024);
    let listing = snippet_with(&result, "fn on_thread_park")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(listing.reason.contains("members of `Builder`"), "{}", reasons(&result));
}

#[test]
fn a_name_like_the_assigned_one_is_anticipated_from_the_package() {
    // Nothing in the test file names `activeHelpEnvVar`; the variable being assigned is named
    // like it, and its package (the directory) defines it. The package's other functions stay
    // out: the budget is small and they match no part of `activeHelpVar`.
    let others: String = (0..40)
        .map(|i| format!("// Command step {i}.\nfunc commandStep{i}(name string) string {{\n\treturn name\n}}\n\n"))
        .collect();
    let spec = format!(
        "//- /go.mod\nmodule example.com/cli\n\
         //- /active_help.go\npackage cli\n\n\
         // activeHelpEnvVar returns the variable that switches active help off.\n\
         func activeHelpEnvVar(name string) string {{\n\treturn name + \"_ACTIVE_HELP\"\n}}\n\n{others}\
         //- /zsh_test.go\npackage cli\n\nfunc TestZsh(t *testing.T) {{\n\tactiveHelpVar := \n"
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "zsh_test.go", 256);
    let wanted = snippet_with(&result, "func activeHelpEnvVar")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("named like the assigned name"), "{}", reasons(&result));
}

#[test]
fn where_only_a_trait_fits_the_imported_traits_are_anticipated() {
    // A glob import names nothing; in a `where` clause the traits of the imported module are
    // what comes next, and the module's plain functions are not.
    let helpers: String = (0..40)
        .map(|i| {
            format!("/// Helper {i}.\npub fn helper_{i}(x: usize) -> usize {{\n    x + {i}\n}}\n\n")
        })
        .collect();
    let spec = format!(
        "//- /src/lib.rs\npub mod plumbing;\npub mod once;\n\
         //- /src/plumbing.rs\n{helpers}/// Consumes the items of a parallel iterator.\n\
         pub trait UnindexedConsumer<Item> {{\n    fn split_off_left(&self) -> Self;\n}}\n\
         //- /src/once.rs\nuse crate::plumbing::*;\n\npub struct Once<T>(T);\n\n\
         impl<T> Once<T> {{\n    fn drive_unindexed<C>(self, consumer: C) -> usize\n    where\n        C: \n"
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "src/once.rs", 256);
    let wanted = snippet_with(&result, "pub trait UnindexedConsumer")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("a trait, where only a trait fits"), "{}", reasons(&result));
}

#[test]
fn a_receiver_declared_from_a_function_call_has_the_type_it_returns() {
    // `r := New()`: `New` is a function, so `r` is what it returns, an `*Engine`; and
    // `c, _ := CreateTestContext(w)` takes the first of its results.
    let spec = "//- /go.mod\nmodule example.com/web\n\
                //- /gin.go\npackage web\n\ntype Engine struct {\n\tpool int\n}\n\n\
                // New returns a blank engine.\nfunc New() *Engine {\n\treturn &Engine{}\n}\n\n\
                func (engine *Engine) allocateContext(max uint16) *Context {\n\treturn nil\n}\n\n\
                type Context struct {\n\tkeys map[string]any\n}\n\n\
                func (c *Context) FormFile(name string) (string, error) {\n\treturn name, nil\n}\n\n\
                func CreateTestContext(w int) (c *Context, r *Engine) {\n\treturn nil, nil\n}\n\
                //- /helpers.go\npackage web\n\nfunc helper() {\n\tr := New()\n\tc := r.\n\
                //- /form_test.go\npackage web\n\nfunc TestForm(t *testing.T) {\n\tc, _ := CreateTestContext(1)\n\tf, err := c.\n";
    let f = fixture(spec);
    let result = rank_at_end(&f, "helpers.go", 1024);
    let listing = snippet_with(&result, "allocateContext(max uint16)")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(listing.reason.contains("members of `Engine`"), "{}", reasons(&result));
    let result = rank_at_end(&f, "form_test.go", 1024);
    let listing = snippet_with(&result, "FormFile(name string)")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(listing.reason.contains("members of `Context`"), "{}", reasons(&result));
}

#[test]
fn a_test_anticipates_what_its_name_says_it_tests() {
    let others: String =
        (0..40).map(|i| format!("def other_{i}(url):\n    return url + {i}\n\n")).collect();
    let spec = format!(
        "//- /client.py\n{others}def head(url):\n    return url\n\n\
         //- /test_client.py\nimport client\n\n\ndef test_head():\n    assert "
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "test_client.py", 128);
    let wanted =
        snippet_with(&result, "def head(url)").unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("named like the enclosing function"), "{}", reasons(&result));
}

#[test]
fn a_blank_line_in_a_file_of_macro_wrapped_items_lists_the_macro_family() {
    // `metrics.rs` wraps its items in `cfg_rt! {`; the next item is likely wrapped in another
    // macro of the same file, which it does not name: the family's file lists its macros, the
    // ones the workspace invokes most first.
    let family: String = (0..40)
        .map(|i| format!("macro_rules! cfg_feature_{i} {{\n    ($($item:item)*) => {{ $( #[cfg(feature = \"f{i}\")] $item )* }}\n}}\n\n"))
        .collect();
    let users: String = (0..3)
        .map(|i| format!("//- /src/net{i}.rs\ncfg_net! {{\n    pub fn net_{i}() {{}}\n}}\n"))
        .collect();
    let spec = format!(
        "//- /src/macros/cfg.rs\nmacro_rules! cfg_rt {{\n    ($($item:item)*) => {{ $( #[cfg(feature = \"rt\")] $item )* }}\n}}\n\n\
         {family}macro_rules! cfg_net {{\n    ($($item:item)*) => {{ $( #[cfg(feature = \"net\")] $item )* }}\n}}\n\
         {users}//- /src/runtime/metrics.rs\ncfg_rt! {{\n    pub struct Metrics;\n}}\n\n\n"
    );
    let f = fixture(&spec);
    let path = f.path("src/runtime/metrics.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let cursor = text.len() - 1;
    let mut request = ContextRequest::new(&path, &text, cursor, 1024);
    request.options.signals.similarity = false;
    let result = f.index.rank(&request);
    let listing = snippet_with(&result, "macro_rules! cfg_net")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(
        listing.reason.contains("the macros of a file this one invokes"),
        "{}",
        reasons(&result)
    );
}

#[test]
fn a_go_receiver_brings_its_methods_from_sibling_files() {
    let spec = "//- /go.mod\nmodule example.com/web\n\
                //- /context.go\npackage web\n\ntype Context struct {\n\tkeys map[string]any\n}\n\
                //- /context_keys.go\npackage web\n\n\
                // MustGet returns the value for the key or panics.\n\
                func (c *Context) MustGet(key string) any {\n\treturn c.keys[key]\n}\n\n\
                func unrelated() int {\n\treturn 1\n}\n\
                //- /auth.go\npackage web\n\nfunc authorize(c *Context) string {\n\tuser := c.\n";
    let f = fixture(spec);
    let result = rank_at_end(&f, "auth.go", 1024);
    let listing = snippet_with(&result, "func (c *Context) MustGet(key string) any")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(listing.path.ends_with("context_keys.go"), "{}", reasons(&result));
    assert!(listing.reason.contains("members of `Context`"), "{}", reasons(&result));
    assert!(!listing.text.contains("unrelated"), "{}", listing.text);
}

#[test]
fn a_name_the_file_uses_often_outranks_one_it_uses_once() {
    let often_uses: String = (0..12).map(|i| format!("    part_{i} = Often({i})\n")).collect();
    let spec = format!(
        "//- /a_once.py\nclass Once:\n    pass\n\
         //- /z_often.py\nclass Often:\n    pass\n\
         //- /main.py\nfrom a_once import Once\nfrom z_often import Often\n\n\
         def build():\n    single = Once()\n{often_uses}\n\
         def pad():\n{}\n\
         def later():\n    value = \n",
        filler("pad", 400)
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "main.py", 1024);
    let often = f.rank_of(&result, "z_often.py", "class Often");
    let once = f.rank_of(&result, "a_once.py", "class Once");
    assert!(
        often.is_some_and(|often| once.is_none_or(|once| often < once)),
        "{}",
        reasons(&result)
    );
}

#[test]
fn a_go_file_anticipates_the_helpers_its_package_uses_most() {
    // Go files of one directory share their names without imports: `stringInSlice`, which
    // three other files of the package call, is likely next; `neverCalled` is not raised.
    let unused: String = (0..30)
        .map(|i| format!("func neverCalled{i}(a int) int {{\n\treturn a + {i}\n}}\n\n"))
        .collect();
    let users: String = (0..3)
        .map(|i| {
            format!(
                "//- /use{i}.go\npackage cobra\n\nfunc use{i}(v string, list []string) bool {{\n\
                 \treturn stringInSlice(v, list)\n}}\n"
            )
        })
        .collect();
    let spec = format!(
        "//- /go.mod\nmodule example.com/cobra\n\
         //- /cobra.go\npackage cobra\n\n{unused}\
         func stringInSlice(a string, list []string) bool {{\n\treturn false\n}}\n\
         {users}//- /args.go\npackage cobra\n\nfunc OnlyValidArgs(args []string, valid []string) error {{\n\
         \tfor _, v := range args {{\n\t\tif !"
    );
    let f = fixture(&spec);
    let path = f.path("args.go");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut request = ContextRequest::new(&path, &text, text.len(), 1024);
    // (The sibling files' windows would show the calls for another reason.)
    request.options.signals.similarity = false;
    let result = f.index.rank(&request);
    let wanted = snippet_with(&result, "func stringInSlice")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("used across this package"), "{}", reasons(&result));
    assert!(snippet_with(&result, "func neverCalled0").is_none(), "{}", reasons(&result));
    request.options.signals.anticipation = false;
    let without = f.index.rank(&request);
    assert!(snippet_with(&without, "func stringInSlice").is_none(), "{}", reasons(&without));
}

#[test]
fn a_rust_module_path_lists_the_items_of_the_module_file() {
    let others: String =
        (0..30).map(|i| format!("pub fn park_helper_{i}() -> usize {{\n    {i}\n}}\n\n")).collect();
    let spec = format!(
        "//- /src/lib.rs\npub mod runtime;\nmod future;\n\
         //- /src/runtime/mod.rs\npub(crate) mod park;\n\
         //- /src/runtime/park.rs\n{others}/// Parks the current thread, cached.\n\
         pub(crate) struct CachedParkThread {{\n    _p: (),\n}}\n\
         //- /src/runtime/blocking.rs\nuse crate::runtime::park::CachedParkThread;\n\
         //- /src/runtime/enter.rs\nuse crate::runtime::park::CachedParkThread;\n\
         //- /src/future/mod.rs\nmod block_on;\n\
         //- /src/future/block_on.rs\npub(crate) fn block_on() {{\n    let mut park = crate::runtime::park::"
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "src/future/block_on.rs", 512);
    let listing = snippet_with(&result, "struct CachedParkThread")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(listing.path.ends_with("src/runtime/park.rs"), "{}", reasons(&result));
    assert!(
        listing.reason.contains("items of module `crate::runtime::park`"),
        "{}",
        reasons(&result)
    );
    // The listing is the signal's: without it, the module's file brings nothing.
    let path = f.path("src/future/block_on.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut request = ContextRequest::new(&path, &text, text.trim_end_matches('\n').len(), 512);
    request.options.signals.similarity = false;
    request.options.signals.anticipation = false;
    let without = f.index.rank(&request);
    assert!(snippet_with(&without, "struct CachedParkThread").is_none(), "{}", reasons(&without));
}

#[test]
fn after_new_the_classes_of_imported_files_are_anticipated() {
    // The file imports thirty functions and one class, none used yet; after `new` only the
    // class fits.
    let functions: String = (0..30)
        .map(|i| {
            format!(
                "export function subjectHelper{i}(x: number): number {{\n  return x + {i};\n}}\n\n"
            )
        })
        .collect();
    let imported: String = (0..30).map(|i| format!("subjectHelper{i}, ")).collect();
    let spec = format!(
        "//- /src/Subject.ts\n{functions}/** A multicast observable. */\nexport class Subject<T> {{\n  next(value: T): void {{}}\n}}\n\
         //- /src/windowTime.ts\nimport {{ {imported}Subject }} from './Subject';\n\n\
         export function windowTime<T>(span: number) {{\n  const window = new "
    );
    let f = fixture(&spec);
    let path = f.path("src/windowTime.ts");
    let text = std::fs::read_to_string(&path).unwrap();
    let cursor = text.trim_end_matches('\n').len();
    let mut request = ContextRequest::new(&path, &text, cursor, 128);
    request.options.signals.similarity = false;
    let result = f.index.rank(&request);
    let wanted =
        snippet_with(&result, "class Subject").unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("a class, after `new`"), "{}", reasons(&result));
    // Elsewhere in the function the class has no such edge over the functions.
    let elsewhere = cursor - "new ".len();
    let plain = f.index.rank(&ContextRequest::new(&path, &text, elsewhere, 128));
    let class = f.rank_of(&plain, "Subject.ts", "class Subject");
    let helper = f.rank_of(&plain, "Subject.ts", "function subjectHelper0(");
    assert!(
        class.is_none_or(|class| helper.is_some_and(|helper| helper < class)),
        "{}",
        reasons(&plain)
    );
}

#[test]
fn a_file_that_invokes_no_macro_family_yet_borrows_its_neighbours_and_counterparts_come_first() {
    let family: String = (0..40)
        .map(|i| format!("macro_rules! cfg_feature_{i} {{\n    ($($item:item)*) => {{ $( #[cfg(feature = \"f{i}\")] $item )* }}\n}}\n\n"))
        .collect();
    let spec = format!(
        "//- /src/macros/cfg.rs\n{family}macro_rules! cfg_io_util {{\n    ($($item:item)*) => {{ $( $item )* }}\n}}\n\n\
         macro_rules! cfg_loom {{\n    ($($item:item)*) => {{ $( $item )* }}\n}}\n\n\
         macro_rules! cfg_not_loom {{\n    ($($item:item)*) => {{ $( $item )* }}\n}}\n\
         //- /src/io/util/read.rs\ncfg_io_util! {{\n    pub fn read() {{}}\n}}\n\
         //- /src/io/util/write.rs\ncfg_io_util! {{\n    pub fn write() {{}}\n}}\n\
         //- /src/io/util/write_ext.rs\nuse crate::io::util::write::write;\n\n\n\
         //- /src/sync/tests.rs\ncfg_not_loom! {{\n    mod plain;\n}}\n\n\n"
    );
    let f = fixture(&spec);
    let rank_blank = |relative: &str, budget: usize| {
        let path = f.path(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut request = ContextRequest::new(&path, &text, text.len() - 1, budget);
        request.options.signals.similarity = false;
        f.index.rank(&request)
    };
    // write_ext.rs invokes no macro yet; the files beside it wrap their items in cfg_io_util!.
    let result = rank_blank("src/io/util/write_ext.rs", 1024);
    let listing = snippet_with(&result, "macro_rules! cfg_io_util")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(listing.reason.contains("this directory's files invoke"), "{}", reasons(&result));
    // With room for a few macros only, `cfg_not_loom!`'s counterpart is listed first.
    let result = rank_blank("src/sync/tests.rs", 96);
    let listing = snippet_with(&result, "macro_rules! cfg_loom")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(!listing.text.contains("cfg_feature_39"), "{}", listing.text);
}

#[test]
fn after_an_imported_go_package_its_most_used_exported_names_are_anticipated() {
    // `*logrus.` in a sub-package: the package's exported types that the workspace uses most
    // are what follows; its functions are not (after `*` only a type fits), nor its unexported
    // names.
    let unexported: String = (0..30)
        .map(|i| {
            format!(
                "func helper{i}(a int) int {{\n\treturn a + {i}\n}}\n\n\
                 func Helper{i}(a int) int {{\n\treturn helper{i}(a)\n}}\n\n"
            )
        })
        .collect();
    let users: String = (0..3)
        .map(|i| format!("//- /use{i}.go\npackage logrus\n\nfunc use{i}(e *Entry) *Entry {{\n\treturn e\n}}\n"))
        .collect();
    let spec = format!(
        "//- /go.mod\nmodule github.com/sirupsen/logrus\n\
         //- /logrus.go\npackage logrus\n\n{unexported}\
         // Entry is one log record.\ntype Entry struct {{\n\tMessage string\n}}\n\
         {users}//- /hooks/syslog/syslog.go\npackage syslog\n\n\
         import (\n\t\"github.com/sirupsen/logrus\"\n)\n\n\
         type SyslogHook struct{{}}\n\nfunc (hook *SyslogHook) Fire(entry *logrus."
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "hooks/syslog/syslog.go", 256);
    let wanted = snippet_with(&result, "type Entry struct")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(
        wanted.reason.contains("exported by the package before the cursor"),
        "{}",
        reasons(&result)
    );
    assert!(!result.snippets.iter().any(|s| s.text.contains("elper")), "{}", reasons(&result));
}

#[test]
fn a_go_import_alias_is_not_a_name_the_package_defines() {
    // `log "…/logrus"` binds the package to `log`; the package's own `log` method is not
    // what the file imported.
    let spec = "//- /go.mod\nmodule github.com/sirupsen/logrus\n\
                //- /entry.go\npackage logrus\n\ntype Entry struct{}\n\n\
                func (entry *Entry) log(msg string) {\n\t_ = msg\n}\n\n\
                // TextFormatter formats entries as text.\ntype TextFormatter struct{}\n\
                //- /hooks/writer/writer_test.go\npackage writer\n\n\
                import (\n\tlog \"github.com/sirupsen/logrus\"\n)\n\n\
                func TestWriter() {\n\tf := &log.";
    let f = fixture(spec);
    let result = rank_at_end(&f, "hooks/writer/writer_test.go", 1024);
    assert!(snippet_with(&result, "func (entry *Entry) log(").is_none(), "{}", reasons(&result));
    let wanted = snippet_with(&result, "type TextFormatter struct")
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    assert!(wanted.reason.contains("exported by the package"), "{}", reasons(&result));
}

#[test]
fn where_only_a_trait_fits_a_file_rich_in_traits_lists_them_one_line_each() {
    // Fourteen traits of sixty methods each: their skeletons do not all fit the budget, one line
    // per trait does.
    let traits: String = (0..14)
        .map(|t| {
            let methods: String = (0..60)
                .map(|m| format!("    /// Method {m}.\n    fn method_{t}_{m}(&self, x: usize) -> usize {{\n        x + {m}\n    }}\n"))
                .collect();
            format!("/// Trait {t}.\npub trait ParallelTrait{t}: Send {{\n{methods}}}\n\n")
        })
        .collect();
    let spec = format!(
        "//- /src/lib.rs\npub mod iter;\npub mod collections;\n\
         //- /src/iter.rs\n{traits}\
         //- /src/collections.rs\nuse crate::iter::*;\n\npub struct Deque<T>(Vec<T>);\n\nimpl<T: Send> "
    );
    let f = fixture(&spec);
    let result = rank_at_end(&f, "src/collections.rs", 1024);
    // Every trait is in the context, which their skeletons alone do not achieve.
    let context: String = result.snippets.iter().map(|s| s.text.as_str()).collect();
    for t in 0..14 {
        assert!(context.contains(&format!("pub trait ParallelTrait{t}:")), "{}", reasons(&result));
    }
    let listing = result
        .snippets
        .iter()
        .find(|s| s.reason.contains("the traits of an imported file"))
        .unwrap_or_else(|| panic!("{}", reasons(&result)));
    for t in 0..14 {
        assert!(listing.text.contains(&format!("pub trait ParallelTrait{t}:")), "{}", listing.text);
    }
    assert!(!listing.text.contains("fn method_0_0"), "{}", listing.text);
}
