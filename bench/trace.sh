#!/bin/sh
# The `trace` benchmark: builds the release binary, then runs bench/trace_bench.py (needs python3 with numpy).
# BENCH_ROUNDS=N sets the rounds (default 3).
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/memmap-tutor"
exec python3 bench/trace_bench.py "$bin"
