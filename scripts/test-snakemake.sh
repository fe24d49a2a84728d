#!/usr/bin/env bash
# Runs the README's Snakemake rule (the ```python block after "A Snakemake rule", taken from README.md as it
# is) on the committed Norman 2019 fixture with the command line built by `cargo test`, and checks its outputs
# are the bytes of the same run made directly. Snakemake comes from PyPI into target/snakemake-venv; when it
# cannot be installed (no registry) the test says so and is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
SNAKEMAKE_VERSION=9.27.1
BIN=${PERTURB_CHECK_BIN:-$PWD/target/debug/perturb-check}
VENV=$PWD/target/snakemake-venv

if [ ! -x "$VENV/bin/snakemake" ] || [ "$("$VENV/bin/snakemake" --version)" != "$SNAKEMAKE_VERSION" ]; then
  if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "snakemake==$SNAKEMAKE_VERSION"; }; then
    echo "snakemake: SKIPPED (snakemake $SNAKEMAKE_VERSION could not be installed from PyPI)"
    exit 0
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fixture=tests/fixtures/norman2019_cebpe_cebpb
cp "$fixture/pseudobulk.csv" "$work/"
cp -r "$fixture/predictions" "$work/"
models=$(cd "$fixture/predictions" && ls ./*.csv | sed 's|^\./||; s|\.csv$||' | sed 's/.*/"&"/' | paste -sd, -)
{
  echo "MODELS = [$models]"
  awk '/^A Snakemake rule/ { found = 1 } found && /^```python$/ { inside = 1; next } inside && /^```$/ { exit } inside' README.md
} > "$work/Snakefile"
grep -q '^rule perturb_check:' "$work/Snakefile" || { echo "snakemake: no rule found in README.md" >&2; exit 1; }

mkdir -p "$work/bin"
ln -s "$BIN" "$work/bin/perturb-check"
(cd "$work" && PATH="$work/bin:$PATH" "$VENV/bin/snakemake" --cores 1 perturb_check/norman)

# The same run made directly; report.html differs by its date line only.
(cd "$work" && "$BIN" --quiet run pseudobulk.csv predictions/*.csv --out direct)
undated() { sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z/DATE/g' "$1"; }
count=0
for file in "$work"/direct/*; do
  name=$(basename "$file")
  if [ "$name" = report.html ]; then
    cmp -s <(undated "$file") <(undated "$work/perturb_check/norman/$name")
  else
    cmp -s "$file" "$work/perturb_check/norman/$name"
  fi || { echo "snakemake: $name differs from the direct run's" >&2; exit 1; }
  count=$((count + 1))
done
[ "$count" -ge 5 ] || { echo "snakemake: only $count files written" >&2; exit 1; }
echo "snakemake: the README's rule wrote the direct run's $count files"
