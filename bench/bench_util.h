/* Small helpers shared by the benchmarks (header only: every bench_*.c is
 * its own program): a monotonic clock, medians and loading a checked rule
 * from a .opt file. */
#ifndef SYMOPT_BENCH_UTIL_H
#define SYMOPT_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/arena.h"
#include "compiler/ast.h"
#include "compiler/diag.h"
#include "compiler/sema.h"
#include "grammar/parse.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n-1]; sorts v. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A parsed, checked rule and what it lives in. */
typedef struct BenchRule {
    Source src;
    Arena arena;
    Rule *rule;
} BenchRule;

/* Reads and checks `path`; diagnostics go to stderr. 0 or -1. */
static inline int bench_load_rule(BenchRule *b, const char *path)
{
    Diag d;

    memset(b, 0, sizeof *b);
    if (source_read_file(&b->src, path) < 0) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    arena_init(&b->arena);
    diag_init(&d, &b->src, stderr);
    b->rule = parse_rule(&b->arena, &b->src, &d);
    if (!b->rule || !sema_check(b->rule, &d))
        return -1;
    return 0;
}

static inline void bench_free_rule(BenchRule *b)
{
    arena_free(&b->arena);
    source_free(&b->src);
}

/* The rule's default hyperparameters as floats (at most `cap`). */
static inline int bench_default_hp(const Rule *r, float *hp, int cap)
{
    if (r->nparams > cap)
        return -1;
    for (int k = 0; k < r->nparams; k++)
        hp[k] = (float)r->params[k].value;
    return 0;
}

#endif
