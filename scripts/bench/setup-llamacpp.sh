#!/usr/bin/env bash
# Installs llama.cpp's Python binding (llama-cpp-python) into a private venv for the
# llama.cpp peer benchmark (scripts/bench/llamacpp_peer.py). Idempotent: does nothing when
# the binding already imports from the venv.
#
#   scripts/bench/setup-llamacpp.sh            # newest version on PyPI
#   LLAMACPP_VERSION=0.3.36 scripts/bench/setup-llamacpp.sh
#
# Env: INFILL_BENCH_DIR (default ~/.cache/infill-bench), LLAMACPP_VERSION (default: the one
# measured in docs/benchmarks.md; set to "latest" for the newest), CMAKE_ARGS (default: portable
# x86-64 build with AVX2/FMA/F16C, no -march=native so results are comparable across machines).
# PyPI ships llama-cpp-python only as an sdist for Linux CPU, so this compiles llama.cpp
# (about 10-20 minutes on 2 cores).
set -euo pipefail

BENCH_DIR="${INFILL_BENCH_DIR:-$HOME/.cache/infill-bench}"
VENV="$BENCH_DIR/venv"
VERSION="${LLAMACPP_VERSION:-0.3.36}"
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null; then
    echo "llama-cpp-python $("$VENV/bin/python" -c 'import llama_cpp; print(llama_cpp.__version__)') already installed in $VENV"
    exit 0
fi

mkdir -p "$BENCH_DIR"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"

if [ "$VERSION" = latest ]; then spec=llama-cpp-python; else spec="llama-cpp-python==$VERSION"; fi
echo "building $spec with CMAKE_ARGS=$CMAKE_ARGS (this takes a while)"
# Only the binding itself is built from source; its build tools (cmake, ninja,
# scikit-build-core) come as wheels.
"$VENV/bin/pip" install "$spec"
"$VENV/bin/python" -c 'import llama_cpp; print("installed llama-cpp-python", llama_cpp.__version__)'
