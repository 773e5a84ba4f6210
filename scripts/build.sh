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

# Strip the names and producers sections worker-build keeps (smaller upload, faster start);
# panics still print their Rust message through console_error_panic_hook.
if [ "${LIVEHOOK_NO_OPT:-0}" != "1" ]; then
  features=()
  for f in mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling; do
    features+=("--enable-$f")
  done
  "$WASM_OPT_BIN" "${features[@]}" --strip-debug --strip-producers build/index_bg.wasm -o build/index_bg.wasm
fi

