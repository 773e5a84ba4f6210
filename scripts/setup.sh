#!/usr/bin/env bash
# Installs what building the Wasm needs and the machine lacks: the npm packages (wrangler,
# miniflare, esbuild, binaryen's wasm-opt), the wasm32 target, and livehook-bindgen
# (tools/bindgen: the wasm-bindgen step, compiled from crates.io at exactly the version of the
# `wasm-bindgen` crate in Cargo.lock). Idempotent and quiet when all is present. Nothing comes from
# GitHub (see ../shared/TOOLCHAIN.md).
#
# `--without-tool` does all but the tool and `--tool-only` only the tool: scripts/build.sh runs
# the tool's part beside the Worker's own compile (on a fresh machine both compile at once).
set -euo pipefail
cd "$(dirname "$0")/.."

STARTED=$SECONDS
BINDGEN_DIR=tools/bindgen
BINDGEN_BIN=target/bindgen/release/livehook-bindgen
# Measured on a 2-core machine, fresh clone, crates in cargo's download cache: 46–55 s alone,
# 82 s beside the Worker's own first compile (scripts/build.sh runs both at once).
BINDGEN_USUAL_S=80

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

part=${1:-all}

if [ "$part" != "--tool-only" ]; then
  if [ ! -x node_modules/.bin/wrangler ] || [ ! -x node_modules/.bin/esbuild ]; then
    echo "setup: installing npm packages" >&2
    npm install --no-audit --no-fund >&2
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "setup: adding the wasm32-unknown-unknown target" >&2
    rustup target add wasm32-unknown-unknown >&2
  fi
fi

# The tool must speak the exact wasm-bindgen version the Worker links.
locked=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
wanted=$(sed -nE 's/^wasm-bindgen-cli-support = "=([0-9.]+)"$/\1/p' "$BINDGEN_DIR/Cargo.toml")
if [ -z "$locked" ] || [ "$locked" != "$wanted" ]; then
  echo "setup: Cargo.lock has wasm-bindgen '$locked' but $BINDGEN_DIR/Cargo.toml pins '$wanted': make them equal" >&2
  exit 1
fi

if [ "$part" != "--without-tool" ]; then
  build_tool() {
    cargo build --release --locked --quiet --manifest-path "$BINDGEN_DIR/Cargo.toml" \
      --target-dir target/bindgen >&2
  }
  if [ -x "$BINDGEN_BIN" ]; then
    build_tool # up to date in well under a second; rebuilds if tools/bindgen changed
  else
    echo "setup: compiling livehook-bindgen $wanted (once, about $BINDGEN_USUAL_S s beside the Wasm's first compile)" >&2
    with_progress "$BINDGEN_USUAL_S" "compiling livehook-bindgen" build_tool
  fi
fi
if [ $((SECONDS - STARTED)) -gt 5 ]; then
  echo "setup: done in $((SECONDS - STARTED)) s" >&2
fi
