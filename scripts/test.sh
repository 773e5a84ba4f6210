#!/usr/bin/env bash
# `npm test`: host unit tests, then the miniflare tests on the real, optimized Wasm build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test
bash scripts/build.sh
node --test --test-concurrency=1 tests/*.test.mjs
