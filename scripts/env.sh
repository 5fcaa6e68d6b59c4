# Shared settings for Infill's scripts: sourced, not run.
# A persistent target directory keeps the 15-minute mistral.rs build out of every clean clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/infill-target}"
export INFILL_CACHE_DIR="${INFILL_CACHE_DIR:-$HOME/.cache/infill}"
INFILL_BIN="$CARGO_TARGET_DIR/release/infill"
INFILL_NVIM_DIR="$INFILL_CACHE_DIR/nvim"
export INFILL_BIN INFILL_NVIM_DIR
