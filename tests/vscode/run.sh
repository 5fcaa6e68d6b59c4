#!/usr/bin/env bash
# Runs the VS Code extension end to end: code-server 4.100.3 (VS Code 1.100) with the packaged
# extension, driven by Debian's Chromium through playwright-core, against the built infill binary
# and the real default model. Needs INFILL_BIN and INFILL_TEST_MODEL (scripts/test sets both).
# `--screenshots` also writes docs/images/vscode-*.png. On failure a screenshot and the logs are
# kept and their paths printed.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${INFILL_BIN:?INFILL_BIN is not set}"
: "${INFILL_TEST_MODEL:?INFILL_TEST_MODEL is not set}"
screenshots=""
if [ "${1:-}" = "--screenshots" ]; then
  screenshots="$root/docs/images"
fi

tools="$("$root/scripts/install-code-server")" || { echo "vscode: FAIL installing code-server"; exit 1; }
eval "$tools"
vsix="${INFILL_VSIX:-}"
if [ -z "$vsix" ]; then
  vsix="$("$root/scripts/package-vscode")" || { echo "vscode: FAIL packaging the extension"; exit 1; }
fi

work="$(mktemp -d)"
project="$work/project"
mkdir -p "$project" "$work/data/User" "$work/data/Machine" "$work/extensions"
cp -r "$root/examples/demo/." "$project/"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
cat >"$work/config.yaml" <<YAML
bind-addr: 127.0.0.1:$port
auth: none
cert: false
YAML
# infill.serverPath is a machine setting: in code-server (a remote window) it is read from the
# machine's settings, not the user's. A link of its own, so that the test sees it was used.
mkdir -p "$work/bin"
ln -s "$INFILL_BIN" "$work/bin/infill"
INFILL_WORK="$work" node - "$work/data" <<'JS'
const path = require('path');
const settings = {
  'infill.model.path': process.env.INFILL_TEST_MODEL,
  'infill.completion.time_budget_ms': 20000,
  'infill.actions.max_tokens': 96,
  'infill.log_file': path.join(process.env.INFILL_WORK, 'infill.log'),
  'editor.autoIndent': 'none',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.minimap.enabled': false,
  'editor.fontSize': 14,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.commandCenter.enabled': false,
  'files.autoSave': 'off',
  'window.commandCenter': false,
};
const write = (file, value) => require('fs').writeFileSync(path.join(process.argv[2], file), JSON.stringify(value, null, 2));
write('User/settings.json', settings);
write('Machine/settings.json', { 'infill.serverPath': path.join(process.env.INFILL_WORK, 'bin', 'infill') });
JS

codeserver=(node "$INFILL_CODE_SERVER" --config "$work/config.yaml" --user-data-dir "$work/data"
  --extensions-dir "$work/extensions" --disable-telemetry --disable-update-check
  --disable-workspace-trust)
if ! "${codeserver[@]}" --install-extension "$vsix" >"$work/install.log" 2>&1; then
  echo "vscode: FAIL installing $vsix"
  tail -20 "$work/install.log" | sed 's/^/  code-server: /'
  exit 1
fi
"${codeserver[@]}" "$project" >"$work/code-server.log" 2>&1 &
server=$!

status=0
INFILL_VSCODE_URL="http://127.0.0.1:$port/?folder=$project" INFILL_PROJECT="$project" \
  INFILL_WORK="$work" INFILL_SCREENSHOTS="$screenshots" INFILL_CHROMIUM="$INFILL_CHROMIUM" \
  NODE_PATH="$INFILL_PLAYWRIGHT" timeout 420 node "$here/drive.js" || status=$?
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
if [ "$status" -eq 0 ]; then
  rm -rf "$work"
  exit 0
fi
echo "vscode: FAIL (exit $status); kept $work (failure.png, infill.log, code-server.log)"
tail -20 "$work/infill.log" 2>/dev/null | sed 's/^/  infill: /'
grep -i "error" "$work/code-server.log" | tail -10 | sed 's/^/  code-server: /'
exit 1
