#!/usr/bin/env bash
# `npm run deploy:check` (and CI): what `npm run deploy` would upload, without an account or the
# network. `wrangler deploy --dry-run` runs the build, bundles the worker and its assets, checks
# wrangler.toml and the bindings, and prints the upload size. Fails if the bundle is over
# Cloudflare's limit (64 MiB uncompressed, on every plan) or over 3 MB compressed, a bound of our
# own that keeps the Worker deployable under the Free plan's earlier limit too.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false
LIMIT_KIB=$((64 * 1024))                                          # 64 MiB
GZIP_LIMIT_KIB=${DEPLOY_GZIP_LIMIT_KIB:-$((3 * 1000 * 1000 / 1024))} # 3 MB, in wrangler's KiB
out=build/dry-run
rm -rf "$out"
log=$(npx wrangler deploy --dry-run --outdir "$out" 2>&1) || { echo "$log" >&2; exit 1; }
line=$(grep -E '^Total Upload:' <<<"$log") || { echo "$log" >&2; echo "deploy-check: no 'Total Upload' line" >&2; exit 1; }
raw_kib=$(sed -E 's/^Total Upload: ([0-9.]+) KiB.*/\1/' <<<"$line")
gzip_kib=$(sed -E 's/.*gzip: ([0-9.]+) KiB.*/\1/' <<<"$line")
grep -E '^(env\.|Binding)' <<<"$log" || true
echo "deploy-check: $line (limits: ${LIMIT_KIB} KiB uncompressed, ${GZIP_LIMIT_KIB} KiB gzip); bundle in $out/"
over() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
if over "$raw_kib" "$LIMIT_KIB" || over "$gzip_kib" "$GZIP_LIMIT_KIB"; then
  echo "deploy-check: the bundle is over its size limit" >&2
  exit 1
fi
