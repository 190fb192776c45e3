#!/bin/bash
# What a new user checks first: train AdamW and Lion to a useful accuracy,
# compile Lion into an object a plain C program links, and evolve rules
# whose best re-parses, formats to itself and trains.
set -eu
: "${SYMOPT:?}" "${SRC:?}"
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Test accuracy of `symopt train --json` output, as a float.
test_acc() {
    sed -n 's/.*"test_acc": *\([0-9.eE+-]*\).*/\1/p' "$1"
}

for rule in adamw lion; do
    "$SYMOPT" train "$SRC/examples/$rule.opt" --steps 2000 --json \
        >"$tmp/$rule.json"
    acc=$(test_acc "$tmp/$rule.json")
    echo "$rule: test accuracy $acc after 2000 steps"
    awk -v a="$acc" 'BEGIN { exit !(a >= 0.85) }'
done

"$SYMOPT" compile "$SRC/examples/lion.opt" -o "$tmp/lion.o"
test -s "$tmp/lion.o" && test -s "$tmp/lion.h"
cat >"$tmp/main.c" <<'C'
#include <math.h>
#include <stdio.h>
#include "lion.h"

int main(void)
{
    float w[5] = {1, -2, 0.5f, 0, 3}, g[5] = {0.5f, 0.5f, -1, 0, 2};
    float m[5] = {0}, *states[LION_NSTATES] = {m};
    lion_hparams hp = lion_defaults;
    lion_step(5, w, g, states, &hp, 1e-2f, 1);
    /* Lion by hand: w -= lr (sign((1-b1) g) + wd w); m = (1-b2) g. */
    float w0[5] = {1, -2, 0.5f, 0, 3}, g0[5] = {0.5f, 0.5f, -1, 0, 2};
    for (int i = 0; i < 5; i++) {
        float s = g0[i] > 0 ? 1.0f : g0[i] < 0 ? -1.0f : 0.0f;
        float want = w0[i] - 1e-2f * (s + 0.1f * w0[i]);
        if (fabsf(w[i] - want) > 1e-6f || fabsf(m[i] - 0.01f * g0[i]) > 1e-7f)
            return printf("element %d: %g, want %g\n", i, w[i], want), 1;
    }
    puts("linked lion_step agrees");
    return 0;
}
C
"$CC" -o "$tmp/main" -I"$tmp" "$tmp/main.c" "$tmp/lion.o" -lm
"$tmp/main"

"$SYMOPT" evolve --budget 200 --seed 1 --out "$tmp/evo" >"$tmp/evo.log"
best="$tmp/evo/best.opt"
test -s "$best"
"$SYMOPT" check "$best"
"$SYMOPT" fmt "$best" >"$tmp/best2.opt"
cmp "$best" "$tmp/best2.opt"
"$SYMOPT" train "$best" --steps 200 --json >"$tmp/best.json"
echo "evolved rule trains: test accuracy $(test_acc "$tmp/best.json")"
