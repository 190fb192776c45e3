#!/bin/bash
# symopt check, fmt, compile and a short train under Valgrind memcheck: no
# memory errors and nothing definitely, indirectly or possibly lost. A
# sanitizer build cannot run under Valgrind and skips (status 77).
set -u
: "${SYMOPT:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

if ldd "$SYMOPT" | grep -q -e libasan -e libubsan; then
    echo "skipped: $SYMOPT is a sanitizer build"
    exit 77
fi
command -v valgrind >/dev/null || {
    echo "FAIL: valgrind is not installed (apt-get install valgrind)"
    exit 1
}

# vg NAME EXPECTED-STATUS COMMAND...: memcheck reports nothing, the
# command exits with EXPECTED-STATUS. Memcheck's own failure is status 99.
vg() {
    local name=$1 want=$2
    shift 2
    valgrind -q --leak-check=full \
        --errors-for-leak-kinds=definite,indirect,possible \
        --error-exitcode=99 --log-file="$tmp/$name.vg" \
        "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    local rc=$?
    if [ "$rc" -ne "$want" ] || [ -s "$tmp/$name.vg" ]; then
        echo "FAIL: $name exited $rc (want $want) under valgrind: $*"
        sed 's/^/    /' "$tmp/$name.vg" "$tmp/$name.err" | head -60
        fails=$((fails + 1))
    else
        echo "$name: clean"
    fi
}

printf 'rule r(lr = 1) {\n    return lr * q;\n}\n' >"$tmp/undef.opt"
ex=$SRC/examples
vg check 0 "$SYMOPT" check "$ex"/*.opt
vg check_bad 1 "$SYMOPT" check "$tmp/undef.opt" "$SRC"/tests/bad/*.opt
vg fmt 0 "$SYMOPT" fmt "$ex/adamw.opt"
vg compile 0 "$SYMOPT" compile "$ex/lion.opt" -o "$tmp/lion.o" -D beta1=0.5
vg train 0 "$SYMOPT" train "$ex/adamw.opt" --steps 20 --hidden 16 \
    -D lr=0.002 --json
vg train_diverges 0 "$SYMOPT" train "$ex/sgd.opt" --steps 20 --hidden 16 \
    -D lr=1e30
vg train_bad 2 "$SYMOPT" train "$ex/sgd.opt" -D nope=1

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "no memory errors, no leaks"
