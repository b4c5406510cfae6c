#!/bin/sh
# One command for the whole benchmark: builds the release binary, then runs bench/bench.py.
# Needs python3 with numpy, dd, and about 2 GiB free in $BENCH_DIR (default: the temp dir).
# BENCH_ROUNDS=N sets the rounds (default 3).
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/memmap-tutor"
exec python3 bench/bench.py "$bin"
