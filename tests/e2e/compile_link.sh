#!/bin/bash
# `symopt compile` end to end: the object and header link into a plain C
# program with only -lm, options do what they say, and bad command lines
# fail cleanly with a message naming what is at fault.
set -eu
: "${SYMOPT:?}" "${SRC:?}"
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# Default output names: the rule file's base name, in the current folder.
(cd "$tmp" && "$SYMOPT" compile "$SRC/examples/lion.opt")
test -s "$tmp/lion.o" && test -s "$tmp/lion.h"
"$CC" -std=c17 -Wall -Wextra -Werror -I"$tmp" "$SRC/examples/use_rule.c" \
    "$tmp/lion.o" -lm -o "$tmp/use_rule"
"$tmp/use_rule" >"$tmp/out"
[ "$(wc -l <"$tmp/out")" -eq 1003 ] || {
    echo "use_rule: bad output"
    exit 1
}

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# -o, --header and -D; a header in a missing folder fails and leaves no
# object behind.
if "$SYMOPT" compile "$SRC/examples/lion.opt" -o "$tmp/x.o" \
    --header "$tmp/inc/../lionx.h" 2>"$tmp/err"; then
    fail "a header in a missing folder was accepted"
fi
grep -q "inc/../lionx.h" "$tmp/err" || fail "no path in: $(cat "$tmp/err")"
[ ! -e "$tmp/x.o" ] || fail "x.o left behind"
"$SYMOPT" compile "$SRC/examples/lion.opt" -o "$tmp/x.o" \
    --header "$tmp/lionx.h" -D beta1=0.5
want='lion_defaults = {9.99999975e-05f, 0.5f, 0.99000001f, 0.100000001f}'
grep -qF "$want" "$tmp/lionx.h" || fail "-D not in the header"

# Dumps go to stdout; no file unless -o is given.
(cd "$tmp" && "$SYMOPT" compile "$SRC/examples/adamw.opt" --dump ir >ir.ll)
grep -Eq '<(8|16) x float>' "$tmp/ir.ll" || fail "no vector IR"
[ ! -e "$tmp/adamw.o" ] || fail "--dump wrote an object"
"$SYMOPT" compile "$SRC/examples/adamw.opt" --dump asm >"$tmp/a.s"
grep -q '^adamw_step:' "$tmp/a.s" || fail "no function in the assembly"

. "$(dirname "$0")/expect_fail.inc"
set +e
lion=$SRC/examples/lion.opt
expect_fail 'option -o needs a value' "$SYMOPT" compile "$lion" -o
expect_fail 'option --header needs a value' "$SYMOPT" compile "$lion" --header
expect_fail '/proc/x/r.o' "$SYMOPT" compile "$lion" -o /proc/x/r.o
expect_fail "$tmp/missing/r.o" "$SYMOPT" compile "$lion" -o "$tmp/missing/r.o"
expect_fail 'no FILE' "$SYMOPT" compile
expect_fail 'one FILE only' "$SYMOPT" compile "$lion" "$lion"
expect_fail 'option --dump' "$SYMOPT" compile "$lion" --dump bogus
expect_fail 'unknown option .--bogus.' "$SYMOPT" compile "$lion" --bogus
expect_fail 'no hyperparameter .gamma.' "$SYMOPT" compile "$lion" \
    -D gamma=1 -o "$tmp/g.o"
expect_fail 'option -D' "$SYMOPT" compile "$lion" -D beta1=x -o "$tmp/g.o"
expect_fail 'nope.opt' "$SYMOPT" compile "$tmp/nope.opt" -o "$tmp/n.o"
[ ! -e "$tmp/g.o" ] || fail "g.o written"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "compile, link and errors behave"
