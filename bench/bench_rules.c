/* JIT-compiled AdamW and Lion steps (examples/adamw.opt, lion.opt) against
 * the same rules written by hand in C, over 16M floats: median time per
 * step of each and the ratio hand / JIT (above 1: the JIT is faster),
 * and the same over 32K floats, which stay in cache.
 * Usage: bench_rules [--n N] [--reps R] [--examples DIR]
 * Built with -fno-math-errno (bench/CMakeLists.txt) so that GCC can
 * vectorize sqrtf: errno is all it gives up, results stay IEEE. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "compiler/jit.h"
#include "runtime/rng.h"

#ifndef SYMOPT_SOURCE_DIR
#define SYMOPT_SOURCE_DIR "."
#endif

/* examples/adamw.opt by hand, operation for operation: hp = lr, beta1,
 * beta2, eps, wd; scalar parts once per call. */
static void adamw_hand(int64_t n, float *restrict w, const float *restrict g,
                       float *restrict m, float *restrict v, const float *hp,
                       float lr, int64_t step)
{
    const float b1 = hp[1], b2 = hp[2], eps = hp[3], wd = hp[4];
    const float c1 = 1 - b1, c2 = 1 - b2, lrwd = lr * wd;
    const float step_size = lr / (1 - powf(b1, (float)step));
    const float bc2 = sqrtf(1 - powf(b2, (float)step));

    for (int64_t i = 0; i < n; i++) {
        float mi = c1 * g[i] + b1 * m[i];
        float vi = c2 * (g[i] * g[i]) + b2 * v[i];
        float denom = sqrtf(vi) / bc2 + eps;
        w[i] = w[i] - (lrwd * w[i] + step_size * mi / denom);
        m[i] = mi;
        v[i] = vi;
    }
}

/* examples/lion.opt by hand: hp = lr, beta1, beta2, wd. */
static void lion_hand(int64_t n, float *restrict w, const float *restrict g,
                      float *restrict m, const float *hp, float lr)
{
    const float b1 = hp[1], b2 = hp[2], wd = hp[3];
    const float c1 = 1 - b1, c2 = 1 - b2;

    for (int64_t i = 0; i < n; i++) {
        float c = c1 * g[i] + b1 * m[i];
        float u = c > 0 ? 1.0f : (c < 0 ? -1.0f : c);
        m[i] = c2 * g[i] + b2 * m[i];
        w[i] = w[i] - lr * (u + wd * w[i]);
    }
}

/* Both kinds of step behind one call. */
typedef struct Kernel {
    int adamw; /* else lion */
    RuleStepFn jit;
} Kernel;

static void hand_step(const Kernel *k, int64_t n, float *w, const float *g,
                      float *const *s, const float *hp, float lr, int64_t step)
{
    if (k->adamw)
        adamw_hand(n, w, g, s[0], s[1], hp, lr, step);
    else
        lion_hand(n, w, g, s[0], hp, lr);
}

static float *alloc_floats(int64_t n)
{
    size_t bytes = ((size_t)n * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (!p) {
        fprintf(stderr, "bench_rules: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static void fill(float *w, float *g, float *const *s, int ns, int64_t n,
                 uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        w[i] = (float)rng_normal(&r);
        g[i] = (float)(0.1 * rng_normal(&r));
    }
    for (int k = 0; k < ns; k++)
        memset(s[k], 0, (size_t)n * sizeof(float));
}

/* Three steps of each on the same small input (with a vector remainder);
 * returns the number of elements of w and states that differ in bits. */
static long sanity(const Kernel *k, int ns, const float *hp, float lr)
{
    enum { N = 1031 };
    static float w[2][N], g[N], st[2][2][N];
    float *sa[2] = {st[0][0], st[0][1]}, *sb[2] = {st[1][0], st[1][1]};
    long diff = 0;

    fill(w[0], g, sa, ns, N, 7);
    fill(w[1], g, sb, ns, N, 7);
    for (int t = 1; t <= 3; t++) {
        hand_step(k, N, w[0], g, sa, hp, lr, t);
        k->jit(N, w[1], g, sb, hp, lr, t);
    }
    for (int i = 0; i < N; i++) {
        diff += memcmp(&w[0][i], &w[1][i], sizeof(float)) != 0;
        for (int j = 0; j < ns; j++)
            diff += memcmp(&sa[j][i], &sb[j][i], sizeof(float)) != 0;
    }
    return diff;
}

static int bench_rule(const char *dir, const char *name, int adamw, int64_t n,
                      int reps, Jit *jit)
{
    char path[1024], err[512];
    BenchRule br;
    float hp[16];

    snprintf(path, sizeof path, "%s/%s.opt", dir, name);
    if (bench_load_rule(&br, path) < 0 || bench_default_hp(br.rule, hp, 16) < 0)
        return -1;
    JitRule *jr = jit_compile(jit, br.rule, err, sizeof err);
    if (!jr) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    Kernel k = {adamw, jit_fn(jr)};
    int ns = br.rule->nstates;
    float lr = hp[br.rule->lr_param];

    /* One set of tensors for both, so that both see the same memory. */
    float *w = alloc_floats(n), *g = alloc_floats(n);
    float *s[2] = {alloc_floats(n), ns > 1 ? alloc_floats(n) : NULL};
    fill(w, g, s, ns, n, 1);
    hand_step(&k, n, w, g, s, hp, lr, 1);
    k.jit(n, w, g, s, hp, lr, 2);

    /* Alternate the two, so that drift in the machine hits both; small
     * tensors get several steps per timing, about 16M elements' worth. */
    double th[64], tj[64];
    int64_t step = 3, inner = n >= (1 << 24) ? 1 : (1 << 24) / n;
    if (inner > 10000)
        inner = 10000;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        for (int64_t q = 0; q < inner; q++)
            hand_step(&k, n, w, g, s, hp, lr, step++);
        double t1 = bench_now();
        for (int64_t q = 0; q < inner; q++)
            k.jit(n, w, g, s, hp, lr, step++);
        double t2 = bench_now();
        th[r] = (t1 - t0) / (double)inner;
        tj[r] = (t2 - t1) / (double)inner;
    }
    double mh = bench_median(th, reps), mj = bench_median(tj, reps);
    long diff = sanity(&k, ns, hp, lr);

    printf("%-6s %10lld %12.2f %12.2f %9.2f   %s\n", name, (long long)n,
           1e6 * mh, 1e6 * mj, mh / mj,
           diff ? "NO (differ)" : "yes (bit for bit)");
    if (diff)
        fprintf(stderr, "%s: %ld values differ between hand C and JIT\n", name,
                diff);

    free(w);
    free(g);
    free(s[0]);
    free(s[1]);
    jit_release(jit, jr);
    bench_free_rule(&br);
    return diff ? -1 : 0;
}

int main(int argc, char **argv)
{
    int64_t n = 0; /* 0: the default sizes */
    int reps = 9;
    const char *dir = SYMOPT_SOURCE_DIR "/examples";
    char err[512];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
            n = atoll(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--examples") == 0 && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_rules [--n N] [--reps R] "
                            "[--examples DIR]\n");
            return 2;
        }
    }
    if (n < 0 || reps < 1 || reps > 64) {
        fprintf(stderr, "bench_rules: need --n >= 1 and --reps in 1..64\n");
        return 2;
    }

    Jit *jit = jit_new(err, sizeof err);
    if (!jit) {
        fprintf(stderr, "bench_rules: %s\n", err);
        return 1;
    }
    printf("time per step, median of %d timings; ratio = hand / JIT "
           "(target >= 1.0)\n",
           reps);
    printf("%-6s %10s %12s %12s %9s   %s\n", "rule", "n", "hand us", "jit us",
           "ratio", "same numbers");
    /* By default 16M floats (memory-bound) and 32K (in cache, where the
     * arithmetic shows). */
    int64_t sizes[2] = {n > 0 ? n : 1 << 24, 1 << 15};
    int nsizes = n > 0 ? 1 : 2, rc = 0;
    for (int k = 0; k < nsizes; k++) {
        rc |= bench_rule(dir, "adamw", 1, sizes[k], reps, jit);
        rc |= bench_rule(dir, "lion", 0, sizes[k], reps, jit);
    }
    jit_free(jit);
    return rc ? 1 : 0;
}
