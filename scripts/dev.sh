#!/usr/bin/env bash
# `npm run dev`: local worker on 127.0.0.1:${PORT:-8787} with local KV and Durable Objects.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --without-tool # the build (wrangler runs it) compiles the tool beside the Wasm
if [ ! -f .dev.vars ]; then
  cp .dev.vars.example .dev.vars
  echo "dev: no .dev.vars found, using the harmless values of .dev.vars.example" >&2
fi
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false LIVEHOOK_NO_OPT=1
echo "dev: status board at http://127.0.0.1:${PORT:-8787}/ (sign in with STATUS_API_TOKEN from .dev.vars)" >&2
# The Cron Trigger (a reconcile pass every minute), which wrangler dev does not fire by itself;
# it stops within a minute of wrangler dev, which takes this shell's process.
node scripts/dev-cron.mjs &
exec npx wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --test-scheduled "$@"
