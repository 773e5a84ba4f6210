#!/usr/bin/env bash
# Builds build/index.js + build/index_bg.wasm with worker-build, using locally installed
# helper tools so nothing is fetched from GitHub. LIVEHOOK_NO_OPT=1 skips wasm-opt (faster
# `npm run dev` rebuilds); tests and deploys use the optimized build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
ESBUILD_BIN="$(ls "$PWD"/node_modules/@esbuild/*/bin/esbuild 2>/dev/null | head -n 1 || true)"
[ -n "$ESBUILD_BIN" ] || ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
export ESBUILD_BIN

args=(--release)
if [ "${LIVEHOOK_NO_OPT:-0}" = "1" ]; then
  args+=(--no-opt)
fi
worker-build "${args[@]}"
