#!/usr/bin/env bash
# Sample for the parse benchmark; _N_ is replaced by a counter when repeated.
# BENCH-REPEAT
set -euo pipefail

load_settings_N_() {
  local file="${1:?usage: load_settings file}"
  local loaded=0
  while IFS='=' read -r key value; do
    [[ -z "$key" || "$key" == \#* ]] && continue
    key="$(echo "$key" | tr -d '[:space:]')"
    SETTINGS_N_["$key"]="${value## }"
    loaded=$((loaded + 1))
  done < "$file"
  echo "loaded $loaded settings from $file" >&2
}

declare -A SETTINGS_N_=()
if [[ $# -gt 0 ]]; then
  load_settings_N_ "$1"
  for key in "${!SETTINGS_N_[@]}"; do
    printf '%s = %s\n' "$key" "${SETTINGS_N_[$key]}"
  done | sort
fi
