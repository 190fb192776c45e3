#!/bin/bash
# Bad files and bad options: each must fail with status 1 or 2 (never a
# crash or a hang) and a message that names what is at fault.
set -u
: "${SYMOPT:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

. "$(dirname "$0")/expect_fail.inc"

printf 'rule r(lr = 1) {\n    return lr * q;\n}\n' >"$tmp/undef.opt"
printf 'rule r(lr = 1) {\n    return lr * ;\n}\n' >"$tmp/syntax.opt"
printf 'rule r(lr = 0.1) {\n    return lr * g;\n}\n' >"$tmp/ok.opt"
head -c 3000 /dev/urandom >"$tmp/junk.opt"
mkdir "$tmp/ro"

expect_fail 'undef.opt:2:17: error' "$SYMOPT" check "$tmp/undef.opt"
expect_fail 'syntax.opt:2:' "$SYMOPT" check "$tmp/syntax.opt"
expect_fail 'junk.opt' "$SYMOPT" check "$tmp/junk.opt"
expect_fail 'nope.opt' "$SYMOPT" check "$tmp/nope.opt"
expect_fail 'undef.opt:2:17' "$SYMOPT" fmt "$tmp/undef.opt"
expect_fail 'undef.opt:2:17' "$SYMOPT" train "$tmp/undef.opt"
expect_fail 'undef.opt:2:17' "$SYMOPT" compile "$tmp/undef.opt" \
    -o "$tmp/u.o"
expect_fail 'unknown command' "$SYMOPT" frobnicate

expect_fail '--steps' "$SYMOPT" train "$tmp/ok.opt" --steps abc
expect_fail '--steps' "$SYMOPT" train "$tmp/ok.opt" --steps -5
expect_fail '--batch' "$SYMOPT" train "$tmp/ok.opt" --batch 0
expect_fail '--hidden' "$SYMOPT" train "$tmp/ok.opt" --hidden 1e3
expect_fail '--seed' "$SYMOPT" train "$tmp/ok.opt" --seed
expect_fail '--bogus' "$SYMOPT" train "$tmp/ok.opt" --bogus
expect_fail 'beta' "$SYMOPT" train "$tmp/ok.opt" -D beta=0.9
expect_fail '-D' "$SYMOPT" train "$tmp/ok.opt" -D lr=fast
expect_fail 'dataset-fashion-mnist' "$SYMOPT" train "$tmp/ok.opt" \
    --data "$tmp/ro"
expect_fail 'fashion' "$SYMOPT" train "$tmp/ok.opt" \
    --data "$tmp/nonexistent"

expect_fail '--population' "$SYMOPT" evolve --population x
expect_fail 'tournament' "$SYMOPT" evolve --population 4 --tournament 8 \
    --out "$tmp/e1"
expect_fail '--budget' "$SYMOPT" evolve --budget 0 --out "$tmp/e2"
expect_fail 'nope.opt' "$SYMOPT" evolve --warm "$tmp/nope.opt" \
    --out "$tmp/e3"
expect_fail 'undef.opt:2:17' "$SYMOPT" evolve --warm "$tmp/undef.opt" \
    --out "$tmp/e4"
expect_fail '/proc/x' "$SYMOPT" evolve --budget 5 --out /proc/x

expect_fail '-o' "$SYMOPT" compile "$tmp/ok.opt" -o
expect_fail '/proc/x' "$SYMOPT" compile "$tmp/ok.opt" -o /proc/x/r.o

cp "$tmp/ok.opt" "$tmp/keep.opt"
expect_fail 'overwrite the input' "$SYMOPT" compile "$tmp/keep.opt" \
    -o "$tmp/keep.opt"
expect_fail 'overwrite the input' "$SYMOPT" compile "$tmp/keep.opt" \
    -o "$tmp/k.o" --header "$tmp/../$(basename "$tmp")/keep.opt"
expect_fail 'both' "$SYMOPT" compile "$tmp/keep.opt" -o "$tmp/k.o" \
    --header "$tmp/k.o"
expect_fail 'both' "$SYMOPT" compile "$tmp/keep.opt" -o "$tmp/j.o" \
    --header "$tmp/./j.o"
expect_fail -D "$SYMOPT" train "$tmp/ok.opt" -D lr=0x10
printf 'rule r(lr = 1, NULL = 2) {\n    return lr * NULL * g;\n}\n' \
    >"$tmp/macro.opt"
expect_fail 'NULL' "$SYMOPT" compile "$tmp/macro.opt" -o "$tmp/m.o"
cmp -s "$tmp/ok.opt" "$tmp/keep.opt" || { echo "FAIL: input overwritten"; \
    fails=$((fails + 1)); }

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all bad inputs rejected cleanly"
