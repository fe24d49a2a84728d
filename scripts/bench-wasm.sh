#!/usr/bin/env bash
# Runs examples/bench_engine.rs compiled to WebAssembly (wasm32-wasip1, simd128, release), to compare with the
# native run (`cargo run --release --example bench_engine`). Results: BENCHMARKS.md.
#   scripts/bench-wasm.sh             in Node's WASI (scripts/run-wasi.mjs)
#   scripts/bench-wasm.sh --chromium  in headless Chromium, in a Web Worker as the page's engine runs
#                                     (tests/e2e/bench-wasi.mjs; needs scripts/install-tools.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
RUSTFLAGS="-C target-feature=+simd128" cargo build --release --example bench_engine --target wasm32-wasip1
program=target/wasm32-wasip1/release/examples/bench_engine.wasm
if [ "${1:-}" = "--chromium" ]; then
  node tests/e2e/bench-wasi.mjs "$program"
else
  node --no-warnings scripts/run-wasi.mjs "$program"
fi
