#!/bin/bash
# Bad option values for train, compile and evolve: junk numbers, values out
# of range, unknown -D names, an --out that cannot be written (found before
# any work), a file size limit hit while evolve writes its results, a full
# stdout, and rules whose arithmetic gives NaN or Inf (scored, never
# fatal).
set -u
: "${SYMOPT:?}" "${SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# bad PATTERN COMMAND...: exit status 1 or 2 within 60 s, nothing on
# stdout, stderr matching PATTERN (an extended regular expression).
bad() {
    local pattern=$1
    shift
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
        fail "exit $rc: $*"
    elif [ -s "$tmp/out" ]; then
        fail "wrote to stdout: $*"
    elif ! grep -Eq -- "$pattern" "$tmp/err"; then
        fail "no '$pattern' in stderr of: $*"
        sed 's/^/    /' "$tmp/err"
    fi
}

sgd=$SRC/examples/sgd.opt
lion=$SRC/examples/lion.opt
tb() { bad "$1" "$SYMOPT" train "$sgd" "${@:2}"; }

# Junk numbers: blanks, suffixes, hex, exponents, overflow, empty.
for v in ' 5' '5 ' 5abc 0x10 1e3 '' 99999999999999999999 5.0 -; do
    tb "option --steps: '$v' is not an integer" --steps "$v"
    tb "option --batch: '$v' is not an integer" --batch "$v"
    bad "option --population: '$v' is not an integer" \
        "$SYMOPT" evolve --population "$v" --out "$tmp/never"
    bad "option --workers: '$v' is not an integer" \
        "$SYMOPT" evolve --workers "$v" --out "$tmp/never"
done
for v in ' 1' ' -1' -1 +1 1.5 x ''; do
    tb "option --seed: '${v/+/\\+}' is not a non-negative integer" \
        --seed "$v"
done
for v in ',16' '16,' '16,,16' ',' 16x '' ' 16'; do
    tb "option --hidden: '$v'" --hidden "$v"
done
for v in 'lr= 1' 'lr=' lr=nan lr=inf lr=-inf lr=1e999 lr=0.1x; do
    tb "option -D: '${v#lr=}' is not a finite number" -D "$v"
done
tb "option -D: '=1' is not name=value" -D =1
tb "option -D: 'lr' is not name=value" -D lr
long=$(printf 'h%.0s' $(seq 65))
tb "option -D: name 'hhhhhhhhhhhhhhhh...' is longer than 64 bytes" \
    -D "$long=1"
bad "option -D: name .* is longer than 64 bytes" \
    "$SYMOPT" compile "$lion" -D "$long=1" -o "$tmp/l.o"
for v in 'x' ' 1' 0 -1 nan; do
    bad "option --time: '?$v'?" "$SYMOPT" evolve --time "$v" \
        --out "$tmp/never"
done
bad "option --time: 1e\+09 is out of range" "$SYMOPT" evolve --time 1e9 \
    --out "$tmp/never"

# Out of range.
tb 'option --steps: -5 is out of range' --steps -5
tb 'option --steps: 0 is out of range' --steps 0
tb 'option --batch: 0 is out of range' --batch 0
tb 'option --hidden: 70000 is out of range' --hidden 70000
tb 'option --hidden: at most [0-9]+ hidden layers' --hidden \
    16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16
ev() { bad "$1" "$SYMOPT" evolve "${@:2}" --out "$tmp/never"; }
ev 'option --population: 1 is out of range' --population 1
ev 'option --population: -8 is out of range' --population -8
ev 'option --tournament: 0 is out of range' --tournament 0
ev 'option --tournament: 9 is larger than the population \(8\)' \
    --population 8 --tournament 9
ev 'option --tournament: 65 is larger than the population \(64\)' \
    --tournament 65
ev 'option --budget: -1 is out of range' --budget -1
ev 'option --workers: 0 is out of range' --workers 0
ev 'option --top: 100 is out of range' --top 100
[ ! -e "$tmp/never" ] || fail "a bad evolve option created --out"

# Unknown -D names: the rule's file and its hyperparameters are named.
tb "rule 'sgd' in .*sgd.opt has no hyperparameter 'beta' \(it has: lr\)" \
    -D beta=1
bad "rule 'lion' in .*lion.opt has no hyperparameter 'lr2' \(it has: lr, " \
    "$SYMOPT" compile "$lion" -D lr2=1 -o "$tmp/l.o"
[ ! -e "$tmp/l.o" ] || fail "compile with a bad -D wrote an object"

# An --out that cannot be written is found before the data set is read:
# with a missing --data the error is still about --out.
touch "$tmp/file"
nodata="--data $tmp/nodata --budget 1"
bad "option --out: '$tmp/file' exists and is not a directory" \
    "$SYMOPT" evolve $nodata --out "$tmp/file"
bad "option --out: cannot create '$tmp/file/sub': Not a directory" \
    "$SYMOPT" evolve $nodata --out "$tmp/file/sub"
bad "option --out: cannot create '/proc/symopt-out'" \
    "$SYMOPT" evolve $nodata --out /proc/symopt-out
bad "option --out: '/dev/null' exists and is not a directory" \
    "$SYMOPT" evolve $nodata --out /dev/null
bad "option --out: cannot create ''" "$SYMOPT" evolve $nodata --out ''
if [ "$(id -u)" -ne 0 ]; then
    # Permissions stop only a user other than root.
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    bad "option --out: cannot write into '$tmp/ro': Permission denied" \
        "$SYMOPT" evolve $nodata --out "$tmp/ro"
fi
mkdir "$tmp/used" && touch "$tmp/used/log.jsonl"
bad "option --out: '$tmp/used' is not empty" \
    "$SYMOPT" evolve $nodata --out "$tmp/used"
bad "cannot write .*$tmp/file/x.o" "$SYMOPT" compile "$lion" \
    -o "$tmp/file/x.o"

# A file size limit reached while evolve writes: it stops with an error
# naming the file (symopt ignores SIGXFSZ, so the write fails with EFBIG
# and the signal does not kill it), and leaves no temporary file.
(
    ulimit -f 16
    exec timeout 300 "$SYMOPT" evolve --budget 400 --population 8 \
        --workers 1 --seed 1 --out "$tmp/full"
) >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 1 ]; then
    fail "evolve under a 16 KiB file size limit exited $rc, want 1"
    tail -5 "$tmp/err" | sed 's/^/    /'
elif ! grep -q "symopt: evolve: cannot write '$tmp/full/.*': File too large" \
    "$tmp/err"; then
    fail "evolve under a file size limit: no clear error"
    tail -5 "$tmp/err" | sed 's/^/    /'
fi
compgen -G "$tmp/full/.*.tmp" >/dev/null && fail "temporary left in --out"
(
    ulimit -f 1
    exec "$SYMOPT" compile "$SRC/examples/adamw.opt" -o "$tmp/lim.o"
) >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "compile under a 1 KiB file size limit exited $rc"
grep -q "cannot write '$tmp/lim.o': File too large" "$tmp/err" ||
    fail "compile under a file size limit: $(cat "$tmp/err")"
for f in "$tmp"/full/*.opt; do
    [ -e "$f" ] || continue
    "$SYMOPT" check "$f" 2>/dev/null || fail "$f left broken"
done

# Output that cannot be written (a full disk) is an error, not success.
if [ -w /dev/full ]; then
    for cmd in "fmt $sgd" "train $sgd --steps 5 --hidden 8 --json" \
        "check --help"; do
        timeout 60 "$SYMOPT" $cmd >/dev/full 2>"$tmp/err"
        rc=$?
        [ "$rc" -eq 1 ] || fail "$cmd >/dev/full exited $rc, want 1"
        grep -q 'symopt: cannot write the output: No space left on device' \
            "$tmp/err" || fail "$cmd >/dev/full: $(cat "$tmp/err")"
    done
fi

# NaN, Inf and division by zero: training reports divergence, exit 0;
# evolve scores such rules 0 and finishes.
printf 'rule nanr(lr = 0.1) {\n    return lr * log(-1 - abs(g));\n}\n' \
    >"$tmp/nan.opt"
printf 'rule infr(lr = 0.1) {\n    return lr * exp(1000 + g);\n}\n' \
    >"$tmp/inf.opt"
printf 'rule divr(lr = 0.1) {\n    return lr * g / 0;\n}\n' >"$tmp/div.opt"
printf 'rule bigr(lr = 0.1, k = 3e38) {\n    return lr * k * k * g;\n}\n' \
    >"$tmp/big.opt"
for r in nan inf div big; do
    "$SYMOPT" train "$tmp/$r.opt" --steps 20 --hidden 16 --json \
        >"$tmp/$r.json" 2>"$tmp/err" || fail "train $r.opt exited $?"
    grep -q '"diverged": true' "$tmp/$r.json" ||
        fail "train $r.opt did not report divergence: $(cat "$tmp/$r.json")"
    grep -q '"val_acc": 0,' "$tmp/$r.json" || fail "$r.opt val_acc not 0"
done
"$SYMOPT" evolve --warm "$tmp/nan.opt" "$tmp/inf.opt" "$tmp/div.opt" \
    "$tmp/big.opt" --budget 16 --population 4 --tournament 2 --seed 3 \
    --out "$tmp/evnan" >/dev/null 2>"$tmp/err" ||
    fail "evolve from NaN and Inf rules exited $?: $(tail -3 "$tmp/err")"
grep -q '"status": "done"' "$tmp/evnan/summary.json" 2>/dev/null ||
    fail "evolve from NaN and Inf rules did not finish"
grep -c '"fitness": 0.000000' "$tmp/evnan/log.jsonl" | grep -qv '^0$' ||
    fail "no NaN rule was scored 0"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "every bad option refused, full disk reported, NaN scored"
