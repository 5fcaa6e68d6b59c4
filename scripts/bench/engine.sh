#!/usr/bin/env bash
# Engine figures for docs/benchmarks.md: our engine (mistral.rs in process, through the Engine
# trait) and llama.cpp (llama-cpp-python) on the same GGUF files, in one run.
#   scripts/bench/engine.sh [RUNS]
# Needs: scripts/setup (binary, default model) and scripts/bench/setup-llamacpp.sh (the peer).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../env.sh"
cd "$here/../.."
runs="${1:-3}"
# As the infill binary does for itself: no backtrace capture in library errors (see main.rs).
export RUST_LIB_BACKTRACE=0
models="$INFILL_CACHE_DIR/models"
q8="$models/SmolLM2-135M-Instruct.Q8_0.gguf"
q41="$models/SmolLM2-135M-Instruct.Q4_1.gguf"
prompt_file="vendor/mistralrs-core/src/prefix_cacher.rs"
cargo test --release --locked --workspace --no-run >/dev/null 2>&1
bench="$CARGO_TARGET_DIR/release/examples/engine_bench"
peer="$HOME/.cache/infill-bench/venv/bin/python scripts/bench/llamacpp_peer.py"
echo "## typing trace, Q8_0"
# The peer cuts the base prompt at its 2,000th token; ours cuts at the same character, so both
# engines answer the very same 31 prompts.
peer_trace="$($peer trace "$q8" --prompt-file "$prompt_file" --json | grep summary)"
base_chars="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["base_chars"])' "$peer_trace")"
"$bench" "$q8" trace --prompt-file "$prompt_file" --base-chars "$base_chars" | grep '"measure":"trace"'
echo "$peer_trace"
echo "## time to first token, Q8_0"
"$bench" "$q8" ttft --runs "$runs" | grep '"measure":"ttft"'
$peer ttft "$q8" --runs "$runs" --json | grep summary
for model in "$q8" "$q41"; do
  echo "## speed, $(basename "$model")"
  "$bench" "$model" speed --runs "$runs" | grep -E '"measure":"(speed|load)"'
  $peer speed "$model" --runs "$runs" --json | grep summary
done
echo "## copy-heavy output (an edit's), Q8_0: decoding without and with prompt-lookup drafts"
"$bench" "$q8" edit --runs "$runs" | grep '"measure":"edit"'
