#!/usr/bin/env bash
# Runs examples/bench_engine.rs compiled to WebAssembly (wasm32-wasip1, simd128, release) in Node's WASI,
# to compare with the native run (`cargo run --release --example bench_engine`). Results: BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
RUSTFLAGS="-C target-feature=+simd128" cargo build --release --example bench_engine --target wasm32-wasip1
node --no-warnings scripts/run-wasi.mjs target/wasm32-wasip1/release/examples/bench_engine.wasm
