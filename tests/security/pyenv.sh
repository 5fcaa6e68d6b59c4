#!/usr/bin/env bash
# Installs the Python packages the security tests use (jsonschema, to validate SARIF output
# against tests/security/sarif-schema-2.1.0.json) into a cached virtual environment; prints its
# python. Idempotent: a second run only prints the path.
set -euo pipefail
version="1"
requirements="jsonschema==4.26.0"
venv="$HOME/.cache/infill-pyenv-$version"
python="$venv/bin/python"
stamp="$venv/.infill-requirements"
if [ ! -x "$python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$python" -m pip install --quiet --disable-pip-version-check $requirements >&2
  echo "$requirements" > "$stamp"
fi
echo "$python"
