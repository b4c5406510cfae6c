#!/bin/sh
# One command for the whole benchmark: builds the optimised binary with line tables (the `profiling`
# profile: release plus debug info, so perf can name functions), then runs bench/bench.py.
# Needs python3 with numpy, dd, and about 2 GiB free in $BENCH_DIR (default: the temp dir).
# BENCH_ROUNDS=N sets the rounds (default 3).
set -eu
cd "$(dirname "$0")/.."
cargo build --profile profiling --quiet
bin="${CARGO_TARGET_DIR:-target}/profiling/memmap-tutor"
exec python3 bench/bench.py "$bin"
