#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting, clippy, the native engine tests (unit,
# integration, doc), then the page built with Trunk and driven in headless Chromium, the README's Snakemake
# rule run with the command line, then a fuzz smoke run (15 s per reader target).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
source scripts/env.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
trunk build --release
node tests/e2e/app.test.mjs
scripts/test-snakemake.sh
scripts/fuzz.sh 15
