#!/usr/bin/env bash
# Builds the retrieval-quality dataset for infill-context's benchmark
# (server/context/benches/index.rs): cursor positions in real code we did not write, each on a
# line that uses a symbol defined in *another* file of the same repository. Two kinds of cursor:
#   after   right after the symbol (the ranker sees the name; the original set, unchanged)
#   before  right before it, as CrossCodeEval places them: the model has to write the name, so
#           the context must anticipate it
#
#   scripts/context-eval-data.sh [OUT_DIR]      (default /tmp/infill-context-eval)
#
# Sources (fetched with the ordinary package clients, versions pinned):
#   Rust        crates already in ~/.cargo/registry/src (ignore, rayon, tokio, serde_json, …)
#   Python      `pip download --no-deps --no-binary :all:` sdists of rich and httpx
#   TypeScript  `npm pack rxjs@7.8.1` (ships its src/*.ts)
#   Go          Debian's source packages of cobra, gin and logrus (`apt-get download` of the
#               pinned version, unpacked with `dpkg-deb -x`: no root, no install)
# Ground truth comes from universal-ctags (independent of our tree-sitter queries): only names
# that ctags finds defined exactly once in the repository are targets (and for a member access,
# `x.name` or `Enum::Name`, no field, method or variant of that name either), so the defining
# line is unambiguous; a name reached through an import from outside the repository
# (`fmt.Print`, `io::Result`, `inspect.signature`), in a docstring, or one a local binding
# shadows is not a target either. The benchmark masks the rest of the line from the cursor on.
# Output: OUT_DIR/dataset.jsonl, one JSON object per cursor:
#   {"kind", "lang", "root", "file", "line", "col", "symbol", "def_file", "def_line"}
#   (lines 0-based, col in bytes; kind "after" or "before")
set -euo pipefail
OUT="${1:-/tmp/infill-context-eval}"
PER_LANG_RUST="${PER_LANG_RUST:-100}"
PER_LANG_PY="${PER_LANG_PY:-60}"
PER_LANG_TS="${PER_LANG_TS:-60}"
PER_LANG_GO="${PER_LANG_GO:-60}"
# cursors before the name, per language
BEFORE_RUST="${BEFORE_RUST:-100}"
BEFORE_PY="${BEFORE_PY:-80}"
BEFORE_TS="${BEFORE_TS:-60}"
BEFORE_GO="${BEFORE_GO:-80}"
mkdir -p "$OUT/src"
command -v ctags >/dev/null || { echo "needs universal-ctags (apt-get install -y universal-ctags)" >&2; exit 1; }

REG=$(ls -d "$HOME"/.cargo/registry/src/*/ 2>/dev/null | head -1 || true)
for crate in ignore-0.4.35 rayon-1.12.0 tokio-1.54.1 serde_json-1.0.154; do
  if [ -n "$REG" ] && [ -d "$REG/$crate" ] && [ ! -d "$OUT/src/$crate" ]; then
    cp -r "$REG/$crate" "$OUT/src/$crate"
  fi
done
if [ ! -d "$OUT/src/rich-13.9.4" ]; then
  (cd "$OUT/src" && pip download --quiet --no-deps --no-binary :all: rich==13.9.4 -d . && tar xzf rich-13.9.4.tar.gz && rm -f rich-13.9.4.tar.gz)
fi
if [ ! -d "$OUT/src/httpx-0.28.1" ]; then
  (cd "$OUT/src" && pip download --quiet --no-deps --no-binary :all: httpx==0.28.1 -d . && tar xzf httpx-0.28.1.tar.gz && rm -f httpx-0.28.1.tar.gz)
fi
if [ ! -d "$OUT/src/rxjs-7.8.1" ]; then
  (cd "$OUT/src" && npm pack --silent rxjs@7.8.1 >/dev/null && mkdir -p rxjs-7.8.1 && tar xzf rxjs-7.8.1.tgz -C rxjs-7.8.1 && rm -f rxjs-7.8.1.tgz)
fi

# Go: Debian's -dev packages ship the module's sources (go.mod included) under /usr/share/gocode.
for pkg in golang-github-spf13-cobra-dev=1.6.1-1:spf13/cobra:cobra-1.6.1 \
           golang-github-gin-gonic-gin-dev=1.8.1-1:gin-gonic/gin:gin-1.8.1 \
           golang-github-sirupsen-logrus-dev=1.9.0-1:sirupsen/logrus:logrus-1.9.0; do
  IFS=: read -r spec module dir <<<"$pkg"
  if [ ! -d "$OUT/src/$dir" ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -q "$spec" >/dev/null 2>&1 && dpkg-deb -x ./*.deb unpacked)
    cp -r "$tmp/unpacked/usr/share/gocode/src/github.com/$module" "$OUT/src/$dir"
    rm -rf "$tmp"
  fi
done

# The standard libraries' sources, for the names of their methods and members: a method call on
# a value of unknown type (`wg.Done()`, `.collect()`) whose name the standard library also
# defines does not say which definition it uses. Go and Rust from Debian's source packages,
# TypeScript's lib.*.d.ts from its npm package, Python's from the interpreter running this.
mkdir -p "$OUT/std"
if [ ! -d "$OUT/std/go" ] || [ ! -d "$OUT/std/rust" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download -q golang-1.19-src=1.19.8-2 >/dev/null 2>&1 || apt-get download -q golang-1.19-src >/dev/null; } \
     && { apt-get download -q rust-src=1.63.0+dfsg1-2 >/dev/null 2>&1 || apt-get download -q rust-src >/dev/null; } \
     && for deb in ./*.deb; do dpkg-deb -x "$deb" unpacked; done)
  rm -rf "$OUT/std/go" "$OUT/std/rust"
  mv "$tmp/unpacked/usr/share/go-1.19/src" "$OUT/std/go"
  mkdir -p "$OUT/std/rust"
  for lib in core alloc std; do mv "$tmp/unpacked/usr/src/rustc-1.63.0/library/$lib" "$OUT/std/rust/$lib"; done
  rm -rf "$tmp"
fi
if [ ! -d "$OUT/std/typescript" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent typescript@5.6.3 >/dev/null && tar xzf typescript-5.6.3.tgz)
  mkdir -p "$OUT/std/typescript" && cp "$tmp"/package/lib/lib.*.d.ts "$OUT/std/typescript/"
  rm -rf "$tmp"
fi

python3 - "$OUT" "$PER_LANG_RUST" "$PER_LANG_PY" "$PER_LANG_TS" "$PER_LANG_GO" \
  "$BEFORE_RUST" "$BEFORE_PY" "$BEFORE_TS" "$BEFORE_GO" <<'PY'
import json, os, random, re, subprocess, sys
out = sys.argv[1]
n_rust, n_py, n_ts, n_go, b_rust, b_py, b_ts, b_go = map(int, sys.argv[2:10])
src = os.path.join(out, "src")
# (language, repository root, source subdirectory, extensions, quota share)
repos = []
for name in sorted(os.listdir(src)):
    path = os.path.join(src, name)
    if name.startswith("rich-") or name.startswith("httpx-"):
        repos.append(("python", path, path, (".py",)))
    elif name.startswith("rxjs-"):
        repos.append(("typescript", path, os.path.join(path, "package", "src"), (".ts",)))
    elif os.path.isfile(os.path.join(path, "go.mod")):
        repos.append(("go", path, path, (".go",)))
    elif os.path.isfile(os.path.join(path, "Cargo.toml")):
        repos.append(("rust", path, path, (".rs",)))
def std_members(lang):
    """names the language's standard library gives methods, fields or members"""
    if lang == "python":
        import sysconfig
        paths = [sysconfig.get_paths()["stdlib"]]
    else:
        paths = [os.path.join(out, "std", lang)]
    tags = subprocess.run(["ctags", "-R", "--output-format=json", "--languages=" + {
        "go": "Go", "rust": "Rust", "python": "Python", "typescript": "TypeScript"}[lang],
        "--exclude=test", "--exclude=tests", "--exclude=testdata", "--exclude=cmd", "--exclude=vendor",
        "--exclude=site-packages", "--exclude=*_test.go", "-f", "-"] + paths,
        capture_output=True, text=True).stdout
    names = set()
    for line in tags.splitlines():
        try:
            tag = json.loads(line)
        except ValueError:
            continue
        if tag.get("kind") in ("method", "methodSpec", "member", "field", "property") or (
                tag.get("kind") in ("func", "function") and tag.get("scope")):
            names.add(tag.get("name"))
    return names

KINDS = {"func", "function", "method", "class", "struct", "enum", "trait", "interface", "typedef",
         "type", "alias", "macro", "union", "module"}
SKIP_LINE = re.compile(r"^\s*(//|#|\*|/\*|use |import |from |export \* from|pub use |mod |pub mod )")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# ctags kinds that name something defined elsewhere (imports, impl blocks), not a definition
NOT_DEFINITIONS = {"python": {"namespace", "unknown", "module"}, "go": {"packageName", "package", "unknown"},
                   "rust": {"implementation"}, "typescript": set()}
STD_RUST = {"std", "core", "alloc"}
RUST_PRELUDE = {"Result", "Option", "Some", "None", "Ok", "Err", "Box", "Vec", "String", "ToString",
                "ToOwned", "Iterator", "IntoIterator", "Extend", "Default", "Drop", "Clone", "Copy",
                "Send", "Sync", "Sized", "Unpin", "Into", "From", "TryFrom", "TryInto", "AsRef", "AsMut",
                "Fn", "FnMut", "FnOnce", "PartialEq", "PartialOrd", "Eq", "Ord", "DoubleEndedIterator",
                "ExactSizeIterator", "FromIterator"}
RUST_PRIMITIVES = {"u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
                   "f32", "f64", "bool", "char", "str"}
# scopes ctags gives a free function or type (not a method or member)
FREE_SCOPES = {None, "package", "module", "namespace", "function", "method", "file"}
JS_GLOBALS = {"Math", "Object", "Array", "Promise", "Symbol", "console", "JSON", "Number", "String",
              "Date", "Reflect", "Error", "Function", "Map", "Set", "globalThis", "window", "document"}

class Qualifiers:
    """Whether the qualifier in front of a name (`fmt.` `io::` `inspect.`) leads outside the
    repository, from the file's imports. Unknown qualifiers (a variable of unknown type) count as
    inside: only what the imports prove external is dropped."""

    def __init__(self, lang, root):
        self.lang = lang
        self.module = ""
        self.crate = ""
        self.packages = set()
        if lang == "go":
            m = re.search(r"^module\s+(\S+)", open(os.path.join(root, "go.mod")).read(), re.M)
            self.module = m.group(1) if m else ""
        elif lang == "rust":
            m = re.search(r'^name\s*=\s*"([^"]+)"', open(os.path.join(root, "Cargo.toml")).read(), re.M)
            self.crate = m.group(1).replace("-", "_") if m else ""
        elif lang == "python":
            self.packages = {d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "__init__.py"))}

    def imports(self, text):
        """name bound by an import -> True when it comes from outside the repository"""
        bound = {}
        if self.lang == "go":
            for block in re.findall(r"^import\s*\((.*?)^\)", text, re.M | re.S) + re.findall(r"^import\s+([^(\n]+)$", text, re.M):
                for alias, path in re.findall(r'(?:^|\n)\s*([A-Za-z_.]\w*\s+)?"([^"]+)"', "\n" + block):
                    name = alias.strip() or path.rstrip("/").split("/")[-1]
                    if re.fullmatch(r"v\d+", name):
                        name = path.rstrip("/").split("/")[-2]
                    bound[name.replace("-", "_")] = not path.startswith(self.module)
        elif self.lang == "python":
            for mod, alias in re.findall(r"^\s*import\s+([\w.]+)(?:\s+as\s+(\w+))?", text, re.M):
                bound[alias or mod.split(".")[0]] = mod.split(".")[0] not in self.packages
            for mod, names in re.findall(r"^\s*from\s+([\w.]+)\s+import\s+(\([^)]*\)|[^\n]+)", text, re.M):
                outside = not mod.startswith(".") and mod.split(".")[0] not in self.packages
                for part in names.strip("()").split(","):
                    words = part.split()
                    if words:
                        bound[words[-1]] = outside
        elif self.lang == "typescript":
            for names, source in re.findall(r"^\s*import\s+(?:type\s+)?(.+?)\s+from\s+['\"]([^'\"]+)['\"]", text, re.M | re.S):
                for name in re.findall(r"(\w+)\s*(?:[,}]|$)", names):
                    bound[name] = not source.startswith(".")
        elif self.lang == "rust":
            # modules this file declares (`mod support;`) are inside
            local = set(re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)", text, re.M))
            for body in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", text, re.M):
                root = body.strip().lstrip(":").split("::")[0].strip()
                outside = root in STD_RUST or root not in {"crate", "self", "super", self.crate} | local
                for name in re.findall(r"(\w+)\s*(?:[,}]|$)", body.replace("\n", " ")):
                    if name != "self":
                        bound[name] = outside
                for name in re.findall(r"(\w+)\s*::\s*\{\s*self\b", body):
                    bound[name] = outside
                for alias in re.findall(r"\bas\s+(\w+)", body):
                    bound[alias] = outside
        return bound

    def module_matches(self, before, def_file):
        if self.lang != "rust":
            return True
        m = re.search(r"(\$?\w+)\s*::\s*$", before)
        if not m or not m.group(1)[0].islower() or m.group(1) in {"crate", "self", "super", self.crate} | RUST_PRIMITIVES:
            return True
        parts = re.split(r"[/\\]", def_file)
        return m.group(1) in parts[:-1] + [parts[-1].rsplit(".", 1)[0]]

    def member(self, before, imports):
        """whether the name is reached as a member of a value or type (`x.name`, `Enum::Name`),
        not through a module (`httpx.Client`, `file::is_hidden`, `fmt.Print`)"""
        if re.fullmatch(r"\s*\??\.\s*", before):
            return True  # a chained call continued on its own line: `    .collect()`
        if self.lang == "rust":
            if re.search(r"[\w)\]?]\s*\.\s*$", before):
                return True
            m = re.search(r"(\w+)\s*::\s*$", before)
            return m is not None and m.group(1)[0].isupper()
        m = re.search(r"(^|[^\w.])(\w+)\s*\.\s*$", before)
        if m:
            return m.group(2) not in imports or (self.lang == "python" and m.group(2)[0].isupper())
        return re.search(r"[\w)\]]\s*\.\s*$", before) is not None

    def external(self, before, imports):
        if self.lang == "rust":
            m = re.search(r"((?:\$?\w+\s*::\s*)+)$", before)
            if not m:
                return False
            first = m.group(1).split("::")[0].strip()
            if first in STD_RUST:
                return True
            if first in ("crate", "self", "super", "$crate", "Self", self.crate):
                return False
            return imports.get(first, False)
        m = re.search(r"(^|[^\w.])(\w+)\s*\.\s*$", before)
        if not m:
            return False
        qualifier = m.group(2)
        if self.lang == "typescript" and qualifier in JS_GLOBALS:
            return True
        return imports.get(qualifier, False)

quota = {"rust": n_rust, "python": n_py, "typescript": n_ts, "go": n_go}
quota_before = {"rust": b_rust, "python": b_py, "typescript": b_ts, "go": b_go}
per_lang = {}
std_names = {}
for lang, root, sub, exts in repos:
    tags = subprocess.run(["ctags", "-R", "--output-format=json", "--fields=+nKZ", "-f", "-", sub],
                          capture_output=True, text=True, check=True).stdout
    # definitions of the kinds a cursor may target, and every definition ctags sees (fields,
    # members, enum variants, variables too): a name counts as "defined once" only by the second
    defs, every = {}, {}
    for line in tags.splitlines():
        try:
            tag = json.loads(line)
        except ValueError:
            continue
        if tag.get("_type") != "tag" or not tag["path"].endswith(exts):
            continue
        place = (os.path.relpath(os.path.abspath(tag["path"]), root), tag["line"] - 1)
        if tag.get("kind") not in NOT_DEFINITIONS[lang]:
            every[tag["name"]] = every.get(tag["name"], 0) + 1
        if tag.get("kind") not in KINDS or len(tag["name"]) < 4:
            continue
        defs.setdefault(tag["name"], []).append(place + (tag.get("kind"), tag.get("scopeKind")))
    unique = {name: places[0] for name, places in defs.items() if len(places) == 1}
    resolver = Qualifiers(lang, root)
    if lang not in std_names:
        std_names[lang] = std_members(lang)
    cands = []
    for dirpath, _, files in os.walk(sub):
        for fname in sorted(files):
            if not fname.endswith(exts):
                continue
            full = os.path.join(dirpath, fname)
            rel = os.path.relpath(full, root)
            try:
                lines = open(full, encoding="utf-8").read().split("\n")
            except (UnicodeDecodeError, OSError):
                continue
            whole = "\n".join(lines)
            imports = resolver.imports(whole)
            in_docstring = False
            for no, text in enumerate(lines):
                docstring = in_docstring
                if lang == "python" and (text.count('"""') + text.count("'''")) % 2:
                    in_docstring = not in_docstring
                    docstring = True
                if SKIP_LINE.match(text) or len(text) > 200:
                    continue
                for m in IDENT.finditer(text):
                    place = unique.get(m.group(0))
                    if place is None or place[0] == rel:
                        continue
                    name, after = m.group(0), text[m.end():m.end() + 1]
                    before = text[: m.start()]
                    if before.count('"') % 2 or before.count("'") % 2 or before.count("`") % 2:
                        continue  # inside a string literal
                    # looks like a use of the definition: a call, a path, a generic or a type name
                    if not (after in ("(", "<", ":", ".", "!") or name[0].isupper()):
                        continue
                    # and is not shadowed by a local binding or parameter of the same name
                    if re.search(r"\b(let|var|const|mut|def|fn|function)\s+" + name + r"\b|[(,]\s*" + name
                                 + r"\s*[:,)=]|\b" + name + r"\s*=[^=]", whole):
                        continue
                    # The line's first such name is its candidate. Some candidates are not a use
                    # of the repository's definition; they stay in the pool (so the sample of the
                    # others does not move) but are never picked:
                    wrong = (
                        # it is reached as a member (`x.name`, `Enum::Name`) and the repository
                        # has another definition of the name (a field, a method, a variant)
                        (every.get(name, 0) > 1 and resolver.member(before, imports))
                        # it is in a docstring
                        or docstring
                        # a Go `x :=`, a loop variable or a Python `as` binding shadows it
                        or re.search(r"\b" + name + r"\s*:=|,\s*" + name + r"\s*:=|\bfor\s+" + name
                                     + r"\b", whole) is not None
                        or (lang == "python" and re.search(r"\bas\s+" + name + r"\b", whole) is not None)
                        # it is reached through something outside the repository (`fmt.Print`,
                        # `io::Result`, `inspect.signature`, `Math.max`)
                        or resolver.external(before, imports)
                        # or the name itself is imported from outside (`import inspect`,
                        # `use std::io::Result`)
                        or imports.get(name, False)
                        # a method call on a value, but the definition is a free function, or
                        # the standard library has a method of that name too
                        or (resolver.member(before, imports)
                            and (place[3] in FREE_SCOPES or name in std_names[lang]))
                        # a Rust prelude name (`Result<()>`) the file does not import from inside
                        or (lang == "rust" and name in RUST_PRELUDE and imports.get(name) is not False
                            and not re.search(r"::\s*$", before))
                        # a Rust macro call whose definition is not a macro (`file!`), or the reverse
                        or (lang == "rust" and (after == "!") != (place[2] == "macro"))
                        # a Rust macro's metavariable (`$init:expr`), or a field or parameter
                        # being declared (`shared: worker::Shared`)
                        or (lang == "rust" and (before.endswith("$") or (
                            after == ":" and text[m.end():m.end() + 2] != "::"
                            and re.fullmatch(r"\s*(pub(\([^)]*\))?\s+)?", before) is not None)))
                        # a Rust path through a module the definition's file is not in
                        # (`io::Result` when the repository's `Result` is in runtime/task/mod.rs)
                        or not resolver.module_matches(before, place[0]))
                    # a use, not the definition line itself; `before` is where the name starts
                    cands.append({"lang": lang, "root": root, "file": rel, "line": no,
                                  "col": len(text[:m.end()].encode("utf-8")), "symbol": m.group(0),
                                  "def_file": place[0], "def_line": place[1],
                                  "before": len(text[:m.start()].encode("utf-8")), "wrong": wrong})
                    break
    per_lang.setdefault(lang, []).extend(cands)
def sample(rng, cands, count):
    cands = sorted(cands, key=lambda c: (c["root"], c["file"], c["line"]))
    # at most 3 cursors per file, to spread over the repository
    by_file = {}
    for c in cands:
        by_file.setdefault((c["root"], c["file"]), []).append(c)
    pool = [c for group in by_file.values() for c in rng.sample(group, min(3, len(group)))]
    rng.shuffle(pool)
    return [c for c in pool if not c["wrong"]][:count]

def row(c, kind):
    r = {"kind": kind}
    r.update({k: v for k, v in c.items() if k not in ("before", "wrong")})
    if kind == "before":
        r["col"] = c["before"]
    return r

rows = []
# After the name: the original set (one generator over Python, Rust, TypeScript in that order,
# so those cursors are the ones earlier figures were measured on), then Go.
rng = random.Random(42)
for lang, cands in sorted(per_lang.items()):
    if lang != "go":
        rows.extend(row(c, "after") for c in sample(rng, cands, quota[lang]))
rows.extend(row(c, "after") for c in sample(random.Random(42), per_lang.get("go", []), quota["go"]))
# Before the name: a generator of its own per language.
for lang, cands in sorted(per_lang.items()):
    picked = sample(random.Random("before-" + lang), cands, quota_before[lang])
    rows.extend(row(c, "before") for c in picked)
with open(os.path.join(out, "dataset.jsonl"), "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
counts = {}
for r in rows:
    key = r["kind"] + " " + r["lang"]
    counts[key] = counts.get(key, 0) + 1
repos_used = len({r["root"] for r in rows})
print(f"wrote {len(rows)} cursors over {repos_used} repositories to {out}/dataset.jsonl: {counts}")
PY
