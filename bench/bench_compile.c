/* JIT compile time of every .opt file in examples/ in one reused JIT
 * session: per rule the median over several rounds of jit_compile (code
 * generation, optimization, machine code); parsing and checking are timed
 * apart. Usage: bench_compile [--rounds R] [--examples DIR] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "compiler/jit.h"

#ifndef SYMOPT_SOURCE_DIR
#define SYMOPT_SOURCE_DIR "."
#endif

enum { MAX_RULES = 64, MAX_ROUNDS = 64 };

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of DIR's *.opt files (malloc'ed); their count or -1. */
static int list_rules(const char *dir, char **names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d) {
        fprintf(stderr, "bench_compile: cannot open %s\n", dir);
        return -1;
    }
    while ((e = readdir(d)) && n < MAX_RULES) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".opt") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    return n;
}

/* Median seconds of parse + check, and of compile + release, of one rule
 * over `rounds`. -1 on an error (reported on stderr). */
static int time_rule(Jit *jit, const char *path, int rounds, double *parse,
                     double *compile)
{
    double tp[MAX_ROUNDS], tc[MAX_ROUNDS];
    char err[512];

    for (int r = 0; r < rounds; r++) {
        BenchRule br;
        double t0 = bench_now();
        if (bench_load_rule(&br, path) < 0)
            return -1;
        double t1 = bench_now();
        JitRule *jr = jit_compile(jit, br.rule, err, sizeof err);
        double t2 = bench_now();
        if (!jr) {
            fprintf(stderr, "%s: %s\n", path, err);
            return -1;
        }
        jit_release(jit, jr);
        bench_free_rule(&br);
        tp[r] = t1 - t0; /* includes reading the file */
        tc[r] = t2 - t1;
    }
    *parse = bench_median(tp, rounds);
    *compile = bench_median(tc, rounds);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = SYMOPT_SOURCE_DIR "/examples";
    int rounds = 7;
    char *names[MAX_RULES], err[512], path[1024];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--examples") == 0 && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr,
                    "usage: bench_compile [--rounds R] [--examples DIR]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_compile: --rounds must be in 1..%d\n",
                MAX_ROUNDS);
        return 2;
    }
    int n = list_rules(dir, names);
    if (n <= 0) {
        fprintf(stderr, "bench_compile: no .opt files in %s\n", dir);
        return 1;
    }

    Jit *jit = jit_new(err, sizeof err);
    if (!jit) {
        fprintf(stderr, "bench_compile: %s\n", err);
        return 1;
    }

    /* One compile first, so that one-time LLVM set-up is not counted. */
    snprintf(path, sizeof path, "%s/%s", dir, names[0]);
    double p0, c0;
    if (time_rule(jit, path, 1, &p0, &c0) < 0)
        return 1;

    printf("median of %d rounds, one JIT session (target: compile < 5 ms)\n",
           rounds);
    printf("%-18s %12s %12s\n", "rule", "parse+check", "jit compile");
    double all[MAX_RULES];
    int rc = 0;
    for (int k = 0; k < n; k++) {
        double p, c;
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        if (time_rule(jit, path, rounds, &p, &c) < 0) {
            rc = 1;
            all[k] = 0;
            continue;
        }
        all[k] = c;
        printf("%-18s %9.3f ms %9.3f ms\n", names[k], 1e3 * p, 1e3 * c);
    }
    double med = bench_median(all, n);
    printf("median over %d rules: %.3f ms (target 5 ms: %s)\n", n, 1e3 * med,
           med < 5e-3 ? "met" : "missed");

    jit_free(jit);
    for (int k = 0; k < n; k++)
        free(names[k]);
    return rc;
}
