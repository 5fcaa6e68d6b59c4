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
# that ctags finds defined exactly once in the repository count, so the defining line is
# unambiguous. The benchmark masks the rest of the line from the cursor on.
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
KINDS = {"func", "function", "method", "class", "struct", "enum", "trait", "interface", "typedef",
         "type", "alias", "macro", "union", "module"}
SKIP_LINE = re.compile(r"^\s*(//|#|\*|/\*|use |import |from |export \* from|pub use |mod |pub mod )")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
quota = {"rust": n_rust, "python": n_py, "typescript": n_ts, "go": n_go}
quota_before = {"rust": b_rust, "python": b_py, "typescript": b_ts, "go": b_go}
per_lang = {}
for lang, root, sub, exts in repos:
    tags = subprocess.run(["ctags", "-R", "--output-format=json", "--fields=+nK", "-f", "-", sub],
                          capture_output=True, text=True, check=True).stdout
    defs = {}
    for line in tags.splitlines():
        try:
            tag = json.loads(line)
        except ValueError:
            continue
        if tag.get("_type") != "tag" or not tag["path"].endswith(exts):
            continue
        if tag.get("kind") not in KINDS or len(tag["name"]) < 4:
            continue
        defs.setdefault(tag["name"], []).append((os.path.relpath(os.path.abspath(tag["path"]), root), tag["line"] - 1))
    unique = {name: places[0] for name, places in defs.items() if len(places) == 1}
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
            for no, text in enumerate(lines):
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
                    # a use, not the definition line itself; `before` is where the name starts
                    cands.append({"lang": lang, "root": root, "file": rel, "line": no,
                                  "col": len(text[:m.end()].encode("utf-8")), "symbol": m.group(0),
                                  "def_file": place[0], "def_line": place[1],
                                  "before": len(text[:m.start()].encode("utf-8"))})
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
    return pool[:count]

def row(c, kind):
    r = {"kind": kind}
    r.update({k: v for k, v in c.items() if k != "before"})
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
