#!/usr/bin/env bash
# Fuzzes the readers with cargo-fuzz (libFuzzer, nightly): CSV/TSV tables, the JSON formats, h5ad files and
# condition names. Usage: scripts/fuzz.sh [seconds per target (default 20)] [targets...]
# The seeds are committed inputs (the bad-input corpus, the anndata fixtures, fuzz/seeds); what
# libFuzzer finds goes to fuzz/corpus (not committed); a crash stops the script with its input in
# fuzz/artifacts. The test command runs a short smoke run; longer runs are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds=${1:-20}
shift || true
targets=("${@:-table json h5ad conditions}")
declare -A seeds=(
  [table]="tests/fixtures/bad"
  [json]="fuzz/seeds/json"
  [h5ad]="tests/fixtures/h5ad/formats"
  [conditions]="fuzz/seeds/conditions"
)
for target in ${targets[@]}; do
  mkdir -p "fuzz/corpus/$target"
  echo "[fuzz] $target for ${seconds} s"
  log="fuzz/corpus/$target.log"
  status=0
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "${seeds[$target]}" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -malloc_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
  if [ "$status" -ne 0 ]; then
    # A crash leaves its input in fuzz/artifacts/<target>; the log says what happened.
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -20 || tail -40 "$log"
    echo "[fuzz] $target failed (status $status); see $log"
    exit 1
  fi
done
