#!/usr/bin/env bash
# `npm test`: module layering, links in the docs, host unit tests (both crates), then the miniflare
# tests on the real, optimized Wasm build and the trap specs on a build made to panic on request;
# the board's run in headless Chromium. scripts/chromium.sh finds one; if there is none, on Debian
# as root it says what it installs and why, then installs it, and anywhere else the board's specs
# fail with the command that gets one.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/check-modules.mjs
node scripts/check-links.mjs
cargo test
bash scripts/build.sh --test-traps # the variant tests/traps.test.mjs makes panic
bash scripts/build.sh
bash scripts/chromium.sh
node --test --test-concurrency=1 tests/*.test.mjs
