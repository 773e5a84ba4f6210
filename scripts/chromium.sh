#!/usr/bin/env bash
# Before the board's browser tests: finds a Chromium (scripts/chromium.mjs: CHROMIUM_PATH, the
# system's, Playwright's cache). When there is none, on Debian as root it says what it installs
# and why, then installs Debian's `chromium` package (Playwright's own download cannot reach its
# CDN on these machines); anywhere else it installs nothing and says how to get one, and the
# browser specs fail with that command.
set -euo pipefail
cd "$(dirname "$0")/.."
if node scripts/chromium.mjs >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  echo "chromium: no Chromium found (CHROMIUM_PATH, chromium/chromium-browser/google-chrome, Playwright's cache)." >&2
  echo "chromium: installing Debian's 'chromium' package with the libraries it needs (apt-get install -y chromium: about 150 MB to download, 450 MB on disk) for the board's browser tests; set CHROMIUM_PATH to use another Chromium instead." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  echo "chromium: installed $(node scripts/chromium.mjs)" >&2
  exit 0
fi
# Not installed here: the browser specs fail and print the same command.
node scripts/chromium.mjs >/dev/null || true
