#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (playwright-core drives it) when it is missing.
set -euo pipefail
if command -v chromium >/dev/null; then
  echo "== chromium: $(chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "Chromium is missing and this user cannot install it: run 'apt-get install chromium' as root, or set CHROMIUM_PATH." >&2
  exit 1
fi
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "== installing chromium (apt)"
export DEBIAN_FRONTEND=noninteractive
run apt-get install -y -q chromium >/dev/null 2>&1 || { run apt-get update -q && run apt-get install -y -q chromium; }
echo "== chromium: $(chromium --version 2>/dev/null | head -n 1)"
