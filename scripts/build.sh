#!/usr/bin/env bash
# Builds build/index.js + build/index_bg.wasm: cargo (wasm32, release profile), livehook-bindgen
# (the JS glue; tools/bindgen), wasm-opt -Oz from the binaryen npm package, and esbuild, which
# bundles src/entry.js (the exports wrangler.toml names) with the glue into one module. On a fresh
# machine the tool compiles beside the Wasm. LIVEHOOK_NO_OPT=1 skips wasm-opt (faster `npm run
# dev` rebuilds); tests, benchmarks and deploys use the optimized build. LIVEHOOK_NAMES=1 keeps
# the Wasm's function names (for a CPU profile that names Rust functions; a larger upload).
#
# `--test-traps` builds the variant tests/traps.test.mjs runs into build/test-traps/: the cargo
# feature `test-traps` (a request header arms a panic), the `test-traps` profile (release's
# panic=abort, compiled faster), no wasm-opt. Never deployed.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build
cargo_args=(--release)
wasm=target/wasm32-unknown-unknown/release/livehook.wasm
if [ "${1:-}" = "--test-traps" ]; then
  out=build/test-traps
  cargo_args=(--profile test-traps --features test-traps)
  wasm=target/wasm32-unknown-unknown/test-traps/livehook.wasm
  export LIVEHOOK_NO_OPT=1
fi

bash scripts/setup.sh --without-tool
[ -x target/bindgen/release/livehook-bindgen ] || [ -d target/wasm32-unknown-unknown/release ] ||
  echo "build: first build on this machine: about 90 s on 2 cores (the Worker's Wasm and livehook-bindgen compile at once)" >&2
# livehook-bindgen (compiled once) beside the Worker's Wasm.
bash scripts/setup.sh --tool-only &
tool_pid=$!

begin=$SECONDS
if ! cargo build --lib "${cargo_args[@]}" --target wasm32-unknown-unknown --quiet; then
  wait "$tool_pid" || true
  exit 1
fi
[ $((SECONDS - begin)) -lt 5 ] || echo "build: Wasm compiled in $((SECONDS - begin)) s" >&2
wait "$tool_pid" || { echo "build: compiling livehook-bindgen failed" >&2; exit 1; }

stage=$out/.stage
rm -rf "$stage"
mkdir -p "$stage"
target/bindgen/release/livehook-bindgen "$wasm" "$stage"
if [ "${LIVEHOOK_NO_OPT:-0}" != "1" ]; then
  # The features rustc's wasm32 target and the glue's exception handling use, named one by one so
  # binaryen never emits an encoding workerd does not read yet. No names or producers sections:
  # a smaller upload and a faster start (panics still print their Rust message).
  features=()
  for f in mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling; do
    features+=("--enable-$f")
  done
  strip=(--strip-debug)
  [ "${LIVEHOOK_NAMES:-0}" != "1" ] || strip=(--debuginfo)
  node_modules/.bin/wasm-opt "$stage/index_bg.wasm" -o "$stage/index_bg.wasm" -Oz \
    "${features[@]}" "${strip[@]}" --strip-producers
fi
# The runtime imports a .wasm module as a compiled WebAssembly.Module: a plain import.
sed -i 's/^import source \(.*\.wasm["'"'"'];\)$/import \1/' "$stage/index.js"
cp src/entry.js "$stage/entry.js"
node_modules/.bin/esbuild "$stage/entry.js" --bundle --format=esm --minify --log-level=warning \
  --external:./index_bg.wasm '--external:cloudflare:*' --outfile="$stage/out.js"
mv "$stage/index_bg.wasm" "$out/index_bg.wasm"
mv "$stage/out.js" "$out/index.js"
rm -rf "$stage" build/worker build/package.json
echo "build: $out/index.js $(wc -c <"$out/index.js") B, $out/index_bg.wasm $(wc -c <"$out/index_bg.wasm") B" >&2
