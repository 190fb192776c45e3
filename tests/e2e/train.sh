# End-to-end tests of `symopt train`: reports in text and JSON, accuracy
# of AdamW and Lion with the defaults, determinism, divergence, and a clear
# error for every bad option or missing data set.
set -u
: "${SYMOPT:?SYMOPT must name the symopt binary}" "${SRC:?SRC must be set}"

fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# A JSON number field of one-line output: json_field NAME FILE.
json_field() {
    sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p" "$2"
}

# expect_error "what" "pattern in stderr" args...: exit status non-zero,
# nothing on stdout, the pattern on stderr.
expect_error() {
    what=$1 pattern=$2
    shift 2
    "$SYMOPT" train "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [ "$status" -eq 0 ]; then
        fail "$what: exit status 0"
    elif [ "$status" -gt 125 ]; then
        fail "$what: crashed (status $status)"
    elif [ -s "$tmp/out" ]; then
        fail "$what: wrote to stdout"
    elif ! grep -q -- "$pattern" "$tmp/err"; then
        fail "$what: stderr lacks '$pattern':"
        cat "$tmp/err"
    fi
}

sgd=$SRC/examples/sgd.opt
adamw=$SRC/examples/adamw.opt
lion=$SRC/examples/lion.opt

if [ ! -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "FAIL: Fashion-MNIST is not installed (apt-get install" \
        "dataset-fashion-mnist)"
    exit 1
fi

# Text report.
"$SYMOPT" train "$sgd" --steps 50 --hidden 32 >"$tmp/out" 2>"$tmp/err" ||
    fail "sgd text run failed: $(cat "$tmp/err")"
grep -q "^sgd: 784-32-10, 50 steps of batch 128, cosine schedule, seed 0" \
    "$tmp/out" || fail "text report lacks the configuration line"
grep -q "^validation: accuracy 0\.[0-9]*  loss [0-9.]*  (5000 images)" \
    "$tmp/out" || fail "text report lacks the validation line"
grep -q "^test: *accuracy 0\.[0-9]*  loss" "$tmp/out" ||
    fail "text report lacks the test line"

# JSON report: one line, one object, all fields.
"$SYMOPT" train "$sgd" --steps 100 --hidden 32,16 --batch 64 --seed 5 \
    --schedule constant --json >"$tmp/j1" 2>"$tmp/err" ||
    fail "sgd json run failed: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/j1")" -eq 1 ] || fail "--json printed more than one line"
for f in rule config val_acc val_loss test_acc test_loss diverged seconds \
    steps_per_sec; do
    grep -q "\"$f\": " "$tmp/j1" || fail "--json lacks \"$f\""
done
grep -q '"rule": "sgd"' "$tmp/j1" || fail "--json names the wrong rule"
grep -q '"hidden": \[32, 16\], "seed": 5, "schedule": "constant"' \
    "$tmp/j1" || fail "--json config is wrong: $(cat "$tmp/j1")"
[ "$(json_field diverged "$tmp/j1")" = false ] || fail "sgd diverged"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/j1" ||
        fail "--json output does not parse as JSON"
fi

# Same seed, same numbers.
"$SYMOPT" train "$sgd" --steps 100 --hidden 32,16 --batch 64 --seed 5 \
    --schedule constant --json >"$tmp/j2" 2>/dev/null
for f in val_acc val_loss test_acc test_loss; do
    [ "$(json_field $f "$tmp/j1")" = "$(json_field $f "$tmp/j2")" ] ||
        fail "two runs with seed 5 differ in $f"
done
"$SYMOPT" train "$sgd" --steps 100 --hidden 32,16 --batch 64 --seed 6 \
    --schedule constant --json >"$tmp/j3" 2>/dev/null
[ "$(json_field val_loss "$tmp/j1")" != "$(json_field val_loss "$tmp/j3")" ] ||
    fail "seeds 5 and 6 gave the same validation loss"

# -D reaches the rule: an absurd learning rate diverges, reported in the
# result and not as a failure.
"$SYMOPT" train "$sgd" --steps 50 --hidden 16 -D lr=1e30 --json \
    >"$tmp/j4" 2>"$tmp/err" || fail "diverging run exited non-zero"
[ "$(json_field diverged "$tmp/j4")" = true ] ||
    fail "lr 1e30 did not diverge: $(cat "$tmp/j4")"
[ "$(json_field val_acc "$tmp/j4")" = 0 ] || fail "diverged val_acc is not 0"
[ "$(json_field val_loss "$tmp/j4")" = null ] ||
    fail "diverged val_loss is not null"
"$SYMOPT" train "$sgd" --steps 50 --hidden 16 -D lr=1e30 >"$tmp/out" \
    2>/dev/null
grep -q "^diverged at step" "$tmp/out" || fail "text report hides divergence"

# The targets: AdamW and Lion with their example defaults, 2000 steps.
for rule in "$adamw" "$lion"; do
    "$SYMOPT" train "$rule" --steps 2000 --json >"$tmp/j5" 2>"$tmp/err" ||
        fail "$rule failed: $(cat "$tmp/err")"
    acc=$(json_field test_acc "$tmp/j5")
    awk -v a="$acc" 'BEGIN { exit !(a >= 0.85) }' ||
        fail "$rule: test accuracy $acc < 0.85"
    echo "$(basename "$rule"): test accuracy $acc"
done

# Bad options and inputs.
expect_error "no rule" "no rule file"
expect_error "two rules" "one rule file only" "$sgd" "$sgd"
expect_error "unknown option" "unknown option '--stpes'" "$sgd" --stpes 3
expect_error "missing value" "needs a value" "$sgd" --steps
expect_error "steps 0" "option --steps" "$sgd" --steps 0
expect_error "steps text" "option --steps: 'ten'" "$sgd" --steps ten
expect_error "batch negative" "option --batch" "$sgd" --batch -4
expect_error "batch huge" "option --batch" "$sgd" --batch 99999999999
expect_error "hidden 0" "option --hidden" "$sgd" --hidden 0
expect_error "hidden trailing comma" "option --hidden" "$sgd" --hidden 64,
expect_error "hidden list too long" "at most" "$sgd" --hidden 1,2,3,4,5
expect_error "seed negative" "option --seed" "$sgd" --seed -1
expect_error "schedule" "option --schedule: 'linear'" "$sgd" \
    --schedule linear
expect_error "define no value" "option -D" "$sgd" -D lr
expect_error "define unknown" "no hyperparameter 'beta'" "$sgd" -D beta=1
expect_error "missing rule file" "nosuch.opt" "$tmp/nosuch.opt"
expect_error "missing data" "dataset-fashion-mnist" "$sgd" --data "$tmp"
expect_error "missing data names --data" "--data DIR" "$sgd" --data "$tmp"
expect_error "missing data names file" "$tmp/train-images-idx3-ubyte.gz" \
    "$sgd" --data "$tmp"
printf 'not gzip, not IDX' >"$tmp/train-images-idx3-ubyte.gz"
expect_error "corrupt data" "train-images-idx3-ubyte.gz: bad IDX magic" \
    "$sgd" --data "$tmp"

"$SYMOPT" train --help >"$tmp/out" 2>&1 || fail "--help failed"
grep -q -- "--schedule" "$tmp/out" || fail "--help lacks --schedule"

[ "$fails" -eq 0 ] && echo "all train tests passed"
exit $((fails > 0))
