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
cmake --build "$build" --target $benches -j2 >/dev/null

for b in $benches; do
    echo "== $b"
    "$build/bench/$b"
    echo
done
