#!/usr/bin/env bash
# Remote engine figures for docs/benchmarks.md: the remote path's own overhead per request on
# loopback (a server that answers at once vs the same answer in process) and failover time.
# Prints markdown tables. Builds the engine alone (no mistral.rs) in its own target directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."
export CARGO_TARGET_DIR="${INFILL_BENCH_TARGET:-$HOME/.cache/infill-bench-remote-target}"
cargo test --release --locked -p infill-engine --no-default-features --features remote \
    --test remote_bench -- --ignored --nocapture 2>&1 | grep -E '^\|'
