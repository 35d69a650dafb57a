#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis binaries the tests start throwaway servers from are installed.
# Runs as root on CI (apt-get); elsewhere it only reports what is missing.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && { echo "PostgreSQL and Redis binaries present"; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing: ${missing[*]} (install them, or set CHIRP_TEST_DATABASE_URL)" >&2
  exit 1
fi
