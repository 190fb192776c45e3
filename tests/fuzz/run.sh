#!/usr/bin/env bash
# Builds (if needed) and runs one libFuzzer target for SECONDS seconds on
# its corpus: tests/fuzz/run.sh fuzz_rule|fuzz_jit|fuzz_idx SECONDS
# [libFuzzer options...]. Exits non-zero on any finding; the input is
# then in $FUZZ_BUILD/fuzz/findings/TARGET/. FUZZ_BUILD (default
# build-fuzz in the source tree) holds the sanitized clang build and the
# growing corpus; the seeds in the source tree are only read.
set -euo pipefail

usage() {
    echo "usage: $0 fuzz_rule|fuzz_jit|fuzz_idx SECONDS [libFuzzer options]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
target=$1
seconds=$2
shift 2
case $target in fuzz_rule | fuzz_jit | fuzz_idx) ;; *) usage ;; esac
case $seconds in '' | *[!0-9]*) usage ;; esac

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$src/build-fuzz}
cc=${FUZZ_CC:-clang-19}
# -fsanitize=function checks a signature stored just before the callee,
# which JIT-compiled rules have not got: calling one would read the page
# before its code.
san="-fsanitize=address,undefined -fno-sanitize=function"
san="$san -fno-sanitize-recover=all -fsanitize=fuzzer-no-link"
san="$san -fno-omit-frame-pointer"

CC=$cc cmake -S "$src" -B "$build" -DSYMOPT_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS="$san" >/dev/null
cmake --build "$build" --target "$target" -j2 >/dev/null

# The first corpus folder is the one libFuzzer adds to.
corpus=$build/fuzz/corpus/$target
findings=$build/fuzz/findings/$target
mkdir -p "$corpus" "$findings"
here=$src/tests/fuzz
# A target without findings has no regressions folder (git keeps no empty
# folders), so it is added only where it exists.
seeds=()
[ -d "$here/regressions/$target" ] && seeds+=("$here/regressions/$target")
opts=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
case $target in
fuzz_rule | fuzz_jit)
    seeds+=("$src/examples" "$src/tests/bad")
    opts+=(-dict="$here/opt.dict")
    ;;
fuzz_idx)
    seeds+=("$here/seeds/idx")
    ;;
esac

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/fuzz/$target" "${opts[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$findings/" "$@" "$corpus" "${seeds[@]}"
