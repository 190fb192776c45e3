#!/bin/bash
# symopt evolve end to end: a short seeded run writes rules that `symopt
# check` accepts and `symopt fmt` reproduces, and bad options are refused
# before any work.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/run

"$SYMOPT" evolve --budget 30 --seed 1 --population 16 --out "$out" \
    --json >"$tmp/summary.out" 2>"$tmp/err" || {
    cat "$tmp/err" >&2
    fail "evolve exited with $?"
}
for f in best.opt rank-01.opt log.jsonl summary.json; do
    [ -s "$out/$f" ] || fail "no $f"
done
grep -q '"best_fitness"' "$tmp/summary.out" || fail "--json printed no summary"
grep -q "results in $out" "$tmp/err" || fail "no 'results in' line"
for f in "$out"/*.opt; do
    "$SYMOPT" check "$f" >/dev/null 2>&1 || fail "check rejects $f"
    "$SYMOPT" fmt "$f" | cmp -s - "$f" || fail "fmt changes $f"
done
"$SYMOPT" train "$out/best.opt" --steps 50 --hidden 16 >/dev/null 2>&1 ||
    fail "train fails on best.opt"

# An earlier run is never overwritten.
"$SYMOPT" evolve --budget 1 --out "$out" 2>"$tmp/err2" && fail "reused $out"
grep -q "not empty" "$tmp/err2" || fail "no clear message for a used --out"

# Bad values: clear errors, exit 2, nothing created.
bad() {
    "$SYMOPT" evolve "$@" --out "$tmp/never" 2>"$tmp/e" && fail "accepted $*"
    [ $? -eq 2 ] || fail "exit status for $* is not 2"
    grep -q -e "symopt: option" -e "unknown option" "$tmp/e" ||
        fail "unclear error for $*"
    [ ! -e "$tmp/never" ] || fail "created --out for bad $*"
}
bad --population 1
bad --tournament 0
bad --population 4 --tournament 5
bad --budget 0
bad --budget 5 --time 10
bad --workers x
bad --frobnicate
echo ok
