#!/usr/bin/env bash
# `npm test`: module layering, links in the docs, host unit tests (both crates), then the miniflare
# tests on the real, optimized Wasm build (the board's in headless Chromium, installed if missing),
# and the trap specs on a build made to panic on request.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/check-modules.mjs
node scripts/check-links.mjs
cargo test
bash scripts/build.sh --test-traps # the variant tests/traps.test.mjs makes panic
bash scripts/build.sh
bash scripts/chromium.sh
node --test --test-concurrency=1 tests/*.test.mjs
