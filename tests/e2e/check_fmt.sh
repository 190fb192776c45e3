#!/bin/bash
# `symopt check` and `symopt fmt` from the command line: the examples are
# good and format to a fixpoint, bad files fail with located errors, and
# usage errors exit 2.
set -u
: "${SYMOPT:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$SYMOPT" check "$SRC"/examples/*.opt >"$tmp/out" 2>&1 ||
    fail "check of the examples: $(cat "$tmp/out")"
[ -s "$tmp/out" ] && fail "check printed something for good files"

for f in "$SRC"/examples/*.opt; do
    "$SYMOPT" fmt "$f" >"$tmp/a.opt" || fail "fmt $f"
    "$SYMOPT" fmt "$tmp/a.opt" >"$tmp/b.opt" || fail "fmt of fmt $f"
    cmp -s "$tmp/a.opt" "$tmp/b.opt" || fail "fmt is not a fixpoint: $f"
done

for f in "$SRC"/tests/bad/*.opt; do
    timeout 20 "$SYMOPT" check "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 1 ] || fail "check $f exited $rc, want 1"
    first=$(sed -n 's/^# expect: \([0-9]*:[0-9]*\):.*/\1/p' "$f" | head -1)
    grep -q "$(basename "$f"):$first: error" "$tmp/err" ||
        fail "check $f: no error at $first"
    timeout 20 "$SYMOPT" fmt "$f" >"$tmp/out" 2>/dev/null
    [ $? -eq 1 ] || fail "fmt $f should exit 1"
    [ -s "$tmp/out" ] && fail "fmt $f printed a rule"
done

"$SYMOPT" check >/dev/null 2>&1; [ $? -eq 2 ] || fail "check without FILE"
"$SYMOPT" fmt >/dev/null 2>&1; [ $? -eq 2 ] || fail "fmt without FILE"
"$SYMOPT" check --bogus x.opt >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- '--bogus' "$tmp/err" || fail "unknown option"
"$SYMOPT" check --help | grep -q 'usage: symopt check' || fail "check --help"
"$SYMOPT" fmt --help | grep -q 'usage: symopt fmt' || fail "fmt --help"
"$SYMOPT" check "$tmp/missing.opt" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'missing.opt' "$tmp/err" || fail "missing file"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "check and fmt behave"
