#!/usr/bin/env bash
# R's side of the Norman-scale double benchmark (BENCHMARKS.md): installs R and dplyr from Debian if missing
# (a benchmark's reference, not needed by the tests), generates the tables the page's benchmark reads
# (tests/e2e/bench-data.mjs) and times scripts/bench-r-double.R on them, three rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! Rscript -e 'library(dplyr)' >/dev/null 2>&1; then
  sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  $sudo_if_needed apt-get install -y --no-install-recommends r-base-core r-cran-dplyr
fi
dir="$(mktemp -d)"
node tests/e2e/bench-data.mjs "$dir" >/dev/null
for round in 1 2 3; do
  Rscript scripts/bench-r-double.R "$dir/pseudobulk.csv" "$dir/model_a.csv" "$dir/model_b.csv" | tail -1
done
rm -rf "$dir"
