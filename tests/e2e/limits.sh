#!/bin/bash
# The limits of a rule file: each over-limit input fails with exit 1 and
# a located error stating the limit, in bounded time and memory; inputs
# just inside a limit pass. Deep nesting must not overflow the stack.
set -u
: "${SYMOPT:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# gen FILE PYTHON-EXPRESSION: writes the expression's value (a str).
gen() { python3 -c "import sys; sys.stdout.write($2)" >"$tmp/$1"; }

# A sanitizer build maps terabytes of shadow memory: no address-space
# limit there.
vlimit=1048576
ldd "$SYMOPT" | grep -q libasan && vlimit=unlimited

# over FILE PATTERN [COMMAND]: `symopt COMMAND FILE` (default check) exits
# 1 within 10 s under a 1 GiB address-space limit, stderr matching PATTERN.
# (Checks linear in the input take well under a second for any of these.)
over() {
    local f=$1 pattern=$2 cmd=${3:-check}
    (ulimit -v $vlimit; timeout 10 "$SYMOPT" "$cmd" "$tmp/$f") \
        >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne 1 ]; then
        fail "$cmd $f exited $rc, want 1"
        head -c 600 "$tmp/err" | sed 's/^/    /'
    elif ! grep -Eq -- "$pattern" "$tmp/err"; then
        fail "$cmd $f: no '$pattern' in:"
        head -c 600 "$tmp/err" | sed 's/^/    /'
    fi
}

# within FILE: `symopt check FILE` accepts it.
within() {
    timeout 20 "$SYMOPT" check "$tmp/$1" >"$tmp/out" 2>"$tmp/err" ||
        fail "check $1 rejected: $(head -c 300 "$tmp/err")"
}

rule="'rule r(lr = 1) {\n'"
ret="'    return lr * g;\n}\n'"

# File size: 1 MiB. A 5 MB file is refused; so is an endless one, which
# must be read no further than the limit.
gen big.opt "$rule + $ret + '#' + 'x' * (5 * 1024 * 1024) + '\n'"
over big.opt '^.*big.opt:1:1: error: file is larger than 1048576 bytes'
over big.opt 'file is larger than 1048576 bytes' fmt
over big.opt 'file is larger than 1048576 bytes' train
gen edge.opt "($rule + $ret).ljust(1024 * 1024, '#')"
within edge.opt
ln -s /dev/zero "$tmp/zero.opt"
over zero.opt 'zero.opt:1:1: error: file is larger than 1048576 bytes'

# Names: 64 bytes.
gen name64.opt "$rule + '    ' + 'a' * 64 + ' = g;\n' + $ret"
within name64.opt
gen name65.opt "$rule + '    ' + 'a' * 65 + ' = g;\n' + $ret"
over name65.opt 'name65.opt:2:5: error: name is longer than 64'

# Statements before the return: 1000.
gen stmts1000.opt "$rule + '    x = g;\n' * 1000 + $ret"
within stmts1000.opt
gen stmts1001.opt "$rule + '    x = g;\n' * 1001 + $ret"
over stmts1001.opt 'stmts1001.opt:1:6: error: .* 1001 statements; at most 1000'
gen stmts200k.opt "$rule + 'x=g;' * 200000 + $ret"
over stmts200k.opt '200000 statements; at most 1000'

# States and hyperparameters: 64 each (lr counts among the 64).
states() { echo "$rule + ''.join('    state s%d;\n' % i for i in range($1))"; }
uses() {
    echo "'    return lr * (g' + ''.join(' + s%d' % i for i in range($1))"
}
gen states64.opt "$(states 64) + '    s0 = g;\n' + $(uses 64) + ');\n}\n'"
within states64.opt
gen states65.opt "$(states 65) + '    s0 = g;\n' + $(uses 65) + ');\n}\n'"
over states65.opt 'states65.opt:1:6: error: .* 65 states; at most 64'
gen states60k.opt \
    "$rule + ''.join('state s%d;' % i for i in range(60000)) + $ret"
over states60k.opt '60000 states; at most 64'
params() {
    echo "'rule r(lr = 1' + ''.join(', h%d = 1' % i for i in range($1))"
}
gen params64.opt "$(params 63) + ') {\n' + $ret"
within params64.opt
gen params65.opt "$(params 64) + ') {\n' + $ret"
over params65.opt 'params65.opt:1:6: error: .* 65 hyperparameters; at most 64'
gen params100k.opt \
    "'rule r(lr=1' + ''.join(',h%d=1' % i for i in range(100000)) + ') {\n' \
    + $ret"
over params100k.opt '100001 hyperparameters; at most 64'
gen locals100k.opt \
    "$rule + ''.join('x%d=g;' % i for i in range(100000)) + $ret"
over locals100k.opt '100000 statements; at most 1000'

# Expression depth: 200 levels (a leaf is one; each unary minus adds one).
gen depth200.opt "$rule + '    return ' + '-' * 199 + 'g;\n}\n'"
within depth200.opt
gen depth201.opt "$rule + '    return ' + '-' * 200 + 'g;\n}\n'"
over depth201.opt 'depth201.opt:2:[0-9]+: error: .*more than 200 levels'

# 100,000 parentheses, unary minuses and powers: an error, not a crash.
gen parens.opt "$rule + '    return ' + '(' * 100000 + 'g' + ')' * 100000 + \
    ';\n}\n'"
over parens.opt 'parens.opt:2:[0-9]+: error: .*nested .*more than [0-9]+'
over parens.opt 'parens.opt:2:[0-9]+: error: .*nested' fmt
gen minus.opt "$rule + '    return ' + '-' * 100000 + 'g;\n}\n'"
over minus.opt 'minus.opt:2:[0-9]+: error: .*nested'
gen pow.opt "$rule + '    return g' + ' ^ g' * 100000 + ';\n}\n'"
over pow.opt 'pow.opt:2:[0-9]+: error: .*nested'
gen calls.opt "$rule + '    return ' + 'exp(' * 100000 + 'g' + ')' * 100000 + \
    ';\n}\n'"
over calls.opt 'calls.opt:2:[0-9]+: error: .*nested'
gen sum.opt "$rule + '    return g' + ' + g' * 150000 + ';\n}\n'"
over sum.opt 'sum.opt:2:[0-9]+: error: .*more than 200 levels'

# A file full of errors: the first 100 are shown, all are counted, and
# it takes no longer than a file with a few.
gen errors.opt "$rule + 'x=;\n' * 150000 + $ret"
over errors.opt 'more than 100 errors; the rest are not shown'
grep -q 'errors.opt: 150000 errors' "$tmp/err" || fail "errors not counted"
[ "$(grep -c ': error: ' "$tmp/err")" -eq 100 ] || fail "not 100 shown"
gen undef.opt "$rule + '    x = q;\n' * 900 + $ret"
over undef.opt 'undef.opt: 900 errors'

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "every limit holds with a clear error"
