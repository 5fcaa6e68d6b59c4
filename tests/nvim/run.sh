#!/usr/bin/env bash
# Runs the end-to-end tests in real headless Neovim 0.12 against the built infill binary and the
# real default model. Needs INFILL_BIN and INFILL_NVIM (scripts/test sets both). Arguments name the
# tests to run (e.g. `run.sh plugin`); none runs them all.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${INFILL_BIN:?INFILL_BIN is not set}"
: "${INFILL_NVIM:?INFILL_NVIM is not set}"
export VIMRUNTIME="${VIMRUNTIME:-$(dirname "$(dirname "$INFILL_NVIM")")/share/nvim/runtime}"
# Each test's server keeps its on-disk index and explanations in a temporary cache directory of
# its own (INFILL_CACHE_DIR below), never in the user's cache; the model stays where the user's
# cache holds it (named here, as `infill model fetch` prints it, before the cache moves).
if [ -z "${INFILL_MODEL:-}" ]; then
  INFILL_MODEL="${INFILL_TEST_MODEL:-$("$INFILL_BIN" model fetch)}" || exit 1
fi
export INFILL_MODEL
passed=0
failed=0
tests=("$here"/inline_completion.lua "$here"/completion_items.lua "$here"/plugin.lua "$here"/alternatives.lua "$here"/actions.lua "$here"/refactor.lua "$here"/security.lua)
if [ $# -gt 0 ]; then
  tests=()
  for name in "$@"; do
    tests+=("$here/$name.lua")
  done
fi
for test in "${tests[@]}"; do
  name="$(basename "$test" .lua)"
  work="$(mktemp -d)"
  cp -r "$root/examples/demo/." "$work/"
  cache="$(mktemp -d)"
  export INFILL_PROJECT="$work" INFILL_RESULT="$work/result" INFILL_CACHE_DIR="$cache"
  (cd "$work" && timeout 300 "$INFILL_NVIM" --headless -u NONE -i NONE -n -c "luafile $test" >"$work/nvim.out" 2>&1)
  status=$?
  result="$(cat "$work/result" 2>/dev/null || echo "FAIL nvim exited with $status and no result")"
  echo "nvim $name: $result"
  if [[ "$result" == PASS* && $status -eq 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    sed 's/^/  nvim: /' "$work/nvim.out" | tail -20
    tail -20 "$work/infill.log" 2>/dev/null | sed 's/^/  infill: /'
  fi
  [ -n "${INFILL_KEEP:-}" ] || rm -rf "$work" "$cache"
done
echo "nvim: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
