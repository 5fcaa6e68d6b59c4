#!/usr/bin/env bash
# The `infill serve` client tests: the official OpenAI and Ollama Python clients (installed by
# tests/serve/setup-clients) against `$INFILL_BIN serve`. Needs INFILL_BIN and INFILL_TEST_MODEL
# (or INFILL_SERVE_CONFIG), as scripts/test exports them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="$("$here/setup-clients")"
exec "$python" "$here/test_clients.py"
