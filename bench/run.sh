#!/bin/bash
# Builds and runs the three benchmarks (JIT'd rules against hand C, JIT
# compile time, trainer against PyTorch) and prints their tables.
# Usage: bench/run.sh [BUILD_DIR]   (default: build; configured if needed)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
benches="bench_rules bench_compile bench_train"

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" >/dev/null
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cmake --build "$build" --target $benches -j2 >"$log" 2>&1; then
    cat "$log" >&2
    echo "bench/run.sh: building the benchmarks failed" >&2
    exit 1
fi

for b in $benches; do
    echo "== $b"
    "$build/bench/$b"
    echo
done
