#!/usr/bin/env bash
# `npm run bench`: builds the optimized Wasm, makes sure wrk is there, runs bench/run.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s%3N)
bash scripts/build.sh
# The runner reports how long the whole `npm run bench` took, and the build's share.
export BENCH_STARTED_MS=$started BENCH_BUILD_MS=$(( $(date +%s%3N) - started ))
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "bench: installing Debian's wrk, the load generator of the end-to-end runs" >&2
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else
    echo "bench: wrk is missing: install it (Debian: sudo apt-get install wrk)" >&2
    exit 1
  fi
fi
exec node bench/run.mjs "$@"
