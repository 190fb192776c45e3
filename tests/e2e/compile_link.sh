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
[ "$(wc -l <"$tmp/out")" -eq 1003 ] || { echo "use_rule: bad output"; exit 1; }

# -o, --header and -D.
"$SYMOPT" compile "$SRC/examples/lion.opt" -o "$tmp/x.o" \
    --header "$tmp/inc/../lionx.h" -D beta1=0.5 2>"$tmp/err" && {
    echo "FAIL: a header in a missing folder was accepted"; fails=$((fails + 1)); }
grep -q "inc/../lionx.h" "$tmp/err" || { echo "FAIL: no path in: $(cat "$tmp/err")"; fails=$((fails + 1)); }
[ ! -e "$tmp/x.o" ] || { echo "FAIL: x.o left behind"; fails=$((fails + 1)); }
"$SYMOPT" compile "$SRC/examples/lion.opt" -o "$tmp/x.o" \
    --header "$tmp/lionx.h" -D beta1=0.5
grep -q 'lion_defaults = {9.99999975e-05f, 0.5f, 0.99000001f, 0.100000001f}' \
    "$tmp/lionx.h" || { echo "FAIL: -D not in the header"; fails=$((fails + 1)); }

# Dumps go to stdout; no file unless -o is given.
(cd "$tmp" && "$SYMOPT" compile "$SRC/examples/adamw.opt" --dump ir >ir.ll)
grep -Eq '<(8|16) x float>' "$tmp/ir.ll" || { echo "FAIL: no vector IR"; fails=$((fails + 1)); }
[ ! -e "$tmp/adamw.o" ] || { echo "FAIL: --dump wrote an object"; fails=$((fails + 1)); }
"$SYMOPT" compile "$SRC/examples/adamw.opt" --dump asm | grep -q '^adamw_step:' ||
    { echo "FAIL: no function in the assembly"; fails=$((fails + 1)); }

expect_fail() {
    local pattern=$1
    shift
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
        echo "FAIL (exit $rc): $*"
        fails=$((fails + 1))
    elif ! grep -Eq -- "$pattern" "$tmp/err"; then
        echo "FAIL (no '$pattern' in stderr): $*"
        sed 's/^/    /' "$tmp/err"
        fails=$((fails + 1))
    fi
}
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
[ ! -e "$tmp/g.o" ] || { echo "FAIL: g.o written"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "compile, link and errors behave"
