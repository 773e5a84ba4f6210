#!/usr/bin/env bash
# `npm run fuzz [-- target...]`: bounded libFuzzer runs of the pure core (see fuzz/README.md).
#
# Each target runs for FUZZ_SECONDS (default 300), one after the other, one process each (the
# machine is shared). FUZZ_RUNS=N also stops a target after N executions. Prints a table and
# records it in fuzz/RESULTS.md; exits non-zero if any target found a crash.
#
# Stable toolchain only: with `--sanitizer none` cargo-fuzz passes no -Z flag. RUSTC_BOOTSTRAP=1
# is set only if FUZZ_SANITIZER names a real sanitizer (those need -Zsanitizer on stable).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
ALL_TARGETS=(cloudflare fastpix gcore cloudflare_stream ivs mux livepeer srs nginx_rtmp mediamtx ovenmediaengine auth subscribers headers)
SECONDS_PER_TARGET=${FUZZ_SECONDS:-300}
RUNS=${FUZZ_RUNS:-}
SANITIZER=${FUZZ_SANITIZER:-none}
RSS_LIMIT_MB=2048
BODY_LIMIT=65536 # MAX_BODY_BYTES in src/http/error.rs: the worker refuses larger bodies

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (${ALL_TARGETS[*]})" >&2; exit 2; }
done

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
[ "$SANITIZER" = none ] || export RUSTC_BOOTSTRAP=1

fuzz_flags=(--fuzz-dir fuzz --sanitizer "$SANITIZER" --debug-assertions)
cargo fuzz build "${fuzz_flags[@]}"

# A seed file (folders among the fixtures, such as a stored Durable Object, are not inputs).
seed() { [ ! -f "$1" ] || [ -e "$2" ] || cp "$1" "$2"; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
logs=fuzz/target/logs
mkdir -p "$logs"
declare -A rows
failed=0
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  artifacts=fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  # Seeds: the committed hand-made ones, and every provider fixture for the provider targets.
  for f in fuzz/seeds/"$t"/*; do seed "$f" "$corpus/seed-$(basename "$f")"; done
  case $t in cloudflare | fastpix | gcore | cloudflare_stream | ivs | mux | livepeer | srs | nginx_rtmp | mediamtx | ovenmediaengine)
    for f in tests/fixtures/*/*; do seed "$f" "$corpus/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
  esac
  case $t in
    headers) max_len=4096 ;;     # one header or setting value
    subscribers) max_len=8192 ;; # see fuzz/README.md: longer inputs only repeat what fits in 8 KiB
    *) max_len=$BODY_LIMIT ;;
  esac
  args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_LIMIT_MB" -max_len="$max_len"
    -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f fuzz/dict/"$t".dict ] && args+=(-dict=fuzz/dict/"$t".dict)
  [ -n "$RUNS" ] && args+=(-runs="$RUNS")
  before=$(find "$artifacts" -type f | wc -l)
  corpus_start=$(find "$corpus" -type f | wc -l)
  echo "fuzz: $t for up to ${SECONDS_PER_TARGET}s${RUNS:+ or $RUNS runs}" >&2
  start=$(date +%s)
  status=0
  cargo fuzz run "${fuzz_flags[@]}" "$t" "$corpus" -- "${args[@]}" >"$logs/$t.log" 2>&1 || status=$?
  secs=$(($(date +%s) - start))
  stat() { sed -n "s/^stat::$1: *//p" "$logs/$t.log" | tail -1; }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  crashes=$(($(find "$artifacts" -type f | wc -l) - before))
  if [ "$status" != 0 ] || [ "$crashes" != 0 ]; then
    failed=1
    echo "fuzz: $t FAILED (exit $status), see $logs/$t.log and $artifacts/" >&2
    grep -m1 -A2 "panicked at" "$logs/$t.log" >&2 || tail -20 "$logs/$t.log" >&2
  fi
  rows[$t]="| $t | ${execs:-?} | ${rate:-?} | $secs | $corpus_start → $(find "$corpus" -type f | wc -l) | $crashes | $(date -u +%F) |"
done

header='| target | executions | exec/s | seconds | corpus files (start → end) | crashes | run on |'
rule='|---|---:|---:|---:|---:|---:|---|'
printf '%s\n%s\n' "$header" "$rule"
for t in "${targets[@]}"; do echo "${rows[$t]}"; done

# fuzz/RESULTS.md: this run's rows, and the last recorded row of each target not run now.
results=fuzz/RESULTS.md
table=()
notes=$(sed -n '/^## Notes/,$p' "$results" 2>/dev/null || true) # kept as written by hand
for t in "${ALL_TARGETS[@]}"; do
  row=${rows[$t]:-$(grep "^| $t |" "$results" 2>/dev/null || true)}
  [ -z "$row" ] || table+=("$row")
done
{
  echo "# Fuzzing results"
  echo
  echo "Written by \`scripts/fuzz.sh\` (\`npm run fuzz\`); figures are libFuzzer's final stats."
  echo
  echo "- Last run: $(date -u '+%F %H:%M UTC'), targets: ${targets[*]}, FUZZ_SECONDS=$SECONDS_PER_TARGET${RUNS:+, FUZZ_RUNS=$RUNS}, ${SECONDS}s in all"
  echo "- Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), load average before the run: $load_before"
  echo "- $(rustc --version), $(cargo fuzz --version), libfuzzer-sys $(grep -A1 '^name = "libfuzzer-sys"' fuzz/Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')"
  echo "- Sanitizer: $SANITIZER; release build with debug assertions and overflow checks; one process per target; -rss_limit_mb=$RSS_LIMIT_MB, -max_len=$BODY_LIMIT (headers 4096, subscribers 8192)"
  echo
  echo "$header"
  echo "$rule"
  printf '%s\n' "${table[@]}"
  [ -z "$notes" ] || printf '\n%s\n' "$notes"
} >"$results.tmp"
mv "$results.tmp" "$results"
echo "fuzz: results in $results" >&2
exit "$failed"
