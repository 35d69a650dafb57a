#!/usr/bin/env bash
# Makes sure the Chromium the dashboard's browser test drives (platform/test/dashboard-browser.test.ts)
# is installed at /usr/bin/chromium. Runs as root on CI (apt-get); elsewhere it only reports what is missing.
set -euo pipefail
chromium=/usr/bin/chromium
[ -x "$chromium" ] && { echo "Chromium present ($chromium)"; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$chromium" ] || { echo "apt-get installed chromium, but $chromium is still missing" >&2; exit 1; }
else
  echo "missing: chromium at $chromium (apt-get install chromium; the browser test skips without it, and fails on CI)" >&2
  exit 1
fi
