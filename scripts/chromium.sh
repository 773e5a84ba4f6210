#!/usr/bin/env bash
# Makes sure a Chromium is on the PATH for the board's browser tests: Debian's `chromium`
# package (browser downloads by Playwright cannot reach their CDN here). Installs it when run as
# root with apt-get; otherwise says what to run. CHROMIUM_PATH overrides the lookup.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "chromium: installing Debian's chromium for the board's browser tests (once)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
  exit 0
fi
echo "chromium: not found; install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH" >&2
exit 1
