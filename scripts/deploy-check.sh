#!/usr/bin/env bash
# `npm run deploy:check` (and CI): what `npm run deploy` would upload, without an account or the
# network. `wrangler deploy --dry-run` runs the build, bundles the worker and its assets, checks
# wrangler.toml and the bindings, and prints the upload size; this fails if the compressed size is
# over the Workers Free plan's limit (3 MB compressed; paid plans allow 10 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false
FREE_LIMIT_KIB=${DEPLOY_LIMIT_KIB:-$((3 * 1000 * 1000 / 1024))} # 3 MB, in the KiB wrangler prints
out=build/dry-run
rm -rf "$out"
log=$(npx wrangler deploy --dry-run --outdir "$out" 2>&1) || { echo "$log" >&2; exit 1; }
line=$(grep -E '^Total Upload:' <<<"$log") || { echo "$log" >&2; echo "deploy-check: no 'Total Upload' line" >&2; exit 1; }
gzip_kib=$(sed -E 's/.*gzip: ([0-9.]+) KiB.*/\1/' <<<"$line")
grep -E '^(env\.|Binding)' <<<"$log" || true
echo "deploy-check: $line (free plan limit ${FREE_LIMIT_KIB} KiB compressed); bundle in $out/"
if awk -v g="$gzip_kib" -v l="$FREE_LIMIT_KIB" 'BEGIN { exit !(g > l) }'; then
  echo "deploy-check: over the free plan's limit" >&2
  exit 1
fi
