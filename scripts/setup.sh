#!/usr/bin/env bash
# Installs what building the Wasm needs and the machine lacks: the wasm32 target, worker-build
# and the wasm-bindgen CLI at exactly the version Cargo.lock pins. Idempotent and quiet when all
# is present. Nothing is downloaded from GitHub: tools come from crates.io, wasm-opt and esbuild
# from npm packages (see ../shared/TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target" >&2
  rustup target add wasm32-unknown-unknown >&2
fi

if ! worker-build --version 2>/dev/null | grep -q "$WORKER_BUILD_VERSION"; then
  echo "setup: installing worker-build $WORKER_BUILD_VERSION (about 4 minutes, once)" >&2
  cargo install worker-build --version "=$WORKER_BUILD_VERSION" --locked >&2
fi

WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -z "$WB_VERSION" ]; then
  echo "setup: wasm-bindgen not found in Cargo.lock" >&2
  exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  echo "setup: installing wasm-bindgen-cli $WB_VERSION (about 3 minutes, once)" >&2
  # --locked fails on this registry mirror (a transitive version is missing); the CLI's own
  # version is pinned exactly, which is what must match the crate.
  cargo install wasm-bindgen-cli --version "=$WB_VERSION" >&2
fi

if [ ! -x node_modules/.bin/wrangler ]; then
  echo "setup: installing npm packages" >&2
  npm install --no-audit --no-fund >&2
fi
