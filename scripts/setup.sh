#!/usr/bin/env bash
# Installs what building the Wasm needs and the machine lacks: the wasm32 target, worker-build
# and the wasm-bindgen CLI at exactly the version Cargo.lock pins. Idempotent and quiet when all
# is present. Nothing is downloaded from GitHub: tools come from crates.io, wasm-opt and esbuild
# from npm packages (see ../shared/TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
# Both tools compile from source (crates.io has no binaries; GitHub is not reachable here).
# Measured on a 2-core machine: worker-build 221–234 s, wasm-bindgen-cli 130–134 s. Compiling them
# into one shared target directory was tried: no faster (their common dependencies differ in
# versions and features) and it left 956 MB behind, so each uses cargo's own temporary one.
STARTED=$SECONDS

# Runs "$@" while printing, every 30 s, how long it has taken against the usual time ($1 s).
with_progress() {
  local usual=$1 what=$2
  shift 2
  local begin=$SECONDS
  ( while sleep 30; do
      echo "setup: still $what: $((SECONDS - begin)) s so far, usually about $usual s on 2 cores" >&2
    done ) &
  local ticker=$!
  local status=0
  "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  echo "setup: $what took $((SECONDS - begin)) s" >&2
  return "$status"
}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target" >&2
  rustup target add wasm32-unknown-unknown >&2
fi

if ! worker-build --version 2>/dev/null | grep -q "$WORKER_BUILD_VERSION"; then
  echo "setup: installing worker-build $WORKER_BUILD_VERSION from crates.io (compiled once, a few minutes)" >&2
  with_progress 240 "compiling worker-build" \
    cargo install worker-build --version "=$WORKER_BUILD_VERSION" --locked --quiet >&2
fi

WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -z "$WB_VERSION" ]; then
  echo "setup: wasm-bindgen not found in Cargo.lock" >&2
  exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  echo "setup: installing wasm-bindgen-cli $WB_VERSION from crates.io (compiled once, a few minutes)" >&2
  # --locked fails on this registry mirror (a transitive version is missing); the CLI's own
  # version is pinned exactly, which is what must match the crate.
  with_progress 180 "compiling wasm-bindgen-cli" \
    cargo install wasm-bindgen-cli --version "=$WB_VERSION" --quiet >&2
fi

if [ ! -x node_modules/.bin/wrangler ]; then
  echo "setup: installing npm packages" >&2
  npm install --no-audit --no-fund >&2
fi
if [ $((SECONDS - STARTED)) -gt 5 ]; then
  echo "setup: done in $((SECONDS - STARTED)) s" >&2
fi
