/* A plain C program that links a rule compiled by `symopt compile`:
 *
 *   symopt compile examples/lion.opt -o lion.o
 *   cc -I. examples/use_rule.c lion.o -lm -o use_rule && ./use_rule
 *
 * It runs three Lion steps on 1,003 elements and prints, per element, the
 * starting weight, the gradient, the final weight and the final momentum
 * as exact hex floats (%a), so that another program can check them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lion.h"

enum { N = 1003, STEPS = 3 };

int main(void)
{
    float *w = malloc(N * sizeof *w), *g = malloc(N * sizeof *g);
    float *w0 = malloc(N * sizeof *w0);
    float *m = calloc(N, sizeof *m); /* states start at zero */
    if (!w || !g || !w0 || !m)
        return 1;

    /* Inputs with both signs, zeros of both signs, and a few extremes. */
    for (int i = 0; i < N; i++) {
        w0[i] = w[i] = sinf((float)i * 0.37f) * 3.0f;
        g[i] = cosf((float)i * 1.3f) * 0.02f;
    }
    g[0] = 0.0f, g[1] = -0.0f, g[2] = 1e30f, g[3] = -1e-30f, w[4] = -0.0f;
    w0[4] = w[4];

    float *states[LION_NSTATES] = {m};
    lion_hparams hp = lion_defaults;
    for (int step = 1; step <= STEPS; step++)
        lion_step(N, w, g, states, &hp, 1e-2f, step);

    for (int i = 0; i < N; i++)
        printf("%a %a %a %a\n", w0[i], g[i], w[i], m[i]);
    free(w);
    free(g);
    free(w0);
    free(m);
    return 0;
}
